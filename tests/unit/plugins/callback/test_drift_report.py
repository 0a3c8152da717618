"""What the drift_report callback makes of task results: objects, client statuses, the verdict, the JUnit."""

import xml.etree.ElementTree as ET
from types import SimpleNamespace

from ansible_collections.securenexus.provisioning.plugins.callback.drift_report import (
    _changes, _parts, client_status, describe, junit, object_entry, verdict)

ALIAS_ACTION = "securenexus.provisioning.mailcow_alias"


def task_result(action, result):
    return SimpleNamespace(task=SimpleNamespace(resolved_action=action), result=result)


def client(objects=None, error=None, reached_end=True):
    return {"objects": objects or {}, "error": error, "reached_end": reached_end}


CLEAN = {"status": "clean"}
DRIFTED = {"status": "drifted", "change": "update", "before": {"quota": 5000}, "after": {"quota": 10240}}
MISSING = {"status": "missing", "change": "create", "after": {"quota": 10240}}
CENSORED = {"status": "drifted", "change": "change"}


def test_an_update_keeps_only_the_keys_that_differ():
    diff = {"before": {"address": "a@b.org", "quota": 5000, "active": True},
            "after": {"address": "a@b.org", "quota": 10240, "active": True}}
    assert _changes(diff) == {"change": "update", "before": {"quota": 5000}, "after": {"quota": 10240}}


def test_a_create_shows_the_predicted_object_without_the_values_only_mailcow_will_know():
    after = {"address": "a@b.org", "id": None, "active": True}
    assert _changes({"before": {}, "after": after}) == {"change": "create",
                                                        "after": {"address": "a@b.org", "active": True}}
    assert _changes({"before": {"state": "absent"}, "after": {"state": "present"}})["change"] == "create"


def test_an_object_absent_after_is_a_delete():
    assert _changes({"before": {"address": "a@b.org"}, "after": {}})["change"] == "delete"


def test_texts_are_a_line_diff_not_two_whole_files():
    before = "line 1\nline 2\npassHostHeader: false\nline 4\n"
    after = "line 1\nline 2\npassHostHeader: true\nline 4\n"
    change = _changes({"before": before, "after": after})
    assert set(change) == {"change", "diff"}
    assert "-passHostHeader: false\n+passHostHeader: true\n" in change["diff"]
    assert change["diff"].startswith("--- before\n+++ after\n")


def test_a_result_without_diff_says_only_that_it_changes():
    assert _changes(None) == {"change": "change"}


def test_an_object_s_status_is_clean_drifted_missing_or_error():
    assert object_entry({"changed": False}, "ok") == CLEAN
    assert object_entry({"changed": True, "diff": {"before": {"active": False}, "after": {"active": True}}},
                        "ok")["status"] == "drifted"
    assert object_entry({"changed": True, "diff": {"before": {}, "after": {"active": True}}}, "ok")["status"] == (
        "missing")
    assert object_entry({"failed": True, "msg": "HTTP 401"}, "failed") == {"status": "error", "error": "HTTP 401"}


def test_an_error_without_a_message_says_the_last_line_of_the_exception_and_nothing_about_a_missing_traceback():
    entry = object_entry({"failed": True, "exception": "Traceback ...\nKeyError: 'quota'\n"}, "failed")
    assert entry == {"status": "error", "error": "KeyError: 'quota'"}


def test_the_failure_message_lists_each_differing_value_before_and_after():
    entry = {"status": "drifted", "change": "update", "before": {"name": "Old", "quota": 5000},
             "after": {"name": "New", "quota": 10240}}
    assert describe(entry) == 'would update: name "Old" -> "New"; quota 5000 -> 10240'
    assert describe({"status": "missing", "change": "create", "msg": "after its domain"}) == (
        "would create (after its domain)")
    assert describe({"status": "error", "error": "Traefik reports router r@file as disabled"}) == (
        "Traefik reports router r@file as disabled")


