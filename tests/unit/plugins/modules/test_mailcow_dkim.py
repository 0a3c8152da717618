"""mailcow_dkim run through main() with the HTTP transport scripted."""

from ansible_collections.securenexus.provisioning.plugins.modules import mailcow_dkim
from tests.unit.plugins.module_utils.mailcow_fakes import (
    FakeMailcow,
    danger,
    dkim_record,
    domain_record,
    run_module,
    success,
)

GET = "get/dkim/a.org"


def run(fake, **kwargs):
    args = {"domain": "a.org"}
    args.update(kwargs.pop("args", {}))
    return run_module(mailcow_dkim.main, args, fake, **kwargs)


def test_key_made_by_mailcow_with_the_domain_is_kept_and_its_record_returned():
    fake = FakeMailcow().get(GET, dkim_record(pubkey="PUB"))
    run_result = run(fake)
    assert run_result.result["changed"] is False
    assert run_result.result["dkim"] == {"domain": "a.org", "selector": "dkim", "key_size": 2048,
                                         "record_name": "dkim._domainkey.a.org",
                                         "record_value": "v=DKIM1;k=rsa;t=s;s=email;p=PUB"}


def test_missing_key_is_created():
    fake = FakeMailcow().get(GET, {}, dkim_record("s1", "1024"))
    fake.post("add/dkim", success("dkim_added", "a.org"))
    run_result = run(fake, args={"selector": "s1", "key_size": 1024})
    assert fake.writes[0].body == {"domains": "a.org", "dkim_selector": "s1", "key_size": 1024}
    assert run_result.result["dkim"]["record_name"] == "s1._domainkey.a.org"


def test_create_in_check_mode_cannot_know_the_record_value():
    fake = FakeMailcow().get(GET, {}).get("get/domain/a.org", domain_record("a.org"))
    run_result = run(fake, check_mode=True)
    assert fake.writes == []
    assert run_result.result["dkim"]["record_value"] is None
    assert run_result.result["dkim"]["record_name"] == "dkim._domainkey.a.org"


def test_check_mode_for_a_domain_yet_to_be_created_predicts_the_key_mailcow_creates_with_it():
    fake = FakeMailcow().get(GET, {}).get("get/domain/a.org", {})
    run_result = run(fake, check_mode=True)
    assert run_result.result["changed"] is False
    assert run_result.result["dkim"] == {"domain": "a.org", "selector": "dkim", "key_size": 2048,
                                         "record_name": "dkim._domainkey.a.org", "record_value": None}
    assert "Mailcow creates its DKIM key (selector dkim, 2048 bits) together with it" in run_result.result["msg"]


def test_check_mode_for_a_domain_yet_to_be_created_with_another_selector_predicts_the_refusal():
    fake = FakeMailcow().get(GET, {}).get("get/domain/a.org", {})
    run_result = run(fake, args={"selector": "s2026"}, check_mode=True)
    assert run_result.failed
    assert "force: true" in run_result.result["msg"]


def test_other_selector_without_force_fails_and_explains_why():
    fake = FakeMailcow().get(GET, dkim_record())
    run_result = run(fake, args={"selector": "s2026"})
    assert run_result.failed
    assert "fails DKIM checks until the DNS record s2026._domainkey.a.org" in run_result.result["msg"]
    assert "force: true" in run_result.result["msg"]
    assert fake.writes == []


def test_other_size_with_force_replaces_the_key():
    fake = FakeMailcow().get(GET, dkim_record(), dkim_record(length="4096"))
    fake.post("delete/dkim", success("dkim_removed", "a.org"))
    fake.post("add/dkim", success("dkim_added", "a.org"))
    run_result = run(fake, args={"key_size": 4096, "force": True})
    assert [(w.path, w.body) for w in fake.writes] == [
        ("delete/dkim", ["a.org"]), ("add/dkim", {"domains": "a.org", "dkim_selector": "dkim", "key_size": 4096})]
    assert run_result.result["dkim"]["key_size"] == 4096


def test_a_key_made_with_another_selector_and_size_is_kept_when_neither_is_set():
    """Unset means unmanaged: no default selector or size is compared with the existing key."""
    fake = FakeMailcow().get(GET, dkim_record("s2025", "1024"))
    run_result = run(fake)
    assert not run_result.failed, run_result.result.get("msg")
    assert run_result.result["changed"] is False and fake.writes == []
    assert (run_result.result["dkim"]["selector"], run_result.result["dkim"]["key_size"]) == ("s2025", 1024)


def test_replacing_only_the_size_keeps_the_current_selector():
    fake = FakeMailcow().get(GET, dkim_record("s2025", "1024"), dkim_record("s2025", "4096"))
    fake.post("delete/dkim", success("dkim_removed", "a.org"))
    fake.post("add/dkim", success("dkim_added", "a.org"))
    run(fake, args={"key_size": 4096, "force": True})
    assert fake.writes[1].body == {"domains": "a.org", "dkim_selector": "s2025", "key_size": 4096}


def test_domain_unknown_to_mailcow_is_explained():
    fake = FakeMailcow().get(GET, {})
    fake.post("add/dkim", danger("access_denied", "a.org"))
    run_result = run(fake)
    assert run_result.result["msg"] == ("cannot create DKIM key of a.org: access_denied: "
                                        "a.org is neither a Mailcow domain nor an alias domain")


def test_absent_key_deletion_changes_nothing():
    fake = FakeMailcow().get(GET, {})
    assert run(fake, args={"state": "absent"}).result["changed"] is False
    assert fake.writes == []


def test_invalid_selector_fails_before_any_request():
    fake = FakeMailcow()
    run_result = run(fake, args={"selector": "bad selector"})
    assert "selector" in run_result.result["msg"]
    assert fake.calls == []


def test_failure_after_the_old_key_was_deleted_reports_the_change():
    fake = FakeMailcow().get(GET, dkim_record())
    fake.post("delete/dkim", success("dkim_removed", "a.org"))
    fake.post("add/dkim", danger("dkim_domain_or_sel_invalid", "a.org"))
    run_result = run(fake, args={"selector": "new", "force": True})
    assert run_result.failed
    assert run_result.result["changed"] is True
    assert "cannot create DKIM key of a.org: dkim_domain_or_sel_invalid" in run_result.result["msg"]
