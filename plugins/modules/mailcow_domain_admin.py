#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mailcow_domain_admin
short_description: Manage Mailcow domain administrators
version_added: 0.1.0
description:
  - Create, update or delete a domain administrator through the Mailcow API. A domain administrator logs in
    to the Mailcow web interface and manages the mailboxes and aliases of the domains given to it.
  - The domain administrator is identified by O(username). Only the options you set are compared and changed.
  - Every change Mailcow makes to a domain administrator also resets its C(force_pw_update) and C(force_tfa)
    flags, which this module does not manage.
author:
  - SecureNexus engineering (@securenexus)
extends_documentation_fragment:
  - securenexus.provisioning._in_process
  - securenexus.provisioning._mailcow
  - securenexus.provisioning._mailcow.WRITE_ONLY_PASSWORD
  - securenexus.provisioning._mailcow.ATTRIBUTES
  - securenexus.provisioning._mailcow.ACTION_GROUP
options:
  username:
    description:
      - The login name. Mailcow's rule, checked before any request - letters, digits, C(.), C(-) and C(_) only,
        with at least one letter or digit; so it is never an e-mail address. Compared case-insensitively
        (Mailcow stores it in lower case).
      - It must not be the name of another administrator or of a mailbox.
    type: str
    required: true
  domains:
    description:
      - The domains it administers, as a set. Required to create it; each must already exist in Mailcow (in check
        mode a missing domain is not an error, the result's C(msg) names it).
      - Must not be empty - Mailcow would keep the old set.
      - Deleting the last of its domains from Mailcow deletes the domain administrator too.
    type: list
    elements: str
  active:
    description:
      - Whether it can log in. V(true) on creation when not set (the Mailcow API itself would create an inactive one).
    type: bool
  state:
    description:
      - V(present) creates or updates the domain administrator, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: securenexus.provisioning.mailcow_domain
"""

EXAMPLES = r"""
- name: Let the client manage its own aliases
  securenexus.provisioning.mailcow_domain_admin:
    api_url: https://mail.example.org
    api_key: "{{ vault_mailcow_api_key }}"
    username: byrne-accounts.org-admin
    domains: [byrne-accounts.org]
    password: "{{ vault_domain_admin_password }}"
  no_log: true

- name: Remove the domain administrator
  securenexus.provisioning.mailcow_domain_admin:
    api_url: https://mail.example.org
    api_key: "{{ vault_mailcow_api_key }}"
    username: byrne-accounts.org-admin
    state: absent
"""

RETURN = r"""
domain_admin:
  description:
    - The domain administrator as Mailcow has it after the task. In check mode, the predicted one.
    - An empty dict when it is absent. Never contains the password.
  returned: always
  type: dict
  contains:
    username:
      description: The login name, lower-case.
      type: str
      sample: byrne-accounts.org-admin
    domains:
      description: The domains it administers, sorted.
      type: list
      elements: str
      sample: [byrne-accounts.org]
    active:
      description: Whether it can log in.
      type: bool
      sample: true
diff:
  description:
    - The domain administrator before and after the task (empty dicts when absent). A password sent because
      of O(update_password=always) shows as C(password) V((changed\)) in C(after).
  returned: when run with C(--diff)
  type: dict
  contains:
    before:
      description: The domain administrator before the task.
      type: dict
      sample: {username: byrne-accounts.org-admin, domains: [byrne-accounts.org], active: true}
    after:
      description: The domain administrator after the task (predicted in check mode).
      type: dict
      sample: {username: byrne-accounts.org-admin, domains: [byrne-accounts.org], active: false}
"""

import re

from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow_resource import (
    PASSWORD_ARGSPEC,
    Resource,
    ResourceError,
    Write,
    lower,
    password_resend,
    read_domain,
    require_domain,
    run_state_module,
    to_bool,
)

# Mailcow: ctype_alnum() of the name once "_", "." and "-" are removed.
USERNAME_RE = re.compile(r"^[a-z0-9._-]*[a-z0-9][a-z0-9._-]*$")

ARGUMENT_SPEC = dict(
    username=dict(type="str", required=True),
    domains=dict(type="list", elements="str"),
    **PASSWORD_ARGSPEC,
    active=dict(type="bool"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)


def normalise_domain_admin(raw):
    return {
        "username": lower(raw.get("username")),
        "domains": sorted(lower(d) for d in raw.get("selected_domains") or []),
        "active": to_bool(raw.get("active")),
    }


class DomainAdmin(Resource):
    kind = "domain_admin"

    def identity(self):
        return lower(self.params["username"])

    def describe(self, ident):
        return "domain administrator %s" % ident

    def validate(self):
        if not USERNAME_RE.match(self.identity()):
            raise ResourceError("username: %r is not a valid Mailcow domain administrator name: letters, digits, '.', "
                                "'-' and '_' only (not an e-mail address)" % self.params["username"])
        for domain in self.params["domains"] or []:
            require_domain("domains", lower(domain))
        if self.params["domains"] == []:
            raise ResourceError("domains must list at least one domain (Mailcow keeps the old set when given none)")
        if self.params["password"] == "":
            raise ResourceError("password must not be empty")

    def read(self, client, ident):
        raw = client.get(["domain-admin", ident], self.describe(ident))
        if not isinstance(raw, dict) or lower(raw.get("username")) != ident:
            return None
        return normalise_domain_admin(raw)

    def desired(self):
        wanted = {}
        if self.params["domains"] is not None:
            wanted["domains"] = sorted({lower(d) for d in self.params["domains"]})
        if self.params["active"] is not None:
            wanted["active"] = self.params["active"]
        return wanted

    def require_domains(self, client, ident, domains, verb):
        """Mailcow skips an unknown domain and still reports success: refuse before writing."""
        missing = [domain for domain in domains if read_domain(client, domain) is None]
        if not missing:
            return
        if not client.check_mode:
            raise ResourceError("cannot %s %s: the domain(s) %s do not exist in Mailcow; create them first "
                                "(securenexus.provisioning.mailcow_domain)" % (verb, self.describe(ident),
                                                                               ", ".join(missing)))
        self.notes.append("%s would be given the domain(s) %s, which do not exist yet and would have to be created "
                          "first" % (self.describe(ident), ", ".join(missing)))

    def plan_create(self, client, ident, desired):
        self.require_for_create(ident, ("domains", "password"))
        self.require_domains(client, ident, desired["domains"], "create")
        predicted = dict({"username": ident, "active": True}, **desired)
        body = {"username": ident, "password": self.params["password"], "password2": self.params["password"],
                "domains": predicted["domains"], "active": int(predicted["active"])}
        return predicted, [Write("add/domain-admin", body, "create")]

    def write_only_changes(self, current):
        return password_resend(self.params)

    def plan_update(self, client, ident, current, delta, secrets):
        attr = {}
        if "domains" in delta:
            self.require_domains(client, ident, delta["domains"], "update")
            attr["domains"] = delta["domains"]
        if "active" in delta:
            attr["active"] = int(delta["active"])
        if secrets:
            attr["password"] = attr["password2"] = self.params["password"]
        return [Write("edit/domain-admin", {"items": [ident], "attr": attr}, "update")]

    def plan_delete(self, client, ident, current):
        return [Write("delete/domain-admin", [ident], "delete")], []


def main():
    run_state_module(DomainAdmin, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
