"""The bench stand-in's command line against what BENCH.md measured on a real bench."""

import fcntl
import json
import os
import subprocess
from pathlib import Path

import pytest

from sandbox import bench_standin

ROOT = Path(__file__).resolve().parents[3]
BENCH = str(ROOT / "sandbox" / "bin" / "bench")
ROOT_PW = bench_standin.SANDBOX_DB_ROOT_PASSWORD
NEW_SITE = ["--admin-password", "adm1n-standin", "--db-root-username", "root", "--db-root-password", ROOT_PW]


@pytest.fixture
def bench(tmp_path):
    return bench_standin.init_bench(tmp_path / "bench")


def run(bench_dir, *args, cwd=None, stdin=None):
    # bytes, not text=True: universal newlines would turn the progress bars' carriage returns into newlines
    done = subprocess.run([BENCH, *args], cwd=cwd or bench_dir, capture_output=True, timeout=60, check=False,
                          **({"input": stdin.encode()} if stdin is not None else {"stdin": subprocess.DEVNULL}))
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def create(bench_dir, site="a.test", *apps):
    args = ["new-site", site, *NEW_SITE]
    for app in apps:
        args += ["--install-app", app]
    rc, stdout, stderr = run(bench_dir, *args)
    assert rc == 0, stdout + stderr
    return stdout


def test_init_bench_is_idempotent_and_lays_out_a_bench(bench):
    config = (bench / "sites" / "common_site_config.json").read_text()
    bench_standin.init_bench(bench)
    assert (bench / "sites" / "common_site_config.json").read_text() == config
    assert (bench / "sites" / "apps.txt").read_text().split() == ["frappe", "erpnext", "posawesome"]
    assert (bench / "archived" / "sites").is_dir()
    if os.geteuid() == 0:
        assert json.loads(config)["frappe_user"] == "root"


@pytest.mark.skipif(os.geteuid() != 0, reason="the root check only applies to root")
def test_root_is_refused_without_frappe_user(bench):
    path = bench / "sites" / "common_site_config.json"
    config = json.loads(path.read_text())
    del config["frappe_user"]
    path.write_text(json.dumps(config))
    assert run(bench, "--site", "a.test", "list-apps") == (1, "WARN: You should not run this command as root\n", "")


@pytest.mark.skipif(os.geteuid() == 0, reason="as root, bench refuses before it looks for the bench directory")
def test_outside_a_bench_directory_bench_fails(bench, tmp_path):
    rc, stdout, stderr = run(bench, "--site", "a.test", "list-apps", cwd=tmp_path)
    assert rc == 2
    assert "Command not being executed in bench directory" in stdout
    assert "Error: No such option: --site" in stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="the root check only applies to root")
def test_outside_a_bench_directory_root_is_refused(bench, tmp_path):
    assert run(bench, "--site", "a.test", "list-apps", cwd=tmp_path) == (
        1, "WARN: You should not run this command as root\n", "")


def test_new_site_prints_progress_and_creates_the_site_files(bench):
    stdout = create(bench, "a.test", "erpnext")
    assert "Installing frappe..." in stdout and "Installing erpnext..." in stdout
    assert "\r" in stdout and "MariaDB version" in stdout
    assert stdout.rstrip().endswith("*** Scheduler is disabled ***")
    config = json.loads((bench / "sites" / "a.test" / "site_config.json").read_text())
    assert set(config) == {"db_name", "db_password", "db_type"}
    assert len(config["db_name"]) == 17 and config["db_name"][0] == "_" and int(config["db_name"][1:], 16) >= 0
    for sub in ("locks", "logs", "private/backups", "private/files", "public/files"):
        assert (bench / "sites" / "a.test" / sub).is_dir()


def test_new_site_on_an_existing_directory_says_already_exists(bench):
    (bench / "sites" / "a.test").mkdir()
    assert run(bench, "new-site", "a.test", *NEW_SITE) == (1, "Site a.test already exists\n", "")


