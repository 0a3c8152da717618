"""Domains (CONTRACT.md "Domains", "Response shapes", "Request shapes")."""

import pytest
from mailcow_contract import last_msg, unique_name

MIB = 1048576


def test_add_domain_reports_dkim_added_then_domain_added(api, sandbox):
    """[#14] Several entries; the operation's own result is the last one."""
    name = unique_name()
    sandbox.domains.append(name)
    body = {"domain": name, "description": "Demo", "aliases": "400", "mailboxes": "50", "defquota": "1024",
            "maxquota": "1024", "quota": "10240", "active": "1"}
    entries = api.post("add/domain", body).json()
    assert [entry["msg"] for entry in entries] == [["dkim_added", name], ["domain_added", name]]
    assert entries[0]["log"] == ["dkim", "add", {"key_size": 2048, "dkim_selector": "dkim", "domains": name}]
    assert entries[1]["log"] == ["mailbox", "add", "domain", body, None]


@pytest.mark.parametrize("spelling", [str.lower, str.upper])
def test_adding_an_existing_domain_is_domain_exists_in_any_case(api, sandbox, spelling):
    """[#15, #16] The name is lower-cased before the check."""
    name = sandbox.domain()
    assert last_msg(api.post("add/domain", {"domain": spelling(name)})) == ["domain_exists", name]


def test_get_domain_reports_bytes_and_mailcow_field_types(api, sandbox):
    """[#17] MiB in, bytes out; quota_used_in_domain is a string; flags are ints; no input names."""
    name = sandbox.domain(description="Demo", defquota=1024, maxquota=2048, quota=4096)
    domain = api.get_json(f"get/domain/{name}")
    assert domain["domain_name"] == domain["domain_h_name"] == name
    assert (domain["def_quota_for_mbox"], domain["max_quota_for_mbox"], domain["max_quota_for_domain"]) == \
        (1024 * MIB, 2048 * MIB, 4096 * MIB)
    assert (domain["max_new_mailbox_quota"], domain["def_new_mailbox_quota"]) == (2048 * MIB, 1024 * MIB)
    assert domain["quota_used_in_domain"] == "0"
    assert (domain["mboxes_in_domain"], domain["mboxes_left"], domain["aliases_in_domain"],
            domain["aliases_left"]) == (0, 10, 0, 400)
    assert (domain["active"], domain["active_int"], domain["gal"], domain["backupmx"]) == (1, 1, 1, 0)
    assert domain["relayhost"] == "0" and domain["rl"] is False and domain["domain_admins"] == "-"
    assert domain["modified"] is None and "tags" not in domain
    assert not {"aliases", "mailboxes", "defquota", "maxquota", "quota"} & set(domain)


def test_get_all_domains_lists_domain_objects(api, sandbox):
    """[#19] An array of the same objects."""
    name = sandbox.domain()
    listed = api.get_json("get/domain/all")
    assert isinstance(listed, list)
    assert [d for d in listed if d["domain_name"] == name][0] == api.get_json(f"get/domain/{name}")


def test_get_unknown_domain_is_an_empty_object(api):
    """[#20]"""
    assert api.get_json(f"get/domain/{unique_name('absent')}") == {}


def test_add_domain_with_invalid_name_is_domain_invalid(api):
    """[#21]"""
    assert last_msg(api.post("add/domain", {"domain": "bad domain", "defquota": "1024", "maxquota": "1024",
                                            "quota": "2048"})) == "domain_invalid"


@pytest.mark.parametrize("quotas,msg", [
    ({"defquota": "1024", "maxquota": "4096", "quota": "2048"}, "mailbox_quota_exceeds_domain_quota"),
    ({"defquota": "4096", "maxquota": "2048", "quota": "8192"}, "mailbox_defquota_exceeds_mailbox_maxquota"),
    ({"defquota": "1024", "maxquota": "2048", "quota": "lots"}, "mailbox_quota_exceeds_domain_quota"),
])
def test_add_domain_quota_validation(api, quotas, msg):
    """[#22, #23, #24] Non-numeric values are cast with (int): "lots" is 0."""
    name = unique_name()
    response = api.post("add/domain", {"domain": name, **quotas})
    assert response.json() == [{"type": "danger", "log": ["mailbox", "add", "domain", {"domain": name, **quotas}, None],
                                "msg": msg}]
    assert api.get_json(f"get/domain/{name}") == {}


