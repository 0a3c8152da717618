"""erpnext_setup against the bench stand-in: wizard, the client's user, scheduler, POS Profile, drift."""

import json
import subprocess
from pathlib import Path
from unittest import mock

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.securenexus.provisioning.plugins.module_utils import _erpnext_setup
from ansible_collections.securenexus.provisioning.plugins.modules import erpnext_setup, erpnext_site_info
from sandbox import bench_standin

SITE = "acme.erp.example.org"
STANDIN = str(Path(__file__).resolve().parents[4] / "sandbox" / "bin" / "bench")
USER_PW = "Cl1ent-unit-5e4d3c2b1a"
COMPANY = {"name": "ACME GmbH", "country": "Germany", "currency": "EUR", "time_zone": "Europe/Berlin", "language": "de"}
USER = {"email": "anna@acme.example.org", "full_name": "Anna Schmidt", "password": USER_PW}
EVERYTHING = {"company": COMPANY, "user": USER, "scheduler": True, "pos_profile": {"name": "ACME GmbH POS"}}


class ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


@pytest.fixture
def bench(tmp_path):
    bench_dir = bench_standin.init_bench(tmp_path / "bench")
    subprocess.run([STANDIN, "new-site", SITE, "--install-app", "erpnext", "--install-app", "posawesome"], cwd=bench_dir,
                   input=f"{bench_standin.SANDBOX_DB_ROOT_PASSWORD}\nadm1n\nadm1n\n", text=True, capture_output=True,
                   check=True)
    return bench_dir


def run(bench_dir, check_mode=False, diff=False, module=erpnext_setup, **params):
    args = {"site": SITE, "bench_path": str(bench_dir), "bench_command": [STANDIN],
            "_ansible_check_mode": check_mode, "_ansible_diff": diff, **params}
    warnings = []

    def exit_json(module, **result):
        raise ModuleExit(result)

    def fail_json(module, **result):
        raise ModuleExit(dict(result, failed=True))

    with patch_module_args(args), mock.patch.object(AnsibleModule, "exit_json", exit_json), \
            mock.patch.object(AnsibleModule, "fail_json", fail_json), \
            mock.patch.object(AnsibleModule, "warn", lambda module, warning: warnings.append(warning)):
        with pytest.raises(ModuleExit) as done:
            module.main()
    return dict(done.value.result, warnings=warnings)


def setup_of(bench_dir):
    conf = json.loads((bench_dir / "sites" / SITE / "site_config.json").read_text())
    with bench_standin._database(bench_dir, write=False) as db:
        return db["databases"][conf["db_name"]].get("setup")


def test_a_new_site_gets_wizard_user_scheduler_and_pos_profile_in_one_write(bench):
    result = run(bench, **EVERYTHING)
    assert result["changed"] and result["actions"] == ["wizard", "create_user", "create_pos_profile"]
    assert len(result["commands"]) == 2
    setup = result["setup"]
    assert setup["setup_complete"] and setup["scheduler"]
    assert setup["company"] == {"name": "ACME GmbH", "abbr": "AG", "country": "Germany", "currency": "EUR",
                                "fiscal_year_start": "01-01"}
    assert setup["user"]["roles"] == sorted(_erpnext_setup.BUSINESS_OWNER_ROLES)
    assert setup["user"]["send_welcome_email"] is False
    assert setup["pos_profile"]["users"] == ["anna@acme.example.org"]
    # the names the wizard gave in the site's language (de), as on a real bench
    assert setup["pos_profile"]["warehouse"] == "Lagerräume - AG"
    assert setup["pos_profile"]["modes_of_payment"] == ["Bargeld"]


def test_a_second_run_changes_nothing_and_costs_one_read(bench):
    run(bench, **EVERYTHING)
    result = run(bench, **EVERYTHING)
    assert result["changed"] is False and result["actions"] == [] and len(result["commands"]) == 1


def test_check_mode_predicts_the_result_and_writes_nothing(bench):
    check = run(bench, check_mode=True, **EVERYTHING)
    assert check["changed"] and check["actions"] == ["wizard", "create_user", "create_pos_profile"]
    assert setup_of(bench) is None or not setup_of(bench)["setup_complete"]
    real = run(bench, **EVERYTHING)
    # the profile's defaults are the site's own records, named in its language: unknown until the wizard ran
    unknown = [key for key, value in check["setup"]["pos_profile"].items() if value is None]
    assert sorted(unknown) == ["price_list", "warehouse", "write_off_account", "write_off_cost_center"]
    assert check["setup"]["pos_profile"]["modes_of_payment"] == [None]
    real_profile = {key: value for key, value in real["setup"]["pos_profile"].items() if key not in unknown}
    assert dict(check["setup"], pos_profile=None) == dict(real["setup"], pos_profile=None)
    assert {key: value for key, value in check["setup"]["pos_profile"].items()
            if key not in unknown and key != "modes_of_payment"} == {
        key: value for key, value in real_profile.items() if key != "modes_of_payment"}


def test_the_password_is_in_no_result_and_on_no_command_line(bench):
    result = run(bench, diff=True, **EVERYTHING)
    assert USER_PW not in json.dumps(result)


def test_a_company_changed_on_the_site_is_reported_never_overwritten(bench):
    run(bench, **EVERYTHING)
    result = run(bench, **{**EVERYTHING, "company": dict(COMPANY, currency="CHF")})
    assert result["changed"] is False
    assert result["company_differences"] == {"currency": ["EUR", "CHF"]}
    assert "currency is 'EUR', not 'CHF'" in " ".join(result["warnings"])
    assert setup_of(bench)["companies"]["ACME GmbH"]["currency"] == "EUR"


