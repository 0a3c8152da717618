"""Every Mailcow route the role uses x every fault the emulator injects, through the modules' main().

Transient faults (one occurrence) must be absorbed: the module succeeds and the object is as asked,
once. Persistent faults must fail with a message naming the object and the fault, and a run after the
fault is gone converges, with no duplicate and the stored password still the one Mailcow holds.
A write whose answer is lost after Mailcow applied it is applied once and is a success.
"""

import time

import pytest

from ansible_collections.securenexus.provisioning.plugins.modules import (
    mailcow_alias,
    mailcow_dkim,
    mailcow_domain,
    mailcow_mailbox,
)
from ansible_collections.securenexus.provisioning.plugins.module_utils import _mailcow, _mailcow_resource
from tests.reliability.conftest import api_get, connection, run_module

DOMAIN = "faults.example"
MAILBOX = "owner@" + DOMAIN
ALIAS = "support@" + DOMAIN
PASSWORD = "Fault-Tolerant-Passw0rd-1"


@pytest.fixture(autouse=True)
def short_retry_pauses(monkeypatch):
    """Same number of retries, shorter pauses: these tests prove what is retried, not how long it waits."""
    for module in (_mailcow, _mailcow_resource):
        monkeypatch.setattr(module, "READ_RETRY_DELAYS", (0.01, 0.02))


def ensure_domain(target, **extra):
    assert not run_module(mailcow_domain.main, connection(target, domain=DOMAIN, **extra)).failed


def ensure_mailbox(target, **extra):
    ensure_domain(target)
    args = dict({"address": MAILBOX, "password": PASSWORD, "name": "Owner"}, **extra)
    assert not run_module(mailcow_mailbox.main, connection(target, **args)).failed


def ensure_alias(target, **extra):
    ensure_mailbox(target)
    assert not run_module(mailcow_alias.main, connection(target, address=ALIAS, goto=[MAILBOX], **extra)).failed


def domain_without_dkim(target):
    ensure_domain(target)
    assert not run_module(mailcow_dkim.main, connection(target, domain=DOMAIN, state="absent")).failed


def dkim_selector(target):
    found = api_get(target, "dkim/" + DOMAIN)
    return found[0].get("dkim_selector") if found else None


# Per route: (what to set up first, the module call that uses the route, what must hold afterwards,
# the words a failure names the object with).
SCENARIOS = {
    "get/domain": (lambda t: None, (mailcow_domain.main, {"domain": DOMAIN, "description": "Faults"}),
                   lambda t: [d["description"] for d in api_get(t, "domain/all")] == ["Faults"], "domain " + DOMAIN),
    "add/domain": (lambda t: None, (mailcow_domain.main, {"domain": DOMAIN, "description": "Faults"}),
                   lambda t: [d["description"] for d in api_get(t, "domain/all")] == ["Faults"], "domain " + DOMAIN),
    "edit/domain": (ensure_domain, (mailcow_domain.main, {"domain": DOMAIN, "description": "Edited"}),
                    lambda t: [d["description"] for d in api_get(t, "domain/all")] == ["Edited"], "domain " + DOMAIN),
    "get/dkim": (domain_without_dkim, (mailcow_dkim.main, {"domain": DOMAIN}),
                 lambda t: dkim_selector(t) == "dkim", DOMAIN),
    "add/dkim": (domain_without_dkim, (mailcow_dkim.main, {"domain": DOMAIN}),
                 lambda t: dkim_selector(t) == "dkim", DOMAIN),
    "get/mailbox": (ensure_domain, (mailcow_mailbox.main, {"address": MAILBOX, "password": PASSWORD, "name": "Owner"}),
                    lambda t: [m["username"] for m in api_get(t, "mailbox/all")] == [MAILBOX]
                    and t.control.verify(MAILBOX, PASSWORD), "mailbox " + MAILBOX),
    "add/mailbox": (ensure_domain, (mailcow_mailbox.main, {"address": MAILBOX, "password": PASSWORD, "name": "Owner"}),
                    lambda t: [m["username"] for m in api_get(t, "mailbox/all")] == [MAILBOX]
                    and t.control.verify(MAILBOX, PASSWORD), "mailbox " + MAILBOX),
    "edit/mailbox": (ensure_mailbox, (mailcow_mailbox.main, {"address": MAILBOX, "name": "Renamed"}),
                     lambda t: [(m["username"], m["name"]) for m in api_get(t, "mailbox/all")] == [(MAILBOX, "Renamed")]
                     and t.control.verify(MAILBOX, PASSWORD), "mailbox " + MAILBOX),
    "get/alias": (ensure_mailbox, (mailcow_alias.main, {"address": ALIAS, "goto": [MAILBOX]}),
                  lambda t: [(a["address"], a["goto"]) for a in api_get(t, "alias/all")] == [(ALIAS, MAILBOX)],
                  "alias " + ALIAS),
    "add/alias": (ensure_mailbox, (mailcow_alias.main, {"address": ALIAS, "goto": [MAILBOX]}),
                  lambda t: [(a["address"], a["goto"]) for a in api_get(t, "alias/all")] == [(ALIAS, MAILBOX)],
                  "alias " + ALIAS),
    "edit/alias": (ensure_alias, (mailcow_alias.main, {"address": ALIAS, "goto": [MAILBOX], "active": False}),
                   lambda t: [(a["address"], a["active"]) for a in api_get(t, "alias/all")] == [(ALIAS, 0)],
                   "alias " + ALIAS),
}

