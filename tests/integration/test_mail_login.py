"""The role's login proof: real ansible-playbook runs, a real Dovecot asking the emulator as Mailcow's does.

Emulator only: the real Mailcow API runs without a Dovecot here, and the Dovecot -> mailcowauth.php
path exists only in the emulator (sandbox/mailcow_api/auth.py).
"""

import json

import pytest

from tests.integration.conftest import start_client_stack, stop_client_stack
from tests.integration.test_drift import drift_check, mailcow_post, secrets_of

pytestmark = pytest.mark.emulator_only

CLIENTS = {"acme": {"client_display_name": "ACME Corporation", "client_domain": "acmecorp.com",
                    "client_plan": "professional"}}
ACME = "acme@acmecorp.com"
CHANGED = "Changed-Behind-0ur-Back"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = start_client_stack(tmp_path_factory.mktemp("mail-login"), CLIENTS)
    yield stack
    stop_client_stack(stack)


@pytest.fixture
def provisioned(stack):
    """acme provisioned, its mailbox holding the stored password again, the counters at zero."""
    run = stack.run("provision_client.yml", "-e", "client=acme", "-e", "client_mail_login_check=false")
    assert run.rc == 0, run.output
    set_password(stack, stack.credentials("acme")["mailbox_password"])
    stack.mailcow.control.reset_counters()
    return stack


def set_password(stack, password):
    mailcow_post(stack, "edit/mailbox", {"items": [ACME], "attr": {"password": password, "password2": password}})


def logins_asked(stack):
    return stack.mailcow.control.counters()["by_route"].get("POST mailcowauth", 0)


def test_provisioning_proves_the_stored_password_with_one_login(provisioned):
    run = provisioned.run("provision_client.yml", "-e", "client=acme")
    assert run.rc == 0, run.output
    assert "Mail login | Log in to the client's mailbox once" in run.output
    assert logins_asked(provisioned) == 1
    assert not [secret for secret in secrets_of(provisioned, ["acme"]) if secret in run.output]


def test_a_password_changed_behind_our_back_is_drift_naming_the_mailbox(provisioned):
    set_password(provisioned, CHANGED)
    check = drift_check(provisioned)
    assert check.status("acme") == "drifted", check.output
    entry = check.summary["acme"]["mail_login"]
    assert entry["status"] == "drifted"
    assert ACME in entry["msg"] and "refused" in entry["msg"]
    assert (entry["before"], entry["after"]) == ({"login": "refused"}, {"login": "ok"})
    assert logins_asked(provisioned) == 1
    assert not [secret for secret in [CHANGED, *secrets_of(provisioned, ["acme"])] if secret in check.raw + check.output]


def test_a_refused_password_fails_the_client_after_exactly_one_attempt(provisioned):
    set_password(provisioned, CHANGED)
    run = provisioned.run("provision_client.yml", "-e", "client=acme")
    assert run.rc != 0
    assert f"refused the password of {ACME}" in run.output and "127.0.0.1:" in run.output
    assert logins_asked(provisioned) == 1
    assert not [secret for secret in [CHANGED, *secrets_of(provisioned, ["acme"])] if secret in run.output]


def test_a_rotation_promotes_the_new_password_only_after_it_logged_in(provisioned):
    old = provisioned.credentials("acme")["mailbox_password"]
    run = provisioned.run("rotate_credentials.yml", "-e", "client=acme", "-e", "rotate=mailbox_password")
    assert run.rc == 0, run.output
    new = provisioned.credentials("acme")
    assert new["mailbox_password"] != old and "rotation_pending" not in new
    assert logins_asked(provisioned) == 1
    assert provisioned.mailcow.control.verify(ACME, new["mailbox_password"])


def test_a_rotation_whose_new_password_is_refused_keeps_it_pending(provisioned):
    # IMAP switched off for the mailbox: Mailcow takes the new password, its Dovecot refuses the login.
    mailcow_post(provisioned, "edit/mailbox", {"items": [ACME], "attr": {"protocol_access": ["smtp"]}})
    old = provisioned.credentials("acme")["mailbox_password"]
    try:
        run = provisioned.run("rotate_credentials.yml", "-e", "client=acme", "-e", "rotate=mailbox_password")
    finally:
        mailcow_post(provisioned, "edit/mailbox", {"items": [ACME], "attr": {
            "protocol_access": ["imap", "pop3", "smtp", "sieve"]}})
    assert run.rc != 0
    stored = provisioned.credentials("acme")
    assert stored["mailbox_password"] == old
    assert list(stored["rotation_pending"]) == ["mailbox_password"], json.dumps(list(stored))
    assert logins_asked(provisioned) == 1
