# -*- coding: utf-8 -*-

# Copyright: (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Get-or-create secrets kept in a vault-encrypted YAML file on the controller.

The documentation lives in plugins/modules/vault_credentials.py, as for ansible.builtin's
action-backed modules.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import stat
import string
import tempfile

import yaml

from ansible import constants as C
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.parsing.vault import AnsibleVaultError, EncryptedString, VaultLib, is_encrypted
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()

FILE_MODE = 0o600
DIR_MODE = 0o700
MIN_LENGTH = 16
# Letters and digits only: the secrets travel through bench command lines, Mailcow's JSON API,
# login forms and mail clients, and none of them has to escape anything.
ALPHABET = string.ascii_letters + string.digits

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "secrets": {"type": "list", "elements": "str", "required": True, "no_log": False},
    "length": {"type": "int", "default": 32},
    "vault_id": {"type": "str"},
    "in_use": {"type": "dict", "default": {}},
    "rotate": {"type": "list", "elements": "str", "default": []},
    "promote": {"type": "list", "elements": "str", "default": []},
}
# Where new values wait during a rotation: saved before the service is told, promoted after it accepted them.
PENDING = "rotation_pending"


def generate_secret(length):
    """A random string with at least one lower case letter, upper case letter and digit.

    Password policies (Mailcow's configurable one among them) often ask for all three; drawing
    again until they are present keeps every character uniformly random.
    """
    while True:
        value = "".join(secrets.choice(ALPHABET) for dummy in range(length))
        if (any(c.islower() for c in value) and any(c.isupper() for c in value)
                and any(c.isdigit() for c in value)):
            return value


def dump_yaml(data):
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=True, allow_unicode=True)


