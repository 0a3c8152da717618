"""mailcow_domain run through main() with the HTTP transport scripted."""

from urllib.error import URLError

from ansible_collections.securenexus.provisioning.plugins.modules import mailcow_domain
from tests.unit.plugins.module_utils.mailcow_fakes import (
    API_KEY,
    MIB,
    FakeMailcow,
    danger,
    domain_record,
    run_module,
    success,
)

GET = "get/domain/a.org"


def run(fake, **kwargs):
    args = {"domain": "a.org"}
    args.update(kwargs.pop("args", {}))
    return run_module(mailcow_domain.main, args, fake, **kwargs)


def test_absent_domain_is_created_with_the_options_set_and_read_back():
    fake = FakeMailcow().get(GET, {}, domain_record("a.org", description="Demo", max_quota_for_domain=20480 * MIB))
    fake.post("add/domain", success("dkim_added", "a.org") + success("domain_added", "a.org"))
    run_result = run(fake, args={"domain": "A.org", "description": "Demo", "quota": 20480, "active": True})
    assert run_result.result["changed"] is True
    assert [w.body for w in fake.writes] == [{"domain": "a.org", "description": "Demo", "quota": 20480, "active": 1}]
    assert run_result.result["domain"]["quota"] == 20480
    assert len(fake.reads) == 2


def test_unchanged_domain_costs_one_read_and_no_write():
    fake = FakeMailcow().get(GET, domain_record("a.org", description="Demo", tags=["b", "a"], active="1"))
    run_result = run(fake, args={"description": "Demo", "defquota": 3072, "active": True, "tags": ["a", "b"]})
    assert run_result.result["changed"] is False
    assert len(fake.calls) == 1


def test_change_in_check_mode_predicts_without_writing():
    fake = FakeMailcow().get(GET, domain_record("a.org"))
    run_result = run(fake, args={"maxquota": 4096}, check_mode=True, diff=True)
    assert run_result.result["changed"] is True
    assert fake.writes == []
    assert run_result.result["domain"]["maxquota"] == 4096
    assert run_result.result["diff"]["before"]["maxquota"] == 10240
    assert run_result.result["diff"]["after"]["maxquota"] == 4096


def test_create_in_check_mode_predicts_template_defaults():
    fake = FakeMailcow().get(GET, {})
    run_result = run(fake, args={"mailboxes": 50}, check_mode=True, diff=True)
    assert fake.writes == []
    assert run_result.result["domain"] == {
        "domain": "a.org", "description": "a.org", "aliases": 400, "mailboxes": 50, "defquota": 3072,
        "maxquota": 10240, "quota": 10240, "active": True, "gal": True, "backupmx": False,
        "relay_all_recipients": False, "tags": []}
    assert run_result.result["diff"]["before"] == {}


def test_update_sends_only_changed_options():
    fake = FakeMailcow().get(GET, domain_record("a.org"), domain_record("a.org", active=0))
    fake.post("edit/domain", success("domain_modified", "a.org"))
    run_result = run(fake, args={"active": False, "gal": True})
    assert [w.body for w in fake.writes] == [{"items": ["a.org"], "attr": {"active": 0}}]
    assert run_result.result["domain"]["active"] is False


def test_tags_are_synchronised_by_removing_extras_and_appending_missing():
    fake = FakeMailcow().get(GET, domain_record("a.org", tags=["old", "keep"]),
                             domain_record("a.org", tags=["keep", "new"]))
    fake.post("delete/domain/tag/a.org", success("domain_modified", "a.org"))
    fake.post("edit/domain", success("domain_modified", "a.org"))
    run(fake, args={"tags": ["new", "keep"]})
    assert [(w.path, w.body) for w in fake.writes] == [
        ("delete/domain/tag/a.org", ["old"]), ("edit/domain", {"items": ["a.org"], "attr": {"tags": ["new"]}})]


def test_silently_dropped_edit_is_reported_as_failure():
    fake = FakeMailcow().get(GET, domain_record("a.org"))
    fake.post("edit/domain", success("domain_modified", "a.org"))
    run_result = run(fake, args={"active": False})
    assert run_result.failed
    assert "still shows different active" in run_result.result["msg"]


