"""Mailcow's business functions for domains, mailboxes, aliases and DKIM.

Each handler appends Mailcow's message entries ({type, log, msg}) to `call.messages` in the
order the real code produces them, and checks its input in the real code's order: the first
failing check decides the reply. Quotas are MiB on input and in messages, bytes on GET.
"""

import base64
import datetime
import hashlib
import hmac
import json
import re
import subprocess

import bcrypt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import php

MIB = 1048576
# Quotas in MiB whose byte value still fits MySQL's (and SQLite's) signed 64-bit integers.
MAX_QUOTA_MIB = php.PHP_INT_MAX // MIB
TAG_LIMIT = 26
PASSWORD_MIN_LENGTH = 6
SPECIAL_GOTOS = (("goto_null", "null@localhost"), ("goto_spam", "spam@localhost"), ("goto_ham", "ham@localhost"))

# The shipped "Default" domain and mailbox templates (Mailcow 2024-01 and later).
DOMAIN_TEMPLATE = {"aliases": 400, "mailboxes": 10, "defquota": 3072, "maxquota": 10240, "quota": 10240,
                   "active": 1, "gal": 1, "backupmx": 0, "relay_all_recipients": 0, "relay_unknown_only": 0,
                   "key_size": 2048, "dkim_selector": "dkim"}
MAILBOX_FLAGS = {"force_pw_update": 0, "force_tfa": 0, "tls_enforce_in": 0, "tls_enforce_out": 0,
                 "sogo_access": 1, "imap_access": 1, "pop3_access": 1, "smtp_access": 1, "sieve_access": 1,
                 "eas_access": 1, "dav_access": 1}
PROTOCOLS = ("imap", "pop3", "smtp", "sieve", "eas", "dav")
QUARANTINE_CATEGORIES = ("add_header", "reject", "all")
RL_FRAMES = ("s", "m", "h", "d")


class PhpCrash(Exception):
    """A PHP TypeError swallowed by Mailcow's exception handler: HTTP 200, empty body.

    Whatever the request had written before the crash stays written.
    """

    keep_changes = True


def now():
    return datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def number(value):
    """A MiB figure in a message: an int when whole, like PHP's int/int division."""
    return int(value) if float(value).is_integer() else value


def string_arg(value):
    """An argument a PHP string function receives; an array there is a TypeError."""
    if isinstance(value, (list, dict)):
        raise PhpCrash
    return php.to_string(value)


def idn_to_ascii(name):
    """idn_to_ascii(strtolower(trim($name))): punycode, lower case; the raw text if impossible."""
    name = string_arg(name).strip().lower()
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def idn_to_utf8(name):
    try:
        return name.encode("ascii").decode("idna")
    except UnicodeError:
        return name


_DOMAIN = re.compile(r"[a-z\d](-*[a-z\d])*(\.[a-z\d](-*[a-z\d])*)*", re.I)
_DOMAIN_LABELS = re.compile(r"[^.]{1,63}(\.[^.]{1,63})*")


def valid_domain_name(name):
    return bool(name) and bool(_DOMAIN.fullmatch(name)) and len(name) <= 253 and bool(_DOMAIN_LABELS.fullmatch(name))


# hash_password() keeps a password that already names a scheme as it is (pre-hashed passwords).
_PREHASHED = re.compile(r"\{(ARGON2I|ARGON2ID|BLF-CRYPT|CLEAR|CLEARTEXT|CRYPT|DES-CRYPT|LDAP-MD5|MD5|MD5-CRYPT|PBKDF2|PLAIN"
                        r"|PLAIN-MD4|PLAIN-MD5|PLAIN-TRUNC|SHA|SHA1|SHA256|SHA256-CRYPT|SHA512|SHA512-CRYPT|SMD5|SSHA|SSHA256"
                        r"|SSHA512)\}", re.I)
_SCHEME = re.compile(r"\{(.+)\}(.+)", re.I | re.S)
_SALTED = {"SSHA": ("sha1", 20), "SSHA256": ("sha256", 32), "SSHA512": ("sha512", 64)}
# PHP's password_hash(PASSWORD_BCRYPT) writes $2y$ at cost 10; $2y$ and bcrypt's $2b$ are the same algorithm.
BCRYPT_COST = 10


def hash_password(password):
    """Mailcow's hash_password() with its default MAILCOW_PASS_SCHEME, BLF-CRYPT (what the real
    `mailbox` table holds after add/mailbox: `{BLF-CRYPT}$2y$10$...`)."""
    if _PREHASHED.match(password):
        return password
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()
    return "{BLF-CRYPT}$2y$" + hashed[len("$2b$"):]


def verify_hash(stored, password):
    """Mailcow's verify_hash() for the schemes a mailbox of the emulator can hold: BLF-CRYPT (and the
    other crypt(3) names, of which only bcrypt hashes can occur here), the salted SHA family (the
    emulator's scheme before it followed Mailcow's default: older sandbox states keep it) and the
    clear-text names a pre-hashed password may carry. Any other scheme does not verify."""
    match = _SCHEME.match(stored)
    if not match:
        return False
    scheme, hashed = match.group(1).upper(), match.group(2)
    if scheme in ("BLF-CRYPT", "CRYPT", "ARGON2I", "ARGON2ID", "DES-CRYPT", "MD5-CRYPT", "MD5", "SHA256-CRYPT",
                  "SHA512-CRYPT"):
        try:
            return bcrypt.checkpw(password.encode(), hashed.encode())
        except ValueError:
            return False
    if scheme in ("CLEAR", "CLEARTEXT", "PLAIN"):
        return password == hashed
    if scheme in _SALTED:
        algorithm, size = _SALTED[scheme]
        raw = base64.b64decode(hashed)
        return hmac.compare_digest(hashlib.new(algorithm, password.encode() + raw[size:]).digest(), raw[:size])
    return False


def masked(data):
    """The request as Mailcow logs it: passwords replaced by "*"."""
    if not isinstance(data, dict):
        return php.php_value(data)
    return php.php_value({key: "*" if key in ("password", "password2") else value for key, value in data.items()})


