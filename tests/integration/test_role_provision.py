"""The client role end to end through playbooks/provision_client.yml, against a stack on free ports."""

import os
import re
import signal
import subprocess
import time

import pytest

from tests.conftest import ROOT

ACME_ALIASES = sorted(f"{name}@acmecorp.com" for name in ("support", "info", "financial", "sales", "accounts"))
GLOBEX_ALIASES = sorted(f"{name}-globex@byrne-accounts.org" for name in ("support", "info", "financial", "sales", "accounts"))


def recap(run, host):
    """The PLAY RECAP counters of one host."""
    match = re.search(rf"^{host}\s+:\s+(.*)$", run.stdout, re.M)
    assert match, run.output
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


def aliases_to(stack, domain, mailbox):
    listed = stack.mailcow_get(f"alias/all/{domain}") or []
    return sorted(a["address"] for a in listed if a["goto"] == mailbox and a["active"] == 1)


def test_two_clients_provisioned_in_parallel_get_everything_and_a_rerun_changes_nothing(client_stack):
    first = client_stack.run("provision_client.yml")
    assert first.rc == 0, first.output

    acme, globex = client_stack.credentials("acme"), client_stack.credentials("globex")
    control = client_stack.mailcow.control
    assert control.verify("acme@acmecorp.com", acme["mailbox_password"])
    assert control.verify("globex@byrne-accounts.org", globex["mailbox_password"])
    assert aliases_to(client_stack, "acmecorp.com", "acme@acmecorp.com") == ACME_ALIASES
    assert aliases_to(client_stack, "byrne-accounts.org", "globex@byrne-accounts.org") == GLOBEX_ALIASES
    assert client_stack.mailcow_get("dkim/acmecorp.com")["dkim_txt"].startswith("v=DKIM1;")
    assert client_stack.mailcow_get("mailbox/acme@acmecorp.com")["quota"] == 10240 * 1048576
    for site in ("acme.byrne-accounts.org", "globex.byrne-accounts.org"):
        assert client_stack.site_ping(site) == (200, '{"message": "pong"}')
    for client in ("acme", "globex"):
        path = client_stack.credentials_dir / f"{client}.vault.yml"
        assert path.read_bytes().startswith(b"$ANSIBLE_VAULT;")
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(client_stack.credentials_dir.stat().st_mode & 0o777) == "0o700"

    second = client_stack.run("provision_client.yml")
    assert second.rc == 0, second.output
    assert recap(second, "acme")["changed"] == 0, second.output
    assert recap(second, "globex")["changed"] == 0, second.output
    assert client_stack.credentials("acme") == acme


def test_the_setup_sheet_has_urls_mail_settings_and_dns_records_but_no_password(client_stack):
    run = client_stack.run("provision_client.yml", extra_vars={"client": "acme"})
    assert run.rc == 0, run.output
    sheet = (client_stack.credentials_dir / "acme" / "SETUP.md").read_text()
    port = client_stack.traefik.web_port
    assert f"http://acme.byrne-accounts.org:{port}/app/posapp" in sheet
    assert "Login name: `acme@acmecorp.com`" in sheet and "`Administrator`" not in sheet
    assert all(address in sheet for address in ACME_ALIASES)
    dkim = client_stack.mailcow_get("dkim/acmecorp.com")["dkim_txt"]
    assert f"| `dkim._domainkey.acmecorp.com.` | TXT | `{dkim}` |" in sheet
    assert "_dmarc.acmecorp.com." in sheet and "autodiscover.acmecorp.com." in sheet
    assert "credentials file (acme.vault.yml)" in sheet
    for secret in client_stack.credentials("acme").values():
        assert secret not in sheet


def test_check_mode_on_a_fresh_stack_predicts_changes_and_writes_nothing(client_stack):
    client_stack.mailcow.control.reset_counters()
    run = client_stack.run("provision_client.yml", check=True, diff=True)
    assert run.rc == 0, run.output
    assert recap(run, "acme")["changed"] > 0 and recap(run, "globex")["changed"] > 0
    assert "would create mailbox_password, erpnext_admin_password, erpnext_user_password" in run.output
    assert client_stack.mailcow.control.counters()["writes"] == 0
    assert not client_stack.credentials_dir.exists()
    assert list(client_stack.traefik.dynamic_dir.iterdir()) == []
    assert not (client_stack.bench_dir / "sites" / "acme.byrne-accounts.org").exists()


def _wait_for(condition, process, timeout=600):
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, "the playbook ended before the point where the test interrupts it"
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.parametrize("interrupt_after", ["credentials saved", "mailbox created"])
def test_a_run_killed_midway_then_rerun_loses_no_password_and_duplicates_nothing(client_stack, interrupt_after):
    stack = client_stack
    credentials_file = stack.credentials_dir / "acme.vault.yml"
    conditions = {
        "credentials saved": credentials_file.exists,
        "mailbox created": lambda: bool(stack.mailcow_get("mailbox/acme@acmecorp.com")),
    }
    process = subprocess.Popen(stack.playbook_args("provision_client.yml", extra_vars={"client": "acme"}),
                               cwd=ROOT, env=stack.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        _wait_for(conditions[interrupt_after], process)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    saved = stack.credentials("acme")

    rerun = stack.run("provision_client.yml", extra_vars={"client": "acme"})
    assert rerun.rc == 0, rerun.output
    assert stack.credentials("acme") == saved
    assert stack.mailcow.control.verify("acme@acmecorp.com", saved["mailbox_password"])
    assert [m["username"] for m in stack.mailcow_get("mailbox/all/acmecorp.com")] == ["acme@acmecorp.com"]
    assert aliases_to(stack, "acmecorp.com", "acme@acmecorp.com") == ACME_ALIASES
    assert len(stack.mailcow_get("alias/all/acmecorp.com")) == len(ACME_ALIASES)
    assert stack.site_ping("acme.byrne-accounts.org")[0] == 200


def test_verbose_output_never_shows_the_api_key_or_a_password(client_stack):
    from sandbox.bench_standin import SANDBOX_DB_ROOT_PASSWORD

    run = client_stack.run("provision_client.yml", extra_vars={"client": "acme"}, verbosity=3, diff=True)
    assert run.rc == 0, run.output
    assert "ESTABLISH LOCAL CONNECTION" in run.output  # really -vvv
    secrets = [client_stack.mailcow.api_key, SANDBOX_DB_ROOT_PASSWORD, *client_stack.credentials("acme").values()]
    for secret in secrets:
        assert secret not in run.output
