"""What the drift_report callback makes of a task's diff: the change and only what differs."""

from types import SimpleNamespace

from ansible_collections.securenexus.provisioning.plugins.callback.drift_report import _changes, _describe, _parts

ALIAS_ACTION = "securenexus.provisioning.mailcow_alias"


def task_result(action, result):
    return SimpleNamespace(task=SimpleNamespace(resolved_action=action), result=result)


def test_an_update_keeps_only_the_keys_that_differ():
    diff = {"before": {"address": "a@b.org", "quota": 5000, "active": True},
            "after": {"address": "a@b.org", "quota": 10240, "active": True}}
    assert _changes(diff) == ("update", {"quota": 5000}, {"quota": 10240})


def test_an_object_absent_before_is_a_create_with_the_whole_predicted_object():
    after = {"address": "a@b.org", "quota": 2048}
    assert _changes({"before": {}, "after": after}) == ("create", {}, after)
    assert _changes({"before": {"state": "absent"}, "after": {"state": "present", "apps": ["frappe"]}})[0] == "create"
    assert _changes({"before": "", "after": "file content"})[0] == "create"


def test_an_object_absent_after_is_a_delete():
    assert _changes({"before": {"address": "a@b.org"}, "after": {}})[0] == "delete"


def test_texts_are_kept_whole():
    assert _changes({"before": "old\n", "after": "new\n"}) == ("update", "old\n", "new\n")


def test_a_result_without_diff_says_only_that_it_changes():
    assert _changes(None) == ("change", None, None)


def test_the_failure_message_lists_each_differing_value_before_and_after():
    entry = {"change": "update", "before": {"name": "Old", "quota": 5000}, "after": {"name": "New", "quota": 10240}}
    assert _describe(entry) == 'would update: name "Old" -> "New"; quota 5000 -> 10240'
    assert _describe({"change": "create", "before": {}, "after": {}, "msg": "after its domain"}) == (
        "would create (after its domain)")
    assert _describe({"change": "error", "msg": "Traefik reports router r@file as disabled"}) == (
        "Traefik reports router r@file as disabled")


def test_each_alias_of_a_batch_is_an_object_of_its_own_with_its_own_diff():
    unchanged = {"before": {"active": True}, "after": {"active": True}, "before_header": "a@b.org"}
    created = {"before": {}, "after": {"active": True}, "before_header": "c@b.org"}
    parts = _parts(task_result(ALIAS_ACTION, {"changed": True, "diff": [unchanged, created], "aliases": [
        {"address": "a@b.org", "changed": False, "alias": {}}, {"address": "c@b.org", "changed": True, "alias": {}}]}))
    assert [(name, part.result["changed"], part.result["diff"]) for name, part in parts] == [
        ("a@b.org", False, unchanged), ("c@b.org", True, created)]


def test_a_failed_batch_stays_one_object():
    result = {"failed": True, "msg": "cannot create alias c@b.org", "aliases": [{"address": "a@b.org", "changed": False}]}
    assert _parts(task_result(ALIAS_ACTION, result)) is None


def test_results_of_other_modules_are_not_split():
    assert _parts(task_result("securenexus.provisioning.mailcow_domain", {"aliases": [{"address": "a@b.org"}]})) is None
