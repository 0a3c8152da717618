"""BIND 9 (Debian's `named`) as the sandbox clients' authoritative DNS server.

One named serves every zone it is given on 127.0.0.1:<port>, UDP and TCP, and accepts RFC 2136
updates signed with one TSIG key. It runs as whoever starts it, with its configuration, zone files,
journals and pid file in one directory of its own: the bind9 package's system daemon (port 53,
/etc/bind) stays stopped and untouched. sandbox/ctl.py starts it for `make sandbox`, the tests
start their own on free ports.
"""

import shutil
import socket
from pathlib import Path

TSIG_KEY_NAME = "sandbox-update"
TSIG_ALGORITHM = "hmac-sha256"
# Sandbox-only: it protects nothing but the local named. The sandbox inventory holds the same secret
# in its vault file, encrypted with the committed sandbox vault password.
SANDBOX_TSIG_SECRET = "c2FuZGJveC1vbmx5LXRzaWctc2VjcmV0LTAwMDAwMDE="
# A record of somebody else's at the apex (a site verification token, as real zones carry): the
# mail DNS module must leave it alone.
FOREIGN_APEX_TXT = "sandbox-site-verification=kept-by-mail-dns"

INSTALL_HINT = ("BIND 9 is missing: run `tools/ensure-bind9.sh` (as root, or with passwordless sudo), or as root "
                "`apt-get install bind9 bind9-dnsutils && systemctl disable --now named`; the sandbox runs its "
                "own named and does not need the system daemon")


def named_binary():
    found = shutil.which("named") or shutil.which("named", path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise FileNotFoundError(INSTALL_HINT)
    return found


def zone_text(zone):
    """The starting content of a zone: SOA, one name server (in the zone, so its address is known),
    and a TXT record of somebody else's at the apex."""
    zone = zone.rstrip(".")
    return (f"$TTL 300\n"
            f"@ IN SOA ns1.{zone}. hostmaster.{zone}. 1 3600 600 86400 300\n"
            f"@ IN NS ns1.{zone}.\n"
            f"ns1 IN A 127.0.0.1\n"
            f'@ IN TXT "{FOREIGN_APEX_TXT}"\n')


def named_conf(directory, port, zones, secret, key_name=TSIG_KEY_NAME, algorithm=TSIG_ALGORITHM):
    directory = Path(directory)
    zone_blocks = "".join(
        f'zone "{zone}" {{\n  type primary;\n  file "{directory / "zones" / (zone + ".zone")}";\n'
        f'  update-policy {{ grant {key_name} zonesub ANY; }};\n}};\n' for zone in zones)
    return (f'key "{key_name}" {{\n  algorithm {algorithm};\n  secret "{secret}";\n}};\n'
            f"options {{\n"
            f'  directory "{directory}";\n'
            f'  pid-file "{directory / "named.pid"}";\n'
            f'  session-keyfile "{directory / "session.key"}";\n'
            f'  managed-keys-directory "{directory}";\n'
            f"  listen-on port {port} {{ 127.0.0.1; }};\n"
            f"  listen-on-v6 {{ none; }};\n"
            f"  recursion no;\n"
            f"  dnssec-validation no;\n"
            f"  allow-transfer {{ none; }};\n"
            f"  notify no;\n"
            f"}};\n"
            # No rndc channel: nothing controls this named but its signals.
            f"controls {{ }};\n"
            f"{zone_blocks}")


# -g: foreground, log to stderr (the caller's log file); -4: the configuration listens on IPv4 only.
FLAGS = ["-g", "-4", "-c"]


def write_config(directory, port, zones, secret):
    """Write named.conf (readable by its owner only: it holds the key) when it differs, and each zone
    file that does not exist yet (named keeps the updates it took in the file and its journal; a
    restart must not lose them). Returns the path of named.conf."""
    directory = Path(directory)
    (directory / "zones").mkdir(parents=True, exist_ok=True)
    conf = directory / "named.conf"
    text = named_conf(directory, port, zones, secret)
    if not conf.exists() or conf.read_text() != text:
        conf.touch(mode=0o600)
        conf.chmod(0o600)
        conf.write_text(text)
    for zone in zones:
        path = directory / "zones" / f"{zone}.zone"
        if not path.exists():
            path.write_text(zone_text(zone))
    return conf


def argv(conf):
    return [named_binary(), *FLAGS, str(conf)]


def answers(port, zone, timeout=2.0):
    """Whether named answers a SOA query for the zone over TCP on 127.0.0.1:port (it is up and has loaded it)."""
    import dns.exception
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    try:
        response = dns.query.tcp(dns.message.make_query(zone, dns.rdatatype.SOA), "127.0.0.1", timeout=timeout,
                                 port=port)
    except (OSError, dns.exception.DNSException, socket.error):
        return False
    return response.rcode() == dns.rcode.NOERROR and bool(response.answer)
