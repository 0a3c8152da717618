"""Dovecot (Debian's package) as the sandbox's IMAP server, authenticating as Mailcow's Dovecot does.

Mailcow 2026-07a's Dovecot checks passwords with a Lua passdb (data/conf/dovecot/auth/passwd-verify.lua)
that POSTs the login to mailcowauth.php and accepts it on {"success": true}. This one runs the same
script, with two differences: plain HTTP to the emulator's /mailcowauth.php on loopback (Mailcow's
goes over TLS to nginx:9082 inside its network) and no auth cache (Mailcow caches a verdict for 300 s;
here a password changed through the API must be seen by the next login). It serves IMAP only,
on 127.0.0.1:<port>, with its configuration, runtime files and the (empty) mail homes in one
directory of its own: the package's system daemon (ports 143/993, /etc/dovecot) stays stopped and
untouched. sandbox/ctl.py starts it for `make sandbox`; tests start their own on free ports.
"""

import grp
import hashlib
import os
import pwd
import shutil
import socket
import tempfile
from pathlib import Path

INSTALL_HINT = ("Dovecot is missing: run `tools/ensure-dovecot.sh` (as root, or with passwordless sudo), or as root "
                "`apt-get install --no-install-recommends dovecot-imapd dovecot-auth-lua lua-cjson lua-socket && "
                "systemctl disable --now dovecot.service dovecot.socket`; the sandbox runs its own dovecot and does "
                "not need the system daemon")

# passwd-verify.lua of Mailcow 2026-07a, asking over plain HTTP (lua-socket) instead of ssl.https.
PASSDB_LUA = """\
function auth_password_verify(request, password)
  if request.domain == nil then
    return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, "No such user"
  end

  local json = require "cjson"
  local ltn12 = require "ltn12"
  local http = require "socket.http"
  http.TIMEOUT = 30

  local req = {
    username = request.user,
    password = password,
    real_rip = request.real_rip,
    service = request.service
  }
  local req_json = json.encode(req)
  local res = {}

  local b, c = http.request {
    method = "POST",
    url = "%(url)s",
    source = ltn12.source.string(req_json),
    headers = {
      ["content-type"] = "application/json",
      ["content-length"] = tostring(#req_json)
    },
    sink = ltn12.sink.table(res)
  }

  if c ~= 200 and c ~= 401 then
    dovecot.i_info("HTTP request failed with " .. tostring(c) .. " for user " .. request.user)
    return dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH, "Upstream error"
  end

  local response_str = table.concat(res)
  local is_response_valid, response_json = pcall(json.decode, response_str)

  if not is_response_valid then
    dovecot.i_info("Invalid JSON received: " .. response_str)
    return dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH, "Invalid response format"
  end

  if response_json.success == true then
    return dovecot.auth.PASSDB_RESULT_OK, ""
  end

  return dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH, "Failed to authenticate"
end

function auth_passdb_lookup(req)
   return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, ""
end
"""


def dovecot_binary():
    found = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")
    if not found or not Path("/usr/lib/dovecot/modules/auth/libauthdb_lua.so").exists():
        raise FileNotFoundError(INSTALL_HINT)
    return found


