# -*- coding: utf-8 -*-

# Copyright: (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vault_credentials
short_description: Get or create secrets kept in a vault-encrypted file on the controller
version_added: 0.1.0
description:
  - Reads a YAML mapping of secrets from a file encrypted with Ansible Vault, generates every
    secret named in O(secrets) that the file does not hold yet, and writes the file back only when
    its decrypted content changes, so repeated runs report V(ok).
  - New secrets are drawn with Python's C(secrets) module from letters and digits, with at least one
    lower case letter, one upper case letter and one digit.
  - Existing values are never replaced, and keys the task does not name are kept as they are.
  - The file is written atomically (a temporary file in the same directory, then a rename), with
    mode C(0600) in a directory with mode C(0700), while an exclusive lock (C(fcntl.flock) on a lock
    file beside it) is held for the whole read-modify-write, so concurrent runs for the same file
    can neither lose a secret nor hand out two different values.
  - The file is encrypted with the vault secret given by O(vault_id), else the one configured as
    C(vault_encrypt_identity), else the secret that decrypted the existing file, else the only vault
    secret loaded.
  - A file that is empty, not vault-encrypted, not decryptable with the loaded secrets, not a YAML
    mapping, or whose requested values are not non-empty strings makes the task fail with a message
    saying so, and nothing is written.
  - A secret named in O(in_use) is never generated. When the file (lost, or restored from an old
    backup) does not hold it, the task fails naming the file and the ways out (restore the file from
    a backup, or rotate the secret on purpose), and nothing is written, not even the directory.
  - The result holds the secret values (for later tasks, through C(register)) as vault-encrypted
    values, as an inline C(!vault) variable holds them. Templating one gives the plain value, while
    every callback, at any verbosity, shows V(<redacted>). The rest of the result is visible, so a
    check run shows what differs (a file mode, a secret to generate; names and modes, never a value),
    also as a diff with C(--diff).
  - This module runs on the controller and writes controller files, whatever host the task runs for.
options:
  path:
    description:
      - Path of the vault-encrypted credentials file on the controller.
      - Missing parent directories are created with mode C(0700).
    type: path
    required: true
  secrets:
    description:
      - Names of the secrets to get, creating those the file does not hold.
      - Letters, digits and underscores.
    type: list
    elements: str
    required: true
  length:
    description:
      - Length of every newly generated secret. At least 16.
    type: int
    default: 32
  vault_id:
    description:
      - The vault id (label) of the loaded vault secret that encrypts the file.
      - Needed only when several different vault secrets are loaded and the file does not exist yet.
    type: str
  in_use:
    description:
      - Secrets already in force somewhere, name to a description of where (for example
        V(the mailbox acme@acmecorp.com in Mailcow)), which must therefore be read from the file and
        never generated.
      - Give it when the object that a secret protects already exists, so that a lost credentials file
        stops the run instead of handing out a new value that the object does not accept.
    type: dict
    default: {}
  rotate:
    description:
      - First step of a rotation. Names (also listed in O(secrets)) that get a new value, saved in the
        file as pending (under C(rotation_pending)) beside the current one and returned in RV(pending).
      - A value already pending from an interrupted rotation is returned again, not replaced, since the
        service may already hold it.
      - A rotated secret that the file does not hold (a lost file) is not generated as a current value,
        so rotating is the way out of O(in_use).
    type: list
    elements: str
    default: []
  promote:
    description:
      - Last step of a rotation, once the service accepted the pending values. Names (also listed in
        O(secrets)) whose pending value becomes the current one; names with no pending value are left alone.
      - Mutually exclusive with O(rotate).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - action_common_attributes.files
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Nothing is written; secrets that would be created are generated and returned, never saved.
  diff_mode:
    support: full
    details: The diff names the file and shows its mode and the secrets to generate, never a value.
  platform:
    platforms: posix
  safe_file_operations:
    support: partial
    details: Writes with its own temporary file, fsync and rename in the target directory, not Ansible's file helpers.
  vault:
    support: full
seealso:
  - name: Ansible Vault
    description: Encrypting content with Ansible Vault.
    link: https://docs.ansible.com/ansible/latest/vault_guide/index.html
author:
  - SecureNexus engineering (@securenexus)
"""

EXAMPLES = r"""
- name: Get the client's passwords, creating the missing ones
  securenexus.provisioning.vault_credentials:
    path: "{{ inventory_dir }}/credentials/acme.vault.yml"
    secrets:
      - mailbox_password
      - erpnext_admin_password
  register: acme_credentials
  no_log: true

- name: Use one of them
  securenexus.provisioning.mailcow_mailbox:
    address: acme@acmecorp.com
    password: "{{ acme_credentials.secrets.mailbox_password }}"

- name: The mailbox exists, so its password must come from the file (a lost file stops here)
  securenexus.provisioning.vault_credentials:
    path: credentials/acme.vault.yml
    secrets: [mailbox_password]
    in_use:
      mailbox_password: the mailbox acme@acmecorp.com in Mailcow
  register: acme_credentials

- name: Rotate a password - save the new value as pending first
  securenexus.provisioning.vault_credentials:
    path: credentials/acme.vault.yml
    secrets: [mailbox_password]
    rotate: [mailbox_password]
  register: acme_rotation

- name: Rotate a password - set it in the service
  securenexus.provisioning.mailcow_mailbox:
    address: acme@acmecorp.com
    password: "{{ acme_rotation.pending.mailbox_password }}"
    update_password: always

- name: Rotate a password - make it current once the service took it
  securenexus.provisioning.vault_credentials:
    path: credentials/acme.vault.yml
    secrets: [mailbox_password]
    promote: [mailbox_password]

- name: Encrypt with a given vault id when several are loaded
  securenexus.provisioning.vault_credentials:
    path: credentials/globex.vault.yml
    secrets: [mailbox_password]
    length: 40
    vault_id: prod
  register: globex_credentials
"""

RETURN = r"""
path:
  description: Absolute path of the credentials file.
  returned: always
  type: str
  sample: /srv/provisioning/credentials/acme.vault.yml
created:
  description: Names of the secrets generated by this run (in check mode, those that would be).
  returned: always
  type: list
  elements: str
  sample: [mailbox_password]
kept:
  description: Names of the requested secrets the file already held.
  returned: always
  type: list
  elements: str
  sample: [erpnext_admin_password]
secrets:
  description:
    - The requested secrets, name to value. In check mode, values not yet saved are freshly generated
      and differ from run to run.
    - Each value is vault-encrypted (shown as V(<redacted>) in task output); read the values through
      C(register) and templating.
  returned: success
  type: dict
  sample: {mailbox_password: "<redacted>", erpnext_admin_password: "<redacted>"}
pending:
  description:
    - With O(rotate), the pending new values, name to value, vault-encrypted like RV(secrets).
  returned: success
  type: dict
  sample: {mailbox_password: "<redacted>"}
msg:
  description: "What differs, names and modes only, for example V(/srv/credentials/acme.vault.yml: mode 0644 -> 0600)."
  returned: when changed
  type: str
"""
