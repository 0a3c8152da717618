# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this plugin_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""Run a module inside Ansible's worker process when its task runs on the controller anyway.

The Mailcow modules only talk HTTP to the Mailcow API; traefik_route writes one file and asks
Traefik's API; erpnext_site runs one or two cheap bench commands. Started as a module process each
costs a Python interpreter, an AnsiballZ payload and the import of Ansible's module_utils: about half
a CPU-second on a small machine, against milliseconds for the work itself, and a drift check over a
fleet runs hundreds of them. On a ``local`` connection the module would run on the controller
anyway, so its action plugin runs the module's own code (``MODULE.run``, module_utils/_module_spec.py)
in the worker that Ansible already forked for the task: same argument validation, check mode, diff
and result, with no_log values masked the same way; commands run through _run_command.py as
AnsibleModule.run_command would run them. ansible.netcommon runs its network modules in the worker
for the same reason.

Every other case runs the module as usual: another connection (the API must then be reached from
that host, the commands run there), become, async, or the ``securenexus_provisioning_in_process``
variable set to false.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.plugins.action.normal import ActionModule as ModuleAction

from ansible_collections.securenexus.provisioning.plugins.plugin_utils._run_command import run_command

IN_PROCESS_VAR = "securenexus_provisioning_in_process"


@contextmanager
def _environment(values):
    """The task's ``environment:`` as the module would see it (option fallbacks, proxies, commands' environment)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update({name: str(value) for name, value in values.items()})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _inject_invocation(task_vars):
    try:
        return C.config.get_config_value("INJECT_INVOCATION", variables=task_vars)
    except AnsibleError:
        # Before ansible-core 2.21 every module result carried its invocation.
        return True


class InProcessAction(ModuleAction):
    """Subclasses set ``module``: the ``MODULE`` object (a ModuleSpec) of their module file."""

    module = None

    def runs_in_process(self, task_vars):
        wanted = boolean(self._templar.template(task_vars.get(IN_PROCESS_VAR, True)), strict=False)
        return (wanted and self._connection.transport == "local" and not self._play_context.become
                and not self._task.async_val)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        if not self.runs_in_process(task_vars):
            return super().run(tmp, task_vars)
        result = ActionBase.run(self, tmp, task_vars)
        environment = {}
        self._compute_environment_string(environment)
        with _environment(environment):
            result.update(self._execute_in_process(task_vars))
        return result

    def _execute_in_process(self, task_vars):
        validator = ArgumentSpecValidator(self.module.argument_spec, **self.module.validation)
        validation = validator.validate(dict(self._task.args))
        params = validation.validated_parameters
        errors = validation.errors.errors
        if errors:
            msg = validation.errors.msg
            if isinstance(errors[0], UnsupportedError):
                msg = "Unsupported parameters for (%s) module: %s" % (self._task.action, msg)
            outcome = {"failed": True, "msg": msg}
        else:
            outcome = self.module.run(params, bool(self._task.check_mode), bool(self._task.diff), run_command)
        if _inject_invocation(task_vars):
            outcome["invocation"] = {"module_args": params}
        # As AnsibleModule does: mask every no_log value wherever it appears, but keep flags and nulls.
        preserved = {k: v for k, v in outcome.items() if v is None or isinstance(v, bool)}
        outcome = remove_values(outcome, validation._no_log_values)
        outcome.update(preserved)
        return outcome