class Call:
    """One API call: the caller's rights and the messages Mailcow collects in the session."""

    def __init__(self, authenticated):
        self.authenticated = authenticated
        self.messages = []

    def say(self, kind, log, msg):
        self.messages.append({"type": kind, "log": log, "msg": msg})


def text_of(data, key, default=""):
    value = data.get(key, default) if isinstance(data, dict) else default
    return default if value is None else value


# ----------------------------------------------------------------------------------------------
# Shared lookups


def domain_row(conn, name):
    return conn.execute("SELECT * FROM domain WHERE domain = ?", (name,)).fetchone()


def domain_usage(conn, name):
    """(mailbox count, allocated quota bytes, largest mailbox quota bytes, alias count) of a domain."""
    mailboxes = conn.execute("SELECT COUNT(*), COALESCE(SUM(quota), 0), COALESCE(MAX(quota), 0) FROM mailbox "
                             "WHERE domain = ?", (name,)).fetchone()
    aliases = conn.execute("SELECT COUNT(*) FROM alias WHERE domain = ? AND is_mailbox = 0", (name,)).fetchone()[0]
    return mailboxes[0], mailboxes[1], mailboxes[2], aliases


def alias_by_key(conn, key):
    """Mailcow's `(id = X OR address = X) AND address != goto`, with MySQL's comparisons.

    The address matches case-insensitively; a key with leading digits is also compared with the
    numeric id (MySQL casts '1info@x.tld' to 1), and the row with the lower id comes first.
    """
    if isinstance(key, (list, dict)):
        return None
    key = php.to_string(key)
    rows = []
    numeric = re.match(r"\s*(\d+)(?![\d.eE])", key)
    if numeric and int(numeric.group(1)) <= php.PHP_INT_MAX:
        rows += conn.execute("SELECT * FROM alias WHERE id = ? AND address != goto", (int(numeric.group(1)),)).fetchall()
    rows += conn.execute("SELECT * FROM alias WHERE address = ? AND address != goto", (key,)).fetchall()
    return min(rows, key=lambda row: row["id"]) if rows else None


def set_gotos(conn, alias_id, gotos):
    conn.execute("DELETE FROM alias_goto WHERE alias_id = ?", (alias_id,))
    conn.executemany("INSERT OR IGNORE INTO alias_goto (alias_id, goto) VALUES (?, ?)",
                     [(alias_id, goto) for goto in gotos])


def tags_of(conn, table, column, key):
    return [row[0] for row in conn.execute(f"SELECT tag FROM {table} WHERE {column} = ? ORDER BY rowid",  # noqa: S608
                                           (key,))]


def rl_object(value, frame):
    return {"value": value, "frame": frame} if value else False


def save_rate_limit(call, conn, kind, name, data):
    """The rate-limit edit Mailcow runs inside add/domain and add/mailbox."""
    value = text_of(data, "rl_value", "")
    frame = text_of(data, "rl_frame", "s")
    log = ["ratelimit", "edit", kind, {"object": name, "rl_frame": frame, "rl_value": value}]
    if frame not in RL_FRAMES:
        call.say("danger", log, "rl_timeframe")
        return
    table, column = ("domain", "domain") if kind == "domain" else ("mailbox", "username")
    stored = str(php.intval(value)) if not php.empty(value) else None
    conn.execute(f"UPDATE {table} SET rl_value = ?, rl_frame = ? WHERE {column} = ?",  # noqa: S608
                 (stored, frame if stored else None, name))
    call.say("success", log, ["rl_saved", name])


# ----------------------------------------------------------------------------------------------
# Domains


def domain_details(row, usage, tags, mailbox_details=None, admins="-"):
    count, allocated, _largest, aliases = usage
    max_new = max(0, min(row["quota"] * MIB - allocated, row["maxquota"] * MIB))
    details = {
        "max_new_mailbox_quota": max_new,
        "def_new_mailbox_quota": min(max_new, row["defquota"] * MIB),
        "quota_used_in_domain": str(allocated),
        "bytes_total": 0,
        "msgs_total": 0,
        "mboxes_in_domain": count,
        "mboxes_left": row["mailboxes"] - count,
        "domain_name": row["domain"],
        "domain_h_name": idn_to_utf8(row["domain"]),
        "description": row["description"],
        "max_num_aliases_for_domain": row["aliases"],
        "max_num_mboxes_for_domain": row["mailboxes"],
        "def_quota_for_mbox": row["defquota"] * MIB,
        "max_quota_for_mbox": row["maxquota"] * MIB,
        "max_quota_for_domain": row["quota"] * MIB,
        "relayhost": str(row["relayhost"]),
        "backupmx": row["backupmx"],
        "backupmx_int": row["backupmx"],
        "gal": row["gal"],
        "gal_int": row["gal"],
        "rl": rl_object(row["rl_value"], row["rl_frame"]),
        "active": row["active"],
        "active_int": row["active"],
        "relay_all_recipients": row["relay_all_recipients"],
        "relay_all_recipients_int": row["relay_all_recipients"],
        "relay_unknown_only": row["relay_unknown_only"],
        "relay_unknown_only_int": row["relay_unknown_only"],
        "created": row["created"],
        "modified": row["modified"],
        "aliases_in_domain": aliases,
        "aliases_left": row["aliases"] - aliases,
        "domain_admins": admins,
    }
    if tags:
        details["tags"] = tags
    return details


def get_domain(conn, name):
    row = domain_row(conn, idn_to_ascii(name)) if name else None
    if row is None:
        return {}
    return domain_details(row, domain_usage(conn, row["domain"]), tags_of(conn, "domain_tag", "domain", row["domain"]),
                          admins=domain_admins_of(conn, row["domain"]))


def domain_admins_of(conn, domain):
    """The `domain_admins` field of a domain: its administrators joined by ", ", or "-"."""
    names = [row[0] for row in conn.execute("SELECT username FROM domain_admins WHERE domain = ? ORDER BY id",
                                            (domain,)).fetchall()]
    return ", ".join(names) if names else "-"


