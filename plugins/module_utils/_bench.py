# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this module_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""The only place that runs bench: argv building, secrets on stdin, cleaning of its output, secret masking,
timeouts, host lock, and check mode (a write is never run in check mode)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import tempfile
import threading
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.securenexus.provisioning.plugins.module_utils._module import finish

MASK = "********"
# The options of every module that drives a bench (doc fragment _bench).
BENCH_ARGUMENT_SPEC = dict(
    bench_path=dict(type="path", default="/home/frappe/frappe-bench"),
    bench_command=dict(type="list", elements="str", default=["bench"]),
)
TAIL_LINES = 12
LOCK_FILE = ".erpnext_site.lock"
LOCK_POLL_SECONDS = 0.1
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class BenchError(Exception):
    """A bench command that failed; `tail` holds bench's own last lines, secrets masked."""

    def __init__(self, message, rc=None, stdout="", stderr=""):
        super().__init__(message)
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    @property
    def output(self):
        return "\n".join(part for part in (self.stdout, self.stderr) if part)

    @property
    def tail(self):
        return "\n".join(self.output.splitlines()[-TAIL_LINES:])


def clean_output(text):
    """What a terminal would show: the last state of every carriage-return progress line, no colours."""
    lines = []
    for line in _ANSI.sub("", text or "").split("\n"):
        if "\r" in line:
            line = [part for part in line.split("\r") if part.strip()][-1:] or [""]
            line = line[0]
        lines.append(line.rstrip())
    return "\n".join(lines).strip("\n")


def lock_path(bench_command, bench_path):
    """The host-side lock file of one bench, the same for every task that names that bench the same way."""
    if os.path.isdir(bench_path):
        return os.path.join(os.path.realpath(bench_path), LOCK_FILE)
    # bench runs elsewhere (a container): only the way it is reached identifies it on this host
    key = json.dumps([list(bench_command), bench_path]).encode()
    return os.path.join(tempfile.gettempdir(), "erpnext_site-%s.lock" % hashlib.sha256(key).hexdigest()[:16])


def _open_lock(path):
    # Read-only, and created only when missing: flock needs no write access, so another user of the
    # same bench can lock a file it does not own, which O_CREAT refuses in a sticky /tmp.
    try:
        return os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CREAT, 0o644)


class BenchRunner:
    """Runs `bench_command + args` with cwd = bench_path through AnsibleModule.run_command (never a shell).

    Reads (``read``) always run. Writes (``write``) do not run in check mode: they return None there, so a
    module in check mode can change nothing on the bench, whatever path its code takes. Secrets reach bench
    on its standard input, one per line, where bench's and frappe's prompts read them when no terminal is
    attached (Ansible's workers have none); never on the command line, which every local user can read.
    """

    def __init__(self, run_command, bench_command, bench_path, timeout=None, secrets=(), check_mode=False):
        self.run_command = run_command
        # Only the command prefix is a path: run_command expands ~ and $VAR in every argument unless told not to,
        # which would turn a config value containing $HOME into something else.
        self.bench_command = [os.path.expanduser(os.path.expandvars(part)) for part in bench_command]
        self.bench_path = bench_path
        self.timeout = timeout
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self.check_mode = check_mode
        self.calls = []
        self.lock_path = lock_path(self.bench_command, bench_path)

    @contextlib.contextmanager
    def exclusive(self, wait):
        """Hold the bench's host-side lock, waiting for it at most ``wait`` seconds. Check mode writes nothing
        and so needs no lock."""
        if self.check_mode:
            yield
            return
        try:
            handle = _open_lock(self.lock_path)
        except OSError as error:
            raise BenchError("cannot open the lock file %s: %s" % (self.lock_path, error.strerror))
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise BenchError("could not get the lock file %s within %s seconds (option queue_timeout): "
                                         "other tasks on this host are still creating sites on this bench"
                                         % (self.lock_path, wait))
                    time.sleep(LOCK_POLL_SECONDS)
            yield
        finally:
            os.close(handle)

    def pending_path(self, site):
        """The host-side marker of a site created from a template whose Administrator password is not set yet."""
        return "%s.%s.pending" % (self.lock_path[:-len(".lock")], site)

    def is_pending(self, site):
        return os.path.exists(self.pending_path(site))

    def set_pending(self, site, pending):
        """Create or remove the marker; in check mode nothing (it is a write like any other)."""
        if self.check_mode:
            return
        path = self.pending_path(site)
        try:
            if pending:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644))
            elif os.path.exists(path):
                os.unlink(path)
        except OSError as error:
            raise BenchError("cannot %s the marker %s: %s" % ("create" if pending else "remove", path, error.strerror))

    def mask(self, text):
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def display(self, args):
        return self.mask(" ".join(["bench", *args]))

    def read(self, args, check=True, stdin=()):
        """Run a bench command that changes nothing; return (rc, stdout, stderr), cleaned and masked."""
        return self._run(args, check, stdin)

    def write(self, args, check=True, stdin=()):
        """Run a bench command that changes the bench, unless in check mode (then return None, run nothing).

        ``stdin``: the lines bench's prompts will read, in the order it asks (secrets)."""
        if self.check_mode:
            return None
        return self._run(args, check, stdin)

    def _run(self, args, check, stdin):
        argv = self.bench_command + list(args)
        command = self.display(args)
        self.calls.append(command)
        timer = None
        expired = threading.Event()

        def start_timer(process):
            nonlocal timer
            if self.timeout:
                def expire():
                    expired.set()
                    process.kill()
                timer = threading.Timer(self.timeout, expire)
                timer.daemon = True
                timer.start()

        try:
            rc, stdout, stderr = self.run_command(argv, cwd=self.bench_path, data="\n".join(stdin) if stdin else None,
                                                  before_communicate_callback=start_timer,
                                                  handle_exceptions=False, expand_user_and_vars=False)
        except OSError as error:
            raise BenchError("cannot run `%s`: %s" % (self.mask(" ".join(argv)), self.mask(str(error))))
        finally:
            if timer is not None:
                timer.cancel()
        stdout, stderr = self.mask(clean_output(stdout)), self.mask(clean_output(stderr))
        if expired.is_set():
            raise BenchError("`%s` did not finish within %s seconds and was stopped" % (command, self.timeout),
                             rc=rc, stdout=stdout, stderr=stderr)
        if check and rc != 0:
            error = BenchError("", rc=rc, stdout=stdout, stderr=stderr)
            error.args = ("`%s` failed with exit code %s:\n%s" % (command, rc, error.tail or "(no output)"),)
            raise error
        return rc, stdout, stderr


def run_bench_module(argument_spec, execute):
    """A bench module's main(): ``execute(params, check_mode, diff, run_command)`` returns the result dict,
    ``failed`` and ``msg`` on failure and ``warnings`` as a list of strings."""
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    finish(module, execute(module.params, module.check_mode, module._diff, module.run_command))
