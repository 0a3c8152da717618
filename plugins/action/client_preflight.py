# -*- coding: utf-8 -*-

# Copyright: (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every decision of the client role: the check of a client definition and every name derived from it.

The documentation lives in plugins/modules/client_preflight.py, as for ansible.builtin's
action-backed modules. The role's variables are read by the names, and converted by the types, of
roles/client/meta/argument_specs.yml: the role's documented interface is the one source of both.
Each concern is one function below; a new check is one more function in ``problems()``.
"""

from __future__ import annotations

import functools
import os
import re

import yaml

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.securenexus.provisioning.plugins.module_utils._erpnext_setup import company_errors

ROLE_SPEC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "roles", "client", "meta", "argument_specs.yml")

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")
LOCAL_PART_RE = re.compile(r"^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$")
PLAN_INT_KEYS = ("mailbox_quota", "max_mailbox_quota", "domain_quota", "domain_mailboxes", "domain_aliases")
SECRET_NAMES = ["mailbox_password", "erpnext_admin_password", "erpnext_user_password"]
APP_PASSWORD_PROTOCOLS = ("imap", "pop3", "smtp", "sieve", "dav", "eas")
DOMAIN_ADMIN_SECRET = "domain_admin_password"
# What a client claims for itself alone; another client's hostvars hold no role defaults, so the
# running client's values stand in for the variables whose default is not derived from the host.
CLAIM_VARIABLES = ("client_name", "client_subdomain", "client_domain", "client_mailbox", "client_aliases",
                   "client_extra_aliases", "client_base_domain")
SHARED_DEFAULTS = ("client_aliases", "client_base_domain")

ARGUMENT_SPEC = {
    "check": {"type": "str", "choices": ["clashes", "client"], "default": "client"},
    "clashes": {"type": "list", "elements": "dict", "default": []},
}


# ---------------------------------------------------------------------------------------------
# Reading the role's variables: names and types from the role's argument spec.

@functools.lru_cache(maxsize=None)
def role_options():
    """The role's options that can be converted, without secrets (never read here) and without defaults."""
    with open(ROLE_SPEC, encoding="utf-8") as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    return {name: {key: option[key] for key in ("type", "elements", "choices") if key in option}
            for name, option in options.items() if not option.get("no_log")}


def convert(raw):
    """The variables as Ansible's role argument validation reads them: ``({name: value}, [problem])``.

    A comma-separated string is a list and ``yes``/``no``/``1``/``0`` are booleans, as for any
    ``type: list`` or ``type: bool`` option. A value that does not convert becomes None (a problem is
    reported), so that the rest of the checks still run on the others.
    """
    options = role_options()
    present = {name: value for name, value in raw.items() if name in options and value is not None}
    checked = validator(tuple(sorted(present))).validate(present)
    if not checked.error_messages:
        return {name: checked.validated_parameters[name] if name in present else None for name in options}, []
    # Only a failure needs to know which variable failed: one validation per variable tells.
    values, problems = dict.fromkeys(options), []
    for name, value in present.items():
        single = validator((name,)).validate({name: value})
        problems.extend(single.error_messages)
        values[name] = None if single.error_messages else single.validated_parameters[name]
    return values, problems


@functools.lru_cache(maxsize=None)
def validator(names):
    """A validator of these role options (building one costs more than validating with it)."""
    options = role_options()
    return ArgumentSpecValidator({name: options[name] for name in names})


# ---------------------------------------------------------------------------------------------
# Derived names: the only place each of them is made.

def normalise_domain(value):
    """A domain as Mailcow must be sent it (it files DKIM keys under the exact spelling): lower case,
    IDN labels in punycode (Python's IDNA 2003 codec). A value that cannot be encoded comes back as it was."""
    if not isinstance(value, str):
        return value
    try:
        return value.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return value


def is_domain(value):
    return isinstance(value, str) and DOMAIN_RE.match(value) is not None


def merged_plan(values):
    """The client's plan with its overrides, or None for an unknown plan."""
    plan = (values["client_plans"] or {}).get(values["client_plan"])
    if not isinstance(plan, dict):
        return None
    return dict(plan, **(values["client_plan_overrides"] or {}))


