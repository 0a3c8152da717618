"""The CI drift check (tools/drift.sh, behind `make drift`) against a stack on free ports.

Drift is made behind the collection's back, the way an operator would: through Mailcow's API,
with bench on the ERPNext host, and in Traefik's watched directory. Each check run costs tens of
seconds, so one run checks several kinds of drift that do not interfere with each other.
"""

import json
import subprocess
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT
from tests.integration.conftest import ROLE_CLIENTS, start_client_stack, stop_client_stack
from tests.integration.test_role_provision import recap

MAILBOX = "mailbox"
DOMAIN = "domain"
BASE_DOMAIN = "base_domain"
DKIM = "dkim"
SITE = "site"
ROUTE = "route"
CREDENTIALS = "credentials"
SHEET_DIR = "setup_dir"
SHEET = "setup_sheet"
ALIAS_NAMES = ("support", "info", "financial", "sales", "accounts")

THREE_CLIENTS = dict(ROLE_CLIENTS, initech={"client_display_name": "Initech", "client_plan": "starter"})


def alias(address):
    return f"aliases/{address}"


def aliases_of(client, own_domain=None):
    if own_domain:
        return [f"{name}@{own_domain}" for name in ALIAS_NAMES]
    return [f"{name}-{client}@byrne-accounts.org" for name in ALIAS_NAMES]


@dataclass
class DriftRun:
    rc: int
    stdout: str
    output: str
    report: dict
    cases: dict  # (client, test case name) -> ("passed" | "failure" | "error", message)
    raw: str  # both reports as written, for the secrets check

    @property
    def summary(self):
        """Each client's objects, by name."""
        return {name: client["objects"] for name, client in self.report["clients"].items()}

    def status(self, client):
        return self.report["clients"][client]["status"]

    def case(self, client, obj):
        """The one test case of a client's object."""
        return self.cases[(client, obj)]


def read_reports(reports, rc, stdout, output):
    """drift.json and drift.xml as a DriftRun."""
    xml_text = (reports / "drift.xml").read_text()
    json_text = (reports / "drift.json").read_text()
    cases = {}
    for case in ET.fromstring(xml_text).iter("testcase"):
        failure, error = case.find("failure"), case.find("error")
        key = (case.get("classname"), case.get("name"))
        if failure is not None:
            cases[key] = ("failure", failure.get("message"))
        elif error is not None:
            cases[key] = ("error", error.get("message"))
        else:
            cases[key] = ("passed", None)
    return DriftRun(rc, stdout, output, json.loads(json_text), cases, xml_text + json_text)


def drift_check(stack, *options, env=None):
    """tools/drift.sh (what `make drift` runs) against the stack's inventory; both reports parsed."""
    reports = stack.root / "reports"
    env = dict(stack.env, DRIFT_REPORT_DIR=str(reports), **(env or {}))
    done = subprocess.run([str(ROOT / "tools" / "drift.sh"), "-i", str(stack.inventory), *options], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=900, check=False)
    return read_reports(reports, done.returncode, done.stdout, done.stdout + done.stderr)


def provision(stack):
    run = stack.run("provision_client.yml")
    assert run.rc == 0, run.output


