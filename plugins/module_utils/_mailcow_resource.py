# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this module_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""Normalisers, reads of every Mailcow object, and the one read-compare-write routine of the modules."""

from __future__ import annotations

import re
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow import (
    MAILCOW_ARGSPEC,
    READ_RETRY_DELAYS,
    MailcowClient,
    MailcowError,
)

MIB = 1024 * 1024
SPECIAL_DESTINATIONS = {"null@localhost": "goto_null", "spam@localhost": "goto_spam", "ham@localhost": "goto_ham"}
# Mailcow splits goto and address lists on these.
LIST_SEPARATORS = re.compile(r"[\s,;]+")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
LOCAL_PART_RE = re.compile(r"^[^@\s,;<>()\[\]\\\"]+$")
SECRET_PLACEHOLDER = "(changed)"
# The options of an object whose password Mailcow never returns (doc fragment _mailcow.WRITE_ONLY_PASSWORD).
PASSWORD_ARGSPEC = dict(
    password=dict(type="str", no_log=True),
    update_password=dict(type="str", choices=["on_create", "always"], default="on_create", no_log=False),
)


class ResourceError(Exception):
    """A failure found by the module itself (bad input, a missing prerequisite); the message is complete."""


# ---------------------------------------------------------------------------------------------
# Normalisers: one canonical shape for what Mailcow returns and what the user writes.

def to_bool(value):
    """Mailcow flags arrive as 1/0, "1"/"0" (and 2 = "no login" for mailboxes); users write true/false."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    text = str(value).strip().lower()
    if text.lstrip("-").isdigit():
        return int(text) == 1
    return text in ("true", "yes", "on")


def to_int(value):
    """Numbers arrive as ints or numeric strings ("3072"); anything else is not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.lstrip("-").isdigit() else None


def bytes_to_mib(value):
    """GET returns quotas in bytes (int or string); everything the user sees is MiB. Integer arithmetic only."""
    number = to_int(value)
    return None if number is None else number // MIB


def lower(value):
    return None if value is None else str(value).strip().lower()


def split_list(value):
    """A goto/address list as Mailcow parses it: a string split on commas, spaces, semicolons, newlines."""
    if value is None:
        return []
    items = value if isinstance(value, list) else LIST_SEPARATORS.split(str(value))
    return [str(i).strip() for i in items if str(i).strip()]


def address_list(value):
    """Order and case do not matter in goto lists: sorted, lower-cased, without duplicates."""
    return sorted({lower(i) for i in split_list(value)})


def tag_list(value):
    """Tags are a set; Mailcow leaves the key out when there are none."""
    return sorted({str(t) for t in (value or [])})


def is_domain(value):
    return bool(value) and DOMAIN_RE.match(value) is not None


def is_address(value, allow_catch_all=False):
    local, sep, domain = (value or "").rpartition("@")
    if not sep or not is_domain(domain):
        return False
    return (allow_catch_all and local == "") or LOCAL_PART_RE.match(local) is not None


def require_address(option, value, allow_catch_all=False):
    if not is_address(value, allow_catch_all):
        raise ResourceError("%s: %r is not an e-mail address%s" % (
            option, value, " or a catch-all @domain" if allow_catch_all else ""))


def require_domain(option, value):
    if not is_domain(value):
        raise ResourceError("%s: %r is not a valid domain name" % (option, value))


def require_min(params, options, minimum):
    for option in options:
        if params.get(option) is not None and params[option] < minimum:
            raise ResourceError("%s must be at least %d, got %d" % (option, minimum, params[option]))


def to_api(values):
    """Option values as Mailcow takes them: flags as 0/1, the rest unchanged."""
    return {k: (int(v) if isinstance(v, bool) else v) for k, v in values.items()}


# ---------------------------------------------------------------------------------------------
# Reads: one request each, the result in the modules' option names and units.

def normalise_domain(raw):
    return {
        "domain": lower(raw.get("domain_name")),
        "description": raw.get("description") or "",
        "aliases": to_int(raw.get("max_num_aliases_for_domain")),
        "mailboxes": to_int(raw.get("max_num_mboxes_for_domain")),
        "defquota": bytes_to_mib(raw.get("def_quota_for_mbox")),
        "maxquota": bytes_to_mib(raw.get("max_quota_for_mbox")),
        "quota": bytes_to_mib(raw.get("max_quota_for_domain")),
        "active": to_bool(raw.get("active")),
        "gal": to_bool(raw.get("gal")),
        "backupmx": to_bool(raw.get("backupmx")),
        "relay_all_recipients": to_bool(raw.get("relay_all_recipients")),
        "tags": tag_list(raw.get("tags")),
    }


def normalise_mailbox(raw):
    attributes = raw.get("attributes") or {}
    return {
        "address": lower(raw.get("username")),
        "local_part": lower(raw.get("local_part")),
        "domain": lower(raw.get("domain")),
        "name": raw.get("name") or "",
        "quota": bytes_to_mib(raw.get("quota")),
        "active": to_bool(raw.get("active")),
        "force_pw_update": to_bool(attributes.get("force_pw_update")),
        "sogo_access": to_bool(attributes.get("sogo_access")),
        "tags": tag_list(raw.get("tags")),
    }


