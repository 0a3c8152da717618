"""The vault_credentials action plugin, driven directly with a real DataLoader and vault secrets."""

import multiprocessing
import os
import stat
from unittest import mock

import pytest
import yaml
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import EncryptedString, VaultLib, VaultSecret, VaultSecretsContext, is_encrypted
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar
from ansible.utils.vars import transform_to_native_types

from ansible_collections.securenexus.provisioning.plugins.action import vault_credentials
from ansible_collections.securenexus.provisioning.plugins.action.vault_credentials import ActionModule, generate_secret

PASSWORD = b"unit-test-vault-password-0123456789"
NAMES = ["mailbox_password", "erpnext_admin_password"]


def make_action(args, secrets=(("default", PASSWORD),), check_mode=False):
    loader = DataLoader()
    loader.set_vault_secrets([(vault_id, VaultSecret(password)) for vault_id, password in secrets])
    task = Task()
    task.args = dict(args)
    task.check_mode = check_mode
    return ActionModule(task, mock.MagicMock(), PlayContext(), loader, Templar(loader=loader), None)


def run(path, names=None, sealed=False, **kwargs):
    """The task result; its secrets decrypted as a later task's templating would, unless sealed."""
    args = {"path": str(path), "secrets": list(NAMES if names is None else names)}
    args.update({key: kwargs.pop(key) for key in ("length", "vault_id", "in_use", "rotate", "promote") if key in kwargs})
    result = make_action(args, **kwargs).run(task_vars={})
    if not sealed:
        loaded = [(vault_id, VaultSecret(password)) for vault_id, password in kwargs.get("secrets", (("default", PASSWORD),))]
        with mock.patch.object(VaultSecretsContext, "_current", VaultSecretsContext(loaded)):
            for key in ("secrets", "pending"):
                result[key] = {name: str(value) for name, value in result.get(key, {}).items()}
    return result


def decrypt(path, password=PASSWORD):
    data = path.read_bytes()
    assert is_encrypted(data)
    return yaml.safe_load(VaultLib([("default", VaultSecret(password))]).decrypt(data))


def encrypt(path, data, password=PASSWORD):
    text = data if isinstance(data, str) else yaml.safe_dump(data)
    path.write_bytes(VaultLib().encrypt(text, secret=VaultSecret(password)))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_first_run_creates_every_secret_in_an_encrypted_0600_file_in_a_0700_directory(tmp_path):
    path = tmp_path / "credentials" / "acme.vault.yml"
    result = run(path)
    assert result["changed"] is True
    assert result["created"] == NAMES and result["kept"] == []
    assert decrypt(path) == result["secrets"]
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_second_run_returns_the_stored_values_and_leaves_the_file_untouched(tmp_path):
    path = tmp_path / "acme.vault.yml"
    first = run(path)
    before = path.read_bytes()
    second = run(path)
    assert second["changed"] is False
    assert second["secrets"] == first["secrets"]
    assert second["created"] == [] and second["kept"] == NAMES
    assert path.read_bytes() == before


def test_a_newly_requested_secret_is_added_and_existing_ones_and_foreign_keys_are_kept(tmp_path):
    path = tmp_path / "acme.vault.yml"
    encrypt(path, {"mailbox_password": "Kept-by-hand-1", "note": "added by an operator"})
    result = run(path)
    assert result["changed"] is True
    assert result["created"] == ["erpnext_admin_password"]
    assert result["secrets"]["mailbox_password"] == "Kept-by-hand-1"
    stored = decrypt(path)
    assert stored["note"] == "added by an operator"
    assert stored["erpnext_admin_password"] == result["secrets"]["erpnext_admin_password"]


def test_a_file_that_decrypts_to_the_same_mapping_is_not_rewritten(tmp_path):
    path = tmp_path / "acme.vault.yml"
    encrypt(path, "erpnext_admin_password: 'Abc123def456ghi789jk'\nmailbox_password:   Xyz987wvu654tsr321qp\n")
    os.chmod(path, 0o600)
    before = path.read_bytes()
    assert run(path)["changed"] is False
    assert path.read_bytes() == before


