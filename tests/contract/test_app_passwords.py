"""App passwords (sandbox/mailcow_api/ACCOUNTS.md "App passwords")."""

import pytest
from mailcow_contract import last_msg

APP_PASSWORD = "App-Passw0rd-1"


@pytest.fixture
def mailbox(sandbox):
    return sandbox.mailbox(sandbox.domain(), "info")


def add(api, mailbox, name="phone", protocols=("imap_access", "smtp_access"), **attrs):
    return api.post("add/app-passwd", {"username": mailbox, "app_name": name, "app_passwd": APP_PASSWORD,
                                       "app_passwd2": APP_PASSWORD, "active": 1, "protocols": list(protocols),
                                       **attrs})


def listing(api, mailbox):
    return api.get_json(f"get/app-passwd/all/{mailbox}")


def test_a_mailbox_without_app_passwords_lists_an_empty_object(api, mailbox):
    assert listing(api, mailbox) == {}


def test_add_answers_without_an_id_and_a_read_shows_the_hash_and_one_flag_per_protocol(api, mailbox):
    entry = add(api, mailbox).json()[-1]
    assert entry["msg"] == "app_passwd_added"
    assert entry["log"][2]["app_passwd"] == entry["log"][2]["app_passwd2"] == "*"
    [row] = listing(api, mailbox)
    assert row["name"] == "phone" and row["mailbox"] == mailbox and row["active"] == 1
    assert row["password"].startswith("{") and APP_PASSWORD not in row["password"]
    assert {key: row[key] for key in row if key.endswith("_access")} == {
        "imap_access": 1, "smtp_access": 1, "dav_access": 0, "eas_access": 0, "pop3_access": 0, "sieve_access": 0}


def test_the_same_name_twice_makes_two_app_passwords(api, mailbox):
    add(api, mailbox)
    add(api, mailbox, protocols=["imap_access"])
    rows = listing(api, mailbox)
    assert [row["name"] for row in rows] == ["phone", "phone"] and rows[0]["id"] < rows[1]["id"]


def test_protocol_names_other_than_the_columns_are_ignored_without_a_word(api, mailbox):
    assert last_msg(add(api, mailbox, protocols=["imap", "bogus_access"])) == "app_passwd_added"
    [row] = listing(api, mailbox)
    assert not any(row[key] for key in row if key.endswith("_access"))


def test_active_left_out_makes_an_inactive_app_password(api, mailbox):
    body = {"username": mailbox, "app_name": "tablet", "app_passwd": APP_PASSWORD, "app_passwd2": APP_PASSWORD,
            "protocols": ["imap_access"]}
    api.ok("add/app-passwd", body)
    assert listing(api, mailbox)[0]["active"] == 0


@pytest.mark.parametrize("attrs, msg", [
    ({"app_passwd": "short", "app_passwd2": "short"}, "password_complexity"),
    ({"app_passwd2": "App-Passw0rd-2"}, "password_mismatch"),
    ({"app_name": ""}, "app_name_empty"),
])
def test_refused_adds_name_the_reason_and_add_nothing(api, mailbox, attrs, msg):
    assert last_msg(add(api, mailbox, **attrs)) == msg
    assert listing(api, mailbox) == {}


def test_an_unknown_mailbox_is_access_denied(api, sandbox):
    assert last_msg(add(api, f"nobody@{sandbox.domain()}")) == "access_denied"


def test_a_name_is_html_escaped_when_stored_and_again_when_read(api, mailbox):
    add(api, mailbox, name=" <b>x</b> ")
    assert listing(api, mailbox)[0]["name"] == "&amp;lt;b&amp;gt;x&amp;lt;/b&amp;gt;"


def test_a_single_id_read_is_an_empty_answer(api, mailbox):
    add(api, mailbox)
    response = api.get(f"get/app-passwd/{listing(api, mailbox)[0]['id']}")
    assert response.status_code == 200 and response.text == ""


def test_edit_without_the_mailbox_in_attr_is_an_empty_answer_and_changes_nothing(api, mailbox):
    add(api, mailbox)
    [before] = listing(api, mailbox)
    response = api.post("edit/app-passwd", {"items": [str(before["id"])], "attr": {"protocols": ["pop3_access"]}})
    assert response.status_code == 200 and response.text == ""
    assert listing(api, mailbox) == [before]


def test_edit_with_the_mailbox_replaces_protocols_and_password(api, mailbox):
    add(api, mailbox)
    [before] = listing(api, mailbox)
    item = str(before["id"])
    entries = api.ok("edit/app-passwd", {"items": [item], "attr": {
        "username": mailbox, "protocols": ["sieve_access"], "app_passwd": "New-Passw0rd-2", "app_passwd2": "New-Passw0rd-2"}})
    assert entries[-1]["msg"] == ["object_modified", item]
    [after] = listing(api, mailbox)
    assert (after["sieve_access"], after["imap_access"], after["smtp_access"]) == (1, 0, 0)
    assert after["password"] != before["password"] and after["modified"]


def test_edit_and_delete_of_an_unknown_id_say_app_passwd_id_invalid(api, mailbox):
    assert last_msg(api.post("edit/app-passwd", {"items": ["999999"], "attr": {"username": mailbox, "active": 0}})) == \
        ["app_passwd_id_invalid", "999999"]
    assert last_msg(api.post("delete/app-passwd", ["999999"])) == "app_passwd_id_invalid"


def test_delete_takes_ids_and_deleting_the_mailbox_takes_its_app_passwords(api, sandbox, mailbox):
    add(api, mailbox)
    add(api, mailbox, name="tablet")
    first, second = (str(row["id"]) for row in listing(api, mailbox))
    assert [entry["msg"] for entry in api.ok("delete/app-passwd", [first])] == [["app_passwd_removed", first]]
    assert [row["name"] for row in listing(api, mailbox)] == ["tablet"]
    api.ok("delete/mailbox", [mailbox])
    assert last_msg(api.post("delete/app-passwd", [second])) == "app_passwd_id_invalid"
