"""The in-worker action plugins (here mailcow_domain_info): when a module runs in the worker, and what it returns."""

import inspect
import os
import sys
from types import SimpleNamespace
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.connection.local import Connection as LocalConnection
from ansible.plugins.loader import module_loader
from ansible.template import Templar, trust_as_template

from ansible_collections.securenexus.provisioning.plugins.action.mailcow_domain_info import ActionModule
from ansible_collections.securenexus.provisioning.plugins.plugin_utils import _in_worker
from tests.unit.plugins.module_utils.mailcow_fakes import API_KEY, API_URL, FakeMailcow, reply

CONNECTION = {"api_url": API_URL, "api_key": API_KEY}
DOMAIN_RECORD = {"domain_name": "acme.org", "active": 1, "max_quota_for_domain": 10240 * 1024 * 1024}
FQCN = "securenexus.provisioning.mailcow_domain_info"
# The controller's own Python, as the implicit localhost and the inventories of this collection set it.
LOCAL_VARS = {"ansible_python_interpreter": sys.executable}


def make_action(args, transport="local", become=False, async_val=0, check_mode=False, environment=None):
    loader = DataLoader()
    task = Task()
    task.args = dict(args)
    task.check_mode = check_mode
    task.async_val = async_val
    task.action = FQCN
    task.environment = environment or []
    play_context = PlayContext()
    play_context.become = become
    if transport == "local":
        connection = LocalConnection(play_context)
    else:
        connection = mock.MagicMock(transport=transport)
    return ActionModule(task, connection, play_context, loader, Templar(loader=loader), None)


@pytest.fixture(autouse=True)
def module_found():
    """What Ansible's module loader resolves the task's action to; the unit tests run without its collection finder."""
    found = SimpleNamespace(plugin_resolved_name="ansible_collections.securenexus.provisioning.plugins.modules."
                                                 "mailcow_domain_info")
    with mock.patch.object(module_loader, "find_plugin_with_context", return_value=found):
        yield


@pytest.fixture
def mailcow():
    fake = FakeMailcow()
    fake.on("GET", "get/domain/acme.org", reply(DOMAIN_RECORD))
    with mock.patch("ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow.http_open", fake):
        yield fake


# runpy warns when the module it runs as __main__ is already imported: the preload must not leave it so.
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_local_task_on_the_controllers_python_runs_in_the_worker(mailcow):
    result = make_action(dict(CONNECTION, domain="acme.org")).run(task_vars=LOCAL_VARS)
    assert [d["domain"] for d in result["domains"]] == ["acme.org"]
    assert result["changed"] is False and result["failed"] is False


@pytest.mark.parametrize("situation, task_vars", [
    ({"transport": "ssh"}, LOCAL_VARS),
    ({"become": True}, LOCAL_VARS),
    ({"async_val": 30}, LOCAL_VARS),
    ({"environment": [{"HTTPS_PROXY": "http://proxy:3128"}]}, LOCAL_VARS),
    ({}, {}),
    ({}, {"ansible_python_interpreter": "/usr/bin/python3"}),
    ({}, dict(LOCAL_VARS, securenexus_provisioning_in_process=False)),
    ({}, dict(LOCAL_VARS, securenexus_provisioning_in_process="no")),
], ids=["other connection", "become", "async", "task environment", "interpreter unset", "another interpreter",
        "switched off", "switched off as a string"])
def test_anything_but_a_plain_local_task_on_the_controllers_python_runs_as_a_module(situation, task_vars):
    action = make_action(dict(CONNECTION, domain="acme.org"), **situation)
    with mock.patch.object(action, "_execute_module", return_value={"changed": False, "domains": []}) as module_run:
        action.run(task_vars=task_vars)
    module_run.assert_called_once()


def test_the_interpreter_may_come_from_the_configuration(monkeypatch):
    monkeypatch.setenv("ANSIBLE_PYTHON_INTERPRETER", sys.executable)
    assert make_action(dict(CONNECTION, domain="acme.org")).runs_in_worker({})


def test_the_interpreter_may_come_from_interpreter_discovery():
    task_vars = {"ansible_facts": {"discovered_interpreter_python": sys.executable}}
    assert make_action(dict(CONNECTION, domain="acme.org")).runs_in_worker(task_vars)


