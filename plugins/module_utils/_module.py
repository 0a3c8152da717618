# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this module_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""The end of a module whose work returns its result as a dict, for modules not built on the Mailcow core."""

from __future__ import annotations


def finish(module, result):
    """Exit with ``result``: ``failed`` (with ``msg``) fails the task, ``warnings`` (a list of strings) become
    Ansible's warnings, every other key is returned."""
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