def _users():
    """(internal user, login user, mail user): Dovecot refuses to run its processes as root, so a root
    start uses the package's own unprivileged users; anyone else runs everything as themselves."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid()).pw_name
        return me, me, me
    return "dovecot", "dovenull", "dovecot"


def dovecot_conf(directory, port, auth_url):
    directory = Path(directory)
    internal, login, mail = _users()
    account = pwd.getpwnam(mail)
    return (f"base_dir = {directory / 'run'}\n"
            f"state_dir = {directory / 'state'}\n"
            f"instance_name = sandbox-dovecot-{port}\n"
            f"default_internal_user = {internal}\n"
            f"default_login_user = {login}\n"
            f"default_internal_group = {grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name}\n"
            "protocols = imap\n"
            "listen = 127.0.0.1\n"
            "log_path = /dev/stderr\n"
            "ssl = no\n"
            # Loopback only: LOGIN without TLS is what the sandbox's clients (and the module's tests) use.
            "disable_plaintext_auth = no\n"
            "auth_mechanisms = plain login\n"
            # Off, unlike Mailcow's 300 s: a password changed behind our back must fail the next login.
            "auth_cache_size = 0\n"
            "passdb {\n"
            "  driver = lua\n"
            f"  args = file={directory / 'passwd-verify.lua'} blocking=yes\n"
            "}\n"
            "userdb {\n"
            "  driver = static\n"
            f"  args = uid={account.pw_uid} gid={account.pw_gid} home={directory / 'mail'}/%d/%n\n"
            "}\n"
            f"first_valid_uid = {min(account.pw_uid, 500)}\n"
            "mail_location = maildir:~/Maildir\n"
            "service imap-login {\n"
            f"  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n"
            "  inet_listener imaps {\n    port = 0\n  }\n"
            # The login process needs no chroot jail in a private sandbox (and a non-root start has none).
            "  chroot =\n"
            "}\n")


def _blocking_parent(directory, account):
    """The first existing directory at or above ``directory`` that Dovecot's unprivileged user cannot pass, or None."""
    for parent in [directory.resolve(), *directory.resolve().parents]:
        if not parent.exists():
            continue
        info = parent.stat()
        if not info.st_mode & 0o001 and info.st_uid != account.pw_uid:
            return parent, info
    return None


def _require_reachable(directory, account):
    """Dovecot's auth and login processes (the package's users, when root starts it) open the passdb script
    and sockets in the directory: every directory above it must let them through."""
    blocking = _blocking_parent(directory, account)
    if blocking:
        parent, info = blocking
        raise PermissionError(f"dovecot: {parent} (mode {info.st_mode & 0o777:o}) keeps Dovecot's unprivileged "
                              f"user {account.pw_name} out of {directory}; give it o+x or use another directory")


def home_for(preferred):
    """Where Dovecot keeps its files for a state directory: ``preferred``, unless root runs it and a private
    directory above (a checkout under a mode-700 home, pytest's tmp_path) keeps Dovecot's own users out; then a
    directory of its own under the system's temporary directory, the same for the same ``preferred``."""
    preferred = Path(preferred)
    try:
        account = pwd.getpwnam(_users()[0])
    except KeyError:  # Dovecot not installed: nothing will run there, and `up imap` says what to install
        return preferred
    if os.geteuid() != 0 or _blocking_parent(preferred.parent, account) is None:
        return preferred
    key = hashlib.sha256(str(preferred.resolve()).encode()).hexdigest()[:12]
    home = Path(tempfile.gettempdir()) / f"securenexus-dovecot-{key}"
    home.mkdir(mode=0o755, exist_ok=True)
    home.chmod(0o755)
    return home


def write_config(directory, port, auth_url):
    """Write dovecot.conf and the passdb script when they differ; the mail homes directory belongs to
    the user the IMAP processes run as. Returns the path of dovecot.conf."""
    directory = Path(directory)
    if os.geteuid() == 0:
        _require_reachable(directory.parent, pwd.getpwnam(_users()[0]))
    for sub in ("run", "state", "mail"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    account = pwd.getpwnam(_users()[2])
    if os.geteuid() == 0:
        os.chown(directory / "mail", account.pw_uid, account.pw_gid)
    files = {directory / "passwd-verify.lua": PASSDB_LUA % {"url": auth_url},
             directory / "dovecot.conf": dovecot_conf(directory, port, auth_url)}
    for path, text in files.items():
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return directory / "dovecot.conf"


# -F: foreground (the caller keeps the process and its stderr log).
FLAGS = ["-F", "-c"]


def argv(conf):
    return [dovecot_binary(), *FLAGS, str(conf)]


def answers(port, timeout=2.0):
    """Whether Dovecot greets IMAP clients on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
            conn.settimeout(timeout)
            return conn.recv(128).startswith(b"* OK")
    except OSError:
        return False
