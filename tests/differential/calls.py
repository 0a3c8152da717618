"""Random, seeded Mailcow API call sequences for the differential test.

`sequence(seed)` is the same list of calls for the same seed, on every machine. The calls work on
a small pool of names, so that they meet each other (a mailbox in a domain just added, an alias
pointing at a mailbox just deleted), and mix valid input with the invalid kinds the real server
treats in its own way: null, numbers as strings, untrimmed and upper-case names, wrong separators,
too big numbers, lists where strings belong.

Extension point: GENERATORS maps an operation name to (weight, function(rng) -> Call). Another API
surface (app passwords, domain admins) registers its own operations there and its listings in
STATE_READS; nothing else needs to change.
"""

import json
import random
from urllib.parse import urlencode
from dataclasses import dataclass

DOMAINS = ["fz-a.test", "fz-b.test"]
# Spellings of the pool's domains and names that are not in it: the real server's answers to
# them are the point (case, spaces, punycode, invalid).
DOMAIN_VARIANTS = ["FZ-A.test", " fz-a.test ", "fz-c.test", "bücher.test", "xn--bcher-kva.test", "bad_domain",
                   "", "fz-a"]
LOCALS = ["info", "desk", "Info", "sales"]
PASSWORDS = ["Fz-Passw0rd-1", "Fz-Passw0rd-2", "short", ""]
# Numbers beyond 64 bits only where the emulator follows PHP (sandbox/mailcow_api/__init__.py).
NUMBERS = [0, 1, 2, 5, 10, 512, 1024, 2048, 4096, -1, "1024", "abc", None, 3.5, True]
FLAGS = [0, 1, "1", "0", None, 2, "yes"]


@dataclass
class Call:
    method: str
    path: str
    body: object = None  # a JSON value, or a str sent as is
    content_type: str | None = "application/json"

    @property
    def is_write(self):
        return self.method == "POST"

    def data(self):
        if self.body is None:
            return None
        return (self.body if isinstance(self.body, str) else json.dumps(self.body)).encode()

    def describe(self):
        body = "" if self.body is None else " " + (self.body if isinstance(self.body, str) else json.dumps(self.body))
        return f"{self.method} /api/v1/{self.path}{body}" + (
            "" if self.content_type in ("application/json", None) else f" ({self.content_type})")


def pick(rng, values):
    return values[rng.randrange(len(values))]


def domain_name(rng):
    return pick(rng, DOMAINS) if rng.random() < 0.8 else pick(rng, DOMAIN_VARIANTS)


def address(rng):
    local = pick(rng, LOCALS)
    return f"{local}@{domain_name(rng).strip() if rng.random() < 0.8 else domain_name(rng)}"


def some(rng, fields):
    """A random subset of fields (name -> value generator), each value drawn now."""
    return {name: make(rng) for name, make in fields.items() if rng.random() < 0.35}


def goto_list(rng):
    targets = [address(rng) for dummy in range(rng.randint(1, 3))]
    if rng.random() < 0.15:
        targets.append(pick(rng, ["not-an-address", "x@bad_domain", "null@localhost"]))
    separator = pick(rng, [",", ", ", ";", " ", "\n", "\t", ",,"])
    text = separator.join(targets)
    return separator + text if rng.random() < 0.1 else text


DOMAIN_FIELDS = {
    "description": lambda rng: pick(rng, ["Fuzz domain", "", None, " spaced ", 7]),
    "aliases": lambda rng: pick(rng, NUMBERS),
    "mailboxes": lambda rng: pick(rng, NUMBERS),
    "defquota": lambda rng: pick(rng, NUMBERS),
    "maxquota": lambda rng: pick(rng, NUMBERS),
    "quota": lambda rng: pick(rng, NUMBERS),
    "active": lambda rng: pick(rng, FLAGS),
    "gal": lambda rng: pick(rng, FLAGS),
    "backupmx": lambda rng: pick(rng, FLAGS),
    "relay_all_recipients": lambda rng: pick(rng, FLAGS),
    "tags": lambda rng: pick(rng, [["a"], ["a", "b"], "x", [], None]),
}

MAILBOX_FIELDS = {
    "name": lambda rng: pick(rng, ["Desk", " Desk ", "<Desk>", "", None, "A <b> c"]),
    "quota": lambda rng: pick(rng, NUMBERS),
    "active": lambda rng: pick(rng, FLAGS),
    "force_pw_update": lambda rng: pick(rng, FLAGS),
    "sogo_access": lambda rng: pick(rng, FLAGS),
    "protocol_access": lambda rng: pick(rng, [["imap", "smtp"], "imap", [], None]),
    "tags": lambda rng: pick(rng, [["t1"], ["t1", "t2"], "x", None]),
}

