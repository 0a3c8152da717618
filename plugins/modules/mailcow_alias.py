#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mailcow_alias
short_description: Manage mail aliases on a Mailcow server
version_added: 0.1.0
description:
  - Create, update or delete an alias (forwarding address) through the Mailcow API.
  - The alias is identified by its address; only the options you set are compared and changed.
  - With O(addresses), one task manages several aliases that share O(goto), O(active), O(sogo_visible) and
    O(state). It makes the same reads and writes as one task per alias, without the cost of a task (and a
    module run) for each.
author:
  - SecureNexus engineering (@securenexus)
extends_documentation_fragment:
  - securenexus.provisioning._in_process
  - securenexus.provisioning._mailcow
  - securenexus.provisioning._mailcow.ATTRIBUTES
  - securenexus.provisioning._mailcow.ACTION_GROUP
options:
  address:
    description:
      - The address of the alias, or V(@domain) for a catch-all. Compared case-insensitively.
      - Its domain must exist in Mailcow, and it must not be the address of a mailbox.
      - Exactly one of O(address) and O(addresses) is required.
    type: str
  addresses:
    description:
      - Several aliases, each handled as O(address) would be, in the order given; the other options apply
        to each of them. Returned in RV(aliases) instead of RV(alias).
      - An address may appear only once (compared case-insensitively). An empty list manages nothing.
      - All of them are checked before the first request. When a request fails, the aliases before it keep
        what was done to them and the later ones are not attempted; the message names both.
    type: list
    elements: str
  goto:
    description:
      - The destinations, as a set of addresses (order and case do not matter). Required to create the alias.
      - The special destinations V(null@localhost) (discard), V(spam@localhost) (learn as spam) and
        V(ham@localhost) (learn as ham) are written as Mailcow shows them, and must be the only entry.
    type: list
    elements: str
  active:
    description:
      - Whether the alias delivers mail. V(true) on creation when not set (the Mailcow API itself would
        create an inactive alias).
    type: bool
  sogo_visible:
    description:
      - Whether the destination mailboxes can send as this alias in SOGo. V(true) on creation when not set.
    type: bool
  state:
    description:
      - V(present) creates or updates the alias, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: securenexus.provisioning.mailcow_alias_info
  - module: securenexus.provisioning.mailcow_mailbox
"""

EXAMPLES = r"""
- name: Provision aliases
  module_defaults:
    group/securenexus.provisioning.mailcow:
      api_url: https://mail.example.org
      api_key: "{{ vault_mailcow_api_key }}"
  block:
    - name: Forward support@ to two mailboxes
      securenexus.provisioning.mailcow_alias:
        address: support@byrne-accounts.org
        goto:
          - demo@byrne-accounts.org
          - office@byrne-accounts.org

    - name: Forward the standard addresses to one mailbox, in one task
      securenexus.provisioning.mailcow_alias:
        addresses:
          - support@byrne-accounts.org
          - info@byrne-accounts.org
          - sales@byrne-accounts.org
        goto: [demo@byrne-accounts.org]
        active: true
      register: standard_aliases

    - name: Show which of them the task created or changed
      ansible.builtin.debug:
        msg: "{{ standard_aliases.aliases | selectattr('changed') | map(attribute='address') }}"

    - name: Discard mail to an old address
      securenexus.provisioning.mailcow_alias:
        address: noreply@byrne-accounts.org
        goto: [null@localhost]

    - name: Delete an alias
      securenexus.provisioning.mailcow_alias:
        address: old@byrne-accounts.org
        state: absent
"""

RETURN = r"""
alias:
  description:
    - The alias as Mailcow has it after the task. In check mode, the predicted alias.
    - An empty dict when the alias is absent.
  returned: when O(address) is set
  type: dict
  contains:
    id:
      description: Mailcow's id of the alias; V(null) for an alias predicted in check mode.
      type: int
      sample: 7
    address:
      description: The address, lower-case.
      type: str
      sample: support@byrne-accounts.org
    goto:
      description: The destinations, sorted and lower-case.
      type: list
      elements: str
      sample: [demo@byrne-accounts.org, office@byrne-accounts.org]
    active:
      description: Whether the alias is active.
      type: bool
      sample: true
    sogo_visible:
      description: Whether the alias is visible in SOGo.
      type: bool
      sample: true
aliases:
  description:
    - One entry per address of O(addresses), in that order. After a failure, only the aliases that were handled.
  returned: when O(addresses) is set
  type: list
  elements: dict
  contains:
    address:
      description: The address, lower-case.
      type: str
      sample: support@byrne-accounts.org
    changed:
      description: Whether the task changed this alias (in check mode, would change it).
      type: bool
      sample: false
    alias:
      description: The alias after the task, as RV(alias) describes it.
      type: dict
      sample: {id: 7, address: support@byrne-accounts.org, goto: [demo@byrne-accounts.org], active: true,
               sogo_visible: true}
