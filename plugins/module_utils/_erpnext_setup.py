# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this module_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""What erpnext_setup runs inside a site's frappe (through _frappe.py), and the checks of its input.

STATE reads, in one bench command, everything the module compares. APPLY changes what the module
asks for, in order (``params["actions"]``), then answers STATE's answer again. Both run as
Administrator (frappe.connect() sets that user); `bench execute` commits afterwards.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.securenexus.provisioning.plugins.module_utils import _frappe, _frappe_geo

# The roles of a client who owns the business: the desk modules of ERPNext they run themselves
# (selling, buying, stock, accounts, the point of sale) and managing their own staff's users.
BUSINESS_OWNER_ROLES = (
    "Accounts Manager", "Accounts User", "Item Manager", "Purchase Manager", "Purchase Master Manager",
    "Purchase User", "Sales Manager", "Sales Master Manager", "Sales User", "Stock Manager", "Stock User",
    "System Manager",
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")

STATE = r'''
import frappe
from frappe.utils.scheduler import is_scheduler_disabled


def company_state(name):
    row = name and frappe.db.get_value("Company", name, ["name", "abbr", "country", "default_currency"], as_dict=True)
    if not row:
        return None
    today = frappe.utils.nowdate()
    start = frappe.db.get_value("Fiscal Year", {"year_start_date": ("<=", today), "year_end_date": (">=", today),
                                                "disabled": 0}, "year_start_date")
    return {"name": row.name, "abbr": row.abbr, "country": row.country, "currency": row.default_currency,
            "fiscal_year_start": start.strftime("%m-%d") if start else None}


def user_state(email):
    if not email or not frappe.db.exists("User", email):
        return None
    user = frappe.get_doc("User", email)
    return {"enabled": bool(user.enabled), "full_name": user.full_name, "roles": sorted(row.role for row in user.roles),
            "send_welcome_email": bool(user.send_welcome_email)}


def profile_state(name):
    if not name or not frappe.db.exists("POS Profile", name):
        return None
    profile = frappe.get_doc("POS Profile", name)
    return {"company": profile.company, "warehouse": profile.warehouse, "price_list": profile.selling_price_list,
            "currency": profile.currency, "write_off_account": profile.write_off_account,
            "write_off_cost_center": profile.write_off_cost_center, "disabled": bool(profile.disabled),
            "modes_of_payment": [row.mode_of_payment for row in profile.payments],
            "users": [row.user for row in profile.applicable_for_users]}


def state(params):
    settings = frappe.get_single("System Settings")
    default_company = frappe.defaults.get_global_default("company")
    return {
        "setup_complete": bool(frappe.is_setup_complete()),
        "system": {"country": settings.country, "currency": settings.currency, "time_zone": settings.time_zone,
                   "language": settings.language},
        "default_company": default_company,
        # the client's company, else the one a wizard completed by hand made (adopted)
        "company": company_state(params["company"]) or company_state(default_company),
        "scheduler": not is_scheduler_disabled(verbose=False),
        "user": user_state(params["user"]),
        "pos_profile": profile_state(params["pos_profile"]),
    }
'''

APPLY = r'''
from frappe.utils.password import update_password


def run_wizard(data):
    from frappe.desk.page.setup_wizard.setup_wizard import setup_complete

    answer = setup_complete(data)
    if not frappe.is_setup_complete():
        raise Exception("the setup wizard did not complete: %s" % answer)


def create_user(data):
    first_name, _space, last_name = data["full_name"].partition(" ")
    user = frappe.new_doc("User")
    user.update({"email": data["email"], "first_name": first_name, "last_name": last_name, "enabled": 1,
                 "user_type": "System User", "send_welcome_email": 0})
    user.flags.no_welcome_mail = True
    user.append_roles(*data["roles"])
    user.insert(ignore_permissions=True)
    set_password(data)


def set_password(data):
    update_password(data["email"], data["password"])


def update_user(data):
    user = frappe.get_doc("User", data["email"])
    if "full_name" in data:
        user.first_name, _space, user.last_name = data["full_name"].partition(" ")
    if "enabled" in data:
        user.enabled = int(data["enabled"])
    missing = [role for role in data.get("roles", []) if role not in [row.role for row in user.roles]]
    user.append_roles(*missing)
    user.flags.no_welcome_mail = True
    user.save(ignore_permissions=True)


def company_defaults(company):
    """What the setup wizard made for the company, in the site's language (names are translated: with
    language de the price list is not "Standard Selling" and the warehouse not "Stores - ABBR")."""
    row = frappe.db.get_value("Company", company, ["write_off_account", "cost_center", "default_currency"], as_dict=True)
    warehouse = frappe.db.get_single_value("Stock Settings", "default_warehouse")
    if not warehouse or frappe.db.get_value("Warehouse", warehouse, "company") != company:
        warehouse = frappe.db.get_value("Warehouse", {"company": company, "is_group": 0}, "name", order_by="creation asc")
    cash = frappe.db.sql(
        "select account.parent from `tabMode of Payment Account` account"
        " join `tabMode of Payment` mode on mode.name = account.parent"
        " where account.company = %s and mode.type = 'Cash' and mode.enabled = 1 order by mode.creation limit 1",
        company)
    return {"warehouse": warehouse, "price_list": frappe.db.get_single_value("Selling Settings", "selling_price_list"),
            "mode_of_payment": cash[0][0] if cash else None, "write_off_account": row.write_off_account,
            "write_off_cost_center": row.cost_center, "currency": row.default_currency}


def create_pos_profile(data):
    defaults = company_defaults(data["company"])
    data = dict(data, **{key: value for key, value in defaults.items() if data.get(key) is None})
    profile = frappe.new_doc("POS Profile")
    profile.set("__newname", data["name"])
    profile.update({"company": data["company"], "warehouse": data["warehouse"], "currency": data["currency"],
                    "selling_price_list": data["price_list"], "write_off_account": data["write_off_account"],
                    "write_off_cost_center": data["write_off_cost_center"], "cost_center": data["write_off_cost_center"]})
    profile.append("payments", {"mode_of_payment": data["mode_of_payment"], "default": 1})
    for user in data["users"]:
        profile.append("applicable_for_users", {"user": user, "default": 1})
    profile.insert(ignore_permissions=True)


def add_pos_profile_users(data):
    profile = frappe.get_doc("POS Profile", data["name"])
    for user in data["users"]:
        profile.append("applicable_for_users", {"user": user, "default": 1})
    profile.save(ignore_permissions=True)


def set_scheduler(enabled):
    from frappe.utils.scheduler import toggle_scheduler

    toggle_scheduler(enabled)


ACTIONS = {"wizard": run_wizard, "create_user": create_user, "update_user": update_user, "set_password": set_password,
           "create_pos_profile": create_pos_profile, "add_pos_profile_users": add_pos_profile_users,
           "scheduler": set_scheduler}
for action, data in params["actions"]:
    ACTIONS[action](data)
    frappe.db.commit()
'''


def state_params(company=None, user=None, pos_profile=None):
    """STATE's parameters: the company, user and POS Profile to read, by name (None: not asked)."""
    return {"program": "setup_state", "company": company, "user": user, "pos_profile": pos_profile}


def read_state(runner, site, params):
    """STATE's answer for the site (one bench command, also in check mode), or None when bench does not know it."""
    return _frappe.read(runner, site, STATE + "\nresult = state(params)\n", params)


def fiscal_year(month_day, today=None):
    """The fiscal year that holds today and starts on month_day (MM-DD): (start, end) as ISO dates."""
    today = today or datetime.date.today()
    month, day = (int(part) for part in month_day.split("-"))
    start = datetime.date(today.year, month, day)
    if start > today:
        start = datetime.date(today.year - 1, month, day)
    end = datetime.date(start.year + 1, month, day) - datetime.timedelta(days=1)
    return start.isoformat(), end.isoformat()


def abbreviation(company):
    """ERPNext's setup wizard's default abbreviation: the initials, or the first letters of a single word."""
    words = [word for word in re.split(r"\s+", company.strip()) if word]
    if len(words) == 1:
        return words[0][:5].upper()
    return "".join(word[0] for word in words)[:5].upper()


def company_errors(company, prefix="company"):
    """What is wrong in a client's company data, each naming the field; checked against frappe's own names."""
    errors = []
    country = company.get("country")
    if country not in _frappe_geo.COUNTRIES:
        close = [name for name in _frappe_geo.COUNTRIES if name.lower() == str(country).lower()]
        errors.append("%s.country: %r is not one of frappe's countries%s" % (
            prefix, country, " (did you mean %r?)" % close[0] if close else ""))
    if company.get("currency") not in _frappe_geo.CURRENCIES:
        errors.append("%s.currency: %r is not one of frappe's currencies (ISO codes such as EUR, USD)"
                      % (prefix, company.get("currency")))
    if company.get("time_zone") not in _frappe_geo.TIME_ZONES:
        errors.append("%s.time_zone: %r is not a time zone frappe knows (such as Europe/Berlin)"
                      % (prefix, company.get("time_zone")))
    if company.get("language") not in _frappe_geo.LANGUAGES:
        errors.append("%s.language: %r is not one of frappe's language codes (such as en, de, fr)"
                      % (prefix, company.get("language")))
    if not MONTH_DAY.match(str(company.get("fiscal_year_start"))):
        errors.append("%s.fiscal_year_start: %r is not a month and day MM-DD (such as 01-01 or 04-01)"
                      % (prefix, company.get("fiscal_year_start")))
    if not str(company.get("name") or "").strip():
        errors.append("%s.name must not be empty" % prefix)
    return errors
