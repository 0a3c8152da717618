"""The worker's run_command (plugin_utils/_run_command.py): commands start and read as AnsibleModule.run_command's do."""

import contextlib
import locale
import os
import signal
import sys
import threading
import time

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.securenexus.provisioning.plugins.plugin_utils._run_command import run_command

SHOW_LOCALE = "import os; print([os.environ.get(name) for name in ('LANG', 'LC_ALL', 'LC_MESSAGES')])"


@pytest.fixture
def module_run_command():
    with patch_module_args({}):
        yield AnsibleModule(argument_spec={}).run_command


def python(code):
    return [sys.executable, "-c", code]


@contextlib.contextmanager
def killer(seconds):
    """A before_communicate_callback that kills the command after ``seconds``, as BenchRunner's timeout does."""
    timers = []

    def start(process):
        timers.append(threading.Timer(seconds, process.kill))
        timers[-1].daemon = True
        timers[-1].start()

    yield start
    for timer in timers:
        timer.cancel()


def test_a_missing_executable_raises_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        run_command([str(tmp_path / "no-such-bench")], handle_exceptions=False)


def test_output_that_is_not_utf8_reads_as_in_a_module_process(module_run_command):
    argv = python(r"import sys; sys.stdout.buffer.write(b'caf\xe9 \xff ok\n'); sys.stderr.buffer.write(b'\xc3\xa9 \x80\n')")
    assert run_command(argv) == module_run_command(argv) == (0, "caf\udce9 \udcff ok\n", "\xe9 \udc80\n")


def test_the_timeout_callback_kills_a_long_command():
    started = time.monotonic()
    with killer(0.3) as kill:
        rc, _stdout, _stderr = run_command(python("import time; time.sleep(60)"), before_communicate_callback=kill)
    assert rc == -signal.SIGKILL and time.monotonic() - started < 10


def test_a_killed_command_is_not_waited_for_while_a_process_it_started_holds_its_output():
    code = ("import subprocess, time; child = subprocess.Popen(['sleep', '20']); print(child.pid, flush=True); "
            "time.sleep(20)")
    started = time.monotonic()
    with killer(0.3) as kill:
        rc, stdout, _stderr = run_command(python(code), before_communicate_callback=kill)
    os.kill(int(stdout), signal.SIGKILL)
    assert rc == -signal.SIGKILL and time.monotonic() - started < 10


def test_a_cwd_that_is_no_directory_is_ignored_as_in_a_module_process(module_run_command, tmp_path):
    argv = python("import os; print(os.getcwd())")
    bench_in_a_container = str(tmp_path / "frappe-bench")
    assert run_command(argv, cwd=bench_in_a_container) == module_run_command(argv, cwd=bench_in_a_container) \
        == (0, os.getcwd() + "\n", "")


def test_a_command_that_reads_stdin_gets_end_of_file_not_the_workers_input():
    read_end, write_end = os.pipe()  # the worker's stdin: a terminal nobody types into
    saved_stdin = os.dup(0)
    os.dup2(read_end, 0)
    try:
        with killer(10) as kill:
            result = run_command(python("import sys; print(repr(sys.stdin.read()))"), before_communicate_callback=kill)
    finally:
        os.dup2(saved_stdin, 0)
        for fd in (saved_stdin, read_end, write_end):
            os.close(fd)
    assert result == (0, "''\n", "")


def test_a_locale_this_host_lacks_is_replaced_as_in_a_module_process(monkeypatch):
    for name in ("LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.setenv(name, "xx_XX.UTF-8")
    in_worker = run_command(python(SHOW_LOCALE))
    saved = locale.setlocale(locale.LC_ALL)
    try:
        with patch_module_args({}):
            # AnsibleModule falls back when it starts, in os.environ (monkeypatch puts it back)
            in_module = AnsibleModule(argument_spec={}).run_command(python(SHOW_LOCALE))
    finally:
        locale.setlocale(locale.LC_ALL, saved)
    assert in_worker == in_module and "xx_XX" not in in_worker[1]
