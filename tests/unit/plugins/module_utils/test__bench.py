"""The bench runner: argv, working directory, secrets on stdin, check mode, output cleaning, masking,
failures, timeout, host lock. The commands run through a real AnsibleModule.run_command."""

import fcntl
import os
import re
import sys
import tempfile

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.securenexus.provisioning.plugins.module_utils._bench import (
    MASK,
    BenchError,
    BenchRunner,
    clean_output,
    lock_path,
)

SECRET = "S3cret-root-pw-0a9b8c7d6e"


@pytest.fixture
def run_command():
    with patch_module_args({}):
        yield AnsibleModule(argument_spec={}).run_command


def python_runner(run_command, tmp_path, code, **kwargs):
    """A runner whose 'bench' is a Python snippet, so the real run_command path is exercised."""
    return BenchRunner(run_command, [sys.executable, "-c", code], str(tmp_path), **kwargs)


def test_clean_output_keeps_the_last_state_of_each_progress_line():
    raw = "Installing erpnext...\n\rUpdating DocTypes : [==  ] 50%\rUpdating DocTypes : [====] 100%\nDone\n"
    assert clean_output(raw) == "Installing erpnext...\nUpdating DocTypes : [====] 100%\nDone"


def test_clean_output_drops_colour_codes():
    assert clean_output("\x1b[33mWARN: something\x1b[0m\n") == "WARN: something"


def test_runner_runs_the_argv_in_the_bench_directory(run_command, tmp_path):
    runner = python_runner(run_command, tmp_path, "import os, sys; print(os.getcwd()); print(sys.argv[1:])")
    rc, stdout, _stderr = runner.read(["--site", "a.test", "list-apps"])
    assert rc == 0
    assert stdout.splitlines() == [str(tmp_path), "['--site', 'a.test', 'list-apps']"]


def test_arguments_reach_bench_as_given_even_when_they_look_like_variables_or_home(run_command, tmp_path):
    runner = python_runner(run_command, tmp_path, "import sys; print(sys.argv[1:])")
    _rc, stdout, _stderr = runner.read(["set-config", "mail_password", "pw$HOME", "~/x"])
    assert stdout == "['set-config', 'mail_password', 'pw$HOME', '~/x']"


