#!/usr/bin/env bash
# Install BIND 9 (named, and dig/nsupdate for the docs' checks) from Debian's packages when missing,
# without letting the package's own system daemon start: the sandbox runs its own named on a high
# port with its own configuration (.sandbox/dns), and a system named would take port 53 for nothing.
#
# Needs root (or passwordless sudo) only when something is missing. Without root, run as root once:
#   apt-get install bind9 bind9-dnsutils && systemctl disable --now named
set -euo pipefail
if command -v named >/dev/null 2>&1 || [ -x /usr/sbin/named ]; then
  if command -v dig >/dev/null 2>&1; then exit 0; fi
fi
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo -n)
echo "ensure-bind9: installing bind9 and bind9-dnsutils (Debian packages)" >&2
# Debian's maintainer scripts start a service through invoke-rc.d, which asks policy-rc.d first:
# exit 101 means "do not start". An existing policy (container images ship one) is left as it is.
policy=/usr/sbin/policy-rc.d
placed=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# placed by ensure-bind9.sh while installing bind9\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  placed=true
fi
cleanup() { if $placed; then "${as_root[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  bind9 bind9-dnsutils </dev/null >/dev/null
# Under systemd the unit may have been enabled (and started, if no policy stopped it): stop it for good.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  "${as_root[@]}" systemctl disable --now named >/dev/null 2>&1 || true
fi
