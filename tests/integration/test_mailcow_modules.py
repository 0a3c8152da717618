"""The seven Mailcow modules through real ansible-playbook, against the emulator ([emulator]) and
the real Mailcow API ([real], tests/real_mailcow.py).

The behaviour is asserted inside the playbooks under targets/ (ansible.builtin.assert with the
offending result in fail_msg); this driver runs each playbook once per session at -vvv, checks
that it passed and that every assert ran, and checks the same output for secrets. Each playbook
creates its own uniquely named objects and removes them in an always: block.

On the local connection the modules run inside Ansible's worker process (plugins/action); the
scenarios that exercise no_log, diff, warnings and argument validation also run with that switched
off, as ordinary module processes, and must pass unchanged.
"""

import re
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

TARGETS = Path(__file__).resolve().parent / "targets"

# Scenario name -> playbook under targets/.
PLAYBOOKS = {
    "domain_lifecycle": "mailcow_domain/lifecycle.yml",
    "domain_failures": "mailcow_domain/failures.yml",
    "mailbox_lifecycle": "mailcow_mailbox/lifecycle.yml",
    "mailbox_failures": "mailcow_mailbox/failures.yml",
    "mailbox_delete_side_effects": "mailcow_mailbox/delete_side_effects.yml",
    "alias_lifecycle": "mailcow_alias/lifecycle.yml",
    "alias_failures": "mailcow_alias/failures.yml",
    "dkim_lifecycle": "mailcow_dkim/lifecycle.yml",
    "app_password_lifecycle": "mailcow_app_password/lifecycle.yml",
    "domain_admin_lifecycle": "mailcow_domain_admin/lifecycle.yml",
    "info_listings": "mailcow_info/listings.yml",
    "read_cost": "mailcow_info/read_cost.yml",
}

RECAP = re.compile(r"^localhost\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+"
                   r"failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)\s+rescued=(?P<rescued>\d+)\s+"
                   r"ignored=(?P<ignored>\d+)", re.MULTILINE)
ASSERT_PASSED = '"msg": "All assertions passed"'
# What -vvv prints when one of the Mailcow modules is shipped and started as its own process.
MODULE_PROCESS = "/plugins/modules/mailcow_"
AS_MODULE_PROCESS = ["mailbox_lifecycle", "mailbox_failures", "mailbox_delete_side_effects"]
# -vvv, and ansible-core >= 2.21 puts the module arguments into each result only when asked to.
VERBOSE = {"verbosity": 3, "env": {"ANSIBLE_INJECT_INVOCATION": "true"}}


@dataclass
class ScenarioRun:
    """Every ansible-playbook run of one scenario, and what the server counted (read_cost only)."""

    playbook: Path
    runs: list
    counters: dict | None = field(default=None)

    @property
    def output(self):
        return "".join(run.output for run in self.runs)


@pytest.fixture(scope="session")
def mailcow_test_passwords():
    """Mailbox passwords for the playbooks: long and random, so that a leak is unambiguous and
    Ansible's no_log masking cannot garble unrelated text that happens to contain them."""
    return {
        "mailcow_test_password": "It1-" + secrets.token_urlsafe(24),
        "mailcow_test_new_password": "It2-" + secrets.token_urlsafe(24),
        "mailcow_test_app_password": "It3-" + secrets.token_urlsafe(24),
        "mailcow_test_admin_password": "It4-" + secrets.token_urlsafe(24),
    }


@pytest.fixture(scope="session")
def scenario_runs():
    return {}


@pytest.fixture
def run_scenario(ansible_playbook, mailcow_api, mailcow_test_passwords, scenario_runs):
    """Run a scenario playbook verbosely with a unique object-name suffix, once per session.

    read_cost runs three times: present, present again with the server's counters reset before
    and read after, then absent to clean up. Runs are per target: the session fixture mailcow_api
    is [emulator] or [real].
    """

    def run(name, in_process=True):
        key = (mailcow_api.name, name, in_process)
        if key in scenario_runs:
            return scenario_runs[key]
        playbook = TARGETS / PLAYBOOKS[name]
        extra_vars = {"mailcow_test_suffix": uuid.uuid4().hex[:10], **mailcow_test_passwords,
                      "securenexus_provisioning_in_process": in_process,
                      "mailcow_control_url": mailcow_api.control_url}
        scenario = ScenarioRun(playbook, [])
        if name == "read_cost":
            present = {**extra_vars, "mailcow_test_state": "present"}
            try:
                scenario.runs.append(ansible_playbook(playbook, extra_vars=present, **VERBOSE))
                mailcow_api.control.reset_counters()
                scenario.runs.append(ansible_playbook(playbook, extra_vars=present, **VERBOSE))
                scenario.counters = mailcow_api.control.counters()
            finally:
                absent = {**extra_vars, "mailcow_test_state": "absent"}
                scenario.runs.append(ansible_playbook(playbook, extra_vars=absent, **VERBOSE))
        else:
            scenario.runs.append(ansible_playbook(playbook, extra_vars=extra_vars, **VERBOSE))
        scenario_runs[key] = scenario
        return scenario

    return run


def recap(run):
    match = RECAP.search(run.stdout)
    assert match, "no PLAY RECAP in the output:\n" + run.output[-4000:]
    return {key: int(value) for key, value in match.groupdict().items()}


