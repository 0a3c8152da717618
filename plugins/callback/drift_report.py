# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: drift_report
type: aggregate
short_description: The drift verdict of every client, as a JSON report, a JUnit report and an exit status
version_added: 0.1.0
description:
  - The one place where a drift check (C(--check --diff) of the role C(securenexus.provisioning.client)) is judged.
    It sees every task result of every host, including failures, unreachable hosts and hosts the run never
    reached, and makes from them one result per client and object. The JSON report, the JUnit report, the
    summary printed at the end of the run and the exit status (the report's C(exit_code), which
    C(tools/drift.sh) exits with) all come from that one result.
  - "A client's status is the worst of: V(error) (a task failed for it or it was unreachable; the error text
    is kept), V(unchecked) (the run never reached the role's last task for it: C(any_errors_fatal), an
    interruption, a shared task run once for all clients that failed on another client, C(--start-at-task)
    past it), V(missing) (none of its objects exists: never provisioned), V(drifted) (an object differs),
    V(clean)."
  - "Exit status: V(0) every client clean; V(2) a client drifted or missing; V(3) a client in error or
    unchecked, a failure outside any client, or no client checked at all. The worst wins."
  - "The clients of the run are the hosts of every play that runs the role (after C(--limit) and
    C(-e client=...)), so a client the run never reached is still in the report."
  - The report is written when the play starts (every client V(unchecked)), so an interrupted run leaves
    a report that says so, and again at the end of the run.
  - A run with C(--tags), C(--skip-tags) or C(--start-at-task) checks part of each client. Its scope is in the
    report (C(scope.complete) is V(false)), and no client is reported as V(clean) without it.
  - An object is a task of the role that manages one (any task but C(debug), C(assert), C(set_fact), C(meta),
    includes), named after the variable the role registers its result in (C(__client_mailbox) is
    V(mailbox)). Every alias of a C(securenexus.provisioning.mailcow_alias) task is an object of its own
    (V(aliases/support@acmecorp.com)), and so is every item of a loop.
  - Results of tasks with C(no_log) are censored before any callback sees them, and the secrets in
    C(securenexus.provisioning.vault_credentials) results are vault-encrypted values that callbacks
    see as V(<redacted>), so neither report can contain their values.
  - The schema of C(drift.json) is documented in C(docs/drift-in-ci.md) of the collection.
author:
  - SecureNexus engineering (@securenexus)
options:
  report_dir:
    description:
      - Directory of the reports C(drift.json) and C(drift.xml) (JUnit).
    type: path
    default: reports/drift
    env:
      - name: DRIFT_REPORT_DIR
    ini:
      - section: callback_drift_report
        key: report_dir
requirements:
  - enable in configuration, for example C(ANSIBLE_CALLBACKS_ENABLED=securenexus.provisioning.drift_report)
