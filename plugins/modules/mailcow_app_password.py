#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mailcow_app_password
short_description: Manage the app passwords of a Mailcow mailbox
version_added: 0.1.0
description:
  - Create, update or delete an app password of a mailbox through the Mailcow API. An app password lets a
    device log in to the mailbox with its own secret, for the protocols it is allowed, and can be revoked
    without changing the mailbox password.
  - The app password is identified by O(mailbox) and O(name). Only the options you set are compared and changed.
  - Mailcow does not keep names unique. When the mailbox has several app passwords of the name, O(state=present)
    fails naming their ids and changes nothing (delete the extra ones in the Mailcow UI, or remove all of them
    with O(state=absent) and create the app password again); O(state=absent) deletes all of them.
author:
  - SecureNexus engineering (@securenexus)
extends_documentation_fragment:
  - securenexus.provisioning._in_process
  - securenexus.provisioning._mailcow
  - securenexus.provisioning._mailcow.WRITE_ONLY_PASSWORD
  - securenexus.provisioning._mailcow.ATTRIBUTES
  - securenexus.provisioning._mailcow.ACTION_GROUP
options:
  mailbox:
    description:
      - The address of the mailbox the app password belongs to. Compared case-insensitively.
      - It must already exist in Mailcow. In check mode a missing mailbox is not an error; the result's C(msg)
        says that it would have to be created first.
    type: str
    required: true
  name:
    description:
      - The name of the app password, for example the device that uses it. Compared exactly.
      - Letters, digits, spaces and C(. _ - + @) only, at most 255 characters. Mailcow HTML-escapes a name
        when it stores it and again when it returns it, so other characters would never read back as written.
    type: str
    required: true
  protocols:
    description:
      - The protocols the app password may log in with, as a set (order does not matter). Required to create
        the app password; the protocols not listed are refused.
      - V(imap), V(pop3), V(smtp) (sending), V(sieve) (filter management), V(dav) (calendars and contacts),
        V(eas) (Exchange ActiveSync).
    type: list
    elements: str
    choices: [imap, pop3, smtp, sieve, dav, eas]
  active:
    description:
      - Whether the app password can log in. V(true) on creation when not set (the Mailcow API itself would
        create an inactive one).
    type: bool
  state:
    description:
      - V(present) creates or updates the app password, V(absent) deletes it (every app password of the name).
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: securenexus.provisioning.mailcow_mailbox
"""

EXAMPLES = r"""
- name: Manage a phone's app password
  module_defaults:
    group/securenexus.provisioning.mailcow:
      api_url: https://mail.example.org
      api_key: "{{ vault_mailcow_api_key }}"
  block:
    - name: Let the phone read and send mail with its own password
      securenexus.provisioning.mailcow_app_password:
        mailbox: demo@byrne-accounts.org
        name: phone
        protocols: [imap, smtp]
        password: "{{ vault_app_password_phone }}"
      no_log: true

    - name: Give it calendars too (the password is not sent again)
      securenexus.provisioning.mailcow_app_password:
        mailbox: demo@byrne-accounts.org
        name: phone
        protocols: [imap, smtp, dav]

    - name: Revoke it
      securenexus.provisioning.mailcow_app_password:
        mailbox: demo@byrne-accounts.org
        name: phone
        state: absent
"""

RETURN = r"""
app_password:
  description:
    - The app password as Mailcow has it after the task, without its secret. In check mode, the predicted one.
    - An empty dict when it is absent.
  returned: always
  type: dict
  contains:
    id:
      description: Mailcow's id of the app password; V(null) for one predicted in check mode.
      type: int
      sample: 12
    mailbox:
      description: The mailbox, lower-case.
      type: str
      sample: demo@byrne-accounts.org
    name:
      description: The name.
      type: str
      sample: phone
    protocols:
      description: The protocols it may log in with, sorted.
      type: list
      elements: str
      sample: [imap, smtp]
    active:
      description: Whether it can log in.
      type: bool
      sample: true
diff:
  description:
    - The app password before and after the task (empty dicts when absent). A password sent because of
      O(update_password=always) shows as C(password) V((changed\)) in C(after).
  returned: when run with C(--diff)
  type: dict
  contains:
    before:
      description: The app password before the task.
      type: dict
      sample: {id: 12, mailbox: demo@byrne-accounts.org, name: phone, protocols: [imap, smtp], active: true}
    after:
      description: The app password after the task (predicted in check mode).
      type: dict
      sample: {id: 12, mailbox: demo@byrne-accounts.org, name: phone, protocols: [dav, imap, smtp], active: true}
