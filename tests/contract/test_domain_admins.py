"""Domain administrators (sandbox/mailcow_api/ACCOUNTS.md "Domain administrators")."""

import secrets

import pytest
from mailcow_contract import last_msg

ADMIN_PASSWORD = "Admin-Passw0rd-1"


@pytest.fixture
def name():
    return "da" + secrets.token_hex(5)


def add(api, username, domains, **attrs):
    return api.post("add/domain-admin", {"username": username, "password": ADMIN_PASSWORD,
                                         "password2": ADMIN_PASSWORD, "domains": domains, "active": 1, **attrs})


def test_add_then_read_shows_the_domains_and_no_password(api, sandbox, name):
    domain = sandbox.domain()
    entry = add(api, name, [domain]).json()[-1]
    assert entry["msg"] == ["domain_admin_added", name]
    assert entry["log"][2]["password"] == entry["log"][2]["password2"] == "*"
    details = api.get_json(f"get/domain-admin/{name.upper()}")
    assert details["username"] == name and details["active"] == 1
    assert details["selected_domains"] == [domain]
    assert "password" not in details and ADMIN_PASSWORD not in str(details)
    assert name in api.get_json(f"get/domain/{domain}")["domain_admins"].split(", ")


def test_an_unknown_domain_admin_reads_as_an_empty_object(api, name):
    assert api.get_json(f"get/domain-admin/{name}") == {}


@pytest.mark.parametrize("username", ["info@example.org", "x+y", ""])
def test_names_other_than_letters_digits_dot_dash_underscore_are_username_invalid(api, sandbox, username):
    assert last_msg(add(api, username, [sandbox.domain()])) == ["username_invalid", username]


def test_a_taken_name_in_any_case_or_the_superadmin_is_object_exists(api, sandbox, name):
    domain = sandbox.domain()
    add(api, name, [domain])
    assert last_msg(add(api, f" {name.upper()}", [domain])) == ["object_exists", name]
    assert last_msg(add(api, "admin", [domain])) == ["object_exists", "admin"]


def test_an_unknown_domain_is_refused_for_it_and_the_others_are_still_assigned(api, sandbox, name):
    domain = sandbox.domain()
    messages = [entry["msg"] for entry in add(api, name, ["zz-unknown.example", domain]).json()]
    assert messages == [["domain_invalid", "zz-unknown.example"], ["domain_admin_added", name]]
    assert api.get_json(f"get/domain-admin/{name}")["selected_domains"] == [domain]


def test_edit_replaces_the_domains_and_active(api, sandbox, name):
    first, second = sandbox.domain(), sandbox.domain()
    add(api, name, [first])
    entries = api.ok("edit/domain-admin", {"items": [name], "attr": {"domains": [second], "active": 0}})
    assert entries[-1]["msg"] == ["domain_admin_modified", name]
    details = api.get_json(f"get/domain-admin/{name}")
    assert (details["selected_domains"], details["active"]) == ([second], 0)


def test_edit_of_an_unknown_name_is_access_denied(api, name):
    assert last_msg(api.post("edit/domain-admin", {"items": [name], "attr": {"active": 1}})) == "access_denied"


def test_delete_removes_it_and_an_unknown_name_is_username_invalid(api, sandbox, name):
    add(api, name, [sandbox.domain()])
    assert last_msg(api.post("delete/domain-admin", [name])) == ["domain_admin_removed", name]
    assert api.get_json(f"get/domain-admin/{name}") == {}
    assert last_msg(api.post("delete/domain-admin", [name])) == ["username_invalid", name]


def test_deleting_its_only_domain_removes_the_domain_admin(api, sandbox, name):
    domain = sandbox.domain()
    add(api, name, [domain])
    api.ok("delete/domain", [domain])
    assert api.get_json(f"get/domain-admin/{name}") == {}
