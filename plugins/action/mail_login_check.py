# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runs mail_login_check's main() in the worker process on a local connection (see plugin_utils/_in_worker.py)."""

from __future__ import annotations

from ansible_collections.securenexus.provisioning.plugins.plugin_utils._in_worker import InWorkerAction


class ActionModule(InWorkerAction):
    pass
