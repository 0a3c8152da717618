"""securenexus.provisioning.mail_dns_records through real ansible-playbook against a real BIND 9.

Each test gets its own named on a free port serving the zone acmecorp.test (SOA, NS ns1, ns1's
address and a TXT record of somebody else's at the apex), and looks at the zone with dnspython
directly after the module ran.
"""

import json

import pytest

from sandbox import named
from tests.conftest import ROOT, free_port
from tests.named_server import start_named

PLAYBOOK = ROOT / "tests" / "integration" / "targets" / "mail_dns_records" / "records.yml"
ZONE = "acmecorp.test"
MAIL_HOST = "mail.byrne-accounts.test"
# 2048-bit keys make a DKIM text of about 410 bytes: two TXT strings.
DKIM = "v=DKIM1;k=rsa;t=s;s=email;p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + "k" * 340 + "IDAQAB"
DKIM_ROTATED = DKIM.replace("kkkk", "rrrr", 1)
DMARC = "v=DMARC1; p=quarantine; rua=mailto:acme@acmecorp.test"
SPF = "v=spf1 mx a:mail.byrne-accounts.test ~all"
WRONG_SECRET = "d3Jvbmctc2VjcmV0LW9mLXRoZS1zYW1lLWxlbmd0aDE="
OUR_NAMES = [f"{ZONE}.", f"dkim._domainkey.{ZONE}.", f"_dmarc.{ZONE}.", f"autodiscover.{ZONE}.",
             f"autoconfig.{ZONE}.", f"_autodiscover._tcp.{ZONE}."]


@pytest.fixture
def dns_server(tmp_path):
    server = start_named(tmp_path / "named", [ZONE])
    yield server
    server.stop()


@pytest.fixture
def apply_records(ansible_playbook, tmp_path):
    """Run one mail_dns_records task; returns (registered result, playbook run)."""
    runs = iter(range(1000))

    def apply(args, check=False, diff=False, verbosity=0, in_process=True, env=None):
        number = next(runs)
        args_file = tmp_path / f"args-{number}.json"
        result_file = tmp_path / f"result-{number}.json"
        args_file.write_text(json.dumps(args))
        run = ansible_playbook(PLAYBOOK, extra_vars={"dns_args_file": str(args_file), "result_file": str(result_file),
                                                     "securenexus_provisioning_in_process": in_process},
                               check=check, diff=diff, verbosity=verbosity, env=env)
        assert run.rc == 0, run.output
        return json.loads(result_file.read_text()), run

    return apply


def publish_args(server, **options):
    args = {"domain": ZONE, "server": server.server, "tsig_key_name": server.key_name, "tsig_secret": server.secret,
            "mail_host": MAIL_HOST, "dkim_record": DKIM, "dmarc": DMARC, "port": server.port, "timeout": 5}
    args.update(options)
    return args


def published(server):
    return {
        "MX": server.records(f"{ZONE}.", "MX"),
        "apex TXT": server.records(f"{ZONE}.", "TXT"),
        "DKIM": server.records(f"dkim._domainkey.{ZONE}.", "TXT"),
        "DMARC": server.records(f"_dmarc.{ZONE}.", "TXT"),
        "autodiscover": server.records(f"autodiscover.{ZONE}.", "CNAME"),
        "autoconfig": server.records(f"autoconfig.{ZONE}.", "CNAME"),
        "SRV": server.records(f"_autodiscover._tcp.{ZONE}.", "SRV"),
    }


EXPECTED = {
    "MX": [f"10 {MAIL_HOST}."],
    "apex TXT": sorted([named.FOREIGN_APEX_TXT, SPF]),
    "DKIM": [DKIM],
    "DMARC": [DMARC],
    "autodiscover": [f"{MAIL_HOST}."],
    "autoconfig": [f"{MAIL_HOST}."],
    "SRV": [f"0 1 443 {MAIL_HOST}."],
}
NOTHING_PUBLISHED = {"MX": [], "apex TXT": [named.FOREIGN_APEX_TXT], "DKIM": [], "DMARC": [], "autodiscover": [],
                     "autoconfig": [], "SRV": []}


def test_publish_writes_exactly_the_setup_sheet_records(dns_server, apply_records):
    result, _run = apply_records(publish_args(dns_server))

    assert result["changed"] is True
    assert published(dns_server) == EXPECTED
    assert [entry["status"] for entry in result["records"]] == ["present"] * 7


def test_dkim_key_is_published_as_255_byte_strings(dns_server, apply_records):
    apply_records(publish_args(dns_server))

    strings = dns_server.txt_strings(f"dkim._domainkey.{ZONE}.")
    assert [len(s) for s in strings[0]] == [255, len(DKIM) - 255]