def normalise_alias(raw):
    return {
        "id": to_int(raw.get("id")),
        "address": lower(raw.get("address")),
        "goto": address_list(raw.get("goto")),
        "active": to_bool(raw.get("active")),
        "sogo_visible": to_bool(raw.get("sogo_visible")),
    }


def normalise_dkim(domain, raw):
    selector = raw.get("dkim_selector")
    return {
        "domain": domain,
        "selector": selector,
        # Mailcow guesses the length from the key, as a string ("2048", or ">= 8192").
        "key_size": to_int(raw.get("length")),
        "record_name": "%s._domainkey.%s" % (selector, domain),
        "record_value": raw.get("dkim_txt"),
    }


def _as_list(data):
    if data is None:
        return []
    return data if isinstance(data, list) else [data]


def fetch_domain(client, domain):
    """The raw GET record of a domain, or None."""
    raw = client.get(["domain", domain], "domain %s" % domain)
    # An alias-domain name returns its target domain's record: only an exact match counts.
    if not isinstance(raw, dict) or lower(raw.get("domain_name")) != domain:
        return None
    return raw


def read_domain(client, domain):
    raw = fetch_domain(client, domain)
    return None if raw is None else normalise_domain(raw)


def read_mailbox(client, address):
    raw = client.get(["mailbox", address], "mailbox %s" % address)
    if not isinstance(raw, dict) or lower(raw.get("username")) != address:
        return None
    return normalise_mailbox(raw)


def read_alias(client, address):
    raw = client.get(["alias", address], "alias %s" % address)
    # The path element matches id OR address, so "1x@d" can return the alias with id 1.
    if not isinstance(raw, dict) or lower(raw.get("address")) != address:
        return None
    return normalise_alias(raw)


def read_dkim(client, domain):
    raw = client.get(["dkim", domain], "DKIM key of %s" % domain)
    if not isinstance(raw, dict) or not raw.get("dkim_selector"):
        return None
    return normalise_dkim(domain, raw)


def list_domains(client):
    return [normalise_domain(r) for r in _as_list(client.get(["domain", "all"], "domain list"))]


def list_mailboxes(client, domain=None):
    if domain is None:
        raw = client.get(["mailbox", "all"], "mailbox list")
    else:
        raw = client.get(["mailbox", "all", domain], "mailbox list of %s" % domain)
    found = [normalise_mailbox(r) for r in _as_list(raw)]
    # An unknown domain makes Mailcow return the mailboxes of every domain.
    return [m for m in found if domain is None or m["domain"] == domain]


def list_aliases(client, domain=None):
    if domain is None:
        raw = client.get(["alias", "all"], "alias list")
    else:
        raw = client.get(["alias", "all", domain], "alias list of %s" % domain)
    found = [normalise_alias(r) for r in _as_list(raw)]
    return [a for a in found if domain is None or a["address"].rpartition("@")[2] == domain]


# ---------------------------------------------------------------------------------------------
# The shared read-compare-write routine.

class Write:
    """One POST the plan needs: the route ("edit/mailbox"), its body, and the verb for messages."""

    def __init__(self, route, body, operation, path_elements=()):
        self.route = route
        self.body = body
        self.operation = operation
        self.path_elements = tuple(path_elements)


def tag_writes(category, ident, current_tags, wanted_tags):
    """(writes removing the tags no longer wanted, tags to append with the edit).

    Mailcow's edit only appends tags (a domain tag sent twice even crashes the request), and
    removal has its own route.
    """
    extra = sorted(set(current_tags) - set(wanted_tags))
    missing = sorted(set(wanted_tags) - set(current_tags))
    return [Write("delete/%s/tag" % category, extra, "update", [ident])] if extra else [], missing


class Resource:
    """What a module tells the shared routine about its object type.

    ``params`` are the module parameters; ``desired()`` returns only the options the user set,
    normalised like the reads. Objects are dicts in the option names and units (see normalise_*).
    """

    kind = None

    def __init__(self, params):
        self.params = params
        # What the result's msg should tell beyond changed/diff (a prediction's assumptions).
        self.notes = []

    def validate(self):
        """Raise ResourceError for bad input; runs before any request."""

    def identity(self):
        raise NotImplementedError

    def describe(self, ident):
        """The object as error messages name it."""
        return "%s %s" % (self.kind, ident)

    def read(self, client, ident):
        raise NotImplementedError

    def desired(self):
        raise NotImplementedError

    def plan_create(self, client, ident, desired):
        """(predicted object, [Write]) for an object that does not exist yet."""
        raise NotImplementedError

    def plan_update(self, client, ident, current, delta, secrets):
        """[Write] turning ``current`` into ``current | delta`` (and sending the write-only ``secrets``)."""
        raise NotImplementedError

    def plan_delete(self, client, ident, current):
        """([Write], [warning]) removing the object."""
        raise NotImplementedError

    def predict(self, current, delta):
        """The object as it will be after the update."""
        return dict(current, **delta)

    def write_only_changes(self, current):
        """Options Mailcow never returns that must be sent anyway: {option: placeholder shown in the diff}."""
        return {}

    def require_for_create(self, ident, options):
        """Options the user may leave out to manage an existing object, but not to create one."""
        for option in options:
            if self.params[option] is None:
                raise ResourceError("cannot create %s: %s is required to create it" % (self.describe(ident), option))


