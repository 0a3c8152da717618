"""SIGKILL ansible-playbook at many points of a provisioning run, re-run each time.

The kill points are the task and result lines of a clean run's output, spread evenly over the whole
run, each followed by a short pause so that some kills land inside a module rather than between
tasks. The runs form a chain: the re-run after kill k is the run killed at point k+1, so every
point is reached with the state the earlier interruptions left. After each kill the credentials
files must decrypt and be complete (never truncated), never change once written, and any mailbox
Mailcow holds must accept the stored password. After the last kill a full run must leave the same
end state as the clean run.
"""

import re
import time

from tests.reliability.conftest import Workspace, mailcow_state

# One client with its own domain goes through every step (base domain, own domain, DKIM, mailbox,
# aliases, site, route, setup sheet); a second client would only double the cost of each run.
CLIENTS = {"acme": {"client_domain": "acmecorp.com", "client_plan": "professional"}}
KILLS = 22
PAUSES = (0.0, 0.3, 0.7)
EVENT = re.compile(r"^(TASK \[|(ok|changed|skipping|fatal|failed): \[)")


def events(text):
    return sum(1 for line in text.splitlines() if EVENT.match(line))


def run_until_event(space, event, pause, *args, **kwargs):
    """Start a run (provisioning unless args say otherwise) and SIGKILL its process group `pause` seconds after its `event`-th event."""
    run = space.start(*args, **kwargs)
    seen = 0
    lines = []
    for line in run.process.stdout:
        lines.append(line)
        if EVENT.match(line):
            seen += 1
            if seen >= event:
                time.sleep(pause)
                run.stdout = "".join(lines)
                run.kill()
                return run, True
    run.stdout = "".join(lines)
    run.rc = run.process.wait()
    return run, False


def check_after_kill(space, known):
    """The invariants that must hold at any moment; returns the passwords seen so far."""
    state = mailcow_state(space.target)
    mailboxes = {m[0] for m in state["mailboxes"]}
    for client in CLIENTS:
        stored = space.stored_credentials(client)
        if stored is None:
            assert client not in known, "the credentials file of %s disappeared" % client
            assert space.mailbox_address(client) not in mailboxes, "a mailbox exists without a stored password"
            continue
        assert set(stored) == {"mailbox_password", "erpnext_admin_password", "erpnext_user_password"} \
            and all(stored.values()), client
        assert known.setdefault(client, stored) == stored, "the passwords of %s changed" % client
        if space.mailbox_address(client) in mailboxes:
            assert space.target.control.verify(space.mailbox_address(client), stored["mailbox_password"]), client
    aliases = [a[0] for a in state["aliases"]]
    assert len(aliases) == len(set(aliases)), "duplicate aliases: %s" % aliases
    return known


def test_sigkill_at_many_points_then_rerun_reaches_the_clean_end_state(tmp_path, fresh_emulator):
    clean = Workspace(tmp_path / "clean", fresh_emulator)
    clean.set_clients(CLIENTS)
    reference_run = clean.run()
    assert reference_run.rc == 0, reference_run.output[-3000:]
    reference = clean.end_state()
    total = events(reference_run.stdout)

    fresh_emulator.control.wipe()
    space = Workspace(tmp_path / "killed", fresh_emulator)
    space.set_clients(CLIENTS)
    points = sorted({max(1, round(k * total / (KILLS + 1))) for k in range(1, KILLS + 1)})
    assert len(points) >= 20
    known = {}
    killed = 0
    for number, point in enumerate(points):
        _run, was_killed = run_until_event(space, point, PAUSES[number % len(PAUSES)])
        killed += was_killed
        known = check_after_kill(space, known)
    final = space.run()
    assert final.rc == 0, final.output[-3000:]
    assert killed >= 20
    assert space.end_state() == reference
    space.assert_credentials_match_mailcow()
    assert space.leaks() == []
