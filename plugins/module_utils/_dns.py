# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this module_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""A client's mail DNS records: built from its settings, read from DNS, compared, published with
RFC 2136 dynamic updates signed with TSIG, and verified. All DNS traffic goes through dnspython.

Ownership is what keeps other people's records safe: at a name we share (the apex, above all) only
the records that are ours are compared, replaced or removed. A TXT record is ours when its text
starts with our tag (``v=spf1``, ``v=DKIM1``, ``v=DMARC1``); an MX or SRV record when it points at
our mail host; a CNAME always (a name with a CNAME holds nothing else). Each change deletes exactly
the records it replaces (RFC 2136 "delete an RR from an RRset") and adds ours, in one update
message, which the server applies entirely or not at all.
"""

from __future__ import annotations

import base64
import binascii
import re
import traceback

try:
    import dns.exception
    import dns.inet
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    import dns.rdtypes.ANY.TXT
    import dns.resolver
    import dns.tsig
    import dns.update
except ImportError:
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow_resource import is_domain

# RFC 1035: one character-string of a TXT record holds at most 255 bytes; longer texts (a DKIM key
# of 2048 bits and more) are several strings that receivers join without separator.
TXT_STRING_MAX = 255
TSIG_ALGORITHMS = ("hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1", "hmac-md5")
SELECTOR_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# DNSSEC records accompany whatever is at a name in a signed zone: they never conflict with a CNAME.
DNSSEC_TYPES = ("RRSIG", "NSEC", "NSEC3")
PRESENT, MISSING, DIFFERENT, ABSENT = "present", "missing", "different", "absent"


class DnsError(Exception):
    """Bad input or a DNS failure; the message is shown to the user as is."""


class Record:
    """One record of the setup sheet: ``value`` is what we want there (``None`` when only removing).

    ``tag`` marks which existing records at the name and type are ours: the leading tag of a TXT
    text, the target host of an MX or SRV record; a CNAME has none (the whole name is ours).
    """

    def __init__(self, label, name, rtype, value, tag=None):
        self.label = label
        self.name = absolute(name)
        self.rtype = rtype
        self.value = value
        self.tag = tag

    def owns(self, rdata):
        if self.rtype == "TXT":
            return re.match(re.escape(self.tag) + r"(\s|;|$)", txt_text(rdata), re.IGNORECASE) is not None
        if self.rtype == "MX":
            return same_host(rdata.exchange, self.tag)
        if self.rtype == "SRV":
            return same_host(rdata.target, self.tag)
        return True

    def rdata(self):
        if self.rtype == "TXT":
            return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, split_txt(self.value))
        return dns.rdata.from_text(dns.rdataclass.IN, self.rtype, self.value)


def absolute(name):
    return name if name.endswith(".") else name + "."


def same_host(name, host):
    return name.to_text().lower() == absolute(host).lower()


def split_txt(text):
    """The text as the character-strings of one TXT record: 255-byte pieces of its UTF-8 bytes."""
    data = text.encode("utf-8")
    return [data[i:i + TXT_STRING_MAX] for i in range(0, len(data), TXT_STRING_MAX)] or [b""]


def txt_text(rdata):
    """A TXT record's text as receivers read it: its strings joined."""
    return b"".join(rdata.strings).decode("utf-8", "replace")


def shown(rtype, rdata):
    """A record's value for comparisons and reports: the joined text of a TXT record, the lower-cased
    presentation form of the others (the names in MX, CNAME and SRV are not case-sensitive)."""
    return txt_text(rdata) if rtype == "TXT" else rdata.to_text().lower()


def expected_value(record):
    return record.value if record.rtype == "TXT" else shown(record.rtype, record.rdata())


# --- input --------------------------------------------------------------------------------------


def require_host(option, value):
    value = (value or "").rstrip(".").lower()
    if not is_domain(value):
        raise DnsError("%s: %r is not a valid domain name" % (option, value))
    return value


def require_tag(option, value, tag):
    if value is not None and re.match(re.escape(tag) + r"(\s|;|$)", value, re.IGNORECASE) is None:
        raise DnsError("%s must start with %s, got %r" % (option, tag, value))


