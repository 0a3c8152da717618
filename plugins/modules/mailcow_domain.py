#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mailcow_domain
short_description: Manage mail domains on a Mailcow server
version_added: 0.1.0
description:
  - Create, update or delete a mail domain through the Mailcow API.
  - Only the options you set are compared and changed; the others keep their value on the server.
  - Quotas are in MiB, as in the Mailcow web interface.
author:
  - SecureNexus engineering (@securenexus)
extends_documentation_fragment:
  - securenexus.provisioning._in_process
  - securenexus.provisioning._mailcow
  - securenexus.provisioning._mailcow.ATTRIBUTES
  - securenexus.provisioning._mailcow.ACTION_GROUP
options:
  domain:
    description:
      - The domain name. Compared case-insensitively.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the domain, V(absent) deletes it.
      - Deleting a domain that still has mailboxes fails; delete the mailboxes first.
        Mailcow deletes the aliases of the domain with it, and keeps its DKIM key.
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - Description of the domain. Mailcow uses the domain name when it is not set on creation.
      - Cannot be cleared, so an empty value is refused.
    type: str
  aliases:
    description:
      - Maximum number of aliases in the domain (at least 1). Mailcow's default on creation is 400.
    type: int
  mailboxes:
    description:
      - Maximum number of mailboxes in the domain. Mailcow's default on creation is 10.
    type: int
  defquota:
    description:
      - Default quota of a new mailbox, in MiB (at least 1, at most O(maxquota)).
      - M(securenexus.provisioning.mailcow_mailbox) uses it when a mailbox is created without a quota.
      - Mailcow's default on creation is 3072.
    type: int
  maxquota:
    description:
      - Maximum quota of one mailbox, in MiB (at least 1, at most O(quota)). Mailcow's default on creation is 10240.
    type: int
  quota:
    description:
      - Quota of the whole domain, in MiB (at least 1). Mailcow's default on creation is 10240.
    type: int
  active:
    description:
      - Whether the domain is active. Mailcow's default on creation is V(true).
    type: bool
  gal:
    description:
      - Whether the domain's mailboxes appear in the SOGo global address list. Mailcow's default on creation is V(true).
    type: bool
  backupmx:
    description:
      - Whether Mailcow is only a relay (backup MX) for the domain. Mailcow's default on creation is V(false).
    type: bool
  relay_all_recipients:
    description:
      - Relay mail for all recipients, including unknown ones. Needs O(backupmx=true).
      - Mailcow's default on creation is V(false).
    type: bool
  tags:
    description:
      - The tags of the domain, as a set (order does not matter). Tags not listed are removed.
    type: list
    elements: str
notes:
  - Mailcow creates a DKIM key (selector C(dkim), 2048 bits) when it creates a domain;
    use M(securenexus.provisioning.mailcow_dkim) to read its DNS record or to replace it.
seealso:
  - module: securenexus.provisioning.mailcow_domain_info
  - module: securenexus.provisioning.mailcow_dkim
"""

EXAMPLES = r"""
- name: Provision mail domains
  module_defaults:
    group/securenexus.provisioning.mailcow:
      api_url: https://mail.example.org
      api_key: "{{ vault_mailcow_api_key }}"
  block:
    - name: Ensure the domain of a client exists
      securenexus.provisioning.mailcow_domain:
        domain: byrne-accounts.org
        description: Byrne Accounts
        mailboxes: 50
        defquota: 3072
        maxquota: 10240
        quota: 102400
        tags: [client, plan-basic]

    - name: Deactivate a domain, leaving its other settings alone
      securenexus.provisioning.mailcow_domain:
        domain: old-client.org
        active: false

    - name: Delete a domain (its mailboxes must be deleted first)
      securenexus.provisioning.mailcow_domain:
        domain: gone-client.org
        state: absent
"""

RETURN = r"""
domain:
  description:
    - The domain as Mailcow has it after the task, in the option names and units (MiB).
    - In check mode, the predicted domain. An empty dict when the domain is absent.
  returned: always
  type: dict
  contains:
    domain:
      description: The domain name, lower-case.
      type: str
      sample: byrne-accounts.org
    description:
      description: Description of the domain.
      type: str
      sample: Byrne Accounts
    aliases:
      description: Maximum number of aliases.
      type: int
      sample: 400
    mailboxes:
      description: Maximum number of mailboxes.
      type: int
      sample: 50
    defquota:
      description: Default mailbox quota in MiB.
      type: int
      sample: 3072
    maxquota:
      description: Maximum mailbox quota in MiB.
      type: int
      sample: 10240
    quota:
      description: Quota of the whole domain in MiB.
      type: int
      sample: 102400
    active:
      description: Whether the domain is active.
      type: bool
      sample: true
    gal:
      description: Whether the global address list is enabled.
      type: bool
      sample: true
    backupmx:
      description: Whether Mailcow is a relay for the domain.
      type: bool
      sample: false
    relay_all_recipients:
      description: Whether mail for all recipients is relayed.
      type: bool
      sample: false
    tags:
      description: Tags of the domain, sorted.
      type: list
      elements: str
      sample: [client, plan-basic]
