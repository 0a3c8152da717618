"""The sandbox's IMAP service: `python -m sandbox.ctl up mailcow imap` starts Debian's Dovecot on the port
SANDBOX_IMAP_PORT names, asking that stack's emulator about logins; `down` stops it."""

import imaplib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests

from sandbox import ctl as sandbox_ctl
from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.emulator_only


def ctl(*args, env):
    return subprocess.run([sys.executable, "-m", "sandbox.ctl", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_up_serves_imap_logins_checked_by_the_stacks_emulator():
    imap_port, mailcow_port = free_port(), free_port()
    # Dovecot's unprivileged processes must reach their sockets in the state directory (tmp_path is private).
    state = Path(tempfile.mkdtemp(prefix="test-ctl-imap-"))
    state.chmod(0o755)
    env = dict(os.environ, SANDBOX_STATE_DIR=str(state), SANDBOX_IMAP_PORT=str(imap_port),
               SANDBOX_MAILCOW_PORT=str(mailcow_port))
    started = ctl("up", "mailcow", "imap", env=env)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        api = f"http://127.0.0.1:{mailcow_port}/api/v1"
        headers = {"X-API-Key": sandbox_ctl.SANDBOX_API_KEY}
        requests.post(f"{api}/add/domain", json={"domain": "ctl-imap.example"}, headers=headers, timeout=10)
        requests.post(f"{api}/add/mailbox", json={"local_part": "a", "domain": "ctl-imap.example", "active": 1,
                                                  "password": "Ctl-Imap-Passw0rd", "password2": "Ctl-Imap-Passw0rd"},
                      headers=headers, timeout=10)
        session = imaplib.IMAP4("127.0.0.1", imap_port, timeout=10)
        assert session.login("a@ctl-imap.example", "Ctl-Imap-Passw0rd")[0] == "OK"
        session.logout()
        assert ctl("status", "imap", env=env).returncode == 0
    finally:
        stopped = ctl("down", "imap", "mailcow", env=env)
        status = ctl("status", "imap", env=env)
        shutil.rmtree(state)
    assert stopped.returncode == 0 and "imap stopped" in stopped.stdout
    assert status.returncode == 1