def test_a_wizard_completed_by_hand_is_adopted_and_the_profile_made_for_its_company(bench):
    run(bench, company=dict(COMPANY, name="Anna's Shop"))
    result = run(bench, **EVERYTHING)
    assert "wizard" not in result["actions"] and result["company_differences"] == {"name": ["Anna's Shop", "ACME GmbH"]}
    assert result["setup"]["pos_profile"]["company"] == "Anna's Shop"


def test_scheduler_turned_off_by_hand_is_drift_and_is_turned_on_again(bench):
    run(bench, **EVERYTHING)
    run(bench, scheduler=False)
    check = run(bench, check_mode=True, **EVERYTHING)
    assert check["changed"] and check["actions"] == ["scheduler"]
    assert run(bench, **EVERYTHING)["setup"]["scheduler"] is True


def test_deprovisioning_disables_the_user(bench):
    run(bench, **EVERYTHING)
    result = run(bench, state="absent", user={"email": USER["email"]})
    assert result["changed"] and result["setup"]["user"]["enabled"] is False
    assert run(bench, state="absent", user={"email": USER["email"]})["changed"] is False


def test_deprovisioning_a_site_that_is_already_archived_changes_nothing(bench):
    result = run(bench, site="gone.example.com", state="absent", user={"email": USER["email"]})
    assert result["changed"] is False and "does not exist: nothing to disable" in result["msg"]


@pytest.mark.parametrize("field, value, message", [
    ("country", "germany", "did you mean 'Germany'"),
    ("currency", "EURO", "company.currency: 'EURO' is not one of frappe's currencies"),
    ("time_zone", "Berlin", "company.time_zone"),
    ("fiscal_year_start", "2026-04-01", "MM-DD"),
])
def test_bad_company_data_is_refused_naming_the_field_before_any_bench_command(bench, field, value, message):
    result = run(bench, **{**EVERYTHING, "company": {**COMPANY, field: value}})
    assert result["failed"] and message in result["msg"] and result["commands"] == []


def test_the_fiscal_year_holding_today_starts_on_the_given_day():
    import datetime
    assert _erpnext_setup.fiscal_year("04-01", datetime.date(2026, 2, 1)) == ("2025-04-01", "2026-03-31")
    assert _erpnext_setup.fiscal_year("01-01", datetime.date(2026, 12, 2)) == ("2026-01-01", "2026-12-31")


def test_check_mode_on_a_site_not_made_yet_predicts_everything(tmp_path):
    bench_dir = bench_standin.init_bench(tmp_path / "bench")
    result = run(bench_dir, check_mode=True, **EVERYTHING)
    assert result["changed"] and result["actions"] == ["wizard", "create_user", "create_pos_profile"]


def test_a_missing_site_is_an_error_outside_check_mode(tmp_path):
    result = run(bench_standin.init_bench(tmp_path / "bench"), **EVERYTHING)
    assert result["failed"] and "Site acme.erp.example.org does not exist" in result["msg"]


# -- user.update_password: the client's password on an existing user (a rotation) --------------------

ROTATED_PW = "Cl1ent-rotated-0a9b8c7d6e"
ROTATE = {"user": {"email": USER["email"], "password": ROTATED_PW, "update_password": "always"}}


def password_works(bench_dir, password):
    return bench_standin.check_password(password, setup_of(bench_dir)["passwords"][USER["email"]])


def test_update_password_always_sets_the_password_of_an_existing_user_and_shows_only_that_it_changed(bench):
    run(bench, **EVERYTHING)
    result = run(bench, diff=True, **ROTATE)
    assert result["changed"] and result["actions"] == ["set_password"] and len(result["commands"]) == 2
    assert password_works(bench, ROTATED_PW) and not password_works(bench, USER_PW)
    assert result["diff"]["after"]["user"]["password"] == "(changed)" and "password" not in result["diff"]["before"]["user"]
    assert ROTATED_PW not in json.dumps(result)


def test_update_password_always_in_check_mode_reports_the_change_and_sets_nothing(bench):
    run(bench, **EVERYTHING)
    result = run(bench, check_mode=True, **ROTATE)
    assert result["changed"] and result["actions"] == ["set_password"] and len(result["commands"]) == 1
    assert password_works(bench, USER_PW)


def test_without_update_password_an_existing_users_password_is_left_alone(bench):
    run(bench, **EVERYTHING)
    result = run(bench, user=dict(ROTATE["user"], update_password="on_create"))
    assert result["changed"] is False and password_works(bench, USER_PW)


# -- erpnext_site_info: what a lost credentials file's check and a rotation ask before anything changes --------

def test_site_info_of_a_site_bench_does_not_know_says_it_does_not_exist(tmp_path):
    result = run(bench_standin.init_bench(tmp_path / "bench"), module=erpnext_site_info, user=USER["email"])
    assert result["exists"] is False and result["setup"] == {} and result["changed"] is False


def test_site_info_says_the_site_exists_and_whether_the_user_has_an_account_in_one_read(bench):
    before = run(bench, module=erpnext_site_info, user=USER["email"])
    assert before["exists"] is True and before["setup"]["user"] is None and len(before["commands"]) == 1
    run(bench, **EVERYTHING)
    after = run(bench, module=erpnext_site_info, user=USER["email"])
    assert after["setup"]["user"]["enabled"] is True and after["setup"]["setup_complete"] is True
