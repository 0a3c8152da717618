"""The benchmark's own stand-ins: Mailcow emulator, bench stand-in and frontend, Traefik.

Everything runs on free loopback ports from a temporary directory, so a benchmark never touches
the sandbox (fixed ports, .sandbox/) or another engineer's test run.
"""

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

from sandbox import bench_standin
from sandbox.ctl import traefik_binary

from .measure import proc_kib, proc_stat_fields

ROOT = Path(__file__).resolve().parent.parent
# Benchmark-only credentials: they protect nothing but this run's stand-ins.
API_KEY = "BENCH-RW-KEY-0000-0000-000000000001"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _http(method, url, body=None, headers=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        payload = response.read()
    return json.loads(payload) if payload else None


def process_cpu_seconds(pid):
    """User + system CPU seconds of one process, from /proc/<pid>/stat."""
    fields = proc_stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_peak_rss_kib(pid):
    peak = proc_kib(pid, "status", "VmHWM")
    if peak is None:
        raise RuntimeError(f"no VmHWM for pid {pid}")
    return peak


def reset_peak_rss(pid):
    """Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


class Stack:
    """Start with `with Stack(workdir) as stack:`; every path and URL is an attribute."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.bench_dir = self.workdir / "bench"
        self.dynamic_dir = self.workdir / "traefik-dynamic"
        self.credentials_dir = self.workdir / "credentials"
        self.mailcow_port, self.frontend_port, self.web_port, self.traefik_api_port = (
            free_port(), free_port(), free_port(), free_port())
        self.mailcow_url = f"http://127.0.0.1:{self.mailcow_port}"
        self.frontend_url = f"http://127.0.0.1:{self.frontend_port}"
        self.traefik_api_url = f"http://127.0.0.1:{self.traefik_api_port}"
        self.processes = {}

    # -- lifecycle ------------------------------------------------------------------------------
    def __enter__(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.reset_files()
        try:
            self._start("mailcow", [sys.executable, "-m", "sandbox.mailcow_api",
                                    "--listen", f"127.0.0.1:{self.mailcow_port}",
                                    "--state", str(self.workdir / "mailcow.sqlite"), "--api-key", API_KEY],
                        f"{self.mailcow_url}/_sandbox/counters", {200})
            self._start("frontend", [sys.executable, "-m", "sandbox.bench_frontend",
                                     "--listen", f"127.0.0.1:{self.frontend_port}", "--bench", str(self.bench_dir)],
                        f"{self.frontend_url}/api/method/ping", {404})
            self._start("traefik", [traefik_binary(), f"--configFile={self._traefik_config()}"],
                        f"{self.traefik_api_url}/ping", {200})
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for name, process in reversed(list(self.processes.items())):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            self.processes.pop(name)

    def _traefik_config(self):
        path = self.workdir / "traefik.yml"
        config = {
            "global": {"checkNewVersion": False, "sendAnonymousUsage": False},
            "entryPoints": {"web": {"address": f"127.0.0.1:{self.web_port}"},
                            "traefik": {"address": f"127.0.0.1:{self.traefik_api_port}"}},
            "api": {"insecure": True},
            "ping": {"entryPoint": "traefik"},
            "log": {"level": "ERROR"},
            "providers": {"providersThrottleDuration": "100ms",
                          "file": {"directory": str(self.dynamic_dir), "watch": True}},
        }
        path.write_text(json.dumps(config))  # JSON is YAML
        return path

    def _start(self, name, argv, health_url, ok_statuses):
        log = open(self.workdir / f"{name}.log", "ab")
        with log:
            process = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        self.processes[name] = process
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(health_url, timeout=2) as response:
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except (urllib.error.URLError, OSError):
                status = None
            if status in ok_statuses:
                return
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (self.workdir / f"{name}.log").read_text(errors="replace").splitlines()[-15:]
                raise RuntimeError(f"benchmark stack: {name} did not start:\n" + "\n".join(tail))
            time.sleep(0.1)

    # -- state ----------------------------------------------------------------------------------
    def reset_files(self):
        """A fresh bench, an empty Traefik directory and no credentials: a first provisioning."""
        for path in (self.bench_dir, self.credentials_dir):
            shutil.rmtree(path, ignore_errors=True)
        self.credentials_dir.mkdir(parents=True)
        # Emptied, not replaced: Traefik watches this very directory.
        self.dynamic_dir.mkdir(parents=True, exist_ok=True)
        for entry in self.dynamic_dir.iterdir():
            entry.unlink()
        bench_standin.init_bench(self.bench_dir)

    def reset_all(self):
        self.wipe_mailcow()
        self.reset_files()

    def wipe_mailcow(self):
        _http("DELETE", f"{self.mailcow_url}/_sandbox/state")

    def seed_mailcow(self, domains, mailboxes_per_domain, aliases_per_domain, prefix="bulk"):
        return _http("POST", f"{self.mailcow_url}/_sandbox/seed",
                     {"domains": domains, "mailboxes_per_domain": mailboxes_per_domain,
                      "aliases_per_domain": aliases_per_domain, "prefix": prefix}, timeout=600)

    def counters(self):
        return _http("GET", f"{self.mailcow_url}/_sandbox/counters")

    def reset_counters(self):
        _http("DELETE", f"{self.mailcow_url}/_sandbox/counters")

    # -- the emulator's own cost ----------------------------------------------------------------
    @property
    def mailcow_pid(self):
        return self.processes["mailcow"].pid

    def emulator_mark(self):
        """Reset the emulator's counters and peak RSS; returns its CPU seconds so far."""
        self.reset_counters()
        reset_peak_rss(self.mailcow_pid)
        return process_cpu_seconds(self.mailcow_pid)

    def emulator_since(self, cpu_mark):
        counters = self.counters()
        return {
            "cpu_s": round(process_cpu_seconds(self.mailcow_pid) - cpu_mark, 3),
            "peak_rss_mib": round(process_peak_rss_kib(self.mailcow_pid) / 1024, 1),
            "reads": counters["reads"],
            "writes": counters["writes"],
            "by_route": counters["by_route"],
        }
