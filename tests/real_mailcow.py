"""The [real] half of the tests: the real Mailcow API (tools/real-mailcow.sh) as a test target.

Configured by `--real-mailcow URL` or REAL_MAILCOW_URL (keys: REAL_MAILCOW_KEY and
REAL_MAILCOW_READ_ONLY_KEY, default the keys tools/real-peers/mailcow/setup.sh creates). The
server's files are under REAL_MAILCOW_ROOT (default /srv/real-mailcow): the tests read its nginx
access log and its database, so they must run on the machine of the server, as root.

The real server has no control endpoints. What the emulator's /_sandbox endpoints tell, the tests
learn here from the real server's own records instead:
- counters: the requests nginx logged (logs/nginx-access.log) since the counters were reset; every
  API call goes through nginx, so that counts exactly what reached the server;
- verify: the mailbox's stored hash (MariaDB, table mailbox) checked by PHP's password_verify(),
  as mailcow's verify_hash() does for its default BLF-CRYPT scheme; the password travels on stdin;
- wipe: reset.sh (empties the database and redis-mailcow, keeps the keys).
The playbooks under tests/integration/targets ask `{{ mailcow_control_url }}/_sandbox/verify`;
for the real server that URL is a small local endpoint of the test session answering from
RealControl.check_password, so the same asserts run against both.
There is one real instance and a reset empties all of it: each [real] test holds the machine-wide
lock REAL_MAILCOW_LOCK (default /tmp/real-mailcow.lock) and tools/run-tests.sh runs the [real]
half in a section of its own, without xdist.
"""

import contextlib
import fcntl
import json
import os
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
MARKER = "real_mailcow"
DEFAULT_KEY = "REALKEY-0000-0000-0000-000000000001"
DEFAULT_READ_ONLY_KEY = "REALKEY-0000-0000-0000-000000000002"
RESET = ROOT / "tools" / "real-peers" / "mailcow" / "reset.sh"
# 127.0.0.1 - - [02/Dec/2026:13:07:42 +0000] "GET /api/v1/get/domain/all HTTP/1.1" 200 12 ...
_ACCESS = re.compile(r'"(?P<method>[A-Z]+) /api/v1/(?P<route>[^/?" ]*(?:/[^/?" ]*)?)')
_VERIFY_PHP = ('$in = json_decode(stream_get_contents(STDIN), true);'
               'echo (preg_match("/^{(BLF-CRYPT|SHA512-CRYPT|SHA256-CRYPT|MD5-CRYPT|CRYPT|ARGON2IS?|ARGON2ID)}(.+)$/i",'
               ' $in["hash"], $m) && password_verify($in["password"], $m[2])) ? "valid" : "invalid";')


def add_options(parser):
    group = parser.getgroup("real-mailcow", "the real Mailcow API ([real] half of the tests)")
    group.addoption("--real-mailcow", metavar="URL", default=os.environ.get("REAL_MAILCOW_URL"),
                    help="URL of the real Mailcow API (tools/real-mailcow.sh up); default $REAL_MAILCOW_URL. "
                         "Without it the [real] tests are skipped (failed when CI=true).")
    group.addoption("--diff-seeds", metavar="SEEDS", type=seed_list, default=None,
                    help="seeds of the differential test instead of its fixed set, e.g. 7,100-120")


def seed_list(text):
    """"7,100-120" -> [7, 100, ..., 120]."""
    seeds = []
    for part in text.split(","):
        first, dummy, last = part.strip().partition("-")
        seeds += range(int(first), int(last or first) + 1)
    return seeds


def mark_real_items(items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("mailcow_api") == "real":
            item.add_marker(MARKER)


def configured_url(config):
    url = config.getoption("--real-mailcow")
    if url:
        return url.rstrip("/")
    missing = "no real Mailcow API given (--real-mailcow URL or REAL_MAILCOW_URL; start one with `make real-mailcow`)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must not skip the [real] half: {missing}", pytrace=False)
    pytest.skip(f"{missing}: the [real] half is skipped")
    return None


def server_root():
    return Path(os.environ.get("REAL_MAILCOW_ROOT", "/srv/real-mailcow"))


