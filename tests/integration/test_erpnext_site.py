"""erpnext_site (and erpnext_setup) through ansible-playbook against the bench stand-in, and the
stand-in's web frontend. The same scenarios against a real bench: test_erpnext_real_bench.py."""

import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from sandbox import bench_standin
from tests.conftest import ROOT, free_port, wait_for_http
from tests.integration.command_lines import CommandLines

TARGET = ROOT / "tests" / "integration" / "targets" / "erpnext_site"
BENCH = str(ROOT / "sandbox" / "bin" / "bench")
# -vvv, and ansible-core >= 2.21 puts the module arguments into each result only when asked to.
VERBOSE = {"verbosity": 3, "env": {"ANSIBLE_INJECT_INVOCATION": "true"}}


@pytest.fixture
def bench_dir(tmp_path):
    return bench_standin.init_bench(tmp_path / "frappe-bench")


def bench_vars(bench_dir):
    return {"bench_dir": str(bench_dir), "bench_command": [BENCH],
            "db_root_password": bench_standin.SANDBOX_DB_ROOT_PASSWORD}


REAL_BENCH = os.environ.get("REAL_BENCH_PATH")


def test_site_lifecycle_create_repeat_add_app_check_mode_absent(ansible_playbook, bench_dir):
    run = ansible_playbook(TARGET / "lifecycle.yml", extra_vars=bench_vars(bench_dir))
    assert run.rc == 0, run.output
    assert "failed=0" in run.stdout


@pytest.mark.skipif(not REAL_BENCH, reason="no real bench (set REAL_BENCH_PATH, see docs/real-bench.md)")
def test_site_lifecycle_on_a_real_bench(ansible_playbook):
    """The same playbook against a real bench: minutes (new-site with erpnext, install-app posawesome)."""
    run = ansible_playbook(TARGET / "lifecycle.yml", timeout=3600, extra_vars={
        "bench_dir": REAL_BENCH, "bench_command": [os.environ.get("REAL_BENCH_COMMAND", "bench")],
        "db_root_password": os.environ["REAL_BENCH_DB_ROOT_PASSWORD"]})
    assert run.rc == 0, run.output
    assert "failed=0" in run.stdout


@pytest.fixture(scope="session")
def failure_passwords():
    """Long and random, so that a leak is unambiguous; passed as variables, so -vvv's excerpts of
    the playbook around a failed task cannot show them."""
    return {"erpnext_test_admin_password": "Adm1n-" + secrets.token_urlsafe(18),
            "erpnext_test_wrong_password": "Wr0ng-" + secrets.token_urlsafe(18)}


@pytest.fixture(scope="session")
def failure_runs():
    return []


@pytest.fixture
def failure_run(ansible_playbook, tmp_path_factory, failure_passwords, failure_runs):
    """failures.yml at -vvv on a bench of its own, once per session."""
    if not failure_runs:
        bench = bench_standin.init_bench(tmp_path_factory.mktemp("failures") / "frappe-bench")
        failure_runs.append(ansible_playbook(TARGET / "failures.yml", extra_vars={**bench_vars(bench), **failure_passwords},
                                             **VERBOSE))
    return failure_runs[0]


def test_half_created_site_is_reported_and_left_alone(failure_run):
    assert failure_run.rc == 0, failure_run.output


def test_verbose_output_of_the_failures_never_contains_a_password(failure_run, failure_passwords):
    output = failure_run.output
    # -vvv prints every task's arguments: proof that the passwords had a chance to leak.
    assert '"module_args"' in output
    passwords = [*failure_passwords.values(), bench_standin.SANDBOX_DB_ROOT_PASSWORD]
    assert [password for password in passwords if password in output] == []


# The stand-in with installs that take 1.5 s while new-site holds bench's one-second lock (a real
# bench holds it for minutes), so that creations started together overlap as they do for real.
SLOW_BENCH = [sys.executable, "-I", "-c", "\n".join([
    "import sys, time",
    "sys.path.insert(0, sys.argv.pop(1))",
    "from sandbox import bench_standin",
    "install_app = bench_standin.Bench.install_app",
    "def slow_install_app(*args, **kwargs):",
    "    time.sleep(1.5)",
    "    return install_app(*args, **kwargs)",
    "bench_standin.Bench.install_app = slow_install_app",
    "sys.exit(bench_standin.main())",
]), str(ROOT)]

CREATE_EACH_HOSTS_SITE = """
- name: Every host creates its own site on the one bench, all at once
  hosts: all
  connection: local
  gather_facts: false
  tasks:
    - name: Create the site named after the host
      securenexus.provisioning.erpnext_site:
        name: "{{ inventory_hostname }}"
        admin_password: Adm1n-concurrent-5d6e7f8a9b
        db_root_password: "{{ db_root_password }}"
        bench_path: "{{ bench_dir }}"
        bench_command: "{{ bench_command }}"
"""


