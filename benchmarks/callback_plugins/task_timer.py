# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Benchmark-only callback: wall time per task and per host result, written as JSON.

Enabled by benchmarks/run.py with ANSIBLE_CALLBACKS_ENABLED=task_timer and
BENCH_TASK_TIMES=<file>. Not part of the collection.
"""

from __future__ import annotations

DOCUMENTATION = """
name: task_timer
type: aggregate
short_description: wall time per task (benchmarks only)
description: Writes the wall time of every task and the number of host results to $BENCH_TASK_TIMES.
requirements: [enable in configuration]
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.started = time.perf_counter()
        self.tasks = []
        self.current = None

    def _close(self):
        if self.current:
            self.current["wall_s"] = round(time.perf_counter() - self.current.pop("_start"), 4)
            self.tasks.append(self.current)
            self.current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self.current = {"name": task.get_name(), "action": task.action, "results": 0, "_start": time.perf_counter()}

    def _result(self, result, *args, **kwargs):
        if self.current:
            self.current["results"] += 1

    v2_runner_on_ok = v2_runner_on_skipped = v2_runner_on_failed = _result

    def v2_playbook_on_stats(self, stats):
        self._close()
        path = os.environ.get("BENCH_TASK_TIMES")
        if path:
            with open(path, "w") as handle:
                json.dump({"total_s": round(time.perf_counter() - self.started, 3), "tasks": self.tasks}, handle)
