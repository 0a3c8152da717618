"""The role's app passwords and domain administrator in real ansible-playbook runs against the emulator:
provisioned with generated secrets, listed by name on the setup sheet, idempotent, in drift, rotated only
by name, removed by deprovisioning, and never in any output."""

import pytest
import requests

from sandbox.mailcow_api.objects import verify_hash
from tests.reliability.conftest import provisioned_with

CLIENTS = {"acme": {"client_domain": "acmecorp.com", "client_domain_admin": True,
                    "client_app_passwords": [{"name": "phone", "protocols": ["smtp", "imap"]},
                                             {"name": "calendar", "protocols": ["dav"]}]}}
MAILBOX = "acme@acmecorp.com"
ADMIN = "acmecorp.com-admin"


@pytest.fixture
def provisioned(workspace):
    return provisioned_with(workspace, CLIENTS)


def mailcow_get(space, path):
    response = requests.get("%s/api/v1/get/%s" % (space.target.url, path),
                            headers={"X-API-Key": space.target.api_key}, timeout=30)
    response.raise_for_status()
    return response.json()


def app_passwords(space):
    """{name: (protocols, hash)} as Mailcow holds them."""
    rows = mailcow_get(space, "app-passwd/all/" + MAILBOX)
    return {row["name"]: (sorted(k[:-7] for k in row if k.endswith("_access") and row[k]), row["password"])
            for row in (rows or [])}


def test_app_passwords_and_domain_admin_are_provisioned_with_the_stored_secrets(provisioned):
    stored = provisioned.stored_credentials("acme")
    held = app_passwords(provisioned)
    protocols = {name: protocols for name, (protocols, _hash) in held.items()}
    assert protocols == {"phone": ["imap", "smtp"], "calendar": ["dav"]}
    assert verify_hash(held["phone"][1], stored["app_password_phone"])
    assert verify_hash(held["calendar"][1], stored["app_password_calendar"])
    admin = mailcow_get(provisioned, "domain-admin/" + ADMIN)
    assert admin["selected_domains"] == ["acmecorp.com"] and admin["active"] == 1
    assert "domain_admin_password" in stored


def test_the_setup_sheet_names_them_without_their_secrets(provisioned):
    sheet = provisioned.setup_sheet("acme")
    assert "`phone`: imap, smtp (password `app_password_phone`)" in sheet
    assert "`calendar`: dav" in sheet
    assert "`%s`" % ADMIN in sheet
    assert provisioned.leaks() == []


def test_a_second_run_and_the_drift_check_change_nothing_and_leak_nothing(provisioned):
    again = provisioned.run()
    assert again.rc == 0 and "changed=0" in again.stdout, again.output[-3000:]
    drift = provisioned.run("provision_client.yml", "--check", "--diff")
    assert drift.rc == 0 and "changed=0" in drift.stdout, drift.output[-3000:]
    assert provisioned.leaks() == []


def test_an_app_password_changed_behind_our_back_is_drift_and_a_run_repairs_it(provisioned):
    phone_id = mailcow_get(provisioned, "app-passwd/all/" + MAILBOX)[0]["id"]
    requests.post("%s/api/v1/edit/app-passwd" % provisioned.target.url, headers={"X-API-Key": provisioned.target.api_key},
                  json={"items": [str(phone_id)], "attr": {"username": MAILBOX, "protocols": ["pop3_access"]}},
                  timeout=30).raise_for_status()
    drift = provisioned.run("provision_client.yml", "--check", "--diff")
    assert drift.rc == 0 and "changed=1" in drift.stdout, drift.output[-3000:]
    assert app_passwords(provisioned)["phone"][0] == ["pop3"]
    repair = provisioned.run()
    assert repair.rc == 0
    assert app_passwords(provisioned)["phone"][0] == ["imap", "smtp"]


def test_rotate_all_leaves_app_passwords_and_rotating_one_by_name_replaces_it(provisioned):
    before = provisioned.stored_credentials("acme")
    everything = provisioned.run("rotate_credentials.yml", client="acme", extra_vars={"rotate": "all"})
    assert everything.rc == 0, everything.output[-3000:]
    after_all = provisioned.stored_credentials("acme")
    assert after_all["app_password_phone"] == before["app_password_phone"]
    assert after_all["mailbox_password"] != before["mailbox_password"]
    phone = provisioned.run("rotate_credentials.yml", client="acme", extra_vars={"rotate": "app_password_phone"})
    assert phone.rc == 0, phone.output[-3000:]
    after = provisioned.stored_credentials("acme")
    assert after["app_password_phone"] != before["app_password_phone"]
    assert after["app_password_calendar"] == before["app_password_calendar"]
    held = app_passwords(provisioned)
    assert verify_hash(held["phone"][1], after["app_password_phone"])
    assert not verify_hash(held["phone"][1], before["app_password_phone"])
    assert provisioned.leaks() == []


def test_deprovisioning_without_deleting_mail_removes_app_passwords_and_the_domain_admin(provisioned):
    gone = provisioned.run("deprovision_client.yml", client="acme", extra_vars={"confirm": "acme"})
    assert gone.rc == 0, gone.output[-3000:]
    assert app_passwords(provisioned) == {}
    assert mailcow_get(provisioned, "domain-admin/" + ADMIN) == {}
    assert mailcow_get(provisioned, "mailbox/" + MAILBOX)["active"] == 0
    assert provisioned.leaks() == []
