"""Mailcow's app passwords (functions.app_passwd.inc.php) and domain administrators
(functions.domain_admin.inc.php), as the real API answers them (sandbox/mailcow_api/ACCOUNTS.md).

App passwords are stored the way Mailcow's table `app_passwd` holds them: the hash of the secret
(objects.hash_password, the emulator's mailbox scheme) and one access column per protocol, so a
login check can read them like the mailbox password. The API session's own user is "API": calls
that do not name a mailbox act on it, and it has no mailbox.
"""

import json

from . import php
from .objects import PhpCrash, hash_password, html_escape, is_valid_domain_name, now, password_check

SESSION_USER = "API"
# In the column order of the table, which is the key order of a read.
APP_PROTOCOLS = ("imap", "smtp", "dav", "eas", "pop3", "sieve")
# The superadmin of every fresh install (baseline data of the real server).
BASELINE_ADMINS = ("admin",)
DEFAULT_ADMIN_ATTRIBUTES = {"force_tfa": "0", "force_pw_update": "0"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS app_passwd (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    mailbox TEXT NOT NULL COLLATE NOCASE REFERENCES mailbox(username) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    password TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT,
    imap_access INTEGER NOT NULL DEFAULT 1,
    smtp_access INTEGER NOT NULL DEFAULT 1,
    dav_access INTEGER NOT NULL DEFAULT 1,
    eas_access INTEGER NOT NULL DEFAULT 1,
    pop3_access INTEGER NOT NULL DEFAULT 1,
    sieve_access INTEGER NOT NULL DEFAULT 1,
    active INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS app_passwd_mailbox ON app_passwd(mailbox COLLATE NOCASE, id);
CREATE TABLE IF NOT EXISTS domain_admins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL COLLATE NOCASE,
    domain TEXT NOT NULL COLLATE NOCASE,
    created TEXT NOT NULL,
    active INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS domain_admins_username ON domain_admins(username);
CREATE TABLE IF NOT EXISTS admin (
    username TEXT PRIMARY KEY COLLATE NOCASE,
    password TEXT NOT NULL,
    active INTEGER NOT NULL,
    attributes TEXT
);
CREATE TABLE IF NOT EXISTS da_acl (
    username TEXT PRIMARY KEY COLLATE NOCASE
);
"""

TABLES = ("app_passwd", "domain_admins", "admin", "da_acl")


def _masked(data, secrets):
    if not isinstance(data, dict):
        return php.php_value(data)
    return php.php_value({key: "*" if key in secrets and value is not None else value for key, value in data.items()})


def _ctype_alnum_name(text):
    """ctype_alnum(str_replace(['_', '.', '-'], '', $name)): ASCII letters and digits after removing those."""
    rest = text.replace("_", "").replace(".", "").replace("-", "")
    return rest.isascii() and rest.isalnum()


def _mailbox_row(conn, username):
    return conn.execute("SELECT username, domain FROM mailbox WHERE username = ?", (username,)).fetchone()


# ----------------------------------------------------------------------------------------------
# App passwords


def _app_user(conn, data):
    """(username, allowed): the mailbox the call names, else the session's own user."""
    username = data.get("username") if isinstance(data, dict) else None
    if isinstance(username, str) and php.valid_email(username):
        # hasMailboxObjectAccess() for the admin role: the mailbox must exist.
        return username, _mailbox_row(conn, username) is not None
    return SESSION_USER, True


def _protocol_flags(protocols):
    wanted = [php.to_string(w) for w in php.as_list(protocols) if not isinstance(w, (list, dict))]
    return {f"{name}_access": int(f"{name}_access" in wanted) for name in APP_PROTOCOLS}


def app_passwd_details(row):
    # The name was escaped when stored and is escaped again on every read.
    return {"id": row["id"], "name": html_escape(row["name"].strip()), "mailbox": row["mailbox"],
            "domain": row["domain"], "password": row["password"], "created": row["created"],
            "modified": row["modified"], **{f"{p}_access": row[f"{p}_access"] for p in APP_PROTOCOLS},
            "active": row["active"]}


def add_app_passwd(call, conn, data):
    log = ["app_passwd", "add", _masked(data, ("app_passwd", "app_passwd2"))]
    data = data if isinstance(data, dict) else {}
    username, allowed = _app_user(conn, data)
    if not allowed:
        call.say("danger", log, "access_denied")
        return
    name = html_escape(php.to_string(data.get("app_name") or "").strip())
    flags = _protocol_flags(data.get("protocols"))
    mailbox = _mailbox_row(conn, username)
    if mailbox is None:
        call.say("danger", log, "access_denied")
        return
    if not password_check(call, data.get("app_passwd"), data.get("app_passwd2")):
        return
    if php.empty(name):
        call.say("danger", log, "app_name_empty")
        return
    # Stored with the mailbox as sent: MariaDB's key check ignores case.
    conn.execute("INSERT INTO app_passwd (name, mailbox, domain, password, created, imap_access, smtp_access,"
                 " dav_access, eas_access, pop3_access, sieve_access, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (name, username, mailbox["domain"], hash_password(php.to_string(data["app_passwd"])), now(),
                  *(flags[f"{p}_access"] for p in APP_PROTOCOLS),
                  php.intval(data.get("active"))))
    call.say("success", log, "app_passwd_added")


def get_app_passwds(conn, mailbox):
    """get/app-passwd/all[/<mailbox>]: the mailbox's app passwords (the session user's without one)."""
    username, allowed = _app_user(conn, {"username": mailbox})
    if not allowed:
        return []
    rows = conn.execute("SELECT * FROM app_passwd WHERE mailbox = ? COLLATE NOCASE ORDER BY id", (username,))
    return [app_passwd_details(row) for row in rows.fetchall()]


def _app_passwd_row(conn, key):
    number = php.intval(key) if not isinstance(key, (list, dict)) else 0
    return conn.execute("SELECT * FROM app_passwd WHERE id = ?", (number,)).fetchone()


def edit_app_passwd(call, conn, items, attr):
    data = {"id": items, **attr}
    log = ["app_passwd", "edit", _masked(data, ("app_passwd", "app_passwd2"))]
    username, allowed = _app_user(conn, attr)
    if not allowed:
        call.say("danger", log, "access_denied")
        return
    ids = php.as_list(data["id"])
    for key in ids:
        row = _app_passwd_row(conn, key)
        if row is None:
            call.say("danger", log, ["app_passwd_id_invalid", key])
            continue
        name = attr["app_name"] if not php.empty(attr.get("app_name")) else app_passwd_details(row)["name"]
        name = html_escape(php.to_string(name).strip())
        flags = _protocol_flags(attr["protocols"]) if php.isset(attr, "protocols") else \
            {f"{p}_access": row[f"{p}_access"] for p in APP_PROTOCOLS}
        active = php.intval(attr["active"]) if php.isset(attr, "active") else row["active"]
        if not php.empty(attr.get("app_passwd")) and not php.empty(attr.get("app_passwd2")):
            if not password_check(call, attr["app_passwd"], attr["app_passwd2"]):
                continue
            if row["mailbox"].lower() == username.lower():
                conn.execute("UPDATE app_passwd SET password = ?, modified = ? WHERE id = ?",
                             (hash_password(php.to_string(attr["app_passwd"])), now(), row["id"]))
        owner = _mailbox_row(conn, username)
        if owner is None:
            # The UPDATE moves the row to the session's user, whom the foreign key refuses: an
            # uncaught PDOException, an empty answer.
            raise PhpCrash
        values = (name, username, *(flags[f"{p}_access"] for p in APP_PROTOCOLS), active)
        current = (row["name"], row["mailbox"], *(row[f"{p}_access"] for p in APP_PROTOCOLS), row["active"])
        if values != current:
            conn.execute("UPDATE app_passwd SET name = ?, mailbox = ?, imap_access = ?, smtp_access = ?,"
                         " dav_access = ?, eas_access = ?, pop3_access = ?, sieve_access = ?, active = ?,"
                         " modified = ? WHERE id = ?", (*values, now(), row["id"]))
        call.say("success", log, ["object_modified", html_escape(", ".join(php.to_string(i) for i in ids))])


def delete_app_passwds(call, conn, items):
    log = ["app_passwd", "delete", php.php_value({"id": php.as_list(items)})]
    for key in php.as_list(items):
        row = _app_passwd_row(conn, key)
        if row is None:
            call.say("danger", log, "app_passwd_id_invalid")
            return
        conn.execute("DELETE FROM app_passwd WHERE id = ?", (row["id"],))
        call.say("success", log, ["app_passwd_removed", html_escape(php.to_string(key))])


# ----------------------------------------------------------------------------------------------
# Domain administrators


def domain_admin_details(conn, username):
    if not isinstance(username, str) or not _ctype_alnum_name(username):
        return None
    row = conn.execute("SELECT d.username, d.created, d.active, a.attributes FROM domain_admins d"
                       " LEFT JOIN admin a ON a.username = d.username WHERE d.username = ? ORDER BY d.id",
                       (username,)).fetchone()
    if row is None:
        return None
    selected = [r["domain"] for r in conn.execute(
        "SELECT domain FROM domain WHERE domain IN (SELECT domain FROM domain_admins WHERE username = ?)"
        " ORDER BY domain", (username,)).fetchall()]
    unselected = [r["domain"] for r in conn.execute(
        "SELECT domain FROM domain WHERE domain NOT IN (SELECT domain FROM domain_admins WHERE username = ?)"
        " ORDER BY domain", (username,)).fetchall()]
    details = {"username": row["username"], "tfa_active": 0, "tfa_active_int": 0, "active": row["active"],
               "active_int": row["active"], "created": row["created"],
               "attributes": json.loads(row["attributes"]) if row["attributes"] else dict(DEFAULT_ADMIN_ATTRIBUTES)}
    if selected:
        details["selected_domains"] = selected
    details["unselected_domains"] = unselected or ""
    return details


def get_domain_admins(conn):
    names = conn.execute("SELECT DISTINCT username FROM domain_admins WHERE username IN (SELECT username FROM admin)"
                         " ORDER BY username").fetchall()
    return [details for details in (domain_admin_details(conn, row["username"]) for row in names) if details]


def _valid_admin_domain(conn, domain):
    return isinstance(domain, str) and is_valid_domain_name(domain) and \
        conn.execute("SELECT 1 FROM domain WHERE domain = ? COLLATE NOCASE", (domain,)).fetchone() is not None


def add_domain_admin(call, conn, data):
    log = ["domain_admin", "add", _masked(data, ("password", "password2"))]
    data = data if isinstance(data, dict) else {}
    username = php.to_string(data.get("username") or "").strip().lower()
    domains = php.as_list(data.get("domains"))
    active = php.intval(data.get("active"))
    if not domains:
        call.say("danger", log, "domain_invalid")
        return
    # The guard against "API" compares after lower-casing, so it never matches.
    if not _ctype_alnum_name(username) or not username:
        call.say("danger", log, ["username_invalid", username])
        return
    taken = (_mailbox_row(conn, username) is not None or username in BASELINE_ADMINS
             or conn.execute("SELECT 1 FROM admin WHERE username = ?", (username,)).fetchone()
             or conn.execute("SELECT 1 FROM domain_admins WHERE username = ?", (username,)).fetchone())
    if taken:
        call.say("danger", log, ["object_exists", html_escape(username)])
        return
    if not password_check(call, data.get("password"), data.get("password2")):
        return
    valid = 0
    for domain in domains:
        if not _valid_admin_domain(conn, domain):
            call.say("danger", log, ["domain_invalid", html_escape(php.to_string(domain))])
            continue
        valid += 1
        conn.execute("INSERT INTO domain_admins (username, domain, created, active) VALUES (?, ?, ?, ?)",
                     (username, domain, now(), active))
    if valid:
        conn.execute("INSERT INTO admin (username, password, active) VALUES (?, ?, ?)",
                     (username, hash_password(php.to_string(data["password"])), active))
    if conn.execute("SELECT 1 FROM da_acl WHERE username = ?", (username,)).fetchone():
        # Left behind by an earlier add without a valid domain: a duplicate key, after the rows above.
        raise PhpCrash
    conn.execute("INSERT INTO da_acl (username) VALUES (?)", (username,))
    call.say("success", log, ["domain_admin_added", html_escape(username)])


def edit_domain_admin(call, conn, items, attr):
    log = ["domain_admin", "edit", _masked({"username": items, **attr}, ("password", "password2"))]
    for username in items:
        current = domain_admin_details(conn, username)
        if not current:
            call.say("danger", log, "access_denied")
            continue
        domains = php.as_list(attr["domains"]) if php.isset(attr, "domains") else None
        active = php.intval(attr["active"]) if php.isset(attr, "active") else current["active"]
        domains = domains if domains else current.get("selected_domains", [])
        new_name = php.to_string(attr["username_new"]) if not php.empty(attr.get("username_new")) else current["username"]
        bad = [d for d in domains if not _valid_admin_domain(conn, d)]
        if bad:
            call.say("danger", log, ["domain_invalid", html_escape(php.to_string(bad[0]))])
            continue
        if not _ctype_alnum_name(new_name) or (new_name != username and domain_admin_details(conn, new_name)):
            call.say("danger", log, ["username_invalid", new_name])
            continue
        conn.execute("DELETE FROM domain_admins WHERE username = ?", (username,))
        conn.execute("UPDATE da_acl SET username = ? WHERE username = ?", (new_name, username))
        for domain in domains:
            conn.execute("INSERT INTO domain_admins (username, domain, created, active) VALUES (?, ?, ?, ?)",
                         (new_name, domain, now(), active))
        attributes = {"force_tfa": str(int(bool(php.intval(attr.get("force_tfa") or 0)))),
                      "force_pw_update": str(int(bool(php.intval(attr.get("force_pw_update") or 0))))}
        password = None
        if not php.empty(attr.get("password")):
            # The domain rows above stay rewritten when the password is refused.
            if not password_check(call, attr.get("password"), attr.get("password2")):
                return
            password = hash_password(php.to_string(attr["password"]))
        conn.execute("UPDATE admin SET username = ?, active = ?, attributes = ?" + (", password = ?" if password else "")
                     + " WHERE username = ?",
                     (new_name, active, json.dumps(attributes), *([password] if password else []), username))
        call.say("success", log, ["domain_admin_modified", html_escape(php.to_string(username))])


def delete_domain_admins(call, conn, items):
    log = ["domain_admin", "delete", php.php_value({"username": php.as_list(items)})]
    for username in php.as_list(items):
        if not domain_admin_details(conn, username):
            call.say("danger", log, ["username_invalid", username])
            continue
        for table in ("domain_admins", "admin", "da_acl"):
            conn.execute(f"DELETE FROM {table} WHERE username = ?", (username,))  # noqa: S608 - fixed names
        call.say("success", log, ["domain_admin_removed", html_escape(username)])
