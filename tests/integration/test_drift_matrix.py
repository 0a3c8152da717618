"""The drift verdict under every way an operator runs the check (issue 15's hostile-usage matrix).

One stack per module, provisioned once: acme (own domain) then has its mailbox deactivated behind
the collection's back, globex and initech match their definitions, and umbrella is added to the
inventory afterwards (never provisioned). Each row runs tools/drift.sh (what `make drift` and the CI
pipelines run) one way and checks the exit status, the status of every client in drift.json, and
that the check wrote nothing: no Mailcow write (the emulator's counters), no file changed under the
credentials, Traefik or bench directories.
"""

import hashlib
import re
import subprocess
from dataclasses import dataclass, field

import pytest
import yaml

from tests.conftest import ROOT, free_port
from tests.integration.conftest import start_client_stack, stop_client_stack
from tests.integration.test_drift import mailcow_post, read_reports

CLIENTS = {
    "acme": {"client_display_name": "ACME Corporation", "client_domain": "acmecorp.com",
             "client_plan": "professional"},
    "globex": {"client_display_name": "Globex", "client_plan": "starter"},
    # A row breaks initech alone (a failing host) by naming a plan that does not exist.
    "initech": {"client_display_name": "Initech",
                "client_plan": "{{ lookup('ansible.builtin.env', 'MATRIX_INITECH_PLAN') | default('starter', true) }}"},
}
ADDED_LATER = {"umbrella": {"client_display_name": "Umbrella", "client_plan": "starter"}}
FULL = {"acme": "drifted", "globex": "clean", "initech": "clean", "umbrella": "missing"}
# A play of the operator's own around the role: serial batches of one client.
SERIAL_PLAYBOOK = [{"name": "Check the clients one at a time", "hosts": "clients", "serial": 1,
                    "gather_facts": False, "roles": [{"role": "securenexus.provisioning.client"}]}]


@dataclass
class Row:
    name: str
    args: list
    rc: int
    statuses: dict  # client -> status; exactly the clients of the report
    env: dict = field(default_factory=dict)
    complete: bool = True


ROWS = [
    Row("everything", [], 2, FULL),
    # Issue 15 item 1: --limit left out the localhost play that failed the run.
    Row("limit to the drifted client", ["--limit", "acme"], 2, {"acme": "drifted"}),
    Row("limit to a clean client", ["--limit", "globex"], 0, {"globex": "clean"}),
    Row("-e client", ["-e", "client=acme,globex"], 2, {"acme": "drifted", "globex": "clean"}),
    Row("never-provisioned client alone", ["--limit", "umbrella"], 2, {"umbrella": "missing"}),
    Row("strategy free", [], 2, FULL, env={"ANSIBLE_STRATEGY": "free"}),
    Row("serial", [], 2, FULL, env={"DRIFT_PLAYBOOK": "serial"}),
    Row("tags that cover the drift", ["--tags", "client_mailcow", "--limit", "acme,globex"], 2,
        {"acme": "drifted", "globex": "clean"}, complete=False),
    Row("tags that miss the drift", ["--tags", "client_erpnext", "--limit", "acme"], 0, {"acme": "clean"},
        complete=False),
    Row("skip-tags", ["--skip-tags", "client_traefik"], 2, FULL, complete=False),
    Row("start-at-task inside the role", ["--start-at-task", "Mailcow | Ensure the main mailbox"], 3,
        dict.fromkeys(FULL, "unchecked"), complete=False),
    Row("a failing host", [], 3, dict(FULL, initech="error"), env={"MATRIX_INITECH_PLAN": "platinum"}),
    Row("any_errors_fatal with a failing host", [], 3,
        {"acme": "unchecked", "globex": "unchecked", "initech": "error", "umbrella": "unchecked"},
        env={"MATRIX_INITECH_PLAN": "platinum", "ANSIBLE_ANY_ERRORS_FATAL": "true"}),
    Row("any_errors_fatal, serial, a failing host", [], 3,
        {"acme": "drifted", "globex": "clean", "initech": "error", "umbrella": "unchecked"},
        env={"MATRIX_INITECH_PLAN": "platinum", "ANSIBLE_ANY_ERRORS_FATAL": "true", "DRIFT_PLAYBOOK": "serial"}),
    # Issue 15 item 2: one client made the shared call; the others were left out of the report.
    # umbrella, never provisioned, has no credentials file: its own lookup of an existing mailbox (which
    # would forbid making up a password) fails before the shared base-domain read that stops the others.
    Row("wrong Mailcow API key", ["-e", "client_mailcow_api_key=WRONG-KEY"], 3,
        dict.fromkeys(FULL, "unchecked") | {"acme": "error", "umbrella": "error"}),
    Row("Mailcow down", ["-e", "client_mailcow_api_url=http://127.0.0.1:{closed_port}"], 3,
        dict.fromkeys(FULL, "unchecked") | {"acme": "error", "umbrella": "error"}),
    Row("plan name typo", ["-e", "client_plan=profesional"], 3, dict.fromkeys(FULL, "error")),
]


