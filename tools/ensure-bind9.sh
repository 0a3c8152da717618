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
echo "ensure-bind9: installing bind9 and bind9-dnsutils (Debian packages)" >&2
exec "$(dirname "$0")/apt-install-without-services.sh" named bind9 bind9-dnsutils
