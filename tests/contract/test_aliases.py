"""Aliases (CONTRACT.md "Aliases")."""

import pytest
from mailcow_contract import last_msg, unique_name

EXTERNAL = "someone@external-example.net"


@pytest.fixture
def domain(sandbox):
    return sandbox.domain()


def test_add_alias_reports_the_new_id_as_a_string(api, domain):
    """[#65]"""
    body = {"address": f"support@{domain}", "goto": EXTERNAL, "active": "1"}
    entry = api.post("add/alias", body).json()[-1]
    assert entry["log"] == ["mailbox", "add", "alias", body, None]
    assert entry["msg"][:2] == ["alias_added", f"support@{domain}"] and isinstance(entry["msg"][2], str)
    assert api.get_json(f"get/alias/{entry['msg'][2]}")["id"] == int(entry["msg"][2])
    api.post("delete/alias", [entry["msg"][2]])


@pytest.mark.parametrize("mailbox", [False, True])
def test_adding_an_existing_alias_or_mailbox_address_is_is_alias_or_mailbox(api, sandbox, domain, mailbox):
    """[#66, #71]"""
    address = sandbox.mailbox(domain, "demo") if mailbox else f"support@{domain}"
    if not mailbox:
        sandbox.alias(address, EXTERNAL)
    assert last_msg(api.post("add/alias", {"address": address, "goto": EXTERNAL, "active": "1"})) == \
        ["is_alias_or_mailbox", address]


def test_alias_with_several_gotos_stores_them_comma_joined(api, sandbox, domain):
    """[#67, #74]"""
    alias_id = sandbox.alias(f"team@{domain}", f"a@{domain}, b@{domain};{EXTERNAL}")
    assert api.get_json(f"get/alias/{alias_id}")["goto"] == f"a@{domain},b@{domain},{EXTERNAL}"


def test_goto_as_a_json_array_is_an_empty_200_and_adds_nothing(api, domain):
    """[#68] PHP TypeError."""
    response = api.post("add/alias", {"address": f"arr@{domain}", "goto": [EXTERNAL], "active": "1"})
    assert (response.status_code, response.content) == (200, b"")
    assert api.get_json(f"get/alias/arr@{domain}") == {}


def test_add_alias_in_unknown_domain_is_domain_not_found(api):
    """[#69]"""
    name = unique_name("absent")
    assert last_msg(api.post("add/alias", {"address": f"info@{name}", "goto": EXTERNAL})) == ["domain_not_found", name]


def test_add_alias_with_invalid_goto_is_goto_invalid(api, domain):
    """[#70] Mailcow rebuilds the goto as local@domain, so "not-an-address" is reported as "@"."""
    assert api.post("add/alias", {"address": f"badgoto@{domain}", "goto": "not-an-address", "active": "1"}).json() \
        == [{"type": "danger", "log": ["mailbox", "add", "alias", {"address": f"badgoto@{domain}",
                                                                   "goto": "not-an-address", "active": "1"}, None],
             "msg": ["goto_invalid", "@"]}]


def test_catch_all_alias(api, sandbox, domain):
    """[#72]"""
    alias_id = sandbox.alias(f"@{domain}", EXTERNAL)
    alias = api.get_json(f"get/alias/{alias_id}")
    assert (alias["address"], alias["is_catch_all"]) == (f"@{domain}", 1)


def test_alias_flags_left_out_become_zero(api, domain):
    """[#73, #74] active and sogo_visible omitted => 0."""
    alias_id = last_msg(api.post("add/alias", {"address": f"noactive@{domain}", "goto": EXTERNAL}))[2]
    alias = api.get_json(f"get/alias/{alias_id}")
    assert (alias["active"], alias["active_int"], alias["sogo_visible"], alias["sogo_visible_int"]) == (0, 0, 0, 0)
    api.post("delete/alias", [alias_id])


def test_get_alias_fields_and_lookup_by_id_or_address(api, sandbox, domain):
    """[#74, #75, #76] The path element matches the id or the address (case-insensitively)."""
    alias_id = sandbox.alias(f"support@{domain}", EXTERNAL, sogo_visible=1)
    by_id = api.get_json(f"get/alias/{alias_id}")
    assert by_id == api.get_json(f"get/alias/support@{domain}") == api.get_json(f"get/alias/SUPPORT@{domain}")
    assert by_id == {"in_primary_domain": "", "id": int(alias_id), "domain": domain, "public_comment": None,
                     "private_comment": None, "goto": EXTERNAL, "address": f"support@{domain}", "is_catch_all": 0,
                     "internal": 0, "active": 1, "active_int": 1, "sogo_visible": 1, "sogo_visible_int": 1,
                     "sender_allowed": 0, "created": by_id["created"], "modified": None}


def test_get_unknown_alias_is_an_empty_object(api):
    """[#77]"""
    assert api.get_json("get/alias/999999999") == {}