def test_sites_created_at_once_on_one_bench_without_throttle_all_succeed(ansible_playbook, bench_dir, tmp_path):
    sites = ["a.test", "b.test", "c.test", "d.test"]
    playbook = tmp_path / "create_at_once.yml"
    playbook.write_text(CREATE_EACH_HOSTS_SITE)
    run = ansible_playbook(playbook, "--forks", str(len(sites)), inventory=",".join(sites) + ",",
                           extra_vars={**bench_vars(bench_dir), "bench_command": SLOW_BENCH})
    assert run.rc == 0, run.output
    assert "LockTimeoutError" not in run.output
    assert {site: (bench_standin.site_database(bench_dir, site) or {}).get("installed_apps") for site in sites} == \
        {site: ["frappe"] for site in sites}


@pytest.fixture
def frontend(bench_dir, tmp_path):
    port = free_port()
    with open(tmp_path / "frontend.log", "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "sandbox.bench_frontend", "--listen", f"127.0.0.1:{port}",
                                    "--bench", str(bench_dir)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for_http(url + "/api/method/ping")
    yield url
    process.terminate()
    process.wait(timeout=10)


def new_site(bench_dir, site, *apps):
    args = [BENCH, "new-site", site, "--admin-password", "Adm1n-frontend-9a8b7c", "--db-root-password",
            bench_standin.SANDBOX_DB_ROOT_PASSWORD] + [part for app in apps for part in ("--install-app", app)]
    subprocess.run(args, cwd=bench_dir, check=True, capture_output=True, stdin=subprocess.DEVNULL)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(url, host, data=None, cookie=None):
    body = None if data is None else json.dumps(data).encode()
    headers = {"Host": host, "Content-Type": "application/json", **({"Cookie": cookie} if cookie else {})}
    try:
        with urllib.request.build_opener(NoRedirect).open(urllib.request.Request(url, data=body, headers=headers),
                                                          timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def login_cookie(url, host):
    request_ = urllib.request.Request(url + "/api/method/login", headers={"Host": host, "Content-Type": "application/json"},
                                      data=json.dumps({"usr": "Administrator", "pwd": "Adm1n-frontend-9a8b7c"}).encode())
    with urllib.request.urlopen(request_, timeout=10) as response:
        return response.headers["Set-Cookie"].split(";")[0]


def test_frontend_ping_answers_pong_for_an_existing_site(bench_dir, frontend):
    new_site(bench_dir, "a.test")
    assert request(frontend + "/api/method/ping", "a.test") == (200, '{"message": "pong"}')


def test_frontend_ping_of_an_unknown_host_is_404_does_not_exist(frontend):
    assert request(frontend + "/api/method/ping", "nope.test") == (404, "nope.test does not exist")


def test_frontend_login_checks_the_admin_password(bench_dir, frontend):
    new_site(bench_dir, "a.test")
    status, body = request(frontend + "/api/method/login", "a.test", {"usr": "Administrator", "pwd": "Adm1n-frontend-9a8b7c"})
    assert status == 200 and json.loads(body)["message"] == "Logged In"
    status, body = request(frontend + "/api/method/login", "a.test", {"usr": "Administrator", "pwd": "wrong"})
    assert status == 401 and json.loads(body)["message"] == "Invalid login credentials"


def test_frontend_posapp_needs_posawesome_installed(bench_dir, frontend):
    new_site(bench_dir, "a.test", "erpnext")
    new_site(bench_dir, "b.test", "erpnext", "posawesome")
    assert request(frontend + "/app/posapp", "a.test", cookie=login_cookie(frontend, "a.test"))[0] == 404
    assert request(frontend + "/app/posapp", "b.test", cookie=login_cookie(frontend, "b.test"))[0] == 200


def test_frontend_posapp_logged_out_redirects_to_the_login(bench_dir, frontend):
    new_site(bench_dir, "b.test", "erpnext", "posawesome")
    status, _body = request(frontend + "/app/posapp", "b.test")
    assert status == 301


def test_frontend_bad_login_body_is_a_clean_400(bench_dir, frontend):
    new_site(bench_dir, "a.test")
    request_ = urllib.request.Request(frontend + "/api/method/login", data=b"{not json",
                                      headers={"Host": "a.test", "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request_, timeout=10)
    assert error.value.code == 400 and "Traceback" not in error.value.read().decode()


def test_no_secret_reaches_a_command_line_while_sites_are_made_set_up_and_archived(ansible_playbook, tmp_path):
    # all three unique to this test: the sandbox's root password is on the command lines of older checkouts
    passwords = {"erpnext_test_admin_password": "Adm1n-" + secrets.token_urlsafe(18),
                 "erpnext_test_user_password": "Cl1ent-" + secrets.token_urlsafe(18),
                 "db_root_password": "R00t-" + secrets.token_urlsafe(18)}
    bench_dir = bench_standin.init_bench(tmp_path / "frappe-bench", passwords["db_root_password"])
    variables = tmp_path / "vars.json"
    variables.touch(mode=0o600)
    variables.write_text(json.dumps({**bench_vars(bench_dir), **passwords, "bench_command": SLOW_BENCH}))
    with CommandLines() as lines:
        run = ansible_playbook(TARGET / "secrets.yml", "-e", "@" + str(variables))
    assert run.rc == 0, run.output
    assert any(" new-site acme.erp.example.org " in line for line in lines.seen), "the sampler never saw bench run"
    assert [line for line in lines.seen if any(secret in line for secret in passwords.values())] == []