def test_second_run_changes_nothing_and_verifies_on_the_authoritative_servers(dns_server, apply_records):
    apply_records(publish_args(dns_server))

    result, _run = apply_records(publish_args(dns_server), diff=True)

    assert result["changed"] is False
    assert result["changes"] == []
    assert result["verified_by"] == [f"ns1.{ZONE}. (127.0.0.1#{dns_server.port})"]


def test_check_mode_reports_each_missing_record_and_writes_nothing(dns_server, apply_records):
    result, run = apply_records(publish_args(dns_server), check=True, diff=True)

    assert result["changed"] is True
    assert [(c["record"], c["old"]) for c in result["changes"]] == [
        ("MX", []), ("SPF", []), ("DKIM", []), ("DMARC", []), ("autodiscover", []), ("autoconfig", []),
        ("autodiscover SRV", [])]
    assert f"+{ZONE}. MX 10 {MAIL_HOST}." in run.stdout
    assert published(dns_server) == NOTHING_PUBLISHED


def test_record_changed_behind_our_back_is_named_by_drift_and_repaired(dns_server, apply_records):
    apply_records(publish_args(dns_server))
    dns_server.update(ZONE, ("replace", f"_dmarc.{ZONE}.", "TXT", '"v=DMARC1; p=none"'))

    drift, run = apply_records(publish_args(dns_server), check=True, diff=True)
    assert drift["changed"] is True
    assert drift["changes"] == [{"record": "DMARC", "name": f"_dmarc.{ZONE}.", "type": "TXT",
                                 "old": ["v=DMARC1; p=none"], "new": [DMARC]}]
    assert f"-_dmarc.{ZONE}. TXT v=DMARC1; p=none" in run.stdout
    assert f"+_dmarc.{ZONE}. TXT {DMARC}" in run.stdout

    repaired, _run = apply_records(publish_args(dns_server))
    assert repaired["changed"] is True
    assert published(dns_server) == EXPECTED


def test_dkim_key_replaced_in_mailcow_but_not_in_dns_is_drift(dns_server, apply_records):
    apply_records(publish_args(dns_server))

    drift, _run = apply_records(publish_args(dns_server, dkim_record=DKIM_ROTATED), check=True)

    assert drift["changed"] is True
    assert [(c["record"], c["old"], c["new"]) for c in drift["changes"]] == [("DKIM", [DKIM], [DKIM_ROTATED])]
    assert dns_server.records(f"dkim._domainkey.{ZONE}.", "TXT") == [DKIM]


def test_dkim_split_differently_by_someone_else_is_the_same_key(dns_server, apply_records):
    apply_records(publish_args(dns_server))
    pieces = " ".join('"%s"' % DKIM[i:i + 100] for i in range(0, len(DKIM), 100))
    dns_server.update(ZONE, ("replace", f"dkim._domainkey.{ZONE}.", "TXT", pieces))

    result, _run = apply_records(publish_args(dns_server), check=True)

    assert result["changed"] is False


@pytest.mark.parametrize("key_name, secret, error", [
    (named.TSIG_KEY_NAME, WRONG_SECRET, "BADSIG"),
    ("not-the-key", named.SANDBOX_TSIG_SECRET, "BADKEY"),
])
def test_wrong_tsig_key_fails_clearly_and_changes_nothing(dns_server, apply_records, key_name, secret, error):
    apply_records(publish_args(dns_server))
    dns_server.update(ZONE, ("delete", f"autoconfig.{ZONE}.", "CNAME", None))
    before = dns_server.zone_dump(ZONE, OUR_NAMES)

    result, _run = apply_records(publish_args(dns_server, tsig_key_name=key_name, tsig_secret=secret))

    assert result["failed"] is True
    assert error in result["msg"] and "Nothing was changed" in result["msg"]
    assert dns_server.zone_dump(ZONE, OUR_NAMES) == before


def test_wrong_tsig_key_is_reported_in_check_mode_too(dns_server, apply_records):
    result, _run = apply_records(publish_args(dns_server, tsig_secret=WRONG_SECRET), check=True)

    assert result["failed"] is True
    assert "BADSIG" in result["msg"]


def test_server_down_fails_clearly(apply_records, tmp_path):
    port = free_port()
    args = {"domain": ZONE, "server": f"127.0.0.1#{port}", "tsig_key_name": named.TSIG_KEY_NAME,
            "tsig_secret": named.SANDBOX_TSIG_SECRET, "mail_host": MAIL_HOST, "dmarc": DMARC, "timeout": 3}

    result, _run = apply_records(args)

    assert result["failed"] is True
    assert f"cannot reach DNS server 127.0.0.1#{port}" in result["msg"] and "is it down?" in result["msg"]


