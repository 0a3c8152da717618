# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this module_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""Python run inside a site's frappe, through the bench runner: `bench --site SITE execute exec --args ...`.

frappe 15's `execute` command connects to the site, looks the method up with frappe.get_attr, which refuses
a name outside the installed apps, then falls back to ``eval(method + "(*args, **kwargs)")``: the method
`exec` with one argument, a short bootstrap, is that fallback. The bootstrap reads one JSON line from
standard input, ``{"code": ..., "params": ...}``, and runs the code with ``params`` as a global; the code
prints its answer on one line after RESULT_PREFIX. So the program and its parameters, secrets included,
travel on stdin; the command line shows only the bootstrap. `execute` commits the site's database after
the code has run, and rolls back when it raised.

``params["program"]`` names each program: the sandbox's bench stand-in, which has no frappe, answers by
that name what the program answers on a real bench.
"""

from __future__ import annotations

import json

from ansible_collections.securenexus.provisioning.plugins.module_utils._bench import BenchError

RESULT_PREFIX = "SECURENEXUS-RESULT "
BOOTSTRAP = ("import json, sys; request = json.loads(sys.stdin.readline()); "
             "exec(request['code'], {'__name__': 'securenexus_provisioning', 'params': request['params']})")
# The end of every program: its answer, on one line frappe's own output cannot be mistaken for.
ANSWER = """
import json as _json
print(%r + _json.dumps(result, sort_keys=True, default=str))
""" % RESULT_PREFIX


def argv(site):
    return ["--site", site, "execute", "exec", "--args", repr([BOOTSTRAP])]


def payload(code, params):
    return json.dumps({"code": code + ANSWER, "params": params}, sort_keys=True)


def answer(runner, stdout):
    """The program's answer in bench's output (the last line that carries one)."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    raise BenchError("`%s` printed no answer:\n%s" % (runner.calls[-1], "\n".join(stdout.splitlines()[-12:])))


def read(runner, site, code, params=None):
    """Run a program that changes nothing (also in check mode); return its answer (the global ``result``),
    or None when bench does not know the site."""
    rc, stdout, stderr = runner.read(argv(site), check=False, stdin=[payload(code, params or {})])
    if rc != 0 and "Site %s does not exist" % site in stdout:
        return None
    if rc != 0:
        error = BenchError("", rc=rc, stdout=stdout, stderr=stderr)
        raise BenchError("`%s` failed with exit code %s:\n%s" % (runner.calls[-1], rc, error.tail or "(no output)"))
    return answer(runner, stdout)


def write(runner, site, code, params=None):
    """Run a program that changes the site; its answer, or None in check mode (nothing ran)."""
    done = runner.write(argv(site), stdin=[payload(code, params or {})])
    return None if done is None else answer(runner, done[1])