def test_an_interpreter_given_as_ansible_playbook_python_is_the_controllers():
    action = make_action(dict(CONNECTION, domain="acme.org"))
    task_vars = {"ansible_playbook_python": sys.executable,
                 "ansible_python_interpreter": trust_as_template("{{ ansible_playbook_python }}")}
    action._templar.available_variables = task_vars
    assert action.runs_in_worker(task_vars)


def test_the_invocation_shows_the_arguments_with_the_api_key_masked(mailcow):
    result = make_action(dict(CONNECTION, domain="acme.org")).run(
        task_vars=dict(LOCAL_VARS, ansible_inject_invocation=True))
    assert result["invocation"]["module_args"]["domain"] == "acme.org"
    assert result["invocation"]["module_args"]["api_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert API_KEY not in repr(result)


def test_unknown_options_fail_as_ansible_module_words_it(mailcow):
    result = make_action(dict(CONNECTION, domian="acme.org")).run(task_vars=LOCAL_VARS)
    assert result["failed"] is True
    assert result["msg"].startswith("Unsupported parameters for (%s) module: domian." % FQCN)
    assert mailcow.calls == []


def test_an_exception_in_the_module_is_a_failed_result_not_a_crash_of_the_worker(mailcow):
    with mock.patch("ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow_resource"
                    ".MailcowClient.from_params", side_effect=RuntimeError("boom")):
        result = make_action(dict(CONNECTION, domain="acme.org")).run(task_vars=LOCAL_VARS)
    assert result["failed"] is True
    assert result["exception"].event.msg == "boom"


def test_the_worker_is_left_as_it_was(mailcow, tmp_path, monkeypatch):
    """AnsibleModule and runpy change process-wide state; the next loop item must not see it."""
    monkeypatch.chdir(tmp_path)
    before = (dict(os.environ), os.getcwd(), list(sys.argv), sys.stdout,
              basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, basic._PARSED_MODULE_ARGS)

    def dirty(*args, **kwargs):
        os.environ["LEAKED"] = "1"
        os.chdir("/")
        sys.argv.append("leaked")
        print("stray output")
        raise ValueError("stop here")

    with mock.patch("ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow_resource"
                    ".MailcowClient.from_params", side_effect=dirty):
        result = make_action(dict(CONNECTION, domain="acme.org")).run(task_vars=LOCAL_VARS)

    assert result["failed"] is True
    assert (dict(os.environ), os.getcwd(), list(sys.argv), sys.stdout,
            basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, basic._PARSED_MODULE_ARGS) == before


def test_the_ansible_core_entry_point_it_relies_on_is_still_there():
    """No public API runs a module in-process: this pins the AnsiballZ entry point and the arguments globals
    AnsibleModule._load_params reads. If it fails, ansible-core changed them: adapt _in_worker.py."""
    assert _in_worker.ansiballz_run_module is not None
    assert list(inspect.signature(_in_worker.ansiballz_run_module).parameters) == [
        "json_params", "profile", "module_fqn", "modlib_path", "extensions", "init_globals"]
    assert {"_ANSIBLE_ARGS", "_ANSIBLE_PROFILE", "_PARSED_MODULE_ARGS"} <= set(vars(basic))


def test_an_in_worker_action_plugin_preloads_its_modules_imports_but_not_the_module(tmp_path, monkeypatch):
    """Ansible imports action plugins in the controller's main process before it forks the workers: the
    module's imports made then are inherited by every worker, and the module itself is left for runpy to run."""
    package = tmp_path / "probecoll"
    for folder in ("plugins/modules", "plugins/module_utils"):
        (package / folder).mkdir(parents=True)
    (package / "plugins/module_utils/_probe_dependency.py").write_text("")
    (package / "plugins/modules/probe.py").write_text(
        "from probecoll.plugins.module_utils import _probe_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "modules", dict(sys.modules))

    type("ActionModule", (_in_worker.InWorkerAction,), {"__module__": "probecoll.plugins.action.probe"})

    assert "probecoll.plugins.module_utils._probe_dependency" in sys.modules
    assert "probecoll.plugins.modules.probe" not in sys.modules
