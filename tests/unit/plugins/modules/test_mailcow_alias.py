"""mailcow_alias run through main() with the HTTP transport scripted."""

from urllib.error import URLError

from ansible_collections.securenexus.provisioning.plugins.modules import mailcow_alias
from tests.unit.plugins.module_utils.mailcow_fakes import (
    FakeMailcow,
    alias_record,
    danger,
    run_module,
    success,
)

ADDRESS = "support@a.org"
GET = "get/alias/support@a.org"


def run(fake, **kwargs):
    args = {"address": ADDRESS}
    args.update(kwargs.pop("args", {}))
    return run_module(mailcow_alias.main, args, fake, **kwargs)


def test_create_sends_goto_as_a_string_and_active_visible_by_default():
    fake = FakeMailcow().get(GET, {}, alias_record(ADDRESS, "a@a.org,b@x.org"))
    fake.post("add/alias", success("alias_added", ADDRESS, "7"))
    run_result = run(fake, args={"address": "Support@A.org", "goto": ["b@x.org", "A@a.org"]})
    assert fake.writes[0].body == {"address": ADDRESS, "goto": "a@a.org,b@x.org", "active": 1, "sogo_visible": 1}
    assert run_result.result["alias"] == {"id": 7, "address": ADDRESS, "goto": ["a@a.org", "b@x.org"],
                                          "active": True, "sogo_visible": True}


def test_reordered_and_recased_goto_is_no_change():
    fake = FakeMailcow().get(GET, alias_record(ADDRESS, "b@x.org,a@a.org"))
    run_result = run(fake, args={"goto": ["A@a.org", "b@x.org"]})
    assert run_result.result["changed"] is False
    assert len(fake.calls) == 1


def test_existing_inactive_alias_is_left_alone_when_active_is_not_set():
    fake = FakeMailcow().get(GET, alias_record(ADDRESS, "a@a.org", active=0, sogo_visible=0))
    run_result = run(fake, args={"goto": ["a@a.org"]})
    assert run_result.result["changed"] is False


def test_update_edits_by_id_with_only_the_changes():
    fake = FakeMailcow().get(GET, alias_record(ADDRESS, "a@a.org"), alias_record(ADDRESS, "a@a.org", active=0))
    fake.post("edit/alias", success("alias_modified", ADDRESS))
    run(fake, args={"active": False})
    assert fake.writes[0].body == {"items": ["7"], "attr": {"active": 0}}


def test_special_destination_is_created_with_its_flag():
    fake = FakeMailcow().get(GET, {}, alias_record(ADDRESS, "null@localhost"))
    fake.post("add/alias", success("alias_added", ADDRESS, "7"))
    run(fake, args={"goto": ["null@localhost"]})
    assert fake.writes[0].body == {"address": ADDRESS, "goto_null": 1, "active": 1, "sogo_visible": 1}


def test_editing_an_alias_with_a_special_destination_resends_its_flag():
    fake = FakeMailcow().get(GET, alias_record(ADDRESS, "spam@localhost"),
                             alias_record(ADDRESS, "spam@localhost", active=0))
    fake.post("edit/alias", success("alias_modified", ADDRESS))
    run(fake, args={"active": False})
    assert fake.writes[0].body == {"items": ["7"], "attr": {"active": 0, "goto_spam": 1}}


def test_special_destination_mixed_with_addresses_is_refused_before_any_request():
    fake = FakeMailcow()
    run_result = run(fake, args={"goto": ["null@localhost", "a@a.org"]})
    assert "null@localhost must be the only destination" in run_result.result["msg"]
    assert fake.calls == []


def test_goto_entry_that_is_not_an_address_fails_before_any_request():
    fake = FakeMailcow()
    run_result = run(fake, args={"goto": ["a@a.org", "nobody"]})
    assert run_result.result["msg"] == "goto: 'nobody' is not an e-mail address"
    assert fake.calls == []


def test_create_without_goto_fails_naming_it():
    fake = FakeMailcow().get(GET, {})
    run_result = run(fake, args={"active": True})
    assert "goto is required" in run_result.result["msg"]
    assert fake.writes == []


def test_lookup_answer_for_another_address_counts_as_absent():
    # Mailcow matches the path against ids too: "1x@a.org" can return the alias with id 1.
    fake = FakeMailcow().get("get/alias/1x@a.org", alias_record("other@a.org", "a@a.org", 1))
    run_result = run(fake, args={"address": "1x@a.org", "goto": ["a@a.org"]}, check_mode=True)
    assert run_result.result["changed"] is True
    assert run_result.result["alias"]["id"] is None


def test_catch_all_address_is_accepted():
    fake = FakeMailcow().get("get/alias/@a.org", alias_record("@a.org", "a@a.org"))
    run_result = run(fake, args={"address": "@a.org", "goto": ["a@a.org"]})
    assert run_result.result["changed"] is False


def test_existing_mailbox_address_refusal_is_explained():
    fake = FakeMailcow().get(GET, {})
    fake.post("add/alias", danger("is_alias_or_mailbox", ADDRESS))
    run_result = run(fake, args={"goto": ["a@a.org"]})
    assert run_result.result["msg"] == ("cannot create alias support@a.org: is_alias_or_mailbox: "
                                        "support@a.org already exists as an alias or a mailbox")


