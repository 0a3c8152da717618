"""Fixtures of the reliability suite: an emulator per test module, and a throw-away provisioning workspace.

A workspace is everything a provisioning run touches, in a temporary directory: an inventory whose
Mailcow API key and database root password come from a vault-encrypted vars file, a bench stand-in
directory, Traefik's watched directory (no Traefik process: the role only confirms routes when
client_traefik_api_url is set), the credentials directory, and every artefact a run leaves behind
(stdout, stderr, ANSIBLE_LOG_PATH, JUnit and JSON reports) so a test can grep them all for secrets.
"""

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from sandbox import bench_standin
from tests.conftest import ROOT, start_emulator, stop_emulator

from ansible_collections.securenexus.provisioning.plugins.module_utils import _mailcow
from tests.unit.plugins.module_utils import mailcow_fakes

BENCH = str(ROOT / "sandbox" / "bin" / "bench")
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
DB_ROOT_PASSWORD = "RELIABILITY-dbroot-7Qm2xV9pL4"
VAULT_PASSWORD = "reliability-vault-password"
BASE_DOMAIN = "byrne-accounts.org"
# Few aliases keep a run short; the role's loop is the same for five or two.
ALIASES = ["support", "info"]


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    target = start_emulator(tmp_path_factory.mktemp("mailcow") / "state.sqlite")
    yield target
    stop_emulator(target)


@pytest.fixture
def fresh_emulator(emulator):
    emulator.control.clear_faults()
    emulator.control.wipe()
    emulator.control.reset_counters()
    yield emulator
    emulator.control.clear_faults()


# ---------------------------------------------------------------------------------------------
# Modules in-process, against the emulator over real HTTP.

def run_module(main, args, check_mode=False, diff=False):
    """A module's main() in-process with the real http_open (the unit tests' runner, minus the fake)."""
    return mailcow_fakes.run_module(main, args, _mailcow.http_open, check_mode=check_mode, diff=diff)


def connection(target, **extra):
    return dict({"api_url": target.url, "api_key": target.api_key, "timeout": 1}, **extra)


def api_get(target, path):
    """A raw GET of the real API (for checking state independently of the modules)."""
    request = urllib.request.Request(target.url + "/api/v1/get/" + path, headers={"X-API-Key": target.api_key})
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
    data = json.loads(raw) if raw.strip() else None
    if data in ({}, [], None):
        return []
    return data if isinstance(data, list) else [data]


def mailcow_state(target):
    """Every object the emulator holds, in a comparable shape (no timestamps, no key material)."""
    domains = sorted((d["domain_name"], d["description"], d["max_quota_for_domain"], d["max_quota_for_mbox"],
                      d["def_quota_for_mbox"], d["max_num_mboxes_for_domain"], d["max_num_aliases_for_domain"],
                      d["active"]) for d in api_get(target, "domain/all"))
    mailboxes = sorted((m["username"], m["name"], m["quota"], m["active"]) for m in api_get(target, "mailbox/all"))
    aliases = sorted((a["address"], a["goto"], a["active"]) for a in api_get(target, "alias/all"))
    dkim = sorted((d[0], api_get(target, "dkim/" + d[0])[0].get("dkim_selector")) for d in domains
                  if api_get(target, "dkim/" + d[0]))
    return {"domains": domains, "mailboxes": mailboxes, "aliases": aliases, "dkim": dkim}


# ---------------------------------------------------------------------------------------------
# Provisioning runs through the real ansible-playbook.

def vault():
    return VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])


def decrypt(path):
    return yaml.safe_load(vault().decrypt(Path(path).read_bytes()))


