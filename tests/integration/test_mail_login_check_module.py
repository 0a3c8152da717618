"""mail_login_check run through main() against a real Dovecot that asks the emulator (as Mailcow's does); an
integration test (a Dovecot and the emulator), so not among the unit tests ansible-test runs."""

import json

import pytest
import requests
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from unittest import mock

from ansible_collections.securenexus.provisioning.plugins.modules import mail_login_check
from tests.conftest import free_port, start_emulator, stop_emulator
from tests.dovecot_server import start_dovecot

# Only the emulator has the passdb endpoint Dovecot asks: the real Mailcow API runs without a Dovecot here.
pytestmark = pytest.mark.emulator_only

PASSWORD = "Proof-Passw0rd-7"
WRONG = "Not-The-Passw0rd-7"
ADDRESS = "anna@login-check.example"


class Stack:
    def __init__(self, emulator, imap):
        self.emulator = emulator
        self.imap = imap

    def api(self, route, body):
        response = requests.post(f"{self.emulator.url}/api/v1/{route}", json=body,
                                 headers={"X-API-Key": self.emulator.api_key}, timeout=10)
        assert all(entry["type"] == "success" for entry in response.json()), response.text

    def logins_asked(self):
        return self.emulator.control.counters()["by_route"].get("POST mailcowauth", 0)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    emulator = start_emulator(tmp_path_factory.mktemp("login-check") / "state.sqlite")
    imap = start_dovecot(emulator.url)
    stack = Stack(emulator, imap)
    stack.api("add/domain", {"domain": "login-check.example"})
    stack.api("add/mailbox", {"local_part": "anna", "domain": "login-check.example", "password": PASSWORD,
                              "password2": PASSWORD, "active": 1})
    yield stack
    imap.stop()
    stop_emulator(emulator)


class ModuleRun:
    def __init__(self, result, warnings):
        self.result = result
        self.warnings = warnings
        self.failed = result.pop("failed")

    @property
    def output(self):
        return json.dumps(self.result) + json.dumps(self.warnings)


class _Exit(Exception):
    pass


def run(args, check_mode=False, diff=True):
    """main() with these options, capturing the raw result before Ansible masks no_log values."""
    captured, warnings = {}, []

    def finish(failed):
        def handler(self, **kwargs):
            captured.update(kwargs, failed=failed)
            raise _Exit()
        return handler

    module_args = {"_ansible_check_mode": check_mode, "_ansible_diff": diff, **args}
    with patch_module_args(module_args), \
            mock.patch.object(AnsibleModule, "exit_json", finish(False)), \
            mock.patch.object(AnsibleModule, "fail_json", finish(True)), \
            mock.patch.object(AnsibleModule, "warn", lambda self, message: warnings.append(message)):
        with pytest.raises(_Exit):
            mail_login_check.main()
    return ModuleRun(captured, warnings)


def login(stack, password=PASSWORD, **options):
    args = {"address": ADDRESS, "password": password, "host": "127.0.0.1", "port": stack.imap.port, "security": "none"}
    args.update(options)
    return args


def test_the_right_password_logs_in_and_changes_nothing(stack):
    outcome = run(login(stack))
    assert not outcome.failed
    assert (outcome.result["changed"], outcome.result["login"]) == (False, "ok")
    assert outcome.result["server"] == f"127.0.0.1:{stack.imap.port} (none)"


def test_a_refused_password_fails_naming_the_mailbox_and_server_never_the_password(stack):
    outcome = run(login(stack, WRONG))
    assert outcome.failed and outcome.result["login"] == "refused"
    assert ADDRESS in outcome.result["msg"] and f"127.0.0.1:{stack.imap.port}" in outcome.result["msg"]
    assert "Authentication failed" in outcome.result["msg"]
    assert WRONG not in outcome.output


def test_a_refused_password_is_tried_exactly_once(stack):
    asked = stack.logins_asked()
    run(login(stack, WRONG))
    assert stack.logins_asked() - asked == 1


def test_in_check_mode_a_refused_password_is_drift_with_a_diff(stack):
    outcome = run(login(stack, WRONG), check_mode=True)
    assert not outcome.failed
    assert outcome.result["changed"] is True and outcome.result["msg"].startswith("drift: ")
    assert outcome.result["diff"] == {"before": {"address": ADDRESS, "login": "refused"},
                                      "after": {"address": ADDRESS, "login": "ok"}}
    assert WRONG not in outcome.output


def test_check_mode_logs_in_too(stack):
    asked = stack.logins_asked()
    outcome = run(login(stack), check_mode=True)
    assert (outcome.result["changed"], outcome.result["login"]) == (False, "ok")
    assert stack.logins_asked() - asked == 1


def test_a_server_that_does_not_answer_fails_in_check_mode_too_without_asking_anyone(stack):
    asked = stack.logins_asked()
    outcome = run(login(stack, port=free_port()), check_mode=True)
    assert outcome.failed and outcome.result["login"] == "unknown"
    assert "cannot open an IMAP session with 127.0.0.1" in outcome.result["msg"]
    assert stack.logins_asked() == asked


def test_tls_to_a_server_without_tls_fails_before_the_password_is_sent(stack):
    asked = stack.logins_asked()
    outcome = run(login(stack, security="tls", timeout=5))
    assert outcome.failed and "cannot open an IMAP session" in outcome.result["msg"]
    assert stack.logins_asked() == asked


def test_starttls_on_a_server_without_it_fails_before_the_password_is_sent(stack):
    asked = stack.logins_asked()
    outcome = run(login(stack, security="starttls"))
    assert outcome.failed and "cannot open an IMAP session" in outcome.result["msg"]
    assert stack.logins_asked() == asked


def test_a_password_changed_behind_our_back_is_refused_at_once(stack):
    # Dovecot's auth cache is off in the sandbox: the next login sees the new password.
    assert run(login(stack)).result["login"] == "ok"
    changed = "Changed-Passw0rd-9"
    stack.api("edit/mailbox", {"items": [ADDRESS], "attr": {"password": changed, "password2": changed}})
    try:
        assert run(login(stack), check_mode=True).result["login"] == "refused"
    finally:
        stack.api("edit/mailbox", {"items": [ADDRESS], "attr": {"password": PASSWORD, "password2": PASSWORD}})


def test_without_tls_to_another_host_the_module_warns(stack):
    outcome = run(login(stack, host="localhost.invalid", timeout=2))
    assert any("clear text" in warning for warning in outcome.warnings)


def test_the_default_port_follows_the_security(stack):
    outcome = run({"address": ADDRESS, "password": PASSWORD, "host": "127.0.0.1", "timeout": 2})
    assert outcome.result["server"] == "127.0.0.1:993 (tls)"
