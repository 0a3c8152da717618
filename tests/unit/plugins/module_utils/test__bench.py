"""The bench runner: argv, working directory, output cleaning, masking, failures, timeout."""

import sys

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.securenexus.provisioning.plugins.module_utils._bench import (
    MASK,
    BenchError,
    BenchRunner,
    clean_output,
)

SECRET = "S3cret-root-pw-0a9b8c7d6e"


@pytest.fixture
def module():
    with patch_module_args({}):
        yield AnsibleModule(argument_spec={})


def python_runner(module, tmp_path, code, **kwargs):
    """A runner whose 'bench' is a Python snippet, so the real run_command path is exercised."""
    return BenchRunner(module, [sys.executable, "-c", code], str(tmp_path), **kwargs)


def test_clean_output_keeps_the_last_state_of_each_progress_line():
    raw = "Installing erpnext...\n\rUpdating DocTypes : [==  ] 50%\rUpdating DocTypes : [====] 100%\nDone\n"
    assert clean_output(raw) == "Installing erpnext...\nUpdating DocTypes : [====] 100%\nDone"


def test_clean_output_drops_colour_codes():
    assert clean_output("\x1b[33mWARN: something\x1b[0m\n") == "WARN: something"


def test_runner_runs_the_argv_in_the_bench_directory(module, tmp_path):
    runner = python_runner(module, tmp_path, "import os, sys; print(os.getcwd()); print(sys.argv[1:])")
    rc, stdout, _stderr = runner.run(["--site", "a.test", "list-apps"])
    assert rc == 0
    assert stdout.splitlines() == [str(tmp_path), "['--site', 'a.test', 'list-apps']"]


def test_runner_masks_secrets_in_output_and_in_the_recorded_command(module, tmp_path):
    runner = python_runner(module, tmp_path, "import sys; print('password was', sys.argv[-1])", secrets=[SECRET])
    _rc, stdout, _stderr = runner.run(["new-site", "a.test", "--db-root-password", SECRET])
    assert SECRET not in stdout and MASK in stdout
    assert runner.calls == ["bench new-site a.test --db-root-password " + MASK]


def test_failure_raises_with_bench_last_lines_masked(module, tmp_path):
    code = ("import sys\nprint('\\n'.join('line %d' % i for i in range(30)))\n"
            "print('Access denied, password ' + sys.argv[-1], file=sys.stderr)\nsys.exit(1)")
    runner = python_runner(module, tmp_path, code, secrets=[SECRET])
    with pytest.raises(BenchError) as failure:
        runner.run(["new-site", "a.test", "--db-root-password", SECRET])
    message = str(failure.value)
    assert failure.value.rc == 1
    assert "exit code 1" in message and "Access denied, password " + MASK in message
    assert "line 29" in message and "line 5\n" not in message
    assert SECRET not in message


def test_failure_is_returned_not_raised_when_not_checked(module, tmp_path):
    runner = python_runner(module, tmp_path, "print('Site x does not exist!'); raise SystemExit(1)")
    assert runner.run(["--site", "x", "list-apps"], check=False) == (1, "Site x does not exist!", "")


def test_a_command_past_its_timeout_is_stopped(module, tmp_path):
    runner = python_runner(module, tmp_path, "import time; time.sleep(60)", timeout=0.3)
    with pytest.raises(BenchError, match="did not finish within 0.3 seconds"):
        runner.run(["new-site", "a.test"])


def test_a_missing_bench_executable_is_a_bench_error(module, tmp_path):
    runner = BenchRunner(module, [str(tmp_path / "no-such-bench")], str(tmp_path))
    with pytest.raises(BenchError, match="cannot run"):
        runner.run(["--version"])
