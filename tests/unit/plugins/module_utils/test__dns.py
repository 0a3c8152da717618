"""_dns.py without a server: which records, how a TXT text is split, which records are ours, what changes."""

import dns.rdata
import dns.rdataclass
import pytest

from ansible_collections.securenexus.provisioning.plugins.module_utils import _dns
from ansible_collections.securenexus.provisioning.plugins.modules.mail_dns_records import ARGUMENT_SPEC

SECRET = "c2VjcmV0LW9mLWEtdW5pdC10ZXN0LTAwMDAwMDAwMDA="
DKIM = "v=DKIM1;k=rsa;t=s;s=email;p=" + "A" * 400


def params(**options):
    values = {name: spec.get("default") for name, spec in ARGUMENT_SPEC.items()}
    values.update(domain="acmecorp.com", mail_host="mail.byrne-accounts.org", dkim_record=DKIM,
                  dmarc="v=DMARC1; p=quarantine; rua=mailto:acme@acmecorp.com", tsig_key_name="acme-update",
                  tsig_secret=SECRET)
    values.update(options)
    return values


def records(**options):
    p = params(**options)
    return _dns.mail_records(p, p["domain"], p["mail_host"])


def rdata(rtype, text):
    return dns.rdata.from_text(dns.rdataclass.IN, rtype, text)


def test_records_are_the_setup_sheets_set():
    assert [(r.label, r.name, r.rtype, _dns.expected_value(r)) for r in records()] == [
        ("MX", "acmecorp.com.", "MX", "10 mail.byrne-accounts.org."),
        ("SPF", "acmecorp.com.", "TXT", "v=spf1 mx a:mail.byrne-accounts.org ~all"),
        ("DKIM", "dkim._domainkey.acmecorp.com.", "TXT", DKIM),
        ("DMARC", "_dmarc.acmecorp.com.", "TXT", "v=DMARC1; p=quarantine; rua=mailto:acme@acmecorp.com"),
        ("autodiscover", "autodiscover.acmecorp.com.", "CNAME", "mail.byrne-accounts.org."),
        ("autoconfig", "autoconfig.acmecorp.com.", "CNAME", "mail.byrne-accounts.org."),
        ("autodiscover SRV", "_autodiscover._tcp.acmecorp.com.", "SRV", "0 1 443 mail.byrne-accounts.org."),
    ]


def test_without_a_dkim_record_dkim_is_left_out_of_publishing_but_not_of_removal():
    assert "DKIM" not in [r.label for r in records(dkim_record=None)]
    assert "DKIM" in [r.label for r in records(dkim_record=None, state="absent")]


def test_txt_text_is_split_into_255_byte_strings_that_join_back():
    pieces = _dns.split_txt(DKIM)

    assert [len(p) for p in pieces] == [255, len(DKIM) - 255]
    assert b"".join(pieces).decode() == DKIM


def test_split_counts_bytes_not_characters():
    pieces = _dns.split_txt("é" * 200)

    assert [len(p) for p in pieces] == [255, 145]


@pytest.mark.parametrize("text, ours", [
    ("v=spf1 mx ~all", True),
    ("V=SPF1 -all", True),
    ("v=spf10 mx", False),
    ("google-site-verification=abc", False),
    ("some text mentioning v=spf1", False),
])
def test_only_txt_records_starting_with_our_tag_are_ours(text, ours):
    spf = records()[1]

    assert spf.owns(rdata("TXT", '"%s"' % text)) is ours


def test_mx_records_are_ours_when_they_point_at_our_mail_host_in_any_case():
    mx = records()[0]

    assert mx.owns(rdata("MX", "20 MAIL.Byrne-Accounts.org."))
    assert not mx.owns(rdata("MX", "10 backup-mx.example.net."))


def test_a_dkim_key_split_another_way_is_present():
    dkim = records()[2]
    other_split = rdata("TXT", " ".join('"%s"' % DKIM[i:i + 100] for i in range(0, len(DKIM), 100)))

    assert _dns.status_of(dkim, [other_split], "present") == "present"


