#!/usr/bin/env bash
# The CI drift check (make drift; docs/drift-in-ci.md): the provisioning playbook in check mode over
# every client, or those of -e client=a,b. Writes into DRIFT_REPORT_DIR (default reports/drift/):
#   provision_client-<timestamp>.xml  JUnit, one test case per client and object, failed = drifted
#   drift.json                        {client: {object: {change, before, after, msg}}}, {} = no drift
# Exits 0 when every client matches its definition, non-zero otherwise (2: drift or a failed check,
# 4: a host unreachable). Arguments go to ansible-playbook: -i INVENTORY, -e client=acme, --vault-id ...
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
report_dir="${DRIFT_REPORT_DIR:-$root/reports/drift}"
mkdir -p "$report_dir"
# One run, one report: a CI job publishing *.xml must not pick up an older run's.
rm -f "$report_dir"/provision_client-*.xml "$report_dir/drift.json"

export ANSIBLE_CONFIG="${ANSIBLE_CONFIG:-$root/ansible.cfg}"
# The checkout's own virtualenv (make venv) when there is one, as make targets use it.
if [ -x "$root/.venv/bin/ansible-playbook" ]; then
  export PATH="$root/.venv/bin:$PATH"
fi
export ANSIBLE_CALLBACKS_ENABLED="securenexus.provisioning.drift_report,securenexus.provisioning.progress${ANSIBLE_CALLBACKS_ENABLED:+,$ANSIBLE_CALLBACKS_ENABLED}"
export JUNIT_OUTPUT_DIR="$report_dir"
export JUNIT_FAIL_ON_CHANGE=true
export JUNIT_HIDE_TASK_ARGUMENTS=true
export JUNIT_INCLUDE_SETUP_TASKS_IN_REPORT=false
export JUNIT_TASK_CLASS=true
export DRIFT_REPORT_JSON="$report_dir/drift.json"

exec ansible-playbook securenexus.provisioning.provision_client --check --diff -e client_fail_on_drift=true "$@"
