"""A Mailcow that never answers: the failure message tells the wait the user actually saw.

Reads are retried twice, each attempt waiting the whole ``timeout``; the message must not claim one
timeout when the task waited three (issue: silent for 93 s, message "within 30 seconds")."""

import re
import time

from ansible_collections.securenexus.provisioning.plugins.modules import mailcow_domain
from tests.reliability.conftest import connection, run_module

DOMAIN = "hung.example"


def test_a_hung_read_fails_naming_every_attempt_and_the_time_they_took(fresh_emulator):
    # Longer than the module's 1-second timeout, so each of the three attempts times out.
    fresh_emulator.control.add_fault("get/domain", "delay", method="GET", delay=5)
    started = time.monotonic()
    result = run_module(mailcow_domain.main, connection(fresh_emulator, domain=DOMAIN))
    waited = time.monotonic() - started

    assert result.failed
    message = result.result["msg"]
    assert "no answer from Mailcow" in message and "within 1 seconds" in message
    claimed = re.search(r"\((\d+) attempts, (\d+) seconds in all\)", message)
    assert claimed, message
    assert int(claimed.group(1)) == 3
    assert abs(int(claimed.group(2)) - waited) <= 1
