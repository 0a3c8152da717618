#!/usr/bin/env bash
# apt-install-without-services.sh UNIT[,UNIT...] PACKAGE... : install Debian packages without letting
# their own system daemons start, and keep the named systemd units disabled. The sandbox runs its own
# servers (named, dovecot) on high ports with private configurations; a system daemon would take the
# standard ports (53, 143/993) for nothing. Runs apt-get as root, or through passwordless sudo.
set -euo pipefail
units=$1
shift
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo -n)
# Debian's maintainer scripts start a service through invoke-rc.d, which asks policy-rc.d first:
# exit 101 means "do not start". An existing policy (container images ship one) is left as it is.
policy=/usr/sbin/policy-rc.d
placed=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# placed by apt-install-without-services.sh while installing %s\nexit 101\n' "$*" \
    | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  placed=true
fi
cleanup() { if $placed; then "${as_root[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" </dev/null >/dev/null
# Under systemd the units may have been enabled (and started, if no policy stopped them): stop them for good.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  IFS=, read -r -a unit_list <<<"$units"
  "${as_root[@]}" systemctl disable --now "${unit_list[@]}" >/dev/null 2>&1 || true
fi