ALIAS_FIELDS = {
    "active": lambda rng: pick(rng, FLAGS),
    "sogo_visible": lambda rng: pick(rng, FLAGS),
    "private_comment": lambda rng: pick(rng, ["note", "", None]),
    "public_comment": lambda rng: pick(rng, ["note", None]),
    "goto_null": lambda rng: pick(rng, [1, 0, None]),
}


def add_domain(rng):
    body = {"domain": domain_name(rng), "key_size": pick(rng, [1024, 1024, 2048, 0, 512]),
            **some(rng, DOMAIN_FIELDS)}
    return Call("POST", "add/domain", body)


def edit_domain(rng):
    attr = some(rng, DOMAIN_FIELDS)
    if rng.random() < 0.1:
        attr[pick(rng, ["aliases", "quota", "maxquota"])] = 10**19
    return Call("POST", "edit/domain", {"items": [domain_name(rng)], "attr": attr})


def delete_domain(rng):
    return Call("POST", "delete/domain", [domain_name(rng)])


def add_mailbox(rng):
    password = pick(rng, PASSWORDS)
    body = {"local_part": pick(rng, LOCALS + [" spaced ", ""]), "domain": domain_name(rng), "password": password,
            "password2": password if rng.random() < 0.85 else "Other-Passw0rd", **some(rng, MAILBOX_FIELDS)}
    return Call("POST", "add/mailbox", body)


def edit_mailbox(rng):
    attr = some(rng, MAILBOX_FIELDS)
    if rng.random() < 0.2:
        attr["password"] = attr["password2"] = pick(rng, PASSWORDS)
    return Call("POST", "edit/mailbox", {"items": [address(rng)], "attr": attr})


def delete_mailbox(rng):
    return Call("POST", "delete/mailbox", [address(rng)])


def add_alias(rng):
    return Call("POST", "add/alias", {"address": address(rng), "goto": goto_list(rng), **some(rng, ALIAS_FIELDS)})


def alias_key(rng):
    return pick(rng, [address(rng), address(rng), str(rng.randint(1, 12)), rng.randint(1, 12)])


def edit_alias(rng):
    attr = some(rng, ALIAS_FIELDS)
    if rng.random() < 0.6:
        attr["goto"] = goto_list(rng)
    if rng.random() < 0.15:
        attr["address"] = address(rng)
    return Call("POST", "edit/alias", {"items": [alias_key(rng)], "attr": attr})


def delete_alias(rng):
    return Call("POST", "delete/alias", [alias_key(rng)])


def add_dkim(rng):
    return Call("POST", "add/dkim", {"domains": domain_name(rng), "dkim_selector": pick(rng, ["dkim", "s2026", "bad sel"]),
                                     "key_size": pick(rng, [1024, 2048, 512, 768, 0])})


def delete_dkim(rng):
    return Call("POST", "delete/dkim", [domain_name(rng)])


# App passwords and domain administrators (sandbox/mailcow_api/ACCOUNTS.md). Their domains stay within
# spellings the emulator follows (no IDN: the real code looks an IDN domain up by its punycode but
# stores the spelling sent).
ADMIN_DOMAINS = DOMAINS + ["FZ-A.test", "fz-c.test"]
APP_NAMES = ["phone", "phone", "tablet", " spaced ", "<b>x</b>", "", 7]
APP_PROTOCOLS = [["imap_access", "smtp_access"], ["dav_access"], ["imap"], "eas_access", []]
ADMIN_NAMES = ["fzadmin", "fzadmin", "FzAdmin ", "fz.admin-1", "x+y", "info@fz-a.test", "admin", ""]


def password_pair(rng, first, second):
    password = pick(rng, PASSWORDS)
    return {first: password, second: password if rng.random() < 0.85 else "Other-Passw0rd"}


def add_app_passwd(rng):
    body = {"username": address(rng), "app_name": pick(rng, APP_NAMES), "protocols": pick(rng, APP_PROTOCOLS),
            **password_pair(rng, "app_passwd", "app_passwd2")}
    if rng.random() < 0.8:
        body["active"] = pick(rng, [1, 1, 0, "1"])
    return Call("POST", "add/app-passwd", body)


def app_passwd_ids(rng):
    return [str(rng.randint(1, 6)) for dummy in range(rng.randint(1, 2))]