# Words of which a failure message must contain one, to name each fault for a human.
FAULTS = {
    "http500": ("HTTP 500",),
    "empty200": ("empty body", "returned nothing"),
    "delay": ("within 1 seconds",),
    "drop": ("connection",),
}
READ_ROUTES = [r for r in SCENARIOS if r.startswith("get/")]
WRITE_ROUTES = [r for r in SCENARIOS if not r.startswith("get/")]
MATRIX = [(route, fault) for route in SCENARIOS for fault in FAULTS]


# The module's timeout is 1 second; the delayed answer comes after 1.5.
DELAY = 1.5


@pytest.fixture(autouse=True)
def late_requests_land_before_the_next_test(request):
    """A delayed write is still applied when its delay is over: let it land before the next test wipes.

    A delayed read changes nothing when it lands, so the next test need not wait for it.
    """
    yield
    params = getattr(request.node, "callspec", None)
    if params is not None and params.params.get("fault") == "delay" and params.params["route"] in WRITE_ROUTES:
        time.sleep(DELAY + 0.5)


def inject(target, route, fault, times=None):
    method = "GET" if route.startswith("get/") else "POST"
    target.control.add_fault(route, fault, times=times, method=method, delay=DELAY if fault == "delay" else None)


def call(target, route):
    main, args = SCENARIOS[route][1]
    return run_module(main, connection(target, **args))


@pytest.mark.parametrize("route,fault", MATRIX)
def test_transient_fault_is_absorbed_and_the_object_is_as_asked(fresh_emulator, route, fault):
    setup, _call, holds, _name = SCENARIOS[route]
    setup(fresh_emulator)
    inject(fresh_emulator, route, fault, times=1)
    result = call(fresh_emulator, route)
    assert not result.failed, result.result.get("msg")
    assert fresh_emulator.control._call("GET", "faults") == [], "the fault was never hit"
    assert holds(fresh_emulator)


@pytest.mark.parametrize("route,fault", MATRIX)
def test_persistent_fault_fails_naming_object_and_fault_then_a_rerun_converges(fresh_emulator, route, fault):
    setup, _call, holds, name = SCENARIOS[route]
    setup(fresh_emulator)
    inject(fresh_emulator, route, fault)
    failed = call(fresh_emulator, route)
    if fault == "delay" and route in WRITE_ROUTES and not failed.failed:
        # A late answer is still applied by Mailcow: the re-read after the timeout finds it, so
        # success is right here, as long as the object is as asked and was not written twice.
        assert holds(fresh_emulator)
    else:
        assert failed.failed
        message = failed.result["msg"]
        assert name in message and any(words in message for words in FAULTS[fault]), message
    fresh_emulator.control.clear_faults()
    rerun = call(fresh_emulator, route)
    assert not rerun.failed, rerun.result.get("msg")
    assert holds(fresh_emulator)


@pytest.mark.parametrize("route", WRITE_ROUTES)
def test_write_whose_answer_is_lost_after_it_took_effect_is_applied_once_and_succeeds(fresh_emulator, route):
    setup, _call, holds, _name = SCENARIOS[route]
    setup(fresh_emulator)
    fresh_emulator.control.reset_counters()
    inject(fresh_emulator, route, "drop_after_apply", times=1)
    result = call(fresh_emulator, route)
    assert not result.failed, result.result.get("msg")
    assert result.result["changed"] is True
    assert fresh_emulator.control.counters()["by_route"]["POST " + route] == 1
    assert holds(fresh_emulator)


def test_rejected_api_key_is_never_retried(fresh_emulator):
    ensure_domain(fresh_emulator)
    fresh_emulator.control.reset_counters()
    main, args = SCENARIOS["add/mailbox"][1]
    result = run_module(main, connection(fresh_emulator, **dict(args, api_key="WRONG-KEY-0000")))
    assert result.failed and "HTTP 401" in result.result["msg"]
    assert fresh_emulator.control.counters()["by_route"] == {"GET get/mailbox": 1}


def test_read_only_key_refused_a_write_is_never_retried(fresh_emulator):
    ensure_domain(fresh_emulator)
    fresh_emulator.control.reset_counters()
    main, args = SCENARIOS["add/mailbox"][1]
    result = run_module(main, connection(fresh_emulator, **dict(args, api_key=fresh_emulator.read_only_key)))
    assert result.failed and "HTTP 403" in result.result["msg"]
    assert fresh_emulator.control.counters()["writes"] == 1