def test_mailcow_refusal_names_operation_object_key_and_reason():
    fake = FakeMailcow().get(GET, domain_record("a.org"))
    fake.post("edit/domain", danger("max_quota_in_use", "10240"))
    run_result = run(fake, args={"maxquota": 4096})
    assert run_result.result["msg"] == ("cannot update domain a.org: max_quota_in_use: a mailbox of the domain "
                                        "already has a quota of 10240 MiB, more than the new limit")


def test_lost_answer_to_a_create_that_took_effect_is_success_without_resending():
    fake = FakeMailcow().get(GET, {}, domain_record("a.org"))
    fake.post("add/domain", URLError(ConnectionResetError()))
    run_result = run(fake)
    assert not run_result.failed
    assert run_result.result["changed"] is True
    assert len(fake.writes) == 1


def test_empty_answer_to_a_create_that_did_nothing_is_sent_again_and_then_fails():
    fake = FakeMailcow().get(GET, {})
    fake.post("add/domain", b"")
    run_result = run(fake)
    assert run_result.failed
    assert "Mailcow accepted the request but returned nothing" in run_result.result["msg"]
    assert len(fake.writes) == 3


def test_empty_answer_to_a_create_that_did_nothing_is_sent_again_and_succeeds():
    fake = FakeMailcow().get(GET, {}, {}, domain_record("a.org"))
    fake.post("add/domain", b"", success("domain_added", "a.org"))
    run_result = run(fake)
    assert not run_result.failed
    assert len(fake.writes) == 2


def test_delete_of_an_absent_domain_changes_nothing():
    fake = FakeMailcow().get(GET, {})
    run_result = run(fake, args={"state": "absent"}, diff=True)
    assert run_result.result["changed"] is False
    assert run_result.result["domain"] == {}
    assert fake.writes == []


def test_delete_sends_a_plain_array():
    fake = FakeMailcow().get(GET, domain_record("a.org"), {})
    fake.post("delete/domain", success("domain_removed", "a.org"))
    run_result = run(fake, args={"state": "absent"})
    assert run_result.result["changed"] is True
    assert fake.writes[0].body == ["a.org"]


def test_delete_of_a_domain_with_mailboxes_fails_and_says_so_even_in_check_mode():
    fake = FakeMailcow().get(GET, domain_record("a.org", mboxes_in_domain=2))
    run_result = run(fake, args={"state": "absent"}, check_mode=True)
    assert run_result.failed
    assert "domain_not_empty" in run_result.result["msg"] and "still has mailboxes" in run_result.result["msg"]
    assert fake.writes == []


def test_quota_order_is_checked_before_any_request():
    fake = FakeMailcow()
    run_result = run(fake, args={"defquota": 8192, "maxquota": 4096})
    assert run_result.result["msg"] == "defquota (8192 MiB) must not exceed maxquota (4096 MiB)"
    assert fake.calls == []


def test_invalid_domain_name_is_refused_before_any_request():
    fake = FakeMailcow()
    run_result = run(fake, args={"domain": "not a domain"})
    assert run_result.failed and "domain:" in run_result.result["msg"]
    assert fake.calls == []


def test_api_key_never_appears_in_the_output():
    fake = FakeMailcow().get(GET, domain_record("a.org"))
    fake.post("edit/domain", danger("access_denied"))
    run_result = run(fake, args={"active": False}, diff=True)
    assert API_KEY not in run_result.output


def test_maxquota_above_the_current_domain_quota_fails_before_any_write_in_check_mode_too():
    for check_mode in (True, False):
        fake = FakeMailcow().get(GET, domain_record("a.org", max_quota_for_domain=4096 * MIB,
                                                    max_quota_for_mbox=4096 * MIB))
        run_result = run(fake, args={"maxquota": 8192}, check_mode=check_mode)
        assert run_result.failed
        assert fake.writes == []
        assert run_result.result["msg"] == ("cannot update domain a.org: maxquota (8192 MiB) must not exceed "
                                            "quota (4096 MiB, the domain's current value)")


def test_quota_below_mailcows_default_maxquota_fails_before_creating():
    fake = FakeMailcow().get(GET, {})
    run_result = run(fake, args={"quota": 5000})
    assert run_result.failed
    assert fake.writes == []
    assert run_result.result["msg"] == ("cannot create domain a.org: maxquota (10240 MiB, Mailcow's default for a "
                                        "new domain) must not exceed quota (5000 MiB)")
