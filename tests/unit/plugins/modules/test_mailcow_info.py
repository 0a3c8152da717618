"""The three _info modules run through main() with the HTTP transport scripted."""

from ansible_collections.securenexus.provisioning.plugins.modules import (
    mailcow_alias_info,
    mailcow_domain_info,
    mailcow_mailbox_info,
)
from tests.unit.plugins.module_utils.mailcow_fakes import (
    FakeMailcow,
    alias_record,
    domain_record,
    mailbox_record,
    run_module,
)


def test_domain_info_lists_every_domain_normalised():
    fake = FakeMailcow().get("get/domain/all", [domain_record("a.org"), domain_record("b.org")])
    run_result = run_module(mailcow_domain_info.main, {}, fake)
    assert [d["domain"] for d in run_result.result["domains"]] == ["a.org", "b.org"]
    assert run_result.result["domains"][0]["quota"] == 10240
    assert run_result.result["changed"] is False


def test_domain_info_of_an_unknown_domain_is_an_empty_list():
    fake = FakeMailcow().get("get/domain/x.org", {})
    assert run_module(mailcow_domain_info.main, {"domain": "X.org"}, fake).result["domains"] == []


def test_mailbox_info_of_an_unknown_domain_ignores_mailcow_returning_every_mailbox():
    fake = FakeMailcow().get("get/mailbox/all/x.org", [mailbox_record("demo@a.org"), mailbox_record("b@b.org")])
    assert run_module(mailcow_mailbox_info.main, {"domain": "x.org"}, fake).result["mailboxes"] == []


def test_mailbox_info_of_one_address():
    fake = FakeMailcow().get("get/mailbox/demo@a.org", mailbox_record("demo@a.org"))
    run_result = run_module(mailcow_mailbox_info.main, {"address": "Demo@a.org"}, fake, check_mode=True)
    assert [m["address"] for m in run_result.result["mailboxes"]] == ["demo@a.org"]


def test_alias_info_of_a_domain():
    fake = FakeMailcow().get("get/alias/all/a.org", [alias_record("s@a.org", "demo@a.org")])
    run_result = run_module(mailcow_alias_info.main, {"domain": "a.org"}, fake)
    assert run_result.result["aliases"] == [{"id": 7, "address": "s@a.org", "goto": ["demo@a.org"], "active": True,
                                             "sogo_visible": True}]


def test_alias_info_with_no_aliases_is_an_empty_list():
    fake = FakeMailcow().get("get/alias/all", {})
    assert run_module(mailcow_alias_info.main, {}, fake).result["aliases"] == []