"""

import difflib
import json
import os
import tempfile
import xml.etree.ElementTree as ET

from ansible import constants as C
from ansible import context
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.callback import CallbackBase

SCHEMA_VERSION = 1
ROLE = "securenexus.provisioning.client"
# The role's last task for every client and state, whatever the tags: a client whose run reached it
# has had every object the run selects checked.
VERDICT_TAG = "client_verdict"
REGISTER_PREFIX = "__client_"

# Tasks that check or show something but manage no object of a client.
NON_OBJECT_ACTIONS = frozenset(C._ACTION_DEBUG + C._ACTION_SET_FACT + C._ACTION_META + C._ACTION_ALL_INCLUDES
                               + C._ACTION_INCLUDE_VARS + C._ACTION_FACT_GATHERING
                               + C.add_internal_fqcns(("assert", "fail", "validate_argument_spec")))

READ_ONLY_SUFFIXES = ("_info", ".client_preflight", "client_preflight")

# Objects that Mailcow makes together with another: missing when that one is (a check of a new domain
# predicts its DKIM key, which needs no write of its own).
MADE_WITH = {"dkim": "domain"}

# Modules whose task can manage several objects: the result key listing them, and each entry's name.
BATCHES = {"securenexus.provisioning.mailcow_alias": ("aliases", "address")}

# Worst last: a client's status is the worst of its objects', a run's the worst of its clients'.
CLIENT_STATUSES = ("clean", "drifted", "missing", "unchecked", "error")
MISSING_REASON = "never provisioned: none of its objects exists"
EXIT_CODES = {"clean": 0, "drifted": 2, "missing": 2, "unchecked": 3, "error": 3}


def _is_absent(state):
    return not state or (isinstance(state, dict) and state.get("state") == "absent")


def _unified(before, after):
    lines = difflib.unified_diff(to_text(before).splitlines(), to_text(after).splitlines(),
                                 "before", "after", lineterm="")
    return "\n".join(lines) + "\n"


def _changes(diff):
    """The JSON entry's change fields of a task's diff: of two mappings only what differs, texts as a line diff."""
    entries = diff if isinstance(diff, list) else [diff]
    entries = [e for e in entries if isinstance(e, dict) and ("before" in e or "after" in e)]
    if not entries:
        # No --diff, or a censored (no_log) result: that it changes is all there is to say.
        return {"change": "change"}
    if len(entries) > 1:
        return {"change": "update", "before": [e.get("before") for e in entries],
                "after": [e.get("after") for e in entries]}
    before, after = entries[0].get("before"), entries[0].get("after")
    if _is_absent(before) and not _is_absent(after):
        change = "create"
    elif _is_absent(after) and not _is_absent(before):
        change = "delete"
    else:
        change = "update"
    if isinstance(before, str) and isinstance(after, str):
        return {"change": change, "diff": _unified(before, after)}
    if isinstance(before, dict) and isinstance(after, dict):
        if change == "create":
            # What is not known before the object exists (an id Mailcow assigns) says nothing.
            return {"change": change, "after": {k: v for k, v in after.items() if v is not None}}
        keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        return {"change": change, "before": {k: before[k] for k in keys if k in before},
                "after": {k: after[k] for k in keys if k in after}}
    return {"change": change, "before": before, "after": after}


def _parts(result):
    """[(name, result dict)] of each object of a successful batch result; None for every other result."""
    key, label = BATCHES.get(result.task.resolved_action, (None, None))
    entries = result.result.get(key) if key else None
    if not isinstance(entries, list) or result.result.get("failed"):
        return None
    diffs = result.result.get("diff")
    diffs = diffs if isinstance(diffs, list) and len(diffs) == len(entries) else [None] * len(entries)
    parts = []
    for entry, diff in zip(entries, diffs):
        part = {"changed": bool(entry.get("changed"))}
        if diff is not None:
            part["diff"] = diff
        parts.append((to_text(entry.get(label)), part))
    return parts


def _task_name(task):
    """The task's name without its role's."""
    return task.get_name(include_role_fqcn=False).split(" : ", 1)[-1].strip()


def _error_text(res):
    """The error of a failed or unreachable result, without the traceback (which -vvv shows)."""
    msg = res.get("msg")
    if not msg and res.get("exception"):
        msg = to_text(res["exception"]).strip().splitlines()[-1]
    return to_text(msg or "the task failed without a message")


def object_entry(res, status):
    """The report's entry of one object: its status and, when it differs, how."""
    if status == "failed":
        return {"status": "error", "error": _error_text(res)}
    if not res.get("changed"):
        return {"status": "clean"}
    entry = _changes(res.get("diff"))
    entry["status"] = "missing" if entry["change"] == "create" else "drifted"
    note = res.get("msg") or res.get("censored")
    if note:
        entry["msg"] = to_text(note)
    return entry


def describe(entry):
    """One line saying how an object differs (the JUnit failure message, the console summary)."""
    if entry["status"] == "error":
        return entry["error"]
    text = "would %s" % entry["change"]
    before, after = entry.get("before"), entry.get("after")
    if entry["change"] == "update" and isinstance(before, dict) and isinstance(after, dict):
        text += ": " + "; ".join("%s %s -> %s" % (k, json.dumps(before.get(k), default=str),
                                                  json.dumps(after.get(k), default=str))
                                 for k in sorted(set(before) | set(after)))
    if entry.get("msg"):
        text += " (%s)" % entry["msg"]
    return text


def client_status(client):
    """The status of one client of the report (see DOCUMENTATION); a failed object task set its error."""
    if client["error"]:
        return "error"
    if not client["reached_end"]:
        return "unchecked"
    objects = client["objects"]
    own = [(name, o) for name, o in objects.items() if not o.get("shared")]
    statuses = {o["status"] for o in objects.values()}

    def made_missing(name):
        return objects.get(MADE_WITH.get(name), {}).get("status") == "missing"

    # Nothing of the client exists: everything it owns would be created (a censored change cannot say
    # whether it creates, so it does not contradict it).
    if any(o["status"] == "missing" for name, o in own) and all(
            o["status"] == "missing" or o.get("change") == "change" or made_missing(name) for name, o in own):
        return "missing"
    if statuses - {"clean"}:
        return "drifted"
    return "clean"


