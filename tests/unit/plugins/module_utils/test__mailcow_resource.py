"""Normalisers and input checks shared by the Mailcow modules (table-driven)."""

import pytest

from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow_resource import (
    ResourceError,
    address_list,
    bytes_to_mib,
    is_address,
    is_domain,
    normalise_alias,
    normalise_dkim,
    normalise_domain,
    normalise_mailbox,
    require_min,
    tag_list,
    tag_writes,
    to_api,
    to_bool,
    to_int,
)
from tests.unit.plugins.module_utils.mailcow_fakes import (
    MIB,
    alias_record,
    dkim_record,
    domain_record,
    mailbox_record,
)


@pytest.mark.parametrize("given,expected", [
    (True, True), (False, False), (1, True), (0, False), ("1", True), ("0", False), (2, False), ("2", False),
    ("true", True), ("True", True), ("yes", True), ("false", False), ("", False), (None, None),
])
def test_to_bool(given, expected):
    assert to_bool(given) is expected


@pytest.mark.parametrize("given,expected", [
    (3072, 3072), ("3072", 3072), (" 50 ", 50), ("-1", -1), ("lots", None), (None, None), (True, None),
])
def test_to_int(given, expected):
    assert to_int(given) == expected


@pytest.mark.parametrize("given,expected", [
    (3221225472, 3072), ("4294967296", 4096), (0, 0), ("0", 0), (10240 * MIB + 1, 10240), (None, None),
])
def test_bytes_to_mib(given, expected):
    assert bytes_to_mib(given) == expected


@pytest.mark.parametrize("given,expected", [
    ("b@x.org,A@x.org", ["a@x.org", "b@x.org"]),
    (["B@x.org", "a@x.org", "b@x.org"], ["a@x.org", "b@x.org"]),
    ("a@x.org; b@x.org\nc@x.org d@x.org", ["a@x.org", "b@x.org", "c@x.org", "d@x.org"]),
    ("null@localhost", ["null@localhost"]),
    ("", []),
    (None, []),
])
def test_address_list_is_a_sorted_lower_case_set(given, expected):
    assert address_list(given) == expected


@pytest.mark.parametrize("given,expected", [(None, []), (["b", "a", "b"], ["a", "b"]), ([], [])])
def test_tag_list_is_a_sorted_set(given, expected):
    assert tag_list(given) == expected


@pytest.mark.parametrize("value,expected", [
    ("a.org", True), ("mail.byrne-accounts.org", True), ("localhost", True), ("-a.org", False),
    ("a..org", False), ("a_b.org", False), ("", False), ("a" * 64 + ".org", False),
])
def test_is_domain(value, expected):
    assert is_domain(value) is expected


@pytest.mark.parametrize("value,catch_all,expected", [
    ("demo@a.org", False, True), ("first.last+tag@a.org", False, True), ("demo", False, False),
    ("demo@", False, False), ("@a.org", False, False), ("@a.org", True, True), ("bad name@a.org", False, False),
    ("a@b@c.org", False, False), ("a,b@c.org", False, False),
])
def test_is_address(value, catch_all, expected):
    assert is_address(value, allow_catch_all=catch_all) is expected


def test_to_api_sends_flags_as_numbers():
    assert to_api({"active": True, "gal": False, "quota": 10, "name": "x"}) == {
        "active": 1, "gal": 0, "quota": 10, "name": "x"}


def test_require_min_names_the_option():
    with pytest.raises(ResourceError, match="quota must be at least 0, got -1"):
        require_min({"quota": -1}, ("quota",), 0)


def test_tag_writes_removes_extras_and_appends_missing():
    writes, missing = tag_writes("domain", "a.org", ["a", "b"], ["b", "c"])
    assert missing == ["c"]
    assert [(w.route, w.body, w.path_elements) for w in writes] == [("delete/domain/tag", ["a"], ("a.org",))]


def test_normalise_domain_converts_units_and_flags():
    raw = domain_record("A.org", description="Demo", max_quota_for_domain=102400 * MIB, gal="0", backupmx="1",
                        tags=["z", "a"])
    assert normalise_domain(raw) == {
        "domain": "a.org", "description": "Demo", "aliases": 400, "mailboxes": 10, "defquota": 3072,
        "maxquota": 10240, "quota": 102400, "active": True, "gal": False, "backupmx": True,
        "relay_all_recipients": False, "tags": ["a", "z"]}


def test_normalise_mailbox_reads_flags_from_string_attributes():
    raw = mailbox_record("Demo@a.org", quota=0, attributes={"force_pw_update": "1", "sogo_access": "0"})
    assert normalise_mailbox(raw) == {
        "address": "demo@a.org", "local_part": "demo", "domain": "a.org", "name": "Demo User", "quota": 0,
        "active": True, "force_pw_update": True, "sogo_access": False, "tags": []}


def test_normalise_alias_sorts_goto():
    raw = alias_record("s@a.org", "z@a.org,B@a.org", active=0, sogo_visible="1")
    assert normalise_alias(raw) == {"id": 7, "address": "s@a.org", "goto": ["b@a.org", "z@a.org"], "active": False,
                                    "sogo_visible": True}


def test_normalise_dkim_builds_the_dns_record():
    assert normalise_dkim("a.org", dkim_record("s1", "1024", "PUB")) == {
        "domain": "a.org", "selector": "s1", "key_size": 1024, "record_name": "s1._domainkey.a.org",
        "record_value": "v=DKIM1;k=rsa;t=s;s=email;p=PUB"}
