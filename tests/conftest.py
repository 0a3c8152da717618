"""Fixtures shared by the contract, integration and role tests.

Against the emulator by default; against a real Mailcow when MAILCOW_API_URL and MAILCOW_API_KEY
are set (then tests that need the emulator's control endpoints are skipped).
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_API_KEY = "TESTKEY-RW-0000-0000-000000000001"
TEST_READ_ONLY_KEY = "TESTKEY-RO-0000-0000-000000000002"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url, headers=None, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class EmulatorControl:
    """The emulator's test-only endpoints under /_sandbox (never part of the real API)."""

    def __init__(self, base_url):
        self.base_url = base_url

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + "/_sandbox/" + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def counters(self):
        return self._call("GET", "counters")

    def reset_counters(self):
        self._call("DELETE", "counters")

    def add_fault(self, route, fault, times=None, method=None, delay=None):
        body = {"route": route, "fault": fault, "times": times, "method": method, "delay": delay}
        return self._call("POST", "faults", {k: v for k, v in body.items() if v is not None})

    def faults(self):
        return self._call("GET", "faults")

    def clear_faults(self):
        self._call("DELETE", "faults")

    def check_password(self, username, password):
        """The emulator's whole answer: {"valid": bool, "exists": bool}."""
        return self._call("POST", "verify", {"username": username, "password": password})

    def verify(self, username, password):
        return self.check_password(username, password)["valid"]

    def wipe(self):
        self._call("DELETE", "state")


@dataclass
class MailcowTarget:
    url: str
    api_key: str
    read_only_key: str | None
    control: EmulatorControl | None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def is_emulator(self):
        return self.control is not None

    def require_emulator(self):
        if not self.is_emulator:
            pytest.skip("needs the emulator's control endpoints (running against a real Mailcow)")


def start_emulator(state_file, extra_args=()):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(Path(state_file).with_suffix(".log"), "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.mailcow_api", "--listen", f"127.0.0.1:{port}", "--state", str(state_file),
         "--api-key", TEST_API_KEY, "--read-only-key", TEST_READ_ONLY_KEY, *extra_args],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    wait_for_http(url + "/api/v1/get/domain/all", {"X-API-Key": TEST_API_KEY})
    return MailcowTarget(url, TEST_API_KEY, TEST_READ_ONLY_KEY, EmulatorControl(url), process)


def stop_emulator(target):
    if target.process is not None:
        target.process.terminate()
        target.process.wait(timeout=10)


@pytest.fixture(scope="session")
def mailcow_api(tmp_path_factory):
    """The Mailcow API the tests talk to: a real one from the environment, else a fresh emulator."""
    if os.environ.get("MAILCOW_API_URL") and os.environ.get("MAILCOW_API_KEY"):
        yield MailcowTarget(os.environ["MAILCOW_API_URL"].rstrip("/"), os.environ["MAILCOW_API_KEY"],
                            os.environ.get("MAILCOW_API_READ_ONLY_KEY"), None)
        return
    target = start_emulator(tmp_path_factory.mktemp("mailcow") / "state.sqlite")
    yield target
    stop_emulator(target)


@dataclass
class PlaybookRun:
    args: list
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self):
        return self.stdout + self.stderr


@pytest.fixture
def ansible_playbook(mailcow_api):
    """Run the real ansible-playbook from this checkout; Mailcow connection comes from the env."""

    def run(playbook, *options, extra_vars=None, check=False, diff=False, verbosity=0, env=None,
            inventory="localhost,", timeout=600):
        args = [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook)]
        if inventory:
            args += ["-i", inventory]
        if extra_vars:
            args += ["-e", json.dumps(extra_vars)]
        if check:
            args.append("--check")
        if diff:
            args.append("--diff")
        if verbosity:
            args.append("-" + "v" * verbosity)
        args += list(options)
        run_env = dict(os.environ)
        run_env.update({
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "MAILCOW_API_URL": mailcow_api.url,
            "MAILCOW_API_KEY": mailcow_api.api_key,
        })
        run_env.update(env or {})
        done = subprocess.run(args, cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=timeout, check=False)
        return PlaybookRun(args, done.returncode, done.stdout, done.stderr)

    return run
