"""The emulator's password hashes and its passdb endpoint (mailcowauth.php), in process: the emulator's own code, so
emulator only; tests/contract/test_mailcowauth.py checks the same decisions against the real PHP."""

import datetime
import json

import pytest
from werkzeug.test import Client

from sandbox.mailcow_api.api import ApiKey, create_app
from sandbox.mailcow_api.store import Store

pytestmark = pytest.mark.emulator_only

KEY = "AUTH-TEST-KEY-1"
PASSWORD = "Mailbox-Passw0rd"
APP_PASSWORD = "App-Passw0rd-phone"
USER = "anna@auth-test.example"
LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}


class Emulator:
    def __init__(self, path):
        self.store = Store(path)
        self.client = Client(create_app(self.store, [ApiKey(KEY)]))

    def api(self, route, body):
        response = self.client.post(f"/api/v1/{route}", json=body, headers={"X-API-Key": KEY},
                                    environ_base=LOOPBACK)
        assert all(entry["type"] == "success" for entry in response.get_json()), response.get_data(as_text=True)

    def login(self, username=USER, password=PASSWORD, service="imap", real_rip="127.0.0.1"):
        body = {"username": username, "password": password, "real_rip": real_rip, "service": service}
        response = self.client.post("/mailcowauth.php", data=json.dumps(body), environ_base=LOOPBACK)
        return response.status_code, response.get_json()

    def stored_hash(self, username=USER):
        with self.store.connection() as conn:
            return conn.execute("SELECT password FROM mailbox WHERE username = ?", (username,)).fetchone()[0]

    def add_app_password(self, password, **flags):
        # The app-password API is not part of this test: the row is written as Mailcow's table holds it.
        from sandbox.mailcow_api.objects import hash_password
        with self.store.write() as conn:
            conn.execute("INSERT INTO app_passwd (name, mailbox, domain, password, created, imap_access, smtp_access,"
                         " active) VALUES ('phone', ?, 'auth-test.example', ?, ?, ?, ?, ?)",
                         (USER, hash_password(password), datetime.datetime.now().isoformat(),
                          flags.get("imap_access", 1), flags.get("smtp_access", 1), flags.get("active", 1)))


@pytest.fixture
def emulator(tmp_path):
    emulator = Emulator(tmp_path / "state.db")
    emulator.api("add/domain", {"domain": "auth-test.example"})
    emulator.api("add/mailbox", {"local_part": "anna", "domain": "auth-test.example", "password": PASSWORD,
                                 "password2": PASSWORD, "active": 1})
    return emulator


def test_a_new_mailbox_password_is_stored_as_blf_crypt_like_mailcow(emulator):
    assert emulator.stored_hash().startswith("{BLF-CRYPT}$2y$10$")


def test_a_password_that_names_a_scheme_is_stored_as_given(emulator):
    given = "{PLAIN}Given-Passw0rd"
    emulator.api("edit/mailbox", {"items": [USER], "attr": {"password": given, "password2": given}})
    assert emulator.stored_hash() == "{PLAIN}Given-Passw0rd"
    assert emulator.login(password="Given-Passw0rd") == (200, {"success": True})


def test_the_mailbox_password_logs_in(emulator):
    assert emulator.login() == (200, {"success": True})


def test_the_address_is_matched_without_regard_to_case(emulator):
    assert emulator.login(username="Anna@Auth-Test.example") == (200, {"success": True})


def test_a_wrong_password_is_401(emulator):
    assert emulator.login(password="not-the-password") == (401, {"success": False})


def test_an_unknown_mailbox_is_401(emulator):
    assert emulator.login(username="nobody@auth-test.example") == (401, {"success": False})


