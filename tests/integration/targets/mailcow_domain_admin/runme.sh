#!/usr/bin/env bash
# ansible-test integration: the scenario playbook of this target that the pytest driver
# tests/integration/test_mailcow_modules.py runs too, against the Mailcow emulator.
set -eu
source ../setup_mailcow/mailcow.sh
mailcow_playbook lifecycle.yml "$@"
