"""Faults during real ansible-playbook provisioning runs (at -vvv, every artefact grepped for secrets).

acme brings its own mail domain (it alone needs DKIM); globex lives in the shared base domain.
"""

import stat

import pytest
import yaml

from tests.reliability.conftest import vault

CLIENTS = {"acme": {"client_domain": "acmecorp.com", "client_plan": "professional"}, "globex": {}}


@pytest.fixture
def two_clients(workspace):
    workspace.set_clients(CLIENTS)
    return workspace


def assert_no_leaks(space):
    leaks = space.leaks()
    assert leaks == [], leaks


def test_transient_faults_on_several_routes_in_one_run_are_absorbed(two_clients):
    control = two_clients.target.control
    control.add_fault("add/mailbox", "http500", times=1, method="POST")
    control.add_fault("get/alias", "empty200", times=1, method="GET")
    control.add_fault("add/alias", "drop", times=1, method="POST")
    control.add_fault("add/domain", "drop_after_apply", times=1, method="POST")
    control.add_fault("get/dkim", "http500", times=1, method="GET")
    run = two_clients.run()
    assert run.rc == 0, run.output[-3000:]
    assert control._call("GET", "faults") == []
    two_clients.assert_credentials_match_mailcow()
    assert_no_leaks(two_clients)


def test_persistent_fault_fails_only_its_client_then_a_rerun_converges_without_duplicates(two_clients):
    control = two_clients.target.control
    # Only a client with its own domain reads DKIM.
    control.add_fault("get/dkim", "http500", method="GET")
    failed = two_clients.run()
    assert failed.rc != 0
    assert "fatal: [acme]" in failed.stdout and "fatal: [globex]" not in failed.stdout
    assert any("DKIM key of acmecorp.com" in m and "HTTP 500" in m for m in failed.failure_messages()), \
        failed.output[-3000:]
    assert "globex                     : ok=" in failed.stdout and "failed=0" in failed.stdout.split("globex   ")[-1]
    assert two_clients.setup_sheet("globex") is not None
    passwords = {c: two_clients.stored_credentials(c) for c in CLIENTS}

    control.clear_faults()
    rerun = two_clients.run()
    assert rerun.rc == 0, rerun.output[-3000:]
    assert {c: two_clients.stored_credentials(c) for c in CLIENTS} == passwords
    two_clients.assert_credentials_match_mailcow()
    state = two_clients.end_state()
    addresses = [a[0] for a in state["mailcow"]["aliases"]]
    assert len(addresses) == len(set(addresses)) == 2 * 2
    assert_no_leaks(two_clients)


def test_rejected_api_key_fails_without_retrying(two_clients):
    control = two_clients.target.control
    control.reset_counters()
    bad_key = "WRONG-KEY-" + "0" * 20
    run = two_clients.run(extra_vars={"client_mailcow_api_key": bad_key})
    assert run.rc != 0
    assert any("HTTP 401" in m and "Not retried" in m for m in run.failure_messages()), run.output[-3000:]
    # A first run has no credentials files yet: each client reads once whether its mailbox already exists
    # (it would then refuse to make up a password), is refused, and stops there. No retry, no other read.
    assert control.counters()["reads"] == len(CLIENTS)
    assert bad_key not in run.output
    assert_no_leaks(two_clients)


def test_credential_files_are_0600_in_a_0700_directory(two_clients):
    run = two_clients.run()
    assert run.rc == 0, run.output[-3000:]
    assert stat.S_IMODE(two_clients.credentials.stat().st_mode) == 0o700
    for client in CLIENTS:
        assert stat.S_IMODE(two_clients.credentials_file(client).stat().st_mode) == 0o600
    assert_no_leaks(two_clients)


def provisioned(space):
    """globex's credentials file as a finished run leaves it (written here: the runs below stop before Mailcow)."""
    space.credentials.mkdir(mode=0o700)
    path = space.credentials_file("globex")
    path.write_bytes(vault().encrypt(yaml.safe_dump({"mailbox_password": "Stored-Mailbox-Passw0rd-1",
                                                     "erpnext_admin_password": "Stored-Admin-Passw0rd-2"})))
    path.chmod(0o600)
    return path.read_bytes()


@pytest.mark.parametrize("damage,message", [
    (lambda path: path.write_text("mailbox_password: typed-by-hand\n"), "is not vault-encrypted"),
    (lambda path: path.write_bytes(b""), "is empty"),
    (lambda path: path.write_bytes(path.read_bytes()[:-40]), "cannot decrypt"),
])
def test_broken_credentials_file_fails_clearly_and_is_not_overwritten(two_clients, damage, message):
    provisioned(two_clients)
    path = two_clients.credentials_file("globex")
    damage(path)
    broken = path.read_bytes()
    run = two_clients.run(client="globex")
    assert run.rc != 0
    assert any(message in m and "Nothing was changed" in m for m in run.failure_messages()), run.output[-3000:]
    assert path.read_bytes() == broken
    assert "Traceback" not in run.output


def test_wrong_vault_password_fails_clearly_and_changes_nothing(two_clients, tmp_path):
    before = provisioned(two_clients)
    wrong = tmp_path / "wrong-password.txt"
    wrong.write_text("not-the-vault-password")
    run = two_clients.run(client="globex", env={"ANSIBLE_VAULT_PASSWORD_FILE": str(wrong)})
    assert run.rc != 0
    assert "Decryption failed" in run.output or "cannot decrypt" in run.output, run.output[-3000:]
    assert two_clients.credentials_file("globex").read_bytes() == before
    assert "Traceback" not in run.output


def test_missing_vault_password_file_fails_clearly_and_changes_nothing(two_clients, tmp_path):
    before = provisioned(two_clients)
    run = two_clients.run(client="globex", env={"ANSIBLE_VAULT_PASSWORD_FILE": str(tmp_path / "absent.txt")})
    assert run.rc != 0
    assert "absent.txt" in run.output and "not found" in run.output.lower(), run.output[-3000:]
    assert two_clients.credentials_file("globex").read_bytes() == before


def test_check_diff_and_deprovisioning_runs_leak_no_secret(two_clients):
    assert two_clients.run().rc == 0
    drift = two_clients.run("provision_client.yml", "--check", "--diff")
    assert drift.rc == 0 and "changed=0" in drift.stdout
    gone = two_clients.run("deprovision_client.yml", client="globex", extra_vars={"confirm": "globex"})
    assert gone.rc == 0, gone.output[-3000:]
    assert_no_leaks(two_clients)
