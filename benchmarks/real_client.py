"""One whole client on the REAL systems, timed: provision_client.yml for a new client with its mail on the real
Mailcow API, its site made from the real bench's template and set up for the client (wizard, user, scheduler,
POS Profile), its route on a real Traefik and its setup sheet.

    REAL_BENCH_PATH=/srv/realbench/frappe-bench REAL_BENCH_COMMAND=/srv/realbench/bin/bench \\
    REAL_BENCH_DB_ROOT_PASSWORD=... REAL_BENCH_URL=http://127.0.0.1:18000 \\
    REAL_MAILCOW_URL=http://127.0.0.1:18080 .venv/bin/python -m benchmarks.real_client --runs 2

REAL_MAILCOW_KEY defaults to the read-write key tools/real-peers/mailcow/setup.sh creates. Every run
provisions a client of its own (the fleet benchmark's inventory for one client, pointed at the real
systems), then deprovisions it with its mail data (not timed). The real Mailcow API is held under its
lock (REAL_MAILCOW_LOCK, default /tmp/real-mailcow.lock) for the whole benchmark. Target (issue 17):
<= 60 s for the whole client once the bench's template exists; the first run makes the template when the
bench has none (its time is reported apart).
"""

import argparse
import fcntl
import json
import os
import secrets
import statistics
import sys
import tempfile
from pathlib import Path

import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from benchmarks.fleet import write_inventory
from benchmarks.measure import run_measured
from benchmarks.stack import Stack

ROOT = Path(__file__).resolve().parents[1]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
DEFAULT_MAILCOW_KEY = "REALKEY-0000-0000-0000-000000000001"
TARGET_SECONDS = 60.0


def point_at_real_systems(inventory, password_file, client):
    """The fleet inventory of one client, renamed to ``client`` and aimed at the real Mailcow and bench."""
    hosts_file = inventory / "hosts.yml"
    hosts = yaml.safe_load(hosts_file.read_text())
    (definition,) = hosts["all"]["children"]["clients"]["hosts"].values()
    definition.update(client_display_name="Real client %s" % client, client_domain="%s.example.org" % client)
    hosts["all"]["children"]["clients"]["hosts"] = {client: definition}
    hosts_file.write_text(yaml.safe_dump(hosts))
    client_vars_file = inventory / "group_vars" / "clients" / "main.yml"
    client_vars = yaml.safe_load(client_vars_file.read_text())
    client_vars.update({
        "client_mailcow_api_url": os.environ["REAL_MAILCOW_URL"],
        "client_erpnext_bench_path": os.environ["REAL_BENCH_PATH"],
        "client_erpnext_bench_command": [os.environ.get("REAL_BENCH_COMMAND", "bench")],
        "client_traefik_service_urls": [os.environ.get("REAL_BENCH_URL", "http://127.0.0.1:18000")],
    })
    client_vars_file.write_text(yaml.safe_dump(client_vars))
    vault = VaultLib([("default", VaultSecret(password_file.read_text().strip().encode()))])
    vault_file = inventory / "group_vars" / "all" / "vault.yml"
    secret_vars = yaml.safe_load(vault.decrypt(vault_file.read_bytes()))
    secret_vars.update(vault_mailcow_api_key=os.environ.get("REAL_MAILCOW_KEY", DEFAULT_MAILCOW_KEY),
                       vault_erpnext_db_root_password=os.environ["REAL_BENCH_DB_ROOT_PASSWORD"])
    vault_file.write_bytes(vault.encrypt(yaml.safe_dump(secret_vars)))


def playbook(workdir, inventory, password_file, label, name, *args):
    log = workdir / ("%s.log" % label)
    task_times = workdir / ("%s.tasks.json" % label)
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_VAULT_PASSWORD_FILE=str(password_file),
               ANSIBLE_NOCOLOR="1", ANSIBLE_CALLBACK_PLUGINS=str(ROOT / "benchmarks" / "callback_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="task_timer", BENCH_TASK_TIMES=str(task_times))
    result = run_measured([ANSIBLE_PLAYBOOK, str(ROOT / "playbooks" / name), "-i", str(inventory), *args],
                          log, env=env, cwd=ROOT)
    if result["rc"] != 0:
        raise SystemExit("%s failed (rc %s); log %s:\n%s" % (label, result["rc"], log,
                                                             "\n".join(log.read_text().splitlines()[-30:])))
    result["tasks"] = json.loads(task_times.read_text())["tasks"] if task_times.exists() else []
    return result


def slowest(tasks, count=8):
    ranked = sorted(tasks, key=lambda task: -task["wall_s"])[:count]
    return [("%s: %.1f s" % (task["name"].split(" : ")[-1], task["wall_s"])) for task in ranked]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--out", help="write the numbers as JSON here")
    options = parser.parse_args()
    missing = [name for name in ("REAL_BENCH_PATH", "REAL_BENCH_DB_ROOT_PASSWORD", "REAL_MAILCOW_URL")
               if not os.environ.get(name)]
    if missing:
        raise SystemExit("set %s (see the docstring: this benchmark needs the real bench and Mailcow)"
                         % ", ".join(missing))
    workdir = Path(tempfile.mkdtemp(prefix="real-client-"))
    numbers = {"runs": [], "load_before": os.getloadavg()}
    with open(os.environ.get("REAL_MAILCOW_LOCK", "/tmp/real-mailcow.lock"), "a") as lock, Stack(workdir / "stack") as stack:  # noqa: S108
        fcntl.flock(lock, fcntl.LOCK_EX)
        for run in range(options.runs):
            client = "rc%s" % secrets.token_hex(3)
            inventory, password_file = write_inventory(workdir / client, 1, stack)
            point_at_real_systems(inventory, password_file, client)
            load = os.getloadavg()[0]
            done = playbook(workdir, inventory, password_file, "%s-provision" % client, "provision_client.yml")
            playbook(workdir, inventory, password_file, "%s-deprovision" % client, "deprovision_client.yml",
                     "-e", "client=%s" % client, "-e", "confirm=%s" % client, "-e", "delete_mail_data=true")
            entry = {"client": client, "seconds": done["wall_s"], "cpu_seconds": done["cpu_s"],
                     "load_1min_before": load, "tasks": done["tasks"]}
            numbers["runs"].append(entry)
            print("client %d: %.1f s, %.1f CPU-s (load %.1f); slowest: %s"
                  % (run + 1, done["wall_s"], done["cpu_s"], load, "; ".join(slowest(done["tasks"]))), flush=True)
    times = [entry["seconds"] for entry in numbers["runs"]]
    numbers["median_seconds"] = statistics.median(times)
    numbers["target_seconds"] = TARGET_SECONDS
    verdict = "met" if numbers["median_seconds"] <= TARGET_SECONDS else "NOT met"
    print("median %.1f s per client (target <= %.0f s): %s" % (numbers["median_seconds"], TARGET_SECONDS, verdict))
    if options.out:
        Path(options.out).write_text(json.dumps(numbers, indent=1) + "\n")


if __name__ == "__main__":
    main()