def test_server_that_does_not_answer_times_out_clearly(apply_records):
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        args = {"domain": ZONE, "server": f"127.0.0.1#{port}", "tsig_key_name": named.TSIG_KEY_NAME,
                "tsig_secret": named.SANDBOX_TSIG_SECRET, "mail_host": MAIL_HOST, "dmarc": DMARC, "timeout": 1}
        result, _run = apply_records(args)

    assert result["failed"] is True
    assert f"no answer from DNS server 127.0.0.1#{port} within 1.0 s" in result["msg"]


def test_zone_the_server_does_not_serve_is_not_found(dns_server, apply_records):
    result, _run = apply_records(publish_args(dns_server, domain="globex.test"))

    assert result["failed"] is True
    assert result["msg"].startswith(f"zone globex.test not found on DNS server 127.0.0.1#{dns_server.port}")


def test_other_records_at_the_apex_are_left_alone(dns_server, apply_records):
    dns_server.update(ZONE, ("add", f"{ZONE}.", "MX", "20 backup-mx.example.net."),
                      ("add", f"{ZONE}.", "TXT", '"v=spf1 include:_spf.old-provider.example ~all"'))

    result, _run = apply_records(publish_args(dns_server))

    assert [c for c in result["changes"] if c["record"] == "SPF"] == [
        {"record": "SPF", "name": f"{ZONE}.", "type": "TXT",
         "old": ["v=spf1 include:_spf.old-provider.example ~all"], "new": [SPF]}]
    assert dns_server.records(f"{ZONE}.", "TXT") == sorted([named.FOREIGN_APEX_TXT, SPF])
    assert dns_server.records(f"{ZONE}.", "MX") == sorted(["20 backup-mx.example.net.", f"10 {MAIL_HOST}."])


def test_cname_where_other_records_exist_is_refused_naming_them(dns_server, apply_records):
    dns_server.update(ZONE, ("add", f"autoconfig.{ZONE}.", "A", "192.0.2.7"),
                      ("add", f"autoconfig.{ZONE}.", "TXT", '"hand-made"'))

    result, _run = apply_records(publish_args(dns_server))

    assert result["failed"] is True
    assert f"refusing to publish CNAME autoconfig.{ZONE}." in result["msg"]
    assert 'A 192.0.2.7; TXT "hand-made"' in result["msg"]
    assert published(dns_server) == NOTHING_PUBLISHED


def test_absent_removes_what_was_published_and_nothing_else(dns_server, apply_records):
    apply_records(publish_args(dns_server))

    removed, _run = apply_records(publish_args(dns_server, state="absent", dkim_record=None, dmarc=None))
    again, _run = apply_records(publish_args(dns_server, state="absent", dkim_record=None, dmarc=None))

    assert removed["changed"] is True and again["changed"] is False
    assert published(dns_server) == NOTHING_PUBLISHED
    assert dns_server.records(f"{ZONE}.", "NS") == [f"ns1.{ZONE}."]


def test_verify_only_reports_and_never_updates(dns_server, apply_records):
    dns_server.update(ZONE, ("add", f"{ZONE}.", "MX", f"10 {MAIL_HOST}."))
    args = {"domain": ZONE, "server": dns_server.server, "mail_host": MAIL_HOST, "dkim_record": DKIM,
            "dmarc": DMARC, "port": dns_server.port, "verify_only": True}

    result, _run = apply_records(args)

    assert result["changed"] is False
    assert {e["record"]: e["status"] for e in result["records"]} == {
        "MX": "present", "SPF": "missing", "DKIM": "missing", "DMARC": "missing", "autodiscover": "missing",
        "autoconfig": "missing", "autodiscover SRV": "missing"}
    assert len(result["warnings"]) == 6
    assert published(dns_server)["apex TXT"] == [named.FOREIGN_APEX_TXT]


@pytest.mark.parametrize("in_process", [True, False], ids=["in-worker", "module-process"])
def test_tsig_secret_never_appears_in_output_at_vvv(dns_server, apply_records, in_process):
    # With the invocation in every result, as ansible-core before 2.21 always put it there.
    verbose = {"verbosity": 3, "in_process": in_process, "env": {"ANSIBLE_INJECT_INVOCATION": "true"}}
    ok, good_run = apply_records(publish_args(dns_server), diff=True, **verbose)
    failed, bad_run = apply_records(publish_args(dns_server, tsig_secret=WRONG_SECRET), **verbose)

    assert ok["changed"] is True and failed["failed"] is True
    for run in (good_run, bad_run):
        assert dns_server.secret not in run.output
        assert WRONG_SECRET not in run.output


def test_verification_through_a_resolver_names_it(dns_server, apply_records):
    apply_records(publish_args(dns_server))

    result, _run = apply_records(publish_args(dns_server, verify_with="resolver", resolver=dns_server.server))

    assert result["changed"] is False
    assert result["verified_by"] == [f"resolver 127.0.0.1#{dns_server.port}"]
    assert {entry["status"] for entry in result["records"]} == {"present"}
