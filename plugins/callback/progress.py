# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: progress
type: aggregate
short_description: One plain line per client and step, for CI logs of long runs
version_added: 0.1.0
description:
  - >-
    Prints C(progress: <client>: <step> at +<seconds>s) when a client starts a new step of the role
    C(securenexus.provisioning.client) (Preflight, Credentials, Mailcow, ERPNext, Traefik, Setup sheet, ...),
    and C(progress: <client>: finished|FAILED|STOPPED, changed=<N>, <seconds>s) at the end of the run.
  - >-
    V(STOPPED) is a client that did not fail itself but whose run never reached the role's last task (tagged
    C(client_verdict)): a task run once for every client failed on another one, or C(any_errors_fatal).
    Its changes are not complete.
  - A step is the part of a task name before C( | ), the naming convention of the role's tasks; tasks
    named otherwise print nothing.
  - The lines carry no colour and no task arguments, so they stay readable and free of secrets in CI logs.
  - Enable it with C(callbacks_enabled) in C(ansible.cfg) (this collection's own C(ansible.cfg) does) or
    E(ANSIBLE_CALLBACKS_ENABLED=securenexus.provisioning.progress).
author:
  - SecureNexus engineering (@securenexus)
"""

import time

from ansible.plugins.callback import CallbackBase

STEP_SEPARATOR = " | "
# The role's last task, run for every client whatever the tags: a client that started it was not stopped.
LAST_TASK_TAG = "client_verdict"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "securenexus.provisioning.progress"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None, clock=time.monotonic):
        super().__init__(display=display)
        self._clock = clock
        self._run_started = clock()
        self._step = {}
        self._started = {}
        self._reached_end = set()

    def v2_runner_on_start(self, host, task):
        name = task.get_name().rsplit(" : ", 1)[-1]
        step, separator, _detail = name.partition(STEP_SEPARATOR)
        client = host.get_name()
        if LAST_TASK_TAG in task.tags:
            self._reached_end.add(client)
        if not separator or self._step.get(client) == step:
            return
        self._step[client] = step
        started = self._started.setdefault(client, self._clock())
        self._display.display("progress: %s: %s at +%ds" % (client, step.strip(), self._clock() - started))

    def v2_playbook_on_stats(self, stats):
        now = self._clock()
        for client in sorted(self._started):
            summary = stats.summarize(client)
            if summary["failures"] or summary["unreachable"]:
                outcome = "FAILED"
            else:
                outcome = "finished" if client in self._reached_end else "STOPPED"
            self._display.display("progress: %s: %s, changed=%d, %ds" % (
                client, outcome, summary["changed"], now - self._started[client]))
