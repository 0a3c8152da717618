"""rotate_credentials for the ERPNext passwords (the site's Administrator, the client's own user) in real
ansible-playbook runs against the bench stand-in: set in the site, never a lost working password, never on a
command line, and the way out of a lost credentials file."""

import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import bench_standin
from tests.integration.command_lines import CommandLines
from tests.reliability.conftest import BENCH, DB_ROOT_PASSWORD, provisioned_with

CLIENTS = {"acme": {"client_domain": "acmecorp.com", "client_plan": "professional"}}
ADDRESS = "acme@acmecorp.com"
ERPNEXT = ["erpnext_admin_password", "erpnext_user_password"]
EVERY = ["mailbox_password"] + ERPNEXT
FAILING_BENCH = str(Path(__file__).resolve().parent / "failing_bench.py")


@pytest.fixture
def provisioned(workspace):
    return provisioned_with(workspace, CLIENTS)


def rotate(space, secrets, **kwargs):
    return space.run("rotate_credentials.yml", client="acme", extra_vars={"rotate": secrets, **kwargs})


def site_of(space):
    (site,) = space.sites()
    return site


def accepts(space, secret, value):
    """Whether the service that holds `secret` takes `value` as its password."""
    if secret == "mailbox_password":
        return space.target.control.verify(ADDRESS, value)
    entry = bench_standin.site_database(space.bench, site_of(space))
    stored = entry["admin_password"] if secret == "erpnext_admin_password" else entry["setup"]["passwords"][ADDRESS]
    return bench_standin.check_password(value, stored)


def test_rotating_all_replaces_every_password_in_the_file_and_in_its_service(provisioned):
    old = provisioned.stored_credentials("acme")
    run = rotate(provisioned, "all")
    assert run.rc == 0, run.output[-3000:]
    new = provisioned.stored_credentials("acme")
    assert sorted(new) == sorted(old)
    for secret in EVERY:
        assert new[secret] != old[secret], secret
        assert accepts(provisioned, secret, new[secret]) and not accepts(provisioned, secret, old[secret]), secret
    again = provisioned.run()
    assert again.rc == 0 and "changed=0" in again.stdout, again.output[-3000:]
    assert provisioned.leaks() == []


@pytest.mark.parametrize("secret", ERPNEXT)
def test_rotating_one_erpnext_password_replaces_that_one_only(provisioned, secret):
    old = provisioned.stored_credentials("acme")
    run = rotate(provisioned, secret)
    assert run.rc == 0, run.output[-3000:]
    new = provisioned.stored_credentials("acme")
    assert {name for name in EVERY if new[name] != old[name]} == {secret}
    assert all(accepts(provisioned, name, new[name]) for name in EVERY)
    assert provisioned.leaks() == []


def test_no_password_of_an_erpnext_rotation_is_on_any_command_line(provisioned):
    old = provisioned.stored_credentials("acme")
    with CommandLines() as lines:
        run = rotate(provisioned, ",".join(ERPNEXT))
    assert run.rc == 0, run.output[-3000:]
    new = provisioned.stored_credentials("acme")
    assert any(" set-admin-password" in line for line in lines.seen), "the sampler never saw bench set the password"
    secrets = [DB_ROOT_PASSWORD] + [stored[name] for stored in (old, new) for name in ERPNEXT]
    assert [line for line in lines.seen if any(secret in line for secret in secrets)] == []


def drop_site(space):
    subprocess.run([BENCH, "drop-site", site_of(space), "--no-backup"], cwd=space.bench, input=DB_ROOT_PASSWORD + "\n",
                   text=True, capture_output=True, check=True)


def remove_user(space):
    entry = bench_standin.site_database(space.bench, site_of(space))
    with bench_standin._database(space.bench) as db:
        database = next(d for d in db["databases"].values() if d.get("password") == entry["password"])
        del database["setup"]["users"][ADDRESS]


@pytest.mark.parametrize("secret, remove, holder", [
    ("erpnext_admin_password", drop_site, "the ERPNext site acme."),
    ("erpnext_user_password", remove_user, "the ERPNext user acme@acmecorp.com on the site acme."),
])
def test_rotating_an_erpnext_password_of_what_does_not_exist_is_refused_and_changes_nothing(
        provisioned, secret, remove, holder):
    remove(provisioned)
    before = provisioned.credentials_file("acme").read_bytes()
    state = provisioned.end_state()
    run = rotate(provisioned, secret)
    assert run.rc != 0
    message = [m for m in run.failure_messages() if "Nothing was changed" in m]
    assert message and holder in message[0] and "not exist, so there is no %s to rotate" % secret in message[0], \
        run.output[-3000:]
    assert provisioned.credentials_file("acme").read_bytes() == before
    assert provisioned.end_state() == state


@pytest.mark.parametrize("step, secret", [("set-admin-password", "erpnext_admin_password"),
                                          ("setup_apply", "erpnext_user_password")])
def test_an_erpnext_step_failing_midway_keeps_the_working_password_and_a_rerun_completes(
        provisioned, tmp_path, step, secret):
    flag = tmp_path / "fail-once"
    flag.touch()
    failed = rotate(provisioned, "all", client_erpnext_bench_command=[sys.executable, FAILING_BENCH, str(flag), step])
    assert failed.rc != 0 and not flag.exists(), failed.output[-3000:]
    held = provisioned.stored_credentials("acme")
    pending = held["rotation_pending"]
    assert sorted(pending) == sorted(EVERY)
    # The step that failed left its service on the current value; every service takes a value the file holds.
    assert accepts(provisioned, secret, held[secret])
    assert all(accepts(provisioned, name, held[name]) or accepts(provisioned, name, pending[name]) for name in EVERY)
    finish = rotate(provisioned, "all")
    assert finish.rc == 0, finish.output[-3000:]
    done = provisioned.stored_credentials("acme")
    assert "rotation_pending" not in done
    assert all(done[name] == pending[name] and accepts(provisioned, name, done[name]) for name in EVERY)
    assert provisioned.leaks() == []


def test_a_lost_credentials_file_refuses_a_rotation_that_would_leave_the_erpnext_passwords_to_be_made_up(provisioned):
    path = provisioned.credentials_file("acme")
    old = provisioned.stored_credentials("acme")
    path.unlink()
    state = provisioned.end_state()
    run = rotate(provisioned, "mailbox_password")
    assert run.rc != 0
    message = [m for m in run.failure_messages() if "does not exist (lost?)" in m]
    assert message and str(path) in message[0], run.output[-3000:]
    assert "erpnext_admin_password is in use by the ERPNext site acme." in message[0]
    assert "erpnext_user_password is in use by the ERPNext user acme@acmecorp.com" in message[0]
    assert "-e rotate=mailbox_password,erpnext_admin_password,erpnext_user_password" in message[0]
    assert not path.exists() and provisioned.end_state() == state
    assert all(accepts(provisioned, name, old[name]) for name in EVERY)


def test_rotating_all_is_the_way_out_of_a_lost_credentials_file(provisioned):
    provisioned.credentials_file("acme").unlink()
    run = rotate(provisioned, "all")
    assert run.rc == 0, run.output[-3000:]
    stored = provisioned.stored_credentials("acme")
    assert sorted(stored) == sorted(EVERY)
    assert all(accepts(provisioned, name, stored[name]) for name in EVERY)
    again = provisioned.run()
    assert again.rc == 0 and "changed=0" in again.stdout, again.output[-3000:]
    assert provisioned.stored_credentials("acme") == stored
    assert provisioned.leaks() == []