def test_the_bench_command_prefix_expands_home_and_variables(run_command, tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_BIN_DIR", str(tmp_path))
    assert BenchRunner(run_command, ["~/bench", "$BENCH_BIN_DIR/bench"], str(tmp_path)).bench_command == [
        os.path.expanduser("~/bench"), str(tmp_path / "bench")]


def test_a_write_hands_its_secrets_to_bench_on_stdin_one_per_line(run_command, tmp_path):
    runner = python_runner(run_command, tmp_path, "import sys; print(sys.stdin.read().splitlines() == sys.argv[1:3])")
    _rc, stdout, _stderr = runner.write(["root-pw", "admin-pw"], stdin=["root-pw", "admin-pw"])
    assert stdout == "True"


def test_a_write_in_check_mode_runs_nothing(run_command, tmp_path):
    marker = tmp_path / "ran"
    runner = python_runner(run_command, tmp_path, "open(%r, 'w').close()" % str(marker), check_mode=True)
    assert runner.write(["new-site", "a.test"]) is None
    assert not marker.exists() and runner.calls == []


def test_a_read_in_check_mode_runs(run_command, tmp_path):
    runner = python_runner(run_command, tmp_path, "print('read')", check_mode=True)
    assert runner.read(["--site", "a.test", "list-apps"]) == (0, "read", "")


def test_check_mode_takes_no_lock(tmp_path):
    runner = BenchRunner(None, ["bench"], str(tmp_path), check_mode=True)
    with open(runner.lock_path, "a") as other_task:
        fcntl.flock(other_task, fcntl.LOCK_EX)
        with runner.exclusive(wait=0):
            pass


def test_runner_masks_secrets_in_output_and_in_the_recorded_command(run_command, tmp_path):
    runner = python_runner(run_command, tmp_path, "import sys; print('password was', sys.argv[-1])", secrets=[SECRET])
    _rc, stdout, _stderr = runner.read(["new-site", "a.test", "--db-root-password", SECRET])
    assert SECRET not in stdout and MASK in stdout
    assert runner.calls == ["bench new-site a.test --db-root-password " + MASK]


def test_failure_raises_with_bench_last_lines_masked(run_command, tmp_path):
    code = ("import sys\nprint('\\n'.join('line %d' % i for i in range(30)))\n"
            "print('Access denied, password ' + sys.argv[-1], file=sys.stderr)\nsys.exit(1)")
    runner = python_runner(run_command, tmp_path, code, secrets=[SECRET])
    with pytest.raises(BenchError) as failure:
        runner.read(["new-site", "a.test", "--db-root-password", SECRET])
    message = str(failure.value)
    assert failure.value.rc == 1
    assert "exit code 1" in message and "Access denied, password " + MASK in message
    assert "line 29" in message and "line 5\n" not in message
    assert SECRET not in message


def test_failure_is_returned_not_raised_when_not_checked(run_command, tmp_path):
    runner = python_runner(run_command, tmp_path, "print('Site x does not exist!'); raise SystemExit(1)")
    assert runner.read(["--site", "x", "list-apps"], check=False) == (1, "Site x does not exist!", "")


def test_a_command_past_its_timeout_is_stopped(run_command, tmp_path):
    runner = python_runner(run_command, tmp_path, "import time; time.sleep(60)", timeout=0.3)
    with pytest.raises(BenchError, match="did not finish within 0.3 seconds"):
        runner.read(["new-site", "a.test"])


def test_a_missing_bench_executable_is_a_bench_error(run_command, tmp_path):
    runner = BenchRunner(run_command, [str(tmp_path / "no-such-bench")], str(tmp_path))
    with pytest.raises(BenchError, match="cannot run"):
        runner.read(["--version"])


DOCKER_BENCH = ["docker", "compose", "-f", "/srv/erpnext/compose.yml", "exec", "-T", "backend", "bench"]


@pytest.fixture
def private_temp_dir(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def lock_is_held(path):
    """Whether someone else holds the lock (a fresh open file conflicts even within this process)."""
    with open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False


def test_lock_of_a_bench_on_this_host_is_in_the_bench_directory_whatever_path_leads_there(tmp_path):
    (tmp_path / "frappe-bench").mkdir()
    (tmp_path / "bench-link").symlink_to(tmp_path / "frappe-bench")
    expected = os.path.join(os.path.realpath(tmp_path / "frappe-bench"), ".erpnext_site.lock")
    assert lock_path(["bench"], str(tmp_path / "frappe-bench")) == expected
    assert lock_path(["bench"], str(tmp_path / "bench-link") + "/") == expected


def test_lock_of_a_bench_in_a_container_is_in_the_temp_dir_the_same_for_every_task(private_temp_dir):
    path = lock_path(DOCKER_BENCH, "/home/frappe/frappe-bench")
    assert os.path.dirname(path) == str(private_temp_dir)
    assert lock_path(list(DOCKER_BENCH), "/home/frappe/frappe-bench") == path


def test_lock_of_a_bench_in_another_container_is_another_file(private_temp_dir):
    other_compose = [part.replace("/srv/erpnext", "/srv/erpnext-staging") for part in DOCKER_BENCH]
    assert lock_path(other_compose, "/home/frappe/frappe-bench") != lock_path(DOCKER_BENCH, "/home/frappe/frappe-bench")


def test_exclusive_holds_the_lock_inside_and_releases_it_after(tmp_path):
    runner = BenchRunner(None, ["bench"], str(tmp_path))  # taking the lock runs no command
    with runner.exclusive(wait=1):
        assert lock_is_held(runner.lock_path)
    assert not lock_is_held(runner.lock_path)


def test_a_lock_held_past_the_wait_fails_naming_the_lock_file(tmp_path):
    runner = BenchRunner(None, ["bench"], str(tmp_path))  # taking the lock runs no command
    with open(runner.lock_path, "a") as other_task:
        fcntl.flock(other_task, fcntl.LOCK_EX)
        with pytest.raises(BenchError, match="could not get the lock file %s within 0.3 seconds"
                                             % re.escape(runner.lock_path)):
            with runner.exclusive(wait=0.3):
                pass