def test_a_replaced_dkim_key_is_different_and_the_plan_swaps_exactly_that_record():
    recs = records()
    old_key = rdata("TXT", '"v=DKIM1;k=rsa;p=OLD"')
    found = [[] for _record in recs]
    found[2] = [old_key]

    changes = _dns.plan(recs, found, "present")
    dkim_change = [_dns.public_change(c) for c in changes if c["record"].label == "DKIM"]

    assert _dns.status_of(recs[2], [old_key], "present") == "different"
    assert dkim_change == [{"record": "DKIM", "name": "dkim._domainkey.acmecorp.com.", "type": "TXT",
                            "old": ["v=DKIM1;k=rsa;p=OLD"], "new": [DKIM]}]


def test_nothing_to_change_when_every_record_is_there():
    recs = records()
    found = [[r.rdata()] for r in recs]

    assert _dns.plan(recs, found, "present") == []


def test_absent_removes_only_the_records_that_are_ours():
    recs = records(state="absent")
    found = [[] for _record in recs]
    found[1] = [rdata("TXT", '"v=spf1 mx ~all"')]

    changes = [_dns.public_change(c) for c in _dns.plan(recs, found, "absent")]

    assert changes == [{"record": "SPF", "name": "acmecorp.com.", "type": "TXT", "old": ["v=spf1 mx ~all"], "new": []}]


def test_diff_shows_each_changed_record_as_zone_file_lines():
    changes = [{"record": "DMARC", "name": "_dmarc.acmecorp.com.", "type": "TXT", "old": ["v=DMARC1; p=none"],
                "new": ["v=DMARC1; p=reject"]},
               {"record": "MX", "name": "acmecorp.com.", "type": "MX", "old": [], "new": ["10 mail.x.org."]}]

    diff = _dns.diff_of(changes)

    assert diff["before"] == "_dmarc.acmecorp.com. TXT v=DMARC1; p=none\n"
    assert diff["after"] == "_dmarc.acmecorp.com. TXT v=DMARC1; p=reject\nacmecorp.com. MX 10 mail.x.org.\n"
    assert _dns.change_line(changes[1]) == "acmecorp.com. MX: (none) -> 10 mail.x.org."


@pytest.mark.parametrize("options, message", [
    ({"spf": "mx a ~all"}, "spf must start with v=spf1"),
    ({"dmarc": "p=none"}, "dmarc must start with v=DMARC1"),
    ({"dkim_record": "k=rsa;p=AAAA"}, "dkim_record must start with v=DKIM1"),
    ({"dmarc": 'v=DMARC1; p="none"'}, "dmarc: quotes, backslashes and control characters are not allowed"),
    ({"zone": "example.org"}, "domain acmecorp.com is not in zone example.org"),
    ({"mail_host": "mail host"}, "mail_host: 'mail host' is not a valid domain name"),
    ({"dkim_selector": "-x"}, "dkim_selector: '-x' is not a valid DKIM selector"),
    ({"tsig_secret": None}, "publishing needs a TSIG key: tsig_secret missing"),
    ({"verify_with": "resolver"}, "verify_with is resolver, but no resolver is given"),
    ({"port": 70000}, "port must be between 1 and 65535, got 70000"),
])
def test_bad_input_is_named_before_any_dns_traffic(options, message):
    with pytest.raises(_dns.DnsError, match="^" + message.replace("(", r"\(")):
        _dns.validate(params(**options))


def test_a_secret_that_is_not_base64_is_refused_without_repeating_it():
    with pytest.raises(_dns.DnsError) as error:
        _dns.validate(params(tsig_secret="not base64 at all!"))

    assert "tsig_secret is not valid base64" in str(error.value)
    assert "not base64 at all" not in str(error.value)


def test_verify_only_needs_no_tsig_key():
    assert _dns.validate(params(verify_only=True, tsig_key_name=None, tsig_secret=None)) == (
        "acmecorp.com", "acmecorp.com", "mail.byrne-accounts.org")


def test_server_notation_takes_a_port_after_the_hash():
    assert _dns.parse_server("192.0.2.53#5353", 53) == ("192.0.2.53", 5353)
    assert _dns.parse_server("2001:db8::53", 53) == ("2001:db8::53", 53)