def test_add_domain_with_only_a_name_takes_the_default_template(api, sandbox):
    """[#25, #26] 400 aliases, 10 mailboxes, 3072/10240/10240 MiB, active, description = name."""
    name = unique_name()
    sandbox.domains.append(name)
    assert last_msg(api.post("add/domain", {"domain": name})) == ["domain_added", name]
    domain = api.get_json(f"get/domain/{name}")
    assert (domain["max_num_aliases_for_domain"], domain["max_num_mboxes_for_domain"]) == (400, 10)
    assert (domain["def_quota_for_mbox"], domain["max_quota_for_mbox"], domain["max_quota_for_domain"]) == \
        (3072 * MIB, 10240 * MIB, 10240 * MIB)
    assert (domain["active"], domain["description"]) == (1, name)


def test_add_domain_accepts_json_ints(api, sandbox):
    """[#27]"""
    name = sandbox.domain(aliases=10, mailboxes=5, defquota=1024, maxquota=2048, quota=4096, active=1)
    assert api.get_json(f"get/domain/{name}")["max_num_mboxes_for_domain"] == 5


def test_edit_domain_changes_attributes_and_sets_modified(api, sandbox):
    """[#28, #29] items array + attr object; log carries "domain" first."""
    name = sandbox.domain()
    response = api.post("edit/domain", {"items": [name], "attr": {"description": "edited", "quota": "8192",
                                                                  "maxquota": "4096"}})
    assert response.json() == [{"type": "success", "log": ["mailbox", "edit", "domain", {
        "domain": [name], "description": "edited", "quota": "8192", "maxquota": "4096"}, None],
        "msg": ["domain_modified", name]}]
    domain = api.get_json(f"get/domain/{name}")
    assert (domain["description"], domain["max_quota_for_domain"], domain["max_quota_for_mbox"]) == \
        ("edited", 8192 * MIB, 4096 * MIB)
    assert domain["modified"] is not None


def test_edit_domain_accepts_items_as_a_string(api, sandbox):
    """[#30]"""
    name = sandbox.domain()
    assert last_msg(api.post("edit/domain", {"items": name, "attr": {"description": "string item"}})) == \
        ["domain_modified", name]
    assert api.get_json(f"get/domain/{name}")["description"] == "string item"


def test_edit_unknown_domain_is_domain_invalid(api):
    """[#31]"""
    assert last_msg(api.post("edit/domain", {"items": [unique_name("absent")], "attr": {"description": "x"}})) == \
        "domain_invalid"


def test_edit_domain_maxquota_above_quota_is_refused(api, sandbox):
    """[#32]"""
    name = sandbox.domain()
    assert last_msg(api.post("edit/domain", {"items": [name], "attr": {"maxquota": "999999", "quota": "4096"}})) == \
        "mailbox_quota_exceeds_domain_quota"


def test_edit_domain_without_items_is_task_completed_and_does_nothing(api):
    """[#33] No message at all: the generic object, not an array."""
    assert api.post("edit/domain", {"attr": {"description": "x"}}).json() == \
        {"type": "success", "msg": "Task completed"}


def test_edit_domain_without_attr_is_accepted(api, sandbox):
    """[#34]"""
    name = sandbox.domain()
    assert last_msg(api.post("edit/domain", {"items": [name]})) == ["domain_modified", name]


def test_deactivated_domain_still_accepts_mailboxes(api, sandbox):
    """[#35, #36, #50]"""
    name = sandbox.domain()
    api.ok("edit/domain", {"items": [name], "attr": {"active": "0"}})
    assert api.get_json(f"get/domain/{name}")["active"] == 0
    assert sandbox.mailbox(name) == f"user@{name}"


