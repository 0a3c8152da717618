"""Mailcow's passdb endpoint for Dovecot: data/conf/dovecot/auth/mailcowauth.php (2026-07a).

Mailcow's Dovecot does not read the password hashes itself: its Lua passdb (passwd-verify.lua)
POSTs {"username", "password", "real_rip", "service"} to mailcowauth.php (nginx port 9082, on the
containers' network only) and accepts the login on HTTP 200 {"success": true}. mailcowauth.php
tries apppass_login() first, then user_login() (functions.auth.inc.php), with is_internal set.
The emulator answers the same request at /mailcowauth.php on its own port, loopback clients only,
and makes the same decisions:
- the username must be an address or alphanumeric apart from "_", "." and "-";
- an app password counts when it, its mailbox and the mailbox's domain are active and its own flag
  for the service (imap_access, smtp_access, ...) is 1; a service without such a column never
  matches an app password;
- the mailbox password counts when the mailbox and its domain are active (mailbox `active` 2,
  "disallow login", fails) and the mailbox's attribute `<service>_access`, when present, is "1".
Not emulated: SOGo's single sign-on (requests from the SOGo container's address), LDAP/Keycloak
mailboxes, two-factor authentication (a mailbox with TFA never logs in with its mailbox password
through this endpoint in Mailcow; the emulator has no TFA), set_sasl_log().
"""

import json

from . import objects, php


def _service_name(service):
    return "NONE" if service is None else php.to_string(service)


def _username_allowed(username):
    plain = username.replace("_", "").replace(".", "").replace("-", "")
    return php.valid_email(username) or (plain.isascii() and plain.isalnum())


def app_password_login(conn, username, password, service):
    """apppass_login(): one of the mailbox's active app passwords for this service matches."""
    rows = conn.execute(
        "SELECT app_passwd.* FROM app_passwd"
        " JOIN mailbox ON mailbox.username = app_passwd.mailbox"
        " JOIN domain ON domain.domain = mailbox.domain"
        " WHERE mailbox.active = 1 AND domain.active = 1 AND app_passwd.active = 1 AND app_passwd.mailbox = ?",
        (username,)).fetchall()
    column = f"{service.lower()}_access"
    for row in rows:
        if service != "NONE" and (column not in row.keys() or row[column] != 1):
            continue
        if objects.verify_hash(row["password"], password):
            return True
    return False


def user_login(conn, username, password, service):
    """user_login() for a mailbox whose authsource is mailcow (the only kind the emulator has)."""
    row = conn.execute(
        "SELECT mailbox.password, mailbox.active, mailbox.attributes, domain.active AS d_active FROM mailbox"
        " JOIN domain ON domain.domain = mailbox.domain WHERE mailbox.username = ?", (username,)).fetchone()
    if row is None:
        return False
    attributes = json.loads(row["attributes"])
    key = f"{service.lower()}_access"
    if service != "NONE" and key in attributes and attributes[key] != "1":
        return False
    if row["active"] != 1 or row["d_active"] != 1:
        return False
    return objects.verify_hash(row["password"], password)


def login(store, username, password, service):
    """mailcowauth.php's decision for a well-formed request: True when the login is accepted."""
    service = _service_name(service)
    if not _username_allowed(username):
        return False
    with store.connection() as conn:
        return app_password_login(conn, username, password, service) or user_login(conn, username, password, service)


def answer(store, body):
    """(HTTP status, JSON body) of mailcowauth.php for a decoded request body."""
    if not all(php.isset(body, key) for key in ("username", "password", "real_rip")):
        return 400, {"success": False}
    username, password = body["username"], body["password"]
    if not isinstance(username, str) or not isinstance(password, str):
        # PHP would stop on a TypeError here (an error page, no JSON): Dovecot's script treats any
        # answer but 200 {"success": true} as a mismatch, and so does this one.
        return 401, {"success": False}
    if login(store, username, password, body.get("service")):
        return 200, {"success": True}
    return 401, {"success": False}