def mail_names(values):
    """Subdomain, domains, mailbox and alias addresses: what a client claims, and what the tasks use."""
    subdomain = values["client_subdomain"] or values["client_name"]
    base_domain = normalise_domain(values["client_base_domain"])
    domain = normalise_domain(values["client_domain"]) or None
    mail_domain = domain or base_domain
    local_part = values["client_mailbox"] or subdomain
    alias_names = list(values["client_aliases"] or []) + list(values["client_extra_aliases"] or [])
    suffix = "" if domain else "-%s" % subdomain
    return {
        "subdomain": subdomain,
        "base_domain": base_domain,
        "domain": domain,
        "own_domain": domain is not None,
        "mail_domain": mail_domain,
        "mailbox_local_part": local_part,
        "mailbox_address": "%s@%s" % (local_part, mail_domain),
        "alias_names": alias_names,
        "alias_addresses": ["%s%s@%s" % (name, suffix, mail_domain) for name in alias_names],
    }


def account_names(values, names):
    """App passwords (each with the secret name in the credentials file) and the domain administrator's name."""
    app_passwords = [{"name": entry["name"], "protocols": sorted(set(entry["protocols"])),
                      "secret": "app_password_%s" % entry["name"]} for entry in values["client_app_passwords"] or []]
    # Mailcow's domain administrator names are letters, digits, ".", "-" and "_": never an address. Named for
    # every own domain, so deprovisioning removes one made while client_domain_admin was true.
    wanted = bool(values["client_domain_admin"]) and names["own_domain"]
    return {
        "app_passwords": app_passwords,
        "domain_admin": {"username": "%s-admin" % names["domain"], "wanted": wanted} if names["own_domain"] else None,
        "secret_names": list(SECRET_NAMES) + [entry["secret"] for entry in app_passwords]
        + ([DOMAIN_ADMIN_SECRET] if wanted else []),
    }


def domain_settings(values, names, plan):
    """The own domain's limits in Mailcow, from the plan."""
    if not names["own_domain"]:
        return {}
    return {
        "description": "%s (%s plan)" % (values["client_display_name"], values["client_plan"]),
        "mailboxes": plan["domain_mailboxes"],
        "aliases": plan["domain_aliases"],
        "defquota": min(plan["mailbox_quota"], plan["max_mailbox_quota"]),
        "maxquota": plan["max_mailbox_quota"],
        "quota": plan["domain_quota"],
    }


def route(values, site_name):
    """The Traefik route; the certificate resolver and the HTTP-to-HTTPS redirect only mean something with TLS."""
    tls = bool(values["client_traefik_tls"])
    return {
        "name": "client-%s" % values["client_name"],
        "hosts": [site_name],
        "tls": tls,
        "cert_resolver": (values["client_traefik_cert_resolver"] or None) if tls else None,
        "https_redirect": bool(values["client_traefik_https_redirect"]) and tls,
    }


def normalised_client(values, names, plan):
    """What the later steps of the role use: one dict, every derived name made once."""
    site_name = "%s.%s" % (names["subdomain"], names["base_domain"])
    port = values["client_public_port"]
    setup_dir = os.path.join(values["client_credentials_dir"], values["client_name"])
    selector = values["client_dkim_selector"]
    return dict(
        names,
        name=values["client_name"],
        display_name=values["client_display_name"],
        state=values["client_state"],
        plan=values["client_plan"],
        plan_settings=plan,
        mailbox_quota=mailbox_quota(values, plan),
        domain_settings=domain_settings(values, names, plan),
        dkim={"selector": selector, "key_size": values["client_dkim_key_size"],
              "record_name": "%s._domainkey.%s" % (selector, names["domain"]) if names["own_domain"] else None},
        site_name=site_name,
        site_url="%s://%s%s" % (values["client_public_scheme"], site_name, ":%d" % port if port else ""),
        erpnext_apps=plan["erpnext_apps"],
        company=company(values),
        route=route(values, site_name),
        mail_hostname=normalise_domain(values["client_mail_hostname"]),
        credentials_file=os.path.join(values["client_credentials_dir"], "%s.vault.yml" % values["client_name"]),
        setup_dir=setup_dir,
        setup_sheet=os.path.join(setup_dir, "SETUP.md"),
        **account_names(values, names),
        manage_base_domain=bool(values["client_mailcow_manage_base_domain"]),
        delete_mail_data=bool(values["client_delete_mail_data"]),
        confirmed=is_confirmed(values),
    )


