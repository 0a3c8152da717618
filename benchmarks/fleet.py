"""A generated inventory of N clients, shaped like inventories/sandbox, pointing at a Stack.

Every client has its own mail domain (so: domain, DKIM, mailbox, 5 aliases), an ERPNext site on
the bench stand-in and a Traefik route. The sandbox inventory's group_vars are copied and only
the connection URLs and paths are overridden, so the benchmark runs the role as users configure it.
"""

import secrets
from pathlib import Path

import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from sandbox.bench_standin import SANDBOX_DB_ROOT_PASSWORD
from sandbox.named import SANDBOX_TSIG_SECRET

from .naming import ALIASES, client_domain, client_names
from .stack import API_KEY, ROOT

SANDBOX_INVENTORY = ROOT / "inventories" / "sandbox"


def _load(path):
    return yaml.safe_load(path.read_text()) or {}


def _dump(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n" + yaml.safe_dump(data, sort_keys=False, default_flow_style=False))


def write_inventory(directory, size, stack, plan="starter"):
    """Write <directory>/{hosts.yml,group_vars,vault-password} for `size` clients.

    Returns the inventory directory and the vault password file.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    password_file = directory / "vault-password"
    password = secrets.token_hex(16)
    password_file.write_text(password + "\n")
    password_file.chmod(0o600)

    clients = {name: {"client_display_name": f"Fleet client {name}", "client_domain": client_domain(name),
                      "client_plan": plan} for name in client_names(size)}
    local = {"ansible_connection": "local"}
    hosts = {"all": {"hosts": {"localhost": local, "erpnext_host": local, "traefik_host": local},
                     "children": {"clients": {"hosts": clients}}}}
    _dump(directory / "hosts.yml", hosts)

    all_vars = _load(SANDBOX_INVENTORY / "group_vars" / "all" / "main.yml")
    all_vars.pop("sandbox_root", None)
    _dump(directory / "group_vars" / "all" / "main.yml", all_vars)

    vault = VaultLib([("default", VaultSecret(password.encode()))])
    # The sandbox group_vars name the TSIG secret; the fleet runs with client_dns_mode none (no DNS server).
    secret_vars = yaml.safe_dump({"vault_mailcow_api_key": API_KEY,
                                  "vault_erpnext_db_root_password": SANDBOX_DB_ROOT_PASSWORD,
                                  "vault_dns_tsig_secret": SANDBOX_TSIG_SECRET})
    vault_file = directory / "group_vars" / "all" / "vault.yml"
    vault_file.write_bytes(vault.encrypt(secret_vars))
    vault_file.chmod(0o600)

    client_vars = _load(SANDBOX_INVENTORY / "group_vars" / "clients" / "main.yml")
    client_vars.update({
        "client_credentials_dir": str(stack.credentials_dir),
        "client_mailcow_api_url": stack.mailcow_url,
        # The benchmark's stack has no Dovecot: the login proof's cost is measured apart (docs/mail-login.md).
        "client_mail_login_check": False,
        "client_erpnext_bench_path": str(stack.bench_dir),
        "client_erpnext_bench_command": [str(ROOT / "sandbox" / "bin" / "bench")],
        "client_traefik_dynamic_dir": str(stack.dynamic_dir),
        "client_traefik_api_url": stack.traefik_api_url,
        "client_traefik_service_urls": [stack.frontend_url],
        "client_public_port": stack.web_port,
        # The fleet's zones are served by no DNS server of this stack: the figures measure Mailcow, bench
        # and Traefik, comparable with earlier results.
        "client_dns_mode": "none",
    })
    _dump(directory / "group_vars" / "clients" / "main.yml", client_vars)
    return directory, password_file


def managed_objects(size):
    """Mailcow objects the role manages for a fleet: per client domain, DKIM, mailbox, the aliases;
    plus the shared base domain the role ensures once per run."""
    per_client = 3 + len(ALIASES)
    return {"domain": size + 1, "dkim": size, "mailbox": size, "alias": len(ALIASES) * size,
            "total": per_client * size + 1}
