# -*- coding: utf-8 -*-

# Copyright: (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: client_preflight
short_description: Check a client definition of the client role and derive every name from it
version_added: 0.2.0
description:
  - The preflight step of the P(securenexus.provisioning.client#role) role, which calls it; other
    playbooks have no use for it.
  - Reads the role's variables by the names, and converts them by the types, of the role's argument
    specification, the way Ansible converts module options. A comma-separated string is a list, and
    V(true)/V(false)/V(yes)/V(no)/V(1)/V(0) are booleans, for every list and boolean variable alike.
  - Domain names are used in lower case, an internationalised name in its punycode form
    (Python's IDNA 2003 codec), because Mailcow files some objects (DKIM keys) under the exact
    spelling it is sent.
  - With O(check=client), checks the running client's definition (names, domains, plan, quotas,
    aliases, the clashes found by O(check=clashes)) and fails with one message listing every problem.
    Otherwise it returns the normalised client (RV(client)), from which the role's later steps take
    every derived name.
  - With O(check=client) and C(client_state=absent), a real run fails unless C(client_confirm) equals
    C(client_name); a check mode run warns and lets the role show what it would do.
  - With O(check=clashes), reads once the variables of every client of the inventory group C(clients)
    and of the play's batch and returns, for each client of the batch, the other clients that claim the
    same subdomain, own domain or address in the base domain. Run it with C(run_once), once per batch.
  - Runs on the controller only and changes nothing.
options:
  check:
    description:
      - V(client) checks the running client; V(clashes) compares every client with every other.
    type: str
    choices: [clashes, client]
    default: client
  clashes:
    description:
      - With O(check=client), the running client's clashes, as RV(clashes) of O(check=clashes) returns them.
    type: list
    elements: dict
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Nothing is ever changed; in check mode a missing deprovisioning confirmation is a warning.
  diff_mode:
    support: none
  platform:
    platforms: all
author:
  - SecureNexus engineering (@securenexus)
"""

EXAMPLES = r"""
# roles/client/tasks/preflight.yml
- name: Find what two clients claim at once
  securenexus.provisioning.client_preflight:
    check: clashes
  run_once: true
  register: __client_clashes

- name: Check the whole client definition
  securenexus.provisioning.client_preflight:
    check: client
    clashes: "{{ __client_clashes.clashes[inventory_hostname] | default([]) }}"
  register: __client_preflight

- name: Use a derived name
  ansible.builtin.debug:
    msg: "{{ __client_preflight.client.mailbox_address }}"
"""

RETURN = r"""
clashes:
  description:
    - With O(check=clashes), client name to the list of other clients it clashes with, in inventory order.
      Clients without clashes are left out.
  returned: with O(check=clashes)
  type: dict
  sample:
    hooli:
      - {client: globex, subdomain: true, domain: false, addresses: [globex@byrne-accounts.org]}
client:
  description: The normalised client; the role's later steps use only these values and names.
  returned: with O(check=client), on success
  type: dict
  contains:
    name:
      description: C(client_name).
      type: str
      sample: acme
    display_name:
      description: C(client_display_name).
      type: str
      sample: ACME Corporation
    state:
      description: C(client_state).
      type: str
      sample: present
    confirmed:
      description: Whether a removal is confirmed (always V(true) with C(client_state=present)).
      type: bool
    plan:
      description: C(client_plan).
      type: str
      sample: professional
    plan_settings:
      description: The plan's values with C(client_plan_overrides) applied.
      type: dict
      sample: {mailbox_quota: 10240, max_mailbox_quota: 20480, domain_quota: 51200, domain_mailboxes: 25,
               domain_aliases: 200, erpnext_apps: [erpnext, posawesome]}
    subdomain:
      description: C(client_subdomain).
      type: str
      sample: acme
    base_domain:
      description: C(client_base_domain), normalised.
      type: str
      sample: byrne-accounts.org
    domain:
      description: The client's own mail domain, normalised; V(null) without one.
      type: str
      sample: acmecorp.com
    own_domain:
      description: Whether the client has its own mail domain.
      type: bool
    mail_domain:
      description: The domain of the mailbox and aliases (the own domain, else the base domain).
      type: str
      sample: acmecorp.com
    domain_settings:
      description:
        - The own domain's options of M(securenexus.provisioning.mailcow_domain) (C(description),
          C(mailboxes), C(aliases), C(defquota), C(maxquota), C(quota)); empty without an own domain.
      type: dict
    mailbox_local_part:
      description: Local part of the main mailbox.
      type: str
      sample: acme
    mailbox_address:
      description: Address of the main mailbox.
      type: str
      sample: acme@acmecorp.com
    mailbox_quota:
      description: Quota of the main mailbox in MiB.
      type: int
      sample: 10240
    alias_names:
      description: C(client_aliases) followed by C(client_extra_aliases).
      type: list
      elements: str
    alias_addresses:
      description: The alias addresses, in the order of RV(client.alias_names).
      type: list
      elements: str
      sample: [support@acmecorp.com, info@acmecorp.com]
    dkim:
      description: C(selector), C(key_size) and C(record_name) (V(null) without an own domain) of the DKIM key.
      type: dict
      sample: {selector: dkim, key_size: 2048, record_name: dkim._domainkey.acmecorp.com}
    site_name:
      description: Name of the ERPNext site.
      type: str
      sample: acme.byrne-accounts.org
    site_url:
      description: Public address of the site.
      type: str
      sample: https://acme.byrne-accounts.org
    erpnext_apps:
      description: The plan's ERPNext apps.
      type: list
      elements: str
    route:
      description:
        - The Traefik route's C(name), C(hosts), C(tls), C(cert_resolver) (V(null) without TLS or
          without a resolver) and C(https_redirect) (only with TLS).
      type: dict
      sample: {name: client-acme, hosts: [acme.byrne-accounts.org], tls: true, cert_resolver: letsencrypt,
               https_redirect: true}
    mail_hostname:
      description: C(client_mail_hostname), normalised.
      type: str
      sample: mail.byrne-accounts.org
    credentials_file:
      description: The client's vault-encrypted credentials file on the controller.
      type: str
    setup_dir:
      description: Directory of the setup sheet.
      type: str
    setup_sheet:
      description: Path of the setup sheet.
      type: str
    secret_names:
      description: Names of the secrets kept in RV(client.credentials_file).
      type: list
      elements: str
      sample: [mailbox_password, erpnext_admin_password]
    manage_base_domain:
      description: C(client_mailcow_manage_base_domain) as a boolean.
      type: bool
    delete_mail_data:
      description: C(client_delete_mail_data) as a boolean.
      type: bool
"""
