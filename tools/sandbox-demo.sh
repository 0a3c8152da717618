#!/usr/bin/env bash
# Provision every client of the sandbox inventory against the running sandbox, then show that each
# works: its site answers through Traefik, its mailbox and aliases exist in the Mailcow emulator, its
# credentials file is vault-encrypted with mode 0600. `make sandbox` runs it after `sandbox-up`, so
# that `make drift` right after it is clean (exit 0); running it again provisions nothing new
# (the recap shows changed=0).
set -euo pipefail
cd "$(dirname "$0")/.."
venv_bin=${VENV_BIN:-.venv/bin}
export ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$PWD/ansible.cfg}

log=$(mktemp)
inventory=$(mktemp)
trap 'rm -f "$log" "$inventory"' EXIT
"$venv_bin/ansible-playbook" playbooks/provision_client.yml | tee "$log"
# Every client's own variables, as the playbook saw them (the sandbox vault is opened by ansible.cfg).
"$venv_bin/ansible-inventory" --list > "$inventory"

echo
echo "== proof =="
"$venv_bin/python" - "$inventory" "$log" <<'PY'
import json, os, re, stat, sys, time, urllib.request
import dns.message, dns.query
from sandbox.ctl import DNS_PORT, MAILCOW_LISTEN, SANDBOX_API_KEY, TRAEFIK_WEB

inventory_file, log_file = sys.argv[1:]
with open(inventory_file) as handle:
    inventory = json.load(handle)
hostvars = inventory["_meta"]["hostvars"]
with open(log_file) as handle:
    recap = dict(re.findall(r"^(\S+)\s+: .*changed=(\d+)", handle.read(), re.M))
failures = []
api = f"http://{MAILCOW_LISTEN}/api/v1"
headers = {"X-API-Key": SANDBOX_API_KEY}


def get(url, request_headers):
    with urllib.request.urlopen(urllib.request.Request(url, headers=request_headers), timeout=5) as response:
        return response.status, response.read().decode()


def ping(site):
    # Traefik picks a new route up within a fraction of a second; allow for a loaded machine.
    deadline = time.monotonic() + 15
    while True:
        try:
            return get(f"http://{TRAEFIK_WEB}/api/method/ping", {"Host": site})
        except OSError as error:
            if time.monotonic() > deadline:
                return None, str(error)
            time.sleep(0.5)


for client in inventory["clients"]["hosts"]:
    own = hostvars[client].get("client_domain")
    domain = own or "byrne-accounts.org"
    site = f"{client}.byrne-accounts.org"
    mailbox = f"{client}@{domain}"
    credentials = f"credentials/{client}.vault.yml"
    print(f"== {client}")
    status, body = ping(site)
    print(f"site     curl -H 'Host: {site}' http://{TRAEFIK_WEB}/api/method/ping -> {status} {body.strip()}")
    if status != 200 or json.loads(body).get("message") != "pong":
        failures.append(f"{client}: the site does not answer through Traefik")
    box = json.loads(get(f"{api}/get/mailbox/{mailbox}", headers)[1])
    print(f"mailbox  {mailbox}: " + (f"exists, active={box.get('active')}, quota={box.get('quota', 0) // 1048576} MiB"
                                    if box else "MISSING"))
    if not box:
        failures.append(f"{client}: the mailbox is missing")
    aliases = json.loads(get(f"{api}/get/alias/all/{domain}", headers)[1]) or []
    delivering = sorted(a["address"] for a in aliases if mailbox in a["goto"].split(","))
    print(f"aliases  delivering to {mailbox}: {', '.join(delivering) or 'NONE'}")
    if len(delivering) < 5:
        failures.append(f"{client}: aliases are missing")
    if own:
        # What `dig @127.0.0.1 -p DNS_PORT TXT dkim._domainkey.<domain>` answers: the key Mailcow signs with.
        key = json.loads(get(f"{api}/get/dkim/{domain}", headers)[1]) or {}
        name = f"{key.get('dkim_selector', 'dkim')}._domainkey.{domain}"
        answer = dns.query.udp(dns.message.make_query(name, "TXT", use_edns=0), "127.0.0.1", port=DNS_PORT, timeout=5)
        published = [b"".join(r.strings).decode() for rrset in answer.answer for r in rrset]
        print(f"dns      dig @127.0.0.1 -p {DNS_PORT} TXT {name} -> "
              + ("the DKIM key Mailcow holds" if published == [key.get("dkim_txt")] else f"{published or 'NOTHING'}"))
        if published != [key.get("dkim_txt")]:
            failures.append(f"{client}: DNS does not publish the DKIM key Mailcow holds")
    with open(credentials, "rb") as handle:
        header = handle.readline().strip().decode()
    mode = stat.S_IMODE(os.stat(credentials).st_mode)
    print(f"secrets  {credentials}: header {header!r}, mode {mode:o}")
    if not header.startswith("$ANSIBLE_VAULT;") or mode != 0o600:
        failures.append(f"{client}: the credentials file is not vault-encrypted with mode 0600")
    print(f"setup    credentials/{client}/SETUP.md")
    changed = recap.get(client, "?")
    print(f"changes  this run changed {changed} task(s)" + (" (already provisioned: nothing to do)"
                                                         if changed == "0" else ""))
if failures:
    sys.exit("sandbox demo FAILED: " + "; ".join(failures))
print("sandbox demo OK: every client is provisioned; `make drift` now reports them clean")
PY
