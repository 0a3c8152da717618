#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mailcow_mailbox_info
short_description: Read mailboxes from a Mailcow server
version_added: 0.1.0
description:
  - Return the mailboxes of a Mailcow server, of one domain, or one mailbox, in the shape
    M(securenexus.provisioning.mailcow_mailbox) uses. Passwords are never returned (Mailcow does not have them).
author:
  - SecureNexus engineering (@securenexus)
extends_documentation_fragment:
  - securenexus.provisioning._in_process
  - securenexus.provisioning._mailcow
  - securenexus.provisioning._mailcow.INFO_MODULE
  - securenexus.provisioning._mailcow.ACTION_GROUP
options:
  domain:
    description:
      - Return only the mailboxes of this domain (an empty list when the domain does not exist).
    type: str
  address:
    description:
      - Return only this mailbox (an empty list when it does not exist).
    type: str
seealso:
  - module: securenexus.provisioning.mailcow_mailbox
"""

EXAMPLES = r"""
- name: Read the mailboxes of a domain
  securenexus.provisioning.mailcow_mailbox_info:
    api_url: https://mail.example.org
    api_key: "{{ vault_mailcow_api_key }}"
    domain: byrne-accounts.org
  register: __mailboxes

- name: Check that a mailbox exists
  module_defaults:
    group/securenexus.provisioning.mailcow:
      api_url: https://mail.example.org
      api_key: "{{ vault_mailcow_api_key }}"
  securenexus.provisioning.mailcow_mailbox_info:
    address: demo@byrne-accounts.org
  register: __demo
  failed_when: __demo.mailboxes | length != 1
"""

RETURN = r"""
mailboxes:
  description: The mailboxes found, in the option names and units (MiB) of M(securenexus.provisioning.mailcow_mailbox).
  returned: always
  type: list
  elements: dict
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
      description: Quota in MiB, V(0) for unlimited.
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
"""

from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow_resource import (
    list_mailboxes,
    lower,
    read_mailbox,
    run_info_module,
)


def fetch(client, params):
    domain = lower(params["domain"])
    if params["address"] is None:
        return list_mailboxes(client, domain)
    found = read_mailbox(client, lower(params["address"]))
    return [m for m in [found] if m is not None and domain in (None, m["domain"])]


def main():
    run_info_module("mailboxes", {"domain": {"type": "str"}, "address": {"type": "str"}}, fetch)


if __name__ == "__main__":
    main()