"""

import re

from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow_resource import (
    PASSWORD_ARGSPEC,
    Resource,
    ResourceError,
    Write,
    lower,
    password_resend,
    read_mailbox,
    require_address,
    run_state_module,
    to_bool,
)

PROTOCOLS = ("imap", "pop3", "smtp", "sieve", "dav", "eas")
NAME_RE = re.compile(r"^[A-Za-z0-9 ._+@-]{1,255}$")

ARGUMENT_SPEC = dict(
    mailbox=dict(type="str", required=True),
    name=dict(type="str", required=True),
    protocols=dict(type="list", elements="str", choices=list(PROTOCOLS)),
    **PASSWORD_ARGSPEC,
    active=dict(type="bool"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)


def normalise_app_password(raw):
    """A row of get/app-passwd without its password hash, which Mailcow returns and nothing may show."""
    return {
        "id": int(raw["id"]),
        "mailbox": lower(raw.get("mailbox")),
        "name": raw.get("name"),
        "protocols": sorted(p for p in PROTOCOLS if to_bool(raw.get("%s_access" % p))),
        "active": to_bool(raw.get("active")),
    }


def protocol_flags(protocols):
    """Mailcow takes the protocols as the names of its access columns; any other name it ignores silently."""
    return ["%s_access" % p for p in protocols]


class AppPassword(Resource):
    kind = "app_password"

    def __init__(self, params):
        super().__init__(params)
        # Every id of the name found by the last read: a delete removes all of them.
        self.ids = []

    def identity(self):
        return lower(self.params["mailbox"]), self.params["name"]

    def describe(self, ident):
        return "app password %r of %s" % (ident[1], ident[0])

    def validate(self):
        mailbox, name = self.identity()
        require_address("mailbox", mailbox)
        if not NAME_RE.match(name) or not name.strip():
            raise ResourceError("name: %r is not a valid app password name (letters, digits, spaces and . _ - + @ "
                                "only, at most 255 characters)" % name)
        if name != name.strip():
            raise ResourceError("name: %r has leading or trailing spaces, which Mailcow would drop" % name)
        if self.params["protocols"] == []:
            raise ResourceError("protocols must list at least one protocol: an app password without one cannot log in")
        if self.params["password"] == "":
            raise ResourceError("password must not be empty")

    def read(self, client, ident):
        mailbox, name = ident
        rows = client.get(["app-passwd", "all", mailbox], "app passwords of %s" % mailbox) or []
        found = [normalise_app_password(row) for row in (rows if isinstance(rows, list) else [rows])
                 if isinstance(row, dict) and row.get("name") == name and lower(row.get("mailbox")) == mailbox]
        self.ids = [app["id"] for app in found]
        if len(found) > 1 and self.params["state"] == "present":
            raise ResourceError("%s has %d app passwords named %r (ids %s): Mailcow does not keep names unique, and "
                                "this module will not guess which one to manage; delete the extra ones, or remove "
                                "all of them with state=absent and create it again"
                                % (mailbox, len(found), name, ", ".join(str(i) for i in self.ids)))
        return found[0] if found else None

    def desired(self):
        wanted = {}
        if self.params["protocols"] is not None:
            wanted["protocols"] = sorted(set(self.params["protocols"]))
        if self.params["active"] is not None:
            wanted["active"] = self.params["active"]
        return wanted

    def plan_create(self, client, ident, desired):
        mailbox, name = ident
        self.require_for_create(ident, ("protocols", "password"))
        if read_mailbox(client, mailbox) is None:
            if not client.check_mode:
                raise ResourceError("cannot create %s: the mailbox %s does not exist in Mailcow; create it first "
                                    "(securenexus.provisioning.mailcow_mailbox)" % (self.describe(ident), mailbox))
            self.notes.append("app password %r would be created after its mailbox %s, which does not exist yet"
                              % (name, mailbox))
        predicted = dict({"id": None, "mailbox": mailbox, "name": name, "active": True}, **desired)
        body = {"username": mailbox, "app_name": name, "app_passwd": self.params["password"],
                "app_passwd2": self.params["password"], "active": int(predicted["active"]),
                "protocols": protocol_flags(predicted["protocols"])}
        return predicted, [Write("add/app-passwd", body, "create")]

    def write_only_changes(self, current):
        return password_resend(self.params)

    def plan_update(self, client, ident, current, delta, secrets):
        # Without the mailbox in attr, Mailcow moves the row to the API's own user and fails.
        attr = {"username": ident[0]}
        if "protocols" in delta:
            attr["protocols"] = protocol_flags(delta["protocols"])
        if "active" in delta:
            attr["active"] = int(delta["active"])
        if secrets:
            attr["app_passwd"] = attr["app_passwd2"] = self.params["password"]
        return [Write("edit/app-passwd", {"items": [str(current["id"])], "attr": attr}, "update")]

    def plan_delete(self, client, ident, current):
        warnings = []
        if len(self.ids) > 1:
            warnings.append("%s had %d app passwords named %r (ids %s); all of them are deleted"
                            % (ident[0], len(self.ids), ident[1], ", ".join(str(i) for i in self.ids)))
        return [Write("delete/app-passwd", [str(i) for i in self.ids], "delete")], warnings


def main():
    run_state_module(AppPassword, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
