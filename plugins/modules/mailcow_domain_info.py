#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mailcow_domain_info
short_description: Read mail domains from a Mailcow server
version_added: 0.1.0
description:
  - Return every mail domain of a Mailcow server, or one, in the shape M(securenexus.provisioning.mailcow_domain) uses.
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
      - Return only this domain (an empty list when it does not exist). All domains when not set.
    type: str
seealso:
  - module: securenexus.provisioning.mailcow_domain
"""

EXAMPLES = r"""
- name: Read one domain
  securenexus.provisioning.mailcow_domain_info:
    api_url: https://mail.example.org
    api_key: "{{ vault_mailcow_api_key }}"
    domain: byrne-accounts.org
  register: __domain_info

- name: List every domain
  module_defaults:
    group/securenexus.provisioning.mailcow:
      api_url: https://mail.example.org
      api_key: "{{ vault_mailcow_api_key }}"
  securenexus.provisioning.mailcow_domain_info:
  register: __all_domains
"""

RETURN = r"""
domains:
  description: The domains found, in the option names and units (MiB) of M(securenexus.provisioning.mailcow_domain).
  returned: always
  type: list
  elements: dict
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
      sample: [client]
"""

from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow_resource import (
    list_domains,
    lower,
    read_domain,
    run_info_module,
)


def fetch(client, params):
    if params["domain"] is None:
        return list_domains(client)
    found = read_domain(client, lower(params["domain"]))
    return [] if found is None else [found]


def main():
    run_info_module("domains", {"domain": {"type": "str"}}, fetch)


if __name__ == "__main__":
    main()
