"""A stand-in for a Frappe bench (frappe-bench 5.31, frappe 15), for the sandbox and the tests.

It reproduces what /work/shared/erpnext/BENCH.md measured on a real bench, for the commands the
erpnext_site module uses: same arguments, outputs, exit codes and files. It is not smarter than
bench: a failure midway leaves the half-created site behind, exactly like frappe.

The executable is sandbox/bin/bench; it runs from inside a bench directory made by init_bench().
The "MariaDB server" is a JSON file under <bench>/.standin/ holding the root account, the site
databases with their users, installed apps and the Administrator password hash.
"""

import argparse
import ast
import contextlib
import fcntl
import gzip
import hashlib
import hmac
import json
import os
import pwd
import re
import secrets
import shutil
import string
import sys
import tarfile
import time
from datetime import datetime
from pathlib import Path

# The sandbox's MariaDB root account. Sandbox-only: it protects nothing but the stand-in.
SANDBOX_DB_ROOT_USERNAME = "root"
SANDBOX_DB_ROOT_PASSWORD = "sandbox-mariadb-root-0000000000000001"

APPS = {
    # name: (version, branch, required apps) as on the measured bench
    "frappe": ("15.103.0", "version-15", ()),
    "erpnext": ("15.102.0", "version-15", ()),
    "posawesome": ("15.31.0", "develop", ("erpnext",)),
}
PATHS_IN_BENCH = ("apps", "sites", "config")
MARIADB_VERSION = "10.11.6-MariaDB-0+deb12u1"
STATE_DIR = ".standin"
DUMP_TAG = "standin-database: "
RESULT_PREFIX = "SECURENEXUS-RESULT "
LOCK_TIMEOUT = 1.0


def init_bench(path, db_root_password=SANDBOX_DB_ROOT_PASSWORD):
    """Create (or complete) a bench directory laid out like a real one. Idempotent."""
    bench = Path(path)
    for sub in ("apps", "sites", "config/pids", "logs", "archived/sites", STATE_DIR):
        (bench / sub).mkdir(parents=True, exist_ok=True)
    for app, (version, _branch, _required) in APPS.items():
        package = bench / "apps" / app / app
        package.mkdir(parents=True, exist_ok=True)
        init = package / "__init__.py"
        if not init.exists():
            init.write_text(f'__version__ = "{version}"\n')
    apps_txt = bench / "sites" / "apps.txt"
    if not apps_txt.exists():
        apps_txt.write_text("\n".join(APPS) + "\n")
    common = bench / "sites" / "common_site_config.json"
    config = json.loads(common.read_text()) if common.exists() else {
        "background_workers": 1, "default_site": None, "file_watcher_port": 6787,
        "redis_cache": "redis://127.0.0.1:13000", "redis_queue": "redis://127.0.0.1:11000",
        "redis_socketio": "redis://127.0.0.1:13000", "socketio_port": 9000, "webserver_port": 8000,
    }
    config = {key: value for key, value in config.items() if value is not None}
    if os.geteuid() == 0:
        # a real bench refuses root unless it was set up to run as root
        config.setdefault("frappe_user", "root")
    _write_json(common, config)
    with _database(bench) as db:
        db.setdefault("root", {"user": SANDBOX_DB_ROOT_USERNAME, "password": db_root_password})
        db.setdefault("databases", {})
    return bench


# ---------------------------------------------------------------------------------------------
# State helpers (also used by sandbox.bench_frontend)

def _write_json(path, data):
    tmp = Path(f"{path}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


@contextlib.contextmanager
def _database(bench, write=True):
    """The stand-in MariaDB: a JSON file, read-modify-written under an exclusive lock."""
    state = Path(bench) / STATE_DIR
    state.mkdir(exist_ok=True)
    with open(state / "mariadb.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
        path = state / "mariadb.json"
        data = json.loads(path.read_text()) if path.exists() else {}
        yield data
        if write:
            _write_json(path, data)


def site_config_path(bench, site):
    return Path(bench) / "sites" / site / "site_config.json"


def site_exists(bench, site):
    return valid_site_name(site) and site_config_path(bench, site).is_file()


def valid_site_name(site):
    return bool(site) and "/" not in site and "\0" not in site and site not in (".", "..")


def site_database(bench, site):
    """The site's database entry as the site's own DB user sees it, or None if it cannot log in."""
    try:
        conf = json.loads(site_config_path(bench, site).read_text())
    except (OSError, ValueError):
        return None
    with _database(bench, write=False) as db:
        entry = db.get("databases", {}).get(conf.get("db_name"))
    if not entry or entry["user"] != conf.get("db_user", conf.get("db_name")) or entry["password"] != conf.get("db_password"):
        return None
    return entry


def hash_password(password):
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 10000).hex()
    return f"{salt}${digest}"


def check_password(password, stored):
    salt, _sep, digest = (stored or "").partition("$")
    computed = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 10000).hex()
    return bool(digest) and hmac.compare_digest(computed, digest)