def test_wrong_root_password_leaves_a_half_created_site(bench):
    rc, _stdout, stderr = run(bench, "new-site", "a.test", "--admin-password", "x", "--db-root-password", "wrong")
    assert rc == 1
    assert stderr.rstrip().splitlines()[-1].startswith("pymysql.err.OperationalError: (1045, \"Access denied")
    assert (bench / "sites" / "a.test" / "site_config.json").is_file()
    assert run(bench, "new-site", "a.test", *NEW_SITE)[:2] == (1, "Site a.test already exists\n")
    rc, stdout, stderr = run(bench, "--site", "a.test", "list-apps")
    assert rc == 1 and "1045" in stderr


def test_new_site_without_passwords_and_empty_stdin_aborts_and_leaves_the_site_half_created(bench):
    rc, _stdout, stderr = run(bench, "new-site", "a.test")
    assert rc == 1
    assert "MySQL root password: " in stderr and stderr.rstrip().endswith("Aborted!")
    assert (bench / "sites" / "a.test" / "site_config.json").exists()


def test_new_site_reads_the_root_and_twice_the_administrator_password_from_stdin(bench):
    rc, stdout, stderr = run(bench, "new-site", "a.test", stdin=f"{ROOT_PW}\nadm1n-stdin\nadm1n-stdin\n")
    assert rc == 0, stdout + stderr
    assert [line for line in stderr.split("Warning: Password input may be echoed.\n") if line] == [
        "MySQL root password: ", "Set Administrator password: ", "Re-enter Administrator password: "]
    assert administrator_password_is(bench, "a.test", "adm1n-stdin")


def test_set_admin_password_reads_the_password_from_stdin(bench):
    create(bench)
    rc, _stdout, stderr = run(bench, "--site", "a.test", "set-admin-password", stdin="n3w-admin\n")
    assert rc == 0 and "Administrator's password for a.test: " in stderr
    assert administrator_password_is(bench, "a.test", "n3w-admin")


def administrator_password_is(bench_dir, site, password):
    conf = json.loads((bench_dir / "sites" / site / "site_config.json").read_text())
    with bench_standin._database(bench_dir, write=False) as db:
        return bench_standin.check_password(password, db["databases"][conf["db_name"]]["admin_password"])


def test_a_creation_holding_its_sites_lock_does_not_block_another_site(bench):
    lock = bench / "sites" / "a.test" / "locks" / "bench_new_site.lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        rc, stdout, stderr = run(bench, "new-site", "b.test", *NEW_SITE)
    assert rc == 0, stdout + stderr


def test_drop_site_of_a_half_created_site_fails_on_the_backup_and_succeeds_without_it(bench):
    run(bench, "new-site", "a.test", "--admin-password", "x", "--db-root-password", "wrong")
    rc, stdout, _stderr = run(bench, "drop-site", "a.test", "--db-root-password", ROOT_PW)
    assert rc == 1 and "Error: The operation has stopped because backup of a.test's database failed." in stdout
    assert "Hint: Use 'bench drop-site a.test --force'" in stdout
    assert run(bench, "drop-site", "a.test", "--no-backup", "--db-root-password", ROOT_PW)[0] == 0
    assert not (bench / "sites" / "a.test").exists()


def test_list_apps_formats(bench):
    create(bench, "a.test", "erpnext", "posawesome")
    expected_json = '{\n "a.test": [\n  "frappe",\n  "erpnext",\n  "posawesome"\n ]\n}\n'
    assert run(bench, "--site", "a.test", "list-apps", "--format", "json") == (0, expected_json, "")
    assert run(bench, "--site", "a.test", "list-apps", "-f", "json") == (0, expected_json, "")
    assert run(bench, "--site", "a.test", "list-apps") == (
        0, "\nfrappe     15.103.0 version-15\nerpnext    15.102.0 version-15\nposawesome 15.31.0  develop\n\n", "")