class Workspace:
    """One provisioning setup in a temporary directory, and every run made in it."""

    def __init__(self, root, target):
        self.root = root
        self.target = target
        self.inventory = root / "inventory"
        self.credentials = root / "credentials"
        self.bench = root / "bench"
        self.dynamic = root / "dynamic"
        self.reports = root / "reports"
        self.vault_password_file = root / "vault-password.txt"
        self.runs = []
        self.clients = {}
        # Set by a test that has the clients publish DNS records (tests/named_server.py, enable_dns).
        self.tsig_secret = None
        for directory in (self.inventory / "group_vars" / "all", self.inventory / "group_vars" / "clients",
                          self.dynamic, self.reports):
            directory.mkdir(parents=True)
        self.vault_password_file.write_text(VAULT_PASSWORD)
        bench_standin.init_bench(self.bench, db_root_password=DB_ROOT_PASSWORD)
        (self.inventory / "group_vars" / "all" / "main.yml").write_text(yaml.safe_dump({
            "ansible_python_interpreter": sys.executable}))
        # Each value encrypted on its own, as in the sandbox inventory (a wrong vault password names the file).
        (self.inventory / "group_vars" / "all" / "vault.yml").write_text("".join(
            "%s: !vault |\n%s" % (name, "".join("  %s\n" % line for line in vault().encrypt(value).decode().splitlines()))
            for name, value in (("vault_mailcow_api_key", target.api_key),
                                ("vault_erpnext_db_root_password", DB_ROOT_PASSWORD))))
        (self.inventory / "group_vars" / "clients" / "main.yml").write_text(yaml.safe_dump({
            "ansible_connection": "local",
            "client_credentials_dir": str(self.credentials),
            "client_mailcow_api_url": target.url,
            # These run against the real Mailcow API too, which has no Dovecot here (tests/integration has the proof).
            "client_mail_login_check": False,
            "client_mailcow_api_key": "{{ vault_mailcow_api_key }}",
            "client_erpnext_bench_path": str(self.bench),
            "client_erpnext_bench_command": [BENCH],
            "client_erpnext_db_root_password": "{{ vault_erpnext_db_root_password }}",
            "client_traefik_dynamic_dir": str(self.dynamic),
            "client_traefik_entrypoints": ["web"],
            "client_traefik_tls": False,
            "client_traefik_cert_resolver": "",
            "client_traefik_https_redirect": False,
            "client_traefik_service_urls": ["http://127.0.0.1:9"],
            "client_public_scheme": "http",
            "client_aliases": ALIASES,
        }))

    def set_clients(self, clients):
        """clients: {name: {host vars}}; a client_domain makes it bring its own mail domain."""
        self.clients = clients
        local = {"ansible_connection": "local"}
        hosts = {"all": {"hosts": {"localhost": local, "erpnext_host": local, "traefik_host": local},
                         "children": {"clients": {"hosts": {name: dict(v) or None for name, v in clients.items()}}}}}
        (self.inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))

    def command(self, playbook="provision_client.yml", *options, client=None, extra_vars=None, forks=None,
                verbosity=3):
        """The ansible-playbook argv; playbook is a name under playbooks/ or an absolute path."""
        args = [ANSIBLE_PLAYBOOK, str(ROOT / "playbooks" / playbook), "-i", str(self.inventory)]
        if client:
            args += ["-e", "client=" + client]
        if extra_vars:
            args += ["-e", json.dumps(extra_vars)]
        if forks:
            args += ["--forks", str(forks)]
        if verbosity:
            args.append("-" + "v" * verbosity)
        return args + list(options)

    def environment(self, extra=None):
        number = len(self.runs)
        env = dict(os.environ)
        env.update({
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_VAULT_PASSWORD_FILE": str(self.vault_password_file),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOG_PATH": str(self.reports / ("ansible-%d.log" % number)),
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.junit,ansible.builtin.tree",
            "JUNIT_OUTPUT_DIR": str(self.reports / ("junit-%d" % number)),
            "ANSIBLE_CALLBACK_TREE_DIR": str(self.reports / ("tree-%d" % number)),
            "PYTHONUNBUFFERED": "1",
        })
        # The role must take the Mailcow connection from the inventory, not from a developer's shell.
        env.pop("MAILCOW_API_URL", None)
        env.pop("MAILCOW_API_KEY", None)
        env.update(extra or {})
        return env

    def run(self, *args, env=None, timeout=600, **kwargs):
        command = self.command(*args, **kwargs)
        done = subprocess.run(command, cwd=ROOT, env=self.environment(env), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, check=False)
        run = Run(command, done.returncode, done.stdout, done.stderr)
        self.runs.append(run)
        return run

    def start(self, *args, env=None, **kwargs):
        """Start a run in its own process group (so SIGKILL reaches its workers too); stdout is a line pipe."""
        command = self.command(*args, **kwargs)
        process = subprocess.Popen(command, cwd=ROOT, env=self.environment(env), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, bufsize=1, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        run = Run(command, None, "", "")
        run.process = process
        self.runs.append(run)
        return run

    # -- what a run left behind

    def credentials_file(self, client):
        return self.credentials / ("%s.vault.yml" % client)

    def stored_credentials(self, client):
        path = self.credentials_file(client)
        return decrypt(path) if path.exists() else None

    def mailbox_address(self, client):
        own = self.clients[client].get("client_domain")
        return "%s@%s" % (client, own or BASE_DOMAIN)

    def sites(self):
        """{site: [apps]} of the clients' sites as the bench stand-in holds them (not erpnext_site's template
        site, erpnext-template-HASH.invalid, which the first new site of a bench makes)."""
        sites_dir = self.bench / "sites"
        found = {}
        for config in sorted(sites_dir.glob("*/site_config.json")):
            site = config.parent.name
            if site.endswith(".invalid"):
                continue
            apps = subprocess.run([BENCH, "--site", site, "list-apps"], cwd=self.bench, capture_output=True,
                                  text=True, check=True).stdout
            found[site] = [line.split()[0] for line in apps.splitlines() if line.strip()]
        return found

    def routes(self):
        return {p.name: p.read_text() for p in sorted(self.dynamic.glob("*.yml"))}

    def setup_sheet(self, client):
        path = self.credentials / client / "SETUP.md"
        return path.read_text() if path.exists() else None

    def end_state(self):
        """Everything a provisioning run produces, comparable between workspaces (DKIM keys differ per run)."""
        sheets = {c: re.sub(r"p=[A-Za-z0-9+/=]+", "p=KEY", self.setup_sheet(c) or "") for c in sorted(self.clients)}
        return {"mailcow": mailcow_state(self.target), "sites": self.sites(),
                "routes": {name: text.replace(str(self.root), "WORKSPACE") for name, text in self.routes().items()},
                "sheets": {c: text.replace(str(self.root), "WORKSPACE") for c, text in sheets.items()},
                "credentials": {c: sorted(self.stored_credentials(c) or {}) for c in sorted(self.clients)}}

    def assert_credentials_match_mailcow(self):
        """Each stored mailbox password is the one Mailcow holds (the emulator's verify hook)."""
        for client in self.clients:
            stored = self.stored_credentials(client)
            assert stored is not None, "no credentials file for %s" % client
            assert self.target.control.verify(self.mailbox_address(client), stored["mailbox_password"]), client

    def secrets(self):
        """Every secret of this workspace: the API key, the database root password, the DNS TSIG secret (when
        the clients publish DNS records), each generated password."""
        values = {"api_key": self.target.api_key, "db_root_password": DB_ROOT_PASSWORD, "tsig_secret": self.tsig_secret}
        for path in sorted(self.credentials.glob("*.vault.yml")):
            for name, value in (decrypt(path) or {}).items():
                # A rotation keeps its new values in a nested mapping until they are made current.
                for key, secret in (value.items() if isinstance(value, dict) else [(None, value)]):
                    values["%s:%s%s" % (path.name, name, ":" + key if key else "")] = secret
        return values

    def artefacts(self):
        """(name, text) of everything the runs printed or wrote that a user or CI could see."""
        for number, run in enumerate(self.runs):
            yield "run %d stdout" % number, run.stdout
            yield "run %d stderr" % number, run.stderr
        for path in sorted(self.reports.rglob("*")):
            if path.is_file():
                yield str(path.relative_to(self.root)), path.read_text(errors="replace")
        for path in sorted(self.credentials.rglob("SETUP.md")):
            yield str(path.relative_to(self.root)), path.read_text()

    def leaks(self):
        """[(secret name, where)] for every secret found in any artefact."""
        secrets = self.secrets()
        return [(name, where) for where, text in self.artefacts() for name, value in secrets.items()
                if value and value in text]


class Run:
    def __init__(self, args, rc, stdout, stderr):
        self.args = args
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.process = None

    @property
    def output(self):
        return self.stdout + self.stderr

    def failure_messages(self):
        """The msg of every failed task result (-vvv prints results as JSON after '=> ')."""
        return re.findall(r'"msg": "((?:[^"\\]|\\.)*)"', self.output)

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.stdout += self.process.stdout.read()
        self.rc = self.process.wait()


def provisioned_with(space, clients):
    """The workspace after one successful provisioning run of these clients."""
    space.set_clients(clients)
    first = space.run()
    assert first.rc == 0, first.output[-3000:]
    return space


@pytest.fixture
def workspace(tmp_path, fresh_emulator):
    space = Workspace(tmp_path, fresh_emulator)
    yield space
    for run in space.runs:
        if run.process is not None and run.process.poll() is None:
            os.killpg(run.process.pid, signal.SIGKILL)
            run.process.wait()