def _snapshot(stack):
    """Every file the provisioning writes: credentials, setup sheets, Traefik routes, bench sites."""
    found = {}
    for directory in (stack.credentials_dir, stack.traefik.dynamic_dir, stack.bench_dir / "sites"):
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                found[str(path)] = (path.stat().st_mode, hashlib.sha256(path.read_bytes()).hexdigest())
    return found


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    stack = start_client_stack(tmp_path_factory.mktemp("matrix"), CLIENTS)
    provisioned = stack.run("provision_client.yml")
    assert provisioned.rc == 0, provisioned.output
    mailcow_post(stack, "edit/mailbox", {"items": ["acme@acmecorp.com"], "attr": {"active": 0}})
    hosts_file = stack.inventory / "hosts.yml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["all"]["children"]["clients"]["hosts"].update(ADDED_LATER)
    hosts_file.write_text(yaml.safe_dump(hosts))
    (stack.root / "serial.yml").write_text(yaml.safe_dump(SERIAL_PLAYBOOK))
    yield stack
    stop_client_stack(stack)


def drift(stack, args, env=None, inventory=None):
    env = dict(stack.env, DRIFT_REPORT_DIR=str(stack.root / "reports"), **(env or {}))
    if env.get("DRIFT_PLAYBOOK") == "serial":
        env["DRIFT_PLAYBOOK"] = str(stack.root / "serial.yml")
    done = subprocess.run([str(ROOT / "tools" / "drift.sh"), "-i", str(inventory or stack.inventory), *args], cwd=ROOT,
                          env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    return read_reports(stack.root / "reports", done.returncode, done.stdout, done.stdout + done.stderr)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_the_verdict_is_the_same_however_the_check_is_run_and_the_check_writes_nothing(fleet, row):
    before = _snapshot(fleet)
    fleet.mailcow.control.reset_counters()
    args = [arg.format(closed_port=free_port()) for arg in row.args]

    run = drift(fleet, args, row.env)

    assert run.rc == row.rc, run.output[-4000:]
    assert run.report["exit_code"] == row.rc and run.report["finished"] is True
    statuses = {name: client["status"] for name, client in run.report["clients"].items()}
    assert statuses == row.statuses, run.output[-4000:]
    assert run.report["scope"]["complete"] is row.complete
    for name, client in run.report["clients"].items():
        assert client["complete"] is (row.complete and client["status"] != "unchecked")
        if client["status"] == "error":
            assert client["error"], client
        if client["status"] == "unchecked":
            assert client["reason"], client
    for name, status in row.statuses.items():
        # Every client's verdict is in the console summary and the JUnit report too.
        assert re.search(rf"^{name} +{status}", run.stdout, re.M), run.stdout[-2000:]
    junit_clients = {classname for classname, _case in run.cases}
    assert junit_clients == set(row.statuses)
    assert fleet.mailcow.control.counters()["writes"] == 0
    assert _snapshot(fleet) == before


def test_a_list_variable_given_as_a_string_is_never_reported_clean(fleet):
    # Issue 15 item 2: drift.json was {} and the console said "No drift".
    run = drift(fleet, ["-e", "client_extra_aliases=billing"])
    assert run.rc in (2, 3), run.output[-4000:]
    assert set(run.report["clients"]) == set(FULL)
    assert "clean" not in {client["status"] for client in run.report["clients"].values()}


def test_an_unknown_client_is_an_error_of_the_run(fleet):
    run = drift(fleet, ["-e", "client=nobody"])
    assert run.rc == 3
    assert run.report["clients"] == {}
    assert run.report["errors"][0]["host"] == "localhost"
    assert "Unknown client(s): nobody" in run.report["errors"][0]["error"]


def test_a_missing_vault_file_is_an_error_not_a_clean_report(fleet, tmp_path):
    inventory = tmp_path / "inventory"
    subprocess.run(["cp", "-r", str(fleet.inventory), str(inventory)], check=True)
    (inventory / "group_vars" / "all" / "vault.yml").unlink()
    run = drift(fleet, ["--limit", "globex"], inventory=inventory)
    assert run.rc == 3, run.output[-4000:]
    assert run.report["clients"]["globex"]["status"] == "error"
    assert "vault_mailcow_api_key" in run.report["clients"]["globex"]["error"]


def test_a_run_that_never_starts_leaves_a_report_that_says_so(fleet, tmp_path):
    run = drift(fleet, [], env={"ANSIBLE_VAULT_PASSWORD_FILE": str(tmp_path / "absent.txt")})
    assert run.rc == 3, run.output[-4000:]
    assert run.report["finished"] is False and run.report["exit_code"] == 3
    assert "before the drift check finished" in run.report["errors"][-1]["error"]


@pytest.mark.parametrize("option, rc", [([], 0), (["-e", "client_fail_on_drift=true"], 2)],
                         ids=["interactive look", "client_fail_on_drift"])
def test_a_plain_check_run_fails_on_drift_only_when_asked_and_then_under_limit_too(fleet, option, rc):
    run = fleet.run("provision_client.yml", "--check", "--diff", "--limit", "acme", *option)
    assert run.rc == rc, run.output[-4000:]
    clean = fleet.run("provision_client.yml", "--check", "--limit", "globex", *option)
    assert clean.rc == 0, clean.output[-4000:]


def test_provisioning_under_free_strategy_and_limit_repairs_the_drift_and_adds_the_new_client(fleet):
    done = subprocess.run(fleet.playbook_args("provision_client.yml", "--limit", "acme,umbrella"), cwd=ROOT,
                          env=dict(fleet.env, ANSIBLE_STRATEGY="free"), capture_output=True, text=True,
                          timeout=900, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    after = drift(fleet, [])
    assert after.rc == 0, after.output[-4000:]
    assert {name: client["status"] for name, client in after.report["clients"].items()} == dict.fromkeys(FULL, "clean")
