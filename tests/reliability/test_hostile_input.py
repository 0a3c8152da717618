"""Random and malicious values thrown at every option of every module and at the client role's variables
(hypothesis, derandomized).

For each example: nothing but the module's own exit_json/fail_json leaves main(); a request or a
bench command only ever carries a valid identity (so invalid input never reaches Mailcow or bench);
a failure before any request names the option at fault; bench always runs as an argv list, never
through a shell.
"""

from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.securenexus.provisioning.plugins.action import client_preflight
from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow_resource import is_address, is_domain
from ansible_collections.securenexus.provisioning.plugins.modules import (
    erpnext_site,
    mailcow_alias,
    mailcow_alias_info,
    mailcow_app_password,
    mailcow_dkim,
    mailcow_domain,
    mailcow_domain_admin,
    mailcow_domain_info,
    mailcow_mailbox,
    mailcow_mailbox_info,
)
from tests.unit.plugins.module_utils.mailcow_fakes import FakeResponse, reply, run_module
from tests.unit.plugins.action.test_client_preflight import definition
from tests.unit.plugins.modules.test_erpnext_site import run as run_erpnext

EXAMPLES = 200
settings.register_profile("reliability", max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
RELIABILITY = settings.get_profile("reliability")

MALICIOUS = [
    "; rm -rf / #", "$(reboot)", "`id`", "a|b", "a&&b", "x\nX-Injected: 1", "\x00", "\r\n\r\nGET / HTTP/1.1",
    "../../etc/passwd", "..", "/", "a/../../b", "%2e%2e%2f", "..%2f..%2f", "~root",
    "аcme.org",  # Cyrillic a
    "ａｃｍｅ.org",  # full-width
    "acme\u200b.org", "acme.org\u202e", "ACME.ORG", "xn--80ak6aa92e.com",
    "", " ", "\t", "-rf", "--help", "--db-root-password=x", "*", "@", "a@b@c", "@acme.org", "a@",
    "<script>alert(1)</script>", "'", '"', "\\", "{{ lookup('pipe', 'id') }}", "%s%s%s%n",
    "a" * 300, "a." * 200 + "org", "b" * 100_000,
]
TEXT = st.one_of(st.sampled_from(MALICIOUS), st.text(max_size=40))
# Infinite floats are left out: ansible-core's own int conversion (check_type_int) raises OverflowError
# on them before a module runs, an ansible-core bug recorded in docs/reliability.md.
WRONG_TYPE = st.one_of(st.integers(min_value=-2**70, max_value=2**70), st.booleans(), st.none(),
                       st.floats(allow_infinity=False),
                       st.lists(TEXT, max_size=4), st.dictionaries(st.text(max_size=8), st.integers(), max_size=3))
VALUE = st.one_of(TEXT, WRONG_TYPE)

# ansible-core itself refuses a NUL byte in any argument when it logs the invocation to syslog
# ("Failed to log to syslog (embedded null character)"), before a module's code runs; that refusal
# is not the modules' to word, so the invocation is not logged here (docs/reliability.md).
BASE_ARGS = {"_ansible_no_target_syslog": True}

# Per module: main, a valid baseline, and its options (the connection options are attacked too).
CONNECTION = ["api_url", "api_key", "validate_certs", "ca_path", "timeout"]
MODULES = {
    "mailcow_domain": (mailcow_domain.main, {"domain": "acme.org"}, list(mailcow_domain.ARGUMENT_SPEC)),
    "mailcow_mailbox": (mailcow_mailbox.main, {"address": "x@acme.org", "password": "Passw0rd-Passw0rd"},
                        list(mailcow_mailbox.ARGUMENT_SPEC)),
    "mailcow_alias": (mailcow_alias.main, {"address": "s@acme.org", "goto": ["x@acme.org"]},
                      list(mailcow_alias.ARGUMENT_SPEC)),
    "mailcow_dkim": (mailcow_dkim.main, {"domain": "acme.org"}, list(mailcow_dkim.ARGUMENT_SPEC)),
    "mailcow_app_password": (mailcow_app_password.main, {"mailbox": "x@acme.org", "name": "phone",
                                                         "protocols": ["imap"], "password": "Passw0rd-Passw0rd"},
                             list(mailcow_app_password.ARGUMENT_SPEC)),
    "mailcow_domain_admin": (mailcow_domain_admin.main, {"username": "acme-admin", "domains": ["acme.org"],
                                                         "password": "Passw0rd-Passw0rd"},
                             list(mailcow_domain_admin.ARGUMENT_SPEC)),
    "mailcow_domain_info": (mailcow_domain_info.main, {}, ["domain"]),
    "mailcow_mailbox_info": (mailcow_mailbox_info.main, {}, ["domain", "address"]),
    "mailcow_alias_info": (mailcow_alias_info.main, {}, ["domain", "address"]),
}


class AnyMailcow:
    """Answers every request like an empty Mailcow that accepts every write; records the URLs and bodies."""

    def __init__(self):
        self.calls = []

    def __call__(self, url, data=None, headers=None, method=None, **options):
        self.calls.append((method, url, data))
        return FakeResponse(reply({}) if method == "GET" else reply([{"type": "success", "msg": "ok"}]))


def identity_is_valid(element, category):
    if category == "domain-admin":
        return mailcow_domain_admin.USERNAME_RE.match(element) is not None
    return element == "all" or is_domain(element) or is_address(element, allow_catch_all=True) or element.isdigit()


def assert_requests_carry_valid_identities(fake):
    for method, url, _data in fake.calls:
        path = urlsplit(url).path.split("/api/v1/", 1)[1]
        category = path.split("/")[1]
        elements = [unquote(e) for e in path.split("/")[2:]]
        assert all(identity_is_valid(e, category) for e in elements), "%s %s" % (method, url[:200])


def assert_failure_names_an_option(run, options):
    message = run.result.get("msg", "")
    assert any(option in message for option in options), message[:500]


def attack(name, data):
    main, baseline, options = MODULES[name]
    targets = data.draw(st.lists(st.sampled_from(options + CONNECTION), min_size=1, max_size=3, unique=True))
    args = dict(BASE_ARGS, api_url="https://mail.example.org", api_key="HOSTILE-TEST-KEY-1", **baseline)
    args.update({option: data.draw(VALUE) for option in targets})
    fake = AnyMailcow()
    run = run_module(main, args, fake)
    assert run.result, "main() ended without exit_json or fail_json"
    assert_requests_carry_valid_identities(fake)
    if run.failed and not fake.calls:
        assert_failure_names_an_option(run, options + CONNECTION)
    assert "HOSTILE-TEST-KEY-1" not in run.output or "api_key" in targets


@pytest.mark.parametrize("name", sorted(MODULES))
@RELIABILITY
@given(data=st.data())
def test_hostile_option_values_never_escape_and_never_reach_mailcow_invalid(name, data):
    attack(name, data)


class RecordingBench:
    def __init__(self):
        self.calls = []

    def __call__(self, module, args, **kwargs):
        self.calls.append((args, kwargs))
        assert isinstance(args, list) and all(isinstance(a, str) for a in args), args
        assert not kwargs.get("use_unsafe_shell"), "bench run through a shell"
        return 1, "", "Site does not exist"


ERPNEXT_OPTIONS = ["name", "state", "apps", "exclusive", "admin_password", "db_root_username", "db_root_password",
                   "bench_path", "bench_command", "site_config", "timeout"]


@RELIABILITY
@given(data=st.data())
def test_hostile_erpnext_site_options_never_escape_and_never_reach_bench_invalid(data):
    targets = data.draw(st.lists(st.sampled_from(ERPNEXT_OPTIONS), min_size=1, max_size=3, unique=True))
    args = dict(BASE_ARGS, apps=["erpnext"], bench_command=["bench"])
    args.update({option: data.draw(VALUE) for option in targets})
    bench = RecordingBench()
    result = run_erpnext(bench, **args)
    for argv, _kwargs in bench.calls:
        sites = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--site"]
        sites += [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("new-site", "drop-site")]
        assert all(erpnext_site.SITE_NAME.match(s) for s in sites), argv
    if result.get("failed") and not bench.calls:
        assert any(option in result["msg"] for option in ERPNEXT_OPTIONS), result["msg"][:500]


# ---------------------------------------------------------------------------------------------
# The client role's preflight: whatever a client's variables hold, it reports problems or hands
# the later steps names that Mailcow, bench and Traefik accept; it never crashes.

PREFLIGHT_TARGETS = ["client_name", "client_subdomain", "client_domain", "client_mailbox", "client_mailbox_quota",
                     "client_base_domain", "client_aliases", "client_extra_aliases", "client_plan",
                     "client_plan_overrides", "client_mailcow_manage_base_domain", "client_delete_mail_data",
                     "client_state", "client_confirm", "client_traefik_tls", "client_public_port",
                     "client_app_passwords", "client_domain_admin"]


@RELIABILITY
@given(data=st.data())
def test_hostile_client_variables_are_refused_or_give_valid_names(data):
    targets = data.draw(st.lists(st.sampled_from(PREFLIGHT_TARGETS), min_size=1, max_size=3, unique=True))
    variables = {target: data.draw(VALUE) for target in targets}
    client, problems, _warnings = client_preflight.preflight(definition("acme", **variables),
                                                             check_mode=data.draw(st.booleans()))
    if problems:
        assert client is None
        return
    assert is_address(client["mailbox_address"])
    assert all(is_address(address) for address in client["alias_addresses"])
    assert is_domain(client["site_name"]) and is_domain(client["mail_domain"])
    assert erpnext_site.SITE_NAME.match(client["site_name"])
    assert all(mailcow_app_password.NAME_RE.match(app["name"]) for app in client["app_passwords"])
    assert client["domain_admin"] is None or mailcow_domain_admin.USERNAME_RE.match(client["domain_admin"]["username"])
