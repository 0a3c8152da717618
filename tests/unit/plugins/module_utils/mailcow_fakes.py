"""A scripted stand-in for http_open in _mailcow, canned Mailcow records, and a module runner.

The records copy the shapes of the real exchanges in /work/shared/mailcow/transcripts.md.
"""

import io
import json
from unittest import mock
from urllib.error import HTTPError

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.securenexus.provisioning.plugins.module_utils import _mailcow

API_KEY = "UNITKEY-aaaa-bbbb-cccc-000000000042"
PASSWORD = "Unit-test-Passw0rd-that-must-never-leak"
API_URL = "https://mail.example.org"
MIB = 1024 * 1024


class Call:
    def __init__(self, method, path, body, headers, options):
        self.method = method
        self.path = path
        self.body = body
        self.headers = headers
        self.options = options

    def __repr__(self):
        return "%s %s %r" % (self.method, self.path, self.body)


class FakeResponse:
    def __init__(self, body):
        self._body = body

    def read(self):
        return self._body


def reply(data):
    """A 200 answer with this JSON (or raw bytes as they are)."""
    return data if isinstance(data, bytes) else json.dumps(data).encode()


def http_error(code, data=None):
    body = b"<html>error</html>" if data is None else json.dumps(data).encode()
    return HTTPError("https://mail.example.org/api/v1/x", code, "error", {}, io.BytesIO(body))


def success(key, *args):
    return [{"type": "success", "log": ["x", "y", {"password": "*"}], "msg": [key, *args] if args else key}]


def danger(key, *args):
    return [{"type": "danger", "log": ["x", "y", {"echo": "request"}], "msg": [key, *args] if args else key}]


class FakeMailcow:
    """Answers http_open from a script: (method, path) -> answers, consumed in order, the last one repeating.

    An answer is bytes (the body) or an exception to raise. Unscripted requests fail the test.
    """

    def __init__(self):
        self.routes = {}
        self.calls = []

    def on(self, method, path, *answers):
        self.routes[(method, path)] = [a if isinstance(a, Exception) else reply(a) for a in answers]
        return self

    def get(self, path, *answers):
        return self.on("GET", path, *answers)

    def post(self, path, *answers):
        return self.on("POST", path, *answers)

    def __call__(self, url, data=None, headers=None, method=None, **options):
        assert url.startswith(API_URL + "/api/v1/"), url
        path = url[len(API_URL + "/api/v1/"):]
        self.calls.append(Call(method, path, json.loads(data) if data else None, headers, options))
        answers = self.routes.get((method, path))
        if answers is None:
            raise AssertionError("unexpected request %s %s" % (method, path))
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return FakeResponse(answer)

    @property
    def reads(self):
        return [c for c in self.calls if c.method == "GET"]

    @property
    def writes(self):
        return [c for c in self.calls if c.method == "POST"]


def domain_record(name, **fields):
    record = {
        "max_new_mailbox_quota": 10240 * MIB, "def_new_mailbox_quota": 3072 * MIB, "quota_used_in_domain": "0",
        "bytes_total": 0, "msgs_total": 0, "mboxes_in_domain": 0, "mboxes_left": 10,
        "domain_name": name, "domain_h_name": name, "description": name,
        "max_num_aliases_for_domain": 400, "max_num_mboxes_for_domain": 10,
        "def_quota_for_mbox": 3072 * MIB, "max_quota_for_mbox": 10240 * MIB, "max_quota_for_domain": 10240 * MIB,
        "relayhost": "0", "backupmx": 0, "backupmx_int": 0, "gal": 1, "gal_int": 1, "rl": False,
        "active": 1, "active_int": 1, "relay_all_recipients": 0, "relay_all_recipients_int": 0,
        "relay_unknown_only": 0, "relay_unknown_only_int": 0, "created": "2026-11-23 21:34:01", "modified": None,
        "aliases_in_domain": 0, "aliases_left": 400, "domain_admins": "-",
    }
    record.update(fields)
    return record


def mailbox_record(address, **fields):
    local_part, _at, domain = address.partition("@")
    attributes = {"force_pw_update": "0", "force_tfa": "0", "sogo_access": "1", "imap_access": "1",
                  "passwd_update": "2026-11-23 21:34:04", "quarantine_notification": "hourly"}
    attributes.update(fields.pop("attributes", {}))
    record = {
        "username": address, "active": 1, "active_int": 1, "domain": domain, "name": "Demo User",
        "local_part": local_part, "quota": 3072 * MIB, "messages": 0, "attributes": attributes,
        "custom_attributes": [], "quota_used": 0, "percent_in_use": 0, "authsource": "mailcow",
        "max_new_quota": 10240 * MIB, "rl": False, "sender_acl": [],
    }
    record.update(fields)
    return record


def alias_record(address, goto, alias_id=7, **fields):
    record = {
        "in_primary_domain": "", "id": alias_id, "domain": address.partition("@")[2], "public_comment": None,
        "private_comment": None, "goto": goto, "address": address, "is_catch_all": 0, "internal": 0,
        "active": 1, "active_int": 1, "sogo_visible": 1, "sogo_visible_int": 1, "sender_allowed": 0,
        "created": "2026-11-23 21:34:07", "modified": None,
    }
    record.update(fields)
    return record


def dkim_record(selector="dkim", length="2048", pubkey="MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAt8DDoK2rp"):
    return {"pubkey": pubkey, "length": length, "dkim_txt": "v=DKIM1;k=rsa;t=s;s=email;p=" + pubkey,
            "dkim_selector": selector, "privkey": ""}


class ModuleRun:
    def __init__(self, result, warnings, failed):
        self.result = result
        self.warnings = warnings
        self.failed = failed

    @property
    def output(self):
        """Everything the module handed back, as one string (to look for secrets in)."""
        return json.dumps(self.result) + json.dumps(self.warnings)


class _Exit(Exception):
    pass


def run_module(main, args, fake, check_mode=False, diff=False):
    """Run a module's main() against the fake, capturing the raw result before Ansible masks no_log values."""
    captured, warnings = {}, []
    module_args = {"api_url": API_URL, "api_key": API_KEY, "_ansible_check_mode": check_mode, "_ansible_diff": diff}
    module_args.update(args)

    def finish(failed):
        def handler(self, **kwargs):
            captured.update(kwargs, failed=failed)
            raise _Exit()
        return handler

    with patch_module_args(module_args), \
            mock.patch.object(_mailcow, "http_open", fake), \
            mock.patch.object(_mailcow.time, "sleep"), \
            mock.patch.object(AnsibleModule, "exit_json", finish(False)), \
            mock.patch.object(AnsibleModule, "fail_json", finish(True)), \
            mock.patch.object(AnsibleModule, "warn", lambda self, message: warnings.append(message)):
        try:
            main()
        except _Exit:
            pass
    return ModuleRun(captured, warnings, captured.get("failed"))