# ---------------------------------------------------------------------------------------------
# Output that looks like frappe's

class CommandFailed(Exception):
    """Ends the command with an exit code after its output was printed."""

    def __init__(self, code=1):
        super().__init__(code)
        self.code = code


def _traceback(frames, exception_line):
    """A Python traceback as frappe prints it on stderr (traceback.print_exc)."""
    lines = ["Traceback (most recent call last):"]
    for file, line, function, code in frames:
        lines.append(f'  File "{file}", line {line}, in {function}')
        lines.append(f"    {code}")
    lines.append(exception_line)
    return "\n".join(lines)


def _fail_traceback(bench, frames, exception_line, stream=None):
    root = Path(bench).resolve()
    frames = [(str(root / file) if not file.startswith("/") else file, line, fn, code)
              for file, line, fn, code in frames]
    print(_traceback(frames, exception_line), file=stream or sys.stderr)
    raise CommandFailed(1)


def _access_denied(bench, user, frames):
    _fail_traceback(bench, frames + [
        ("apps/frappe/frappe/database/mariadb/database.py", 108, "get_connection", "conn = self._get_connection()"),
        ("env/lib/python3.11/site-packages/pymysql/err.py", 150,
         "raise_mysql_exception", "raise errorclass(errno, errval)"),
    ], f"pymysql.err.OperationalError: (1045, \"Access denied for user '{user}'@'localhost' (using password: YES)\")")


def _progress(label, steps=4):
    text = label.ljust(36)
    width = 40
    for step in range(1, steps + 1):
        done = width * step // steps
        sys.stdout.write(f"\r{text}: [{'=' * done}{' ' * (width - done)}] {100 * step // steps}%")
    sys.stdout.write("\n")


