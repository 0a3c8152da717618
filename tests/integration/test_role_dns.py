"""The client role's DNS step (roles/client/tasks/dns.yml) end to end: the real playbooks, the
Mailcow emulator's DKIM key and a real BIND 9 serving acme's zone acmecorp.com on a free port."""

import json
import re
import urllib.request

import pytest

from sandbox import named
from tests.integration.conftest import ROLE_VAULT_PASSWORD
from tests.named_server import enable_dns, start_named

ZONE = "acmecorp.com"
SHEET_ROW = re.compile(r"^\| `([^`]+)` \| (MX|TXT|CNAME|SRV) \| `([^`]+)` \|$", re.M)


@pytest.fixture
def dns_stack(client_stack, tmp_path):
    server = start_named(tmp_path / "named", [ZONE])
    enable_dns(client_stack.inventory, server, ROLE_VAULT_PASSWORD)
    client_stack.dns = server
    yield client_stack
    server.stop()


def provision(stack, *options, **kwargs):
    run = stack.run("provision_client.yml", *options, extra_vars={"client": "acme"}, **kwargs)
    assert run.rc == 0, run.output
    return run


def mailcow_post(stack, path, body):
    """A write through Mailcow's API, as an administrator would make it behind the role's back."""
    request = urllib.request.Request(f"{stack.mailcow.url}/api/v1/{path}", data=json.dumps(body).encode(),
                                     headers={"X-API-Key": stack.mailcow.api_key, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())[0]["type"] == "success"


def dns_task_result(run):
    """How the DNS task ended in the run: 'ok', 'changed', 'fatal' or 'skipping'."""
    section = run.stdout.split("TASK [securenexus.provisioning.client : DNS |", 1)[1].split("\nTASK [", 1)[0]
    return re.search(r"^(ok|changed|fatal|skipping): \[acme\]", section, re.M).group(1)


def test_provisioning_publishes_every_record_of_the_setup_sheet_with_the_key_mailcow_holds(dns_stack):
    provision(dns_stack)

    sheet = (dns_stack.credentials_dir / "acme" / "SETUP.md").read_text()
    rows = SHEET_ROW.findall(sheet)
    assert len(rows) == 7, sheet
    for name, rtype, value in rows:
        served = dns_stack.dns.records(name, rtype)
        assert value.strip('"') in served, (name, rtype, served)
    key = dns_stack.mailcow_get(f"dkim/{ZONE}")["dkim_txt"]
    assert dns_stack.dns.records(f"dkim._domainkey.{ZONE}.", "TXT") == [key]


def test_a_second_run_leaves_dns_unchanged(dns_stack):
    provision(dns_stack)

    assert dns_task_result(provision(dns_stack)) == "ok"


def test_drift_names_a_record_changed_behind_our_back_and_a_run_repairs_it(dns_stack):
    provision(dns_stack)
    dns_stack.dns.update(ZONE, ("replace", f"autoconfig.{ZONE}.", "CNAME", "mail.elsewhere.example."))

    drift = provision(dns_stack, check=True, diff=True)
    assert dns_task_result(drift) == "changed"
    assert f"-autoconfig.{ZONE}. CNAME mail.elsewhere.example." in drift.stdout
    assert f"+autoconfig.{ZONE}. CNAME mail.byrne-accounts.org." in drift.stdout

    assert dns_task_result(provision(dns_stack)) == "changed"
    assert dns_stack.dns.records(f"autoconfig.{ZONE}.", "CNAME") == ["mail.byrne-accounts.org."]


def test_a_dkim_key_replaced_in_mailcow_but_not_in_dns_is_drift(dns_stack):
    provision(dns_stack)
    published = dns_stack.dns.records(f"dkim._domainkey.{ZONE}.", "TXT")
    mailcow_post(dns_stack, "delete/dkim", [ZONE])
    mailcow_post(dns_stack, "add/dkim", {"domains": ZONE, "dkim_selector": "dkim", "key_size": 2048})
    assert [dns_stack.mailcow_get(f"dkim/{ZONE}")["dkim_txt"]] != published

    drift = provision(dns_stack, check=True, diff=True)

    assert dns_task_result(drift) == "changed"
    assert f"-dkim._domainkey.{ZONE}. TXT {published[0]}" in drift.stdout
    assert dns_stack.dns.records(f"dkim._domainkey.{ZONE}.", "TXT") == published


def test_deprovisioning_removes_the_published_records_and_nothing_else(dns_stack):
    provision(dns_stack)

    run = dns_stack.run("deprovision_client.yml", extra_vars={"client": "acme", "confirm": "acme"})

    assert run.rc == 0, run.output
    assert dns_stack.dns.records(f"{ZONE}.", "MX") == []
    assert dns_stack.dns.records(f"{ZONE}.", "TXT") == [named.FOREIGN_APEX_TXT]
    assert dns_stack.dns.records(f"dkim._domainkey.{ZONE}.", "TXT") == []
    assert dns_stack.dns.records(f"autoconfig.{ZONE}.", "CNAME") == []


def test_a_wrong_tsig_key_stops_the_client_with_a_clear_message_and_changes_nothing(dns_stack):
    enable_dns(dns_stack.inventory, dns_stack.dns, ROLE_VAULT_PASSWORD,
               secret="d3Jvbmctc2VjcmV0LW9mLXRoZS1zYW1lLWxlbmd0aDE=")

    run = dns_stack.run("provision_client.yml", extra_vars={"client": "acme"}, verbosity=3)

    assert run.rc != 0
    assert "TSIG error BADSIG" in run.stdout
    assert dns_stack.dns.records(f"{ZONE}.", "MX") == []
    assert dns_stack.dns.secret not in run.output
    assert "d3Jvbmctc2VjcmV0LW9mLXRoZS1zYW1lLWxlbmd0aDE=" not in run.output
