# shellcheck shell=bash
# Sourced by the other setup_* scripts (their targets' aliases also name needs/target/setup_background):
# stand-ins started in the background and scratch directories, all removed when the runme.sh exits.
background_pids=()
background_dirs=()
stop_background() {
  local pid
  for pid in "${background_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    # A stand-in ends by SIGTERM (status 143): that is not the script's status.
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "${background_dirs[@]}"
}
trap stop_background EXIT

# wait_for_url PID LOG URL [HEADER]: until URL answers; fails with the stand-in's LOG if PID has died.
wait_for_url() {
  until python -c 'import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1], headers=dict([sys.argv[2].split(": ", 1)] if sys.argv[2:] else [])), timeout=2)' "${@:3}" 2>/dev/null; do
    kill -0 "$1" 2>/dev/null || { cat "$2"; exit 1; }
    sleep 0.1
  done
}
