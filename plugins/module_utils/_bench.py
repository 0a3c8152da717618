# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this module_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""The only place that runs bench: argv building, cleaning of its output, secret masking, timeouts."""

from __future__ import annotations

import re
import threading

MASK = "********"
TAIL_LINES = 12
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class BenchError(Exception):
    """A bench command that failed; `tail` holds bench's own last lines, secrets masked."""

    def __init__(self, message, command="", rc=None, stdout="", stderr=""):
        super().__init__(message)
        self.command = command
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


class BenchRunner:
    """Runs `bench_command + args` with cwd = bench_path through module.run_command (never a shell)."""

    def __init__(self, module, bench_command, bench_path, timeout=None, secrets=()):
        self.module = module
        self.bench_command = list(bench_command)
        self.bench_path = bench_path
        self.timeout = timeout
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self.calls = []

    def mask(self, text):
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def display(self, args):
        return self.mask(" ".join(["bench", *args]))

    def run(self, args, check=True):
        """Run bench; return (rc, stdout, stderr), cleaned and masked. Raise BenchError on failure when check."""
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
            rc, stdout, stderr = self.module.run_command(argv, cwd=self.bench_path, before_communicate_callback=start_timer,
                                                         handle_exceptions=False)
        except OSError as error:
            raise BenchError("cannot run `%s`: %s" % (self.mask(" ".join(argv)), self.mask(str(error))), command=command)
        finally:
            if timer is not None:
                timer.cancel()
        stdout, stderr = self.mask(clean_output(stdout)), self.mask(clean_output(stderr))
        if expired.is_set():
            raise BenchError("`%s` did not finish within %s seconds and was stopped" % (command, self.timeout),
                             command=command, rc=rc, stdout=stdout, stderr=stderr)
        if check and rc != 0:
            error = BenchError("", command=command, rc=rc, stdout=stdout, stderr=stderr)
            error.args = ("`%s` failed with exit code %s:\n%s" % (command, rc, error.tail or "(no output)"),)
            raise error
        return rc, stdout, stderr