def validate(params):
    """Check every input before any DNS traffic; returns the normalised domain, zone and mail host."""
    domain = require_host("domain", params["domain"])
    zone = require_host("zone", params["zone"] or domain)
    if domain != zone and not domain.endswith("." + zone):
        raise DnsError("domain %s is not in zone %s" % (domain, zone))
    mail_host = require_host("mail_host", params["mail_host"])
    if not SELECTOR_RE.match(params["dkim_selector"] or ""):
        raise DnsError("dkim_selector: %r is not a valid DKIM selector (letters, digits, '-', '_', '.')"
                       % params["dkim_selector"])
    require_tag("spf", params["spf"], "v=spf1")
    require_tag("dmarc", params["dmarc"], "v=DMARC1")
    require_tag("dkim_record", params["dkim_record"], "v=DKIM1")
    for option in ("spf", "dmarc", "dkim_record"):
        if params[option] is not None and ('"' in params[option] or "\\" in params[option]
                                           or not params[option].isprintable()):
            raise DnsError("%s: quotes, backslashes and control characters are not allowed in a mail DNS record"
                           % option)
    if not 0 <= params["mx_priority"] <= 65535:
        raise DnsError("mx_priority must be between 0 and 65535, got %d" % params["mx_priority"])
    if not 0 < params["port"] < 65536:
        raise DnsError("port must be between 1 and 65535, got %d" % params["port"])
    if not 0 <= params["ttl"] <= 2147483647:
        raise DnsError("ttl must be between 0 and 2147483647, got %d" % params["ttl"])
    if params["server"] is not None and not params["server"].strip():
        raise DnsError("server must not be empty")
    if not params["verify_only"]:
        require_tsig(params)
    if params["verify_with"] == "resolver" and not params["resolver"]:
        raise DnsError("verify_with is resolver, but no resolver is given")
    return domain, zone, mail_host


def require_tsig(params):
    missing = [option for option in ("tsig_key_name", "tsig_secret") if not params[option]]
    if missing:
        raise DnsError("publishing needs a TSIG key: %s missing (or set verify_only: true to only check the records)"
                       % " and ".join(missing))
    try:
        dns.name.from_text(params["tsig_key_name"])
    except dns.exception.DNSException as error:
        raise DnsError("tsig_key_name: %r is not a valid key name (%s)" % (params["tsig_key_name"], error))
    try:
        base64.b64decode(params["tsig_secret"], validate=True)
    except (binascii.Error, ValueError):
        # Never repeat the secret, not even a wrong one: it may be a near miss of the real one.
        raise DnsError("tsig_secret is not valid base64 (the secret of a TSIG key, as in BIND's key statement)")


def mail_records(params, domain, mail_host):
    """The records the setup sheet lists for the domain, in its order (roles/client/templates/SETUP.md.j2).

    Without a DKIM record text (Mailcow has no key yet, as in a first check-mode run) the DKIM
    record is left out of publishing, but it is still removed with ``state=absent``.
    """
    present = params["state"] == "present"
    spf = params["spf"] or "v=spf1 mx a:%s ~all" % mail_host
    target = absolute(mail_host)
    records = [
        Record("MX", domain, "MX", "%d %s" % (params["mx_priority"], target), mail_host),
        Record("SPF", domain, "TXT", spf, "v=spf1"),
    ]
    if params["dkim_record"] or not present:
        records.append(Record("DKIM", "%s._domainkey.%s" % (params["dkim_selector"], domain), "TXT",
                              params["dkim_record"], "v=DKIM1"))
    records += [
        Record("DMARC", "_dmarc." + domain, "TXT", params["dmarc"], "v=DMARC1"),
        Record("autodiscover", "autodiscover." + domain, "CNAME", target),
        Record("autoconfig", "autoconfig." + domain, "CNAME", target),
        Record("autodiscover SRV", "_autodiscover._tcp." + domain, "SRV", "0 1 443 %s" % target, mail_host),
    ]
    return records


# --- DNS traffic --------------------------------------------------------------------------------


def parse_server(text, default_port):
    """``address`` or ``address#port`` (BIND's notation, which IPv6 addresses do not clash with)."""
    address, sep, port = text.strip().partition("#")
    if sep:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise DnsError("%r: the port after # must be a number from 1 to 65535" % text)
        return address, int(port)
    return address, default_port


def resolve_address(host, timeout):
    """An IP address stays as it is; a host name is resolved through the system's resolver."""
    try:
        dns.inet.af_for_address(host)
        return host
    except (ValueError, dns.exception.DNSException):
        pass
    try:
        answer = dns.resolver.resolve(host, "A", lifetime=timeout)
    except dns.exception.DNSException as error:
        raise DnsError("cannot find the address of DNS server %s: %s" % (host, error))
    return answer[0].address