def forget_domain_admins(conn, domain):
    """Deleting a domain drops its administrators' rights to it; those left without a domain go entirely."""
    conn.execute("DELETE FROM domain_admins WHERE domain = ?", (domain,))
    conn.execute("DELETE FROM admin WHERE username NOT IN (SELECT username FROM domain_admins)")
    conn.execute("DELETE FROM da_acl WHERE username NOT IN (SELECT username FROM domain_admins)")


def tag_filter(tags_param):
    return [tag for tag in tags_param.split(",") if tag] if tags_param is not None else None


def get_domains(conn, tags_param=None):
    wanted = tag_filter(tags_param)
    mailboxes = {row[0]: row[1:] for row in conn.execute(
        "SELECT domain, COUNT(*), SUM(quota), MAX(quota) FROM mailbox GROUP BY domain")}
    aliases = dict(conn.execute("SELECT domain, COUNT(*) FROM alias WHERE is_mailbox = 0 GROUP BY domain").fetchall())
    admins = {}
    for domain, username in conn.execute("SELECT domain, username FROM domain_admins ORDER BY id"):
        admins.setdefault(domain.lower(), []).append(username)
    tags = {}
    for domain, tag in conn.execute("SELECT domain, tag FROM domain_tag ORDER BY rowid"):
        tags.setdefault(domain, []).append(tag)
    result = []
    for row in conn.execute("SELECT * FROM domain ORDER BY domain"):
        name = row["domain"]
        if wanted is not None and not any(w in tag for w in wanted for tag in tags.get(name, [])):
            continue
        count, allocated, largest = mailboxes.get(name, (0, 0, 0))
        result.append(domain_details(row, (count, allocated, largest, aliases.get(name, 0)), tags.get(name, []),
                                     admins=", ".join(admins.get(name, [])) or "-"))
    return result


def _tag_list(value):
    if value is None:
        return []
    return [php.to_string(tag) for tag in (value if isinstance(value, list) else [value])]


def _add_tags(call, conn, table, column, key, tags, log, strict):
    """Append tags; a duplicate kills a domain request (PDO exception), a mailbox one ignores it."""
    existing = len(tags_of(conn, table, column, key))
    for tag in tags:
        if existing >= TAG_LIMIT:
            call.say("warning", log, "tag_limit_exceeded")
            return
        exists = conn.execute(f"SELECT 1 FROM {table} WHERE {column} = ? AND tag = ?", (key, tag)).fetchone()  # noqa: S608
        if exists:
            if strict:
                raise PhpCrash
            continue
        conn.execute(f"INSERT INTO {table} ({column}, tag) VALUES (?, ?)", (key, tag))  # noqa: S608
        existing += 1


def add_domain(call, conn, data, dkim):
    log = ["mailbox", "add", "domain", masked(data), None]
    data = data if isinstance(data, dict) else {}
    if not call.authenticated:
        call.say("danger", log, "access_denied")
        return
    values = {key: php.intval(data[key]) if php.isset(data, key) else default
              for key, default in DOMAIN_TEMPLATE.items() if key != "dkim_selector"}
    for key in ("defquota", "maxquota", "quota"):
        values[key] = min(values[key], MAX_QUOTA_MIB)
    if values["relay_unknown_only"]:
        values["backupmx"] = values["relay_all_recipients"] = 1
    if values["relay_all_recipients"]:
        values["backupmx"] = 1
    if values["defquota"] > values["maxquota"]:
        call.say("danger", log, "mailbox_defquota_exceeds_mailbox_maxquota")
        return
    if values["maxquota"] > values["quota"]:
        call.say("danger", log, "mailbox_quota_exceeds_domain_quota")
        return
    if values["defquota"] == 0:
        call.say("danger", log, "defquota_empty")
        return
    if values["maxquota"] == 0:
        call.say("danger", log, "maxquota_empty")
        return
    name = idn_to_ascii(data.get("domain", ""))
    if not valid_domain_name(name):
        call.say("danger", log, "domain_invalid")
        return
    if domain_row(conn, name):
        call.say("danger", log, ["domain_exists", name])
        return
    description = php.to_string(data["description"]) if not php.empty(data.get("description")) else name
    stamp = now()
    conn.execute(
        "INSERT INTO domain (domain, description, aliases, mailboxes, defquota, maxquota, quota, active, gal, backupmx,"
        " relay_all_recipients, relay_unknown_only, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (name, description, values["aliases"], values["mailboxes"], values["defquota"], values["maxquota"],
         values["quota"], values["active"], values["gal"], values["backupmx"], values["relay_all_recipients"],
         values["relay_unknown_only"], stamp))
    tags = _tag_list(data.get("tags"))
    if len(set(tags)) != len(tags):
        raise PhpCrash
    _add_tags(call, conn, "domain_tag", "domain", name, tags, log, strict=True)
    if not php.empty(data.get("rl_value")) and not php.empty(data.get("rl_frame")):
        save_rate_limit(call, conn, "domain", name, data)
    selector = data.get("dkim_selector", DOMAIN_TEMPLATE["dkim_selector"])
    if not php.empty(values["key_size"]) and not php.empty(selector):
        if conn.execute("SELECT 1 FROM dkim WHERE domain = ?", (name,)).fetchone():
            call.say("success", log, "domain_add_dkim_available")
        else:
            add_dkim(call, conn, {"key_size": values["key_size"], "dkim_selector": selector, "domains": name}, dkim)
    call.say("success", log, ["domain_added", name])


