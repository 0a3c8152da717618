"""Fleet-scale benchmark: this collection against uri playbooks, Ansible's floor and the HTTP limit.

    .venv/bin/python -m benchmarks.run --sizes 1,10,50,200 --out benchmarks/results/<stamp>/
    .venv/bin/python -m benchmarks.run --sizes 1 --quick          # smoke mode (make bench-smoke)

Writes results.json, fleet.png and results.md (the markdown tables, also printed) into --out.
Every approach runs against the benchmark's own stand-ins (benchmarks/stack.py) on free ports.
The smoke mode checks that everything ran and the numbers are sane; it asserts no timing.
"""

import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from . import report
from .fleet import managed_objects, write_inventory
from .measure import run_measured
from .stack import API_KEY, ROOT, Stack

ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
COLLECTION_PLAYBOOK = ROOT / "playbooks" / "provision_client.yml"
URI_PLAYBOOK = ROOT / "benchmarks" / "playbooks" / "uri_fleet.yml"
FLOOR_PLAYBOOK = ROOT / "benchmarks" / "playbooks" / "floor.yml"
BASE_DOMAIN = "byrne-accounts.org"
DEFAULT_FORKS = 10


class BenchmarkError(Exception):
    pass


def recap_totals(log_text):
    """Sum of ok/changed/failed over the PLAY RECAP lines."""
    totals = {"ok": 0, "changed": 0, "failed": 0}
    for key in totals:
        totals[key] = sum(int(value) for value in re.findall(rf"\b{key}=(\d+)", log_text.split("PLAY RECAP")[-1]))
    return totals


class Runner:
    def __init__(self, stack, workdir, forks):
        self.stack = stack
        self.workdir = Path(workdir)
        self.forks = forks
        self.log_index = 0
        self.inventories = {}

    def inventory(self, size):
        if size not in self.inventories:
            self.inventories[size] = write_inventory(self.workdir / f"inventory-{size}", size, self.stack)
        return self.inventories[size]

    def _env(self, password_file, extra, task_times):
        env = {key: value for key, value in os.environ.items() if not key.startswith(("MAILCOW_", "ANSIBLE_"))}
        env.update({
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_VAULT_PASSWORD_FILE": str(password_file),
            "ANSIBLE_FORKS": str(self.forks),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_CALLBACK_PLUGINS": str(ROOT / "benchmarks" / "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "task_timer",
            "BENCH_TASK_TIMES": str(task_times),
        })
        env.update(extra or {})
        return env

    def _log(self, label):
        self.log_index += 1
        return self.workdir / "logs" / f"{self.log_index:03d}-{label}.log"

    def playbook(self, label, playbook, size, check=False, env=None, args=(), objects=None):
        inventory, password_file = self.inventory(size)
        argv = [ANSIBLE_PLAYBOOK, str(playbook), "-i", str(inventory), *args]
        if check:
            argv += ["--check", "--diff"]
        log = self._log(label)
        cpu_mark = self.stack.emulator_mark()
        task_times = log.with_suffix(".tasks.json")
        result = run_measured(argv, log, env=self._env(password_file, env, task_times), cwd=ROOT)
        result["emulator"] = self.stack.emulator_since(cpu_mark)
        if task_times.exists():
            result["tasks"] = json.loads(task_times.read_text())["tasks"]
        text = log.read_text(errors="replace")
        if result["rc"] != 0:
            tail = "\n".join(text.splitlines()[-30:])
            raise BenchmarkError(f"{label} (N={size}) failed with rc {result['rc']}; log {log}:\n{tail}")
        result["recap"] = recap_totals(text)
        result["log"] = str(log)
        self._per_object(result, objects if objects is not None else managed_objects(size)["total"])
        print(f"  {label:<22} N={size:<4} wall {result['wall_s']:8.2f} s  cpu {result['cpu_s']:8.2f} s  "
              f"reads {result['emulator']['reads']:5}  writes {result['emulator']['writes']:5}  "
              f"changed {result['recap']['changed']}", flush=True)
        return result

    @staticmethod
    def _per_object(result, objects):
        result["objects"] = objects
        if objects:
            result["reads_per_object"] = round(result["emulator"]["reads"] / objects, 3)
            result["writes_per_object"] = round(result["emulator"]["writes"] / objects, 3)

    def physical(self, size):
        log = self._log("physical")
        env = dict(os.environ, MAILCOW_API_KEY=API_KEY)
        argv = [sys.executable, "-m", "benchmarks.drift_reads", "--api-url", self.stack.mailcow_url,
                "--clients", str(size), "--base-domain", BASE_DOMAIN]
        cpu_mark = self.stack.emulator_mark()
        result = run_measured(argv, log, env=env, cwd=ROOT)
        result["emulator"] = self.stack.emulator_since(cpu_mark)
        if result["rc"] != 0:
            raise BenchmarkError(f"drift_reads failed; log {log}:\n{log.read_text()[-2000:]}")
        result["http"] = json.loads(log.read_text().strip().splitlines()[-1])
        result["log"] = str(log)
        self._per_object(result, managed_objects(size)["total"])
        print(f"  {'physical':<22} N={size:<4} wall {result['wall_s']:8.2f} s  http {result['http']['http_s']:.3f} s  "
              f"reads {result['http']['reads']}  missing {result['http']['missing']}", flush=True)
        return result