def company(values):
    """The client's company for ERPNext's setup wizard (erpnext_setup's company option)."""
    return {field: values["client_company_" + field]
            for field in ("name", "country", "currency", "time_zone", "language", "fiscal_year_start")}


def mailbox_quota(values, plan):
    quota = values["client_mailbox_quota"]
    return plan.get("mailbox_quota") if quota is None else quota


# ---------------------------------------------------------------------------------------------
# Checks of one client: each returns a list of problems, worded for the operator.

def is_whole_number(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def check_names(values, names):
    problems = []
    if not isinstance(values["client_name"], str) or not NAME_RE.match(values["client_name"]):
        problems.append("client_name '%s' must be lower-case letters, digits, '-' or '_' (it names the credentials "
                        "files)" % values["client_name"])
    if not isinstance(names["subdomain"], str) or not LABEL_RE.match(names["subdomain"]):
        problems.append("client_subdomain '%s' is not a valid DNS label (lower-case letters, digits and inner '-', "
                        "at most 63 characters)" % names["subdomain"])
    return problems


def check_domains(values, names):
    problems = []
    base = names["base_domain"]
    if not is_domain(base):
        problems.append("client_base_domain '%s' is not a domain name" % values["client_base_domain"])
    own = names["domain"]
    if own is not None:
        if not is_domain(own):
            problems.append("client_domain '%s' is not a domain name (labels of letters, digits and inner '-' "
                            "separated by dots, like acmecorp.com)" % values["client_domain"])
        elif own == base or own.endswith("." + str(base)):
            problems.append("client_domain '%s' is the base domain or inside it; leave client_domain undefined to "
                            "use the base domain" % own)
    return problems


def check_plan(values, plan):
    plans = values["client_plans"] or {}
    if plan is None:
        return ["client_plan '%s' is not a known plan (known: %s)" % (values["client_plan"], ", ".join(sorted(plans)))]
    problems = []
    known = plans[values["client_plan"]]
    unknown = sorted(set(values["client_plan_overrides"] or {}) - set(known))
    if unknown:
        problems.append("client_plan_overrides sets unknown plan keys: %s (known: %s)"
                        % (", ".join(unknown), ", ".join(sorted(known))))
    for key in PLAN_INT_KEYS:
        if not is_whole_number(plan.get(key)):
            problems.append("plan value %s must be a positive whole number (got %s)" % (key, plan.get(key)))
    apps = plan.get("erpnext_apps")
    if not isinstance(apps, list) or not apps or not all(isinstance(app, str) for app in apps):
        problems.append("plan value erpnext_apps must be a non-empty list of app names")
    return problems


def check_mailbox_quota(values, names, plan):
    quota = mailbox_quota(values, plan)
    if not is_whole_number(quota):
        return ["the mailbox quota must be a positive number of MiB (got %s)" % quota]
    plan_name = values["client_plan"]
    limits = [(plan.get("max_mailbox_quota"), "the %s plan's max_mailbox_quota" % plan_name)]
    if names["own_domain"]:
        limits.append((plan.get("domain_quota"), "the %s plan's domain_quota" % plan_name))
    elif values["client_mailcow_manage_base_domain"]:
        limits.append(((values["client_base_domain_settings"] or {}).get("maxquota"), "the base domain's maxquota"))
    for limit, label in limits:
        if is_whole_number(limit) and quota > limit:
            return ["the mailbox quota %d MiB is over %s of %d MiB" % (quota, label, limit)]
    return []


def check_aliases(values, names, plan):
    problems = []
    alias_names = names["alias_names"]
    limit = plan.get("domain_aliases") if plan else None
    if names["own_domain"] and is_whole_number(limit) and len(alias_names) > limit:
        problems.append("%d aliases are more than the %s plan's domain_aliases of %d"
                        % (len(alias_names), values["client_plan"], limit))
    local_part = names["mailbox_local_part"]
    if not isinstance(local_part, str) or not LOCAL_PART_RE.match(local_part):
        problems.append("the mailbox local part '%s' (client_mailbox, default client_subdomain) is not a valid local "
                        "part" % local_part)
    bad = [name for name in alias_names if not LOCAL_PART_RE.match(name)]
    if bad:
        problems.append("alias names are not valid local parts: %s" % ", ".join(bad))
    repeated = [name for name in unique(alias_names) if alias_names.count(name) > 1]
    if repeated:
        problems.append("alias names appear more than once (client_aliases + client_extra_aliases): %s"
                        % ", ".join(repeated))
    if names["own_domain"] and local_part in alias_names:
        problems.append("the mailbox local part '%s' is also an alias name" % local_part)
    return problems


def check_accounts(values, names):
    """App password names become secret names (app_password_<name>), so they follow client_name's rule."""
    problems = []
    entries = values["client_app_passwords"] or []
    for position, entry in enumerate(entries, 1):
        name = entry.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            problems.append("client_app_passwords entry %d: name '%s' must be lower-case letters, digits, '-' or '_' "
                            "(it names the secret app_password_<name>)" % (position, name))
        protocols = entry.get("protocols")
        if not isinstance(protocols, list) or not protocols or \
                not all(isinstance(p, str) and p in APP_PASSWORD_PROTOCOLS for p in protocols):
            problems.append("client_app_passwords entry %d (%s): protocols must be a non-empty list of %s (got %s)"
                            % (position, name, ", ".join(APP_PASSWORD_PROTOCOLS), protocols))
        unknown = sorted(str(key) for key in entry if key not in ("name", "protocols"))
        if unknown:
            problems.append("client_app_passwords entry %d (%s) has unknown keys: %s (known: name, protocols)"
                            % (position, name, ", ".join(unknown)))
    names_given = [entry.get("name") for entry in entries if isinstance(entry.get("name"), str)]
    repeated = [name for name in unique(names_given) if names_given.count(name) > 1]
    if repeated:
        problems.append("client_app_passwords names appear more than once: %s" % ", ".join(map(str, repeated)))
    if values["client_domain_admin"] and not names["own_domain"]:
        problems.append("client_domain_admin needs the client's own domain (client_domain): a domain administrator "
                        "of the shared base domain %s would manage every other client's mail there" % names["base_domain"])
    return problems


def check_clashes(names, clashes):
    problems = []
    for clash in clashes:
        if clash.get("subdomain"):
            problems.append("client_subdomain '%s' is also used by client %s" % (names["subdomain"], clash["client"]))
        if clash.get("domain"):
            problems.append("client_domain '%s' is also used by client %s" % (names["domain"], clash["client"]))
        if clash.get("addresses"):
            problems.append("addresses in %s clash with client %s: %s"
                            % (names["base_domain"], clash["client"], ", ".join(clash["addresses"])))
    return problems


def is_confirmed(values):
    return values["client_state"] != "absent" or values["client_confirm"] == values["client_name"]


def confirmation_missing(values):
    """Deactivating or removing a client needs its name as confirmation, on every path that does it."""
    return ("Deprovisioning %s needs -e confirm=%s (got %s): it removes the route, archives the site and %s"
            % (values["client_name"], values["client_name"], values["client_confirm"] or "nothing",
               "DELETES all mail data" if values["client_delete_mail_data"] else "deactivates mail"))


def problems(values, names, plan, clashes):
    """Every problem of one client definition, in the order the operator reads its variables."""
    found = check_names(values, names) + check_domains(values, names) + check_plan(values, plan)
    if plan is not None:
        found += check_mailbox_quota(values, names, plan)
    found += company_errors(company(values), prefix="client_company")
    return found + check_aliases(values, names, plan) + check_accounts(values, names) + check_clashes(names, clashes)


def preflight(raw, clashes=(), check_mode=False):
    """Check one client's variables: ``(client, problems, warnings)``; ``client`` is None when there are problems."""
    values, found = convert(raw)
    names = mail_names(values)
    plan = merged_plan(values)
    found += problems(values, names, plan, clashes)
    warnings = []
    if not found and not is_confirmed(values):
        if check_mode:
            warnings.append("check mode shows what deprovisioning would do; a real run needs -e confirm=%s (got %s)"
                            % (values["client_name"], values["client_confirm"] or "nothing"))
        else:
            found.append(confirmation_missing(values))
    if found:
        return None, found, warnings
    return normalised_client(values, names, plan), [], warnings


# ---------------------------------------------------------------------------------------------
# What two clients claim at once: subdomain, own domain, addresses in a shared base domain.

def unique(items):
    return list(dict.fromkeys(items))


def claims(raw):
    """What one client claims for itself alone, from its variables as far as they convert."""
    values, dummy = convert(raw)
    names = mail_names(values)
    claimed = ["subdomain %s" % names["subdomain"]]
    addresses = []
    if names["own_domain"]:
        claimed.append("domain %s" % names["domain"])
    else:
        addresses = unique([names["mailbox_address"]] + names["alias_addresses"])
    return {"subdomain": names["subdomain"], "domain": names["domain"], "addresses": addresses,
            "claimed": claimed + ["address %s" % address for address in addresses]}


def find_clashes(claims_by_client, batch):
    """For each client of the batch, the other clients (in the order given) claiming what it claims."""
    order = list(claims_by_client)
    claimants = {}
    for client, claim in claims_by_client.items():
        for key in claim["claimed"]:
            claimants.setdefault(key, []).append(client)
    clashes = {}
    for client in batch:
        mine = claims_by_client[client]
        others = {other for key in mine["claimed"] for other in claimants[key] if other != client}
        for other in sorted(others, key=order.index):
            theirs = claims_by_client[other]
            clashes.setdefault(client, []).append({
                "client": other,
                "subdomain": theirs["subdomain"] == mine["subdomain"],
                "domain": mine["domain"] is not None and theirs["domain"] == mine["domain"],
                "addresses": [address for address in mine["addresses"] if address in theirs["addresses"]],
            })
    return clashes


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        result["changed"] = False
        if args["check"] == "clashes":
            result["clashes"] = self._clashes(task_vars)
            return result
        raw = self._templar.template({name: task_vars[name] for name in role_options() if name in task_vars})
        host = task_vars["inventory_hostname"]
        client, found, warnings = preflight(raw, args["clashes"], bool(self._task.check_mode))
        if found:
            raise AnsibleActionFail("Client %s is not valid; nothing was changed. %d problem(s): %s" % (
                host, len(found), "; ".join("(%d) %s" % (number, problem) for number, problem in enumerate(found, 1))))
        result["warnings"] = warnings
        result["client"] = client
        result["msg"] = "Client %s: definition valid (%s plan, mailbox %s, site %s)" % (
            host, client["plan"], client["mailbox_address"], client["site_name"])
        return result

    def _clashes(self, task_vars):
        """Every client of the inventory group (--limit leaves its clients' claims standing) and of the batch,
        read once: reading a client's hostvars builds all of its variables."""
        batch = list(task_vars["ansible_play_batch"])
        clients = unique(list(task_vars["groups"].get("clients", [])) + batch)
        shared = self._templar.template({name: task_vars[name] for name in SHARED_DEFAULTS if name in task_vars})
        hostvars = task_vars["hostvars"]
        claims_by_client = {}
        for client in clients:
            theirs = hostvars[client]
            raw = dict(shared, client_name=client)
            raw.update({name: theirs[name] for name in CLAIM_VARIABLES if name in theirs})
            claims_by_client[client] = claims(raw)
        return find_clashes(claims_by_client, batch)