def edit_domain(call, conn, items, attr):
    log = ["mailbox", "edit", "domain", masked({"domain": items, **attr}), None]
    for item in items:
        # idn_to_ascii() without trim(): " name " is domain_invalid here, unlike on add/domain.
        name = idn_domain(string_arg(item))
        row = domain_row(conn, name) if valid_domain_name(name) else None
        if row is None:
            call.say("danger", log, "domain_invalid")
            continue
        new = dict(row)
        for key in ("active", "backupmx", "gal", "relay_all_recipients", "relay_unknown_only", "relayhost"):
            if php.isset(attr, key):
                new[key] = php.intval(attr[key])
        if new["relay_unknown_only"]:
            new["backupmx"] = new["relay_all_recipients"] = 1
        if new["relay_all_recipients"]:
            new["backupmx"] = 1
        for key in ("mailboxes", "defquota"):
            if php.isset(attr, key) and attr[key] != "":
                new[key] = php.intval(attr[key])
        for key in ("aliases", "maxquota", "quota"):
            if not php.empty(attr.get(key)):
                new[key] = php.intval(attr[key])
        for key in ("defquota", "maxquota", "quota"):
            new[key] = min(new[key], MAX_QUOTA_MIB)
        if not php.empty(attr.get("description")):
            new["description"] = php.to_string(attr["description"])
        count, allocated, largest, aliases = domain_usage(conn, name)
        if new["defquota"] > new["maxquota"]:
            call.say("danger", log, "mailbox_defquota_exceeds_mailbox_maxquota")
            continue
        if new["defquota"] == 0:
            call.say("danger", log, "defquota_empty")
            continue
        if new["maxquota"] > new["quota"]:
            call.say("danger", log, "mailbox_quota_exceeds_domain_quota")
            continue
        if new["maxquota"] == 0:
            call.say("danger", log, "maxquota_empty")
            continue
        if new["maxquota"] * MIB < largest:
            call.say("danger", log, ["max_quota_in_use", str(number(largest / MIB))])
            continue
        if new["quota"] * MIB < allocated:
            call.say("danger", log, ["domain_quota_m_in_use", str(number(allocated / MIB))])
            continue
        if new["mailboxes"] < count:
            call.say("danger", log, ["mailboxes_in_use", count])
            continue
        if new["aliases"] < aliases:
            call.say("danger", log, ["aliases_in_use", aliases])
            continue
        columns = ("description", "aliases", "mailboxes", "defquota", "maxquota", "quota", "active", "gal",
                   "backupmx", "relay_all_recipients", "relay_unknown_only", "relayhost")
        # edit/domain writes aliases, maxquota and quota as sent: MariaDB (strict mode) refuses a
        # value that is no number or too big for the column, and the PDOException is an empty 200.
        if any(not php.empty(attr.get(key)) and not _fits_column(attr[key], bits)
               for key, bits in (("aliases", 32), ("maxquota", 64), ("quota", 64))):
            raise PhpCrash
        if any(new[column] != row[column] for column in columns):
            conn.execute("UPDATE domain SET " + ", ".join(f"{column} = ?" for column in columns)
                         + ", modified = ? WHERE domain = ?", (*[new[c] for c in columns], now(), name))
        if php.isset(attr, "tags"):
            _add_tags(call, conn, "domain_tag", "domain", name, _tag_list(attr["tags"]), log, strict=True)
        call.say("success", log, ["domain_modified", name])


_SQL_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


def _fits_column(value, bits):
    """Whether MariaDB in strict mode stores the value in a signed integer column of that size."""
    if isinstance(value, bool):
        return True
    if isinstance(value, str):
        if not _SQL_NUMBER.fullmatch(value):
            return False
        value = float(value)
    if not isinstance(value, (int, float)):
        return False
    return -(2 ** (bits - 1)) <= round(value) < 2 ** (bits - 1)


def delete_domains(call, conn, items):
    log = ["mailbox", "delete", "domain", masked({"domain": items}), None]
    for item in php.as_list(items):
        # is_valid_domain_name() sees the name as sent, before trim() and strtolower().
        if not is_valid_domain_name(string_arg(item)):
            call.say("danger", log, "domain_invalid")
            continue
        name = idn_to_ascii(item)
        if conn.execute("SELECT 1 FROM mailbox WHERE domain = ? LIMIT 1", (name,)).fetchone():
            call.say("danger", log, ["domain_not_empty", name])
            continue
        conn.execute("DELETE FROM alias WHERE domain = ?", (name,))
        conn.execute("DELETE FROM domain WHERE domain = ?", (name,))
        forget_domain_admins(conn, name)
        call.say("success", log, ["domain_removed", name])


def delete_domain_tags(call, conn, name, tags):
    log = ["mailbox", "delete", "tags_domain", masked({"tags": tags, "domain": name}), None]
    name = idn_to_ascii(name)
    if not domain_row(conn, name):
        call.say("danger", log, "access_denied")
        return
    for tag in tags:
        conn.execute("DELETE FROM domain_tag WHERE domain = ? AND tag = ?", (name, php.to_string(tag)))
    call.say("success", log, ["domain_modified", name])


# ----------------------------------------------------------------------------------------------
# Mailboxes


def _percent(quota, used):
    if not quota:
        return "- ", "info"
    percent = round(used / quota * 100)
    return percent, "danger" if percent >= 95 else "warning" if percent >= 80 else "success"


def mailbox_details(row, domain, allocated, tags, reduced=False):
    percent, percent_class = _percent(row["quota"], 0)
    rl = rl_object(row["rl_value"], row["rl_frame"])
    details = {
        "username": row["username"], "active": row["active"], "active_int": row["active"], "domain": row["domain"],
        "name": row["name"], "local_part": row["local_part"], "quota": row["quota"], "messages": 0,
        "attributes": json.loads(row["attributes"]), "custom_attributes": [], "quota_used": 0,
        "percent_in_use": percent, "created": row["created"], "modified": row["modified"], "authsource": "mailcow",
        "percent_class": percent_class, "last_imap_login": 0, "last_smtp_login": 0, "last_pop3_login": 0,
        "last_sso_login": 0,
    }
    if not reduced:
        details.update({
            "max_new_quota": max(0, min(domain["maxquota"] * MIB, domain["quota"] * MIB - allocated + row["quota"])),
            "spam_aliases": 0, "pushover_active": 0,
            "rl": rl or rl_object(domain["rl_value"], domain["rl_frame"]),
            "rl_scope": "mailbox" if rl else "domain", "is_relayed": domain["backupmx"], "sender_acl": [],
        })
    if tags:
        details["tags"] = tags
    return details