def test_edit_domain_quota_below_allocated_mailbox_is_max_quota_in_use(api, sandbox):
    """[#64] The argument is the largest mailbox's MiB, as a string."""
    name = sandbox.domain()
    sandbox.mailbox(name, quota=2048)
    assert last_msg(api.post("edit/domain", {"items": [name], "attr": {"quota": "1000", "maxquota": "1000",
                                                                       "defquota": "500"}})) == \
        ["max_quota_in_use", "2048"]


def test_domain_counts_mailboxes_and_allocated_quota(api, sandbox):
    """[#57] quota_used_in_domain is the sum of allocated mailbox quotas (string bytes)."""
    name = sandbox.domain()
    sandbox.mailbox(name, "a", quota=512)
    sandbox.mailbox(name, "b", quota=1024)
    domain = api.get_json(f"get/domain/{name}")
    assert domain["quota_used_in_domain"] == str(1536 * MIB)
    assert (domain["mboxes_in_domain"], domain["mboxes_left"]) == (2, 8)
    assert domain["max_new_mailbox_quota"] == 2048 * MIB


def test_delete_domain_with_mailboxes_is_domain_not_empty(api, sandbox):
    """[#106]"""
    name = sandbox.domain()
    sandbox.mailbox(name)
    assert last_msg(api.post("delete/domain", [name])) == ["domain_not_empty", name]
    assert api.get_json(f"get/domain/{name}") != {}


def test_delete_domain_removes_its_aliases_but_not_its_dkim_key(api, sandbox):
    """[#117, #118, #125]"""
    name = sandbox.domain()
    alias_id = sandbox.alias(f"info@{name}", "someone@external-example.net")
    assert last_msg(api.post("delete/domain", [name])) == ["domain_removed", name]
    assert api.get_json(f"get/domain/{name}") == {}
    assert api.get_json(f"get/alias/{alias_id}") == {}
    assert api.get_json(f"get/dkim/{name}")["dkim_selector"] == "dkim"


def test_re_adding_a_domain_reuses_the_left_over_dkim_key(api, sandbox):
    """[#119] domain_add_dkim_available instead of dkim_added."""
    name = sandbox.domain()
    key = api.get_json(f"get/dkim/{name}")["pubkey"]
    api.ok("delete/domain", [name])
    entries = api.ok("add/domain", {"domain": name})
    assert [entry["msg"] for entry in entries] == ["domain_add_dkim_available", ["domain_added", name]]
    assert api.get_json(f"get/dkim/{name}")["pubkey"] == key


def test_delete_unknown_domain_still_reports_domain_removed(api):
    """[#121]"""
    name = unique_name("absent")
    assert api.post("delete/domain", [name]).json()[0] == {
        "type": "success", "log": ["mailbox", "delete", "domain", {"domain": [name]}, None],
        "msg": ["domain_removed", name]}


def test_delete_domain_with_items_object_is_an_empty_200_and_deletes_nothing(api, sandbox):
    """[#115, #116] PHP TypeError swallowed by Mailcow."""
    name = sandbox.domain()
    response = api.post("delete/domain", {"items": [name]})
    assert (response.status_code, response.content) == (200, b"")
    assert api.get_json(f"get/domain/{name}")["domain_name"] == name


def test_delete_with_an_empty_array_is_task_completed(api):
    """[#122]"""
    assert api.post("delete/domain", []).json() == {"type": "success", "msg": "Task completed"}


def test_domain_tags_show_only_when_present_and_filter_the_listing(api, sandbox):
    """Tags: absent key without tags; ?tags= filters get/domain/all."""
    tagged = sandbox.domain(tags=["contract-tag-a"])
    plain = sandbox.domain()
    assert api.get_json(f"get/domain/{tagged}")["tags"] == ["contract-tag-a"]
    listed = [d["domain_name"] for d in api.get_json("get/domain/all?tags=contract-tag-a")]
    assert tagged in listed and plain not in listed
