"""mailcow_mailbox run through main() with the HTTP transport scripted."""

from urllib.error import URLError

from ansible_collections.securenexus.provisioning.plugins.modules import mailcow_mailbox
from tests.unit.plugins.module_utils.mailcow_fakes import (
    API_KEY,
    MIB,
    PASSWORD,
    FakeMailcow,
    danger,
    domain_record,
    mailbox_record,
    run_module,
    success,
)

ADDRESS = "demo@a.org"
GET = "get/mailbox/demo@a.org"


def run(fake, **kwargs):
    args = {"address": ADDRESS}
    args.update(kwargs.pop("args", {}))
    return run_module(mailcow_mailbox.main, args, fake, **kwargs)


def creatable(domain=None):
    fake = FakeMailcow().get(GET, {}, mailbox_record(ADDRESS, quota=2048 * MIB))
    fake.get("get/domain/a.org", domain or domain_record("a.org", def_quota_for_mbox=2048 * MIB,
                                                         max_quota_for_mbox=4096 * MIB))
    fake.post("add/mailbox", success("rl_saved", ADDRESS) + success("mailbox_added", ADDRESS))
    return fake


def test_create_uses_the_domain_default_quota_and_sends_the_password_twice():
    fake = creatable()
    run_result = run(fake, args={"password": PASSWORD, "name": "Demo User"})
    assert run_result.result["changed"] is True
    body = fake.writes[0].body
    assert body["quota"] == 2048
    assert body["password"] == body["password2"] == PASSWORD
    assert (body["local_part"], body["domain"], body["name"], body["active"]) == ("demo", "a.org", "Demo User", 1)
    assert run_result.result["mailbox"]["quota"] == 2048


def test_create_by_local_part_and_domain_lower_cases_them():
    fake = creatable()
    run_module(mailcow_mailbox.main, {"local_part": "DEMO", "domain": "A.org", "password": PASSWORD}, fake)
    assert fake.writes[0].body["local_part"] == "demo"


def test_quota_zero_means_unlimited_and_is_sent_as_zero():
    fake = creatable()
    run(fake, args={"password": PASSWORD, "quota": 0})
    assert fake.writes[0].body["quota"] == 0


def test_create_without_password_fails_naming_the_option_and_writes_nothing():
    fake = FakeMailcow().get(GET, {})
    run_result = run(fake, args={"name": "Demo"})
    assert run_result.failed
    assert "password is required" in run_result.result["msg"]
    assert fake.writes == []


def test_create_in_a_missing_domain_fails_before_writing():
    fake = FakeMailcow().get(GET, {}).get("get/domain/a.org", {})
    run_result = run(fake, args={"password": PASSWORD})
    assert run_result.failed
    assert "the domain a.org does not exist" in run_result.result["msg"]
    assert fake.writes == []


def test_check_mode_in_a_missing_domain_predicts_the_mailbox_with_the_given_quota():
    fake = FakeMailcow().get(GET, {}).get("get/domain/a.org", {})
    run_result = run(fake, args={"password": PASSWORD, "quota": 3072, "name": "Demo User"}, check_mode=True,
                     diff=True)
    assert not run_result.failed
    assert run_result.result["changed"] is True
    assert run_result.result["mailbox"] == {
        "address": ADDRESS, "local_part": "demo", "domain": "a.org", "name": "Demo User", "quota": 3072,
        "active": True, "force_pw_update": False, "sogo_access": True, "tags": []}
    assert run_result.result["diff"] == {"before": {}, "after": run_result.result["mailbox"]}
    assert run_result.result["msg"] == ("mailbox demo@a.org would be created after its domain a.org, which does not "
                                        "exist yet and would have to be created first")
    assert fake.writes == []


def test_check_mode_in_a_missing_domain_without_quota_says_the_quota_is_unknown():
    fake = FakeMailcow().get(GET, {}).get("get/domain/a.org", {})
    run_result = run(fake, args={"password": PASSWORD}, check_mode=True)
    assert run_result.result["changed"] is True
    assert run_result.result["mailbox"]["quota"] is None
    assert "domain a.org, which does not exist yet" in run_result.result["msg"]
    assert "quota would be the domain's default quota, unknown until the domain exists" in run_result.result["msg"]
    assert PASSWORD not in str(run_result.result)


def test_quota_above_the_domain_maximum_fails_in_check_mode_like_mailcow_would():
    fake = creatable()
    run_result = run(fake, args={"password": PASSWORD, "quota": 8192}, check_mode=True)
    assert run_result.result["msg"] == ("cannot create mailbox demo@a.org: mailbox_quota_exceeded: "
                                        "at most 4096 MiB per mailbox in this domain")
    assert fake.writes == []