@contextlib.contextmanager
def _filelock(path, name):
    """frappe.utils.synchronization.filelock with its one-second timeout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    print(_traceback([
                        (str(path.parents[2] / "apps/frappe/frappe/utils/synchronization.py"), 52, "filelock",
                         "raise LockTimeoutError("),
                    ], f"frappe.utils.synchronization.LockTimeoutError: Failed to aquire lock: {name}. Lock may be "
                       f"held by another process.<br>You can manually remove the lock if you think it's safe: {path}"),
                        file=sys.stderr)
                    raise CommandFailed(1)
                time.sleep(0.05)
        yield


def _prompt_secret(prompt):
    """getpass without a terminal: it warns and reads a line from stdin; at end of input click prints
    `Aborted!` on stderr and bench exits 1 (measured: ../shared/real-peers/BENCH-PEER.md, difference 3)."""
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    print("Warning: Password input may be echoed.", file=sys.stderr)
    sys.stderr.write(prompt)
    sys.stderr.flush()
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        print("\nAborted!", file=sys.stderr)
        raise CommandFailed(1)
    return line.rstrip("\n")


def _ask_admin_password():
    """frappe.utils.install.get_admin_password: asked twice, again until both match."""
    while True:
        first = _prompt_secret("Set Administrator password: ")
        if first == _prompt_secret("Re-enter Administrator password: "):
            return first
        print("\nPasswords do not match")


# ---------------------------------------------------------------------------------------------
# The bench

class Bench:
    def __init__(self, root):
        self.root = Path(root)
        self.sites = self.root / "sites"

    def common_config(self):
        path = self.sites / "common_site_config.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def config(self, site):
        merged = self.common_config()
        merged.update(json.loads(site_config_path(self.root, site).read_text()))
        return merged

    def available_apps(self):
        listed = (self.sites / "apps.txt").read_text().split() if (self.sites / "apps.txt").exists() else []
        return [app for app in listed if (self.root / "apps" / app / app / "__init__.py").exists()]

    def app_version(self, app):
        text = (self.root / "apps" / app / app / "__init__.py").read_text()
        match = re.search(r'__version__\s*=\s*"([^"]+)"', text)
        return match.group(1) if match else "0.0.1"

    def require_site(self, site):
        if not site:
            print("Please specify --site sitename")
            raise CommandFailed(1)
        if not site_exists(self.root, site):
            print(f"Site {site} does not exist!")
            raise CommandFailed(1)

    def connect(self, site, frames):
        """frappe.connect(): log in as the site's own database user."""
        conf = json.loads(site_config_path(self.root, site).read_text())
        entry = site_database(self.root, site)
        if entry is None:
            _access_denied(self.root, conf.get("db_user", conf.get("db_name")), frames + [
                ("apps/frappe/frappe/__init__.py", 381, "connect", "local.db = get_db("),
            ])
        return conf["db_name"]

    def check_root(self, username, password, frames):
        conf = self.common_config()
        username = username or conf.get("mariadb_root_login") or conf.get("root_login") or "root"
        if not password:
            password = conf.get("mariadb_root_password") or conf.get("root_password")
        if not password:
            password = _prompt_secret("MySQL root password: ")
        with _database(self.root, write=False) as db:
            root = db.get("root", {})
        if username != root.get("user") or password != root.get("password"):
            _access_denied(self.root, username, frames + [
                ("apps/frappe/frappe/database/mariadb/setup_db.py", 140, "get_root_connection",
                 "frappe.local.flags.root_connection = frappe.database.get_db("),
            ])

    # -- apps -------------------------------------------------------------------------------

    def install_app(self, db_name, app, frames, admin_password=None):
        """frappe.installer.install_app: required apps first; an installed app is a no-op."""
        if app not in self.available_apps():
            raise ModuleNotFoundError(f"No module named '{app}'")
        for required in APPS.get(app, ("", "", ()))[2]:
            self.install_app(db_name, required, frames)
        with _database(self.root) as db:
            installed = db["databases"][db_name]["installed_apps"]
        if app in installed:
            print(f"App {app} already installed")
            return
        print(f"\nInstalling {app}...")
        _progress(f"Updating DocTypes for {app}")
        if app == "frappe":
            password = admin_password or self.common_config().get("admin_password") or _ask_admin_password()
            with _database(self.root) as db:
                db["databases"][db_name]["admin_password"] = hash_password(password)
        print(f"Updating Dashboard for {app}")
        with _database(self.root) as db:
            db["databases"][db_name]["installed_apps"].append(app)
            # the Installed Applications table: the version installed, which list-apps shows
            db["databases"][db_name].setdefault("app_versions", {})[app] = self.app_version(app)

    def installed_apps(self, db_name):
        with _database(self.root, write=False) as db:
            return list(db["databases"][db_name]["installed_apps"])

    # -- backups ----------------------------------------------------------------------------

    def backup(self, site, with_files=True, with_config=True, database_path=None):
        site_path = self.sites / site
        backups = site_path / "private" / "backups"
        backups.mkdir(parents=True, exist_ok=True)
        now = datetime.now()
        stamp = now.strftime("%Y%m%d_%H%M%S")
        prefix = f"{stamp}-{site.replace('.', '_')}"
        written = []
        if with_config:
            target = backups / f"{prefix}-site_config_backup.json"
            shutil.copyfile(site_config_path(self.root, site), target)
            written.append(("Config  ", target))
        database = Path(os.path.abspath(database_path)) if database_path else backups / f"{prefix}-database.sql.gz"
        conf = json.loads(site_config_path(self.root, site).read_text())
        with _database(self.root, write=False) as db:
            entry = dict(db["databases"][conf["db_name"]])
        # frappe's dump holds every table; the stand-in's holds the database entry, users and passwords included
        with gzip.open(database, "at") as dump:  # frappe appends: `mariadb-dump ... | gzip >> PATH`
            dump.write(f"-- MariaDB dump of the sandbox site {site}\n-- {DUMP_TAG}{json.dumps(entry)}\n")
        written.append(("Database", database))
        if with_files:
            for label, source, name in (("Public  ", site_path / "public" / "files", "files"),
                                        ("Private ", site_path / "private" / "files", "private-files")):
                target = backups / f"{prefix}-{name}.tar"
                with tarfile.open(target, "w") as tar:
                    if source.is_dir():
                        tar.add(source, arcname=f"{site}/{source.relative_to(site_path)}")
                written.append((label, target))
        print(f"Backup Summary for {site} at {now.strftime('%Y-%m-%d %H:%M:%S.%f')}")
        for label, target in written:
            print(f"{label}: ./{target.relative_to(self.sites)} {target.stat().st_size}.0B")


# ---------------------------------------------------------------------------------------------
# Commands (each runs with the current directory = <bench>/sites, like frappe's bench_helper)

