"""A client's site from the template, set up for the client, checked through the web, deprovisioned:
erpnext_site and erpnext_setup against the bench stand-in and its frontend, or against a REAL bench
when REAL_BENCH_PATH names one (too heavy for CI: minutes of two cores; docs/real-bench.md):

    REAL_BENCH_PATH=/srv/realbench/frappe-bench REAL_BENCH_COMMAND=/srv/realbench/bin/bench \\
    REAL_BENCH_DB_ROOT_PASSWORD=... REAL_BENCH_URL=http://127.0.0.1:18000 \\
    .venv/bin/python -m pytest -n 0 -p no:randomly tests/integration/test_erpnext_client_site.py

The modules run as Ansible runs them (module processes, arguments in a 0600 file).
"""

import http.cookiejar
import json
import os
import secrets
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sandbox import bench_standin
from tests.conftest import free_port, wait_for_http
from tests.integration.command_lines import CommandLines

ROOT = Path(__file__).resolve().parents[2]
SITE = "realtest-%s.localhost" % secrets.token_hex(3)
ADMIN_PASSWORD = "Adm1n-" + secrets.token_urlsafe(12)
USER_PASSWORD = "Cl1ent-" + secrets.token_urlsafe(12)
USER = {"email": "anna@%s" % SITE, "full_name": "Anna Schmidt", "password": USER_PASSWORD}
COMPANY = {"name": "Realtest GmbH", "country": "Germany", "currency": "EUR", "time_zone": "Europe/Berlin",
           "language": "de"}
SETUP = {"site": SITE, "company": COMPANY, "user": USER, "scheduler": True, "pos_profile": {"name": "Realtest POS"}}


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """(bench path, bench command, root password, web URL): the real bench, else a stand-in and its frontend."""
    if os.environ.get("REAL_BENCH_PATH"):
        yield (os.environ["REAL_BENCH_PATH"], [os.environ.get("REAL_BENCH_COMMAND", "bench")],
               os.environ["REAL_BENCH_DB_ROOT_PASSWORD"], os.environ.get("REAL_BENCH_URL", "http://127.0.0.1:18000"))
        return
    # a root password of its own: the sandbox's is on the command lines of other checkouts' older code
    root_password = "R00t-" + secrets.token_urlsafe(12)
    bench_dir = bench_standin.init_bench(tmp_path_factory.mktemp("client-site") / "frappe-bench", root_password)
    port = free_port()
    frontend = subprocess.Popen([sys.executable, "-m", "sandbox.bench_frontend", "--listen", f"127.0.0.1:{port}",
                                 "--bench", str(bench_dir)], cwd=ROOT, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for_http(url + "/api/method/ping")
    yield (str(bench_dir), [str(ROOT / "sandbox" / "bin" / "bench")], root_password, url)
    frontend.terminate()
    frontend.wait(timeout=10)


def module(bench, module_name, **args):
    """One module process, as Ansible starts it; its result."""
    args = {"bench_path": bench[0], "bench_command": bench[1], **args}
    descriptor, path = tempfile.mkstemp(prefix="real-bench-", suffix=".json")
    try:
        with os.fdopen(descriptor, "w") as handle:
            json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
        done = subprocess.run([sys.executable, "-m", "ansible_collections.securenexus.provisioning.plugins.modules." + module_name,
                               path], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT / "collections")),
                              capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    finally:
        os.unlink(path)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def site(bench):
    with CommandLines() as lines:
        created = module(bench, "erpnext_site", name=SITE, apps=["erpnext", "posawesome"], template=True,
                         admin_password=ADMIN_PASSWORD, db_root_password=bench[2])
        assert not created.get("failed"), created
        set_up = module(bench, "erpnext_setup", **SETUP)
        assert not set_up.get("failed"), set_up
    yield {"bench": bench, "created": created, "setup": set_up, "command_lines": lines.seen}
    dropped = module(bench, "erpnext_site", name=SITE, state="absent", db_root_password=bench[2])
    assert not dropped.get("failed"), dropped


