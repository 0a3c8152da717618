"""The in-process action plugins (here mailcow_domain_info): when a module runs in the worker, and what it returns."""

import os
from unittest import mock

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.securenexus.provisioning.plugins.action.mailcow_domain_info import ActionModule
from ansible_collections.securenexus.provisioning.plugins.plugin_utils._in_process import IN_PROCESS_VAR
from tests.unit.plugins.module_utils.mailcow_fakes import API_KEY, API_URL, FakeMailcow, reply

CONNECTION = {"api_url": API_URL, "api_key": API_KEY}
DOMAIN_RECORD = {"domain_name": "acme.org", "active": 1, "max_quota_for_domain": 10240 * 1024 * 1024}


def make_action(args, transport="local", become=False, async_val=0, check_mode=False):
    loader = DataLoader()
    task = Task()
    task.args = dict(args)
    task.check_mode = check_mode
    task.async_val = async_val
    task.action = "securenexus.provisioning.mailcow_domain_info"
    play_context = PlayContext()
    play_context.become = become
    connection = mock.MagicMock(transport=transport)
    return ActionModule(task, connection, play_context, loader, Templar(loader=loader), None)


@pytest.fixture
def mailcow():
    fake = FakeMailcow()
    fake.on("GET", "get/domain/acme.org", reply(DOMAIN_RECORD))
    with mock.patch("ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow.http_open", fake):
        yield fake


def test_a_local_task_runs_in_the_worker_and_returns_the_module_result(mailcow):
    result = make_action(dict(CONNECTION, domain="acme.org")).run(task_vars={})
    assert [d["domain"] for d in result["domains"]] == ["acme.org"]
    assert result["changed"] is False and "failed" not in result


@pytest.mark.parametrize("situation, task_vars", [
    ({"transport": "ssh"}, {}),
    ({"become": True}, {}),
    ({"async_val": 30}, {}),
    ({}, {IN_PROCESS_VAR: False}),
    ({}, {IN_PROCESS_VAR: "no"}),
], ids=["other connection", "become", "async", "switched off", "switched off as a string"])
def test_anything_but_a_plain_local_task_runs_as_a_module(situation, task_vars):
    action = make_action(dict(CONNECTION, domain="acme.org"), **situation)
    with mock.patch.object(action, "_execute_module", return_value={"changed": False, "domains": []}) as module_run:
        action.run(task_vars=task_vars)
    module_run.assert_called_once()


def test_the_invocation_shows_the_arguments_with_the_api_key_masked(mailcow):
    result = make_action(dict(CONNECTION, domain="acme.org")).run(task_vars={"ansible_inject_invocation": True})
    assert result["invocation"]["module_args"]["domain"] == "acme.org"
    assert result["invocation"]["module_args"]["api_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert API_KEY not in repr(result)


def test_unknown_options_fail_as_ansible_module_words_it(mailcow):
    result = make_action(dict(CONNECTION, domian="acme.org")).run(task_vars={})
    assert result["failed"] is True
    assert result["msg"].startswith("Unsupported parameters for (securenexus.provisioning.mailcow_domain_info) "
                                    "module: domian.")
    assert mailcow.calls == []


def test_a_missing_required_option_fails_before_any_request(mailcow):
    with mock.patch.dict(os.environ, {}, clear=True):
        result = make_action({"api_url": API_URL}).run(task_vars={})
    assert result["failed"] is True and result["msg"] == "missing required arguments: api_key"
    assert mailcow.calls == []


def test_the_task_environment_feeds_the_option_fallbacks(mailcow):
    action = make_action({"domain": "acme.org"})
    action._task.environment = [{"MAILCOW_API_URL": API_URL, "MAILCOW_API_KEY": API_KEY}]
    with mock.patch.dict(os.environ, {}, clear=True):
        result = action.run(task_vars={})
        assert "MAILCOW_API_KEY" not in os.environ
    assert [d["domain"] for d in result["domains"]] == ["acme.org"]