@pytest.mark.parametrize("missing", ["username", "password", "real_rip"])
def test_a_request_without_username_password_or_address_is_400(emulator, missing):
    body = {"username": USER, "password": PASSWORD, "real_rip": "127.0.0.1", "service": "imap"}
    del body[missing]
    response = emulator.client.post("/mailcowauth.php", data=json.dumps(body), environ_base=LOOPBACK)
    assert (response.status_code, response.get_json()) == (400, {"success": False})


def test_a_malformed_username_is_refused_before_any_lookup(emulator):
    assert emulator.login(username="anna auth-test") == (401, {"success": False})


def test_an_inactive_mailbox_does_not_log_in(emulator):
    emulator.api("edit/mailbox", {"items": [USER], "attr": {"active": 0}})
    assert emulator.login() == (401, {"success": False})


def test_a_mailbox_whose_login_is_disallowed_does_not_log_in(emulator):
    emulator.api("edit/mailbox", {"items": [USER], "attr": {"active": 2}})
    assert emulator.login() == (401, {"success": False})


def test_a_mailbox_of_an_inactive_domain_does_not_log_in(emulator):
    emulator.api("edit/domain", {"items": ["auth-test.example"], "attr": {"active": 0}})
    assert emulator.login() == (401, {"success": False})


def test_a_protocol_switched_off_refuses_that_protocol_only(emulator):
    emulator.api("edit/mailbox", {"items": [USER], "attr": {"protocol_access": ["smtp"]}})
    assert emulator.login(service="imap") == (401, {"success": False})
    assert emulator.login(service="smtp") == (200, {"success": True})


def test_a_request_without_a_service_skips_the_protocol_check(emulator):
    emulator.api("edit/mailbox", {"items": [USER], "attr": {"protocol_access": ["smtp"]}})
    assert emulator.login(service=None) == (200, {"success": True})


def test_an_app_password_logs_in_for_its_protocols(emulator):
    emulator.add_app_password(APP_PASSWORD, imap_access=1)
    assert emulator.login(password=APP_PASSWORD, service="imap") == (200, {"success": True})


def test_an_app_password_without_the_protocol_flag_is_refused(emulator):
    emulator.add_app_password(APP_PASSWORD, imap_access=0)
    assert emulator.login(password=APP_PASSWORD, service="imap") == (401, {"success": False})
    assert emulator.login(password=APP_PASSWORD, service="smtp") == (200, {"success": True})


def test_an_inactive_app_password_is_refused(emulator):
    emulator.add_app_password(APP_PASSWORD, active=0)
    assert emulator.login(password=APP_PASSWORD) == (401, {"success": False})


def test_an_app_password_of_an_inactive_mailbox_is_refused(emulator):
    emulator.add_app_password(APP_PASSWORD)
    emulator.api("edit/mailbox", {"items": [USER], "attr": {"active": 0}})
    assert emulator.login(password=APP_PASSWORD) == (401, {"success": False})


def test_an_app_password_ignores_the_mailbox_protocol_attribute(emulator):
    # apppass_login() reads the app password's own flags, never the mailbox's attributes.
    emulator.api("edit/mailbox", {"items": [USER], "attr": {"protocol_access": ["smtp"]}})
    emulator.add_app_password(APP_PASSWORD, imap_access=1)
    assert emulator.login(password=APP_PASSWORD, service="imap") == (200, {"success": True})


def test_the_passdb_endpoint_answers_loopback_clients_only(emulator):
    body = {"username": USER, "password": PASSWORD, "real_rip": "192.0.2.1", "service": "imap"}
    response = emulator.client.post("/mailcowauth.php", data=json.dumps(body), environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert response.status_code == 403


def test_each_passdb_request_is_counted_apart_from_api_reads_and_writes(emulator):
    emulator.client.delete("/_sandbox/counters", environ_base=LOOPBACK)
    emulator.login()
    emulator.login(password="wrong")
    counters = emulator.client.get("/_sandbox/counters", environ_base=LOOPBACK).get_json()
    assert counters == {"reads": 0, "writes": 0, "by_route": {"POST mailcowauth": 2}}
