# shellcheck shell=bash
# Sourced by the runme.sh of targets that talk to Mailcow (aliases: needs/target/setup_mailcow).
# Starts the Mailcow emulator on a free port for the rest of the script and stops it on exit;
# exports what the scenario playbooks read (MAILCOW_API_URL, MAILCOW_API_KEY) and defines
# mailcow_playbook PLAYBOOK [ARGS...], which adds the extra variables naming the emulator's control
# endpoint, unique test objects and test passwords.
# The emulator is the checkout's sandbox/ (the same one tests/conftest.py starts), found through
# the collection root that ansible-test puts on ANSIBLE_COLLECTIONS_PATH.
# The scenario playbooks run on the implicit localhost (its Python is ansible-playbook's own).
export ANSIBLE_LOCALHOST_WARNING=false
source ../setup_background/background.sh
collection_root=${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/securenexus/provisioning
mailcow_dir=$(mktemp -d)
mailcow_port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export MAILCOW_API_URL=http://127.0.0.1:$mailcow_port
# A test-only key of the emulator, as in tests/conftest.py; never a real one.
export MAILCOW_API_KEY=TESTKEY-RW-0000-0000-000000000001
(cd "$collection_root" && exec python -m sandbox.mailcow_api --listen "127.0.0.1:$mailcow_port" \
  --state "$mailcow_dir/state.sqlite" --api-key "$MAILCOW_API_KEY" \
  --read-only-key TESTKEY-RO-0000-0000-000000000002) >"$mailcow_dir/emulator.log" 2>&1 &
background_pids+=($!)
background_dirs+=("$mailcow_dir")
wait_for_url $! "$mailcow_dir/emulator.log" "$MAILCOW_API_URL/api/v1/get/domain/all" "X-API-Key: $MAILCOW_API_KEY"
# Long random passwords, so that a leak would be unambiguous (as the pytest driver does).
mailcow_vars=$(python -c '
import json, secrets, sys, uuid
print(json.dumps({"mailcow_control_url": sys.argv[1], "mailcow_test_suffix": uuid.uuid4().hex[:10],
                  "mailcow_test_password": "It1-" + secrets.token_urlsafe(24),
                  "mailcow_test_new_password": "It2-" + secrets.token_urlsafe(24),
                  "mailcow_test_app_password": "It3-" + secrets.token_urlsafe(24),
                  "mailcow_test_admin_password": "It4-" + secrets.token_urlsafe(24)}))' "$MAILCOW_API_URL")

mailcow_playbook() {
  ansible-playbook "$1" -e "$mailcow_vars" "${@:2}"
}