def _mailbox_list(conn, where, params, reduced, tags_param=None):
    wanted = tag_filter(tags_param)
    rows = conn.execute(f"SELECT * FROM mailbox {where}", params).fetchall()  # noqa: S608
    domains, allocated, result = {}, {}, []
    for row in rows:
        name = row["domain"]
        if name not in domains:
            domains[name] = domain_row(conn, name)
            allocated[name] = domain_usage(conn, name)[1]
        tags = tags_of(conn, "mailbox_tag", "username", row["username"])
        if wanted is not None and not any(w in tag for w in wanted for tag in tags):
            continue
        result.append(mailbox_details(row, domains[name], allocated[name], tags, reduced))
    return result


def get_mailbox(conn, username):
    rows = _mailbox_list(conn, "WHERE username = ?", (php.to_string(username),), False)
    return rows[0] if rows else {}


def get_mailboxes(conn, domains, reduced, tags_param=None):
    """all[/d1,d2]: per listed domain; a domain that does not exist yields every mailbox."""
    if not domains:
        return _mailbox_list(conn, "ORDER BY domain, username", (), reduced, tags_param)
    result = []
    for name in domains.split(","):
        name = idn_to_ascii(name)
        if domain_row(conn, name):
            result += _mailbox_list(conn, "WHERE domain = ? ORDER BY username", (name,), reduced, tags_param)
        else:
            result += _mailbox_list(conn, "ORDER BY username", (), reduced, tags_param)
    return result


def get_mailboxes_like(conn, pattern, tags_param):
    """get/mailbox/<text>?tags=: domain and tags matched as substrings, a list even when empty."""
    return _mailbox_list(conn, "WHERE domain LIKE ? ORDER BY username", (f"%{pattern}%",), False, tags_param)


def password_check(call, password, password2):
    log = ["password_check", None, None]
    if php.empty(password) or php.empty(password2):
        call.say("danger", log, "password_complexity")
        return False
    if php.to_string(password) != php.to_string(password2):
        call.say("danger", log, "password_mismatch")
        return False
    if len(php.to_string(password).encode()) < PASSWORD_MIN_LENGTH:
        call.say("danger", log, "password_complexity")
        return False
    return True


def _flags_from(data, base):
    flags = dict(base)
    for key in flags:
        if php.isset(data, key):
            flags[key] = php.intval(data[key])
    if php.isset(data, "protocol_access"):
        # (array) of a string is a list of one: "imap" alone switches the other protocols off.
        wanted = php.as_list(data["protocol_access"])
        for protocol in PROTOCOLS:
            flags[f"{protocol}_access"] = int(any(value is True or value == protocol for value in wanted))
    return flags


def display_name(value):
    """ltrim(rtrim($name, '>'), '<'): angle brackets go, spaces stay."""
    return string_arg(value).rstrip(">").lstrip("<")


def add_mailbox(call, conn, data):
    log = ["mailbox", "add", "mailbox", masked(data), None]
    data = data if isinstance(data, dict) else {}
    local_part = string_arg(data.get("local_part", "")).strip().lower()
    name = idn_to_ascii(data.get("domain", ""))
    username = f"{local_part}@{name}"
    quota_m = min(php.intval(text_of(data, "quota", 0)), MAX_QUOTA_MIB)
    if not local_part or not php.valid_email(username):
        call.say("danger", log, "mailbox_invalid")
        return
    if quota_m == 0 and not call.authenticated:
        call.say("danger", log, "unlimited_quota_acl")
        return
    category = php.to_string(text_of(data, "quarantine_category", "reject"))
    if category not in QUARANTINE_CATEGORIES:
        call.say("danger", log, "quarantine_category_invalid")
        return
    if not valid_domain_name(name):
        call.say("danger", log, "domain_invalid")
        return
    domain = domain_row(conn, name)
    if domain is None or not call.authenticated:
        call.say("danger", log, "access_denied")
        return
    if conn.execute("SELECT 1 FROM mailbox WHERE username = ?", (username,)).fetchone():
        call.say("danger", log, ["object_exists", username])
        return
    if conn.execute("SELECT 1 FROM alias WHERE address = ?", (username,)).fetchone():
        call.say("danger", log, ["is_alias", username])
        return
    if not password_check(call, data.get("password"), data.get("password2")):
        return
    count, allocated, _largest, _aliases = domain_usage(conn, name)
    if count >= domain["mailboxes"]:
        call.say("danger", log, ["max_mailbox_exceeded", count, domain["mailboxes"]])
        return
    if quota_m != 0 and quota_m > domain["maxquota"]:
        call.say("danger", log, ["mailbox_quota_exceeded", domain["maxquota"]])
        return
    if quota_m != 0 and allocated + quota_m * MIB > domain["quota"] * MIB:
        call.say("danger", log, ["mailbox_quota_left_exceeded", number((domain["quota"] * MIB - allocated) / MIB)])
        return
    stamp = now()
    attributes = {key: str(value) for key, value in _flags_from(data, MAILBOX_FLAGS).items()}
    attributes.update({"relayhost": str(php.intval(text_of(data, "relayhost", 0))), "passwd_update": stamp,
                       "mailbox_format": "maildir:",
                       "quarantine_notification": php.to_string(text_of(data, "quarantine_notification", "hourly")),
                       "quarantine_category": category, "attribute_hash": ""})
    display = display_name(text_of(data, "name", ""))
    conn.execute("INSERT INTO mailbox (username, local_part, domain, name, password, quota, active, attributes,"
                 " created, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (username, local_part, name, display, hash_password(php.to_string(data["password"])), quota_m * MIB,
                  php.intval(text_of(data, "active", 1)), json.dumps(attributes), stamp, stamp))
    cursor = conn.execute("INSERT INTO alias (address, goto, domain, is_mailbox, active, sogo_visible, internal,"
                          " sender_allowed, created) VALUES (?, ?, ?, 1, ?, 1, 0, 1, ?)",
                          (username, username, name, min(1, php.intval(text_of(data, "active", 1))), stamp))
    set_gotos(conn, cursor.lastrowid, [username])
    if isinstance(data.get("tags"), list):
        _add_tags(call, conn, "mailbox_tag", "username", username, _tag_list(data["tags"]), log, strict=False)
    save_rate_limit(call, conn, "mailbox", username, data)
    call.say("success", log, ["mailbox_added", username])


