"""Fixtures shared by the contract, integration and role tests.

Every test that takes the `mailcow_api` fixture runs twice: `[emulator]` against a fresh emulator
and `[real]` against the real Mailcow API given by `--real-mailcow URL` (or REAL_MAILCOW_URL; see
tests/real_mailcow.py and docs/testing.md). Tests marked `emulator_only` need the emulator's fault
controls or its process and run only as `[emulator]`. Without a real server the `[real]` half is
skipped, saying so; with CI=true it fails instead.
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

from tests import real_mailcow

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
    """The emulator's test-only endpoints under /_sandbox (never part of the real API).

    tests/real_mailcow.py has the same counters/verify/wipe for the real server.
    """

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

    def login(self, username, password, service):
        """The emulator's mailcowauth.php verdict, as Dovecot asks it (True: accepted)."""
        body = json.dumps({"username": username, "password": password, "real_rip": "127.0.0.1", "service": service})
        request = urllib.request.Request(self.base_url + "/mailcowauth.php", data=body.encode(), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())["success"] is True
        except urllib.error.HTTPError as error:
            if error.code != 401:
                raise
            return False

    def wipe(self):
        self._call("DELETE", "state")


@dataclass
class MailcowTarget:
    url: str
    api_key: str
    read_only_key: str | None
    control: EmulatorControl | None
    process: subprocess.Popen | None = field(default=None, repr=False)

    name: str = "emulator"
    # Where POST /_sandbox/verify answers: the emulator itself, or tests/real_mailcow.py's endpoint.
    control_url: str | None = None


def start_emulator(state_file, extra_args=()):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(Path(state_file).with_suffix(".log"), "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.mailcow_api", "--listen", f"127.0.0.1:{port}", "--state", str(state_file),
         "--api-key", TEST_API_KEY, "--read-only-key", TEST_READ_ONLY_KEY, *extra_args],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    wait_for_http(url + "/api/v1/get/domain/all", {"X-API-Key": TEST_API_KEY})
    return MailcowTarget(url, TEST_API_KEY, TEST_READ_ONLY_KEY, EmulatorControl(url), process, control_url=url)


def stop_process(process):
    """Stop a server a test started: politely, and for good when it does not go within 10 seconds."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stop_emulator(target):
    if target.process is not None:
        target.process.terminate()
        target.process.wait(timeout=10)


def pytest_addoption(parser):
    real_mailcow.add_options(parser)


def pytest_configure(config):
    config.addinivalue_line("markers", "emulator_only: needs the Mailcow emulator's fault controls or process; "
                                       "never runs against the real Mailcow API")
    config.addinivalue_line("markers", f"{real_mailcow.MARKER}: runs against the real Mailcow API (added to "
                                       "every [real] test; run serially: one real instance)")


def pytest_generate_tests(metafunc):
    if "mailcow_api" in metafunc.fixturenames:
        targets = ["emulator"] if metafunc.definition.get_closest_marker("emulator_only") else ["emulator", "real"]
        metafunc.parametrize("mailcow_api", targets, indirect=True, scope="session")


def pytest_collection_modifyitems(config, items):
    real_mailcow.mark_real_items(items)


@pytest.fixture(scope="session")
def mailcow_api(request, tmp_path_factory):
    """The Mailcow API the tests talk to: `[emulator]` a fresh emulator, `[real]` the real server."""
    if request.param == "real":
        yield real_mailcow.session_target(request.config)
        return
    target = start_emulator(tmp_path_factory.mktemp("mailcow") / "state.sqlite")
    yield target
    stop_emulator(target)


@pytest.fixture(autouse=True)
def _real_mailcow_lock(request):
    """A [real] test holds the machine-wide lock of the one real instance while it runs."""
    if request.node.get_closest_marker(real_mailcow.MARKER) is None:
        yield
        return
    with real_mailcow.instance_lock(request.config):
        yield


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