class Server:
    """One DNS server; queries and updates go over TCP (a DKIM record does not fit a plain UDP answer,
    and a refused connection tells "down" at once where UDP only times out)."""

    def __init__(self, address, port, timeout, tsig=None, label=None):
        self.address = address
        self.port = port
        self.timeout = timeout
        self.tsig = tsig
        self.label = label or "%s#%d" % (address, port)

    def _send(self, message, what):
        if self.tsig:
            message.use_tsig(self.tsig["keyring"], keyname=self.tsig["name"], algorithm=self.tsig["algorithm"])
        try:
            response = dns.query.tcp(message, self.address, timeout=self.timeout, port=self.port)
        except dns.exception.Timeout:
            raise DnsError("%s: no answer from DNS server %s within %s s (is it down or unreachable?)"
                           % (what, self.label, self.timeout))
        except dns.tsig.PeerBadKey:
            raise DnsError("%s: DNS server %s does not know TSIG key %s (TSIG error BADKEY); check tsig_key_name. "
                           "Nothing was changed." % (what, self.label, self.tsig["name"]))
        except dns.tsig.PeerBadSignature:
            raise DnsError("%s: DNS server %s rejected the signature made with TSIG key %s (TSIG error BADSIG): "
                           "the secret or the algorithm is wrong. Nothing was changed." % (what, self.label, self.tsig["name"]))
        except dns.tsig.PeerBadTime:
            raise DnsError("%s: DNS server %s rejected the TSIG signature's time (BADTIME): the clocks differ by more "
                           "than five minutes. Nothing was changed." % (what, self.label))
        except (OSError, EOFError) as error:
            raise DnsError("%s: cannot reach DNS server %s: %s (is it down?)" % (what, self.label, error))
        except dns.exception.DNSException as error:
            raise DnsError("%s: DNS server %s: %s" % (what, self.label, error))
        return response

    def query(self, name, rtype):
        """The records of that exact name and type (never those a CNAME leads to), or [] for none."""
        response = self._send(dns.message.make_query(name, rtype), "query %s %s" % (name, rtype))
        rcode = response.rcode()
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise DnsError("query %s %s: DNS server %s answered %s" % (name, rtype, self.label, dns.rcode.to_text(rcode)))
        owner = dns.name.from_text(name)
        return [rdata for rrset in response.answer if rrset.name == owner
                and (rtype == "ANY" or rrset.rdtype == dns.rdatatype.from_text(rtype)) for rdata in rrset]

    def others_at(self, name):
        """Every record at the name but CNAMEs and DNSSEC ones, as ``TYPE value`` (an ANY query: an
        authoritative BIND, Knot or PowerDNS answers with all of them over TCP)."""
        response = self._send(dns.message.make_query(name, "ANY"), "query %s ANY" % name)
        owner = dns.name.from_text(name)
        return sorted("%s %s" % (dns.rdatatype.to_text(rrset.rdtype), rdata.to_text())
                      for rrset in response.answer if rrset.name == owner
                      and dns.rdatatype.to_text(rrset.rdtype) not in ("CNAME",) + DNSSEC_TYPES for rdata in rrset)

    def soa(self, zone):
        """The zone's SOA record; a clear error when the server does not serve that zone."""
        what = "zone %s" % zone
        response = self._send(dns.message.make_query(absolute(zone), "SOA"), what)
        rcode = response.rcode()
        owner = dns.name.from_text(absolute(zone))
        found = [rdata for rrset in response.answer if rrset.name == owner and rrset.rdtype == dns.rdatatype.SOA
                 for rdata in rrset]
        if rcode in (dns.rcode.REFUSED, dns.rcode.NOTAUTH, dns.rcode.NXDOMAIN) or (rcode == dns.rcode.NOERROR and not found):
            held = [rrset.name.to_text() for rrset in response.authority if rrset.rdtype == dns.rdatatype.SOA]
            raise DnsError("zone %s not found on DNS server %s (answer %s%s): check zone and server"
                           % (zone, self.label, dns.rcode.to_text(rcode),
                              ", the name belongs to zone %s" % held[0] if held else ""))
        if rcode != dns.rcode.NOERROR:
            raise DnsError("%s: DNS server %s answered %s" % (what, self.label, dns.rcode.to_text(rcode)))
        return found[0]

    def update(self, zone, changes, ttl):
        message = dns.update.UpdateMessage(absolute(zone))
        for change in changes:
            for rdata in change["old_rdata"]:
                message.delete(change["record"].name, rdata)
            if change["record"].value is not None and change["new"]:
                message.add(change["record"].name, ttl, change["record"].rdata())
        response = self._send(message, "update of zone %s" % zone)
        rcode = response.rcode()
        if rcode != dns.rcode.NOERROR:
            reason = {
                dns.rcode.REFUSED: "the TSIG key is not allowed to update this zone (update-policy or allow-update)",
                dns.rcode.NOTAUTH: "the server is not authoritative for the zone, or rejected the TSIG key",
                dns.rcode.NOTZONE: "a record name is outside the zone",
            }.get(rcode, "")
            raise DnsError("update of zone %s refused by DNS server %s: %s%s. Nothing was changed."
                           % (zone, self.label, dns.rcode.to_text(rcode), (" (%s)" % reason) if reason else ""))