def edit_mailbox(call, conn, items, attr):
    log = ["mailbox", "edit", "mailbox", masked({"username": items, **attr}), None]
    for item in items:
        username = php.to_string(item) if not isinstance(item, (list, dict)) else ""
        if not php.valid_email(username):
            call.say("danger", log, ["username_invalid", item])
            continue
        row = conn.execute("SELECT * FROM mailbox WHERE username = ?", (username,)).fetchone()
        if row is None:
            call.say("danger", log, "access_denied")
            continue
        domain = domain_row(conn, row["domain"])
        quota = row["quota"]
        if php.isset(attr, "quota") and attr["quota"] != "":
            quota = min(php.intval(attr["quota"]), MAX_QUOTA_MIB) * MIB
            allocated = domain_usage(conn, row["domain"])[1]
            max_new = max(0, min(domain["maxquota"] * MIB, domain["quota"] * MIB - allocated + row["quota"]))
            if quota != 0 and quota > max_new:
                call.say("danger", log, ["mailbox_quota_left_exceeded", number(max_new / MIB)])
                continue
        attributes = json.loads(row["attributes"])
        password = None
        if not php.empty(attr.get("password")):
            if not password_check(call, attr.get("password"), attr.get("password2")):
                continue
            password = hash_password(php.to_string(attr["password"]))
            attributes["passwd_update"] = now()
        flags = _flags_from(attr, {key: php.intval(attributes[key]) for key in MAILBOX_FLAGS
                                   if key not in ("tls_enforce_in", "tls_enforce_out")})
        attributes.update({key: str(value) for key, value in flags.items()})
        if php.isset(attr, "relayhost"):
            attributes["relayhost"] = str(php.intval(attr["relayhost"]))
        attributes["attribute_hash"] = php.to_string(attr.get("attribute_hash", ""))
        attributes["recovery_email"] = (php.to_string(attr["pw_recovery_email"]) if php.isset(attr, "pw_recovery_email")
                                        else attributes.get("recovery_email"))
        active = php.intval(attr["active"]) if php.isset(attr, "active") else row["active"]
        display = display_name(attr["name"]) if not php.empty(attr.get("name")) else row["name"]
        changed = (active, display, quota, json.dumps(attributes)) != (
            row["active"], row["name"], row["quota"], row["attributes"]) or password
        if changed:
            conn.execute("UPDATE mailbox SET active = ?, name = ?, quota = ?, attributes = ?, modified = ?"
                         + (", password = ?" if password else "") + " WHERE username = ?",
                         (active, display, quota, json.dumps(attributes), now(),
                          *([password] if password else []), row["username"]))
            conn.execute("UPDATE alias SET active = ? WHERE address = ? AND is_mailbox = 1",
                         (min(1, active), row["username"]))
        if php.isset(attr, "tags"):
            _add_tags(call, conn, "mailbox_tag", "username", row["username"], _tag_list(attr["tags"]), log, strict=False)
        call.say("success", log, ["mailbox_modified", item])


def delete_mailboxes(call, conn, items):
    """As Mailcow: aliases whose whole goto is the mailbox go (any case); from longer goto lists
    only an entry of exactly the case sent is removed; the message echoes the address as sent."""
    log = ["mailbox", "delete", "mailbox", masked({"username": items}), None]
    for item in php.as_list(items):
        username = php.to_string(item) if not isinstance(item, (list, dict)) else ""
        row = conn.execute("SELECT username FROM mailbox WHERE username = ?", (username,)).fetchone() \
            if php.valid_email(username) else None
        if row is None:
            call.say("danger", log, "access_denied")
            continue
        conn.execute("DELETE FROM alias WHERE goto = ? COLLATE NOCASE", (username,))
        stamp = now()
        for (alias_id,) in conn.execute("SELECT alias_id FROM alias_goto WHERE goto = ?", (username,)).fetchall():
            alias = conn.execute("SELECT goto FROM alias WHERE id = ?", (alias_id,)).fetchone()
            gotos = alias["goto"].split(",")
            if username in gotos:
                gotos.remove(username)
                conn.execute("UPDATE alias SET goto = ?, modified = ? WHERE id = ?", (",".join(gotos), stamp, alias_id))
                set_gotos(conn, alias_id, gotos)
        conn.execute("DELETE FROM mailbox WHERE username = ?", (username,))
        call.say("success", log, ["mailbox_removed", html_escape(username)])


def delete_mailbox_tags(call, conn, username, tags):
    log = ["mailbox", "delete", "tags_mailbox", masked({"tags": tags, "username": username}), None]
    row = conn.execute("SELECT username FROM mailbox WHERE username = ?", (username,)).fetchone()
    if row is None:
        call.say("danger", log, "access_denied")
        return
    for tag in tags:
        conn.execute("DELETE FROM mailbox_tag WHERE username = ? AND tag = ?", (row["username"], php.to_string(tag)))
    call.say("success", log, ["mailbox_modified", row["username"]])


# ----------------------------------------------------------------------------------------------
# Aliases


def alias_details(row):
    return {
        "in_primary_domain": "", "id": row["id"], "domain": row["domain"],
        "public_comment": row["public_comment"], "private_comment": row["private_comment"],
        "goto": row["goto"], "address": row["address"], "is_catch_all": int(row["address"].startswith("@")),
        "internal": row["internal"], "active": row["active"], "active_int": row["active"],
        "sogo_visible": row["sogo_visible"], "sogo_visible_int": row["sogo_visible"],
        "sender_allowed": row["sender_allowed"], "created": row["created"], "modified": row["modified"],
    }