def failure_report(run):
    """The failed tasks' blocks of output (the assert's fail_msg is in them), else the tail."""
    blocks = re.findall(r"^TASK \[.*?(?=^TASK \[|^PLAY RECAP)", run.stdout, re.MULTILINE | re.DOTALL)
    failed = [block for block in blocks if re.search(r"^(fatal|failed): ", block, re.MULTILINE)]
    return "\n".join(failed)[-12000:] or run.output[-8000:]


def assert_tasks(tasks):
    """The number of asserts a playbook's task list runs."""
    count = 0
    for task in tasks or []:
        count += "ansible.builtin.assert" in task
        for section in ("block", "rescue", "always"):
            count += assert_tasks(task.get(section))
    return count


def assert_passed(scenario, mailcow_api):
    for run in scenario.runs:
        assert run.rc == 0, failure_report(run)
        counts = recap(run)
        assert counts["failed"] == counts["unreachable"] == counts["rescued"] == 0, counts
    plays = yaml.safe_load(scenario.playbook.read_text())
    expected_asserts = sum(assert_tasks(play["tasks"]) for play in plays)
    assert scenario.output.count(ASSERT_PASSED) == expected_asserts


def test_domain_lifecycle_check_create_repeat_change_retype_absent(run_scenario, mailcow_api):
    assert_passed(run_scenario("domain_lifecycle"), mailcow_api)


def test_domain_bad_input_and_mailcow_refusals_fail_clearly_and_change_nothing(run_scenario, mailcow_api):
    assert_passed(run_scenario("domain_failures"), mailcow_api)


def test_mailbox_lifecycle_with_write_only_password_and_default_quota(run_scenario, mailcow_api):
    assert_passed(run_scenario("mailbox_lifecycle"), mailcow_api)


def test_mailbox_bad_input_and_mailcow_refusals_fail_clearly_and_change_nothing(run_scenario, mailcow_api):
    assert_passed(run_scenario("mailbox_failures"), mailcow_api)


def test_mailbox_removal_makes_mailcow_delete_or_rewrite_the_aliases_of_the_mailbox(run_scenario, mailcow_api):
    assert_passed(run_scenario("mailbox_delete_side_effects"), mailcow_api)


def test_alias_lifecycle_with_unordered_goto_and_special_destination(run_scenario, mailcow_api):
    assert_passed(run_scenario("alias_lifecycle"), mailcow_api)


def test_alias_bad_input_and_mailcow_refusals_fail_clearly_and_change_nothing(run_scenario, mailcow_api):
    assert_passed(run_scenario("alias_failures"), mailcow_api)


def test_dkim_lifecycle_replaces_a_key_only_with_force_and_returns_the_dns_record(run_scenario, mailcow_api):
    assert_passed(run_scenario("dkim_lifecycle"), mailcow_api)


def test_app_password_lifecycle_by_name_with_explicit_protocols_and_duplicates_refused(run_scenario, mailcow_api):
    assert_passed(run_scenario("app_password_lifecycle"), mailcow_api)


def test_domain_admin_lifecycle_with_its_name_rule_and_domain_set(run_scenario, mailcow_api):
    assert_passed(run_scenario("domain_admin_lifecycle"), mailcow_api)


def test_info_modules_list_the_shapes_the_modules_return(run_scenario, mailcow_api):
    assert_passed(run_scenario("info_listings"), mailcow_api)


def test_idempotent_run_reads_each_object_once_and_writes_nothing(run_scenario, mailcow_api):
    scenario = run_scenario("read_cost")
    assert_passed(scenario, mailcow_api)
    first, repeat, _cleanup = scenario.runs
    assert recap(first)["changed"] > 0
    assert recap(repeat)["changed"] == 0
    counted = {route: n for route, n in scenario.counters["by_route"].items() if n}
    # One GET per object: domain, DKIM key, mailbox, alias; then one per _info look-up.
    assert counted == {"GET get/domain": 2, "GET get/dkim": 1, "GET get/mailbox": 2, "GET get/alias": 2}
    assert scenario.counters["writes"] == 0
    assert scenario.counters["reads"] == 7


def test_on_the_local_connection_no_module_process_is_started(run_scenario):
    assert MODULE_PROCESS not in run_scenario("mailbox_lifecycle").output


@pytest.mark.parametrize("name", AS_MODULE_PROCESS)
def test_scenario_passes_unchanged_when_the_module_runs_as_its_own_process(name, run_scenario, mailcow_api):
    scenario = run_scenario(name, in_process=False)
    assert MODULE_PROCESS in scenario.output
    assert_passed(scenario, mailcow_api)


@pytest.mark.parametrize("name, in_process", [(name, True) for name in sorted(PLAYBOOKS)]
                         + [(name, False) for name in AS_MODULE_PROCESS])
def test_verbose_output_never_contains_the_api_key_or_a_password(name, in_process, run_scenario, mailcow_api,
                                                                 mailcow_test_passwords):
    output = run_scenario(name, in_process).output
    # -vvv prints every module's arguments: proof that the secrets had a chance to leak.
    assert '"module_args"' in output
    assert mailcow_api.api_key not in output
    for password in mailcow_test_passwords.values():
        assert password not in output