def fleet(runner, size, quick=False, uri=True):
    """Every approach on a fleet of `size`; quick (the smoke mode) keeps one run of each kind:
    the collection's first provisioning and drift check, then the uri check, the floor and the
    physical limit against what the collection provisioned. Without uri, no uri playbook runs."""
    print(f"fleet of {size} client(s)", flush=True)
    runs = {}
    runner.stack.reset_all()
    runs["collection_first"] = runner.playbook("collection-first", COLLECTION_PLAYBOOK, size)
    if not quick:
        runs["collection_rerun"] = runner.playbook("collection-rerun", COLLECTION_PLAYBOOK, size)
    runs["collection_check"] = runner.playbook("collection-check", COLLECTION_PLAYBOOK, size, check=True)
    runs["physical"] = runner.physical(size)
    if uri and not quick:
        runner.stack.reset_all()
        runs["uri_first"] = runner.playbook("uri-first", URI_PLAYBOOK, size)
        runs["uri_rerun"] = runner.playbook("uri-rerun", URI_PLAYBOOK, size)
    if uri:
        runs["uri_check"] = runner.playbook("uri-check", URI_PLAYBOOK, size, check=True)
    runs["floor"] = runner.playbook("floor", FLOOR_PLAYBOOK, size, objects=0)
    return {"size": size, "objects": managed_objects(size), "runs": runs}


def seeded(runner, repeats, seed):
    """One client's idempotent run on an empty server, then on one holding `seed` objects."""
    print(f"one client, empty server vs seeded {seed}", flush=True)
    runner.stack.reset_all()
    runner.playbook("seeded-provision", COLLECTION_PLAYBOOK, 1)
    empty = [runner.playbook("seeded-empty-rerun", COLLECTION_PLAYBOOK, 1) for _repeat in range(repeats)]
    started = time.perf_counter()
    runner.stack.seed_mailcow(**seed)
    seed_s = time.perf_counter() - started
    full = [runner.playbook("seeded-full-rerun", COLLECTION_PLAYBOOK, 1) for _repeat in range(repeats)]

    def summary(runs):
        return {"wall_s_median": round(statistics.median(run["wall_s"] for run in runs), 3),
                "wall_s": [run["wall_s"] for run in runs],
                "reads": [run["emulator"]["reads"] for run in runs],
                "writes": [run["emulator"]["writes"] for run in runs],
                "by_route": runs[-1]["emulator"]["by_route"],
                "emulator_cpu_s": [run["emulator"]["cpu_s"] for run in runs]}

    result = {"seed": seed, "seed_s": round(seed_s, 2), "empty": summary(empty), "seeded": summary(full)}
    result["time_ratio"] = round(result["seeded"]["wall_s_median"] / result["empty"]["wall_s_median"], 3)
    return result