def tsig_of(params):
    if not params["tsig_key_name"] or not params["tsig_secret"]:
        return None
    name = dns.name.from_text(params["tsig_key_name"])
    return {"name": name, "algorithm": params["tsig_algorithm"],
            "keyring": {name: dns.tsig.Key(name, params["tsig_secret"], params["tsig_algorithm"])}}


def find_primary(params, zone):
    """The server given, or else the zone's primary: the SOA MNAME, found through the system's resolver."""
    timeout = params["timeout"]
    tsig = None if params["verify_only"] else tsig_of(params)
    if params["server"]:
        address, port = parse_server(params["server"], params["port"])
        return Server(resolve_address(address, timeout), port, timeout, tsig,
                      label="%s#%d" % (params["server"].partition("#")[0], port))
    try:
        mname = dns.resolver.resolve(absolute(zone), "SOA", lifetime=timeout)[0].mname.to_text()
    except dns.exception.DNSException as error:
        raise DnsError("zone %s: cannot find its primary server through the system's resolver (%s); set server"
                       % (zone, error))
    return Server(resolve_address(mname, timeout), params["port"], timeout, tsig, label="%s#%d" % (mname, params["port"]))


def authoritative_servers(primary, zone, port, timeout):
    """Every name server of the zone, by its NS records on the primary; their addresses from the primary
    first (in-zone names and their glue), then from the system's resolver."""
    servers = []
    for ns in primary.query(absolute(zone), "NS"):
        host = ns.target.to_text()
        addresses = [rdata.address for rdata in primary.query(host, "A")] if ns.target.is_subdomain(
            dns.name.from_text(absolute(zone))) else []
        address = addresses[0] if addresses else resolve_address(host, timeout)
        servers.append(Server(address, port, timeout, label="%s (%s#%d)" % (host, address, port)))
    if not servers:
        raise DnsError("zone %s has no NS records on %s" % (zone, primary.label))
    return servers


# --- compare and plan ---------------------------------------------------------------------------


def read(server, records):
    """Our records as the server holds them, per record: the rdata that are ours."""
    cache = {}
    found = []
    for record in records:
        key = (record.name, record.rtype)
        if key not in cache:
            cache[key] = server.query(record.name, record.rtype)
        found.append([rdata for rdata in cache[key] if record.owns(rdata)])
    return found


def status_of(record, ours, state):
    if state == "absent":
        return PRESENT if ours else ABSENT
    values = {shown(record.rtype, rdata) for rdata in ours}
    if not values:
        return MISSING
    return PRESENT if values == {expected_value(record)} else DIFFERENT


def report(records, found, state, server_label):
    return [{"record": record.label, "name": record.name, "type": record.rtype,
             "status": status_of(record, ours, state),
             "expected": None if record.value is None else expected_value(record),
             "found": sorted(shown(record.rtype, rdata) for rdata in ours),
             "server": server_label} for record, ours in zip(records, found)]


def plan(records, found, state):
    """The changes that bring the records to the state: each names the record, the values of ours
    that go (old) and the value that comes (new)."""
    changes = []
    for record, ours in zip(records, found):
        status = status_of(record, ours, state)
        if state == "absent" and ours:
            changes.append({"record": record, "old_rdata": ours, "new": []})
        elif state == "present" and status in (MISSING, DIFFERENT):
            changes.append({"record": record, "old_rdata": ours, "new": [expected_value(record)]})
    return changes


def public_change(change):
    record = change["record"]
    return {"record": record.label, "name": record.name, "type": record.rtype,
            "old": sorted(shown(record.rtype, rdata) for rdata in change["old_rdata"]), "new": change["new"]}