def test_check_mode_on_a_fresh_client_writes_nothing_and_still_returns_usable_values(tmp_path):
    directory = tmp_path / "credentials"
    result = run(directory / "acme.vault.yml", check_mode=True)
    assert result["changed"] is True
    assert result["created"] == NAMES
    assert all(len(value) == 32 for value in result["secrets"].values())
    assert not directory.exists()


def test_check_mode_on_a_saved_file_returns_the_saved_values_unchanged(tmp_path):
    path = tmp_path / "acme.vault.yml"
    saved = run(path)["secrets"]
    result = run(path, check_mode=True)
    assert result["changed"] is False
    assert result["secrets"] == saved


def test_check_mode_reports_a_secret_it_would_add_without_writing_it(tmp_path):
    path = tmp_path / "acme.vault.yml"
    run(path, names=["mailbox_password"])
    before = path.read_bytes()
    result = run(path, check_mode=True)
    assert result["changed"] is True and result["created"] == ["erpnext_admin_password"]
    assert path.read_bytes() == before


def test_the_secrets_are_vault_encrypted_values_that_every_callback_shows_redacted(tmp_path):
    result = run(tmp_path / "acme.vault.yml", sealed=True)
    assert all(isinstance(value, EncryptedString) for value in result["secrets"].values())
    assert transform_to_native_types(result)["secrets"] == {name: "<redacted>" for name in NAMES}


def test_a_file_with_a_loose_mode_is_tightened_and_reported(tmp_path):
    path = tmp_path / "acme.vault.yml"
    run(path)
    os.chmod(path, 0o644)
    assert run(path)["changed"] is True
    assert mode(path) == 0o600


def test_check_mode_shows_a_loose_mode_as_path_and_modes_without_any_secret(tmp_path):
    path = tmp_path / "acme.vault.yml"
    saved = run(path)["secrets"]
    os.chmod(path, 0o644)
    result = transform_to_native_types(run(path, check_mode=True, sealed=True))
    assert result["changed"] is True
    assert result["diff"]["before"] == {"mode": "0644"} and result["diff"]["after"] == {"mode": "0600"}
    assert result["msg"] == "%s: mode 0644 -> 0600 (check mode: nothing changed)" % path
    assert mode(path) == 0o644
    assert not any(value in repr(result) for value in saved.values())


def test_a_lost_file_whose_secret_is_in_use_fails_naming_the_file_and_the_way_out(tmp_path):
    path = tmp_path / "credentials" / "acme.vault.yml"
    for check_mode in (True, False):
        with pytest.raises(AnsibleActionFail) as failure:
            run(path, in_use={"mailbox_password": "the mailbox acme@acmecorp.com"}, check_mode=check_mode)
        message = str(failure.value)
        assert "%s does not exist (lost?)" % path in message
        assert "mailbox_password is in use by the mailbox acme@acmecorp.com" in message
        assert "Restore the file from your backup" in message and "rotate_credentials" in message
        assert "Nothing was changed" in message
    assert not path.parent.exists()


def test_a_file_missing_a_secret_in_use_fails_and_is_left_untouched(tmp_path):
    path = tmp_path / "acme.vault.yml"
    run(path, names=["erpnext_admin_password"])
    before = path.read_bytes()
    with pytest.raises(AnsibleActionFail, match="holds no mailbox_password, but mailbox_password is in use"):
        run(path, in_use={"mailbox_password": "the mailbox acme@acmecorp.com"})
    assert path.read_bytes() == before


def test_a_stored_secret_in_use_is_simply_returned(tmp_path):
    path = tmp_path / "acme.vault.yml"
    saved = run(path)["secrets"]
    result = run(path, in_use={"mailbox_password": "the mailbox acme@acmecorp.com"})
    assert result["changed"] is False and result["secrets"] == saved


def test_a_plaintext_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "acme.vault.yml"
    path.write_text("mailbox_password: Typed-in-by-hand-42\n")
    with pytest.raises(AnsibleActionFail, match="not vault-encrypted") as failure:
        run(path)
    assert "Typed-in-by-hand-42" not in str(failure.value)
    assert path.read_text() == "mailbox_password: Typed-in-by-hand-42\n"


def test_a_wrong_vault_password_fails_clearly_and_writes_nothing(tmp_path):
    path = tmp_path / "acme.vault.yml"
    run(path)
    before = path.read_bytes()
    with pytest.raises(AnsibleActionFail, match="cannot decrypt .* wrong vault password"):
        run(path, secrets=(("default", b"not-the-password"),))
    assert path.read_bytes() == before