diff:
  description: The domain before and after the task (empty dicts for an absent domain).
  returned: when run with C(--diff)
  type: dict
  contains:
    before:
      description: The domain before the task.
      type: dict
      sample: {}
    after:
      description: The domain after the task (predicted in check mode).
      type: dict
      sample: {domain: byrne-accounts.org, description: Byrne Accounts, aliases: 400, mailboxes: 50,
               defquota: 3072, maxquota: 10240, quota: 102400, active: true, gal: true, backupmx: false,
               relay_all_recipients: false, tags: []}
"""

from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow import explain
from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow_resource import (
    Resource,
    ResourceError,
    Write,
    fetch_domain,
    lower,
    normalise_domain,
    require_domain,
    require_min,
    run_state_module,
    tag_list,
    tag_writes,
    to_api,
    to_int,
)

OPTIONS = ("description", "aliases", "mailboxes", "defquota", "maxquota", "quota", "active", "gal", "backupmx",
           "relay_all_recipients", "tags")
# What Mailcow's shipped "Default" domain template gives an option left out on creation.
CREATE_DEFAULTS = {"aliases": 400, "mailboxes": 10, "defquota": 3072, "maxquota": 10240, "quota": 10240,
                   "active": True, "gal": True, "backupmx": False, "relay_all_recipients": False, "tags": []}

ARGUMENT_SPEC = dict(
    domain=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    description=dict(type="str"),
    aliases=dict(type="int"),
    mailboxes=dict(type="int"),
    defquota=dict(type="int"),
    maxquota=dict(type="int"),
    quota=dict(type="int"),
    active=dict(type="bool"),
    gal=dict(type="bool"),
    backupmx=dict(type="bool"),
    relay_all_recipients=dict(type="bool"),
    tags=dict(type="list", elements="str"),
)


QUOTA_ORDER = ("defquota", "maxquota", "quota")


def require_quota_order(values, given, source="the domain's current value", prefix=""):
    """defquota <= maxquota <= quota, as Mailcow demands; ``given`` are the options the user set.

    Checked on the merged object too: setting maxquota alone above the domain's existing quota
    would pass validation, be predicted by check mode, and then be refused by Mailcow.
    """
    present = [(o, values[o]) for o in QUOTA_ORDER if values.get(o) is not None]
    for (low, low_value), (high, high_value) in zip(present, present[1:]):
        if low_value > high_value:
            raise ResourceError("%s%s (%d MiB%s) must not exceed %s (%d MiB%s)" % (
                prefix, low, low_value, "" if low in given else ", " + source,
                high, high_value, "" if high in given else ", " + source))


class Domain(Resource):
    kind = "domain"

    def validate(self):
        params = self.params
        require_domain("domain", lower(params["domain"]))
        require_min(params, ("aliases", "defquota", "maxquota", "quota"), 1)
        require_min(params, ("mailboxes",), 0)
        require_quota_order(params, set(QUOTA_ORDER))
        if params["description"] is not None and not params["description"].strip():
            raise ResourceError("description must not be empty: Mailcow cannot clear a description")
        if params["relay_all_recipients"] and params["backupmx"] is False:
            raise ResourceError("relay_all_recipients: true needs backupmx: true (Mailcow turns it on anyway)")
        if any(not t.strip() for t in params["tags"] or []):
            raise ResourceError("tags must not contain empty strings")

    def identity(self):
        return lower(self.params["domain"])

    def read(self, client, ident):
        raw = fetch_domain(client, ident)
        self.mailboxes_in_domain = 0 if raw is None else to_int(raw.get("mboxes_in_domain")) or 0
        return None if raw is None else normalise_domain(raw)

    def desired(self):
        wanted = {o: self.params[o] for o in OPTIONS if self.params[o] is not None}
        if "tags" in wanted:
            wanted["tags"] = tag_list(wanted["tags"])
        return wanted

    def plan_create(self, client, ident, desired):
        predicted = dict(CREATE_DEFAULTS, domain=ident, description=ident)
        predicted.update(desired)
        if predicted["relay_all_recipients"]:
            predicted["backupmx"] = True
        require_quota_order(predicted, desired, "Mailcow's default for a new domain", "cannot create domain %s: " % ident)
        return predicted, [Write("add/domain", dict(to_api(desired), domain=ident), "create")]

    def plan_update(self, client, ident, current, delta, secrets):
        require_quota_order(self.predict(current, delta), delta, prefix="cannot update domain %s: " % ident)
        attr = to_api({k: v for k, v in delta.items() if k != "tags"})
        writes = []
        if "tags" in delta:
            writes, missing = tag_writes("domain", ident, current["tags"], delta["tags"])
            if missing:
                attr["tags"] = missing
        if attr:
            writes.append(Write("edit/domain", {"items": [ident], "attr": attr}, "update"))
        return writes

    def plan_delete(self, client, ident, current):
        if self.mailboxes_in_domain:
            # Mailcow refuses this too; saying it here makes check mode predict the failure.
            raise ResourceError("cannot delete domain %s: domain_not_empty: %s (%d left)" % (
                ident, explain("delete/domain", "domain_not_empty", [ident]), self.mailboxes_in_domain))
        return [Write("delete/domain", [ident], "delete")], []


def main():
    run_state_module(Domain, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