def levers(runner, size, provisioned=False, only=()):
    """The drift check at one fleet size under each lever of Ansible's execution; `provisioned` when the
    last fleet run left exactly that fleet on the stand-ins (its drift check changed nothing)."""
    print(f"levers on the drift check, N={size}", flush=True)
    if not provisioned:
        runner.stack.reset_all()
        runner.playbook("levers-provision", COLLECTION_PLAYBOOK, size)
    # (name, environment, extra arguments)
    variants = [("forks=5", {"ANSIBLE_FORKS": "5"}, ()), (f"forks={DEFAULT_FORKS} (default)", {}, ()),
                ("forks=20", {"ANSIBLE_FORKS": "20"}, ()), ("pipelining off", {"ANSIBLE_PIPELINING": "False"}, ()),
                ("strategy free", {"ANSIBLE_STRATEGY": "free"}, ()),
                ("module processes (in-worker runs off)", {}, ("-e", "securenexus_provisioning_in_process=false"))]
    mitogen = mitogen_strategy_dir()
    if mitogen:
        mitogen_env = {"ANSIBLE_STRATEGY_PLUGINS": mitogen, "ANSIBLE_STRATEGY": "mitogen_linear"}
        variants.append(("mitogen_linear", mitogen_env, ()))
        # Mitogen saves module starts; with every module already in the worker it has none left to save.
        variants.append(("mitogen_linear, in-worker runs off", mitogen_env,
                         ("-e", "securenexus_provisioning_in_process=false")))
    if only:
        variants = [variant for variant in variants if variant[0] in only]
    results = []
    for name, env, args in variants:
        try:
            run = runner.playbook(f"lever-{re.sub(r'[^a-z0-9]+', '-', name)}", COLLECTION_PLAYBOOK, size,
                                  check=True, env=env, args=args)
        except BenchmarkError as error:
            results.append({"lever": name, "error": str(error)[:3000]})
            print(f"  {name}: FAILED ({str(error).splitlines()[0]})", flush=True)
            continue
        run["lever"] = name
        results.append(run)
    return {"size": size, "mitogen_available": bool(mitogen), "runs": results}


def mitogen_strategy_dir():
    try:
        import ansible_mitogen  # noqa: F401  (only to find its plugin directory)
    except ImportError:
        return None
    return str(Path(ansible_mitogen.__file__).parent / "plugins" / "strategy")


def _timed(argv, env=None, repeats=5):
    times = []
    for _repeat in range(repeats):
        started = time.perf_counter()
        subprocess.run(argv, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 4)


def profile(runner, repeat):
    """Where the time of one module run goes, and Ansible's cost per task and per playbook."""
    print("profile of a module run", flush=True)
    runner.stack.reset_all()
    runner.playbook("profile-provision", COLLECTION_PLAYBOOK, 1)
    address = "support@fleet-c0001.com"
    args_file = runner.workdir / "alias-args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {
        "api_url": runner.stack.mailcow_url, "api_key": API_KEY, "address": address,
        "goto": ["c0001@fleet-c0001.com"], "active": True}}))
    env = dict(os.environ, PYTHONPATH=str(ROOT / "collections"))
    module = "ansible_collections.securenexus.provisioning.plugins.modules.mailcow_alias"
    result = {
        "interpreter_start_s": _timed([sys.executable, "-c", "pass"]),
        "imports_s": _timed([sys.executable, "-c", f"import {module}"], env=env),
        "module_run_s": _timed([sys.executable, "-m", module, str(args_file)], env=env),
    }
    runner.stack.emulator_mark()
    http = _timed([sys.executable, "-m", "benchmarks.drift_reads", "--api-url", runner.stack.mailcow_url,
                   "--clients", "0", "--base-domain", BASE_DOMAIN], env=dict(os.environ, MAILCOW_API_KEY=API_KEY))
    result["one_read_process_s"] = http
    playbooks = {}
    for kind, task in (("debug", {"ansible.builtin.debug": {"msg": "x"}}),
                       ("ping", {"ansible.builtin.ping": {}}),
                       ("mailcow_alias", {"securenexus.provisioning.mailcow_alias": {
                           "api_url": runner.stack.mailcow_url, "api_key": API_KEY, "address": address,
                           "goto": ["c0001@fleet-c0001.com"], "active": True}})):
        for count in (1, repeat + 1):
            path = runner.workdir / f"profile-{kind}-{count}.yml"
            path.write_text(json.dumps([{"name": "profile", "hosts": "localhost", "gather_facts": False,
                                         "tasks": [dict(name=f"t{i}", **task) for i in range(count)]}]))
            run = runner.playbook(f"profile-{kind}-{count}", path, 1, objects=0)
            playbooks[f"{kind}_{count}"] = run["wall_s"]
        per_task = (playbooks[f"{kind}_{repeat + 1}"] - playbooks[f"{kind}_1"]) / repeat
        result[f"per_task_{kind}_s"] = round(per_task, 4)
    result["playbook_start_s"] = round(playbooks["debug_1"] - result["per_task_debug_s"], 3)
    result["playbook_walls"] = playbooks
    result["repeat"] = repeat
    return result