def change_line(change):
    old = " | ".join(change["old"]) or "(none)"
    new = " | ".join(change["new"]) or "(none)"
    return "%s %s: %s -> %s" % (change["name"], change["type"], old, new)


def diff_of(changes):
    """Before and after of the records that change, one line per record value, as zone file lines."""
    def lines(side):
        return "".join("%s %s %s\n" % (c["name"], c["type"], value) for c in changes for value in c[side])
    return {"before_header": "DNS (records that change)", "after_header": "DNS (records that change)",
            "before": lines("old"), "after": lines("new")}


def cname_conflicts(server, changes):
    """A CNAME may not share its name with anything (RFC 1034; servers silently drop such an add)."""
    for change in changes:
        record = change["record"]
        if record.rtype == "CNAME" and change["new"]:
            others = server.others_at(record.name)
            if others:
                raise DnsError("refusing to publish CNAME %s -> %s: other records exist at that name (%s); "
                               "remove them or publish the autoconfig records yourself. Nothing was changed."
                               % (record.name, record.value, "; ".join(others)))


def verification_servers(params, primary, zone):
    if params["verify_with"] == "primary":
        return [primary]
    if params["verify_with"] == "resolver":
        address, port = parse_server(params["resolver"], 53)
        return [Server(resolve_address(address, params["timeout"]), port, params["timeout"],
                       label="resolver %s#%d" % (address, port))]
    return authoritative_servers(primary, zone, params["port"], params["timeout"])


def worst(reports, expected):
    """Per record, the first server's report where it is not as expected (else the first one's)."""
    merged = []
    for entries in zip(*reports):
        off = [entry for entry in entries if entry["status"] != expected]
        merged.append(off[0] if off else entries[0])
    return merged


def run(params, check_mode, diff):
    """Publish (or remove) and verify; returns the module result."""
    if not HAS_DNSPYTHON:
        return {"failed": True, "changed": False, "exception": DNSPYTHON_IMPORT_ERROR,
                "msg": missing_required_lib("dnspython")}
    domain, zone, mail_host = validate(params)
    state = params["state"]
    records = mail_records(params, domain, mail_host)
    primary = find_primary(params, zone)
    primary.soa(zone)
    found = read(primary, records)
    changes = [] if params["verify_only"] else plan(records, found, state)
    if changes and state == "present":
        cname_conflicts(primary, changes)
    public = [public_change(change) for change in changes]
    result = {"changed": bool(changes), "changes": public, "zone": zone, "server": primary.label}
    warnings = []
    if state == "present" and not params["dkim_record"]:
        warnings.append("dkim_record not given (Mailcow has no DKIM key yet?): the DKIM record of %s is not checked"
                        % domain)

    expected = ABSENT if state == "absent" else PRESENT
    if changes and not check_mode:
        primary.update(zone, changes, params["ttl"])
        # Right after an update only the primary is sure to have it: the others follow on NOTIFY or refresh.
        result["records"] = report(records, read(primary, records), state, primary.label)
        wrong = [entry for entry in result["records"] if entry["status"] != expected]
        if wrong:
            return dict(result, failed=True, msg="DNS server %s accepted the update, but then answered: %s" % (
                primary.label, "; ".join("%s %s %s" % (e["name"], e["type"], e["status"]) for e in wrong)))
    elif changes:
        result["records"] = report(records, found, state, primary.label)
    else:
        servers = verification_servers(params, primary, zone)
        result["records"] = worst([report(records, read(server, records), state, server.label) for server in servers],
                                  expected)
        result["verified_by"] = [server.label for server in servers]

    if diff:
        result["diff"] = diff_of(public)
    off = [entry for entry in result["records"] if entry["status"] != expected]
    if params["verify_only"] or not changes:
        warnings += ["%s %s is %s on %s (expected %s, found %s)" % (
            e["name"], e["type"], e["status"], e["server"], e["expected"] if e["expected"] is not None else "none",
            " | ".join(e["found"]) or "none") for e in off]
    verb = "would change" if check_mode else "changed"
    if changes:
        lines = "; ".join(change_line(c) for c in public)
        result["msg"] = "%d DNS record(s) %s in zone %s: %s" % (len(public), verb, zone, lines)
    else:
        result["msg"] = "%d of %d mail DNS records of %s as expected" % (len(records) - len(off), len(records), domain)
    if warnings:
        result["warnings"] = warnings
    return result