def session(site, user, password):
    url = site["bench"][3]
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(path, data=None):
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(url + path, data=body, headers={"Host": SITE, "Content-Type": "application/json"})
        try:
            with opener.open(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, {}

    status, _body = call("/api/method/login", {"usr": user, "pwd": password})
    return status, call


def test_the_site_is_made_from_the_template_with_the_apps(site):
    assert site["created"]["site"]["template"] in ("used", "created", "rebuilt")
    assert [app["name"] for app in site["created"]["site"]["apps"]] == ["frappe", "erpnext", "posawesome"]


def test_no_secret_was_on_any_command_line(site):
    lines = site["command_lines"]
    assert any(" new-site %s " % SITE in line for line in lines), "the sampler did not see bench run"
    assert [line for line in lines if any(secret in line for secret in (site["bench"][2], ADMIN_PASSWORD, USER_PASSWORD))] == []


def test_the_administrator_has_the_sites_own_password_not_the_templates(site):
    assert session(site, "Administrator", ADMIN_PASSWORD)[0] == 200


def test_the_template_holds_no_users_keys_sessions_or_encrypted_fields(site):
    from ansible_collections.securenexus.provisioning.plugins.module_utils import _bench, _frappe
    from ansible_collections.securenexus.provisioning.plugins.modules import erpnext_site

    runner = _bench.BenchRunner(_run_command, site["bench"][1], site["bench"][0])
    template = erpnext_site.template_site(["erpnext", "posawesome"])
    state = _frappe.read(runner, template, erpnext_site.TEMPLATE_STATE, {"program": "template_state",
                                                                         "dump": erpnext_site.template_dump(template)})
    assert state["holds"] == {"users": 0, "api_keys": 0, "sessions": 0, "encrypted_fields": 0}
    assert erpnext_site.template_problem(state, ["erpnext", "posawesome"]) is None


def _run_command(argv, cwd=None, data=None, **_kwargs):
    done = subprocess.run(argv, cwd=cwd, input=(data + "\n") if data else None, capture_output=True, text=True,
                          check=False)
    return done.returncode, done.stdout, done.stderr


def test_the_wizard_user_scheduler_and_profile_are_set_up(site):
    result = site["setup"]
    assert result["actions"] == ["wizard", "create_user", "create_pos_profile"]
    setup = result["setup"]
    assert setup["setup_complete"] and setup["scheduler"]
    assert {key: setup["company"][key] for key in ("name", "country", "currency")} == {
        "name": "Realtest GmbH", "country": "Germany", "currency": "EUR"}
    assert setup["pos_profile"]["users"] == [USER["email"]]


def test_a_second_setup_run_changes_nothing(site):
    again = module(site["bench"], "erpnext_setup", **SETUP)
    assert again["changed"] is False and len(again["commands"]) == 1, again


def test_pos_awesome_opens_with_the_profile_for_the_clients_user(site):
    status, call = session(site, USER["email"], USER_PASSWORD)
    assert status == 200
    status, body = call("/api/method/posawesome.posawesome.api.shifts.get_opening_dialog_data", {})
    assert status == 200
    assert [profile["name"] for profile in body["message"]["pos_profiles_data"]] == ["Realtest POS"]
    assert body["message"]["companies"] == [{"name": "Realtest GmbH"}]


def test_rotated_passwords_log_in_the_old_ones_no_longer_and_none_reached_a_command_line(site):
    rotated = {"Administrator": "Adm1n-rotated-" + secrets.token_urlsafe(12),
               USER["email"]: "Cl1ent-rotated-" + secrets.token_urlsafe(12)}
    with CommandLines() as lines:
        admin = rotate_passwords(site, rotated["Administrator"], rotated[USER["email"]])
    assert admin["commands"][-1] == "bench --site %s set-admin-password" % SITE
    for login, old in (("Administrator", ADMIN_PASSWORD), (USER["email"], USER_PASSWORD)):
        assert session(site, login, rotated[login])[0] == 200, login
        assert session(site, login, old)[0] == 401, login
    assert any(" set-admin-password" in line for line in lines.seen), "the sampler did not see bench run"
    assert [line for line in lines.seen if any(secret in line for secret in rotated.values())] == []
    # back to the first values, which the other tests log in with
    rotate_passwords(site, ADMIN_PASSWORD, USER_PASSWORD)


def rotate_passwords(site, admin_password, user_password):
    """What rotate_credentials runs on the site: the Administrator's and the client's user's passwords set again."""
    admin = module(site["bench"], "erpnext_site", name=SITE, admin_password=admin_password, update_password="always")
    assert admin["changed"] and not admin.get("failed"), admin
    rotated_user = {"email": USER["email"], "password": user_password, "update_password": "always", "roles": []}
    user = module(site["bench"], "erpnext_setup", site=SITE, user=rotated_user)
    assert user["actions"] == ["set_password"] and not user.get("failed"), user
    return admin


def test_deprovisioning_disables_the_clients_login(site):
    result = module(site["bench"], "erpnext_setup", site=SITE, state="absent", user={"email": USER["email"]})
    assert result["changed"] and result["setup"]["user"]["enabled"] is False
    assert session(site, USER["email"], USER_PASSWORD)[0] == 401