def get_alias(conn, key):
    row = alias_by_key(conn, key)
    return alias_details(row) if row else {}


def get_aliases(conn, domains):
    if not domains:
        rows = conn.execute("SELECT alias.* FROM domain JOIN alias ON alias.domain = domain.domain "
                            "WHERE alias.address != alias.goto ORDER BY domain.domain, alias.id").fetchall()
        return [alias_details(row) for row in rows]
    result = []
    for name in domains.split(","):
        rows = conn.execute("SELECT * FROM alias WHERE domain = ? AND address != goto ORDER BY id",
                            (idn_to_ascii(name),)).fetchall()
        result += [alias_details(row) for row in rows]
    return result


def idn_domain(name):
    """idn_to_ascii($name) with UTS46 as the alias code calls it: lower case, not trimmed; "" if impossible."""
    if not name:
        return ""
    if name.isascii():
        return name.lower()
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def _split_address(text):
    """Mailcow rebuilds `local@domain` with strstr(): no "@" gives an empty local part and domain."""
    local, at, domain = text.partition("@")
    if not at:
        return "", ""
    return local, idn_domain(domain)


def php_pieces(text):
    """array_map('trim', preg_split('/( |,|;|\\n)/', $text)): empty pieces kept; a tab separates nothing."""
    return [piece.strip(" \t\n\r\0\x0b") for piece in re.split(r"[ ,;\n]", text)]


def _special_goto(data):
    for flag, target in SPECIAL_GOTOS:
        if php.intval(text_of(data, flag, 0)) == 1:
            return target
    return None


def add_alias(call, conn, data):
    log = ["mailbox", "add", "alias", masked(data), None]
    data = data if isinstance(data, dict) else {}
    for key in ("private_comment", "public_comment"):
        if len(php.to_string(text_of(data, key, ""))) > 160:
            call.say("danger", log, "comment_too_long")
            return
    addresses = php_pieces(string_arg(text_of(data, "address", "")))
    pieces = php_pieces(string_arg(text_of(data, "goto", "")))
    flags = [php.intval(text_of(data, flag, 0)) for flag, _target in SPECIAL_GOTOS]
    if php.empty(addresses[0]):
        call.say("danger", log, "alias_empty")
        return
    if php.empty(pieces[0]) and sum(flags) == 0:
        call.say("danger", log, "goto_empty")
        return
    special = next((target for flag, (_name, target) in zip(flags, SPECIAL_GOTOS) if flag == 1), None)
    if special:
        goto_text, skip = special, pieces
    else:
        kept = []
        for index, goto in enumerate(pieces):
            if not php.empty(goto):
                local, domain = _split_address(goto)
                goto = f"{local}@{domain}"
                if not php.valid_email(goto):
                    call.say("danger", log, ["goto_invalid", html_escape(goto)])
                    continue
            if goto not in [value for _index, value in kept]:
                kept.append((index, goto))
        kept = [(index, goto) for index, goto in kept if not php.empty(goto)]
        if not kept:
            return
        goto_text = ",".join(goto for _index, goto in kept)
        # Mailcow's foreach by reference leaves $goto bound to the last piece: assigning the joined
        # list to $goto overwrites that entry, so an address equal to the last goto is not skipped.
        skip = [goto_text if index == len(pieces) - 1 else goto for index, goto in kept]
    for address in addresses:
        if php.empty(address) or address in skip:
            continue
        local, name = _split_address(address)
        address = f"{local}@{name}"
        domain = domain_row(conn, name) if name else None
        if domain is not None:
            if domain["aliases"] - domain_usage(conn, name)[3] == 0:
                call.say("danger", log, "max_alias_exceeded")
                return
        if conn.execute("SELECT 1 FROM alias WHERE address = ?", (address,)).fetchone():
            call.say("danger", log, ["is_alias_or_mailbox", html_escape(address)])
            continue
        if domain is None:
            call.say("danger", log, ["domain_not_found", html_escape(name)])
            continue
        if local and not php.valid_email(address):
            call.say("danger", log, ["alias_invalid", address])
            continue
        if not call.authenticated:
            call.say("danger", log, "access_denied")
            continue
        stored = address if php.valid_email(address) else f"@{name}"
        cursor = conn.execute(
            "INSERT INTO alias (address, goto, domain, active, sogo_visible, internal, sender_allowed,"
            " public_comment, private_comment, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (stored, goto_text, name, php.intval(text_of(data, "active", 0)),
             php.intval(text_of(data, "sogo_visible", 0)), php.intval(text_of(data, "internal", 0)),
             php.intval(text_of(data, "sender_allowed", 0)),
             php.to_string(data["public_comment"]) if php.isset(data, "public_comment") else None,
             php.to_string(data["private_comment"]) if php.isset(data, "private_comment") else None, now()))
        set_gotos(conn, cursor.lastrowid, goto_text.split(","))
        call.say("success", log, ["alias_added", address, str(cursor.lastrowid)])
        # After the first insert Mailcow reuses $gotos for the SOGo update: the full list again.
        skip = [goto.strip() for goto in goto_text.split(",")]