def test_dropped_connection_after_the_alias_was_added_is_no_failure_and_no_duplicate():
    fake = FakeMailcow().get(GET, {}, alias_record(ADDRESS, "a@a.org"))
    fake.post("add/alias", URLError(ConnectionResetError()))
    run_result = run(fake, args={"goto": ["a@a.org"]})
    assert not run_result.failed and run_result.result["changed"] is True
    assert len(fake.writes) == 1


def test_delete_uses_the_id_and_absent_alias_changes_nothing():
    fake = FakeMailcow().get(GET, alias_record(ADDRESS, "a@a.org"), {})
    fake.post("delete/alias", success("alias_removed", ADDRESS))
    assert run(fake, args={"state": "absent"}).result["changed"] is True
    assert fake.writes[0].body == ["7"]
    again = FakeMailcow().get(GET, {})
    assert run(again, args={"state": "absent"}).result == {"changed": False, "alias": {}, "failed": False}


# -- several aliases in one task (addresses) ---------------------------------------------------

INFO = "info@a.org"


def run_batch(fake, addresses, **kwargs):
    args = {"addresses": addresses, "goto": ["box@a.org"]}
    args.update(kwargs.pop("args", {}))
    return run_module(mailcow_alias.main, args, fake, **kwargs)


def test_addresses_read_each_alias_once_and_create_only_the_missing_one():
    fake = FakeMailcow().get(GET, alias_record(ADDRESS, "box@a.org"))
    fake.get("get/alias/info@a.org", {}, alias_record(INFO, "box@a.org", 8))
    fake.post("add/alias", success("alias_added", INFO, "8"))
    run_result = run_batch(fake, [ADDRESS, INFO])
    assert [w.path for w in fake.writes] == ["add/alias"]
    assert [(a["address"], a["changed"], a["alias"]["id"]) for a in run_result.result["aliases"]] == [
        (ADDRESS, False, 7), (INFO, True, 8)]
    assert run_result.result["changed"] is True


def test_addresses_all_as_wanted_is_no_change_and_one_read_each():
    fake = FakeMailcow().get(GET, alias_record(ADDRESS, "box@a.org"))
    fake.get("get/alias/info@a.org", alias_record(INFO, "box@a.org", 8))
    run_result = run_batch(fake, [ADDRESS, INFO], check_mode=True)
    assert run_result.result["changed"] is False
    assert len(fake.reads) == 2 and fake.writes == []


def test_addresses_diff_has_one_entry_per_alias_headed_by_its_address():
    fake = FakeMailcow().get(GET, alias_record(ADDRESS, "box@a.org"))
    fake.get("get/alias/info@a.org", {})
    diff = run_batch(fake, [ADDRESS, INFO], check_mode=True, diff=True).result["diff"]
    assert [(d["before_header"], d["after_header"]) for d in diff] == [(ADDRESS, ADDRESS), (INFO, INFO)]
    assert diff[0]["before"] == diff[0]["after"]
    assert diff[1]["before"] == {} and diff[1]["after"]["address"] == INFO


def test_an_address_listed_twice_fails_before_any_request():
    fake = FakeMailcow()
    run_result = run_batch(fake, [ADDRESS, "Support@A.org"])
    assert run_result.result["msg"] == "addresses: support@a.org is listed more than once"
    assert fake.calls == []


def test_an_invalid_address_among_several_fails_before_any_request():
    fake = FakeMailcow()
    run_result = run_batch(fake, [ADDRESS, "not-an-address"])
    assert run_result.failed and "not-an-address" in run_result.result["msg"]
    assert fake.calls == []


def test_a_refused_write_keeps_what_was_done_and_names_the_aliases_not_attempted():
    fake = FakeMailcow().get(GET, {}, alias_record(ADDRESS, "box@a.org"))
    fake.get("get/alias/info@a.org", {})
    fake.post("add/alias", success("alias_added", ADDRESS, "7"), danger("is_alias_or_mailbox", INFO))
    run_result = run_batch(fake, [ADDRESS, INFO, "sales@a.org"])
    assert run_result.failed and run_result.result["changed"] is True
    assert [a["address"] for a in run_result.result["aliases"]] == [ADDRESS]
    assert run_result.result["msg"].startswith("cannot create alias info@a.org: is_alias_or_mailbox")
    assert run_result.result["msg"].endswith("; not attempted: sales@a.org")
    assert "get/alias/sales@a.org" not in [r.path for r in fake.reads]


def test_an_empty_list_of_addresses_manages_nothing():
    fake = FakeMailcow()
    assert run_batch(fake, []).result == {"changed": False, "aliases": [], "failed": False}
    assert fake.calls == []


def test_address_and_addresses_together_are_refused():
    fake = FakeMailcow()
    run_result = run_batch(fake, [INFO], args={"address": ADDRESS})
    assert run_result.failed and "mutually exclusive: address|addresses" in run_result.result["msg"]
    assert fake.calls == []