def verdict(clients, run_errors):
    """(status, exit code) of the whole run: the worst wins."""
    statuses = [c["status"] for c in clients.values()]
    if run_errors:
        statuses.append("error")
    if not clients:
        statuses.append("unchecked")
    worst = max(statuses, key=CLIENT_STATUSES.index) if statuses else "unchecked"
    return worst, EXIT_CODES[worst]


def junit(report):
    """The JUnit document: one suite per client, one case per object (a missing client is one case)."""
    suites = ET.Element("testsuites", name="drift")
    for name, client in sorted(report["clients"].items()):
        suite = ET.SubElement(suites, "testsuite", name=name)
        cases = []
        if client["status"] in ("error", "unchecked", "missing"):
            cases.append(("client", client["status"], client.get("error") or client.get("reason"), None))
        if client["status"] != "missing":
            for object_name, entry in sorted(client["objects"].items()):
                detail = entry.get("diff") or (json.dumps({"before": entry.get("before"), "after": entry.get("after")},
                                                          indent=2, sort_keys=True, default=str)
                                               if entry["status"] in ("drifted", "missing") else None)
                message = describe(entry) if entry["status"] != "clean" else None
                cases.append((object_name, entry["status"], message, detail))
        failures = errors = 0
        for case_name, status, message, detail in cases:
            case = ET.SubElement(suite, "testcase", classname=name, name=case_name)
            if status in ("drifted", "missing"):
                failures += 1
                element = ET.SubElement(case, "failure", message=to_text(message), type=status)
            elif status in ("error", "unchecked"):
                errors += 1
                element = ET.SubElement(case, "error", message=to_text(message), type=status)
            else:
                continue
            element.text = detail or message
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
    for error in report["errors"]:
        suite = ET.SubElement(suites, "testsuite", name=error["host"], tests="1", failures="0", errors="1")
        case = ET.SubElement(suite, "testcase", classname=error["host"], name=error["task"])
        ET.SubElement(case, "error", message=error["error"], type="error").text = error["error"]
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _write(path, text):
    """Replace path atomically: a CI job never reads half a report."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".drift-", suffix=".tmp", dir=directory)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(temp, 0o644)
    os.replace(temp, path)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "securenexus.provisioning.drift_report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._clients = {}
        self._errors = []
        self._playbook = None
        # (task, host) of loops whose items were reported one by one: the loop's own result repeats them.
        self._looped = set()

    # -- what the run is ----------------------------------------------------------------------------

    def _scope(self):
        tags = sorted(context.CLIARGS.get("tags") or ["all"])
        skip_tags = sorted(context.CLIARGS.get("skip_tags") or [])
        start_at_task = context.CLIARGS.get("start_at_task")
        return {"complete": tags == ["all"] and not skip_tags and not start_at_task,
                "tags": tags, "skip_tags": skip_tags, "start_at_task": start_at_task,
                "limit": context.CLIARGS.get("subset")}

    def v2_playbook_on_start(self, playbook):
        self._playbook = os.path.basename(to_text(playbook._file_name))

    def v2_playbook_on_play_start(self, play):
        if not any(role.get_name() == ROLE for role in play.get_roles()):
            return
        # Every host of the play after --limit, in all its serial batches: a client the run never
        # reaches is reported too.
        hosts = play.get_variable_manager().get_vars(play=play)["ansible_play_hosts_all"]
        for host in hosts:
            self._client(host)
        self._write_reports(final=False)

    def _client(self, host):
        return self._clients.setdefault(host, {"objects": {}, "error": None, "reached_end": False})

    # -- task results ---------------------------------------------------------------------------------

    def _object_name(self, task, label=None):
        # ansible-core 2.19+ keeps register as {name: expression}; earlier releases as the name.
        register = task.register or ""
        register = next(iter(register), "") if isinstance(register, dict) else register
        if register.startswith(REGISTER_PREFIX):
            name = register[len(REGISTER_PREFIX):]
            name = name[:-len("_result")] if name.endswith("_result") else name
        else:
            name = _task_name(task)
        return name if label is None else "%s/%s" % (name, label)

    def _fail_run(self, result, text):
        self._errors.append({"host": result.host.name, "task": _task_name(result.task),
                             "error": text})

    def _record(self, result, status, res, label=None):
        host = result.host.name
        task = result.task
        if host not in self._clients:
            if status in ("failed", "unreachable"):
                self._fail_run(result, _error_text(res))
            return
        client = self._clients[host]
        if VERDICT_TAG in task.tags:
            client["reached_end"] = True
            # With client_fail_on_drift the role fails the client on drift: the objects already say so.
            return
        if status == "unreachable":
            client["error"] = client["error"] or "%s: host unreachable: %s" % (_task_name(task), _error_text(res))
            return
        if status == "skipped":
            return
        if status == "failed" and not client["error"]:
            client["error"] = "%s: %s" % (_task_name(task), _error_text(res))
        # Reads (the _info modules, the preflight) check something but manage no object of the client.
        if task.action not in NON_OBJECT_ACTIONS and not task.action.endswith(READ_ONLY_SUFFIXES):
            entry = object_entry(res, status)
            entry["task"] = _task_name(task)
            if task.run_once:
                entry["shared"] = True
            client["objects"][self._object_name(task, label)] = entry

    def _on_result(self, result, status):
        if (result.task._uuid, result.host._uuid) in self._looped:
            return
        parts = _parts(result) if status == "ok" else None
        if parts is None:
            self._record(result, status, result.result)
        for label, part in parts or ():
            self._record(result, status, part, label)

    def _on_item(self, result, status):
        self._looped.add((result.task._uuid, result.host._uuid))
        label = to_text(self._get_item_label(result.result))
        parts = _parts(result) if status == "ok" else None
        if parts is None:
            self._record(result, status, result.result, label)
        for part_label, part in parts or ():
            self._record(result, status, part, part_label)

    def v2_runner_on_ok(self, result):
        self._on_result(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._on_result(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._on_result(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._on_result(result, "unreachable")

    def v2_runner_item_on_ok(self, result):
        self._on_item(result, "ok")

    def v2_runner_item_on_failed(self, result):
        self._on_item(result, "failed")

    def v2_runner_item_on_skipped(self, result):
        self._on_item(result, "skipped")

    # -- the verdict ------------------------------------------------------------------------------------

    def report(self, final=True):
        """The drift.json document (docs/drift-in-ci.md)."""
        scope = self._scope()
        clients = {}
        for name, client in sorted(self._clients.items()):
            status = client_status(client) if final else "unchecked"
            entry = {"status": status, "complete": scope["complete"] and status != "unchecked",
                     "objects": client["objects"]}
            if status == "error":
                entry["error"] = client["error"]
            elif status == "missing":
                entry["reason"] = MISSING_REASON
            elif status == "unchecked":
                entry["reason"] = ("the run has not finished" if not final
                                   else "the run never reached the end of this client's check" + self._first_error())
            clients[name] = entry
        status, exit_code = verdict(clients, self._errors)
        if not final:
            status, exit_code = "unchecked", EXIT_CODES["unchecked"]
        return {"schema_version": SCHEMA_VERSION, "playbook": self._playbook, "finished": final,
                "check_mode": bool(context.CLIARGS.get("check")), "scope": scope, "status": status,
                "exit_code": exit_code, "errors": list(self._errors), "clients": clients}

    def _first_error(self):
        """What stopped the run, for the clients it never reached (the error text is the failed client's)."""
        for error in self._errors:
            return " (%s failed on %s)" % (error["task"], error["host"])
        for name, client in sorted(self._clients.items()):
            if client["error"]:
                return " (%s failed on %s)" % (client["error"].split(": ", 1)[0], name)
        return ""

    def _write_reports(self, final):
        directory = self.get_option("report_dir")
        report = self.report(final)
        _write(os.path.join(directory, "drift.json"), json.dumps(report, indent=2, sort_keys=True, default=str) + "\n")
        _write(os.path.join(directory, "drift.xml"), junit(report))
        return report

    def v2_playbook_on_stats(self, stats):
        report = self._write_reports(final=True)
        scope = report["scope"]
        heading = "DRIFT VERDICT (check mode: nothing was changed)" if report["check_mode"] else "DRIFT VERDICT"
        self._display.banner(heading)
        if not scope["complete"]:
            self._display.display("partial check (tags %s, skip-tags %s, start at task %s): no client is reported "
                                  "clean" % (",".join(scope["tags"]), ",".join(scope["skip_tags"]) or "-",
                                             scope["start_at_task"] or "-"))
        width = max([len(name) for name in report["clients"]] + [6])
        for name, client in report["clients"].items():
            status = client["status"] if client["complete"] or client["status"] != "clean" else "clean (partial)"
            detail = client.get("error") or client.get("reason") or ""
            if client["status"] == "drifted":
                detail = "; ".join("%s: %s" % (o, describe(e)) for o, e in sorted(client["objects"].items())
                                   if e["status"] != "clean")
            self._display.display("%-*s  %-16s %s" % (width, name, status, detail))
        for error in report["errors"]:
            self._display.display("%-*s  %-16s %s: %s" % (width, error["host"], "error", error["task"], error["error"]))
        self._display.display("verdict: %s (exit %d); reports in %s"
                              % (report["status"], report["exit_code"], self.get_option("report_dir")))
