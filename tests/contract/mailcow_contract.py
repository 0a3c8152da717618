"""Plain-HTTP helpers for the contract tests: they run against the emulator or a real Mailcow."""

import json
import secrets
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "S3cret-Passw0rd"


class Api:
    """Raw calls, no cookie jar (Mailcow's session cookie would carry state between calls)."""

    def __init__(self, url, key):
        self.url = url.rstrip("/") + "/api/v1/"
        self.key = key

    def request(self, method, path, body=None, key=..., content_type="application/json", raw=None):
        headers = {}
        key = self.key if key is ... else key
        if key is not None:
            headers["X-API-Key"] = key
        if content_type:
            headers["Content-Type"] = content_type
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        return requests.request(method, self.url + path, headers=headers, data=data, timeout=60)

    def get(self, path, **kwargs):
        return self.request("GET", path, content_type=None, **kwargs)

    def post(self, path, body, **kwargs):
        return self.request("POST", path, body, **kwargs)

    def get_json(self, path):
        response = self.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    def ok(self, path, body):
        """A write that must succeed: every entry is a success."""
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        entries = response.json()
        assert all(entry["type"] == "success" for entry in entries), entries
        return entries


def last_msg(response):
    assert response.status_code == 200, response.text
    return response.json()[-1]["msg"]


def unique_name(kind="contract"):
    return f"{kind}-{secrets.token_hex(5)}.example"


class Sandbox:
    """Objects one test creates, removed again at the end even if the test fails."""

    def __init__(self, api):
        self.api = api
        self.domains = []

    def domain(self, **attrs):
        name = unique_name()
        body = {"domain": name, "description": "contract test", "aliases": 400, "mailboxes": 10,
                "defquota": 1024, "maxquota": 2048, "quota": 4096, "active": 1,
                # The automatic DKIM key is made either way; 1024 bits keeps key generation cheap.
                "key_size": 1024, **attrs}
        self.domains.append(body["domain"].lower())
        self.api.ok("add/domain", body)
        return body["domain"].lower()

    def mailbox(self, domain, local_part="user", **attrs):
        body = {"local_part": local_part, "domain": domain, "name": local_part.title(), "password": PASSWORD,
                "password2": PASSWORD, "quota": 512, "active": 1, **attrs}
        self.api.ok("add/mailbox", body)
        return f"{local_part}@{domain}"

    def alias(self, address, goto, **attrs):
        entries = self.api.ok("add/alias", {"address": address, "goto": goto, "active": 1, **attrs})
        return entries[-1]["msg"][2]

    def cleanup(self):
        for domain in self.domains:
            listed = self.api.get_json(f"get/mailbox/all/{domain}")
            mailboxes = [m["username"] for m in (listed or []) if m["domain"] == domain]
            if mailboxes:
                self.api.post("delete/mailbox", mailboxes)
            self.api.post("delete/domain", [domain])
            self.api.post("delete/dkim", [domain])


def start_private_emulator(tmp_path, *args, scheme="http"):
    """A separate emulator process for tests that need special keys, TLS or a wipeable state."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(tmp_path / f"emulator-{port}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.mailcow_api", "--listen", f"127.0.0.1:{port}", "--state",
         str(tmp_path / "state.sqlite"), *args], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start: {(tmp_path / f'emulator-{port}.log').read_text()}")
            time.sleep(0.05)
    return process, f"{scheme}://127.0.0.1:{port}"
