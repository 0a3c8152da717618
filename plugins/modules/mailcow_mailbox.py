#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mailcow_mailbox
short_description: Manage mailboxes on a Mailcow server
version_added: 0.1.0
description:
  - Create, update or delete a mailbox through the Mailcow API.
  - Only the options you set are compared and changed; the others keep their value on the server.
  - Quotas are in MiB, as in the Mailcow web interface.
author:
  - SecureNexus engineering (@securenexus)
extends_documentation_fragment:
  - securenexus.provisioning._in_process
  - securenexus.provisioning._mailcow
  - securenexus.provisioning._mailcow.WRITE_ONLY_PASSWORD
  - securenexus.provisioning._mailcow.ATTRIBUTES
  - securenexus.provisioning._mailcow.ACTION_GROUP
options:
  address:
    description:
      - The address of the mailbox, V(local_part@domain). Compared case-insensitively.
      - Give either O(address) or both O(local_part) and O(domain).
    type: str
  local_part:
    description:
      - The part of the address before the C(@).
    type: str
  domain:
    description:
      - The domain of the mailbox. It must already exist in Mailcow.
      - In check mode a missing domain is not an error, so that a check run over objects never created
        predicts everything; the result's C(msg) says that the domain would have to be created first.
    type: str
  state:
    description:
      - V(present) creates or updates the mailbox, V(absent) deletes it.
      - Deleting a mailbox makes Mailcow delete every alias whose only destination it is and remove it
        from the destinations of the other aliases. Mailcow's API cannot list the aliases of one destination,
        only all aliases of a domain, so the module does not read them to name them; manage those aliases with
        M(securenexus.provisioning.mailcow_alias) first where it matters.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Full name of the mailbox owner. The local part is used when it is not set on creation.
      - Cannot be cleared, so an empty value is refused.
    type: str
  quota:
    description:
      - Quota of the mailbox in MiB; V(0) means unlimited.
      - When not set on creation, the default quota (C(defquota)) of the domain is used.
    type: int
  active:
    description:
      - Whether the mailbox can log in and receive mail. V(true) on creation when not set.
    type: bool
  force_pw_update:
    description:
      - Whether the owner must change the password at the next login. V(false) on creation when not set.
    type: bool
  sogo_access:
    description:
      - Whether the owner may use the SOGo web mail. V(true) on creation when not set.
    type: bool
  tags:
    description:
      - The tags of the mailbox, as a set (order does not matter). Tags not listed are removed.
    type: list
    elements: str
seealso:
  - module: securenexus.provisioning.mailcow_domain
  - module: securenexus.provisioning.mailcow_mailbox_info
