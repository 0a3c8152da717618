"""The credentials files' lifecycle in real ansible-playbook runs: lost, loosened, wrong vault password.

acme brings its own mail domain; globex lives in the shared base domain.
"""

import pytest

from tests.reliability.conftest import provisioned_with

CLIENTS = {"acme": {"client_domain": "acmecorp.com", "client_plan": "professional"}, "globex": {}}


@pytest.fixture
def provisioned(workspace):
    return provisioned_with(workspace, CLIENTS)


@pytest.mark.parametrize("mode", ["run", "check"])
def test_a_lost_credentials_file_of_an_existing_mailbox_stops_that_client_and_changes_nothing(provisioned, mode):
    path = provisioned.credentials_file("acme")
    password = provisioned.stored_credentials("acme")["mailbox_password"]
    path.unlink()
    before = provisioned.end_state()
    run = provisioned.run("provision_client.yml", *(["--check", "--diff"] if mode == "check" else []))
    assert run.rc != 0
    assert "fatal: [acme]" in run.stdout and "fatal: [globex]" not in run.stdout
    message = [m for m in run.failure_messages() if "does not exist (lost?)" in m]
    assert message and str(path) in message[0], run.output[-3000:]
    assert "the mailbox acme@acmecorp.com" in message[0] and "Restore the file from your backup" in message[0]
    assert "rotate_credentials -e client=<client> -e rotate=mailbox_password" in message[0]
    # the ERPNext site and the client's user on it hold the file's other passwords (one bench read tells)
    assert "erpnext_admin_password is in use by the ERPNext site acme." in message[0]
    assert "erpnext_user_password is in use by the ERPNext user acme@acmecorp.com" in message[0]
    assert not path.exists()
    assert provisioned.end_state() == before
    assert provisioned.target.control.verify("acme@acmecorp.com", password)
    assert provisioned.leaks() == []


def test_a_loosened_credentials_file_shows_as_path_and_modes_in_a_drift_check(provisioned):
    path = provisioned.credentials_file("acme")
    path.chmod(0o644)
    drift = provisioned.run("provision_client.yml", "--check", "--diff")
    assert "vault_credentials: %s: mode 0644 -> 0600 (check mode: nothing changed)" % path in drift.stdout, \
        drift.output[-3000:]
    assert '-    "mode": "0644"' in drift.stdout and '+    "mode": "0600"' in drift.stdout
    assert "output has been hidden" not in drift.stdout
    assert path.stat().st_mode & 0o777 == 0o644
    assert provisioned.leaks() == []


def test_a_wrong_vault_password_is_a_task_failure_naming_the_vault_file(provisioned, tmp_path):
    wrong = tmp_path / "wrong-password.txt"
    wrong.write_text("not-the-vault-password")
    before = provisioned.end_state()
    run = provisioned.run(env={"ANSIBLE_VAULT_PASSWORD_FILE": str(wrong)})
    # 4 is ansible-playbook's "unreachable"; a failed task is 2.
    assert run.rc == 2, run.output[-3000:]
    assert "Decryption failed" in run.output or "cannot decrypt" in run.output
    assert str(provisioned.inventory / "group_vars" / "all" / "vault.yml") in run.output \
        or str(provisioned.credentials_file("acme")) in run.output
    assert provisioned.end_state() == before
    assert "Traceback" not in run.output
