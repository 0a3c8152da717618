"""A module run in Ansible's worker fails, masks and leaves the process as the same module run as its own process.

probe.worker.probe is a plain AnsibleModule in a throw-away collection whose action plugin is this collection's
InWorkerAction, so each way of failing can be provoked on purpose."""

import json
import os

import pytest

from tests.conftest import ROOT

PROBE_MODULE = ROOT / "tests" / "integration" / "in_worker_probe_module.py"
SECRET = "probe-Secret-4f1c9e"
# Written out by the test: ansible-lint cannot resolve the throw-away collection's module.
PLAYBOOK = """---
- name: Fail, raise and dirty the process through probe.worker.probe
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: A module failure, with a no_log value in the message
      probe.worker.probe:
        mode: fail
        secret: "{{ probe_secret }}"
      register: module_failure
      ignore_errors: true

    - name: An argument-spec error
      probe.worker.probe:
        mode: report
        colour: blue
      register: spec_error
      ignore_errors: true

    - name: An exception
      probe.worker.probe:
        mode: raise
      register: exception
      ignore_errors: true

    - name: Report the process, dirty it, report it again (one worker runs every item)
      probe.worker.probe:
        mode: "{{ item }}"
      loop: [report, dirty, report]
      register: state

    - name: Save the results
      ansible.builtin.copy:
        content: "{{ {'module_failure': module_failure, 'spec_error': spec_error, 'exception': exception,
                      'state': state.results} | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
"""
ACTION = '''from ansible_collections.securenexus.provisioning.plugins.plugin_utils._in_worker import InWorkerAction


class ActionModule(InWorkerAction):
    pass
'''


@pytest.fixture(scope="module")
def probe_collection(tmp_path_factory):
    root = tmp_path_factory.mktemp("probe")
    plugins = root / "ansible_collections" / "probe" / "worker" / "plugins"
    (plugins / "modules").mkdir(parents=True)
    (plugins / "action").mkdir()
    (plugins / "modules" / "probe.py").write_text("#!/usr/bin/python\n" + PROBE_MODULE.read_text())
    (plugins / "action" / "probe.py").write_text(ACTION)
    (root / "probe.yml").write_text(PLAYBOOK)
    return root


@pytest.fixture(scope="module")
def probe_runs():
    return {}


@pytest.fixture
def probe(ansible_playbook, probe_collection, probe_runs, tmp_path):
    """The registered results of probe.yml, in the worker (True) or as module processes (False)."""

    def run(in_worker):
        if in_worker not in probe_runs:
            result_file = tmp_path / f"results-{in_worker}.json"
            collections = os.pathsep.join([str(probe_collection), str(ROOT / "collections")])
            run = ansible_playbook(probe_collection / "probe.yml", "-vvv", env={"ANSIBLE_COLLECTIONS_PATH": collections},
                                   extra_vars={"result_file": str(result_file), "probe_secret": SECRET,
                                               "securenexus_provisioning_in_process": in_worker})
            assert run.rc == 0, run.output
            probe_runs[in_worker] = (json.loads(result_file.read_text()), run.output)
        return probe_runs[in_worker]

    return run


def test_the_probe_runs_in_the_worker_only_when_asked(probe):
    """One process runs every loop item in the worker; each item is its own process otherwise."""
    in_worker, _output = probe(True)
    as_module, _output = probe(False)
    assert len({item["pid"] for item in in_worker["state"]}) == 1
    assert len({item["pid"] for item in as_module["state"]}) == 3


@pytest.mark.parametrize("task", ["module_failure", "spec_error", "exception"])
def test_a_failure_gives_the_same_result_both_ways(probe, task):
    in_worker, _output = probe(True)
    as_module, _output = probe(False)
    assert in_worker[task]["failed"] is True
    assert in_worker[task] == as_module[task]


def test_no_log_values_are_masked_in_the_worker_as_in_a_module(probe):
    results, output = probe(True)
    assert results["module_failure"]["secret_echo"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert SECRET not in json.dumps(results) and SECRET not in output.replace(f'"probe_secret": "{SECRET}"', "")


def test_what_a_module_changes_in_the_worker_does_not_reach_the_next_loop_item(probe):
    results, _output = probe(True)
    first, _dirty, after = results["state"]
    assert (after["cwd"], after["leak"], after["argv_leaked"]) == (first["cwd"], None, False)
