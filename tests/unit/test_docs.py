# Copyright: (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documentation: the reference antsibull-docs writes is current, and relative links resolve."""

from __future__ import annotations

import filecmp
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_DOCS = ROOT / "tools" / "build-docs.sh"
REFERENCE = ROOT / "docs" / "modules"
MARKDOWN_FILES = sorted([ROOT / "README.md", *ROOT.glob("docs/*.md")])
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def test_reference_pages_are_what_antsibull_docs_writes_from_the_current_documentation(tmp_path):
    # antsibull-docs (requirements/dev.txt) is in the project's venv, not in the bare venv that
    # `ansible-test units` builds.
    if shutil.which("antsibull-docs", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("antsibull-docs is not installed (requirements/dev.txt)")
    fresh = tmp_path / "modules"
    proc = subprocess.run([str(BUILD_DOCS), str(fresh)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pages = sorted(p.name for p in fresh.iterdir())
    compared = filecmp.cmpfiles(REFERENCE, fresh, pages, shallow=False)
    stale = {
        "missing from docs/modules": compared[2],
        "different in docs/modules": compared[1],
        "in docs/modules but not generated": sorted(p.name for p in REFERENCE.iterdir() if p.name not in pages),
    }
    assert {k: v for k, v in stale.items() if v} == {}, "docs/modules is stale: run `make docs`"


def anchors(text):
    """The fragments a Markdown page answers to: explicit ids and GitHub's heading slugs."""
    found = set(re.findall(r'id="([^"]+)"', text))
    prose = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    for heading in re.findall(r"^#{1,6} +(.+?) *$", prose, flags=re.MULTILINE):
        found.add(re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-"))
    return found


@pytest.mark.parametrize("page", MARKDOWN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_existing_files_and_anchors(page):
    text = page.read_text(encoding="utf-8")
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _sep, fragment = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.is_file():
            broken.append(target)
        elif fragment and fragment not in anchors(destination.read_text(encoding="utf-8")):
            broken.append(target)
    assert broken == [], f"{page.relative_to(ROOT)} links to missing files or anchors: {broken}"
