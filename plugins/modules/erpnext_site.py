#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: erpnext_site
short_description: Manage a Frappe/ERPNext site, its apps and its site config through bench
version_added: 0.1.0
description:
  - Create a Frappe site with C(bench new-site), install apps on it, keep keys of its site config,
    or archive it with C(bench drop-site) (bench takes a backup first).
  - Reads before it writes. An idempotent run costs one bench call (C(list-apps)), two with O(site_config)
    (C(show-config)); a mutating bench command runs only when a read says it is needed. When O(bench_path) is a
    directory on the host, a site without C(sites/<name>/site_config.json) is known not to exist (what bench itself
    checks) without starting bench.
  - The apps must already be in the bench (C(bench get-app), or the frappe_docker image); this module installs
    them on the site, it does not fetch them.
  - A site that a failed C(bench new-site) left half-created is detected and reported with what to do.
    The module never repairs it with C(--force) itself.
author:
  - SecureNexus engineering (@securenexus)
extends_documentation_fragment:
  - securenexus.provisioning._bench
options:
  name:
    description:
      - The site name, a host name such as V(acme.erp.example.org) (the directory C(sites/<name>) of the bench).
    type: str
    required: true
  state:
    description:
      - V(present) creates the site if needed, installs O(apps) and sets O(site_config).
      - V(absent) archives the site with C(bench drop-site), which takes a backup of the database and files
        first and moves the site directory to C(archived/sites/) of the bench. Never without a backup.
    type: str
    choices: [present, absent]
    default: present
  apps:
    description:
      - Apps to install on the site, in this order, after C(frappe) (which every site has).
      - An app already installed is left alone. Apps missing from the list are not uninstalled unless O(exclusive=true).
      - An app that requires another one (POS Awesome requires C(erpnext)) makes bench install that one first.
    type: list
    elements: str
    default: []
  exclusive:
    description:
      - Uninstall (C(bench uninstall-app APP --yes), bench takes a backup first) every installed app except
        C(frappe) and O(apps), the last installed first.
      - List the apps that the wanted apps require, or they are uninstalled too.
    type: bool
    default: false
  admin_password:
    description:
      - Password of the site's Administrator user. Needed when the site is created, and with O(update_password=always).
    type: str
  update_password:
    description:
      - V(on_create) sets O(admin_password) only when the site is created (frappe keeps no readable password to compare).
      - V(always) sets O(admin_password) on an existing site too (C(bench --site NAME set-admin-password), the password
        on standard input), so the task always reports a change; the diff shows C(admin_password) as V((changed\)),
        never the value. This is how the password is rotated.
    type: str
    choices: [on_create, always]
    default: on_create
  db_root_username:
    description:
      - Database (MariaDB) user with the right to create and drop databases and users.
    type: str
    default: root
  db_root_password:
    description:
      - Password of O(db_root_username). Needed when the site is created or dropped.
    type: str
  site_config:
    description:
      - Keys to keep in the site's C(site_config.json) (C(bench --site NAME set-config)). Other keys are left alone.
      - Strings are stored as strings; other values (numbers, booleans, lists, dictionaries) are passed to
        C(set-config --parse) as Python literals and compared with their type (V(1) differs from V(true) and V("1")).
      - Values are compared with the site's effective config (C(bench --site NAME show-config --format json)),
        which includes C(common_site_config.json); a key that already has the wanted value there is not copied.
      - bench turns the strings V("0"), V("1"), V("true"), V("false") into numbers or booleans and V("None") into a
        deletion, so these strings are refused; give V(0), V(1), V(true) or V(false) instead. V(null) is refused too.
    type: dict
  template:
    description:
      - Create a new site from the bench's template database (C(bench new-site --source-sql)) instead of installing
        every app (seconds instead of minutes; see the notes).
      - The template is a site of its own, C(erpnext-template-HASH.invalid) (HASH from O(apps)), made the first time
        with O(apps) by C(bench new-site) with an Administrator password nobody knows, and dumped with
        C(bench --site TEMPLATE backup --backup-path-db) to C(private/backups/template-database.sql.gz) of that site.
      - Before every use it is read. It is rebuilt (dropped without backup, made again) when its apps differ from
        O(apps), when it was made by other app versions than the bench's (its database records the versions it was
        installed with), when it holds anything a client's site must not inherit (users besides Administrator and
        Guest, API keys, sessions, encrypted fields, which would be encrypted with the template's key), or when its
        dump is missing. RV(site.template) says which; a warning says why.
      - When O(bench_path) is a directory on the host, what that read found is also kept beside the dump, in
        C(private/backups/template-database.json) of the template site (its apps and versions, the dump's size and
        SHA-256). A later creation whose apps, bench app versions (C(apps/APP/APP/__init__.py), where frappe reads
        them) and dump match that record uses the dump without starting frappe to read the template again (3 to 4
        seconds); anything else, a dump replaced or an app updated, reads the template as above.
      - Only for creating a site; an existing site is never touched by it.
    type: bool
    default: false
  timeout:
    description:
      - Seconds one bench command may run before it is stopped and the task fails.
      - C(bench new-site) with ERPNext took up to about 3 minutes on a 2-core machine.
    type: int
    default: 1800
  queue_timeout:
    description:
      - Seconds a site creation may wait for the creations queued before it on the same bench (see the notes),
        then the task fails naming the lock file.
      - The default leaves room for about 20 creations of 3 minutes each queued at once.
    type: int
    default: 3600
