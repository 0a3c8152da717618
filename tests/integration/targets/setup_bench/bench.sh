# shellcheck shell=bash
# Sourced by the runme.sh of targets that run bench (aliases: needs/target/setup_bench): a fresh
# bench directory of the bench stand-in (sandbox/bench_standin.py, the one tests/integration uses)
# for the rest of the script, removed on exit. bench_playbook PLAYBOOK [ARGS...] runs a scenario
# with the extra variables the erpnext_site scenarios read (bench_dir, bench_command, db_root_password).
# The scenario playbooks run on the implicit localhost (its Python is ansible-playbook's own).
export ANSIBLE_LOCALHOST_WARNING=false
source ../setup_background/background.sh
collection_root=${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/securenexus/provisioning
bench_dir=$(mktemp -d)
background_dirs+=("$bench_dir")
bench_vars=$(cd "$collection_root" && python -c '
import json, sys
from sandbox.bench_standin import SANDBOX_DB_ROOT_PASSWORD, init_bench
init_bench(sys.argv[1])
print(json.dumps({"bench_dir": sys.argv[1], "bench_command": [sys.argv[2]], "db_root_password": SANDBOX_DB_ROOT_PASSWORD}))
' "$bench_dir" "$collection_root/sandbox/bin/bench")

bench_playbook() {
  ansible-playbook "$1" -e "$bench_vars" "${@:2}"
}
