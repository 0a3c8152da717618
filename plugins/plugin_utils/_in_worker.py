# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this plugin_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""Run a module's unchanged ``main()`` inside Ansible's worker when it would run on the controller anyway.

The Mailcow modules only talk HTTP, traefik_route writes one file and asks Traefik's API, erpnext_site
runs a few bench commands. As a module process each task costs a Python start and Ansible's module
imports (about half a CPU-second here) for milliseconds of work; a drift check runs hundreds of them.
When the task would start that process on the controller, with the controller's own Python, the
worker Ansible already forked for the task runs the same module instead, as ansible.netcommon does
(``import_modules``): the module's ``main()``, its AnsibleModule (argument validation, no_log masking,
``run_command``, ``exit_json``/``fail_json``) and ansible-core's own AnsiballZ entry point, with the
module arguments Ansible would send and its result parsed as Ansible parses a module's output. Nothing
of AnsibleModule is re-implemented here.

Everything else runs the module as usual: another connection, another interpreter, become, async, a
task ``environment:`` (the module process would get it, the worker's must not change), or the variable
``securenexus_provisioning_in_process`` set to false.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import io
import json
import locale
import os
import shutil
import sys

from ansible import constants as C
from ansible.module_utils import basic
from ansible.module_utils.common.json import Direction, get_module_encoder
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.plugins.action.normal import ActionModule as ModuleAction
from ansible.utils.vars import merge_hash

from ansible_collections.securenexus.provisioning.plugins.module_utils._http import tls_context

try:
    # No public API runs a module in-process. This is the function the AnsiballZ wrapper itself calls in a
    # module process: it feeds the arguments through basic._ANSIBLE_ARGS / _ANSIBLE_PROFILE (what
    # AnsibleModule._load_params reads), runs the module as __main__ and turns an exception into the same
    # failed result. tests/unit/plugins/plugin_utils/test__in_worker.py pins it; an ansible-core without it
    # (or with another signature, which that test catches) runs every module as a module process.
    from ansible.module_utils._internal._ansiballz._loader import run_module as ansiballz_run_module
except ImportError:  # pragma: no cover - ansible-core before 2.20
    ansiballz_run_module = None

IN_WORKER_VAR = "securenexus_provisioning_in_process"
# The profile ansible-core uses for a module that declares no METADATA (module_common._DEFAULT_LEGACY_METADATA):
# none of this collection's modules declares one.
PROFILE = "legacy"
# Resolved here, in the controller's main process (see preload_imports), so that workers inherit the imported
# serialization profiles: the arguments' encoder this plugin uses, the result's encoder exit_json uses.
ARGUMENTS_ENCODER = get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)
get_module_encoder(PROFILE, Direction.MODULE_TO_CONTROLLER)
# Also made here once, for the same reason: the TLS context of an https:// API with the system's CA certificates
# (60 ms to load them) and the one of an http:// API.
tls_context("https://")
tls_context("http://")


def controller_python(interpreter):
    """Whether ``interpreter`` (the task's ansible_python_interpreter) names the Python running Ansible."""
    if not interpreter:
        return False
    path = interpreter if os.path.isabs(interpreter) else shutil.which(interpreter)
    # Not realpath: a virtualenv's python is a symlink to the system one but has other packages.
    return bool(path) and os.path.normpath(path) == os.path.normpath(sys.executable)


@contextlib.contextmanager
def worker_state_kept():
    """Undo what running a module changes process-wide, so that the next loop item, and the worker's own
    result handling, see the worker as it was: environment (AnsibleModule's locale fallback), locale, cwd
    (AnsibleModule moves out of an unreadable one), sys.argv (runpy), stdout (the module prints its result),
    and the arguments AnsibleModule read."""
    environ = dict(os.environ)
    current_locale = locale.setlocale(locale.LC_ALL)
    cwd = os.getcwd()
    argv = list(sys.argv)
    module_args = (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, basic._PARSED_MODULE_ARGS)
    stdout = sys.stdout
    try:
        yield
    finally:
        sys.stdout = stdout
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, basic._PARSED_MODULE_ARGS = module_args
        sys.argv[:] = argv
        os.chdir(cwd)
        locale.setlocale(locale.LC_ALL, current_locale)
        os.environ.clear()
        os.environ.update(environ)


def preload_imports(module_name):
    """Import a module for its imports only, then forget the module itself.

    Ansible's strategy imports an action plugin in the controller's main process before it forks the
    task's workers, so what is imported here is inherited by every worker: without it each worker
    imports ``ansible.module_utils.urls`` (with http.client, email and cryptography) and the collection's
    module_utils afresh, about 0.1 s per task. The module is dropped again so that runpy runs it as
    ``__main__`` each time, as in a module process (runpy warns about a module it finds already imported).
    """
    try:
        importlib.import_module(module_name)
    except Exception:  # pylint: disable=broad-exception-caught  # only a head start: the module run reports its own errors
        return
    sys.modules.pop(module_name, None)


class InWorkerAction(ModuleAction):
    """The action plugin of a module that may run in the worker; the module is the task's own."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        package, dot, name = cls.__module__.rpartition(".plugins.action.")
        if dot and ansiballz_run_module is not None:
            preload_imports("%s.plugins.modules.%s" % (package, name))

    def runs_in_worker(self, task_vars):
        if ansiballz_run_module is None:
            return False
        wanted = boolean(self._templar.template(task_vars.get(IN_WORKER_VAR, True)), strict=False)
        return (wanted and self._connection.transport == "local" and controller_python(self._interpreter(task_vars))
                and not self._play_context.become and not self._task.async_val and not any(self._task.environment or ()))

    def _interpreter(self, task_vars):
        """The Python the module process would get: ansible_python_interpreter, else interpreter_python from the
        configuration, else (auto) what interpreter discovery found for the host, if it ran."""
        interpreter = self._templar.template(C.config.get_config_value("INTERPRETER_PYTHON", variables=task_vars))
        if not interpreter or interpreter.startswith("auto"):
            return task_vars.get("ansible_facts", {}).get("discovered_interpreter_python")
        return interpreter

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        if not self.runs_in_worker(task_vars):
            return super().run(tmp, task_vars)
        result = ActionBase.run(self, tmp, task_vars)
        return merge_hash(result, self._execute_in_worker(task_vars))

    def _execute_in_worker(self, task_vars):
        """What ``_execute_module`` returns, from the module run here instead of in a new process."""
        context = self._shared_loader_obj.module_loader.find_plugin_with_context(
            self._task.action, collection_list=self._task.collections)
        module_args = copy.deepcopy(self._task.args)
        # Under the name the task used, as _execute_module does (AnsibleModule's messages quote it).
        self._update_module_args(self._task.action, module_args, task_vars)
        params = json.dumps({"ANSIBLE_MODULE_ARGS": module_args}, cls=ARGUMENTS_ENCODER).encode()
        output = io.StringIO()
        rc = 0
        with worker_state_kept():
            sys.stdout = output
            try:
                ansiballz_run_module(json_params=params, profile=PROFILE, module_fqn=context.plugin_resolved_name,
                                     modlib_path=os.path.dirname(basic.__file__), extensions={})
            except SystemExit as ended:
                rc = ended.code if isinstance(ended.code, int) else 1
        stdout = output.getvalue()
        parsed = self._parse_returned_data(dict(rc=rc, stdout=stdout, stdout_lines=stdout.splitlines(),
                                                stderr="", stderr_lines=[]), PROFILE)
        parsed.remove_internal_keys()
        return parsed.as_result_dict(for_round_trip=True)
