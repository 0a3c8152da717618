"""A new client's site from the bench's template: erpnext_site with template: true, timed on a bench.

    REAL_BENCH_PATH=/srv/realbench/frappe-bench REAL_BENCH_COMMAND=/srv/realbench/bin/bench \\
    REAL_BENCH_DB_ROOT_PASSWORD=... .venv/bin/python -m benchmarks.erpnext_template --runs 3

Without REAL_BENCH_PATH it runs against a fresh bench stand-in (a smoke run: the numbers say nothing).
The module runs as Ansible runs it, a module process with its arguments in a file (0600, removed
after). The first run makes the template when the bench has none (timed apart); each measured run
creates a site with erpnext and posawesome from the template and sets its Administrator password,
then the site is dropped again (not timed). Target (issue 17): <= 15 s per site once the template exists.
"""

import argparse
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ["erpnext", "posawesome"]
TARGET_SECONDS = 15.0


def cpu_seconds():
    """User + system CPU of the finished children of this process (the module and every bench it ran);
    less dependent on what else the machine runs than the wall time. MariaDB's own work is not in it."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_module(bench_path, bench_command, root_password, site, admin_password, state="present"):
    """One erpnext_site module process; (seconds, cpu seconds, result)."""
    args = {"ANSIBLE_MODULE_ARGS": {"name": site, "state": state, "apps": APPS, "template": True,
                                    "admin_password": admin_password, "db_root_password": root_password,
                                    "bench_path": bench_path, "bench_command": bench_command}}
    descriptor, path = tempfile.mkstemp(prefix="erpnext_template-", suffix=".json")
    try:
        with os.fdopen(descriptor, "w") as handle:
            json.dump(args, handle)
        started, cpu = time.monotonic(), cpu_seconds()
        done = subprocess.run([sys.executable, "-m",
                               "ansible_collections.securenexus.provisioning.plugins.modules.erpnext_site", path],
                              cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT / "collections")),
                              capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
        seconds, cpu = time.monotonic() - started, cpu_seconds() - cpu
    finally:
        os.unlink(path)
    result = json.loads(done.stdout)
    if result.get("failed"):
        raise SystemExit("%s failed: %s" % (site, result.get("msg")))
    return seconds, cpu, result


def drop(bench_path, bench_command, root_password, site):
    subprocess.run([*bench_command, "drop-site", site, "--no-backup"], cwd=bench_path, input=root_password + "\n",
                   capture_output=True, text=True, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", help="write the numbers as JSON here")
    options = parser.parse_args()
    bench_path = os.environ.get("REAL_BENCH_PATH")
    if bench_path:
        bench_command = [os.environ.get("REAL_BENCH_COMMAND", "bench")]
        root_password = os.environ["REAL_BENCH_DB_ROOT_PASSWORD"]
    else:
        sys.path.insert(0, str(ROOT))
        from sandbox import bench_standin

        bench_path = str(bench_standin.init_bench(Path(tempfile.mkdtemp(prefix="erpnext_template-")) / "bench"))
        bench_command = [str(ROOT / "sandbox" / "bin" / "bench")]
        root_password = bench_standin.SANDBOX_DB_ROOT_PASSWORD
    stamp = secrets.token_hex(3)
    first = "tpl-first-%s.localhost" % stamp
    seconds, cpu, result = run_module(bench_path, bench_command, root_password, first, secrets.token_urlsafe(16))
    numbers = {"first_site": {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
                              "template": result["site"]["template"]}, "runs": [], "load_before": os.getloadavg()}
    print("first site: %.1f s, %.1f CPU-s (template %s)" % (seconds, cpu, result["site"]["template"]))
    drop(bench_path, bench_command, root_password, first)
    for run in range(options.runs):
        site = "tpl-%s-%d.localhost" % (stamp, run)
        load = os.getloadavg()[0]
        seconds, cpu, result = run_module(bench_path, bench_command, root_password, site, secrets.token_urlsafe(16))
        assert result["site"]["template"] == "used" and [app["name"] for app in result["site"]["apps"]] == ["frappe", *APPS]
        numbers["runs"].append({"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "load_1min_before": load,
                                "commands": result["commands"]})
        print("site %d: %.1f s, %.1f CPU-s, %d bench commands (load %.1f)" % (run + 1, seconds, cpu,
                                                                              len(result["commands"]), load))
        drop(bench_path, bench_command, root_password, site)
    times = [run["seconds"] for run in numbers["runs"]]
    numbers["median_seconds"] = statistics.median(times)
    numbers["median_cpu_seconds"] = statistics.median(run["cpu_seconds"] for run in numbers["runs"])
    numbers["target_seconds"] = TARGET_SECONDS
    verdict = "met" if numbers["median_seconds"] <= TARGET_SECONDS else "NOT met"
    print("median %.1f s per site (target <= %.0f s): %s" % (numbers["median_seconds"], TARGET_SECONDS, verdict))
    if options.out:
        Path(options.out).write_text(json.dumps(numbers, indent=1) + "\n")


if __name__ == "__main__":
    main()