def cmd_new_site(bench, site, args):
    if args.site_name in bench.available_apps():
        print(f"Your bench has an app called {args.site_name}, please choose another name for the site.")
        raise CommandFailed(1)
    site = args.site_name
    if not valid_site_name(site):
        print(f"Invalid site name {site}")
        raise CommandFailed(1)
    site_path = bench.sites / site
    if not args.force and site_path.exists():
        print(f"Site {site} already exists")
        raise CommandFailed(1)
    frames = [("apps/frappe/frappe/commands/site.py", 101, "new_site", "_new_site("),
              ("apps/frappe/frappe/installer.py", 87, "_new_site", "install_db(")]
    for sub in ("private/backups", "public/files", "private/files", "locks", "logs"):
        (site_path / sub).mkdir(parents=True, exist_ok=True)
    # frappe's filelock lives in the site's own locks/: two creations of different sites run side by side
    with _filelock(site_path / "locks" / "bench_new_site.lock", "bench_new_site"):
        config_file = site_config_path(bench.root, site)
        if not config_file.exists():
            db_name = args.db_name or "_" + hashlib.sha1(os.path.realpath(site_path).encode()).hexdigest()[:16]
            alphabet = string.ascii_letters + string.digits
            db_password = args.db_password or "".join(secrets.choice(alphabet) for _position in range(16))
            _write_json(config_file, {"db_name": db_name, "db_password": db_password, "db_type": args.db_type})
        conf = json.loads(config_file.read_text())
        bench.check_root(args.db_root_username, args.db_root_password,
                         frames + [("apps/frappe/frappe/installer.py", 180, "install_db", "setup_database(force, verbose)")])
        db_name = conf["db_name"]
        with _database(bench.root) as db:
            if db_name in db["databases"] and not args.force:
                print(f"Database {db_name} already exists, please drop it manually or pass `--force`.")
                raise CommandFailed(1)
            db["databases"][db_name] = {"user": db_name, "password": conf["db_password"], "installed_apps": []}
        if args.source_sql:
            _import_dump(bench, db_name, args.source_sql)
        print(f"Warning: MariaDB version {MARIADB_VERSION.split('-', 1)[0].rsplit('.', 1)} is more than 10.8 "
              "which is not yet tested with Frappe Framework.")
        for app in ["frappe", *args.install_app]:
            try:
                bench.install_app(db_name, app, frames, admin_password=args.admin_password)
            except ModuleNotFoundError as error:
                _fail_traceback(bench.root, frames + [
                    ("apps/frappe/frappe/installer.py", 246, "install_app", "app_hooks = frappe.get_hooks(app_name=name)"),
                    ("/usr/lib/python3.11/importlib/__init__.py", 126, "import_module",
                     "return _bootstrap._gcd_import(name[level:], package, level)")], f"ModuleNotFoundError: {error}")
        print("*** Scheduler is disabled ***")
    if args.set_default:
        _set_config(bench.sites / "common_site_config.json", "default_site", site)
        print(f"Current Site set to {site}")


def _import_dump(bench, db_name, source):
    """frappe's restore_database: `gzip -cd SOURCE | ... | mariadb`, run from sites/. Everything the dump holds
    comes along, the Administrator password and the installed apps with their versions included."""
    try:
        with gzip.open(source, "rt") as dump:
            text = dump.read()
    except FileNotFoundError:
        print(f"gzip: {source}: No such file or directory", file=sys.stderr)
        _fail_traceback(bench.root, [("apps/frappe/frappe/utils/__init__.py", 397, "execute_in_shell",
                                      "raise frappe.CommandFailedError(")],
                        f"frappe.exceptions.CommandFailedError: set -o pipefail; /usr/bin/gzip -cd {source} | ...")
    entry = {}
    for line in text.splitlines():
        if line.startswith(f"-- {DUMP_TAG}"):
            entry = json.loads(line[len(f"-- {DUMP_TAG}"):])  # a dump appended twice restores the last
    with _database(bench.root) as db:
        target = db["databases"][db_name]
        target.update({key: value for key, value in entry.items() if key not in ("user", "password")})


def cmd_backup(bench, site, args):
    bench.require_site(site)
    bench.connect(site, [("apps/frappe/frappe/commands/site.py", 852, "backup", "frappe.connect()")])
    bench.backup(site, with_files=args.with_files, with_config=True, database_path=args.backup_path_db)


def _template_state(bench, db_name, params):
    with _database(bench.root, write=False) as db:
        entry = db["databases"][db_name]
    installed = entry["installed_apps"]
    recorded = entry.get("app_versions", {})
    return {
        "installed": [[app, recorded.get(app) or bench.app_version(app)] for app in installed],
        "bench": {app: bench.app_version(app) for app in installed},
        "holds": {"users": len(entry.get("users", [])), "api_keys": entry.get("api_keys", 0),
                  "sessions": entry.get("sessions", 0), "encrypted_fields": entry.get("encrypted_fields", 0)},
        "dump": os.path.abspath(params["dump"]) if os.path.isfile(params["dump"]) else None,
    }


def _setup_of(entry):
    """The site's setup as ERPNext keeps it: System Settings, companies, users, POS Profiles."""
    return entry.setdefault("setup", {"setup_complete": False, "scheduler": False, "default_company": None,
                                      "system": {"country": None, "currency": None, "time_zone": None, "language": "en"},
                                      "companies": {}, "users": {}, "pos_profiles": {}})