@contextlib.contextmanager
def instance_lock(config):
    """The machine-wide lock of the real instance (flock, like tools/real-mailcow.sh)."""
    configured_url(config)
    path = os.environ.get("REAL_MAILCOW_LOCK", "/tmp/real-mailcow.lock")  # noqa: S108 - the agreed lock file
    # open() gives a close-on-exec descriptor: ansible-playbook and the servers never inherit the lock.
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class RealControl:
    """Counters, password checks and wiping for the real server, from its logs and database."""

    def __init__(self, root):
        self.root = Path(root)
        self.access_log = self.root / "logs" / "nginx-access.log"
        self.offset = self._log_size()

    def _log_size(self):
        try:
            return self.access_log.stat().st_size
        except FileNotFoundError:
            return 0

    def reset_counters(self):
        self.offset = self._log_size()

    def counters(self):
        """{"reads", "writes", "by_route"} as the emulator counts them: GET is a read, POST a write."""
        reads = writes = 0
        by_route = {}
        with open(self.access_log, "rb") as log:
            log.seek(self.offset)
            lines = log.read().decode("utf-8", "replace").splitlines()
        for line in lines:
            match = _ACCESS.search(line)
            if not match:
                continue
            method, route = match["method"], match["route"]
            reads += method == "GET"
            writes += method == "POST"
            key = f"{method} {route}"
            by_route[key] = by_route.get(key, 0) + 1
        return {"reads": reads, "writes": writes, "by_route": by_route}

    def _settings(self):
        settings = {}
        for line in (self.root / "etc" / "reset.env").read_text().splitlines():
            key, dummy, value = line.partition("=")
            settings[key.strip()] = value.strip()
        return settings

    def stored_hash(self, username):
        settings = self._settings()
        literal = "'" + username.replace("\\", "\\\\").replace("'", "\\'") + "'"
        done = subprocess.run(
            ["mysql", "--protocol=socket", "-N", "-B", "-u", settings["DBUSER"], settings["DBNAME"],
             "-e", f"SELECT password FROM mailbox WHERE username = {literal}"],  # noqa: S608 - quoted literal
            env={**os.environ, "MYSQL_PWD": settings["DBPASS"]}, capture_output=True, text=True, check=True)
        return done.stdout.strip() or None

    def check_password(self, username, password):
        stored = self.stored_hash(username.strip())
        if stored is None:
            return {"valid": False, "exists": False}
        done = subprocess.run(["php", "-r", _VERIFY_PHP], input=json.dumps({"hash": stored, "password": password}),
                              capture_output=True, text=True, check=True)
        return {"valid": done.stdout == "valid", "exists": True}

    def verify(self, username, password):
        return self.check_password(username, password)["valid"]

    def login(self, username, password, service):
        """mailcowauth.php's verdict (True: accepted), from the real PHP functions (tests/real_mailcow_login.php)."""
        done = subprocess.run(["php", str(ROOT / "tests" / "real_mailcow_login.php"), str(self.root / "web" / "inc")],
                              input=json.dumps({"username": username, "password": password, "service": service}),
                              env={**os.environ, **self._settings()}, capture_output=True, text=True, check=True)
        return done.stdout == "accepted"

    def wipe(self):
        subprocess.run(["bash", str(RESET)], check=True, capture_output=True)


class _VerifyHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/_sandbox/verify":
            self.send_error(404)
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        answer = json.dumps(self.server.control.check_password(body["username"], body["password"])).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def serve_verify(control):
    """The /_sandbox/verify endpoint of the real server's checks on a free loopback port; its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _VerifyHandler)
    server.control = control
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def session_target(config):
    """The MailcowTarget of the real server, emptied once at the start of the session."""
    from tests.conftest import MailcowTarget

    url = configured_url(config)
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        pytest.fail(f"--real-mailcow {url}: the [real] tests read the server's log and database, "
                    "so it must run on this machine", pytrace=False)
    control = RealControl(server_root())
    with instance_lock(config):
        control.wipe()
    return MailcowTarget(url, os.environ.get("REAL_MAILCOW_KEY", DEFAULT_KEY),
                         os.environ.get("REAL_MAILCOW_READ_ONLY_KEY", DEFAULT_READ_ONLY_KEY), control, name="real",
                         control_url=serve_verify(control))