def password_resend(params):
    """write_only_changes() of an object with a password: resent on every run under update_password=always."""
    if params["update_password"] == "always" and params["password"] is not None:
        return {"password": SECRET_PLACEHOLDER}
    return {}


def _matches(obj, desired):
    return obj is not None and all(obj.get(k) == v for k, v in desired.items())


def _apply(client, resource, ident, writes, settled, before):
    """Run the writes; after a failure, re-read and accept the outcome if the object is as wanted.

    A write that took effect is never sent again: a dropped connection after Mailcow applied an add
    would otherwise create a duplicate or fail with "exists". Only when the outcome was unknown (no
    answer, server error, empty answer) and the re-read shows that nothing changed is the plan sent
    again, at most twice more, after the same pauses as a read. Returns (the object read back, whether it changed).
    """
    attempt = 0
    while True:
        try:
            for write in writes:
                client.write(write.route, write.body, write.operation, resource.describe(ident), write.path_elements)
        except MailcowError as exc:
            try:
                after = resource.read(client, ident)
            except MailcowError:
                raise exc
            if settled(after):
                return after, exc.outcome_unknown
            if not exc.outcome_unknown or after != before or attempt >= len(READ_RETRY_DELAYS):
                raise exc
            time.sleep(READ_RETRY_DELAYS[attempt])
            attempt += 1
            continue
        return resource.read(client, ident), True


def ensure(client, resource, check_mode, diff):
    """Read once, compare only what the user set, write unless in check mode; returns the result dict."""
    params = resource.params
    resource.validate()
    ident = resource.identity()
    current = resource.read(client, ident)
    kind = resource.kind
    result = {"changed": False}

    if params["state"] == "absent":
        before, after = current or {}, {}
        if current is not None:
            writes, warnings = resource.plan_delete(client, ident, current)
            client.warnings.extend(warnings)
            result["changed"] = True
            if not check_mode:
                _gone, result["changed"] = _apply(client, resource, ident, writes,
                                                  lambda obj: obj is None, current)
        result[kind] = {}
    else:
        desired = resource.desired()
        if current is None:
            predicted, writes = resource.plan_create(client, ident, desired)
            secrets = {}
        else:
            delta = {k: v for k, v in desired.items() if current.get(k) != v}
            secrets = resource.write_only_changes(current)
            predicted = resource.predict(current, delta) if delta else current
            writes = resource.plan_update(client, ident, current, delta, secrets) if delta or secrets else []

        def settled(obj):
            # A write-only value cannot be read back, so a lost answer leaves its fate unknown.
            return not secrets and _matches(obj, desired)

        before = current or {}
        after = predicted
        if writes:
            result["changed"] = True
            if not check_mode:
                final, result["changed"] = _apply(client, resource, ident, writes, settled, current)
                differing = sorted(k for k, v in desired.items() if final is None or final.get(k) != v)
                if differing:
                    # Mailcow reports some edits as successful that it silently dropped.
                    raise ResourceError("cannot %s %s: Mailcow reported success, but reading it back still shows "
                                        "different %s" % ("create" if current is None else "update",
                                                          resource.describe(ident), ", ".join(differing)))
                after = final
                result["changed"] = result["changed"] or bool(secrets)
        result[kind] = after
        if secrets:
            after = dict(after, **secrets)
    if resource.notes:
        result["msg"] = "; ".join(resource.notes)
    if diff:
        result["diff"] = {"before": before, "after": after}
    return result


def connection_argspec(**options):
    spec = dict(MAILCOW_ARGSPEC)
    spec.update(options)
    return spec


def run_mailcow_module(argument_spec, work, **validation):
    """Run a module with the connection options; ``work(client, params, check_mode, diff)`` returns the result."""
    module = AnsibleModule(argument_spec=connection_argspec(**argument_spec), supports_check_mode=True, **validation)
    try:
        client = MailcowClient.from_params(module.params, module.check_mode)
    except ValueError as exc:
        module.fail_json(msg=str(exc), changed=False)
    try:
        result = work(client, module.params, module.check_mode, module._diff)
    except (MailcowError, ResourceError) as exc:
        # A plan of several writes (replace a DKIM key, sync tags) can fail after a first one took effect.
        result = {"failed": True, "changed": client.writes_done > 0, "msg": str(exc)}
    for warning in client.warnings:
        module.warn(warning)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


def run_state_module(resource_class, argument_spec, **validation):
    """Run a module that ensures one object is present or absent."""
    run_mailcow_module(argument_spec,
                       lambda client, params, check_mode, diff: ensure(client, resource_class(params), check_mode, diff),
                       **validation)


def run_info_module(key, argument_spec, fetch):
    """Run an _info module: ``fetch(client, params)`` returns the list put under ``key``."""
    run_mailcow_module(argument_spec, lambda client, params, check_mode, diff: {"changed": False, key: fetch(client, params)})