def test_create_in_check_mode_predicts_the_mailbox_and_writes_nothing():
    fake = creatable()
    run_result = run(fake, args={"password": PASSWORD}, check_mode=True, diff=True)
    assert fake.writes == []
    assert run_result.result["mailbox"] == {
        "address": ADDRESS, "local_part": "demo", "domain": "a.org", "name": "demo", "quota": 2048,
        "active": True, "force_pw_update": False, "sogo_access": True, "tags": []}
    assert run_result.result["diff"] == {"before": {}, "after": run_result.result["mailbox"]}


def test_existing_mailbox_with_password_on_create_costs_one_read():
    fake = FakeMailcow().get(GET, mailbox_record(ADDRESS))
    run_result = run(fake, args={"password": PASSWORD, "quota": 3072, "name": "Demo User"})
    assert run_result.result["changed"] is False
    assert len(fake.calls) == 1


def test_update_password_always_reports_change_and_never_shows_the_password():
    fake = FakeMailcow().get(GET, mailbox_record(ADDRESS))
    fake.post("edit/mailbox", success("mailbox_modified", ADDRESS))
    run_result = run(fake, args={"password": PASSWORD, "update_password": "always"}, diff=True)
    assert run_result.result["changed"] is True
    assert fake.writes[0].body == {"items": [ADDRESS], "attr": {"password": PASSWORD, "password2": PASSWORD}}
    assert run_result.result["diff"]["after"]["password"] == "(changed)"
    assert "password" not in run_result.result["mailbox"]
    assert PASSWORD not in run_result.output and API_KEY not in run_result.output


def test_lost_answer_to_a_password_change_fails_because_it_cannot_be_verified():
    fake = FakeMailcow().get(GET, mailbox_record(ADDRESS))
    fake.post("edit/mailbox", URLError(ConnectionResetError()))
    run_result = run(fake, args={"password": PASSWORD, "update_password": "always"})
    assert run_result.failed
    assert PASSWORD not in run_result.output


def test_refused_password_never_leaks_through_the_echoed_log():
    fake = FakeMailcow().get(GET, {}).get("get/domain/a.org", domain_record("a.org"))
    fake.post("add/mailbox", [{"type": "danger", "log": ["mailbox", "add", {"password": PASSWORD}],
                               "msg": "password_complexity"}])
    run_result = run(fake, args={"password": PASSWORD})
    assert "password_complexity" in run_result.result["msg"]
    assert PASSWORD not in run_result.output


def test_change_in_check_mode_shows_only_the_prediction():
    fake = FakeMailcow().get(GET, mailbox_record(ADDRESS))
    run_result = run(fake, args={"quota": 4096, "active": False}, check_mode=True, diff=True)
    assert fake.writes == []
    assert run_result.result["mailbox"]["quota"] == 4096
    assert run_result.result["diff"]["before"]["quota"] == 3072
    assert run_result.result["diff"]["after"]["active"] is False


def test_update_sends_changed_options_in_mib():
    fake = FakeMailcow().get(GET, mailbox_record(ADDRESS), mailbox_record(ADDRESS, quota=4096 * MIB))
    fake.post("edit/mailbox", success("mailbox_modified", ADDRESS))
    run(fake, args={"quota": 4096, "name": "Demo User"})
    assert fake.writes[0].body == {"items": [ADDRESS], "attr": {"quota": 4096}}


def test_delete_reads_only_the_mailbox_whatever_the_size_of_its_domain():
    """Mailcow cannot list the aliases of one destination; listing the whole domain grows with it."""
    fake = FakeMailcow().get(GET, mailbox_record(ADDRESS), {})
    fake.post("delete/mailbox", success("mailbox_removed", ADDRESS))
    run_result = run(fake, args={"state": "absent"})
    assert run_result.result["changed"] is True
    assert {c.path for c in fake.calls if c.method == "GET"} == {GET}
    assert [w.path for w in fake.writes] == ["delete/mailbox"]


def test_delete_of_a_mailbox_gone_meanwhile_is_not_a_failure():
    fake = FakeMailcow().get(GET, mailbox_record(ADDRESS), {})
    fake.post("delete/mailbox", danger("access_denied"))
    run_result = run(fake, args={"state": "absent"})
    assert not run_result.failed
    assert run_result.result["changed"] is False


def test_invalid_address_fails_before_any_request():
    fake = FakeMailcow()
    run_result = run(fake, args={"address": "no-at-sign"})
    assert "address: 'no-at-sign' is not an e-mail address" in run_result.result["msg"]
    assert fake.calls == []


def test_negative_quota_fails_before_any_request():
    fake = FakeMailcow()
    run_result = run(fake, args={"quota": -5})
    assert run_result.result["msg"] == "quota must be at least 0, got -5"
    assert fake.calls == []


def test_address_and_local_part_together_are_refused():
    fake = FakeMailcow()
    run_result = run(fake, args={"local_part": "demo"})
    assert run_result.failed and "mutually exclusive" in run_result.result["msg"]
    assert fake.calls == []