def sanity_problems(results):
    """What makes a run's numbers meaningless (not a timing threshold)."""
    problems = []
    for entry in results["fleet"]:
        size, runs = entry["size"], entry["runs"]
        for name, run in runs.items():
            if run["wall_s"] <= 0 or run["cpu_s"] <= 0 or run["peak_tree_pss_mib"] < 0 or run["max_process_rss_mib"] <= 0:
                problems.append(f"N={size} {name}: non-positive wall/cpu/memory {run}")
        for name in ("collection_first", "uri_first"):
            if name in runs and runs[name]["emulator"]["writes"] < managed_objects(size)["total"] - size:
                problems.append(f"N={size} {name}: only {runs[name]['emulator']['writes']} writes for a fresh fleet")
        for name in ("collection_rerun", "collection_check", "uri_rerun", "uri_check"):
            if name not in runs:
                continue
            if runs[name]["emulator"]["writes"]:
                problems.append(f"N={size} {name}: {runs[name]['emulator']['writes']} writes on an unchanged fleet")
            if runs[name]["emulator"]["reads"] < managed_objects(size)["total"]:
                problems.append(f"N={size} {name}: fewer reads than managed objects")
        if runs["physical"]["http"]["missing"]:
            problems.append(f"N={size} physical: {runs['physical']['http']['missing']} objects missing after provisioning")
    if results.get("seeded") and any(results["seeded"]["seeded"]["writes"]):
        problems.append("seeded: the idempotent run wrote")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="1,10,50,200", help="comma-separated fleet sizes")
    parser.add_argument("--out", help="output directory (default benchmarks/results/<UTC timestamp>)")
    parser.add_argument("--forks", type=int, default=DEFAULT_FORKS)
    parser.add_argument("--quick", action="store_true",
                        help="smoke mode: one run of each kind per size, no seeded/levers/profile; checks sanity only")
    parser.add_argument("--full-up-to", type=int,
                        help="run every kind only up to this fleet size; larger fleets get the quick set "
                             "(first provisioning, drift check, uri check, floor, physical)")
    parser.add_argument("--lever-size", type=int, help="fleet size for the lever runs (default: 50)")
    parser.add_argument("--seed-repeats", type=int, default=3, help="runs of each side of the seeded comparison")
    parser.add_argument("--profile-repeat", type=int, default=20, help="tasks per profile playbook")
    parser.add_argument("--levers", default="", help="semicolon-separated lever names to run (default: all)")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: seeded,levers,profile,uri")
    args = parser.parse_args(argv)
    try:
        sizes = sorted({int(part) for part in args.sizes.split(",") if part.strip()})
    except ValueError:
        parser.error(f"--sizes must be comma-separated whole numbers, got {args.sizes!r}")
    if not sizes or sizes[0] < 1:
        parser.error("--sizes needs at least one fleet size >= 1")
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    out = Path(args.out or ROOT / "benchmarks" / "results" / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    out.mkdir(parents=True, exist_ok=True)
    quick = args.quick
    if quick:
        skip |= {"seeded", "levers", "profile"}
    seed = {"domains": 2000, "mailboxes_per_domain": 5, "aliases_per_domain": 25}

    # SIGTERM (timeout, kill) unwinds like Ctrl-C, so the stand-ins are stopped and the temp dir removed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.perf_counter()
    results = {"meta": meta(args, sizes)}
    results["meta"]["load_average_start"] = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="securenexus-bench-") as workdir:
        (Path(workdir) / "logs").mkdir()
        try:
            with Stack(Path(workdir) / "stack") as stack:
                runner = Runner(stack, workdir, args.forks)
                results["fleet"] = [fleet(runner, size, quick or (args.full_up_to is not None and size > args.full_up_to),
                                          uri="uri" not in skip)
                                    for size in sizes]
                lever_size = args.lever_size or 50
                if "seeded" not in skip:
                    results["seeded"] = seeded(runner, args.seed_repeats, seed)
                if "levers" not in skip:
                    results["levers"] = levers(runner, lever_size, provisioned="seeded" in skip and sizes[-1] == lever_size,
                                               only={name.strip() for name in args.levers.split(";") if name.strip()})
                if "profile" not in skip:
                    results["profile"] = profile(runner, args.profile_repeat)
        except BenchmarkError as error:
            print(f"benchmark failed: {error}", file=sys.stderr)
            return 1
    results["meta"]["total_s"] = round(time.perf_counter() - started, 1)
    results["meta"]["load_average_end"] = os.getloadavg()
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    report.plot(results, out / "fleet.png")
    markdown = report.markdown(results)
    (out / "results.md").write_text(markdown)
    print(markdown)
    print(f"results in {out}")
    problems = sanity_problems(results)
    if problems:
        print("the numbers are not sane:\n- " + "\n- ".join(problems), file=sys.stderr)
        return 1
    return 0


def meta(args, sizes):
    import ansible

    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "sizes": sizes,
        "forks": args.forks,
        "quick": args.quick,
        "ansible_core": ansible.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
    }


if __name__ == "__main__":
    sys.exit(main())
