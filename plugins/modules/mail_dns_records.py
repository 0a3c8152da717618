#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mail_dns_records
short_description: Publish and verify a mail domain's DNS records through RFC 2136 dynamic updates
version_added: 0.1.0
description:
  - Publishes the DNS records a Mailcow-hosted mail domain needs, exactly the set the client's setup sheet lists
    (MX, SPF as a C(v=spf1) TXT record, the DKIM TXT record with the key Mailcow holds, DMARC, the C(autodiscover)
    and C(autoconfig) CNAMEs and the C(_autodiscover._tcp) SRV record) through RFC 2136 dynamic updates signed
    with a TSIG key, which BIND, Knot, PowerDNS and most providers' primaries accept.
  - Only our records are touched. At a shared name, above all the zone apex, a TXT record is ours when its text
    starts with our tag (C(v=spf1), C(v=DKIM1), C(v=DMARC1)) and an MX or SRV record when it points at O(mail_host);
    every other record there (site verification tokens, other MX hosts) is left as it is. A CNAME is refused,
    naming them, where other records exist at its name.
  - All changes of a run go to the server in one update message, which it applies entirely or not at all.
  - Verification, on every run, check mode included. Right after an update the module reads the records back from
    the server that took it (the zone's primary); otherwise it asks the servers O(verify_with) names. Each record
    is reported as V(present), V(missing) or V(different) in RV(records). The DKIM record is compared with
    O(dkim_record), the key Mailcow holds, with the TXT strings joined. A key replaced in Mailcow but not in DNS
    is a change (drift, in check mode).
  - With O(verify_only=true), for a domain whose DNS is run elsewhere, the module only queries and reports; it
    never sends an update and needs no TSIG key. What is not as expected comes back as warnings.
  - Needs the Python library C(dnspython) on the host the module runs on (the controller).
author:
  - SecureNexus engineering (@securenexus)
extends_documentation_fragment:
  - securenexus.provisioning._in_process
attributes:
  check_mode:
    description: Reads and compares, reports what would change, sends no update.
    support: full
  diff_mode:
    description: One line per record value that changes, before and after, as in a zone file.
    support: full
options:
  domain:
    description: The mail domain whose records are managed (the owner of the MX and SPF records).
    type: str
    required: true
  zone:
    description:
      - The DNS zone holding the records, the domain or one of its parents. Defaults to O(domain).
    type: str
  server:
    description:
      - The DNS server that takes the updates (the zone's primary), an address or a host name, optionally with
        C(#port) as BIND writes it.
      - Defaults to the zone's primary as its SOA record names it (MNAME), found through the system's resolver.
    type: str
  port:
    description: Port of O(server), and of the authoritative servers O(verify_with=authoritative) asks.
    type: int
    default: 53
  timeout:
    description: Seconds to wait for each DNS answer.
    type: float
    default: 10
  tsig_key_name:
    description: Name of the TSIG key the server accepts updates with. Required unless O(verify_only=true).
    type: str
  tsig_algorithm:
    description: Algorithm of the TSIG key.
    type: str
    default: hmac-sha256
    choices: [hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1, hmac-md5]
  tsig_secret:
    description:
      - The TSIG key's secret, base64 as in BIND's C(key) statement. Keep it in Ansible Vault.
      - Queries to O(server) are signed with it too, so a wrong key is reported in check mode as well.
    type: str
  state:
    description: V(present) publishes the records, V(absent) removes ours (and only ours).
    type: str
    choices: [present, absent]
    default: present
  verify_only:
    description: Only query and report, never update (the domain's DNS is run by someone else).
    type: bool
    default: false
  verify_with:
    description:
      - Which servers the verification asks when this run sent no update.
      - V(authoritative) asks every name server of the zone (its NS records) on O(port). V(primary) asks O(server)
        only. V(resolver) asks O(resolver), as the world sees the records; a resolver keeps an old answer for its
        TTL, so a change shows there only after up to O(ttl) seconds.
    type: str
    choices: [authoritative, primary, resolver]
    default: authoritative
  resolver:
    description: The resolver O(verify_with=resolver) asks, an address, optionally with C(#port).
    type: str
  mail_host:
    description: The Mailcow host name; target of the MX, CNAME and SRV records.
    type: str
    required: true
  mx_priority:
    description: Priority of the MX record.
    type: int
    default: 10
  spf:
    description: The SPF record's text; starts with C(v=spf1). Defaults to C(v=spf1 mx a:<mail_host> ~all).
    type: str
  dkim_selector:
    description: The DKIM selector; the record is C(<selector>._domainkey.<domain>).
    type: str
    default: dkim
  dkim_record:
    description:
      - The DKIM record's text as Mailcow holds it (RV(securenexus.provisioning.mailcow_dkim#module:dkim.record_value)),
        starting with C(v=DKIM1). It is published as strings of 255 bytes.
      - When not given (Mailcow has no key yet), the DKIM record is neither published nor checked; V(absent) still
        removes it.
    type: str
  dmarc:
    description: The DMARC record's text (C(_dmarc.<domain>)), starting with C(v=DMARC1). Required for V(present).
    type: str
  ttl:
    description: TTL of the records the module writes. Existing records are not rewritten for their TTL alone.
    type: int
    default: 3600
notes:
  - The CNAME conflict check asks for C(ANY) records over TCP. Authoritative BIND, Knot and PowerDNS answer it
    with every record; a server that follows RFC 8482 (minimal ANY answers) may hide a conflicting record.
  - Errors name the cause. A wrong TSIG key (BADKEY, BADSIG) or an update the server refuses changes nothing;
    a server that does not answer is reported as down or unreachable; a zone the server does not serve is
    reported as not found.
seealso:
  - module: securenexus.provisioning.mailcow_dkim
  - name: RFC 2136, Dynamic Updates in the Domain Name System
    description: The update protocol.
    link: https://www.rfc-editor.org/rfc/rfc2136
requirements:
  - dnspython >= 2.4
"""

EXAMPLES = r"""
- name: Read the DKIM key Mailcow signs with
  securenexus.provisioning.mailcow_dkim:
    domain: acmecorp.com
  register: __dkim

- name: Publish the mail records of acmecorp.com
  securenexus.provisioning.mail_dns_records:
    domain: acmecorp.com
    server: ns1.acmecorp.com
    tsig_key_name: acme-update
    tsig_secret: "{{ vault_dns_tsig_secret }}"
    mail_host: mail.byrne-accounts.org
    dkim_record: "{{ __dkim.dkim.record_value }}"
    dmarc: "v=DMARC1; p=quarantine; rua=mailto:acme@acmecorp.com"

- name: Check the records of a client whose DNS is elsewhere, as the world sees them
  securenexus.provisioning.mail_dns_records:
    domain: globex.example
    verify_only: true
    verify_with: resolver
    resolver: 192.0.2.53
    mail_host: mail.byrne-accounts.org
    dkim_record: "{{ __dkim.dkim.record_value }}"
    dmarc: "v=DMARC1; p=quarantine; rua=mailto:globex@globex.example"

- name: Remove the records published for acmecorp.com
  securenexus.provisioning.mail_dns_records:
    domain: acmecorp.com
    server: ns1.acmecorp.com
    tsig_key_name: acme-update
    tsig_secret: "{{ vault_dns_tsig_secret }}"
    mail_host: mail.byrne-accounts.org
    state: absent
"""

RETURN = r"""
records:
  description: Each expected record after the task (predicted in check mode), as the verification found it.
  returned: success
  type: list
  elements: dict
  contains:
    record:
      description: Which record of the setup sheet (V(MX), V(SPF), V(DKIM), V(DMARC), V(autodiscover), V(autoconfig), V(autodiscover SRV)).
      type: str
      sample: DKIM
    name:
      description: Owner name.
      type: str
      sample: dkim._domainkey.acmecorp.com.
    type:
      description: Record type.
      type: str
      sample: TXT
    status:
      description: V(present), V(missing) or V(different); with O(state=absent), V(absent) or V(present).
      type: str
      sample: present
    expected:
      description: The value we want (a TXT record's strings joined); null with O(state=absent).
      type: str
      sample: "10 mail.byrne-accounts.org."
    found:
      description: Our values found there (other people's records at the name are not listed).
      type: list
      elements: str
      sample: ["10 mail.byrne-accounts.org."]
    server:
      description: The server this status comes from.
      type: str
      sample: "ns1.acmecorp.com. (127.0.0.1#53)"
changes:
  description: The records changed (or, in check mode, to change), each with our old values and the new ones.
  returned: success
  type: list
  elements: dict
  sample: [{record: DKIM, name: dkim._domainkey.acmecorp.com., type: TXT, old: ["v=DKIM1;k=rsa;t=s;s=email;p=MIIBOLD"],
            new: ["v=DKIM1;k=rsa;t=s;s=email;p=MIIBNEW"]}]
zone:
  description: The zone updated or checked.
  returned: success
  type: str
  sample: acmecorp.com
server:
  description: The primary server that took (or would take) the update.
  returned: success
  type: str
  sample: "ns1.acmecorp.com#53"
verified_by:
  description: The servers asked when no update was sent.
  returned: when no update was sent
  type: list
  elements: str
  sample: ["ns1.acmecorp.com. (127.0.0.1#53)"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.securenexus.provisioning.plugins.module_utils import _dns
from ansible_collections.securenexus.provisioning.plugins.module_utils._module import finish

ARGUMENT_SPEC = dict(
    domain=dict(type="str", required=True),
    zone=dict(type="str"),
    server=dict(type="str"),
    port=dict(type="int", default=53),
    timeout=dict(type="float", default=10),
    tsig_key_name=dict(type="str", no_log=False),
    tsig_algorithm=dict(type="str", default="hmac-sha256", choices=list(_dns.TSIG_ALGORITHMS)),
    tsig_secret=dict(type="str", no_log=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    verify_only=dict(type="bool", default=False),
    verify_with=dict(type="str", choices=["authoritative", "primary", "resolver"], default="authoritative"),
    resolver=dict(type="str"),
    mail_host=dict(type="str", required=True),
    mx_priority=dict(type="int", default=10),
    spf=dict(type="str"),
    dkim_selector=dict(type="str", default="dkim"),
    dkim_record=dict(type="str"),
    dmarc=dict(type="str"),
    ttl=dict(type="int", default=3600),
)


def execute(params, check_mode, diff):
    try:
        return _dns.run(params, check_mode, diff)
    except _dns.DnsError as error:
        return {"failed": True, "changed": False, "msg": str(error)}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           required_if=[("state", "present", ("dmarc",))])
    finish(module, execute(module.params, module.check_mode, module._diff))


if __name__ == "__main__":
    main()
