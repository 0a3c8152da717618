"""rotate_credentials in real ansible-playbook runs: one command, and never a lost working password."""

import pytest

from tests.reliability.conftest import provisioned_with
from tests.reliability.test_interruptions import PAUSES, events, run_until_event

CLIENTS = {"acme": {"client_domain": "acmecorp.com", "client_plan": "professional"}}
ADDRESS = "acme@acmecorp.com"
KILLS = 7


@pytest.fixture
def provisioned(workspace):
    return provisioned_with(workspace, CLIENTS)


def rotate(space, secrets="mailbox_password", **kwargs):
    return space.run("rotate_credentials.yml", extra_vars={"rotate": secrets}, **kwargs)


def test_rotating_the_mailbox_password_replaces_it_in_the_file_and_in_mailcow(provisioned):
    old = provisioned.stored_credentials("acme")
    run = rotate(provisioned, client="acme")
    assert run.rc == 0, run.output[-3000:]
    new = provisioned.stored_credentials("acme")
    assert set(new) == set(old) and new["erpnext_admin_password"] == old["erpnext_admin_password"]
    assert new["mailbox_password"] != old["mailbox_password"]
    control = provisioned.target.control
    assert control.verify(ADDRESS, new["mailbox_password"]) and not control.verify(ADDRESS, old["mailbox_password"])
    again = provisioned.run()
    assert again.rc == 0 and "changed=0" in again.stdout, again.output[-3000:]
    assert provisioned.leaks() == []


@pytest.mark.parametrize("options, message", [
    ({}, "Name the client(s) whose credentials to rotate: -e client=NAME"),
    ({"client": "acme", "extra_vars": {"rotate": ""}}, "Name the secrets to rotate"),
    ({"client": "acme", "extra_vars": {"rotate": "mailbox_pasword"}}, "cannot rotate mailbox_pasword"),
])
def test_a_rotation_without_its_client_or_of_an_unknown_secret_is_refused_and_changes_nothing(
        provisioned, options, message):
    before = provisioned.credentials_file("acme").read_bytes()
    state = provisioned.end_state()
    run = provisioned.run("rotate_credentials.yml", **options)
    assert run.rc != 0
    assert any(message in m and "Nothing was changed" in m for m in run.failure_messages()), run.output[-3000:]
    assert provisioned.credentials_file("acme").read_bytes() == before
    assert provisioned.end_state() == state


def test_sigkill_at_points_all_over_a_rotation_never_loses_the_working_password_and_a_rerun_completes(provisioned):
    control = provisioned.target.control
    reference = rotate(provisioned, client="acme")
    assert reference.rc == 0, reference.output[-3000:]
    total = events(reference.stdout)
    # Spread over the whole run; each point costs a killed run and a finishing one.
    points = sorted({max(1, round(k * total / (KILLS + 1))) for k in range(1, KILLS + 1)})
    killed = 0
    for number, point in enumerate(points):
        run, was_killed = run_until_event(provisioned, point, PAUSES[number % len(PAUSES)], "rotate_credentials.yml",
                                          client="acme", extra_vars={"rotate": "mailbox_password"})
        killed += was_killed
        stored = provisioned.stored_credentials("acme")
        working = [stored["mailbox_password"]] + list(stored.get("rotation_pending", {}).values())
        # Whatever the moment, the password Mailcow accepts is one the file holds.
        assert any(control.verify(ADDRESS, value) for value in working), (point, run.stdout[-2000:])
        finish = rotate(provisioned, client="acme")
        assert finish.rc == 0, finish.output[-3000:]
        done = provisioned.stored_credentials("acme")
        assert "rotation_pending" not in done and control.verify(ADDRESS, done["mailbox_password"])
    assert killed >= len(points) - 1
    assert provisioned.leaks() == []
