"""The login decisions Mailcow's Dovecot gets from mailcowauth.php: the emulator's endpoint, and on the
[real] half the real server's own apppass_login()/user_login() run by PHP against its database."""

import pytest
from mailcow_contract import PASSWORD

WRONG = "Wrong-Passw0rd-1"


@pytest.fixture
def login(mailcow_api):
    return mailcow_api.control.login


def test_the_mailbox_password_is_accepted_for_imap(login, sandbox):
    assert login(sandbox.mailbox(sandbox.domain()), PASSWORD, "imap") is True


def test_a_wrong_password_is_refused(login, sandbox):
    assert login(sandbox.mailbox(sandbox.domain()), WRONG, "imap") is False


def test_an_unknown_mailbox_is_refused(login, sandbox):
    assert login(f"nobody@{sandbox.domain()}", PASSWORD, "imap") is False


def test_the_address_matches_without_regard_to_case(login, sandbox):
    assert login(sandbox.mailbox(sandbox.domain()).upper(), PASSWORD, "imap") is True


def test_an_inactive_mailbox_is_refused(api, login, sandbox):
    user = sandbox.mailbox(sandbox.domain())
    api.ok("edit/mailbox", {"items": [user], "attr": {"active": 0}})
    assert login(user, PASSWORD, "imap") is False


def test_a_mailbox_of_an_inactive_domain_is_refused(api, login, sandbox):
    domain = sandbox.domain()
    user = sandbox.mailbox(domain)
    api.ok("edit/domain", {"items": [domain], "attr": {"active": 0}})
    assert login(user, PASSWORD, "imap") is False


def test_a_protocol_switched_off_refuses_only_that_protocol(api, login, sandbox):
    user = sandbox.mailbox(sandbox.domain())
    api.ok("edit/mailbox", {"items": [user], "attr": {"protocol_access": ["smtp"]}})
    assert (login(user, PASSWORD, "imap"), login(user, PASSWORD, "smtp")) == (False, True)


def test_a_changed_password_is_refused_and_the_new_one_accepted(api, login, sandbox):
    user = sandbox.mailbox(sandbox.domain())
    api.ok("edit/mailbox", {"items": [user], "attr": {"password": WRONG, "password2": WRONG}})
    assert (login(user, PASSWORD, "imap"), login(user, WRONG, "imap")) == (False, True)
