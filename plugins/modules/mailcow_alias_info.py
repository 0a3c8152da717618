#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mailcow_alias_info
short_description: Read mail aliases from a Mailcow server
version_added: 0.1.0
description:
  - Return the aliases of a Mailcow server, of one domain, or one alias, in the shape
    M(securenexus.provisioning.mailcow_alias) uses. The hidden aliases Mailcow keeps for mailboxes are not listed.
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
      - Return only the aliases of this domain (an empty list when the domain does not exist).
    type: str
  address:
    description:
      - Return only this alias (an empty list when it does not exist).
    type: str
seealso:
  - module: securenexus.provisioning.mailcow_alias
"""

EXAMPLES = r"""
- name: Read the aliases of a domain
  securenexus.provisioning.mailcow_alias_info:
    api_url: https://mail.example.org
    api_key: "{{ vault_mailcow_api_key }}"
    domain: byrne-accounts.org
  register: __aliases

- name: Read one alias
  module_defaults:
    group/securenexus.provisioning.mailcow:
      api_url: https://mail.example.org
      api_key: "{{ vault_mailcow_api_key }}"
  securenexus.provisioning.mailcow_alias_info:
    address: support@byrne-accounts.org
  register: __support
"""

RETURN = r"""
aliases:
  description: The aliases found, in the shape of M(securenexus.provisioning.mailcow_alias).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Mailcow's id of the alias.
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
      sample: [demo@byrne-accounts.org]
    active:
      description: Whether the alias is active.
      type: bool
      sample: true
    sogo_visible:
      description: Whether the alias is visible in SOGo.
      type: bool
      sample: true
"""

from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow_resource import (
    list_aliases,
    lower,
    read_alias,
    run_info_module,
)


def fetch(client, params):
    domain = lower(params["domain"])
    if params["address"] is None:
        return list_aliases(client, domain)
    found = read_alias(client, lower(params["address"]))
    return [a for a in [found] if a is not None and domain in (None, a["address"].rpartition("@")[2])]


def main():
    run_info_module("aliases", {"domain": {"type": "str"}, "address": {"type": "str"}}, fetch)


if __name__ == "__main__":
    main()