def test_each_alias_of_a_batch_is_an_object_of_its_own_with_its_own_diff():
    unchanged = {"before": {"active": True}, "after": {"active": True}, "before_header": "a@b.org"}
    created = {"before": {}, "after": {"active": True}, "before_header": "c@b.org"}
    parts = _parts(task_result(ALIAS_ACTION, {"changed": True, "diff": [unchanged, created], "aliases": [
        {"address": "a@b.org", "changed": False, "alias": {}}, {"address": "c@b.org", "changed": True, "alias": {}}]}))
    assert parts == [("a@b.org", {"changed": False, "diff": unchanged}),
                     ("c@b.org", {"changed": True, "diff": created})]


def test_a_failed_batch_stays_one_object():
    result = {"failed": True, "msg": "cannot create alias c@b.org", "aliases": [{"address": "a@b.org", "changed": False}]}
    assert _parts(task_result(ALIAS_ACTION, result)) is None


def test_results_of_other_modules_are_not_split():
    assert _parts(task_result("securenexus.provisioning.mailcow_domain", {"aliases": [{"address": "a@b.org"}]})) is None


def test_a_client_is_clean_only_when_its_check_reached_the_end_and_every_object_matches():
    assert client_status(client({"mailbox": CLEAN, "site": CLEAN})) == "clean"
    assert client_status(client({"mailbox": CLEAN}, reached_end=False)) == "unchecked"


def test_a_client_whose_check_failed_is_in_error_whatever_else_was_found():
    assert client_status(client({"mailbox": DRIFTED}, error="Preflight | ...: unknown plan")) == "error"
    assert client_status(client({"mailbox": DRIFTED}, error="unreachable", reached_end=False)) == "error"


def test_a_client_of_which_nothing_exists_is_missing_not_a_pile_of_drifts():
    objects = {"credentials": CENSORED, "mailbox": MISSING, "site": MISSING, "base_domain": dict(CLEAN, shared=True)}
    assert client_status(client(objects)) == "missing"


def test_a_client_with_one_object_gone_and_others_in_place_has_drifted():
    assert client_status(client({"mailbox": CLEAN, "aliases/sales@acmecorp.com": MISSING})) == "drifted"
    assert client_status(client({"mailbox": DRIFTED, "site": MISSING})) == "drifted"


def test_the_worst_client_gives_the_run_s_status_and_exit_code():
    def run(*statuses, errors=()):
        return verdict({"c%d" % i: {"status": s} for i, s in enumerate(statuses)}, list(errors))

    assert run("clean", "clean") == ("clean", 0)
    assert run("clean", "drifted") == ("drifted", 2)
    assert run("missing", "clean") == ("missing", 2)
    assert run("drifted", "unchecked") == ("unchecked", 3)
    assert run("drifted", "error", "unchecked") == ("error", 3)
    assert run("clean", errors=[{"host": "localhost"}]) == ("error", 3)
    assert run() == ("unchecked", 3)


def test_junit_names_each_case_after_its_client_and_object_never_after_a_path():
    report = {"errors": [], "clients": {
        "acme": {"status": "drifted", "objects": {"mailbox": DRIFTED, "site": CLEAN}},
        "globex": {"status": "missing", "reason": "never provisioned", "objects": {"mailbox": MISSING, "site": MISSING}},
        "initech": {"status": "unchecked", "reason": "the run stopped", "objects": {}}}}
    cases = {(c.get("classname"), c.get("name")): c for c in ET.fromstring(junit(report)).iter("testcase")}
    assert sorted(cases) == [("acme", "mailbox"), ("acme", "site"), ("globex", "client"), ("initech", "client")]
    assert cases[("acme", "mailbox")].find("failure").get("message") == "would update: quota 5000 -> 10240"
    assert cases[("acme", "site")].find("failure") is None
    assert cases[("globex", "client")].find("failure").attrib == {"message": "never provisioned", "type": "missing"}
    assert cases[("initech", "client")].find("error").get("message") == "the run stopped"