diff:
  description:
    - The alias before and after the task (empty dicts for an absent alias).
    - With O(addresses), a list of these, one per alias in the order of RV(aliases), each with the address as
      C(before_header) and C(after_header).
  returned: when run with C(--diff)
  type: raw
  contains:
    before:
      description: The alias before the task.
      type: dict
      sample: {id: 7, address: support@byrne-accounts.org, goto: [demo@byrne-accounts.org], active: true,
               sogo_visible: true}
    after:
      description: The alias after the task (predicted in check mode).
      type: dict
      sample: {id: 7, address: support@byrne-accounts.org, goto: [demo@byrne-accounts.org, office@byrne-accounts.org],
               active: true, sogo_visible: true}
"""

from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow import MailcowError
from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow_resource import (
    SPECIAL_DESTINATIONS,
    Resource,
    ResourceError,
    Write,
    address_list,
    ensure,
    is_address,
    lower,
    read_alias,
    require_address,
    run_mailcow_module,
    to_api,
)

ARGUMENT_SPEC = dict(
    address=dict(type="str"),
    addresses=dict(type="list", elements="str"),
    goto=dict(type="list", elements="str"),
    active=dict(type="bool"),
    sogo_visible=dict(type="bool"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)


def goto_attr(goto):
    """Mailcow takes goto as one comma-joined string (a JSON list crashes it); specials only as flags."""
    if goto[0] in SPECIAL_DESTINATIONS:
        return {SPECIAL_DESTINATIONS[goto[0]]: 1}
    return {"goto": ",".join(goto)}


class Alias(Resource):
    kind = "alias"

    def identity(self):
        return lower(self.params["address"])

    def validate(self):
        require_address("address", self.identity(), allow_catch_all=True)
        goto = self.params["goto"]
        if goto is None:
            return
        targets = address_list(goto)
        if not targets:
            raise ResourceError("goto must contain at least one address")
        for target in targets:
            if target not in SPECIAL_DESTINATIONS and not is_address(target):
                raise ResourceError("goto: %r is not an e-mail address" % target)
        if len(targets) > 1 and any(t in SPECIAL_DESTINATIONS for t in targets):
            raise ResourceError("goto: %s must be the only destination" % " / ".join(
                t for t in targets if t in SPECIAL_DESTINATIONS))
        if self.identity() in targets:
            raise ResourceError("goto: an alias cannot point to itself (%s)" % self.identity())

    def read(self, client, ident):
        return read_alias(client, ident)

    def desired(self):
        wanted = {o: self.params[o] for o in ("active", "sogo_visible") if self.params[o] is not None}
        if self.params["goto"] is not None:
            wanted["goto"] = address_list(self.params["goto"])
        return wanted

    def plan_create(self, client, ident, desired):
        if "goto" not in desired:
            raise ResourceError("cannot create alias %s: goto is required to create an alias" % ident)
        predicted = dict({"id": None, "address": ident, "active": True, "sogo_visible": True}, **desired)
        body = dict(to_api({k: predicted[k] for k in ("address", "active", "sogo_visible")}),
                    **goto_attr(predicted["goto"]))
        return predicted, [Write("add/alias", body, "create")]

    def plan_update(self, client, ident, current, delta, secrets):
        attr = to_api({k: v for k, v in delta.items() if k != "goto"})
        goto = delta.get("goto", current["goto"])
        # Mailcow silently drops an edit of an alias with a special destination unless the destination
        # is sent again. An ordinary goto is sent only when it changes: sending it drops sender ACLs.
        if "goto" in delta or (goto and goto[0] in SPECIAL_DESTINATIONS):
            attr.update(goto_attr(goto))
        return [Write("edit/alias", {"items": [str(current["id"])], "attr": attr}, "update")]

    def plan_delete(self, client, ident, current):
        return [Write("delete/alias", [str(current["id"])], "delete")], []


def ensure_aliases(client, params, check_mode, diff):
    if params["address"] is not None:
        return ensure(client, Alias(params), check_mode, diff)
    aliases = [Alias(dict(params, address=address)) for address in params["addresses"]]
    seen = set()
    for alias in aliases:
        alias.validate()
        if alias.identity() in seen:
            raise ResourceError("addresses: %s is listed more than once" % alias.identity())
        seen.add(alias.identity())
    result = {"changed": False, "aliases": []}
    diffs = []
    for position, alias in enumerate(aliases):
        try:
            outcome = ensure(client, alias, check_mode, diff)
        except (MailcowError, ResourceError) as exc:
            later = [a.identity() for a in aliases[position + 1:]]
            result.update(failed=True, changed=result["changed"] or client.writes_done > 0,
                          msg=str(exc) + ("; not attempted: %s" % ", ".join(later) if later else ""))
            break
        address = alias.identity()
        result["aliases"].append({"address": address, "changed": outcome["changed"], "alias": outcome["alias"]})
        result["changed"] = result["changed"] or outcome["changed"]
        if diff:
            diffs.append(dict(outcome["diff"], before_header=address, after_header=address))
    if diff:
        result["diff"] = diffs
    return result


def main():
    run_mailcow_module(ARGUMENT_SPEC, ensure_aliases,
                       mutually_exclusive=[("address", "addresses")], required_one_of=[("address", "addresses")])


if __name__ == "__main__":
    main()
