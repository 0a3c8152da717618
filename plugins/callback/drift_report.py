# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: drift_report
type: aggregate
short_description: JUnit and JSON reports of a drift check, one test case per client and object
version_added: 0.1.0
description:
  - Writes the JUnit report of C(ansible.builtin.junit) and honours all of its C(JUNIT_*) environment variables.
    For a drift check (C(--check --diff)) set C(JUNIT_FAIL_ON_CHANGE=true), so that an object that would
    change is a failed test case, and C(JUNIT_HIDE_TASK_ARGUMENTS=true).
  - Differs from C(ansible.builtin.junit) in three ways. Every item of a loop is a test case of its own,
    named after the item's label, and so is every alias of a C(securenexus.provisioning.mailcow_alias) task
    with O(securenexus.provisioning.mailcow_alias#module:addresses), named after its address. So the aliases
    of a client are one test case each instead of one for the whole task. Tasks that manage no object
    (C(debug), C(assert), C(fail), C(set_fact), C(meta), includes) are test cases only when they fail. The
    failure of a task that would change its object says how
    (V(would create), V(would delete), or V(would update) with each differing value before and after).
  - "Also writes a JSON summary, C({client: {object: {change, before, after, msg}}}), listing only the objects
    that would change or whose check failed, an empty mapping when every client matches its definition."
  - An object is named by its task and, in a loop or a task managing several objects, its item label or
    address. C(before) and C(after) come from the
    task's diff (so run with C(--diff)), in the units the modules use; of two mappings only the keys
    that differ are kept.
  - Results of tasks with C(no_log) are censored before any callback sees them, and the secrets in
    C(securenexus.provisioning.vault_credentials) results are vault-encrypted values that callbacks
    see as V(<redacted>), so neither report can contain their values.
author:
  - SecureNexus engineering (@securenexus)
options:
  json_file:
    description:
      - Path of the JSON summary.
      - When not set, C(drift.json) in the JUnit output directory (C(JUNIT_OUTPUT_DIR)).
    type: path
    env:
      - name: DRIFT_REPORT_JSON
    ini:
      - section: callback_drift_report
        key: json_file
requirements:
  - enable in configuration, for example C(ANSIBLE_CALLBACKS_ENABLED=securenexus.provisioning.drift_report)
seealso:
  - name: ansible.builtin.junit
    description: The JUnit callback this one extends.
    link: https://docs.ansible.com/ansible/latest/collections/ansible/builtin/junit_callback.html
"""

import json
import os
import tempfile

from ansible import constants as C
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.callback.junit import CallbackModule as JunitCallback
from ansible.plugins.callback.junit import HostData
from ansible.utils._junit_xml import TestFailure

# Tasks that check or show something but manage no object of a client.
NON_OBJECT_ACTIONS = frozenset(C._ACTION_DEBUG + C._ACTION_SET_FACT + C._ACTION_META + C._ACTION_ALL_INCLUDES
                               + C._ACTION_INCLUDE_VARS + C._ACTION_FACT_GATHERING
                               + C.add_internal_fqcns(("assert", "fail", "validate_argument_spec")))


# Modules whose task can manage several objects: the result key listing them, and each entry's name.
BATCHES = {"securenexus.provisioning.mailcow_alias": ("aliases", "address")}


class ItemData(HostData):
    """One object of one host (a loop item, or an entry of a batch): a test case of its own."""

    def __init__(self, uuid, name, status, result, label):
        super().__init__(uuid, name, status, result)
        self.label = label


class PartResult:
    """An entry of a batch result, shaped like the task result that junit reads."""

    def __init__(self, result):
        self.result = result
        self.exception = None


def _parts(result):
    """[(name, result)] of each object of a successful batch result; None for every other result."""
    key, label = BATCHES.get(result.task.resolved_action, (None, None))
    entries = result.result.get(key) if key else None
    if not isinstance(entries, list) or result.result.get("failed"):
        return None
    diffs = result.result.get("diff")
    diffs = diffs if isinstance(diffs, list) and len(diffs) == len(entries) else [None] * len(entries)
    parts = []
    for entry, diff in zip(entries, diffs):
        part = {"changed": bool(entry.get("changed")), key: entry}
        if diff is not None:
            part["diff"] = diff
        parts.append((to_text(entry.get(label)), PartResult(part)))
    return parts


def _is_absent(state):
    return not state or (isinstance(state, dict) and state.get("state") == "absent")


def _changes(diff):
    """(change, before, after) of a task's diff; of two mappings only the differing keys."""
    entries = diff if isinstance(diff, list) else [diff]
    entries = [e for e in entries if isinstance(e, dict) and ("before" in e or "after" in e)]
    if not entries:
        # No --diff, or a censored (no_log) result: that it changes is all there is to say.
        return "change", None, None
    if len(entries) > 1:
        return "update", [e.get("before") for e in entries], [e.get("after") for e in entries]
    before, after = entries[0].get("before"), entries[0].get("after")
    if _is_absent(before) and not _is_absent(after):
        return "create", before, after
    if _is_absent(after) and not _is_absent(before):
        return "delete", before, after
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        return "update", {k: before.get(k) for k in keys if k in before}, {k: after.get(k) for k in keys if k in after}
    return "update", before, after


def _entry(res, failed):
    """The JSON summary's entry of a changed or failed result."""
    if failed:
        return {"change": "error", "msg": to_text(res.get("msg", "the check failed"))}
    change, before, after = _changes(res.get("diff"))
    entry = {"change": change, "before": before, "after": after}
    note = res.get("msg") or res.get("censored")
    if note:
        entry["msg"] = to_text(note)
    return entry


def _describe(entry):
    """The JUnit failure message of a drifted object."""
    if entry["change"] == "error":
        return entry.get("msg") or "the check failed"
    text = "would %s" % entry["change"]
    before, after = entry.get("before"), entry.get("after")
    if entry["change"] == "update" and isinstance(before, dict) and isinstance(after, dict):
        text += ": " + "; ".join("%s %s -> %s" % (k, json.dumps(before.get(k)), json.dumps(after.get(k)))
                                 for k in sorted(set(before) | set(after)))
    if entry.get("msg"):
        text += " (%s)" % entry["msg"]
    return text


class CallbackModule(JunitCallback):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "securenexus.provisioning.drift_report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._drift = {}
        # (task, host) -> how many of its objects were seen: item labels need not be unique.
        self._looped = {}

    def _object_name(self, task, label=None):
        name = task.get_name(include_role_fqcn=False).split(" : ", 1)[-1].strip()
        return name if label is None else "%s (%s)" % (name, label)

    def _record(self, status, result, outcome, label=None):
        """Remember a drifted object (changed or failed) of a host for the JSON summary."""
        if status == "failed" or (status == "ok" and outcome.result.get("changed")):
            entry = _entry(outcome.result, status == "failed")
            self._drift.setdefault(result.host.name, {})[self._object_name(result.task, label)] = entry

    def _finish_task(self, status, result):
        # A skipped task (a client without an own domain) has no object to report.
        if status == "skipped" or (result.task.action in NON_OBJECT_ACTIONS and status != "failed"):
            return
        key = (result.task._uuid, result.host._uuid)
        if key in self._looped:
            return  # the loop's summary result: its items are test cases already
        parts = _parts(result)
        if parts is not None:
            for label, part in parts:
                self._finish_object(status, result, part, label)
            return
        if result.task.action not in NON_OBJECT_ACTIONS:
            self._record(status, result, result)
        super()._finish_task(status, result)

    def _finish_item(self, status, result):
        key = (result.task._uuid, result.host._uuid)
        self._looped.setdefault(key, 0)
        if status == "skipped" or (result.task.action in NON_OBJECT_ACTIONS and status != "failed"):
            return
        label = to_text(self._get_item_label(result.result))
        for part_label, part in _parts(result) or [(None, result)]:
            self._finish_object(status, result, part, label if part_label is None else part_label)

    def _finish_object(self, status, result, outcome, label):
        """One test case for one object of a task: a loop item, or an entry of a batch result."""
        task = result.task
        key = (task._uuid, result.host._uuid)
        self._looped[key] = number = self._looped.get(key, 0) + 1
        if task.action not in NON_OBJECT_ACTIONS:
            self._record(status, result, outcome, label)
        if self._fail_on_change == "true" and status == "ok" and outcome.result.get("changed", False):
            status = "failed"
        task_data = self._task_data[task._uuid]
        if task_data.name.startswith(self._test_case_prefix) or status == "failed":
            task_data.add_host(ItemData("%s:%d" % (result.host._uuid, number), result.host.name, status, outcome, label))

    def _build_test_case(self, task_data, host_data):
        case = super()._build_test_case(task_data, host_data)
        label = getattr(host_data, "label", None)
        if label is not None:
            case.name = "%s (%s)" % (case.name, label)
        result = getattr(host_data.result, "result", None)
        if host_data.status == "failed" and result and result.get("changed") and not result.get("failed"):
            entry = _entry(result, False)
            case.failures = [TestFailure(message=_describe(entry),
                                         output=json.dumps({"before": entry["before"], "after": entry["after"]},
                                                           indent=2, sort_keys=True, default=str))]
        return case

    def v2_playbook_on_include(self, included_file):
        pass  # includes manage nothing: not test cases

    def v2_runner_item_on_ok(self, result):
        self._finish_item("ok", result)

    def v2_runner_item_on_failed(self, result):
        self._finish_item("failed", result)

    def v2_runner_item_on_skipped(self, result):
        self._finish_item("skipped", result)

    def v2_playbook_on_stats(self, stats):
        super().v2_playbook_on_stats(stats)
        path = self.get_option("json_file") or os.path.join(self._output_dir, "drift.json")
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".drift-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "w") as handle:
            json.dump(self._drift, handle, indent=2, sort_keys=True, default=str)
            handle.write("\n")
        os.chmod(temp, 0o644)
        os.replace(temp, path)
