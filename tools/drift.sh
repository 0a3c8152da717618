#!/usr/bin/env bash
# The CI drift check (make drift; docs/drift-in-ci.md): the provisioning playbook in check mode over
# every client, or those of -e client=a,b / --limit. The callback securenexus.provisioning.drift_report
# judges every client and writes into DRIFT_REPORT_DIR (default reports/drift/):
#   drift.json  the verdict per client and object (schema in docs/drift-in-ci.md)
#   drift.xml   the same as JUnit: one suite per client, one case per object
# Exit status, the worst client wins: 0 every client clean; 2 a client drifted or missing;
# 3 a client in error or unchecked, or the run failed before or outside any client.
# Arguments go to ansible-playbook: -i INVENTORY, -e client=acme, --limit, --tags, --vault-id ...
# DRIFT_PLAYBOOK replaces the playbook (one of your own that runs the role securenexus.provisioning.client).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
report_dir="${DRIFT_REPORT_DIR:-$root/reports/drift}"
mkdir -p "$report_dir"
report="$report_dir/drift.json"
# One run, one report: a CI job must never read an older run's verdict.
rm -f "$report" "$report_dir/drift.xml"

export ANSIBLE_CONFIG="${ANSIBLE_CONFIG:-$root/ansible.cfg}"
# The checkout's own virtualenv (make venv) when there is one, as make targets use it.
if [ -x "$root/.venv/bin/ansible-playbook" ]; then
  export PATH="$root/.venv/bin:$PATH"
fi
export ANSIBLE_CALLBACKS_ENABLED="securenexus.provisioning.drift_report,securenexus.provisioning.progress${ANSIBLE_CALLBACKS_ENABLED:+,$ANSIBLE_CALLBACKS_ENABLED}"
export DRIFT_REPORT_DIR="$report_dir"

# Ctrl-C stops ansible-playbook (a trap, unlike an ignored signal, is not inherited) and still
# reaches the verdict below: the report then says the run did not finish.
trap ':' INT TERM
ansible-playbook "${DRIFT_PLAYBOOK:-securenexus.provisioning.provision_client}" --check --diff "$@"
rc=$?

# The report's exit_code is the verdict. Without a finished report (the playbook did not start: a
# missing vault password file, a syntax error, a wrong option; or it was interrupted) nothing was
# judged: 3, with a report that says why. A playbook that failed while the report finds nothing
# wrong is 3 too: the report cannot vouch for a run it did not fully see.
# The Python that runs ansible-playbook has ansible-core, which the reports' JUnit writer imports.
python=$(sed -n '1s/^#! *//p' "$(command -v ansible-playbook)")
${python:-python3} - "$report" "$rc" "$root/collections" <<'PY'
import json
import os
import sys

path, rc = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, sys.argv[3])
from ansible_collections.securenexus.provisioning.plugins.callback.drift_report import junit

try:
    with open(path) as handle:
        report = json.load(handle)
except (OSError, ValueError):
    report = {"schema_version": 1, "finished": False, "clients": {}, "errors": []}
if not report.get("finished"):
    clients = report.get("clients", {})
    for client in clients.values():
        client.update(status="unchecked", complete=False, reason="the run did not finish")
    report.update(finished=False, status="error" if not clients else "unchecked", exit_code=3)
    report["errors"] = report.get("errors", []) + [{"host": "localhost", "task": "ansible-playbook",
                                                    "error": "ansible-playbook exited %d before the drift check finished" % rc}]
    with open(path, "w") as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
        handle.write("\n")
    with open(os.path.join(os.path.dirname(path), "drift.xml"), "w") as handle:
        handle.write(junit(report))
    print("drift: the check did not finish (ansible-playbook exit %d): exit 3" % rc, file=sys.stderr)
code = report["exit_code"]
if rc != 0 and code == 0:
    print("drift: ansible-playbook exited %d but the report found nothing wrong: exit 3" % rc, file=sys.stderr)
    code = 3
sys.exit(code)
PY
