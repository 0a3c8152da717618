#!/usr/bin/env bash
# Provision the client acme against the running sandbox, then show that it works:
# the site answers through Traefik, the mailbox and aliases exist in the Mailcow emulator, and the
# credentials file is vault-encrypted with mode 0600. `make sandbox` runs it after `sandbox-up`;
# running it again provisions nothing new (the recap shows changed=0).
set -euo pipefail
cd "$(dirname "$0")/.."
venv_bin=${VENV_BIN:-.venv/bin}
export ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$PWD/ansible.cfg}
client=acme
site=acme.byrne-accounts.org
mailbox=acme@acmecorp.com
credentials=credentials/$client.vault.yml

log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$venv_bin/ansible-playbook" playbooks/provision_client.yml -e client=$client | tee "$log"
changed=$(sed -n "s/^$client *: .*changed=\([0-9]*\).*/\1/p" "$log")

echo
echo "== proof =="
# Traefik picks a new route up within a fraction of a second; allow for a loaded machine.
"$venv_bin/python" - "$site" "$mailbox" "$credentials" "$changed" <<'PY'
import json, os, stat, sys, time, urllib.request
import dns.message, dns.query
from sandbox.ctl import DNS_PORT, MAILCOW_LISTEN, SANDBOX_API_KEY, TRAEFIK_WEB

site, mailbox, credentials, changed = sys.argv[1:]
failures = []

def get(url, headers):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
        return response.status, response.read().decode()

deadline = time.monotonic() + 15
while True:
    try:
        status, body = get(f"http://{TRAEFIK_WEB}/api/method/ping", {"Host": site})
        break
    except OSError as error:
        if time.monotonic() > deadline:
            status, body = None, str(error)
            break
        time.sleep(0.5)
print(f"site     curl -H 'Host: {site}' http://{TRAEFIK_WEB}/api/method/ping -> {status} {body.strip()}")
if status != 200 or json.loads(body).get("message") != "pong":
    failures.append("the site does not answer through Traefik")

api = f"http://{MAILCOW_LISTEN}/api/v1"
headers = {"X-API-Key": SANDBOX_API_KEY}
box = json.loads(get(f"{api}/get/mailbox/{mailbox}", headers)[1])
print(f"mailbox  {mailbox}: " + (f"exists, active={box.get('active')}, quota={box.get('quota', 0) // 1048576} MiB" if box else "MISSING"))
if not box:
    failures.append("the mailbox is missing")
domain = mailbox.split("@")[1]
aliases = json.loads(get(f"{api}/get/alias/all/{domain}", headers)[1]) or []
delivering = sorted(a["address"] for a in aliases if mailbox in a["goto"].split(","))
print(f"aliases  delivering to {mailbox}: {', '.join(delivering) or 'NONE'}")
if len(delivering) < 5:
    failures.append("aliases are missing")

# What `dig @127.0.0.1 -p DNS_PORT TXT dkim._domainkey.<domain>` answers: the key Mailcow signs with.
key = json.loads(get(f"{api}/get/dkim/{domain}", headers)[1]) or {}
name = f"{key.get('dkim_selector', 'dkim')}._domainkey.{domain}"
answer = dns.query.udp(dns.message.make_query(name, "TXT", use_edns=0), "127.0.0.1", port=DNS_PORT, timeout=5)
published = [b"".join(r.strings).decode() for rrset in answer.answer for r in rrset]
print(f"dns      dig @127.0.0.1 -p {DNS_PORT} TXT {name} -> "
      + ("the DKIM key Mailcow holds" if published == [key.get("dkim_txt")] else f"{published or 'NOTHING'}"))
if published != [key.get("dkim_txt")]:
    failures.append("DNS does not publish the DKIM key Mailcow holds")

with open(credentials, "rb") as handle:
    header = handle.readline().strip().decode()
mode = stat.S_IMODE(os.stat(credentials).st_mode)
print(f"secrets  {credentials}: header {header!r}, mode {mode:o}")
if not header.startswith("$ANSIBLE_VAULT;") or mode != 0o600:
    failures.append("the credentials file is not vault-encrypted with mode 0600")
print(f"setup    credentials/{credentials.split('/')[-1].split('.')[0]}/SETUP.md")
print(f"changes  this run changed {changed} task(s)" + (" (already provisioned: nothing to do)" if changed == "0" else ""))
if failures:
    sys.exit("sandbox demo FAILED: " + "; ".join(failures))
print("sandbox demo OK")
PY