def _setup_state(bench, db_name, params):
    """What _erpnext_setup.STATE answers."""
    with _database(bench.root, write=False) as db:
        setup = _setup_of(dict(db["databases"][db_name]))
    company = setup["companies"].get(params["company"] or "") or setup["companies"].get(setup["default_company"] or "")
    return {"setup_complete": setup["setup_complete"], "system": setup["system"],
            "default_company": setup["default_company"], "company": company,
            "scheduler": setup["scheduler"], "user": setup["users"].get(params["user"] or ""),
            "pos_profile": setup["pos_profiles"].get(params["pos_profile"] or "")}


def _setup_apply(bench, db_name, params):
    """What _erpnext_setup.APPLY does, on the stand-in's database; then STATE's answer."""
    with _database(bench.root) as db:
        setup = _setup_of(db["databases"][db_name])
        for action, data in params["actions"]:
            if action == "wizard":
                setup["companies"][data["company_name"]] = {
                    "name": data["company_name"], "abbr": data["company_abbr"], "country": data["country"],
                    "currency": data["currency"], "fiscal_year_start": data["fy_start_date"][5:]}
                names = WIZARD_NAMES[data["language"]]
                setup.setdefault("company_defaults", {})[data["company_name"]] = {
                    "warehouse": f"{names['warehouse']} - {data['company_abbr']}", "price_list": names["price_list"],
                    "mode_of_payment": names["mode_of_payment"], "currency": data["currency"],
                    "write_off_account": f"{names['write_off_account']} - {data['company_abbr']}",
                    "write_off_cost_center": f"{names['cost_center']} - {data['company_abbr']}"}
                setup.update(setup_complete=True, scheduler=True, default_company=data["company_name"])
                language = next((code for code, name in LANGUAGE_NAMES.items() if name == data["language"]), "en")
                setup["system"] = {"country": data["country"], "currency": data["currency"],
                                   "time_zone": data["timezone"], "language": language}
            elif action == "create_user":
                setup["users"][data["email"]] = {"enabled": True, "full_name": data["full_name"],
                                                 "roles": sorted(data["roles"]), "send_welcome_email": False}
                setup.setdefault("passwords", {})[data["email"]] = hash_password(data["password"])
            elif action == "update_user":
                user = setup["users"][data["email"]]
                user.update({key: value for key, value in data.items() if key in ("full_name", "enabled")})
                user["roles"] = sorted(set(user["roles"]) | set(data.get("roles", [])))
            elif action == "set_password":
                setup.setdefault("passwords", {})[data["email"]] = hash_password(data["password"])
            elif action == "scheduler":
                setup["scheduler"] = bool(data)
            elif action == "create_pos_profile":
                defaults = setup["company_defaults"][data["company"]]
                data = dict(data, **{key: value for key, value in defaults.items() if data.get(key) is None})
                setup["pos_profiles"][data["name"]] = {
                    **{key: data[key] for key in ("company", "warehouse", "price_list", "currency",
                                                  "write_off_account", "write_off_cost_center")},
                    "disabled": False, "modes_of_payment": [data["mode_of_payment"]], "users": list(data["users"])}
            elif action == "add_pos_profile_users":
                setup["pos_profiles"][data["name"]]["users"] += data["users"]
    return _setup_state(bench, db_name, params)


# frappe's languages the stand-in's wizard knows by name (the module passes the name, as the wizard's form does)
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}
# What ERPNext's setup wizard names the company's records in the site's language (measured, de included)
WIZARD_NAMES = {
    "English": {"warehouse": "Stores", "price_list": "Standard Selling", "mode_of_payment": "Cash",
                "write_off_account": "Write Off", "cost_center": "Main"},
    "Deutsch": {"warehouse": "Lagerräume", "price_list": "Standard-Vertrieb", "mode_of_payment": "Bargeld",
                "write_off_account": "Abschreiben", "cost_center": "Haupt"},
}

# What the collection's programs (plugins/module_utils/_frappe.py) answer on a real bench, by their name.
PROGRAMS = {"template_state": _template_state, "setup_state": _setup_state, "setup_apply": _setup_apply}


def cmd_execute(bench, site, args):
    """`execute exec --args [BOOTSTRAP]`: frappe evals the bootstrap, which reads {"code", "params"} from stdin."""
    bench.require_site(site)
    db_name = bench.connect(site, [("apps/frappe/frappe/commands/utils.py", 247, "execute", "frappe.connect()")])
    if args.method != "exec":
        _fail_traceback(bench.root, [("apps/frappe/frappe/commands/utils.py", 272, "execute",
                                      'ret = eval(method + "(*args, **kwargs)", globals(), locals())')],
                        f"NameError: name '{args.method.split('.')[0]}' is not defined")
    request = json.loads(sys.stdin.readline())
    result = PROGRAMS[request["params"]["program"]](bench, db_name, request["params"])
    print(RESULT_PREFIX + json.dumps(result, sort_keys=True))


