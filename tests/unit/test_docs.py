# Copyright: (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documentation: generated reference pages up to date, Markdown rendering, links that resolve."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

# The generator needs antsibull-docs-parser (requirements/dev.txt): present in the project's venv
# (make test-unit), absent from the bare venv that `ansible-test units` builds.
pytest.importorskip("antsibull_docs_parser", reason="antsibull-docs-parser is not installed (requirements/dev.txt)")

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "tools" / "gen-module-docs.py"
MARKDOWN_FILES = sorted([ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("docs/modules/*.md")])
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_module_docs", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen():
    return load_generator()


def test_reference_pages_are_up_to_date_with_the_plugins_documentation():
    proc = subprocess.run([sys.executable, str(GENERATOR), "--check"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"


def test_option_reference_becomes_a_link_to_the_option_row(gen):
    renderer = gen.Renderer("module", "securenexus.provisioning.mailcow_mailbox")
    assert renderer.block("See O(update_password).") == "See [`update_password`](#option-update_password)."


def test_option_of_another_module_links_to_that_modules_page(gen):
    renderer = gen.Renderer("module", "securenexus.provisioning.mailcow_mailbox")
    assert (renderer.block("Set O(securenexus.provisioning.mailcow_domain#module:defquota).")
            == "Set [`defquota`](mailcow_domain.md#option-defquota).")


def test_return_value_reference_links_to_the_nested_return_row(gen):
    renderer = gen.Renderer("module", "securenexus.provisioning.mailcow_alias")
    assert renderer.block("Read RV(alias.goto).") == "Read [`alias.goto`](#return-alias--goto)."


def test_pipe_in_a_table_cell_is_escaped_even_inside_code(gen):
    renderer = gen.Renderer("module", "securenexus.provisioning.traefik_route")
    assert renderer.cell(["A rule like V(Host(`a`\\) || Host(`b`\\)).", "Or C(x|y)."]) == (
        "A rule like `` Host(`a`) \\|\\| Host(`b`) ``.<br><br>Or `x\\|y`.")


def test_markdown_specials_in_plain_text_are_escaped_but_intraword_underscores_are_not(gen):
    renderer = gen.Renderer("module", "securenexus.provisioning.mailcow_domain")
    assert renderer.block("max_quota_for_mbox is *bytes* in _info output") == (
        "max_quota_for_mbox is \\*bytes\\* in \\_info output")


def test_broken_markup_fails_instead_of_rendering_an_error_into_the_page(gen):
    renderer = gen.Renderer("module", "securenexus.provisioning.mailcow_domain")
    with pytest.raises(ValueError, match="Cannot find closing"):
        renderer.block("An unclosed C(code")


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
