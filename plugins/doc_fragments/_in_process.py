# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this doc fragment may change or disappear in any release.

from __future__ import annotations


class ModuleDocFragment:
    # The modules whose action plugin runs them in the worker when they would run on the controller anyway
    # (plugin_utils/_in_worker.py).
    DOCUMENTATION = r"""
options: {}
notes:
  - On a C(local) connection whose Python is the controller's own (C(ansible_python_interpreter) set to
    C({{ ansible_playbook_python }}), as on the implicit C(localhost)), the unchanged module runs inside the
    worker process Ansible forks for the task instead of in a new module process, as ansible.netcommon's
    C(import_modules) does. Options, check mode, diff, results, errors and no_log masking are the module's own,
    without a Python start and Ansible's module imports for every task (about half a CPU-second each).
  - With another connection or interpreter, C(become), C(async), a task C(environment), or the variable
    C(securenexus_provisioning_in_process=false), it runs as an ordinary module process.
attributes:
  action:
    description: Runs in the controller's worker process on a C(local) connection with the controller's Python (see the notes).
    support: full
"""
