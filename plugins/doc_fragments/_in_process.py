# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this doc fragment may change or disappear in any release.

from __future__ import annotations


class ModuleDocFragment:
    # The modules whose action plugin runs them in the worker on a local connection (plugin_utils/_in_process.py).
    DOCUMENTATION = r"""
options: {}
notes:
  - On a C(local) connection the module's code runs inside the worker process Ansible forks for the task,
    not as a separate module process. Options, check mode, diff and results are the same, without a Python
    start and Ansible's module imports for every task (about half a CPU-second each). On any other
    connection, with C(become) or C(async), or with the variable C(securenexus_provisioning_in_process=false),
    it runs as an ordinary module on the target host.
attributes:
  action:
    description: Runs in the controller's worker process on a C(local) connection (see the notes).
    support: full
"""
