#!/usr/bin/env bash
# ansible-test integration: the erpnext_site scenario playbooks that assert for themselves (the ones
# tests/integration/test_erpnext_site.py runs) against the bench stand-in.
set -eu
source ../setup_bench/bench.sh
bench_playbook lifecycle.yml "$@"
failure_vars=$(python -c 'import json, secrets; print(json.dumps({"erpnext_test_admin_password": "Adm1n-" + secrets.token_urlsafe(18), "erpnext_test_wrong_password": "Wr0ng-" + secrets.token_urlsafe(18)}))')
bench_playbook failures.yml -e "$failure_vars" "$@"
