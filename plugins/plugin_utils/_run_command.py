# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this plugin_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""``AnsibleModule.run_command`` for module code that runs in Ansible's worker (see _in_process.py).

A module process runs its commands through ``AnsibleModule.run_command``; in the worker there is no
AnsibleModule, so this runs a list argv the way that method does with the arguments the collection's
modules pass, and the command sees the same and returns the same:

- no shell; ``~`` and ``$VAR`` in each argument expanded from the environment unless
  ``expand_user_and_vars`` is false, as run_command does;
- ``cwd`` made absolute, and ignored when it is not a directory (``ignore_invalid_cwd``);
- the process's environment, which holds the task's ``environment:`` while the module runs; where
  that names a locale this host lacks, AnsibleModule sets LANG, LC_ALL and LC_MESSAGES to the first
  of its preferred locales that exists, and so does this;
- stdin: a module process hands the command its own stdin, a pipe Ansible has closed; here /dev/null,
  both an immediate end of file, never the controller's terminal. File descriptors closed;
- output decoded as UTF-8 with ``surrogate_or_strict`` (bytes that are not UTF-8 become lone surrogates);
- an OSError from starting the command (a missing executable) raised, as with ``handle_exceptions=False``;
  there is no module to fail here, so that is the only way;
- reading stops once the command has ended and its pipes are at end of file, or one to two seconds after
  it ended: a process it left behind holding them open cannot keep the worker waiting (run_command gives
  up on them after a second without output).
"""

from __future__ import annotations

import locale
import os
import subprocess

from ansible.module_utils.common.text.converters import to_text

# The order of ansible.module_utils.common.locale.get_best_parsable_locale, which AnsibleModule uses.
PREFERRED_LOCALES = ("C.utf8", "C.UTF-8", "en_US.utf8", "en_US.UTF-8", "C", "POSIX")
# Reading checks this often whether the command has ended; the check after that stops it.
POLL_SECONDS = 1


def _usable_locale(name):
    try:
        locale.setlocale(locale.LC_ALL, name)
    except locale.Error:
        return False
    return True


def command_environment():
    """os.environ, with AnsibleModule's locale fallback when it names a locale this host lacks."""
    env = os.environ.copy()
    current = locale.setlocale(locale.LC_ALL)
    try:
        if not _usable_locale(""):
            fallback = next((name for name in PREFERRED_LOCALES if _usable_locale(name)), "C")
            env.update(LANG=fallback, LC_ALL=fallback, LC_MESSAGES=fallback)
    finally:
        locale.setlocale(locale.LC_ALL, current)
    return env


def run_command(args, cwd=None, before_communicate_callback=None, handle_exceptions=False, expand_user_and_vars=True):
    """Run the list ``args``; return ``(rc, stdout, stderr)`` as text. ``handle_exceptions`` is accepted
    for the signature's sake: exceptions always reach the caller."""
    argv = [os.path.expanduser(os.path.expandvars(arg)) for arg in args] if expand_user_and_vars else list(args)
    if cwd:
        cwd = os.path.abspath(os.path.expanduser(cwd))
        if not os.path.isdir(cwd):
            cwd = None
    process = subprocess.Popen(argv, cwd=cwd, env=command_environment(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, close_fds=True)
    with process:
        if before_communicate_callback:
            before_communicate_callback(process)
        ended = False
        while True:
            try:
                stdout, stderr = process.communicate(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired as pending:
                if ended:
                    stdout, stderr = pending.stdout or b"", pending.stderr or b""
                    break
                ended = process.poll() is not None
    return (process.returncode, to_text(stdout, errors="surrogate_or_strict"),
            to_text(stderr, errors="surrogate_or_strict"))