def edit_app_passwd(rng):
    attr = {}
    if rng.random() < 0.85:
        attr["username"] = address(rng)
    if rng.random() < 0.5:
        attr["protocols"] = pick(rng, APP_PROTOCOLS)
    if rng.random() < 0.3:
        attr["active"] = pick(rng, [0, 1])
    if rng.random() < 0.3:
        attr.update(password_pair(rng, "app_passwd", "app_passwd2"))
    return Call("POST", "edit/app-passwd", {"items": app_passwd_ids(rng), "attr": attr})


def delete_app_passwd(rng):
    return Call("POST", "delete/app-passwd", app_passwd_ids(rng))


def admin_domains(rng):
    return pick(rng, [[pick(rng, ADMIN_DOMAINS)], list(DOMAINS), [], pick(rng, DOMAINS)])


def add_domain_admin(rng):
    body = {"username": pick(rng, ADMIN_NAMES), "domains": admin_domains(rng), **password_pair(rng, "password", "password2")}
    if rng.random() < 0.8:
        body["active"] = pick(rng, [1, 1, 0])
    return Call("POST", "add/domain-admin", body)


def edit_domain_admin(rng):
    attr = {}
    if rng.random() < 0.5:
        attr["domains"] = admin_domains(rng)
    if rng.random() < 0.4:
        attr["active"] = pick(rng, [0, 1])
    if rng.random() < 0.3:
        attr.update(password_pair(rng, "password", "password2"))
    return Call("POST", "edit/domain-admin", {"items": [pick(rng, ADMIN_NAMES[:4])], "attr": attr})


def delete_domain_admin(rng):
    return Call("POST", "delete/domain-admin", [pick(rng, ADMIN_NAMES[:4])])


def get_one(rng):
    kind = pick(rng, ["domain", "mailbox", "alias", "dkim"])
    key = {"domain": domain_name, "dkim": domain_name, "mailbox": address, "alias": alias_key}[kind](rng)
    return Call("GET", f"get/{kind}/{key}".replace(" ", "%20"), content_type=None)


def odd_request(rng):
    """The request shapes json_api.php handles in its own way: a GET with a body, a form, bad JSON."""
    call = pick(rng, [add_domain, add_alias, edit_alias, delete_alias])(rng)
    kind = pick(rng, ["get-with-body", "form", "bad-json"])
    if kind == "get-with-body":
        return Call("GET", call.path, call.body)
    if kind == "bad-json":
        return Call("POST", call.path, json.dumps(call.body)[:-1])
    field = "items" if call.path.startswith("delete/") else "attr"
    if call.path.startswith("edit/"):
        form = {"items": json.dumps(call.body["items"]), "attr": json.dumps(call.body["attr"])}
    else:
        form = {field: json.dumps(call.body)}
    return Call("POST", call.path, urlencode(form), "application/x-www-form-urlencoded")


GENERATORS = {
    "add/domain": (8, add_domain), "edit/domain": (5, edit_domain), "delete/domain": (3, delete_domain),
    "add/mailbox": (8, add_mailbox), "edit/mailbox": (5, edit_mailbox), "delete/mailbox": (3, delete_mailbox),
    "add/alias": (8, add_alias), "edit/alias": (5, edit_alias), "delete/alias": (3, delete_alias),
    "add/dkim": (3, add_dkim), "delete/dkim": (2, delete_dkim), "get": (4, get_one), "odd": (2, odd_request),
    "add/app-passwd": (4, add_app_passwd), "edit/app-passwd": (3, edit_app_passwd),
    "delete/app-passwd": (2, delete_app_passwd), "add/domain-admin": (3, add_domain_admin),
    "edit/domain-admin": (2, edit_domain_admin), "delete/domain-admin": (2, delete_domain_admin),
}

# Listings that make up "the full state", read after every write.
STATE_READS = ["get/domain/all", "get/mailbox/all", "get/alias/all",
               *[f"get/dkim/{name}" for name in DOMAINS + ["FZ-A.test", "fz-c.test", "xn--bcher-kva.test"]],
               "get/domain-admin/all", *[f"get/app-passwd/all/{local}@{DOMAINS[0]}" for local in ("info", "desk")]]


def sequence(seed, length=60):
    rng = random.Random(seed)
    names = list(GENERATORS)
    weights = [GENERATORS[name][0] for name in names]
    return [GENERATORS[rng.choices(names, weights)[0]][1](rng) for dummy in range(length)]