def mailcow_post(stack, route, body):
    request = urllib.request.Request(f"{stack.mailcow.url}/api/v1/{route}", data=json.dumps(body).encode(),
                                     method="POST", headers={"X-API-Key": stack.mailcow.api_key,
                                                             "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read())
    assert all(entry["type"] == "success" for entry in answer), answer


def alias_id(stack, address):
    return str(stack.mailcow_get(f"alias/{address}")["id"])


def bench(stack, *args):
    done = subprocess.run([str(ROOT / "sandbox" / "bin" / "bench"), *args], cwd=stack.bench_dir,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def secrets_of(stack, clients):
    from sandbox.bench_standin import SANDBOX_DB_ROOT_PASSWORD

    found = [stack.mailcow.api_key, SANDBOX_DB_ROOT_PASSWORD]
    for client in clients:
        found += list(stack.credentials(client).values())
    return found


@pytest.fixture
def three_client_stack(tmp_path):
    """acme (own domain), globex and initech (both in the shared base domain), nothing provisioned yet."""
    stack = start_client_stack(tmp_path, THREE_CLIENTS)
    yield stack
    stop_client_stack(stack)


def test_a_never_provisioned_fleet_would_create_everything_without_failing_and_only_reads(client_stack):
    from sandbox.bench_standin import SANDBOX_DB_ROOT_PASSWORD

    client_stack.mailcow.control.reset_counters()
    # As docs/ci/ runs it: with a read-only Mailcow key taken from the environment.
    run = drift_check(client_stack, "-e", "client_mailcow_api_key={{ lookup('ansible.builtin.env', 'RO_KEY') }}",
                      env={"RO_KEY": client_stack.mailcow.read_only_key})

    # Never provisioned: each client is missing (exit 2), not a pile of drifts and not an error.
    assert run.rc == 2, run.output
    assert run.status("acme") == "missing" and run.status("globex") == "missing", run.output
    assert run.case("acme", "client") == ("failure", "never provisioned: none of its objects exists")
    assert recap(run, "acme")["failed"] == 0 and recap(run, "globex")["failed"] == 0, run.output
    counters = client_stack.mailcow.control.counters()
    assert counters["writes"] == 0 and counters["reads"] > 0, counters
    acme = run.summary["acme"]
    # No DKIM entry: Mailcow creates the key with the domain, and check mode predicts exactly that run.
    for obj in [BASE_DOMAIN, DOMAIN, MAILBOX, SITE, ROUTE, SHEET_DIR, SHEET] + [
            alias(a) for a in aliases_of("acme", "acmecorp.com")]:
        assert acme[obj]["change"] == "create" and acme[obj]["status"] == "missing", (obj, acme[obj])
    assert acme[MAILBOX]["after"]["quota"] == 10240
    assert "domain acmecorp.com, which does not exist yet" in acme[MAILBOX]["msg"]
    globex = run.summary["globex"]
    for obj in [MAILBOX, SITE, ROUTE, SHEET] + [alias(a) for a in aliases_of("globex")]:
        assert globex[obj]["change"] == "create", (obj, globex[obj])
    # vault_credentials would generate the passwords: their names are shown, never a value.
    assert acme[CREDENTIALS]["change"] == "create" and not acme[CREDENTIALS].get("before")
    assert acme[CREDENTIALS]["after"] == {"secret mailbox_password": "generated",
                                          "secret erpnext_admin_password": "generated",
                                          "secret erpnext_user_password": "generated"}
    assert "acme.vault.yml: secret mailbox_password absent -> generated" in acme[CREDENTIALS]["msg"]
    for secret in (client_stack.mailcow.api_key, client_stack.mailcow.read_only_key, SANDBOX_DB_ROOT_PASSWORD):
        assert secret not in run.raw and secret not in run.output
    assert not client_stack.credentials_dir.exists()
    assert list(client_stack.traefik.dynamic_dir.iterdir()) == []


def test_a_provisioned_fleet_is_clean_every_drift_made_behind_its_back_is_reported_and_provisioning_repairs_it(
        three_client_stack):
    stack = three_client_stack
    provision(stack)

    clean = drift_check(stack)
    assert clean.rc == 0, clean.output
    assert {name: client["status"] for name, client in clean.report["clients"].items()} == dict.fromkeys(
        THREE_CLIENTS, "clean")
    assert clean.cases and all(status == "passed" for status, _message in clean.cases.values()), clean.cases
    # One test case per client and object: each alias is a case of its own.
    for address in aliases_of("acme", "acmecorp.com"):
        assert clean.case("acme", alias(address)) == ("passed", None)
    for secret in secrets_of(stack, THREE_CLIENTS):
        assert secret not in clean.raw

    # acme: mailbox quota and name, three aliases, domain limits, DKIM key, route file, an app.
    mailcow_post(stack, "edit/mailbox", {"items": ["acme@acmecorp.com"],
                                         "attr": {"quota": 5000, "name": "Edited In The UI"}})
    mailcow_post(stack, "edit/alias", {"items": [alias_id(stack, "support@acmecorp.com")], "attr": {"active": 0}})
    mailcow_post(stack, "edit/alias", {"items": [alias_id(stack, "info@acmecorp.com")],
                                       "attr": {"goto": "someone@elsewhere.example"}})
    mailcow_post(stack, "delete/alias", [alias_id(stack, "sales@acmecorp.com")])
    mailcow_post(stack, "edit/domain", {"items": ["acmecorp.com"], "attr": {"mailboxes": 3, "maxquota": 15000}})
    mailcow_post(stack, "delete/dkim", ["acmecorp.com"])
    acme_route = stack.traefik.dynamic_dir / "client-acme.yml"
    acme_route.write_text(acme_route.read_text().replace('"passHostHeader": true', '"passHostHeader": false'))
    bench(stack, "--site", "acme.byrne-accounts.org", "uninstall-app", "posawesome", "--yes")
    # globex: mailbox deactivated, route file deleted, site gone, setup sheet edited by hand.
    mailcow_post(stack, "edit/mailbox", {"items": ["globex@byrne-accounts.org"], "attr": {"active": 0}})
    globex_sheet = stack.credentials_dir / "globex" / "SETUP.md"
    globex_sheet.write_text(globex_sheet.read_text() + "Hand-written note\n")
    (stack.traefik.dynamic_dir / "client-globex.yml").unlink()
    from sandbox.bench_standin import SANDBOX_DB_ROOT_PASSWORD
    bench(stack, "drop-site", "globex.byrne-accounts.org", "--db-root-username", "root",
          "--db-root-password", SANDBOX_DB_ROOT_PASSWORD)
    # initech: mailbox deleted (Mailcow deletes its aliases with it); its route file untouched, but
    # a file loaded before it takes over its middleware, so Traefik disables its router.
    mailcow_post(stack, "delete/mailbox", ["initech@byrne-accounts.org"])
    breaker = stack.traefik.dynamic_dir / "a-shared.yml"
    breaker.write_text(json.dumps({"http": {"middlewares": {
        "client-initech-security-headers": {"chain": {"middlewares": ["retired-headers"]}}}}}))
    assert _wait_for_router_status(stack, "client-initech@file", "disabled")

    stack.mailcow.control.reset_counters()
    drifted = drift_check(stack)

    # initech's route check fails: the worst status, error, gives the exit status.
    assert drifted.rc == 3, drifted.output
    assert (drifted.status("acme"), drifted.status("globex"), drifted.status("initech")) == (
        "drifted", "drifted", "error")
    counters = stack.mailcow.control.counters()
    assert counters["writes"] == 0 and counters["reads"] > 0, counters
    for secret in secrets_of(stack, THREE_CLIENTS):
        assert secret not in drifted.raw and secret not in drifted.output
    acme, globex, initech = (drifted.summary[c] for c in ("acme", "globex", "initech"))

    assert acme[MAILBOX] == {"status": "drifted", "task": "Mailcow | Ensure the main mailbox", "change": "update",
                             "before": {"quota": 5000, "name": "Edited In The UI"},
                             "after": {"quota": 10240, "name": "ACME Corporation"}}
    status, message = drifted.case("acme", MAILBOX)
    assert status == "failure" and 'quota 5000 -> 10240' in message and '"Edited In The UI"' in message
    assert (acme[alias("support@acmecorp.com")]["before"], acme[alias("support@acmecorp.com")]["after"]) == (
        {"active": False}, {"active": True})
    assert (acme[alias("info@acmecorp.com")]["before"], acme[alias("info@acmecorp.com")]["after"]) == (
        {"goto": ["someone@elsewhere.example"]}, {"goto": ["acme@acmecorp.com"]})
    # A deleted alias would be created: its predicted object has no "id": null.
    assert acme[alias("sales@acmecorp.com")]["status"] == "missing"
    assert "id" not in acme[alias("sales@acmecorp.com")]["after"]
    assert drifted.case("acme", alias("sales@acmecorp.com"))[0] == "failure"
    assert drifted.case("acme", alias("accounts@acmecorp.com")) == ("passed", None)
    assert (acme[DOMAIN]["before"], acme[DOMAIN]["after"]) == ({"mailboxes": 3, "maxquota": 15000},
                                                               {"mailboxes": 25, "maxquota": 20480})
    assert acme[DKIM]["change"] == "create" and acme[DKIM]["after"]["record_name"] == "dkim._domainkey.acmecorp.com"
    # A file's drift is a line diff, not the two whole files.
    assert acme[ROUTE]["change"] == "update" and "before" not in acme[ROUTE]
    changed_lines = [line for line in acme[ROUTE]["diff"].splitlines() if line[:1] in "+-"]
    assert changed_lines == ["--- before", "+++ after", '-          "passHostHeader": false,',
                             '+          "passHostHeader": true,'], acme[ROUTE]["diff"]
    assert (acme[SITE]["before"], acme[SITE]["after"]) == ({"apps": ["frappe", "erpnext"]},
                                                           {"apps": ["frappe", "erpnext", "posawesome"]})

    assert (globex[MAILBOX]["before"], globex[MAILBOX]["after"]) == ({"active": False}, {"active": True})
    assert globex[ROUTE]["change"] == "create"
    assert globex[SITE]["change"] == "create"
    assert drifted.case("globex", SITE)[0] == "failure"
    assert globex[SHEET]["change"] == "update" and "\n-Hand-written note\n" in globex[SHEET]["diff"]

    assert initech[MAILBOX]["change"] == "create"
    for address in aliases_of("initech"):
        assert initech[alias(address)]["change"] == "create"
    assert initech[ROUTE]["status"] == "error"
    assert 'client-initech@file as disabled' in initech[ROUTE]["error"]
    assert drifted.report["clients"]["initech"]["error"].startswith("Traefik | Route the client's site: ")
    assert 'middleware "retired-headers@file" does not exist' in drifted.case("initech", ROUTE)[1]
    assert "DRIFT VERDICT" in drifted.output and "verdict: error (exit 3)" in drifted.output

    # The operator removes what broke Traefik; a normal run puts everything else back.
    breaker.unlink()
    provision(stack)
    repaired = drift_check(stack)
    assert repaired.rc == 0, repaired.output
    assert repaired.report["status"] == "clean"


def _wait_for_router_status(stack, router, status, timeout=20):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (stack.traefik.router(router) or {}).get("status") == status:
            return True
        time.sleep(0.1)
    return False
