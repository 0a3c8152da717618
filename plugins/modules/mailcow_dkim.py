#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mailcow_dkim
short_description: Manage the DKIM key of a Mailcow domain and return its DNS record
version_added: 0.1.0
description:
  - Ensure a domain has a DKIM signing key with the given selector and size, and return the TXT record
    to publish in DNS.
  - Mailcow creates a key (selector V(dkim), 2048 bits) when it creates a domain, so without O(selector) and
    O(key_size) this module usually only reads the key. Only the options you set are compared with the existing key.
  - Mailcow cannot change a key. A key with another selector or size is replaced (deleted and created anew)
    only with O(force=true), because mail signed with the new key fails DKIM checks until the DNS record is updated.
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
      - The Mailcow domain (or alias domain) the key signs for.
    type: str
    required: true
  selector:
    description:
      - The DKIM selector; letters and digits, with C(-), C(_) and C(.) allowed in between.
      - When not set, any selector of an existing key is accepted, and a new key gets V(dkim), as Mailcow's own.
    type: str
  key_size:
    description:
      - Size of the RSA key in bits.
      - When not set, any size of an existing key is accepted, and a new key gets 2048 bits, as Mailcow's own.
    type: int
    choices: [1024, 2048, 3072, 4096]
  force:
    description:
      - Replace an existing key whose selector or size differ. Without it the module fails and says why.
    type: bool
    default: false
  state:
    description:
      - V(present) ensures the key exists, V(absent) deletes it (Mailcow keeps the key when it deletes a domain).
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: securenexus.provisioning.mailcow_domain
"""

EXAMPLES = r"""
- name: Publish DKIM
  module_defaults:
    group/securenexus.provisioning.mailcow:
      api_url: https://mail.example.org
      api_key: "{{ vault_mailcow_api_key }}"
  block:
    - name: Ensure the domain has its DKIM key
      securenexus.provisioning.mailcow_dkim:
        domain: byrne-accounts.org
      register: __dkim

    - name: Show the DNS record to publish
      ansible.builtin.debug:
        msg: "{{ __dkim.dkim.record_name }} TXT {{ __dkim.dkim.record_value }}"

    - name: Replace the key with a 4096 bit one under a new selector
      securenexus.provisioning.mailcow_dkim:
        domain: byrne-accounts.org
        selector: s2026
        key_size: 4096
        force: true
"""

RETURN = r"""
dkim:
  description:
    - The DKIM key after the task; an empty dict when there is none.
    - In check mode, the predicted key, whose RV(dkim.record_value) is V(null) when a new key would be created.
    - In check mode, for a domain that does not exist yet (an earlier task of the run creates it), the key Mailcow
      creates with the domain (selector V(dkim), 2048 bits), so that a check predicts what the run will do.
  returned: always
  type: dict
  contains:
    domain:
      description: The domain.
      type: str
      sample: byrne-accounts.org
    selector:
      description: The DKIM selector.
      type: str
      sample: dkim
    key_size:
      description: Size of the key in bits.
      type: int
      sample: 2048
    record_name:
      description: Name of the DNS TXT record.
      type: str
      sample: dkim._domainkey.byrne-accounts.org
    record_value:
      description: Value of the DNS TXT record.
      type: str
      sample: v=DKIM1;k=rsa;t=s;s=email;p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAt8DDoK2rpbGht4BqgIqWFdc3bfH7
diff:
  description: The key before and after the task (empty dicts for no key).
  returned: when run with C(--diff)
  type: dict
  contains:
    before:
      description: The key before the task.
      type: dict
      sample: {}
    after:
      description: The key after the task (predicted in check mode).
      type: dict
      sample: {domain: byrne-accounts.org, selector: dkim, key_size: 2048, record_name: dkim._domainkey.byrne-accounts.org,
               record_value: "v=DKIM1;k=rsa;t=s;s=email;p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAt8DDoK2rpbGht4Bq"}
"""

import re

from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow_resource import (
    Resource,
    ResourceError,
    Write,
    fetch_domain,
    lower,
    read_dkim,
    require_domain,
    run_state_module,
)

# The key Mailcow creates with a new domain (add/domain without dkim_selector and key_size).
AUTO_SELECTOR = "dkim"
AUTO_KEY_SIZE = 2048
# Mailcow's own rule: alphanumeric once "-", "_" and "." are removed.
SELECTOR_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# The key Mailcow itself creates with a domain; a new key gets these where the user set nothing.
NEW_KEY = {"selector": "dkim", "key_size": 2048}

ARGUMENT_SPEC = dict(
    domain=dict(type="str", required=True),
    selector=dict(type="str"),
    key_size=dict(type="int", choices=[1024, 2048, 3072, 4096]),
    force=dict(type="bool", default=False),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)


class Dkim(Resource):
    kind = "dkim"

    def identity(self):
        return lower(self.params["domain"])

    def describe(self, ident):
        return "DKIM key of %s" % ident

    def validate(self):
        require_domain("domain", self.identity())
        if self.params["selector"] is not None and not SELECTOR_RE.match(self.params["selector"]):
            raise ResourceError("selector: %r is not a valid DKIM selector (letters, digits, '-', '_', '.')"
                                % self.params["selector"])

    def read(self, client, ident):
        key = read_dkim(client, ident)
        if (key is None and client.check_mode and self.params["state"] == "present"
                and fetch_domain(client, ident) is None):
            # A real run gets this far only after an earlier task created the domain, and Mailcow creates
            # this key with it: check mode predicts that key rather than a creation the run will not make.
            self.notes.append("the domain %s does not exist yet: Mailcow creates its DKIM key (selector %s, %d bits) "
                              "together with it" % (ident, AUTO_SELECTOR, AUTO_KEY_SIZE))
            key = {"domain": ident, "selector": AUTO_SELECTOR, "key_size": AUTO_KEY_SIZE,
                   "record_name": "%s._domainkey.%s" % (AUTO_SELECTOR, ident), "record_value": None}
        return key

    def desired(self):
        return {option: self.params[option] for option in NEW_KEY if self.params[option] is not None}

    def _new_key(self, current):
        """The selector and size of a key made now: the options set, else the current key's, else Mailcow's."""
        key = dict(NEW_KEY)
        key.update({option: current[option] for option in NEW_KEY if current.get(option) is not None})
        key.update(self.desired())
        return key

    def _add(self, ident, key):
        return Write("add/dkim", {"domains": ident, "dkim_selector": key["selector"], "key_size": key["key_size"]},
                     "create")

    def predict(self, current, delta):
        key = self._new_key(current)
        return {"domain": current["domain"], "selector": key["selector"], "key_size": key["key_size"],
                "record_name": "%s._domainkey.%s" % (key["selector"], current["domain"]), "record_value": None}

    def plan_create(self, client, ident, desired):
        return self.predict({"domain": ident}, desired), [self._add(ident, self._new_key({}))]

    def plan_update(self, client, ident, current, delta, secrets):
        key = self._new_key(current)
        if not self.params["force"]:
            raise ResourceError(
                "cannot replace the DKIM key of %s (selector %s, %s bits) with selector %s, %d bits: Mailcow cannot "
                "change a key, and mail signed with a new key fails DKIM checks until the DNS record %s is "
                "published; set force: true to replace it" % (
                    ident, current["selector"], current["key_size"] or "unknown", key["selector"],
                    key["key_size"], "%s._domainkey.%s" % (key["selector"], ident)))
        return [Write("delete/dkim", [ident], "replace"), self._add(ident, key)]

    def plan_delete(self, client, ident, current):
        return [Write("delete/dkim", [ident], "delete")], []


def main():
    run_state_module(Dkim, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
