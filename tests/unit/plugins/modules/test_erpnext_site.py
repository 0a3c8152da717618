"""erpnext_site decisions, driven through main() with a fake bench behind AnsibleModule.run_command."""

import ast
import contextlib
import fcntl
import json
import subprocess
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.securenexus.provisioning.plugins.module_utils._bench import lock_path
from ansible_collections.securenexus.provisioning.plugins.modules import erpnext_site
from sandbox import bench_standin

SITE = "acme.erp.example.org"
ADMIN_PW = "Adm1n-unit-3c9e1f7a2b"
ROOT_PW = "R00t-unit-8d2b6a4c1e"
MUTATING = ("new-site", "install-app", "uninstall-app", "set-config", "drop-site")


@pytest.fixture(autouse=True)
def private_temp_dir(monkeypatch, tmp_path):
    """The bench below is not a local directory, so its lock file goes to the temp dir: the test's own."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


@pytest.fixture
def bench_lock():
    return lock_path(["bench"], "/nonexistent-bench")


@contextlib.contextmanager
def held_by_another_task(path):
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


class FakeBench:
    """Answers like a real bench (BENCH.md) from an in-memory bench; records every argv."""

    def __init__(self, apps=None, config=None):
        self.sites = {}
        if apps is not None:
            self.sites[SITE] = {"apps": list(apps), "config": dict(config or {})}
        self.half_created = set()  # directory with site_config.json, no database
        self.leftover_dirs = set()  # directory without site_config.json
        self.calls = []
        self.stdin = []  # what each call got on its standard input
        self.fail_new_site = None

    def __call__(self, module, argv, data=None, **kwargs):
        args = argv[1:]
        self.calls.append(args)
        self.stdin.append(data)
        site = None
        if args[0] == "--site":
            site, args = args[1], args[2:]
        command = args[0]
        if site is not None and site not in self.sites and site not in self.half_created:
            return 1, f"Site {site} does not exist!\n", ""
        if site in self.half_created:
            return 1, "", ("Traceback (most recent call last):\npymysql.err.OperationalError: (1045, "
                           "\"Access denied for user '_0123456789abcdef'@'localhost' (using password: YES)\")\n")
        handler = getattr(self, command.replace("-", "_"))
        return handler(site, args[1:])

    def list_apps(self, site, args):
        versions = {"frappe": "15.103.0", "erpnext": "15.102.0", "posawesome": "15.31.0"}
        apps = self.sites[site]["apps"]
        if args[-1:] == ["json"]:
            return 0, json.dumps({site: apps}, indent=1) + "\n", ""
        width = max(len(app) for app in apps)
        lines = [f"{app:{width}} {versions[app]:8} version-15" for app in apps]
        return 0, "\n" + "\n".join(lines) + "\n\n", ""

    def show_config(self, site, args):
        config = {"db_name": "_0123456789abcdef", "db_password": "dbpw", **self.sites[site]["config"]}
        return 0, json.dumps({site: config}, indent=1, sort_keys=True) + "\n", ""

    def new_site(self, _site, args):
        name = args[0]
        if name in self.sites or name in self.half_created or name in self.leftover_dirs:
            return 1, f"Site {name} already exists\n", ""
        if self.fail_new_site:
            self.half_created.add(name)
            return 1, "", self.fail_new_site
        apps = ["frappe"] + [args[i + 1] for i, arg in enumerate(args) if arg == "--install-app"]
        self.sites[name] = {"apps": apps, "config": {}}
        return 0, "Installing frappe...\n\rUpdating DocTypes : [==] 50%\rUpdating DocTypes : [====] 100%\n", ""

    def install_app(self, site, args):
        self.sites[site]["apps"].append(args[0])
        return 0, f"\nInstalling {args[0]}...\n", ""

    def uninstall_app(self, site, args):
        self.sites[site]["apps"].remove(args[0])
        return 0, f"Uninstalled App {args[0]} from Site {site}\n", ""

    def set_config(self, site, args):
        parse = "--parse" in args
        key, value = [arg for arg in args if arg not in ("--parse", "--")]
        self.sites[site]["config"][key] = ast.literal_eval(value) if parse else value
        return 0, "", ""

    def drop_site(self, _site, args):
        del self.sites[args[0]]
        return 0, f"Taking backup of {args[0]}\nDropping site database and user\n", ""

    def commands(self):
        return [next(arg for arg in call if not arg.startswith("-") and arg != SITE) for call in self.calls]

    def mutating_calls(self):
        return [call for call in self.commands() if call in MUTATING]


class ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


def run_main(args, run_command=AnsibleModule.run_command):
    """erpnext_site.main() with ``args``; its result, with the warnings it gave."""
    warnings = []

    def exit_json(module, **result):
        raise ModuleExit(result)

    def fail_json(module, **result):
        result["failed"] = True
        raise ModuleExit(result)

    with patch_module_args(args), \
            mock.patch.object(AnsibleModule, "run_command", run_command), \
            mock.patch.object(AnsibleModule, "exit_json", exit_json), \
            mock.patch.object(AnsibleModule, "fail_json", fail_json), \
            mock.patch.object(AnsibleModule, "warn", lambda module, warning: warnings.append(warning)):
        with pytest.raises(ModuleExit) as done:
            erpnext_site.main()
    return dict(done.value.result, **({"warnings": warnings} if warnings else {}))


def run(bench, check_mode=False, diff=False, **params):
    args = {"name": SITE, "bench_path": "/nonexistent-bench", "_ansible_check_mode": check_mode, "_ansible_diff": diff}
    args.update(params)

    def run_command(module, argv, **kwargs):
        return bench(module, argv, **kwargs)

    return run_main(args, run_command)


CREATE = {"apps": ["erpnext", "posawesome"], "admin_password": ADMIN_PW, "db_root_password": ROOT_PW}


def test_absent_site_is_created_with_apps_in_order():
    bench = FakeBench()
    result = run(bench, **CREATE)
    assert result["changed"] is True
    assert result["site"]["created"] is True
    assert bench.calls[1] == ["new-site", SITE, "--db-root-username", "root",
                              "--install-app", "erpnext", "--install-app", "posawesome"]
    assert result["site"]["apps"] == [{"name": "frappe", "version": "15.103.0"}, {"name": "erpnext", "version": "15.102.0"},
                                      {"name": "posawesome", "version": "15.31.0"}]


def test_new_site_gets_the_passwords_on_stdin_in_the_order_frappe_asks_for_them():
    bench = FakeBench()
    run(bench, **CREATE)
    assert bench.stdin[1] == "\n".join([ROOT_PW, ADMIN_PW, ADMIN_PW])
    assert not any(ROOT_PW in arg or ADMIN_PW in arg for call in bench.calls for arg in call)


def test_passwords_never_appear_in_the_result():
    result = run(FakeBench(), diff=True, **CREATE)
    text = json.dumps(result)
    assert ADMIN_PW not in text and ROOT_PW not in text


def test_check_mode_on_an_absent_site_predicts_creation_and_runs_no_mutating_command():
    bench = FakeBench()
    result = run(bench, check_mode=True, site_config={"mute_emails": True}, **CREATE)
    assert result["changed"] is True and result["site"]["created"] is True
    assert [app["name"] for app in result["site"]["apps"]] == ["frappe", "erpnext", "posawesome"]
    assert bench.mutating_calls() == []
    assert SITE not in bench.sites


def test_existing_site_with_everything_costs_one_read_and_changes_nothing():
    bench = FakeBench(apps=["frappe", "erpnext", "posawesome"])
    result = run(bench, apps=["erpnext", "posawesome"])
    assert result["changed"] is False
    assert bench.calls == [["--site", SITE, "list-apps"]]


def test_missing_app_is_installed_and_installed_ones_are_left_alone():
    bench = FakeBench(apps=["frappe", "erpnext"])
    result = run(bench, apps=["erpnext", "posawesome"])
    assert result["changed"] is True
    assert bench.mutating_calls() == ["install-app"]
    assert ["--site", SITE, "install-app", "posawesome"] in bench.calls
    assert result["site"]["apps"][-1] == {"name": "posawesome", "version": "15.31.0"}


def test_apps_not_listed_are_kept_unless_exclusive():
    bench = FakeBench(apps=["frappe", "erpnext", "posawesome"])
    assert run(bench, apps=["erpnext"])["changed"] is False
    assert bench.mutating_calls() == []


def test_exclusive_uninstalls_unlisted_apps_last_installed_first():
    bench = FakeBench(apps=["frappe", "erpnext", "posawesome"])
    result = run(bench, apps=[], exclusive=True)
    assert result["changed"] is True
    uninstalls = [call for call in bench.calls if "uninstall-app" in call]
    assert uninstalls == [["--site", SITE, "uninstall-app", "posawesome", "--yes"],
                          ["--site", SITE, "uninstall-app", "erpnext", "--yes"]]


def test_check_mode_on_an_existing_site_predicts_apps_without_installing():
    bench = FakeBench(apps=["frappe", "erpnext"])
    result = run(bench, check_mode=True, diff=True, apps=["erpnext", "posawesome"])
    assert result["changed"] is True
    assert bench.mutating_calls() == []
    assert result["site"]["apps"][-1] == {"name": "posawesome", "version": None}
    assert result["diff"]["before"]["apps"] == ["frappe", "erpnext"]
    assert result["diff"]["after"]["apps"] == ["frappe", "erpnext", "posawesome"]


def test_config_keys_are_set_only_when_their_typed_value_differs():
    bench = FakeBench(apps=["frappe"], config={"mute_emails": 1, "host_name": "https://a"})
    result = run(bench, site_config={"mute_emails": True, "host_name": "https://a", "limits": {"users": 5}})
    sets = [call for call in bench.calls if "set-config" in call]
    assert sets == [["--site", SITE, "set-config", "--parse", "mute_emails", "True"],
                    ["--site", SITE, "set-config", "--parse", "limits", "{'users': 5}"]]
    assert result["site"]["config_keys"] == ["host_name", "limits", "mute_emails"]


def test_matching_config_is_not_changed():
    bench = FakeBench(apps=["frappe"], config={"mute_emails": True, "host_name": "https://a"})
    result = run(bench, site_config={"mute_emails": True, "host_name": "https://a"})
    assert result["changed"] is False
    assert bench.mutating_calls() == []


def test_a_negative_number_is_passed_after_an_end_of_options_marker():
    bench = FakeBench(apps=["frappe"])
    run(bench, site_config={"offset": -5})
    assert ["--site", SITE, "set-config", "--parse", "--", "offset", "-5"] in bench.calls


@pytest.mark.parametrize("value", ["1", "0", "true", "false", "None"])
def test_strings_bench_would_convert_are_refused_before_any_command(value):
    bench = FakeBench(apps=["frappe"])
    result = run(bench, site_config={"flag": value})
    assert result["failed"] and "site_config.flag" in result["msg"]
    assert bench.calls == []


def test_secret_looking_config_values_are_masked_in_the_diff():
    bench = FakeBench(apps=["frappe"])
    result = run(bench, diff=True, site_config={"encryption_key": "k3y-value-abcdef0123"})
    assert "k3y-value-abcdef0123" not in json.dumps(result["diff"])


def test_invalid_site_name_is_refused_before_any_command():
    bench = FakeBench()
    result = run(bench, name="../etc", **CREATE)
    assert result["failed"] and "not a valid site name" in result["msg"]
    assert bench.calls == []


def test_creation_without_passwords_fails_with_a_clear_message():
    bench = FakeBench()
    result = run(bench, apps=["erpnext"])
    assert result["failed"] and "admin_password and db_root_password are needed to create" in result["msg"]
    assert bench.mutating_calls() == []


def test_failed_new_site_reports_the_half_created_site_with_bench_lines_masked():
    bench = FakeBench()
    bench.fail_new_site = ("Traceback (most recent call last):\npymysql.err.OperationalError: (1045, "
                           f"\"Access denied for user 'root'@'localhost' password {ROOT_PW}\")\n")
    result = run(bench, **CREATE)
    assert result["failed"]
    assert "1045" in result["msg"] and "drop-site" in result["msg"]
    assert ROOT_PW not in json.dumps(result) and ADMIN_PW not in json.dumps(result)


def test_half_created_site_is_reported_and_never_forced():
    bench = FakeBench()
    bench.half_created.add(SITE)
    result = run(bench, **CREATE)
    assert result["failed"] and "bench cannot read its apps" in result["msg"]
    assert f"bench drop-site {SITE} --force" in result["msg"]
    assert bench.mutating_calls() == []


def test_leftover_directory_reported_when_new_site_says_it_exists():
    bench = FakeBench()
    bench.leftover_dirs.add(SITE)
    result = run(bench, **CREATE)
    assert result["failed"] and "already exists, but bench does not know it" in result["msg"]
    assert bench.mutating_calls() == ["new-site"]


def test_site_without_frappe_is_reported_as_half_created():
    bench = FakeBench(apps=["erpnext"])
    result = run(bench, apps=["erpnext"])
    assert result["failed"] and "frappe is not installed" in result["msg"]


def test_absent_drops_the_site_with_a_backup():
    bench = FakeBench(apps=["frappe", "erpnext"])
    result = run(bench, state="absent", db_root_password=ROOT_PW)
    assert result["changed"] is True and result["site"] == {}
    drop = bench.calls[-1]
    assert drop[:2] == ["drop-site", SITE] and "--no-backup" not in drop and "--force" not in drop
    assert ROOT_PW not in drop and bench.stdin[-1] == ROOT_PW


def test_absent_in_check_mode_drops_nothing():
    bench = FakeBench(apps=["frappe"])
    result = run(bench, check_mode=True, state="absent", db_root_password=ROOT_PW)
    assert result["changed"] is True
    assert bench.mutating_calls() == [] and SITE in bench.sites


def test_absent_when_already_absent_is_ok():
    bench = FakeBench()
    result = run(bench, state="absent", db_root_password=ROOT_PW)
    assert result["changed"] is False and result["site"] == {}
    assert bench.calls == [["--site", SITE, "list-apps"]]


def test_absent_on_a_half_created_site_is_reported_not_forced():
    bench = FakeBench()
    bench.half_created.add(SITE)
    result = run(bench, state="absent", db_root_password=ROOT_PW)
    assert result["failed"] and "drop-site" in result["msg"]
    assert bench.mutating_calls() == []


def test_bench_command_prefix_is_used_for_every_call():
    seen = []
    bench = FakeBench(apps=["frappe"])

    def recording(module, argv, **kwargs):
        seen.append(argv[:8])
        return bench(module, ["bench"] + argv[8:], **kwargs)

    docker = ["docker", "compose", "-f", "/srv/erpnext/compose.yml", "exec", "-T", "backend", "bench"]
    run(recording, bench_command=docker)
    assert seen == [docker]


def test_new_site_runs_holding_the_bench_lock_and_reads_do_not(bench_lock):
    bench = FakeBench()
    locked = []

    def probing(module, argv, **kwargs):
        with open(bench_lock, "a") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                locked.append(False)
            except BlockingIOError:
                locked.append(True)
        return bench(module, argv, **kwargs)

    run(probing, **CREATE)
    assert list(zip(bench.commands(), locked)) == [("list-apps", False), ("new-site", True), ("list-apps", False)]


def test_updating_an_existing_site_does_not_wait_for_the_bench_lock(bench_lock):
    bench = FakeBench(apps=["frappe"])
    with held_by_another_task(bench_lock):
        result = run(bench, apps=["erpnext"], site_config={"mute_emails": True}, queue_timeout=1)
    assert result["changed"] is True and "failed" not in result


def test_check_mode_creation_does_not_wait_for_the_bench_lock(bench_lock):
    with held_by_another_task(bench_lock):
        result = run(FakeBench(), check_mode=True, queue_timeout=1, **CREATE)
    assert result["changed"] is True and "failed" not in result


def test_creation_fails_naming_the_lock_file_when_another_task_holds_it_past_the_queue_timeout(bench_lock):
    bench = FakeBench()
    with held_by_another_task(bench_lock):
        result = run(bench, queue_timeout=1, **CREATE)
    assert result["failed"] and f"could not get the lock file {bench_lock} within 1 seconds" in result["msg"]
    assert bench.mutating_calls() == []
    assert ADMIN_PW not in json.dumps(result) and ROOT_PW not in json.dumps(result)


# -- template sites, against the bench stand-in (sandbox/bin/bench) -------------------------------------

STANDIN = str(Path(__file__).resolve().parents[4] / "sandbox" / "bin" / "bench")
TEMPLATED = {"apps": ["erpnext", "posawesome"], "admin_password": ADMIN_PW,
             "db_root_password": bench_standin.SANDBOX_DB_ROOT_PASSWORD, "template": True}


@pytest.fixture
def standin(tmp_path):
    return bench_standin.init_bench(tmp_path / "bench")


def run_on(bench_dir, check_mode=False, **params):
    """main() with the real AnsibleModule.run_command, driving the stand-in."""
    args = {"name": SITE, "bench_path": str(bench_dir), "bench_command": [STANDIN], "_ansible_check_mode": check_mode}
    args.update(params)
    return run_main(args)


def database_of(bench_dir, site):
    conf = json.loads((bench_dir / "sites" / site / "site_config.json").read_text())
    with bench_standin._database(bench_dir, write=False) as db:
        return db["databases"][conf["db_name"]]


def test_the_first_templated_site_makes_the_template_then_is_made_from_it(standin):
    result = run_on(standin, **TEMPLATED)
    assert result["changed"] and result["site"]["template"] == "created", result
    template = erpnext_site.template_site(["erpnext", "posawesome"])
    assert any(call.startswith("bench new-site %s" % SITE) and "--source-sql" in call for call in result["commands"])
    assert database_of(standin, SITE)["installed_apps"] == database_of(standin, template)["installed_apps"]


def test_a_site_made_from_the_template_gets_its_own_administrator_password_not_the_templates(standin):
    run_on(standin, **TEMPLATED)
    result = run_on(standin, **{**TEMPLATED, "name": "b.erp.example.org", "admin_password": "other-admin-pw-1"})
    assert result["site"]["template"] == "used"
    assert bench_standin.check_password("other-admin-pw-1", database_of(standin, "b.erp.example.org")["admin_password"])
    assert not (standin / ".erpnext_site.b.erp.example.org.pending").exists()


def test_a_template_made_by_other_app_versions_is_rebuilt(standin):
    run_on(standin, **TEMPLATED)
    (standin / "apps" / "erpnext" / "erpnext" / "__init__.py").write_text('__version__ = "15.103.0"\n')
    result = run_on(standin, **dict(TEMPLATED, name="b.erp.example.org"))
    assert result["site"]["template"] == "rebuilt"
    assert "other app versions" in " ".join(result.get("warnings", []))
    assert ["erpnext", "15.103.0"] in [[app["name"], app["version"]] for app in result["site"]["apps"]]


def add_template_user(bench_dir):
    template = erpnext_site.template_site(["erpnext", "posawesome"])
    conf = json.loads((bench_dir / "sites" / template / "site_config.json").read_text())
    with bench_standin._database(bench_dir) as db:
        db["databases"][conf["db_name"]]["users"] = ["someone@example.org"]
    return template


def test_a_recorded_template_is_used_without_starting_frappe_to_read_it(standin):
    run_on(standin, **TEMPLATED)
    template = erpnext_site.template_site(["erpnext", "posawesome"])
    result = run_on(standin, **dict(TEMPLATED, name="b.erp.example.org"))
    assert result["site"]["template"] == "used"
    assert [call for call in result["commands"] if template in call.split()[:3]] == [], result["commands"]


def test_a_user_added_to_the_template_after_its_dump_never_reaches_a_new_site(standin):
    """What is copied is the dump, which was read and found empty when it was made."""
    run_on(standin, **TEMPLATED)
    add_template_user(standin)
    result = run_on(standin, **dict(TEMPLATED, name="b.erp.example.org"))
    assert result["site"]["template"] == "used"
    assert database_of(standin, "b.erp.example.org").get("users", []) == []


def test_a_template_dump_replaced_since_it_was_recorded_is_read_again_and_rebuilt_when_it_holds_a_user(standin):
    run_on(standin, **TEMPLATED)
    template = add_template_user(standin)
    subprocess.run([STANDIN, "--site", template, "backup", "--backup-path-db", erpnext_site.template_dump(template)],
                   cwd=standin, check=True, capture_output=True)
    result = run_on(standin, **dict(TEMPLATED, name="b.erp.example.org"))
    assert result["site"]["template"] == "rebuilt" and "1 users" in " ".join(result.get("warnings", []))
    assert database_of(standin, "b.erp.example.org").get("users", []) == []


def test_an_interrupted_creation_is_finished_on_the_next_run_not_taken_as_done(standin):
    run_on(standin, **TEMPLATED)
    marker = standin / (".erpnext_site.%s.pending" % SITE)
    marker.touch()  # as left by a run stopped between new-site and set-admin-password
    with bench_standin._database(standin) as db:
        db["databases"][json.loads((standin / "sites" / SITE / "site_config.json").read_text())["db_name"]][
            "admin_password"] = bench_standin.hash_password("the-templates-password")
    check = run_on(standin, check_mode=True, **TEMPLATED)
    assert check["changed"] and check["site"]["template"] == "completed" and marker.exists()
    result = run_on(standin, **TEMPLATED)
    assert result["changed"] and result["site"]["template"] == "completed" and not marker.exists()
    assert bench_standin.check_password(ADMIN_PW, database_of(standin, SITE)["admin_password"])
    assert run_on(standin, **TEMPLATED)["changed"] is False


def test_check_mode_with_a_template_reads_but_creates_nothing(standin):
    result = run_on(standin, check_mode=True, **TEMPLATED)
    assert result["changed"] and result["site"]["template"] == "created" and result["site"]["created"]
    assert not any(path.name.startswith("erpnext-template") for path in (standin / "sites").iterdir())
    assert not (standin / "sites" / SITE).exists()


def test_a_site_without_config_on_a_local_bench_is_known_absent_without_starting_bench(standin):
    """frappe's own test of a site's existence is its site_config.json: reading it costs no frappe start-up."""
    result = run_on(standin, **TEMPLATED)
    commands = [call.split()[1:4] for call in result["commands"]]
    assert ["--site", SITE, "list-apps"] not in commands, result["commands"]
    assert result["site"]["created"] is True


def test_a_site_with_config_is_read_through_bench(standin):
    run_on(standin, **TEMPLATED)
    result = run_on(standin, **TEMPLATED)
    assert result["commands"] == ["bench --site %s list-apps" % SITE] and not result["changed"]


# -- update_password: the Administrator password of an existing site (a rotation) --------------------

ROTATED_PW = "Adm1n-rotated-6f1e0d9c8b"


def test_update_password_always_sets_the_administrator_password_of_an_existing_site_through_stdin(standin):
    run_on(standin, **TEMPLATED)
    result = run_on(standin, _ansible_diff=True, admin_password=ROTATED_PW, update_password="always")
    assert result["changed"] and result["commands"][-1] == "bench --site %s set-admin-password" % SITE, result
    assert bench_standin.check_password(ROTATED_PW, database_of(standin, SITE)["admin_password"])
    assert result["diff"]["after"]["admin_password"] == "(changed)" and "admin_password" not in result["diff"]["before"]
    assert ROTATED_PW not in json.dumps(result)


def test_update_password_always_in_check_mode_reports_the_change_and_sets_nothing(standin):
    run_on(standin, **TEMPLATED)
    result = run_on(standin, check_mode=True, admin_password=ROTATED_PW, update_password="always")
    assert result["changed"] and not any("set-admin-password" in call for call in result["commands"])
    assert bench_standin.check_password(ADMIN_PW, database_of(standin, SITE)["admin_password"])


def test_without_update_password_an_existing_sites_administrator_password_is_left_alone(standin):
    run_on(standin, **TEMPLATED)
    result = run_on(standin, admin_password=ROTATED_PW)
    assert result["changed"] is False
    assert bench_standin.check_password(ADMIN_PW, database_of(standin, SITE)["admin_password"])


def test_update_password_always_without_a_password_fails_naming_it(standin):
    run_on(standin, **TEMPLATED)
    result = run_on(standin, update_password="always")
    assert result["failed"] and "admin_password is needed to set the Administrator password of site" in result["msg"]
