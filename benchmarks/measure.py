"""Run one command and measure it like `/usr/bin/time -v`, plus the memory of its process tree.

- wall time;
- CPU (user + system) of the process and every descendant it waited for: os.wait4's rusage;
- ru_maxrss: the largest single process of the tree (what `time -v` reports). Linux counts a
  child's image before exec too, so this never reads below the harness's own RSS (about 90 MiB);
- the command's own peak RSS (VmHWM of its process after exec), sampled;
- the peak of the whole tree's PSS (proportional set size: shared pages are split between the
  processes sharing them, so ansible-playbook's forked workers are not counted twice), sampled.
"""

import os
import subprocess
import threading
import time
from pathlib import Path

SAMPLE_INTERVAL = 0.5


def _children_map():
    children = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _pss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _hwm_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_kib(root_pid):
    children = _children_map()
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += _pss_kib(pid)
        todo.extend(children.get(pid, ()))
    return total


class _TreeSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kib = 0
        self.root_hwm_kib = 0
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(SAMPLE_INTERVAL):
            self.peak_kib = max(self.peak_kib, tree_pss_kib(self.pid))
            self.root_hwm_kib = max(self.root_hwm_kib, _hwm_kib(self.pid))


def run_measured(argv, log_path, env=None, cwd=None, timeout=3600):
    """Run argv with stdout+stderr to log_path; returns the measurements (and rc)."""
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=env, cwd=cwd)
        sampler = _TreeSampler(process.pid)
        sampler.start()
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
            time.sleep(0.02)
        wall = time.perf_counter() - started
        sampler.stopped.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "rc": process.returncode,
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "max_process_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "peak_tree_pss_mib": round(sampler.peak_kib / 1024, 1),
        "main_process_peak_rss_mib": round(sampler.root_hwm_kib / 1024, 1),
    }
