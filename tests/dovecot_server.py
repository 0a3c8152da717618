"""A real Dovecot (Debian's package, see tools/ensure-dovecot.sh) on a free port, for tests.

Configured by sandbox/dovecot.py, as the sandbox's own: IMAP on loopback, every password checked by
asking an emulator's /mailcowauth.php, no auth cache. Only the emulator has that endpoint (the real
Mailcow API runs without Dovecot here), so tests using this are emulator-only.
"""

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sandbox import dovecot
from tests.conftest import free_port, stop_process


@dataclass
class DovecotServer:
    port: int
    directory: Path
    process: subprocess.Popen = field(repr=False)

    def stop(self):
        stop_process(self.process)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_dovecot(emulator_url):
    """Dovecot on a free port asking the emulator at emulator_url. Its directory is a fresh one under the
    system's temporary directory, readable by all: started as root, Dovecot's login and mail processes
    run as its own unprivileged users and must reach their sockets (pytest's tmp_path is private)."""
    directory = Path(tempfile.mkdtemp(prefix="test-dovecot-"))
    directory.chmod(0o755)
    try:
        argv = dovecot.argv(dovecot.write_config(directory, port := free_port(), emulator_url + "/mailcowauth.php"))
    except FileNotFoundError as error:
        shutil.rmtree(directory)
        # CI installs it (.ci/run): there a missing Dovecot is a failure, not a reason to skip.
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(str(error), pytrace=False)
        pytest.skip(str(error))
    log = directory / "dovecot.log"
    with open(log, "ab") as handle:
        process = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = DovecotServer(port, directory, process)
    deadline = time.monotonic() + 20
    while not dovecot.answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            pytest.fail("dovecot did not start:\n" + log.read_text(errors="replace"))
        time.sleep(0.05)
    return server