"""

EXAMPLES = r"""
- name: Provision mailboxes
  module_defaults:
    group/securenexus.provisioning.mailcow:
      api_url: https://mail.example.org
      api_key: "{{ vault_mailcow_api_key }}"
  block:
    - name: Ensure the mailbox of a client exists (quota from the domain's default)
      securenexus.provisioning.mailcow_mailbox:
        address: demo@byrne-accounts.org
        name: Demo User
        password: "{{ vault_demo_password }}"
      no_log: true

    - name: Give a mailbox 4 GiB, by local part and domain
      securenexus.provisioning.mailcow_mailbox:
        local_part: demo
        domain: byrne-accounts.org
        quota: 4096

    - name: Reset a password on every run
      securenexus.provisioning.mailcow_mailbox:
        address: demo@byrne-accounts.org
        password: "{{ vault_demo_password }}"
        update_password: always
        force_pw_update: true
      no_log: true

    - name: Delete a mailbox
      securenexus.provisioning.mailcow_mailbox:
        address: former@byrne-accounts.org
        state: absent
"""

RETURN = r"""
mailbox:
  description:
    - The mailbox as Mailcow has it after the task, in the option names and units (MiB).
    - In check mode, the predicted mailbox. An empty dict when the mailbox is absent. Never contains the password.
  returned: always
  type: dict
  contains:
    address:
      description: The address, lower-case.
      type: str
      sample: demo@byrne-accounts.org
    local_part:
      description: The part before the C(@).
      type: str
      sample: demo
    domain:
      description: The domain.
      type: str
      sample: byrne-accounts.org
    name:
      description: Full name of the owner.
      type: str
      sample: Demo User
    quota:
      description:
        - Quota in MiB, V(0) for unlimited.
        - V(null) in check mode when O(quota) is not set and the domain does not exist yet (its default quota is unknown).
      type: int
      sample: 3072
    active:
      description: Whether the mailbox is active.
      type: bool
      sample: true
    force_pw_update:
      description: Whether a password change is forced at the next login.
      type: bool
      sample: false
    sogo_access:
      description: Whether SOGo access is allowed.
      type: bool
      sample: true
    tags:
      description: Tags of the mailbox, sorted.
      type: list
      elements: str
      sample: []
diff:
  description:
    - The mailbox before and after the task (empty dicts for an absent mailbox).
    - A password that is sent appears as C(password) with the value V((changed\)) in RV(diff.after).
  returned: when run with C(--diff)
  type: dict
  contains:
    before:
      description: The mailbox before the task.
      type: dict
      sample: {address: demo@byrne-accounts.org, local_part: demo, domain: byrne-accounts.org, name: Demo User,
               quota: 3072, active: true, force_pw_update: false, sogo_access: true, tags: []}
    after:
      description: The mailbox after the task (predicted in check mode).
      type: dict
      sample: {address: demo@byrne-accounts.org, local_part: demo, domain: byrne-accounts.org, name: Demo User,
               quota: 4096, active: true, force_pw_update: false, sogo_access: true, tags: []}
"""

from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow import explain
from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow_resource import (
    Resource,
    PASSWORD_ARGSPEC,
    ResourceError,
    Write,
    lower,
    password_resend,
    read_domain,
    read_mailbox,
    require_address,
    require_min,
    run_state_module,
    tag_list,
    tag_writes,
    to_api,
)

OPTIONS = ("name", "quota", "active", "force_pw_update", "sogo_access", "tags")

ARGUMENT_SPEC = dict(
    address=dict(type="str"),
    local_part=dict(type="str"),
    domain=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    name=dict(type="str"),
    **PASSWORD_ARGSPEC,
    quota=dict(type="int"),
    active=dict(type="bool"),
    force_pw_update=dict(type="bool"),
    sogo_access=dict(type="bool"),
    tags=dict(type="list", elements="str"),
)


class Mailbox(Resource):
    kind = "mailbox"

    def identity(self):
        if self.params["address"] is not None:
            return lower(self.params["address"])
        return "%s@%s" % (lower(self.params["local_part"]), lower(self.params["domain"]))

    def validate(self):
        require_address("address" if self.params["address"] is not None else "local_part/domain", self.identity())
        require_min(self.params, ("quota",), 0)
        if self.params["name"] is not None and not self.params["name"].strip():
            raise ResourceError("name must not be empty: Mailcow cannot clear a mailbox name")
        if self.params["password"] == "":
            raise ResourceError("password must not be empty")

    def read(self, client, ident):
        return read_mailbox(client, ident)

    def desired(self):
        wanted = {o: self.params[o] for o in OPTIONS if self.params[o] is not None}
        if "tags" in wanted:
            wanted["tags"] = tag_list(wanted["tags"])
        return wanted

    def plan_create(self, client, ident, desired):
        if self.params["password"] is None:
            raise ResourceError("cannot create mailbox %s: password is required to create a mailbox" % ident)
        local_part, _at, domain_name = ident.rpartition("@")
        domain = read_domain(client, domain_name)
        if domain is None:
            if not client.check_mode:
                raise ResourceError("cannot create mailbox %s: the domain %s does not exist in Mailcow; create it "
                                    "first (securenexus.provisioning.mailcow_domain)" % (ident, domain_name))
            # A check run over a client never provisioned reaches its mailbox before the task that
            # would create the domain has run: predict the mailbox instead of failing.
            self.notes.append("mailbox %s would be created after its domain %s, which does not exist yet and would "
                              "have to be created first" % (ident, domain_name))
            if "quota" not in desired:
                self.notes.append("its quota would be the domain's default quota, unknown until the domain exists")
            domain = {"defquota": None, "maxquota": 0}
        predicted = {"address": ident, "local_part": local_part, "domain": domain_name, "name": local_part,
                     # Mailcow itself would make an omitted quota unlimited, not the domain's default.
                     "quota": domain["defquota"], "active": True, "force_pw_update": False, "sogo_access": True,
                     "tags": []}
        predicted.update(desired)
        if 0 < domain["maxquota"] < predicted["quota"]:
            # Mailcow refuses this too; saying it here makes check mode predict the failure.
            raise ResourceError("cannot create mailbox %s: mailbox_quota_exceeded: %s" % (
                ident, explain("add/mailbox", "mailbox_quota_exceeded", [domain["maxquota"]])))
        sent = ("local_part", "domain", "name", "quota", "active", "force_pw_update", "sogo_access", "tags")
        body = to_api({k: predicted[k] for k in sent})
        body["password"] = body["password2"] = self.params["password"]
        return predicted, [Write("add/mailbox", body, "create")]

    def write_only_changes(self, current):
        return password_resend(self.params)

    def plan_update(self, client, ident, current, delta, secrets):
        attr = to_api({k: v for k, v in delta.items() if k != "tags"})
        writes = []
        if "tags" in delta:
            writes, missing = tag_writes("mailbox", ident, current["tags"], delta["tags"])
            if missing:
                attr["tags"] = missing
        if secrets:
            attr["password"] = attr["password2"] = self.params["password"]
        if attr:
            writes.append(Write("edit/mailbox", {"items": [ident], "attr": attr}, "update"))
        return writes

    def plan_delete(self, client, ident, current):
        return [Write("delete/mailbox", [ident], "delete")], []


def main():
    run_state_module(Mailbox, ARGUMENT_SPEC,
                     required_one_of=[("address", "local_part")],
                     mutually_exclusive=[("address", "local_part"), ("address", "domain")],
                     required_together=[("local_part", "domain")])


if __name__ == "__main__":
    main()
