# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this module_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""A module's options and its work, runnable as a module process or inside Ansible's worker.

A module file defines ``MODULE = ModuleSpec(...)`` and ``main()`` calls ``MODULE.main()``. Its
action plugin (plugin_utils/_in_process.py) calls ``MODULE.run`` directly when the task runs
on the controller anyway, so both ways share the argument spec and produce the same result.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


class ModuleSpec:
    """``execute(params, check_mode, diff)`` returns the result dict: ``failed`` and ``msg`` on failure,
    ``warnings`` as a list of strings.

    A module that runs commands on its host says ``runs_commands=True``: ``execute`` then gets a fourth
    argument, ``run_command``, called as ``AnsibleModule.run_command`` is (list argv, ``cwd``,
    ``before_communicate_callback``, ``handle_exceptions=False``) and returning ``(rc, stdout, stderr)``:
    ``AnsibleModule.run_command`` itself in a module process, plugin_utils/_run_command.py in the worker.
    """

    def __init__(self, argument_spec, execute, runs_commands=False, **validation):
        self.argument_spec = argument_spec
        self.execute = execute
        self.runs_commands = runs_commands
        self.validation = validation

    def run(self, params, check_mode, diff, run_command):
        if self.runs_commands:
            return self.execute(params, check_mode, diff, run_command)
        return self.execute(params, check_mode, diff)

    def main(self):
        module = AnsibleModule(argument_spec=self.argument_spec, supports_check_mode=True, **self.validation)
        result = self.run(module.params, module.check_mode, module._diff, module.run_command)
        for warning in result.pop("warnings", []):
            module.warn(warning)
        if result.pop("failed", False):
            module.fail_json(**result)
        module.exit_json(**result)
