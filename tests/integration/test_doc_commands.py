"""Every shell block of README.md and docs/ runs as written against a sandbox (issue 15 item 13).

The blocks run in the order a reader meets them (README.md first, then docs/ by name), each one
with `bash -e` from a copy of this checkout, with the venv activated as the docs ask, against a
private sandbox stack on free ports (sandbox/ctl.py's SANDBOX_* variables): the only change made to
a command is the sandbox's default ports, replaced by the private ones. A block the reader cannot
run against the sandbox (production, a terminal, the test suite itself) is preceded by the visible
marker `<!-- not run: REASON -->` and skipped.
"""

import os
import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT, free_port

FENCE = re.compile(r"^```(?:sh|bash|shell)\n(.*?)^```", re.M | re.S)
MARKER = re.compile(r"^<!-- not run: [^>]+ -->\n*\Z", re.M)
DEFAULT_PORTS = {"SANDBOX_MAILCOW_PORT": 28080, "SANDBOX_FRONTEND_PORT": 28000,
                 "SANDBOX_TRAEFIK_WEB_PORT": 28081, "SANDBOX_TRAEFIK_API_PORT": 28082,
                 "SANDBOX_DNS_PORT": 28053, "SANDBOX_IMAP_PORT": 28143}
DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))


def shell_blocks():
    """(id, text, runnable) of every fenced shell block, in reading order."""
    found = []
    for path in DOCS:
        text = path.read_text()
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            runnable = not MARKER.search(text[:match.start()])
            found.append((f"{path.relative_to(ROOT)}:{line}", match.group(1), runnable))
    return found


BLOCKS = shell_blocks()


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    """A copy of this checkout (what a reader cloned) with its own sandbox stack on free ports."""
    checkout = tmp_path_factory.mktemp("docs") / "securenexus-provisioning"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source, target = ROOT / name, checkout / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    # The venv of this checkout, newer than the requirements: make does not bootstrap it again.
    (checkout / ".venv").symlink_to(ROOT / ".venv")
    ports = {name: free_port() for name in DEFAULT_PORTS}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MAILCOW_", "SANDBOX_", "DRIFT_"))}
    env.update({name: str(port) for name, port in ports.items()})
    env["PATH"] = f"{checkout / '.venv' / 'bin'}:{env['PATH']}"
    env["VIRTUAL_ENV"] = str(checkout / ".venv")
    yield checkout, env, ports
    subprocess.run(["make", "--no-print-directory", "sandbox-down"], cwd=checkout, env=env, capture_output=True,
                   timeout=120, check=False)


@pytest.mark.parametrize("block", [b[1:] for b in BLOCKS], ids=[b[0] for b in BLOCKS])
def test_the_shell_block_runs_as_written_against_the_sandbox(reader, block):
    text, runnable = block
    if not runnable:
        pytest.skip("marked <!-- not run: ... -->")
    checkout, env, ports = reader
    for name, default in DEFAULT_PORTS.items():
        text = text.replace(f"127.0.0.1:{default}", f"127.0.0.1:{ports[name]}").replace(f"-p {default}", f"-p {ports[name]}")
    done = subprocess.run(["bash", "-e", "-c", text], cwd=checkout, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    assert done.returncode == 0, f"$ {text}\n{(done.stdout + done.stderr)[-5000:]}"


def test_every_not_run_marker_stands_right_before_a_shell_block():
    # A marker anywhere else would skip nothing, or the wrong block.
    for path in DOCS:
        text = path.read_text()
        for match in re.finditer(r"^<!-- not run: [^>]+ -->$", text, re.M):
            assert re.match(r"\n*```(?:sh|bash|shell)\n", text[match.end():]), (
                f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}")
