#!/usr/bin/env bash
# ansible-test integration: tasks/main.yml against a real Traefik (setup_traefik). route.yml and
# role_task.yml stay with tests/integration/test_traefik_route.py, which drives them with files.
set -eu
source ../setup_traefik/traefik.sh
traefik_playbook runme.yml "$@"