def test_a_damaged_vault_envelope_fails_clearly_and_writes_nothing(tmp_path):
    path = tmp_path / "acme.vault.yml"
    run(path)
    damaged = path.read_bytes().replace(b"\n3", b"\n4", 1).replace(b"\n6", b"\n7", 1)
    path.write_bytes(damaged)
    with pytest.raises(AnsibleActionFail, match="cannot decrypt"):
        run(path)
    assert path.read_bytes() == damaged


def test_invalid_yaml_inside_the_vault_is_reported_by_position_without_quoting_the_secret(tmp_path):
    path = tmp_path / "acme.vault.yml"
    encrypt(path, "mailbox_password: Secret-Value-777\nerpnext_admin_password: [unclosed Secret-Value-888\n")
    with pytest.raises(AnsibleActionFail, match=r"not valid YAML \(line") as failure:
        run(path)
    assert "Secret-Value" not in str(failure.value)


def test_content_that_is_not_a_mapping_is_refused(tmp_path):
    path = tmp_path / "acme.vault.yml"
    encrypt(path, "- just\n- a list\n")
    with pytest.raises(AnsibleActionFail, match="not a YAML mapping"):
        run(path)


def test_a_requested_secret_that_is_not_a_non_empty_string_is_refused(tmp_path):
    path = tmp_path / "acme.vault.yml"
    encrypt(path, {"mailbox_password": 123456, "erpnext_admin_password": ""})
    before = path.read_bytes()
    with pytest.raises(AnsibleActionFail, match="erpnext_admin_password, mailbox_password must be non-empty strings"):
        run(path)
    assert path.read_bytes() == before


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "acme.vault.yml"
    path.write_bytes(b"")
    with pytest.raises(AnsibleActionFail, match="is empty"):
        run(path)


def test_no_loaded_vault_secret_fails_before_touching_anything(tmp_path):
    directory = tmp_path / "credentials"
    with pytest.raises(AnsibleActionFail, match="no vault secret is loaded"):
        run(directory / "acme.vault.yml", secrets=())
    assert not directory.exists()


def test_several_vault_secrets_need_a_vault_id_for_a_new_file(tmp_path):
    path = tmp_path / "acme.vault.yml"
    with pytest.raises(AnsibleActionFail, match="several vault secrets are loaded"):
        run(path, secrets=(("sandbox", PASSWORD), ("prod", b"production-password-0123")))
    assert not path.exists()


def test_the_vault_id_option_picks_the_secret_and_labels_the_file(tmp_path):
    path = tmp_path / "acme.vault.yml"
    run(path, secrets=(("sandbox", PASSWORD), ("prod", b"production-password-0123")), vault_id="prod")
    assert path.read_bytes().splitlines()[0] == b"$ANSIBLE_VAULT;1.2;AES256;prod"
    assert set(decrypt(path, b"production-password-0123")) == set(NAMES)


def test_an_existing_file_is_rewritten_with_the_secret_that_decrypted_it(tmp_path):
    path = tmp_path / "acme.vault.yml"
    encrypt(path, {"mailbox_password": "Kept-by-hand-1"}, password=b"production-password-0123")
    run(path, secrets=(("sandbox", PASSWORD), ("prod", b"production-password-0123")))
    assert decrypt(path, b"production-password-0123")["mailbox_password"] == "Kept-by-hand-1"


