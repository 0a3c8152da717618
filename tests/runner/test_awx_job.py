"""The provisioning and the drift check run as AWX and Automation Controller run them: through
ansible-runner, from a project whose playbooks import the collection's by FQCN, with the Mailcow API
key injected as an extra variable (the custom credential type of docs/awx.md) and the vault
password answered at ansible-playbook's prompt (AWX's vault credential does exactly that).

The stack (Mailcow emulator, bench stand-in with its frontend, real Traefik) runs on free ports.
Every job's artifacts directory (events, stdout, the command with its environment) is searched for
the client's secrets.
"""

import json
import os
import sys
import urllib.request
from pathlib import Path

import ansible_runner
import pytest

from tests.integration.conftest import ROLE_VAULT_PASSWORD, start_client_stack, stop_client_stack
from tests.integration.test_drift import secrets_of

CLIENTS = ("acme", "globex")
MAILBOX_TASK = "Mailcow | Ensure the main mailbox"
# What AWX's vault credential answers; AWX starts ansible-playbook with --ask-vault-pass.
VAULT_PROMPT = r"^Vault password:\s*?$"


def run_job(stack, ident, check=False, extravars=None):
    """One ansible-runner job, as AWX starts it: in a private data directory of its own.

    A fresh directory matters: given one whose env/extravars exists already, ansible-runner puts
    the extra variables on ansible-playbook's command line (process list, artifacts' command file).
    """
    private = stack.root / f"awx-{ident}"
    project = private / "project"
    project.mkdir(parents=True)
    # An AWX project uses the collection from its execution environment, by FQCN.
    (project / "provision.yml").write_text(
        "---\n- name: Provision\n  ansible.builtin.import_playbook: securenexus.provisioning.provision_client\n")
    (project / "ansible.cfg").write_text("[defaults]\nretry_files_enabled = false\n")
    # The custom credential type's injector (docs/awx.md) turns the credential into this extra variable.
    variables = {"client_mailcow_api_key": stack.mailcow.api_key, **(extravars or {})}
    cmdline = "--ask-vault-pass" + (" --check --diff" if check else "")
    return ansible_runner.run(
        private_data_dir=str(private), ident=ident, playbook="provision.yml", inventory=str(stack.inventory),
        extravars=variables, cmdline=cmdline, passwords={VAULT_PROMPT: ROLE_VAULT_PASSWORD},
        # The execution environment's ansible-playbook is this venv's.
        envvars={"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                 "ANSIBLE_CONFIG": str(project / "ansible.cfg"),
                 "ANSIBLE_COLLECTIONS_PATH": stack.env["ANSIBLE_COLLECTIONS_PATH"],
                 "ANSIBLE_LOCAL_TEMP": stack.env["ANSIBLE_LOCAL_TEMP"]},
        quiet=True, timeout=900)


def stats(job):
    """The playbook_on_stats event's counters, per host."""
    [event] = [e for e in job.events if e["event"] == "playbook_on_stats"]
    return {key: event["event_data"][key] for key in ("ok", "changed", "failures", "dark")}


def leaked(job, secrets):
    """The secrets found anywhere under the job's artifacts directory, also in JSON-escaped form."""
    texts = [p.read_bytes() for p in Path(job.config.artifact_dir).rglob("*") if p.is_file()]
    found = []
    for secret in secrets:
        forms = {secret.encode(), json.dumps(secret)[1:-1].encode()}
        if any(form in text for form in forms for text in texts):
            found.append(secret)
    return found


def artifacts_mention(job, text):
    return any(text.encode() in p.read_bytes() for p in Path(job.config.artifact_dir).rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory):
    """A stack with acme and globex, and the job that provisioned them."""
    stack = start_client_stack(tmp_path_factory.mktemp("awx"))
    job = run_job(stack, "provision")
    yield stack, job
    stop_client_stack(stack)


def all_secrets(stack):
    return secrets_of(stack, CLIENTS) + [stack.mailcow.read_only_key, ROLE_VAULT_PASSWORD]


def test_provisioning_job_succeeds_with_events_for_every_client(provisioned):
    _stack, job = provisioned
    assert (job.status, job.rc) == ("successful", 0), job.stdout.read()
    counters = stats(job)
    for client in CLIENTS:
        assert counters["changed"].get(client, 0) > 0, counters
        assert client not in counters["failures"] and client not in counters["dark"], counters
    ok_hosts = {e["event_data"]["host"] for e in job.events
                if e["event"] == "runner_on_ok" and e["event_data"]["task"] == MAILBOX_TASK}
    assert ok_hosts == set(CLIENTS)


def test_provisioning_job_artifacts_hold_none_of_the_clients_secrets(provisioned):
    stack, job = provisioned
    # The search looks where the job wrote: the client's domain is there, its secrets are not.
    assert artifacts_mention(job, "acmecorp.com")
    assert leaked(job, all_secrets(stack)) == []


def test_drift_job_passes_on_the_provisioned_fleet_and_fails_on_drift_naming_the_client(provisioned):
    stack, _job = provisioned
    clean = run_job(stack, "drift-clean", check=True, extravars={"client_fail_on_drift": True})
    assert (clean.status, clean.rc) == ("successful", 0), clean.stdout.read()
    assert all(count == 0 for count in stats(clean)["changed"].values()), stats(clean)

    edit = json.dumps({"items": ["acme@acmecorp.com"], "attr": {"quota": 5000}}).encode()
    request = urllib.request.Request(f"{stack.mailcow.url}/api/v1/edit/mailbox", data=edit, method="POST",
                                     headers={"X-API-Key": stack.mailcow.api_key,
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert all(entry["type"] == "success" for entry in json.loads(response.read()))

    drift = run_job(stack, "drift", check=True, extravars={"client_fail_on_drift": True})
    assert (drift.status, drift.rc) == ("failed", 2), drift.stdout.read()
    changed = {(e["event_data"]["host"], e["event_data"]["task"]) for e in drift.events
               if e["event"] == "runner_on_ok" and e["event_data"].get("res", {}).get("changed")}
    assert changed == {("acme", MAILBOX_TASK)}
    [verdict] = [e for e in drift.events if e["event"] == "runner_on_failed"]
    assert "acme differs in mailbox" in verdict["event_data"]["res"]["msg"]
    for job in (clean, drift):
        assert leaked(job, all_secrets(stack)) == []