notes:
  - The passwords never reach a command line, where every local user could read them in the process list.
    Without C(--db-root-password) and C(--admin-password), bench and frappe prompt for them and, with no terminal
    attached (Ansible runs modules without one), read them from standard input; the module writes them there.
    Frappe itself starts C(mariadb) with the new site's own database password on its command line while
    C(new-site) imports the schema; that is frappe's, not something this module can change.
  - The passwords never appear in the task's results, diff, warnings or errors, nor in bench output returned by it.
  - Values given in O(site_config) pass through the command line of C(bench set-config), so put no secret there.
  - C(bench new-site) takes a lock with a one-second timeout, so two creations on one bench at the same time would
    make one fail. The module queues them itself. It runs C(new-site) holding a lock file of its own on the host
    where it runs, C(.erpnext_site.lock) in O(bench_path) when that directory exists there, else a file in the
    temporary directory named after a hash of O(bench_command) and O(bench_path). It waits for that lock at most
    O(queue_timeout) seconds. Reads, check mode and the other bench commands never take it, so many sites are
    checked or updated in parallel. The kernel frees the lock when its holder ends, whatever the way.
  - The lock only queues tasks that run on the same host and name the bench the same way, whichever controller
    started them. When the module runs on several hosts that reach one bench (for example a O(bench_command) with
    C(docker -H ssh://...) on each client host), serialise the task with the task keyword C(throttle) set to 1,
    and do not run two such playbooks at the same time.
  - A site made from the template holds the template's Administrator password (frappe ignores the new one with
    C(--source-sql)) until C(bench --site NAME set-admin-password) sets it, which the module runs right after.
    Between the two, a marker file next to the lock file (C(.erpnext_site.NAME.pending)) says the site is not
    finished; a later run that finds it sets the password (RV(site.template) V(completed)), also in check mode it
    reports the change. Like the lock, the marker is on the host where the module runs.
  - C(bench new-site) that fails midway (wrong database root password, lock timeout, missing app) leaves the site
    directory behind; a retry would then fail with "already exists". The module reports such a half-created site
    and what to do about it instead of retrying.
"""

EXAMPLES = r"""
- name: ERPNext site with POS Awesome on a plain bench
  securenexus.provisioning.erpnext_site:
    name: acme.erp.example.org
    apps: [erpnext, posawesome]
    admin_password: "{{ vault_acme_erpnext_admin_password }}"
    db_root_password: "{{ vault_mariadb_root_password }}"
    bench_path: /home/frappe/frappe-bench
    site_config:
      host_name: https://acme.erp.example.org
      mute_emails: true
  become: true
  become_user: frappe

- name: The same site on frappe_docker (bench runs in the backend container)
  securenexus.provisioning.erpnext_site:
    name: acme.erp.example.org
    apps: [erpnext, posawesome]
    admin_password: "{{ vault_acme_erpnext_admin_password }}"
    db_root_password: "{{ vault_mariadb_root_password }}"
    bench_command: [docker, compose, -f, /srv/erpnext/compose.yml, exec, -T, backend, bench]

- name: Give the Administrator of an existing site a new password (a rotation)
  securenexus.provisioning.erpnext_site:
    name: acme.erp.example.org
    admin_password: "{{ new_admin_password }}"
    update_password: always

- name: Archive the site (bench takes a backup, then moves it to archived/sites)
  securenexus.provisioning.erpnext_site:
    name: acme.erp.example.org
    state: absent
    db_root_password: "{{ vault_mariadb_root_password }}"
"""

RETURN = r"""
site:
  description:
    - The site after the task (predicted in check mode). Empty when the site is absent.
  returned: always
  type: dict
  contains:
    name:
      description: The site name.
      type: str
      sample: acme.erp.example.org
    apps:
      description:
        - Installed apps in installation order, C(frappe) first, with their versions.
        - In check mode an app that would be installed has the version V(null).
      type: list
      elements: dict
      sample: [{name: frappe, version: 15.103.0}, {name: erpnext, version: 15.102.0}]
    config_keys:
      description: The site config keys this task manages (the keys of O(site_config)); never their values.
      type: list
      elements: str
      sample: [host_name, mute_emails]
    created:
      description: Whether this task created the site (would create it, in check mode).
      type: bool
      sample: false
    template:
      description:
        - V(not used) (O(template=false), or the site was there), V(used) (the site was made from the existing
          template), V(created) (the template was made first), V(rebuilt) (the template was made again first),
          V(completed) (an earlier run made the site from the template and stopped before setting its
          Administrator password; set now). Predicted in check mode.
      type: str
      sample: used
  sample:
    name: acme.erp.example.org
    apps: [{name: frappe, version: 15.103.0}, {name: erpnext, version: 15.102.0}, {name: posawesome, version: 15.31.0}]
    config_keys: [host_name]
    created: true
    template: used
commands:
  description: The bench commands the task ran, in order, secrets masked. Check mode runs only reading commands.
  returned: always
  type: list
  elements: str
  sample: ["bench --site acme.erp.example.org list-apps"]
"""

import hashlib
import json
import math
import os
import re
import secrets

from ansible_collections.securenexus.provisioning.plugins.module_utils import _frappe
from ansible_collections.securenexus.provisioning.plugins.module_utils._bench import BENCH_ARGUMENT_SPEC, MASK, BenchError, BenchRunner, run_bench_module

SITE_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
APP_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
CONFIG_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
APP_LINE = re.compile(r"^([a-z_][a-z0-9_]*)(?:\s+(\S+)(?:\s+(\S+))?)?$")
# bench's set-config rewrites these strings (frappe.installer._update_config_file)
CONVERTED_STRINGS = ("0", "1", "true", "false", "None")
SECRET_KEY = re.compile(r"pass|secret|key|token", re.IGNORECASE)
APP_VERSION = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)
# What a diff shows for a password that was set (mailcow_mailbox shows the same)
PASSWORD_CHANGED = "(changed)"


# Read inside the template site: what it holds that a new client's site must not inherit, the app versions
# its database was made by, the bench's own versions, and where its database dump is.
TEMPLATE_STATE = """
import os
import frappe
from frappe.utils.change_log import get_versions

def count(query):
    return frappe.db.sql(query)[0][0]

result = {
    "installed": [[row.app_name, row.app_version]
                  for row in frappe.get_single("Installed Applications").installed_applications],
    "bench": {app: info["version"] for app, info in get_versions().items()},
    "holds": {
        "users": count("select count(*) from `tabUser` where name not in ('Administrator', 'Guest')"),
        "api_keys": count("select count(*) from `tabUser` where ifnull(api_key, '') != ''"),
        "sessions": count("select count(*) from `tabSessions`"),
        "encrypted_fields": count("select count(*) from `__Auth` where encrypted = 1"),
    },
    "dump": os.path.abspath(params["dump"]) if os.path.isfile(params["dump"]) else None,
}
"""


def template_site(apps):
    """The bench's template site for one list of apps: never a client's name (.invalid is never a real domain)."""
    return "erpnext-template-%s.invalid" % hashlib.sha256(",".join(apps).encode()).hexdigest()[:12]


def template_dump(site):
    """Where the template's database dump goes, relative to the bench's sites/ directory (bench's cwd)."""
    return "%s/private/backups/template-database.sql.gz" % site


def template_record(site):
    """Where the record of a verified template dump goes, relative to the bench's sites/ directory."""
    return "%s/private/backups/template-database.json" % site


def file_digest(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bench_app_version(bench_path, app):
    """An app's version as frappe reads it (the app module's __version__), or None when it cannot be read."""
    try:
        with open(os.path.join(bench_path, "apps", app, app, "__init__.py")) as handle:
            match = APP_VERSION.search(handle.read())
    except (OSError, UnicodeDecodeError):
        return None
    return match.group(1) if match else None


def template_problem(state, apps):
    """Why a template cannot be used as it is, or None."""
    installed = dict(state["installed"])
    if [app for app, _version in state["installed"]] != ["frappe"] + apps:
        return "it holds the apps %s, not %s" % (", ".join(installed), ", ".join(["frappe"] + apps))
    stale = ["%s %s (bench: %s)" % (app, version, state["bench"].get(app))
             for app, version in installed.items() if state["bench"].get(app) != version]
    if stale:
        return "it was made by other app versions than the bench's: " + ", ".join(stale)
    holds = ["%s %s" % (count, what.replace("_", " ")) for what, count in sorted(state["holds"].items()) if count]
    if holds:
        return "it holds %s, which every site made from it would inherit" % ", ".join(holds)
    if not state["dump"]:
        return "its database dump is missing"
    return None


class SiteProblem(Exception):
    """A site in a state this module must not touch by itself."""


def half_created_advice(name, db_root_username):
    return ("This is what a `bench new-site` that failed midway leaves behind (for example after a wrong database "
            "root password or a lock timeout); it can also mean the database server is down. Check the database named "
            "by db_name in sites/%s/site_config.json. If the site holds nothing worth keeping, remove it with "
            "`bench drop-site %s --force --db-root-username %s --db-root-password ...`, or remove the directory "
            "sites/%s after checking that no database was created for it, then run this task again. "
            "This module does not do it for you." % (name, name, db_root_username, name))


def validate(params):
    """Bad input: a message naming what is wrong, before any bench command runs."""
    errors = []
    if not SITE_NAME.match(params["name"]):
        errors.append("name %r is not a valid site name (a host name such as acme.erp.example.org)" % params["name"])
    if not params["bench_command"] or not all(part for part in params["bench_command"]):
        errors.append("bench_command must be a non-empty list of non-empty strings")
    seen = set()
    for app in params["apps"]:
        if not APP_NAME.match(app):
            errors.append("apps: %r is not a valid app name" % app)
        elif app in seen:
            errors.append("apps: %s is listed twice" % app)
        seen.add(app)
    for key, value in (params["site_config"] or {}).items():
        if not CONFIG_KEY.match(key):
            errors.append("site_config: %r is not a valid config key" % key)
        elif value is None:
            errors.append("site_config.%s: null is not supported (removing keys is not managed)" % key)
        elif isinstance(value, str) and value in CONVERTED_STRINGS:
            errors.append("site_config.%s: bench would store the string %r as %s; give the typed value instead"
                          % (key, value, "a deletion" if value == "None" else "a number or boolean"))
        elif isinstance(value, float) and not math.isfinite(value):
            errors.append("site_config.%s: %r cannot be stored" % (key, value))
    for option in ("timeout", "queue_timeout"):
        if params[option] is not None and params[option] <= 0:
            errors.append("%s must be a positive number of seconds" % option)
    return errors


def same_value(current, wanted):
    """Typed comparison: 1, True and "1" are three different values."""
    return json.dumps(current, sort_keys=True) == json.dumps(wanted, sort_keys=True)


def shown_value(key, value):
    return MASK if SECRET_KEY.search(key) else value


class ErpnextSite:
    def __init__(self, params, check_mode, runner):
        self.params = params
        self.check_mode = check_mode
        self.runner = runner
        self.name = params["name"]
        self.changed = False
        self.warnings = []
        self.template_status = "not used"
        self.password_set = False

    # -- reads ------------------------------------------------------------------------------

    def read_apps(self):
        """Installed apps [(name, version)] in order, or None when bench does not know the site."""
        if self.known_absent():
            return None
        rc, stdout, stderr = self.runner.read(["--site", self.name, "list-apps"], check=False)
        if rc != 0:
            if "Site %s does not exist" % self.name in stdout + stderr:
                return None
            error = BenchError("", rc=rc, stdout=stdout, stderr=stderr)
            raise SiteProblem("Site %s exists (sites/%s/site_config.json) but bench cannot read its apps "
                              "(`%s` exit code %s):\n%s\n%s"
                              % (self.name, self.name, self.runner.calls[-1], rc, error.tail,
                                 half_created_advice(self.name, self.params["db_root_username"])))
        apps = []
        for line in stdout.splitlines():
            match = APP_LINE.match(line.strip())
            if match:
                apps.append((match.group(1), match.group(2)))
        if "frappe" not in [app for app, _version in apps]:
            raise SiteProblem("Site %s exists but frappe is not installed on it (bench lists: %s). %s"
                              % (self.name, ", ".join(app for app, _v in apps) or "nothing",
                                 half_created_advice(self.name, self.params["db_root_username"])))
        return apps

    def known_absent(self):
        """Whether the bench, when it is on this host, has no config for the site: frappe's own test of a site's
        existence, without the seconds frappe takes to start and say so."""
        sites = os.path.join(self.params["bench_path"], "sites")
        return os.path.isdir(sites) and not os.path.isfile(os.path.join(sites, self.name, "site_config.json"))

    def read_config(self):
        _rc, stdout, _stderr = self.runner.read(["--site", self.name, "show-config", "--format", "json"])
        lines = stdout.splitlines()
        start = next((index for index, line in enumerate(lines) if line.startswith("{")), None)
        try:
            config = json.loads("\n".join(lines[start:])) if start is not None else None
        except ValueError:
            config = None
        if not isinstance(config, dict) or not isinstance(config.get(self.name), dict):
            raise BenchError("`%s` did not print the site's config as JSON" % self.runner.calls[-1])
        return config[self.name]

    # -- writes -----------------------------------------------------------------------------

    def require(self, action, *names):
        missing = [name for name in names if not self.params[name]]
        if missing:
            raise SiteProblem("%s needed to %s site %s" % (
                " and ".join(missing) + (" is" if len(missing) == 1 else " are"), action, self.name))

    def new_site(self, name, apps, admin_password, source_sql=None):
        """`bench new-site`; (rc, stdout, stderr), or None in check mode."""
        args = ["new-site", name, "--db-root-username", self.params["db_root_username"]]
        if source_sql:
            args += ["--source-sql", source_sql]
        for app in apps:
            args += ["--install-app", app]
        # The order of the prompts: frappe asks the root password to create the database, then the
        # Administrator password twice (frappe.utils.install.get_admin_password) while installing frappe;
        # from a template frappe is already installed and only the first is asked.
        return self.runner.write(args, check=False,
                                 stdin=[self.params["db_root_password"], admin_password, admin_password])

    def template(self, apps):
        """The template's dump, made first when missing or unusable; (absolute dump path, apps, status)."""
        site = template_site(apps)
        recorded = self.recorded_template(site, apps)
        if recorded:
            return recorded["dump"], recorded["installed"], "used"
        state = self.template_state(site)
        problem = "there is none" if state is None else template_problem(state, apps)
        if problem is None:
            self.record_template(site, state)
            return state["dump"], state["installed"], "used"
        status = "created" if state is None else "rebuilt"
        if state is not None:
            self.warnings.append("The template site %s is rebuilt: %s." % (site, problem))
            self.runner.write(["drop-site", site, "--no-backup", "--db-root-username", self.params["db_root_username"]],
                              stdin=[self.params["db_root_password"]])
        # A password nobody knows: the template is never logged in to, and every site made from it gets its own.
        password = secrets.token_urlsafe(24)
        self.runner.secrets.append(password)
        done = self.new_site(site, apps, password)
        if done is not None:
            if done[0] != 0:
                raise SiteProblem("Creating the template site %s failed (exit code %s):\n%s"
                                  % (site, done[0], BenchError("", stdout=done[1], stderr=done[2]).tail))
            self.runner.write(["--site", site, "backup", "--backup-path-db", template_dump(site)])
            state = self.template_state(site)
            problem = template_problem(state, apps)
            if problem:
                raise SiteProblem("The template site %s made just now is not usable: %s" % (site, problem))
            self.record_template(site, state)
            return state["dump"], state["installed"], status
        return None, [["frappe", None]] + [[app, None] for app in apps], status

    def record_path(self, site):
        """The record of the template's verified dump on this host, or None when the bench is not on this host."""
        sites = os.path.join(self.params["bench_path"], "sites")
        return os.path.join(sites, template_record(site)) if os.path.isdir(sites) else None

    def recorded_template(self, site, apps):
        """What the last read of the template found, when its dump and the bench's app versions are unchanged since;
        else None (the template is read)."""
        path = self.record_path(site)
        try:
            with open(path) as handle:
                record = json.load(handle)
            unchanged = (
                [app for app, _version in record["installed"]] == ["frappe"] + apps
                and all(bench_app_version(self.params["bench_path"], app) == version
                        for app, version in record["installed"])
                and os.path.getsize(record["dump"]) == record["size"] and file_digest(record["dump"]) == record["sha256"])
        except (TypeError, OSError, ValueError, KeyError):  # no record (or no local bench), or not one of ours
            return None
        return record if unchanged else None

    def record_template(self, site, state):
        """Keep what the read found, for the next creation; a file of its own on the host, so not in check mode."""
        path = self.record_path(site)
        if path is None or not state["dump"] or self.check_mode:
            return
        record = {"installed": state["installed"], "dump": state["dump"], "size": os.path.getsize(state["dump"]),
                  "sha256": file_digest(state["dump"])}
        try:
            with open(path + ".tmp", "w") as handle:
                json.dump(record, handle)
            os.replace(path + ".tmp", path)
        except OSError as error:
            self.warnings.append("Could not keep the record of the template's dump in %s (%s): every creation reads "
                                 "the template instead." % (path, error.strerror))

    def template_state(self, site):
        return _frappe.read(self.runner, site, TEMPLATE_STATE, {"program": "template_state", "dump": template_dump(site)})

    def create(self, apps):
        """Create the site; the apps it got as [[name, version]] when known without reading the site again."""
        self.require("create", "admin_password", "db_root_password")
        self.changed = True
        installed = None
        # new-site gives up on bench's own lock after one second: queue behind other creations on this bench
        with self.runner.exclusive(self.params["queue_timeout"]):
            if self.params["template"]:
                dump, installed, self.template_status = self.template(apps)
                # from here until the Administrator password is set the site holds the template's: marked
                self.runner.set_pending(self.name, True)
                result = self.new_site(self.name, apps, self.params["admin_password"], source_sql=dump)
            else:
                result = self.new_site(self.name, apps, self.params["admin_password"])
        if result is None or result[0] == 0:  # None: check mode, nothing ran
            if self.params["template"]:
                self.set_admin_password()
            return installed
        rc, stdout, stderr = result
        error = BenchError("", rc=rc, stdout=stdout, stderr=stderr)
        if "Site %s already exists" % self.name in stdout:
            raise SiteProblem("`%s` says the site already exists, but bench does not know it (no "
                              "sites/%s/site_config.json): a directory sites/%s is left over from a creation that "
                              "failed midway. After checking that no database was created for it, remove the "
                              "directory sites/%s and run this task again." % (self.runner.calls[-1], self.name,
                                                                               self.name, self.name))
        raise SiteProblem("`%s` failed with exit code %s:\n%s\n%s"
                          % (self.runner.calls[-1], rc, error.tail,
                             half_created_advice(self.name, self.params["db_root_username"])))

    def write(self, args, stdin=()):
        self.changed = True
        self.runner.write(args, stdin=stdin)

    def set_admin_password(self, action="finish"):
        """A site made from the template holds the template's Administrator password until this ran."""
        self.require(action, "admin_password")
        self.password_set = True
        self.write(["--site", self.name, "set-admin-password"], stdin=[self.params["admin_password"]])
        self.runner.set_pending(self.name, False)

    def set_config(self, key, value):
        if isinstance(value, str):
            options, text = [], value
        else:
            options, text = ["--parse"], repr(value)
        separator = ["--"] if text.startswith("-") else []
        self.write(["--site", self.name, "set-config"] + options + separator + [key, text])

    # -- states -----------------------------------------------------------------------------

    def present(self):
        wanted_apps = [app for app in self.params["apps"] if app != "frappe"]
        wanted_config = self.params["site_config"] or {}
        apps = self.read_apps()
        created = apps is None
        before = {"state": "absent"} if created else {"state": "present", "apps": [app for app, _v in apps]}
        if created:
            installed = self.create(wanted_apps)
            if installed is not None:
                apps = [tuple(app) for app in installed]
                config = self.read_config() if wanted_config and not self.check_mode else {}
            elif self.check_mode:
                apps = [("frappe", None)] + [(app, None) for app in wanted_apps]
                config = {}
            else:
                apps = self.read_apps()
                config = self.read_config() if wanted_config else {}
        else:
            if self.runner.is_pending(self.name):
                # a run that created it from the template stopped before setting its Administrator password
                self.set_admin_password()
                self.template_status = "completed"
            elif self.params["update_password"] == "always":
                self.set_admin_password("set the Administrator password of")
            config = self.read_config() if wanted_config else {}
            before["site_config"] = {key: shown_value(key, config[key]) for key in wanted_config if key in config}
        installed = [app for app, _v in apps]
        missing = [app for app in wanted_apps if app not in installed]
        extra = [app for app in installed if app != "frappe" and app not in wanted_apps] if self.params["exclusive"] else []
        for app in reversed(extra):
            self.write(["--site", self.name, "uninstall-app", app, "--yes"])
        for app in missing:
            self.write(["--site", self.name, "install-app", app])
        for key, value in wanted_config.items():
            if key not in config or not same_value(config[key], value):
                self.set_config(key, value)
        if (missing or extra) and not self.check_mode:
            apps = self.read_apps()
        elif missing or extra:
            apps = [(app, version) for app, version in apps if app not in extra] + [(app, None) for app in missing]
        site = {
            "name": self.name,
            "apps": [{"name": app, "version": version} for app, version in apps],
            "config_keys": sorted(wanted_config),
            "created": created,
            "template": self.template_status,
        }
        after = {"state": "present", "apps": [app for app, _v in apps],
                 "site_config": {key: shown_value(key, value) for key, value in wanted_config.items()}}
        if self.password_set and not created:
            # frappe keeps a hash only: the diff can say that the password changed, never from what
            after["admin_password"] = PASSWORD_CHANGED
        return site, before, after

    def absent(self):
        apps = self.read_apps()
        if apps is None:
            return {}, {"state": "absent"}, {"state": "absent"}
        self.require("drop", "db_root_password")
        self.write(["drop-site", self.name, "--db-root-username", self.params["db_root_username"]],
                   stdin=[self.params["db_root_password"]])
        self.runner.set_pending(self.name, False)
        return {}, {"state": "present", "apps": [app for app, _v in apps]}, {"state": "absent"}


ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    apps=dict(type="list", elements="str", default=[]),
    exclusive=dict(type="bool", default=False),
    admin_password=dict(type="str", no_log=True),
    update_password=dict(type="str", choices=["on_create", "always"], default="on_create", no_log=False),
    db_root_username=dict(type="str", default="root"),
    db_root_password=dict(type="str", no_log=True),
    **BENCH_ARGUMENT_SPEC,
    site_config=dict(type="dict"),
    template=dict(type="bool", default=False),
    timeout=dict(type="int", default=1800),
    queue_timeout=dict(type="int", default=3600),
)


def execute(params, check_mode, diff, run_command):
    errors = validate(params)
    if errors:
        return dict(failed=True, msg="Invalid options: " + "; ".join(errors), commands=[])
    runner = BenchRunner(run_command, params["bench_command"], params["bench_path"], params["timeout"],
                         secrets=[params["admin_password"], params["db_root_password"]], check_mode=check_mode)
    site = ErpnextSite(params, check_mode, runner)
    try:
        if params["state"] == "present":
            result, before, after = site.present()
        else:
            result, before, after = site.absent()
    except (BenchError, SiteProblem) as error:
        return dict(failed=True, msg=runner.mask(str(error)), commands=runner.calls)
    output = dict(changed=site.changed, site=result, commands=runner.calls, warnings=site.warnings)
    if diff:
        output["diff"] = dict(before=before, after=after)
    return output


def main():
    run_bench_module(ARGUMENT_SPEC, execute)


if __name__ == "__main__":
    main()