def cmd_install_app(bench, site, args):
    bench.require_site(site)
    frames = [("apps/frappe/frappe/commands/site.py", 466, "install_app", "frappe.connect()")]
    db_name = bench.connect(site, frames)
    exit_code = 0
    with _filelock(bench.sites / site / "locks" / "install_app.lock", "install_app"):
        for app in args.apps:
            try:
                bench.install_app(db_name, app, frames)
            except ModuleNotFoundError as error:
                trace = _traceback([(str(bench.root / "apps/frappe/frappe/commands/site.py"), 475, "install_app",
                                     "_install_app(app, verbose=context.verbose, force=force)"),
                                    (str(bench.root / "apps/frappe/frappe/installer.py"), 246, "install_app",
                                     "app_hooks = frappe.get_hooks(app_name=name)")], f"ModuleNotFoundError: {error}")
                print(f'Could not find app "{app}": \n{error}\nAn error occurred while installing {app}: {error}\n{trace}')
                exit_code = 1
    if exit_code:
        raise CommandFailed(exit_code)


def cmd_uninstall_app(bench, site, args):
    if args.app == "frappe":
        print("You cannot remove Frappe. Frappe is the core app for the framework.")
        raise CommandFailed(1)
    bench.require_site(site)
    db_name = bench.connect(site, [("apps/frappe/frappe/commands/site.py", 640, "uninstall", "frappe.connect()")])
    if args.app not in bench.installed_apps(db_name):
        print(f"App {args.app} not installed on Site {site}")
        return
    if not args.dry_run and not args.yes:
        print("All doctypes (including custom), modules related to this app will be deleted. "
              "Are you sure you want to continue? [y/N]: ", end="")
        if sys.stdin is None or sys.stdin.readline().strip().lower() not in ("y", "yes"):
            print("\nAborted!")
            raise CommandFailed(1)
    if not args.no_backup and not args.dry_run:
        print("Backing up...")
        bench.backup(site, with_files=False, with_config=False)
    print(f"removing Module {args.app}...")
    if not args.dry_run:
        with _database(bench.root) as db:
            db["databases"][db_name]["installed_apps"].remove(args.app)
        print(f"Uninstalled App {args.app} from Site {site}")


def cmd_list_apps(bench, site, args):
    bench.require_site(site)
    db_name = bench.connect(site, [("apps/frappe/frappe/commands/site.py", 520, "list_apps", "frappe.connect()")])
    apps = bench.installed_apps(db_name)
    if args.format == "json":
        print(json.dumps({site: apps}, indent=1, sort_keys=True, separators=(",", ": ")))
        return
    with _database(bench.root, write=False) as db:
        recorded = db["databases"][db_name].get("app_versions", {})
    rows = [(app, recorded.get(app) or bench.app_version(app), APPS.get(app, ("", "master"))[1]) for app in apps]
    if rows:
        name_len = max(len(row[0]) for row in rows)
        ver_len = max(len(row[1]) for row in rows)
        print("\n" + "\n".join(f"{name:{name_len}} {version:{ver_len}} {branch}" for name, version, branch in rows) + "\n")


def _set_config(path, key, value):
    """frappe.installer._update_config_file, including its string conversions."""
    config = json.loads(path.read_text())
    if value in ("0", "1"):
        value = int(value)
    if value == "false":
        value = False
    if value == "true":
        value = True
    if value == "None":
        config.pop(key, None)
    else:
        config[key] = value
    _write_json(path, config)


def cmd_set_config(bench, site, args):
    value = args.value
    if args.parse:
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError) as error:
            _fail_traceback(bench.root, [("apps/frappe/frappe/commands/site.py", 884, "set_config",
                                          "value = ast.literal_eval(value)"),
                                         ("/usr/lib/python3.11/ast.py", 110, "_convert",
                                          "return _convert_signed_num(node)")],
                            f"{type(error).__name__}: {error}")
    if args.global_:
        _set_config(bench.sites / "common_site_config.json", args.key, value)
        return
    bench.require_site(site)
    _set_config(site_config_path(bench.root, site), args.key, value)


def cmd_show_config(bench, site, args):
    bench.require_site(site)
    config = bench.config(site)
    if args.format == "json":
        print(json.dumps({site: config}, indent=1, sort_keys=True, separators=(",", ": ")))
        return

    def flatten(conf, prefix=""):
        rows = []
        for key, value in conf.items():
            if isinstance(value, dict):
                rows += flatten(value, f"{prefix}{key}.")
            else:
                rows.append([f"{prefix}{key}", json.dumps(value) if isinstance(value, list) else str(value)])
        return rows

    rows = [["Config", "Value"], *flatten(config)]
    widths = [max(len(row[column]) for row in rows) for column in (0, 1)]
    rule = "+" + "+".join("-" * (width + 2) for width in widths) + "+"
    print(rule)
    for index, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " |")
        if index == 0:
            print(rule)
    print(rule)


