#!/usr/bin/env bash
# Install Dovecot (IMAP) with its Lua passdb from Debian's packages when missing, without letting the
# package's own system daemon start: the sandbox runs its own dovecot on a high port with its own
# configuration (.sandbox/dovecot), and a system dovecot would take ports 143/993 for nothing.
# Lua's cjson and socket modules are what Mailcow's passdb script (passwd-verify.lua) uses to ask
# mailcowauth.php; the sandbox's script asks the emulator's copy of that endpoint the same way.
#
# Needs root (or passwordless sudo) only when something is missing. Without root, run as root once:
#   apt-get install --no-install-recommends dovecot-imapd dovecot-auth-lua lua-cjson lua-socket \
#     && systemctl disable --now dovecot.service dovecot.socket
set -euo pipefail
packages=(dovecot-core dovecot-imapd dovecot-auth-lua lua-cjson lua-socket)
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
missing=false
for package in "${packages[@]}"; do installed "$package" || missing=true; done
$missing || exit 0
echo "ensure-dovecot: installing ${packages[*]} (Debian packages)" >&2
exec "$(dirname "$0")/apt-install-without-services.sh" dovecot.service,dovecot.socket "${packages[@]}"