def test_unknown_site_does_not_exist(bench):
    assert run(bench, "--site", "nope.test", "list-apps") == (1, "Site nope.test does not exist!\n", "")


def test_install_app_first_time_again_and_unknown(bench):
    create(bench, "a.test", "erpnext")
    rc, stdout, _stderr = run(bench, "--site", "a.test", "install-app", "posawesome")
    assert rc == 0 and stdout.startswith("App erpnext already installed\n") and "Installing posawesome..." in stdout
    assert run(bench, "--site", "a.test", "install-app", "erpnext") == (0, "App erpnext already installed\n", "")
    rc, stdout, _stderr = run(bench, "--site", "a.test", "install-app", "hrms")
    assert rc == 1 and stdout.rstrip().endswith("ModuleNotFoundError: No module named 'hrms'")


def test_set_config_stores_strings_and_parses_literals(bench):
    create(bench)
    assert run(bench, "--site", "a.test", "set-config", "host_name", "https://a.test") == (0, "", "")
    assert run(bench, "--site", "a.test", "set-config", "-p", "mute_emails", "True")[0] == 0
    assert run(bench, "--site", "a.test", "set-config", "--parse", "limits", "{'users': 5}")[0] == 0
    rc, _stdout, stderr = run(bench, "--site", "a.test", "set-config", "-p", "broken", "true")
    assert rc == 1 and "ValueError" in stderr
    config = json.loads((bench / "sites" / "a.test" / "site_config.json").read_text())
    assert (config["host_name"], config["mute_emails"], config["limits"]) == ("https://a.test", True, {"users": 5})
    assert (bench / "sites" / "a.test" / "site_config.json").read_text().startswith('{\n "db_name"')


def test_set_config_global_writes_common_site_config(bench):
    assert run(bench, "set-config", "-g", "maintenance_mode", "0") == (0, "", "")
    assert json.loads((bench / "sites" / "common_site_config.json").read_text())["maintenance_mode"] == 0


def test_show_config_json_merges_common_and_site_config(bench):
    create(bench)
    run(bench, "--site", "a.test", "set-config", "host_name", "https://a.test")
    rc, stdout, _stderr = run(bench, "--site", "a.test", "show-config", "--format", "json")
    config = json.loads(stdout)["a.test"]
    assert rc == 0 and config["host_name"] == "https://a.test" and config["webserver_port"] == 8000


def test_uninstall_app_needs_yes_and_removes_the_app(bench):
    create(bench, "a.test", "erpnext", "posawesome")
    rc, stdout, _stderr = run(bench, "--site", "a.test", "uninstall-app", "posawesome")
    assert rc == 1 and "Aborted!" in stdout
    assert run(bench, "--site", "a.test", "uninstall-app", "posawesome", "--yes")[0] == 0
    assert json.loads(run(bench, "--site", "a.test", "list-apps", "-f", "json")[1])["a.test"] == ["frappe", "erpnext"]


def test_drop_site_backs_up_and_archives_with_a_numbered_name(bench):
    for _round in range(2):
        create(bench)
        rc, stdout, _stderr = run(bench, "drop-site", "a.test", "--db-root-username", "root",
                                  "--db-root-password", ROOT_PW)
        assert rc == 0
        assert stdout.startswith("Taking backup of a.test\n")
        assert "Dropping site database and user" in stdout and "Moving site to archive under" in stdout
    archived = bench / "archived" / "sites"
    assert sorted(path.name for path in archived.iterdir()) == ["a.test", "a.test1"]
    assert len(list((archived / "a.test" / "private" / "backups").glob("*-a_test-database.sql.gz"))) == 1
    assert not (bench / "sites" / "a.test").exists()


def test_drop_site_of_an_unknown_site_fails_with_incorrect_site_path(bench):
    rc, _stdout, stderr = run(bench, "drop-site", "nope.test", "--db-root-password", ROOT_PW)
    assert rc == 1
    assert stderr.rstrip().endswith("frappe.exceptions.IncorrectSitePath: 404 Not Found: nope.test does not exist")