def cmd_set_admin_password(bench, site, args):
    """frappe.commands.site.set_user_password for Administrator: the password from the argument, else asked
    (once, again while empty); the stored hash replaced."""
    bench.require_site(site)
    password = args.admin_password
    while not password:
        password = _prompt_secret(f"Administrator's password for {site}: ")
    db_name = bench.connect(site, [("apps/frappe/frappe/commands/site.py", 1086, "set_user_password", "frappe.connect()")])
    with _database(bench.root) as db:
        db["databases"][db_name]["admin_password"] = hash_password(password)


def cmd_drop_site(bench, site, args):
    site = args.site_name
    frames = [("apps/frappe/frappe/commands/site.py", 735, "drop_site",
               "_drop_site(site, db_root_username, db_root_password, archived_sites_path, force, no_backup)")]
    if not site_exists(bench.root, site):
        _fail_traceback(bench.root, frames + [
            ("apps/frappe/frappe/commands/site.py", 755, "_drop_site", "frappe.init(site)"),
            ("apps/frappe/frappe/__init__.py", 247, "init", "local.conf = get_site_config(force=True)"),
            ("apps/frappe/frappe/__init__.py", 403, "get_site_config",
             "raise IncorrectSitePath(f\"{site_config} does not exist\")"),
        ], f"frappe.exceptions.IncorrectSitePath: 404 Not Found: {site} does not exist")
    conf = json.loads(site_config_path(bench.root, site).read_text())
    connected = site_database(bench.root, site) is not None
    if not args.no_backup:
        print(f"Taking backup of {site}")
        if not connected and not args.force:
            user = conf.get("db_user", conf.get("db_name"))
            print("=" * 77)
            print(f"Error: The operation has stopped because backup of {site}'s database failed.")
            print(f"Reason: (1698, \"Access denied for user '{user}'@'localhost'\")\n")
            print("Fix the issue and try again.")
            print(f"Hint: Use 'bench drop-site {site} --force' to force the removal of {site}")
            raise CommandFailed(1)
        if connected:
            print(f"set -o pipefail; /usr/bin/mariadb-dump --user={conf['db_name']} --password=********** "
                  f"--single-transaction --quick --lock-tables=false {conf['db_name']} | /usr/bin/gzip >> "
                  f"./{site}/private/backups/...-database.sql.gz\n")
            bench.backup(site)
    print("Dropping site database and user")
    bench.check_root(args.db_root_username, args.db_root_password,
                     frames + [("apps/frappe/frappe/database/mariadb/setup_db.py", 77, "drop_user_and_database",
                                "frappe.local.db = get_root_connection()")])
    with _database(bench.root) as db:
        db["databases"].pop(conf.get("db_name"), None)
    archive = Path(os.path.realpath(args.archived_sites_path or bench.root / "archived" / "sites"))
    print(f"Moving site to archive under {archive}")
    archive.mkdir(parents=True, exist_ok=True)
    count = 0
    while (archive / f"{site}{count or ''}").exists():
        count += 1
    shutil.move(str(bench.sites / site), str(archive / f"{site}{count or ''}"))


# ---------------------------------------------------------------------------------------------
# Command line, parsed the way click parses bench's

class ClickStyleParser(argparse.ArgumentParser):
    """argparse that fails like click: usage, hint and `Error: ...` on stderr, exit 2."""

    def error(self, message):
        message = re.sub(r"unrecognized arguments: (\S+).*", r"No such option: \1", message)
        message = re.sub(r"the following arguments are required: (.*)", r"Missing argument '\1'.", message)
        sys.stderr.write(f"Usage: {self.prog} [OPTIONS]\nTry '{self.prog} --help' for help.\n\nError: {message}\n")
        sys.exit(2)


