# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this doc fragment may change or disappear in any release.

from __future__ import annotations


class ModuleDocFragment:
    # The modules that drive a Frappe bench through plugins/module_utils/_bench.py.
    DOCUMENTATION = r"""
options:
  bench_path:
    description:
      - The bench directory; bench runs with it as working directory.
      - When it does not exist on the target (bench runs in a container through O(bench_command)),
        the command runs from the current directory and the container's own working directory applies.
    type: path
    default: /home/frappe/frappe-bench
  bench_command:
    description:
      - The command that runs bench, as a list (no shell), followed by the bench arguments.
      - For frappe_docker, for example V([docker, compose, -f, /srv/erpnext/compose.yml, exec, -T, backend, bench]).
    type: list
    elements: str
    default: [bench]
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
"""
