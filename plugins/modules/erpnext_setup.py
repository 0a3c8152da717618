#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: erpnext_setup
short_description: Make an ERPNext site ready for its client - setup wizard, the client's user, scheduler, POS Profile
version_added: 0.2.0
description:
  - Completes the ERPNext setup wizard of a site with the client's company data, creates the client's own
    ERPNext user, turns the site's scheduler on and creates a POS Profile for the company with the client's
    user among its users (what POS Awesome needs to open).
  - Reads the whole state in one bench command (C(bench --site SITE execute), Python run inside frappe, read
    from standard input) and changes what differs in one more. An idempotent run costs one bench command.
  - "Company data of a site whose wizard is complete is never written: a wizard completed by hand is adopted
    (the POS Profile is made for the site's default company), and differences from O(company) are reported in
    RV(company_differences) and as a warning (ERPNext refuses a currency change once there are transactions)."
  - Only options that are set are managed.
author:
  - SecureNexus engineering (@securenexus)
extends_documentation_fragment:
  - securenexus.provisioning._bench
options:
  site:
    description: The site (made by M(securenexus.provisioning.erpnext_site)), with C(erpnext) installed.
    type: str
    required: true
  state:
    description:
      - V(present) sets up what the other options name.
      - V(absent) disables the user O(user.email) (its documents stay); nothing else is changed.
    type: str
    choices: [present, absent]
    default: present
  company:
    description:
      - The client's company, for the setup wizard. Checked against frappe's own names before anything runs.
    type: dict
    suboptions:
      name:
        description: Company name.
        type: str
        required: true
      abbr:
        description: Its abbreviation (suffix of its accounts, warehouses, cost centers). Default the initials of O(company.name).
        type: str
      country:
        description: Country, as frappe names it (V(Germany), V(United States)).
        type: str
        required: true
      currency:
        description: Currency, an ISO code frappe knows (V(EUR)).
        type: str
        required: true
      time_zone:
        description: Time zone (V(Europe/Berlin)).
        type: str
        required: true
      language:
        description: frappe's language code (V(en), V(de)).
        type: str
        default: en
      fiscal_year_start:
        description: First day of the fiscal year, V(MM-DD).
        type: str
        default: "01-01"
      chart_of_accounts:
        description: Chart of accounts for the wizard.
        type: str
        default: Standard
  user:
    description:
      - The client's own ERPNext user, created without a welcome mail, with O(user.roles).
      - Its password is set only when the user is created (the client may change it), unless O(user.update_password=always).
    type: dict
    suboptions:
      email:
        description: Login and mail address.
        type: str
        required: true
      full_name:
        description: Display name.
        type: str
      password:
        description: Password, needed to create the user.
        type: str
      update_password:
        description:
          - V(on_create) sets O(user.password) only when the user is created.
          - V(always) sets O(user.password) on an existing user too, so the task always reports a change; the diff
            shows C(password) as V((changed\)) under C(user), never the value. This is how the password is rotated.
        type: str
        choices: [on_create, always]
        default: on_create
      roles:
        description:
          - Roles the user must have; roles it has beyond these are left alone.
          - The default is a business owner's - C(Accounts Manager), C(Accounts User), C(Item Manager),
            C(Purchase Manager), C(Purchase Master Manager), C(Purchase User), C(Sales Manager),
            C(Sales Master Manager), C(Sales User), C(Stock Manager), C(Stock User), C(System Manager)
            (to manage their own staff's users).
        type: list
        elements: str
  scheduler:
    description: Whether the site's scheduler is enabled (System Settings). The bench's scheduler and worker processes are the operator's.
    type: bool
  pos_profile:
    description:
      - A POS Profile for the company with O(user.email) among its users. Unset fields get what ERPNext's setup
        wizard made for the company, looked up on the site (their names are in the site's language) - the default
        warehouse of Stock Settings, the selling price list of Selling Settings, the company's first enabled
        mode of payment of type Cash with an account, its write-off account and its default cost center.
      - An existing profile is only given the missing user; its other fields are compared and reported in
        RV(pos_profile_differences), never written.
    type: dict
    suboptions:
      name:
        description: Profile name.
        type: str
        required: true
      warehouse:
        description: Warehouse.
        type: str
      price_list:
        description: Selling price list.
        type: str
      mode_of_payment:
        description: Default mode of payment.
        type: str
      write_off_account:
        description: Write-off account.
        type: str
      write_off_cost_center:
        description: Write-off (and profile) cost center.
        type: str
  timeout:
    description: Seconds one bench command may run. The setup wizard took about a minute on 2 cores.
    type: int
    default: 900
notes:
  - The programs, with the password of O(user), reach frappe on standard input; the command line shows only
    C(bench --site SITE execute exec --args [BOOTSTRAP]) (see the module_util C(_frappe.py)).
"""

EXAMPLES = r"""
- name: Set up ACME's ERPNext site
  securenexus.provisioning.erpnext_setup:
    site: acme.erp.example.org
    company:
      name: ACME GmbH
      country: Germany
      currency: EUR
      time_zone: Europe/Berlin
      language: de
    user:
      email: anna@acme.example.org
      full_name: Anna Schmidt
      password: "{{ vault_acme_erpnext_user_password }}"
    scheduler: true
    pos_profile:
      name: ACME GmbH POS

- name: Give the client's user a new password (a rotation)
  securenexus.provisioning.erpnext_setup:
    site: acme.erp.example.org
    user:
      email: anna@acme.example.org
      password: "{{ new_user_password }}"
      update_password: always

- name: Deprovision - disable the client's user
  securenexus.provisioning.erpnext_setup:
    site: acme.erp.example.org
    state: absent
    user:
      email: anna@acme.example.org
"""

RETURN = r"""
setup:
  description: The site's state after the task (predicted in check mode).
  returned: always
  type: dict
  sample:
    setup_complete: true
    company: {name: ACME GmbH, abbr: AG, country: Germany, currency: EUR, fiscal_year_start: "01-01"}
    scheduler: true
    user: {enabled: true, full_name: Anna Schmidt, roles: [Accounts Manager, System Manager]}
    pos_profile: {company: ACME GmbH, warehouse: Stores - AG, users: [anna@acme.example.org]}
company_differences:
  description: "Company data on the site that differs from O(company) (never written), as C({field: [site, wanted]})."
  returned: always
  type: dict
  sample: {currency: [USD, EUR]}
pos_profile_differences:
  description: "Fields of an existing POS Profile that differ from O(pos_profile), as C({field: [site, wanted]})."
  returned: always
  type: dict
  sample: {}
actions:
  description: What the task did (would do, in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [wizard, create_user, create_pos_profile]
commands:
  description: The bench commands the task ran, in order.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.securenexus.provisioning.plugins.module_utils import _erpnext_setup as setup
from ansible_collections.securenexus.provisioning.plugins.module_utils import _frappe
from ansible_collections.securenexus.provisioning.plugins.module_utils._bench import BENCH_ARGUMENT_SPEC, BenchError, BenchRunner, run_bench_module
from ansible_collections.securenexus.provisioning.plugins.module_utils._frappe_geo import LANGUAGES

# What the diff shows for a password that was set: frappe keeps a hash only, and the value is never shown
PASSWORD_CHANGED = "(changed)"
COMPANY_FIELDS = ("country", "currency", "fiscal_year_start")
PROFILE_FIELDS = ("warehouse", "price_list", "write_off_account", "write_off_cost_center")
# What a site that bench new-site just made answers (frappe's own defaults).
NEW_SITE = {"setup_complete": False, "default_company": None, "company": None, "scheduler": False, "user": None,
            "pos_profile": None, "system": {"country": None, "currency": None, "time_zone": None, "language": "en"}}


def validate(params):
    errors = []
    if params["company"]:
        errors += setup.company_errors(params["company"])
    user = params["user"]
    if user and not setup.EMAIL.match(user["email"] or ""):
        errors.append("user.email: %r is not a mail address" % user["email"])
    if params["state"] == "absent" and not user:
        errors.append("state=absent disables the user: user.email is needed")
    if params["pos_profile"] and not user and params["state"] == "present":
        errors.append("pos_profile needs user: the profile is made for the client's user")
    if params["timeout"] <= 0:
        errors.append("timeout must be a positive number of seconds")
    return errors


def differences(current, wanted, fields):
    return {field: [current.get(field), wanted[field]] for field in fields
            if wanted.get(field) is not None and current.get(field) != wanted[field]}


def plan(params, state):
    """The actions [(name, data)] that bring the site to params, and the differences reported, not written."""
    actions, company_diff, profile_diff = [], {}, {}
    company = params["company"]
    user = params["user"]
    if params["state"] == "absent":
        if state["user"] and state["user"]["enabled"]:
            actions.append(("update_user", {"email": user["email"], "enabled": False}))
        return actions, company_diff, profile_diff
    if company and not state["setup_complete"]:
        start, end = setup.fiscal_year(company["fiscal_year_start"])
        actions.append(("wizard", {
            "language": LANGUAGES[company["language"]], "language_code": company["language"], "country": company["country"], "timezone": company["time_zone"],
            "currency": company["currency"], "company_name": company["name"],
            "company_abbr": company["abbr"] or setup.abbreviation(company["name"]),
            "chart_of_accounts": company["chart_of_accounts"], "fy_start_date": start, "fy_end_date": end}))
    elif company:
        found = state["company"] or {}
        company_diff = differences(dict(found, name=found.get("name") or state["default_company"]),
                                   company, ("name",) + COMPANY_FIELDS)
        company_diff.update(differences(state["system"], company, ("time_zone",)))
    if user:
        wanted_roles = user["roles"] if user["roles"] is not None else list(setup.BUSINESS_OWNER_ROLES)
        if state["user"] is None:
            if not user["password"] or not user["full_name"]:
                raise SetupProblem("user.password and user.full_name are needed to create the user %s" % user["email"])
            actions.append(("create_user", {"email": user["email"], "full_name": user["full_name"],
                                            "password": user["password"], "roles": wanted_roles}))
        else:
            change = {}
            if user["full_name"] and state["user"]["full_name"] != user["full_name"]:
                change["full_name"] = user["full_name"]
            if not state["user"]["enabled"]:
                change["enabled"] = True
            missing = [role for role in wanted_roles if role not in state["user"]["roles"]]
            if missing:
                change["roles"] = missing
            if change:
                actions.append(("update_user", dict(change, email=user["email"])))
            if user.get("update_password") == "always" and user["password"]:
                # frappe keeps a hash only: nothing to compare with, so it is set whenever asked
                actions.append(("set_password", {"email": user["email"], "password": user["password"]}))
    if params["scheduler"] is not None and state["scheduler"] != params["scheduler"]:
        # the wizard turns the scheduler on itself; say so rather than count on it
        if not (params["scheduler"] and any(name == "wizard" for name, _data in actions)):
            actions.append(("scheduler", params["scheduler"]))
    profile = params["pos_profile"]
    if profile:
        wizard = next((data for name, data in actions if name == "wizard"), None)
        company_name = wizard["company_name"] if wizard else (state["company"] or {}).get("name")
        currency = wizard["currency"] if wizard else (state["company"] or {}).get("currency")
        if not company_name:
            raise SetupProblem("pos_profile: the site has no company yet; give company to run the setup wizard")
        # unset fields: what the wizard made for the company, looked up on the site (its names are translated)
        wanted = {"company": company_name, "currency": currency,
                  **{key: profile[key] for key in PROFILE_FIELDS}}
        if state["pos_profile"] is None:
            actions.append(("create_pos_profile", dict(wanted, name=profile["name"], users=[user["email"]],
                                                       mode_of_payment=profile["mode_of_payment"])))
        else:
            profile_diff = differences(state["pos_profile"], wanted, sorted(wanted))
            if profile["mode_of_payment"] and profile["mode_of_payment"] not in state["pos_profile"]["modes_of_payment"]:
                profile_diff["mode_of_payment"] = [state["pos_profile"]["modes_of_payment"], profile["mode_of_payment"]]
            if user["email"] not in state["pos_profile"]["users"]:
                actions.append(("add_pos_profile_users", {"name": profile["name"], "users": [user["email"]]}))
    return actions, company_diff, profile_diff


def predicted(state, actions):
    """The state after the actions, for check mode (what the module can know without running them)."""
    after = dict(state)
    for name, data in actions:
        if name == "wizard":
            after.update(setup_complete=True, scheduler=True, default_company=data["company_name"],
                         system={"country": data["country"], "currency": data["currency"], "time_zone": data["timezone"],
                                 "language": data["language_code"]},
                         company={"name": data["company_name"], "abbr": data["company_abbr"],
                                  "country": data["country"], "currency": data["currency"],
                                  "fiscal_year_start": data["fy_start_date"][5:]})
        elif name == "create_user":
            after["user"] = {"enabled": True, "full_name": data["full_name"], "roles": sorted(data["roles"]),
                             "send_welcome_email": False}
        elif name == "update_user":
            user = dict(after["user"])
            user.update({key: value for key, value in data.items() if key in ("full_name", "enabled")})
            user["roles"] = sorted(set(user["roles"]) | set(data.get("roles", [])))
            after["user"] = user
        elif name == "scheduler":
            after["scheduler"] = data
        elif name == "create_pos_profile":
            after["pos_profile"] = {key: data[key] for key in ("company", "warehouse", "price_list", "currency",
                                                               "write_off_account", "write_off_cost_center")}
            # None where the site's own default will be used (check mode cannot know its translated name)
            after["pos_profile"].update(disabled=False, modes_of_payment=[data["mode_of_payment"]], users=data["users"])
        elif name == "add_pos_profile_users":
            after["pos_profile"] = dict(after["pos_profile"], users=after["pos_profile"]["users"] + data["users"])
    return after


class SetupProblem(Exception):
    pass


def shown(actions):
    """Actions without the password (the result lists what was done, never with what)."""
    return [name for name, _data in actions]


ARGUMENT_SPEC = dict(
    site=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    company=dict(type="dict", options=dict(
        name=dict(type="str", required=True),
        abbr=dict(type="str"),
        country=dict(type="str", required=True),
        currency=dict(type="str", required=True),
        time_zone=dict(type="str", required=True),
        language=dict(type="str", default="en"),
        fiscal_year_start=dict(type="str", default="01-01"),
        chart_of_accounts=dict(type="str", default="Standard"),
    )),
    user=dict(type="dict", options=dict(
        email=dict(type="str", required=True),
        full_name=dict(type="str"),
        password=dict(type="str", no_log=True),
        update_password=dict(type="str", choices=["on_create", "always"], default="on_create", no_log=False),
        roles=dict(type="list", elements="str"),
    )),
    scheduler=dict(type="bool"),
    pos_profile=dict(type="dict", options=dict(
        name=dict(type="str", required=True),
        warehouse=dict(type="str"),
        price_list=dict(type="str"),
        mode_of_payment=dict(type="str"),
        write_off_account=dict(type="str"),
        write_off_cost_center=dict(type="str"),
    )),
    **BENCH_ARGUMENT_SPEC,
    timeout=dict(type="int", default=900),
)


def execute(params, check_mode, diff, run_command):
    errors = validate(params)
    if errors:
        return dict(failed=True, msg="Invalid options: " + "; ".join(errors), commands=[])
    user = params["user"] or {}
    runner = BenchRunner(run_command, params["bench_command"], params["bench_path"], params["timeout"],
                         secrets=[user.get("password")], check_mode=check_mode)
    program_params = setup.state_params(company=(params["company"] or {}).get("name"), user=user.get("email"),
                                        pos_profile=(params["pos_profile"] or {}).get("name"))
    try:
        before = setup.read_state(runner, params["site"], program_params)
        if before is None and params["state"] == "absent":
            # An archived or never-made site has no user left to disable: a deprovisioning re-run is a no-op.
            return dict(changed=False, setup={}, actions=[], company_differences={}, pos_profile_differences={},
                        commands=runner.calls, msg="Site %s does not exist: nothing to disable" % params["site"])
        if before is None and not check_mode:
            raise SetupProblem("Site %s does not exist: create it first (securenexus.provisioning.erpnext_site)"
                               % params["site"])
        # in check mode the site may be one that erpnext_site would create: then everything is to do
        site_exists = before is not None
        before = before or dict(NEW_SITE)
        actions, company_diff, profile_diff = plan(params, before)
        after = before
        if actions:
            answer = _frappe.write(runner, params["site"], setup.STATE + setup.APPLY + "\nresult = state(params)\n",
                                   dict(program_params, program="setup_apply", actions=actions))
            after = answer if answer is not None else predicted(before, actions)
    except (BenchError, SetupProblem) as error:
        return dict(failed=True, msg=runner.mask(str(error)), commands=runner.calls)
    warnings = []
    if company_diff:
        warnings.append("The company on site %s differs from the client's definition (never changed by this module): %s"
                        % (params["site"], ", ".join("%s is %r, not %r" % (field, values[0], values[1])
                                                     for field, values in sorted(company_diff.items()))))
    output = dict(changed=bool(actions), setup=after, actions=shown(actions), company_differences=company_diff,
                  pos_profile_differences=profile_diff, commands=runner.calls, warnings=warnings)
    if diff:
        # A site erpnext_site has still to make is set up from nothing: the diff shows a creation.
        output["diff"] = dict(before=before if site_exists else {}, after=after)
        if any(name == "set_password" for name, _data in actions):
            output["diff"]["after"] = dict(after, user=dict(after["user"], password=PASSWORD_CHANGED))
    return output


def main():
    run_bench_module(ARGUMENT_SPEC, execute)


if __name__ == "__main__":
    main()