def test_an_interrupted_write_leaves_the_previous_complete_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "acme.vault.yml"
    run(path, names=["mailbox_password"])
    before = path.read_bytes()
    with mock.patch.object(vault_credentials.os, "replace", side_effect=KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            run(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".acme.vault.yml.lock", "acme.vault.yml"]


@pytest.mark.parametrize("args, message", [
    ({"secrets": []}, "at least one secret"),
    ({"secrets": ["ok", "not ok"]}, "letters, digits and underscores"),
    ({"secrets": ["a", "a"]}, "more than once"),
    ({"secrets": ["a"], "length": 8}, "at least 16"),
    ({"secrets": ["a"], "rotate": ["a"], "promote": ["a"]}, "give one of them"),
    ({"secrets": ["a"], "rotate": ["b"]}, "not listed: b"),
])
def test_bad_arguments_are_refused_before_anything_is_read(tmp_path, args, message):
    with pytest.raises(AnsibleActionFail, match=message):
        make_action({"path": str(tmp_path / "x" / "c.vault.yml"), **args}).run(task_vars={})
    assert not (tmp_path / "x").exists()


def test_generated_secrets_have_the_asked_length_and_all_character_classes():
    for dummy in range(200):
        value = generate_secret(16)
        assert len(value) == 16 and value.isalnum()
        assert any(c.islower() for c in value) and any(c.isupper() for c in value) and any(c.isdigit() for c in value)


def _concurrent_worker(path, names, queue):
    queue.put(run(path, names=names)["secrets"])


def test_concurrent_runs_for_one_client_never_lose_or_mismatch_a_secret(tmp_path):
    path = tmp_path / "credentials" / "acme.vault.yml"
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    requests = [["mailbox_password", "erpnext_admin_password", "extra_%d" % (n % 4)] for n in range(12)]
    workers = [context.Process(target=_concurrent_worker, args=(path, names, queue)) for names in requests]
    for worker in workers:
        worker.start()
    returned = [queue.get(timeout=120) for dummy in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    stored = decrypt(path)
    assert set(stored) == {"mailbox_password", "erpnext_admin_password", "extra_0", "extra_1", "extra_2", "extra_3"}
    for values in returned:
        assert {name: stored[name] for name in values} == values


def test_rotating_saves_a_pending_value_beside_the_current_one_before_anything_uses_it(tmp_path):
    path = tmp_path / "acme.vault.yml"
    saved = run(path)["secrets"]
    result = run(path, rotate=["mailbox_password"])
    assert result["changed"] is True
    assert result["secrets"] == saved
    new = result["pending"]["mailbox_password"]
    assert new != saved["mailbox_password"] and len(new) == 32
    assert decrypt(path) == dict(saved, rotation_pending={"mailbox_password": new})
    assert "pending mailbox_password absent -> generated" in result["msg"] and new not in result["msg"]


def test_an_interrupted_rotation_reuses_its_pending_value(tmp_path):
    path = tmp_path / "acme.vault.yml"
    run(path)
    first = run(path, rotate=["mailbox_password"])["pending"]
    again = run(path, rotate=["mailbox_password"])
    assert again["changed"] is False and again["pending"] == first


def test_promoting_makes_the_pending_value_current_and_forgets_it(tmp_path):
    path = tmp_path / "acme.vault.yml"
    saved = run(path)["secrets"]
    new = run(path, rotate=["mailbox_password"])["pending"]["mailbox_password"]
    result = run(path, promote=["mailbox_password"])
    assert result["changed"] is True and result["secrets"]["mailbox_password"] == new
    assert decrypt(path) == dict(saved, mailbox_password=new)
    assert run(path, promote=["mailbox_password"])["changed"] is False


def test_a_pending_rotation_is_warned_about_by_a_plain_run(tmp_path):
    path = tmp_path / "acme.vault.yml"
    run(path)
    run(path, rotate=["mailbox_password"])
    warnings = run(path)["warnings"]
    assert len(warnings) == 1 and "rotation of mailbox_password that did not finish" in warnings[0]


def test_rotating_a_secret_of_a_lost_file_is_the_way_out_of_in_use(tmp_path):
    path = tmp_path / "acme.vault.yml"
    in_use = {"mailbox_password": "the mailbox acme@acmecorp.com"}
    result = run(path, names=["mailbox_password"], rotate=["mailbox_password"], in_use=in_use)
    assert result["secrets"] == {}
    new = result["pending"]["mailbox_password"]
    assert run(path, names=["mailbox_password"], promote=["mailbox_password"], in_use=in_use)["secrets"] == {
        "mailbox_password": new}


def test_check_mode_rotation_writes_nothing(tmp_path):
    path = tmp_path / "acme.vault.yml"
    run(path)
    before = path.read_bytes()
    result = run(path, rotate=["mailbox_password"], check_mode=True)
    assert result["changed"] is True and len(result["pending"]["mailbox_password"]) == 32
    assert path.read_bytes() == before
