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


def proc_stat_fields(pid):
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def proc_kib(pid, file, key):
    """A kiB value of /proc/<pid>/<file> ("Pss" in smaps_rollup, "VmHWM" in status), None when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _children_map():
    children = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(proc_stat_fields(entry.name)[1])
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_pss_kib(root_pid):
    children = _children_map()
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += proc_kib(pid, "smaps_rollup", "Pss") or 0
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
            self.root_hwm_kib = max(self.root_hwm_kib, proc_kib(self.pid, "status", "VmHWM") or 0)


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