def test_per_domain_alias_listing(api, sandbox, domain):
    """[#78, #79, #80] A list for the domain; {} without aliases or for an unknown domain."""
    assert api.get_json(f"get/alias/all/{domain}") == {}
    assert api.get_json(f"get/alias/all/{unique_name('absent')}") == {}
    alias_id = sandbox.alias(f"support@{domain}", EXTERNAL)
    assert [a["id"] for a in api.get_json(f"get/alias/all/{domain}")] == [int(alias_id)]
    assert int(alias_id) in [a["id"] for a in api.get_json("get/alias/all")]


@pytest.mark.parametrize("how", ["string id", "int id", "address"])
def test_edit_alias_by_id_or_address(api, sandbox, domain, how):
    """[#81, #82, #83, #84]"""
    alias_id = sandbox.alias(f"support@{domain}", EXTERNAL)
    item = {"string id": alias_id, "int id": int(alias_id), "address": f"support@{domain}"}[how]
    response = api.post("edit/alias", {"items": [item], "attr": {"goto": f"other@{domain}", "active": "0"}})
    assert response.json() == [{"type": "success", "log": ["mailbox", "edit", "alias", {
        "id": [item], "goto": f"other@{domain}", "active": "0"}, None], "msg": ["alias_modified", f"support@{domain}"]}]
    alias = api.get_json(f"get/alias/{alias_id}")
    assert (alias["goto"], alias["active"]) == (f"other@{domain}", 0) and alias["modified"] is not None


def test_edit_unknown_alias_is_alias_invalid(api):
    """[#85]"""
    assert last_msg(api.post("edit/alias", {"items": ["999999999"], "attr": {"active": "0"}})) == \
        ["alias_invalid", None]


def test_edit_alias_can_change_the_address(api, sandbox, domain):
    """[#86]"""
    alias_id = sandbox.alias(f"team@{domain}", EXTERNAL)
    assert last_msg(api.post("edit/alias", {"items": [alias_id], "attr": {"address": f"team2@{domain}"}})) == \
        ["alias_modified", f"team2@{domain}"]
    assert api.get_json(f"get/alias/{alias_id}")["address"] == f"team2@{domain}"


def test_edit_alias_goto_list_is_stored_without_spaces(api, sandbox, domain):
    """[#87, #88]"""
    alias_id = sandbox.alias(f"list@{domain}", EXTERNAL)
    api.ok("edit/alias", {"items": [alias_id], "attr": {"goto": f"a@{domain}, b@{domain}"}})
    assert api.get_json(f"get/alias/{alias_id}")["goto"] == f"a@{domain},b@{domain}"


def test_special_goto_edit_without_its_flag_changes_nothing_yet_reports_modified(api, sandbox, domain):
    """goto_null: stored as null@localhost; an edit must resend the flag (code-notes 6.2)."""
    alias_id = sandbox.alias(f"discard@{domain}", "", goto_null=1)
    assert api.get_json(f"get/alias/{alias_id}")["goto"] == "null@localhost"
    entries = api.post("edit/alias", {"items": [alias_id], "attr": {"active": "0"}}).json()
    assert [entry["msg"] for entry in entries] == [["goto_invalid", "null@localhost"],
                                                   ["alias_modified", f"discard@{domain}"]]
    assert api.get_json(f"get/alias/{alias_id}")["active"] == 1


@pytest.mark.parametrize("how", ["string id", "int id", "address"])
def test_delete_alias_by_id_or_address(api, sandbox, domain, how):
    """[#89, #91, #92]"""
    alias_id = sandbox.alias(f"gone@{domain}", EXTERNAL)
    item = {"string id": alias_id, "int id": int(alias_id), "address": f"gone@{domain}"}[how]
    assert api.post("delete/alias", [item]).json() == [
        {"type": "success", "log": ["mailbox", "delete", "alias", {"id": [item]}, None],
         "msg": ["alias_removed", f"gone@{domain}"]}]
    assert api.get_json(f"get/alias/{alias_id}") == {}


def test_delete_alias_with_items_object_is_access_denied(api, sandbox, domain):
    """[#90]"""
    alias_id = sandbox.alias(f"kept@{domain}", EXTERNAL)
    assert last_msg(api.post("delete/alias", {"items": [alias_id]})) == "access_denied"
    assert api.get_json(f"get/alias/{alias_id}")["address"] == f"kept@{domain}"


def test_delete_unknown_alias_is_access_denied(api):
    """[#93]"""
    assert last_msg(api.post("delete/alias", ["999999999"])) == "access_denied"


def test_add_alias_with_empty_object_is_alias_empty(api):
    """[#140] An empty JSON object is echoed as [] in the log."""
    assert api.post("add/alias", {}).json() == [{"type": "danger", "log": ["mailbox", "add", "alias", [], None],
                                                 "msg": "alias_empty"}]