def _parser():
    parser = ClickStyleParser(prog="bench", add_help=False)
    commands = parser.add_subparsers(dest="command", parser_class=ClickStyleParser)

    new_site = commands.add_parser("new-site", prog="bench new-site")
    new_site.add_argument("site_name", metavar="SITE")
    new_site.add_argument("--db-name")
    new_site.add_argument("--db-password")
    new_site.add_argument("--db-type", default="mariadb", choices=["mariadb", "postgres", "sqlite"])
    new_site.add_argument("--db-root-username", "--mariadb-root-username")
    new_site.add_argument("--db-root-password", "--mariadb-root-password")
    new_site.add_argument("--admin-password")
    new_site.add_argument("--install-app", action="append", default=[])
    new_site.add_argument("--force", action="store_true")
    new_site.add_argument("--verbose", action="store_true")
    new_site.add_argument("--set-default", action="store_true")
    new_site.add_argument("--source-sql")
    new_site.set_defaults(handler=cmd_new_site)

    install = commands.add_parser("install-app", prog="bench install-app")
    install.add_argument("apps", nargs="*")
    install.add_argument("--force", action="store_true")
    install.set_defaults(handler=cmd_install_app)

    uninstall = commands.add_parser("uninstall-app", prog="bench uninstall-app")
    uninstall.add_argument("app")
    uninstall.add_argument("--yes", "-y", action="store_true")
    uninstall.add_argument("--dry-run", action="store_true")
    uninstall.add_argument("--no-backup", action="store_true")
    uninstall.add_argument("--force", action="store_true")
    uninstall.set_defaults(handler=cmd_uninstall_app)

    list_apps = commands.add_parser("list-apps", prog="bench list-apps")
    list_apps.add_argument("--format", "-f", choices=["text", "json"], default="text")
    list_apps.set_defaults(handler=cmd_list_apps)

    set_config = commands.add_parser("set-config", prog="bench set-config")
    set_config.add_argument("key")
    set_config.add_argument("value")
    set_config.add_argument("-g", "--global", dest="global_", action="store_true")
    set_config.add_argument("-p", "--parse", action="store_true")
    set_config.set_defaults(handler=cmd_set_config)

    show_config = commands.add_parser("show-config", prog="bench show-config")
    show_config.add_argument("--format", "-f", choices=["text", "json"], default="text")
    show_config.set_defaults(handler=cmd_show_config)

    backup = commands.add_parser("backup", prog="bench backup")
    backup.add_argument("--with-files", action="store_true")
    backup.add_argument("--backup-path-db")
    backup.set_defaults(handler=cmd_backup)

    execute = commands.add_parser("execute", prog="bench execute")
    execute.add_argument("method")
    execute.add_argument("--args")
    execute.add_argument("--kwargs")
    execute.set_defaults(handler=cmd_execute)

    admin = commands.add_parser("set-admin-password", prog="bench set-admin-password")
    admin.add_argument("admin_password", nargs="?")
    admin.add_argument("--logout-all-sessions", action="store_true")
    admin.set_defaults(handler=cmd_set_admin_password)

    drop = commands.add_parser("drop-site", prog="bench drop-site")
    drop.add_argument("site_name", metavar="SITE")
    drop.add_argument("--db-root-username", "--mariadb-root-username", "--root-login")
    drop.add_argument("--db-root-password", "--mariadb-root-password", "--root-password")
    drop.add_argument("--archived-sites-path")
    drop.add_argument("--no-backup", action="store_true")
    drop.add_argument("--force", action="store_true")
    drop.set_defaults(handler=cmd_drop_site)
    return parser


def find_bench(start):
    """bench's find_parent_bench: the current directory or the nearest parent that is a bench."""
    for candidate in [start, *start.parents]:
        if all((candidate / part).exists() for part in PATHS_IN_BENCH):
            return candidate
    return None


def _split_global_options(argv):
    """`bench --site SITE COMMAND ...`: frappe's group options come before the command."""
    site, rest = None, list(argv)
    while rest and rest[0].startswith("--"):
        option = rest.pop(0)
        if option == "--site" and rest:
            site = rest.pop(0)
        elif option.startswith("--site="):
            site = option.split("=", 1)[1]
        elif option not in ("--verbose", "--force", "--profile"):
            rest.insert(0, option)
            break
    return site, rest


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    bench_root = find_bench(Path.cwd().resolve())
    config = {}
    if bench_root is not None:
        try:
            config = json.loads((bench_root / "sites" / "common_site_config.json").read_text())
        except (OSError, ValueError):
            config = {}
    if os.geteuid() == 0:
        frappe_user = config.get("frappe_user")
        if not frappe_user:
            print("WARN: You should not run this command as root")
            return 1
        if frappe_user != "root":
            user = pwd.getpwnam(frappe_user)
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
    if bench_root is None:
        print("WARN: Command not being executed in bench directory")
        first = argv[0] if argv else ""
        if first.startswith("-"):
            error = f"No such option: {first.split('=', 1)[0]}"
        else:
            error = f"No such command '{first}'."
        sys.stderr.write(f"Usage: bench [OPTIONS] COMMAND [ARGS]...\nTry 'bench --help' for help.\n\nError: {error}\n")
        return 2
    site, rest = _split_global_options(argv)
    args = _parser().parse_args(rest)
    if not getattr(args, "command", None):
        sys.stderr.write("Usage: bench [OPTIONS] COMMAND [ARGS]...\nTry 'bench --help' for help.\n\n"
                         "Error: Missing command.\n")
        return 2
    os.chdir(bench_root / "sites")
    bench = Bench(bench_root)
    try:
        args.handler(bench, site, args)
    except CommandFailed as failure:
        sys.stdout.flush()
        return failure.code
    return 0
