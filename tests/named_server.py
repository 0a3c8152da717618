"""A real BIND 9 named (Debian's package, see tools/ensure-bind9.sh) on a free port, for tests.

Configured by sandbox/named.py, as the sandbox's own: its zones start with an SOA, one in-zone
name server (ns1, 127.0.0.1) and a TXT record of somebody else's at the apex. The helpers talk to it
with dnspython directly, never through the code under test.
"""

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.tsig
import dns.update
import pytest

from sandbox import named
from tests.conftest import free_port, stop_process


@dataclass
class NamedServer:
    port: int
    directory: Path
    process: subprocess.Popen = field(repr=False)
    key_name: str = named.TSIG_KEY_NAME
    secret: str = named.SANDBOX_TSIG_SECRET

    @property
    def server(self):
        return f"127.0.0.1#{self.port}"

    def records(self, name, rtype):
        """The values at that exact name and type, sorted; TXT strings joined."""
        response = dns.query.tcp(dns.message.make_query(name, rtype), "127.0.0.1", port=self.port, timeout=5)
        owner = dns.name.from_text(name)
        values = [b"".join(r.strings).decode() if rtype == "TXT" else r.to_text()
                  for rrset in response.answer if rrset.name == owner and rrset.rdtype == dns.rdatatype.from_text(rtype)
                  for r in rrset]
        return sorted(values)

    def txt_strings(self, name):
        response = dns.query.tcp(dns.message.make_query(name, "TXT"), "127.0.0.1", port=self.port, timeout=5)
        return [list(r.strings) for rrset in response.answer for r in rrset]

    def zone_dump(self, zone, names):
        """Everything at the names (ANY over TCP): the zone's content as far as a test cares."""
        dump = {}
        for name in names:
            response = dns.query.tcp(dns.message.make_query(name, "ANY"), "127.0.0.1", port=self.port, timeout=5)
            # One line per record: BIND answers the records of an rrset in no fixed order.
            dump[name] = sorted(line for rrset in response.answer for line in rrset.to_text().splitlines())
        return dump

    def update(self, zone, *operations):
        """Change the zone behind the module's back: operations are ("add"|"delete"|"replace", name, type, value)."""
        keyring = {dns.name.from_text(self.key_name): dns.tsig.Key(self.key_name, self.secret, named.TSIG_ALGORITHM)}
        message = dns.update.UpdateMessage(zone, keyring=keyring, keyname=dns.name.from_text(self.key_name))
        for operation, name, rtype, value in operations:
            if operation == "delete" and value is None:
                message.delete(name, rtype)
            else:
                getattr(message, operation)(name, 300, rtype, value)
        response = dns.query.tcp(message, "127.0.0.1", port=self.port, timeout=5)
        assert response.rcode() == 0, response

    def stop(self):
        stop_process(self.process)


def start_named(directory, zones):
    try:
        argv = named.argv(named.write_config(directory, port := free_port(), zones, named.SANDBOX_TSIG_SECRET))
    except FileNotFoundError as error:
        pytest.fail(str(error))
    log = Path(directory) / "named.log"
    with open(log, "ab") as handle:
        process = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = NamedServer(port, Path(directory), process)
    deadline = time.monotonic() + 20
    while not all(named.answers(port, zone) for zone in zones):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            pytest.fail("named did not start:\n" + log.read_text(errors="replace"))
        time.sleep(0.05)
    return server


def enable_dns(inventory, server, vault_password, secret=None):
    """Make an inventory's clients publish their mail records to the server: the role's DNS settings in
    group_vars/clients/dns.yml, the TSIG secret vault-encrypted beside it, as a real inventory keeps it."""
    import yaml
    from ansible.parsing.vault import VaultLib, VaultSecret

    clients = Path(inventory) / "group_vars" / "clients"
    clients.mkdir(parents=True, exist_ok=True)
    (clients / "dns.yml").write_text(yaml.safe_dump({
        "client_dns_mode": "publish",
        "client_dns_server": "127.0.0.1",
        "client_dns_port": server.port,
        "client_dns_tsig_key_name": server.key_name,
        "client_dns_tsig_secret": "{{ vault_dns_tsig_secret }}",
        "client_dns_timeout": 5,
    }))
    encrypted = VaultLib().encrypt(yaml.safe_dump({"vault_dns_tsig_secret": secret or server.secret}),
                                   secret=VaultSecret(vault_password.encode()))
    (clients / "dns_vault.yml").write_bytes(encrypted)