@contextlib.contextmanager
def exclusive_lock(lock_path):
    """Hold an exclusive flock on lock_path; the lock file itself stays (removing it would race)."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def atomic_write(path, b_data):
    """Replace path by a complete new file: readers see the old file or the new one, never a mix."""
    directory = os.path.dirname(path)
    fd, tmp_path = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(b_data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_path)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        # Plain str: task arguments arrive as tagged str subclasses that yaml.safe_dump refuses.
        path = os.path.abspath(str(args["path"]))
        names = [str(name) for name in args["secrets"]]
        in_use = {str(name): str(what) for name, what in args["in_use"].items()}
        rotate = [str(name) for name in args["rotate"]]
        promote = [str(name) for name in args["promote"]]
        self._check_arguments(names, args["length"], rotate, promote)

        vault_secrets = self._distinct_secrets()
        check_mode = bool(self._task.check_mode)
        directory = os.path.dirname(path)

        if check_mode:
            stored, decrypt_secret = self._read(path, vault_secrets)
            outcome = self._merge(path, stored, names, args["length"], in_use, rotate, promote)
            modes = self._mode_changes(path, directory)
        else:
            modes = self._mode_changes(path, directory)
            if not os.path.exists(path):
                # Before the directory and its lock file are made: a refusal changes nothing at all.
                self._refuse_lost(path, {}, [name for name in names if name not in rotate], in_use)
            self._ensure_directory(directory)
            with exclusive_lock(os.path.join(directory, "." + os.path.basename(path) + ".lock")):
                stored, decrypt_secret = self._read(path, vault_secrets)
                outcome = self._merge(path, stored, names, args["length"], in_use, rotate, promote)
                if outcome["data"] != stored:
                    vault_id, secret = self._encrypt_secret(vault_secrets, args["vault_id"], decrypt_secret, path)
                    b_vaulttext = VaultLib().encrypt(dump_yaml(outcome["data"]), secret=secret, vault_id=vault_id)
                    atomic_write(path, b_vaulttext)
                elif stat.S_IMODE(os.stat(path).st_mode) != FILE_MODE:
                    os.chmod(path, FILE_MODE)

        changes = modes + [("secret %s" % name, "absent", "generated") for name in outcome["created"]] + outcome["rotation"]
        # A new file is a creation (an empty before), not secrets changing one by one.
        before = {what: old for what, old, dummy in changes} if stored or modes else {}
        self._announce(path, outcome, modes, check_mode)
        # Any loaded secret will do: templating decrypts with all of them.
        vault_id, secret = vault_secrets[0]
        result = {
            "changed": bool(changes),
            "path": path,
            "created": outcome["created"],
            "kept": outcome["kept"],
            # Each value is vault-encrypted as an inline !vault variable would be: templating it in a
            # later task gives the plain value, while every callback (any verbosity, json, junit,
            # tree) shows "<redacted>". So the rest of the result (what differs) can stay visible.
            "secrets": {name: self._sealed(outcome["data"][name], vault_id, secret)
                        for name in names if name in outcome["data"]},
            "pending": {name: self._sealed(outcome["data"][PENDING][name], vault_id, secret) for name in rotate},
            "diff": {
                "before_header": path, "after_header": path,
                "before": before,
                "after": {what: after for what, dummy, after in changes},
            },
        }
        waiting = sorted(set(outcome["data"].get(PENDING, {})) & set(names) - set(rotate))
        if waiting and not promote:
            result["warnings"] = ["%s holds a rotation of %s that did not finish: the service may accept the new value "
                                  "only. Finish it: ansible-playbook securenexus.provisioning.rotate_credentials "
                                  "-e client=<client> -e rotate=%s" % (path, ", ".join(waiting), ",".join(waiting))]
        if changes:
            result["msg"] = "%s: %s%s" % (path, "; ".join("%s %s -> %s" % change for change in changes),
                                          " (check mode: nothing changed)" if check_mode else "")
        return result

    @staticmethod
    def _sealed(value, vault_id, secret):
        return EncryptedString(ciphertext=to_text(VaultLib().encrypt(value, secret=secret, vault_id=vault_id)))

    @staticmethod
    def _check_arguments(names, length, rotate, promote):
        problems = []
        if rotate and promote:
            problems.append("rotate and promote are two steps of a rotation: give one of them")
        strays = sorted(set(rotate + promote) - set(names))
        if strays:
            problems.append("rotate and promote name secrets that secrets lists; not listed: %s" % ", ".join(strays))
        if not names:
            problems.append("secrets must name at least one secret")
        bad = sorted({name for name in names if not name or not name.replace("_", "").isalnum()})
        if bad:
            problems.append("secret names must be letters, digits and underscores: %s" % ", ".join(repr(n) for n in bad))
        if len(set(names)) != len(names):
            problems.append("secrets lists a name more than once")
        if length < MIN_LENGTH:
            problems.append("length must be at least %d (got %d)" % (MIN_LENGTH, length))
        if problems:
            raise AnsibleActionFail("vault_credentials: " + "; ".join(problems))

    def _distinct_secrets(self):
        """The vault secrets loaded for this run, without repeats of the same password."""
        loaded = list(getattr(self._loader, "_vault", None) and self._loader._vault.secrets or [])
        distinct = []
        for vault_id, secret in loaded:
            try:
                b_secret = secret.bytes
            except AnsibleVaultError:
                continue
            if b_secret and all(b_secret != other.bytes for dummy, other in distinct):
                distinct.append((vault_id, secret))
        if not distinct:
            raise AnsibleActionFail(
                "vault_credentials: no vault secret is loaded, so the credentials file cannot be read or "
                "written encrypted. Give one with --vault-id, --vault-password-file or "
                "ANSIBLE_VAULT_PASSWORD_FILE (vault_password_file in ansible.cfg). Nothing was changed.")
        return distinct

    @staticmethod
    def _read(path, vault_secrets):
        """Return (stored mapping, the secret that decrypted it); ({}, None) when there is no file."""
        try:
            with open(path, "rb") as handle:
                b_data = handle.read()
        except FileNotFoundError:
            return {}, None
        except OSError as error:
            raise AnsibleActionFail("vault_credentials: cannot read %s: %s. Nothing was changed." % (path, error.strerror))
        if not b_data.strip():
            raise AnsibleActionFail(
                "vault_credentials: %s is empty. It was truncated or created by hand; restore it from a backup "
                "or remove it to start over (the secrets it held are lost). Nothing was changed." % path)
        if not is_encrypted(b_data):
            raise AnsibleActionFail(
                "vault_credentials: %s is not vault-encrypted (decrypted or edited by hand?). Refusing to "
                "overwrite it: encrypt it again with `ansible-vault encrypt %s` and re-run. Nothing was changed."
                % (path, path))
        try:
            b_plain, dummy, used_secret = VaultLib(vault_secrets).decrypt_and_get_vault_id(b_data)
        except (AnsibleError, ValueError, TypeError):
            # AnsibleVaultError (no secret fits) and AnsibleVaultFormatError (a damaged envelope) alike.
            raise AnsibleActionFail(
                "vault_credentials: cannot decrypt %s with the loaded vault secret(s): wrong vault password, "
                "or a damaged (hand-edited) file. Check it with `ansible-vault view %s`. Nothing was changed."
                % (path, path)) from None
        try:
            stored = yaml.safe_load(to_text(b_plain, errors="surrogate_or_strict"))
        except yaml.YAMLError as error:
            # The parser's message quotes the offending line, which may hold a secret: give the position only.
            mark = getattr(error, "problem_mark", None)
            where = " (line %d, column %d)" % (mark.line + 1, mark.column + 1) if mark else ""
            raise AnsibleActionFail(
                "vault_credentials: %s decrypts, but its content is not valid YAML%s. Fix it with "
                "`ansible-vault edit %s`. Nothing was changed." % (path, where, path)) from None
        if not isinstance(stored, dict) or not all(isinstance(key, str) for key in stored):
            raise AnsibleActionFail(
                "vault_credentials: %s decrypts, but its content is not a YAML mapping of names to values. "
                "Fix it with `ansible-vault edit %s`. Nothing was changed." % (path, path))
        return stored, used_secret

    @staticmethod
    def _merge(path, stored, names, length, in_use, rotate=(), promote=()):
        """Keep every stored value, generate the missing ones; other keys in the file are left alone.

        A rotated secret is not generated as a current value (its file may be lost: rotating is the way
        out); it gets a pending value instead, the one already pending if a rotation was interrupted, so
        that the value a service may already hold is never lost. Promoting makes pending values current.
        """
        bad = sorted(name for name in names if name in stored and not (isinstance(stored[name], str) and stored[name]))
        pending = stored.get(PENDING, {})
        if not isinstance(pending, dict) or not all(isinstance(v, str) and v for v in pending.values()):
            bad.append(PENDING)
        if bad:
            raise AnsibleActionFail(
                "vault_credentials: in the credentials file, %s must be non-empty strings; fix the file with "
                "`ansible-vault edit`. Nothing was changed." % ", ".join(bad))
        ActionModule._refuse_lost(path, stored, [name for name in names if name not in rotate
                                                 and not (name in promote and name in pending)], in_use)
        data = dict(stored)
        pending = dict(pending)
        created, rotation = [], []
        for name in names:
            if name in rotate:
                if name not in pending:
                    pending[name] = generate_secret(length)
                    rotation.append(("pending %s" % name, "absent", "generated"))
            elif name in promote and name in pending:
                data[name] = pending.pop(name)
                rotation.append(("secret %s" % name, "stored" if name in stored else "absent", "the pending value"))
            elif name not in data:
                data[name] = generate_secret(length)
                created.append(name)
        if pending:
            data[PENDING] = pending
        else:
            data.pop(PENDING, None)
        return {"data": data, "created": created, "rotation": rotation,
                "kept": [name for name in names if name in stored and name not in created]}

    @staticmethod
    def _refuse_lost(path, stored, names, in_use):
        lost = [name for name in names if name not in stored and name in in_use]
        if lost:
            # A value generated now would never be the one the existing object accepts: the old one
            # is still in force there and only a backup knows it.
            raise AnsibleActionFail(
                "vault_credentials: %s %s, but %s: a new value would never be the one in force there, so none is "
                "generated. Restore the file from your backup (docs/credentials.md), or replace the value on purpose: "
                "ansible-playbook securenexus.provisioning.rotate_credentials -e client=<client> -e rotate=%s. "
                "Nothing was changed."
                % (path, "holds no " + ", ".join(lost) if stored else "does not exist (lost?)",
                   "; ".join("%s is in use by %s" % (name, in_use[name]) for name in lost), ",".join(lost)))

    @staticmethod
    def _mode_changes(path, directory):
        """[(what, before, after)] for the file and its directory, where they exist with another mode."""
        changes = []
        for what, target, wanted in (("directory %s mode" % directory, directory, DIR_MODE),
                                     ("mode", path, FILE_MODE)):
            with contextlib.suppress(FileNotFoundError):
                current = stat.S_IMODE(os.stat(target).st_mode)
                if current != wanted:
                    changes.append((what, "%04o" % current, "%04o" % wanted))
        return changes

    @staticmethod
    def _ensure_directory(directory):
        try:
            os.makedirs(directory, mode=DIR_MODE)
        except OSError as error:
            if error.errno != errno.EEXIST or not os.path.isdir(directory):
                raise AnsibleActionFail("vault_credentials: cannot create the directory %s: %s" % (directory, error.strerror))
        if stat.S_IMODE(os.stat(directory).st_mode) != DIR_MODE:
            os.chmod(directory, DIR_MODE)

    @staticmethod
    def _encrypt_secret(vault_secrets, vault_id, decrypt_secret, path):
        """Pick the vault secret to encrypt with: the asked one, the file's own, or the only one loaded."""
        wanted = vault_id or C.DEFAULT_VAULT_ENCRYPT_IDENTITY
        if wanted:
            for loaded_id, secret in vault_secrets:
                if loaded_id == wanted:
                    return loaded_id, secret
            raise AnsibleActionFail(
                "vault_credentials: no vault secret with the vault id %r is loaded (loaded: %s); nothing was written to %s."
                % (wanted, ", ".join(loaded_id for loaded_id, dummy in vault_secrets), path))
        if decrypt_secret is not None:
            for loaded_id, secret in vault_secrets:
                if secret is decrypt_secret:
                    return loaded_id, secret
        if len(vault_secrets) > 1:
            raise AnsibleActionFail(
                "vault_credentials: several vault secrets are loaded (vault ids: %s); say which one encrypts %s: "
                "load only one (ANSIBLE_VAULT_PASSWORD_FILE replaces ansible.cfg's vault_password_file), or load "
                "yours with --vault-id LABEL@FILE and name LABEL in the vault_id option. Nothing was written."
                % (", ".join(loaded_id for loaded_id, dummy in vault_secrets), path))
        return vault_secrets[0]

    @staticmethod
    def _announce(path, outcome, modes, check_mode):
        """Lines for humans at the default verbosity, with names and modes only (never a value)."""
        changes = modes + outcome["rotation"]
        if changes:
            display.display("vault_credentials: %s: %s%s" % (
                path, "; ".join("%s %s -> %s" % change for change in changes), " (check mode: nothing changed)" if check_mode else ""))
        if outcome["created"]:
            verb = "would create" if check_mode else "created"
            display.display("vault_credentials: %s %s in %s%s" % (
                verb, ", ".join(outcome["created"]), path, " (check mode: nothing written)" if check_mode else ""))
        else:
            display.v("vault_credentials: %s holds %s already" % (path, ", ".join(outcome["kept"])))