def edit_alias(call, conn, items, attr):
    log = ["mailbox", "edit", "alias", masked({"id": items, **attr}), None]
    previous = None
    for item in items:
        row = alias_by_key(conn, item)
        if row is None:
            call.say("danger", log, ["alias_invalid", previous])
            continue
        values = {key: php.intval(attr[key]) if php.isset(attr, key) else row[key]
                  for key in ("internal", "active", "sender_allowed", "sogo_visible")}
        for key in ("public_comment", "private_comment"):
            values[key] = php.to_string(attr[key]) if php.isset(attr, key) else row[key]
        goto_text = string_arg(attr["goto"]) if not php.empty(attr.get("goto")) else row["goto"]
        address = string_arg(attr["address"]) if not php.empty(attr.get("address")) else row["address"]
        previous = address
        local, name = _split_address(address)
        if row["address"] != address:
            address = f"{local}@{name}"
            # hasDomainAccess(): a valid name of an existing domain, compared case-insensitively.
            if not is_valid_domain_name(name) or not conn.execute(
                    "SELECT 1 FROM domain WHERE domain = ? COLLATE NOCASE", (name,)).fetchone():
                call.say("danger", log, "access_denied")
                continue
            if local and not php.valid_email(address):
                call.say("danger", log, ["alias_invalid", address])
                continue
            if row["address"].lower() != address.lower() and conn.execute(
                    "SELECT 1 FROM alias WHERE address = ?", (address,)).fetchone():
                call.say("danger", log, ["is_alias_or_mailbox", html_escape(address)])
                continue
        special = _special_goto(attr)
        if special:
            goto_text = special
        else:
            kept = []
            for goto in php_pieces(goto_text):
                if not php.empty(goto):
                    if not php.valid_email(goto):
                        call.say("danger", log, ["goto_invalid", goto])
                        continue
                    if goto == address:
                        call.say("danger", log, "alias_goto_identical")
                        continue
                if goto not in kept:
                    kept.append(goto)
            goto_text = ",".join(goto for goto in kept if not php.empty(goto))
        if goto_text:
            new = {"address": address, "domain": name, "goto": goto_text, **values}
            if any(new[key] != row[key] for key in new):
                conn.execute("UPDATE alias SET " + ", ".join(f"{key} = ?" for key in new) + ", modified = ? WHERE id = ?",
                             (*new.values(), now(), row["id"]))
                set_gotos(conn, row["id"], goto_text.split(","))
        call.say("success", log, ["alias_modified", html_escape(address)])


def delete_aliases(call, conn, items):
    log = ["mailbox", "delete", "alias", masked({"id": items}), None]
    for item in php.as_list(items):
        row = alias_by_key(conn, item)
        if row is None:
            call.say("danger", log, "access_denied")
            continue
        conn.execute("DELETE FROM alias WHERE id = ?", (row["id"],))
        call.say("success", log, ["alias_removed", row["address"]])


# ----------------------------------------------------------------------------------------------
# DKIM


def generate_rsa(bits):
    """(base64 DER public key, PEM private key) of a new RSA key, or None if OpenSSL refuses the size."""
    if not 512 <= bits <= 16384:
        return None
    if bits < 1024:
        # OpenSSL (PHP's openssl_pkey_new) still makes them; the cryptography package refuses them.
        pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}"],
                             capture_output=True, check=True).stdout
        key = serialization.load_pem_private_key(pem, password=None)
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    return base64.b64encode(public).decode(), private.decode()


def _valid_selector(selector):
    return bool(re.fullmatch(r"[A-Za-z0-9]+", re.sub(r"[-_.]", "", selector)))


def is_valid_domain_name(name):
    """is_valid_domain_name(): the IDN check on the ASCII form of the name, which itself stays as sent."""
    if php.empty(name):
        return False
    try:
        ascii_name = name if name.isascii() else name.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return valid_domain_name(ascii_name)


def add_dkim(call, conn, data, generate=generate_rsa):
    """DKIM keys live under the domain exactly as sent (trimmed only): no lower case, no punycode."""
    log = ["dkim", "add", masked(data)]
    data = data if isinstance(data, dict) else {}
    selector = php.to_string(text_of(data, "dkim_selector", "dkim"))
    bits = php.intval(data.get("key_size", 0))
    names = [name.strip() for name in re.split(r"[ ,;\n]", string_arg(data.get("domains", "")))]
    for name in [name for name in names if not php.empty(name)]:
        exists = conn.execute("SELECT 1 FROM dkim WHERE domain = ?", (name,)).fetchone()
        if not is_valid_domain_name(name) or exists or not _valid_selector(selector):
            call.say("danger", log, ["dkim_domain_or_sel_invalid", name])
            continue
        # hasDomainAccess(): the domain column compares case-insensitively (utf8mb4_general_ci).
        if not call.authenticated or not conn.execute("SELECT 1 FROM domain WHERE domain = ? COLLATE NOCASE",
                                                      (name,)).fetchone():
            call.say("danger", log, ["access_denied", name])
            continue
        keys = generate(bits)
        if keys is None:
            call.say("danger", log, ["dkim_domain_or_sel_invalid", name])
            continue
        conn.execute("INSERT INTO dkim (domain, selector, pubkey, privkey) VALUES (?, ?, ?, ?)", (name, selector, *keys))
        call.say("success", log, ["dkim_added", name])


def _length_label(pubkey):
    """Mailcow guesses the key size from the length of the base64 public key."""
    for limit, label in ((391, "1024"), (564, "2048"), (736, "3072"), (1416, "4096")):
        if len(pubkey) < limit:
            return label
    return ">= 8192"


def get_dkim(conn, name):
    row = conn.execute("SELECT * FROM dkim WHERE domain = ?", (name,)).fetchone() if name else None
    if row is None:
        return {}
    return {"pubkey": row["pubkey"], "length": _length_label(row["pubkey"]),
            "dkim_txt": "v=DKIM1;k=rsa;t=s;s=email;p=" + row["pubkey"], "dkim_selector": row["selector"], "privkey": ""}


def delete_dkim(call, conn, items):
    log = ["dkim", "delete", masked({"domains": items})]
    for item in php.as_list(items):
        name = php.to_string(item)
        if not is_valid_domain_name(name):
            call.say("danger", log, ["dkim_domain_or_sel_invalid", name])
            continue
        conn.execute("DELETE FROM dkim WHERE domain = ?", (name,))
        call.say("success", log, ["dkim_removed", html_escape(name)])


def html_escape(text):
    """htmlspecialchars() with PHP 8's defaults."""
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&#039;")
            .replace("<", "&lt;").replace(">", "&gt;"))
