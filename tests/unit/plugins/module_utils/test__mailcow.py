"""The Mailcow HTTP client, against a scripted http_open."""

import ssl
from unittest import mock
from urllib.error import URLError

import pytest

from ansible_collections.securenexus.provisioning.plugins.module_utils import _http, _mailcow
from ansible_collections.securenexus.provisioning.plugins.module_utils._mailcow import (
    MailcowClient,
    MailcowError,
    explain,
    normalise_api_url,
)
from tests.unit.plugins.module_utils.mailcow_fakes import (
    API_KEY,
    API_URL,
    PASSWORD,
    FakeMailcow,
    FakeResponse,
    danger,
    http_error,
    success,
)


@pytest.fixture
def fake():
    server = FakeMailcow()
    with mock.patch.object(_mailcow, "http_open", server), mock.patch.object(_mailcow.time, "sleep") as sleep:
        server.sleep = sleep
        yield server


def client(check_mode=False, **kwargs):
    return MailcowClient(kwargs.pop("api_url", API_URL), API_KEY, check_mode=check_mode, **kwargs)


@pytest.mark.parametrize("given", [
    "https://mail.example.org", "https://mail.example.org/", "https://mail.example.org/api/v1",
    "https://mail.example.org/api/v1/", " https://mail.example.org// ",
])
def test_api_url_is_accepted_with_or_without_slash_and_api_path(given):
    assert normalise_api_url(given) == "https://mail.example.org/api/v1/"


def test_api_url_keeps_a_path_prefix():
    assert normalise_api_url("https://example.org/mailcow/api/v1") == "https://example.org/mailcow/api/v1/"


@pytest.mark.parametrize("given", ["mail.example.org", "ftp://mail.example.org", "", "https://"])
def test_api_url_without_http_scheme_or_host_is_refused(given):
    with pytest.raises(ValueError, match="api_url"):
        normalise_api_url(given)


def test_empty_api_key_is_refused_before_any_request():
    with pytest.raises(ValueError, match="api_key"):
        MailcowClient(API_URL, "")


def test_every_request_sends_key_and_json_content_type(fake):
    fake.get("get/domain/all", {})
    fake.post("add/domain", success("domain_added", "a.org"))
    c = client(timeout=7, validate_certs=True)
    c.get(["domain", "all"], "domains")
    c.write("add/domain", {"domain": "a.org"}, "create", "domain a.org")
    for call in fake.calls:
        assert call.headers["X-API-Key"] == API_KEY
        assert call.headers["Content-Type"] == "application/json"
        assert call.options["timeout"] == 7
        assert call.options["validate_certs"] is True
    assert fake.writes[0].body == {"domain": "a.org"}


@pytest.fixture(autouse=True)
def fresh_tls_contexts():
    """tls_context keeps the contexts it made for the whole process: a test sees only its own."""
    _http._shared_context.cache_clear()
    yield
    _http._shared_context.cache_clear()


def test_clients_with_the_same_tls_settings_share_one_context_made_once():
    """Made once per process, so that Ansible's workers inherit the one made in the controller's main process
    (plugin_utils/_in_worker.py) instead of loading the CA certificates for every task."""
    with mock.patch.object(_http, "make_context", side_effect=lambda **options: object()) as make_context:
        first = _http.tls_context("https://mail.example.org", validate_certs=True)
        second = _http.tls_context("https://other.example.org/api", validate_certs=True)
    assert first is second
    make_context.assert_called_once_with(cafile=None, validate_certs=True)


def test_one_tls_context_from_ca_path_serves_every_request_of_a_client(fake):
    fake.get("get/domain/all", {})
    context = object()
    with mock.patch.object(_http, "make_context", return_value=context) as make_context:
        c = client(ca_path="/etc/ca.pem", validate_certs=True)
        c.get(["domain", "all"], "domains")
        c.get(["domain", "all"], "domains")
    make_context.assert_called_once_with(cafile="/etc/ca.pem", validate_certs=True)
    assert [call.options["context"] for call in fake.calls] == [context, context]


def test_a_plain_http_client_loads_no_ca_certificates():
    with mock.patch.object(_http, "make_context", side_effect=AssertionError("CA certificates loaded")), \
            mock.patch.object(_mailcow, "http_open", return_value=FakeResponse(b"{}")) as http_open:
        client(api_url="http://127.0.0.1:8080").get(["domain", "all"], "domains")
    assert http_open.call_args.kwargs["context"].verify_mode == ssl.CERT_REQUIRED


def test_an_unreadable_ca_path_fails_naming_it_without_a_request(fake, tmp_path):
    missing = str(tmp_path / "no-such-ca.pem")
    with pytest.raises(MailcowError, match="cannot load the CA certificates of ca_path " + missing) as failure:
        client(ca_path=missing).get(["domain", "all"], "domains")
    assert not failure.value.outcome_unknown
    assert fake.calls == []


@pytest.mark.parametrize("body", [{}, []])
def test_read_of_nothing_is_none(fake, body):
    fake.get("get/mailbox/x@a.org", body)
    assert client().get(["mailbox", "x@a.org"], "mailbox x@a.org") is None


@pytest.mark.parametrize("body", [b"", b"  \n"])
def test_read_answered_with_an_empty_body_is_retried_then_fails_instead_of_meaning_absent(fake, body):
    fake.get("get/mailbox/x@a.org", body)
    with pytest.raises(MailcowError, match="empty body") as failure:
        client().get(["mailbox", "x@a.org"], "mailbox x@a.org")
    assert failure.value.outcome_unknown
    assert len(fake.reads) == 3


def test_read_returns_the_decoded_object(fake):
    fake.get("get/alias/s@a.org", {"id": 7, "address": "s@a.org"})
    assert client().get(["alias", "s@a.org"], "alias s@a.org") == {"id": 7, "address": "s@a.org"}


def test_read_of_a_non_json_page_fails_clearly(fake):
    fake.get("get/domain/a.org", b"<html>proxy</html>")
    with pytest.raises(MailcowError, match="not JSON"):
        client().get(["domain", "a.org"], "domain a.org")


@pytest.mark.parametrize("failure", [http_error(500), URLError(ConnectionRefusedError()), TimeoutError()])
def test_read_is_retried_after_transport_failure_and_then_succeeds(fake, failure):
    fake.get("get/domain/a.org", failure, failure, {"domain_name": "a.org"})
    assert client().get(["domain", "a.org"], "domain a.org") == {"domain_name": "a.org"}
    assert len(fake.calls) == 3
    assert [c.args[0] for c in fake.sleep.call_args_list] == [0.5, 1.0]


def test_read_retries_are_bounded(fake):
    fake.get("get/domain/a.org", http_error(502))
    with pytest.raises(MailcowError, match="HTTP 502"):
        client().get(["domain", "a.org"], "domain a.org")
    assert len(fake.calls) == 3


def test_wrong_key_fails_at_once_without_retry(fake):
    fake.get("get/domain/all", http_error(401, {"type": "error", "msg": "authentication failed"}))
    with pytest.raises(MailcowError) as caught:
        client().get(["domain", "all"], "domain list")
    assert len(fake.calls) == 1
    assert "rejected the API key (HTTP 401: authentication failed)" in str(caught.value)


def test_ip_not_allowed_quotes_mailcow_and_is_not_retried(fake):
    fake.get("get/domain/all", http_error(401, {"type": "error", "msg": "api access denied for ip 10.1.2.3"}))
    with pytest.raises(MailcowError) as caught:
        client().get(["domain", "all"], "domain list")
    assert len(fake.calls) == 1
    assert "api access denied for ip 10.1.2.3" in str(caught.value)
    assert "allowed networks" in str(caught.value)


def test_read_only_key_on_write_says_so(fake):
    fake.post("add/domain", http_error(403, {"type": "error", "msg": "API read/write access denied"}))
    with pytest.raises(MailcowError, match=r"HTTP 403: API read/write access denied\); use a read-write API key"):
        client().write("add/domain", {"domain": "a.org"}, "create", "domain a.org")
    assert len(fake.calls) == 1


def test_certificate_failure_says_how_to_trust_or_skip(fake):
    fake.get("get/domain/all", URLError(ssl.SSLCertVerificationError("certificate verify failed")))
    with pytest.raises(MailcowError) as caught:
        client().get(["domain", "all"], "domain list")
    assert "ca_path" in str(caught.value) and "validate_certs" in str(caught.value)
    assert len(fake.calls) == 1


def test_write_success_returns_all_entries(fake):
    entries = [{"type": "success", "msg": ["dkim_added", "a.org"]}, {"type": "success", "msg": ["domain_added", "a.org"]}]
    fake.post("add/domain", entries)
    assert client().write("add/domain", {"domain": "a.org"}, "create", "domain a.org") == entries


def test_write_with_a_danger_entry_fails_naming_operation_object_key_and_explanation(fake):
    fake.post("add/mailbox", danger("mailbox_quota_exceeded", 4096))
    with pytest.raises(MailcowError) as caught:
        client().write("add/mailbox", {}, "create", "mailbox demo@x.org")
    assert str(caught.value) == ("cannot create mailbox demo@x.org: mailbox_quota_exceeded: "
                                 "at most 4096 MiB per mailbox in this domain")
    assert caught.value.outcome_unknown is False


def test_write_fails_on_a_danger_entry_before_a_final_success(fake):
    # Mailcow's own "last entry" is success here, yet the edit was dropped (special-goto trap).
    fake.post("edit/alias", danger("goto_invalid", "null@localhost") + success("alias_modified", "a@x.org"))
    with pytest.raises(MailcowError, match="goto_invalid"):
        client().write("edit/alias", {}, "update", "alias a@x.org")


def test_write_with_bare_error_object_fails(fake):
    fake.post("add/domain", {"type": "error", "msg": "Cannot find attributes in post data"})
    with pytest.raises(MailcowError, match="Cannot find attributes"):
        client().write("add/domain", {"domain": "a.org"}, "create", "domain a.org")


def test_a_single_success_object_instead_of_a_list_counts_as_one_write_done(fake):
    fake.post("edit/domain", {"type": "success", "msg": "Task completed"})
    mailcow = client()
    entries = mailcow.write("edit/domain", {"items": []}, "update", "domain a.org")
    assert entries == [{"type": "success", "msg": "Task completed"}]
    assert mailcow.writes_done == 1 and mailcow.warnings == []


def test_write_answered_with_an_empty_body_fails_with_unknown_outcome(fake):
    fake.post("add/alias", b"")
    with pytest.raises(MailcowError, match="accepted the request but returned nothing") as caught:
        client().write("add/alias", {}, "create", "alias a@x.org")
    assert caught.value.outcome_unknown is True


@pytest.mark.parametrize("failure", [http_error(500), URLError(ConnectionResetError()), TimeoutError()])
def test_failed_write_is_never_sent_twice(fake, failure):
    fake.post("add/mailbox", failure, success("mailbox_added", "x@a.org"))
    with pytest.raises(MailcowError) as caught:
        client().write("add/mailbox", {}, "create", "mailbox x@a.org")
    assert len(fake.calls) == 1
    assert caught.value.outcome_unknown is True


def test_write_warnings_are_kept_without_the_log_echo(fake):
    fake.post("delete/mailbox", [
        {"type": "warning", "log": ["mailbox", "delete", {"secret": PASSWORD}], "msg": "Could not move maildir"},
        {"type": "success", "log": [], "msg": ["mailbox_removed", "x@a.org"]}])
    c = client()
    c.write("delete/mailbox", ["x@a.org"], "delete", "mailbox x@a.org")
    assert c.warnings == ["Mailcow warning on delete mailbox x@a.org: Could not move maildir"]


def test_failure_messages_never_carry_the_request_echo(fake):
    fake.post("add/mailbox", [{"type": "danger", "log": ["mailbox", "add", {"password": PASSWORD}],
                               "msg": "password_complexity"}])
    with pytest.raises(MailcowError) as caught:
        client().write("add/mailbox", {"password": PASSWORD}, "create", "mailbox x@a.org")
    assert PASSWORD not in str(caught.value)
    assert "password policy" in str(caught.value)


def test_the_api_key_is_scrubbed_from_any_message(fake):
    fake.get("get/domain/all", URLError("proxy said %s is bad" % API_KEY))
    with pytest.raises(MailcowError) as caught:
        client().get(["domain", "all"], "domain list")
    assert API_KEY not in str(caught.value)


def test_write_in_check_mode_is_refused_loudly(fake):
    with pytest.raises(RuntimeError, match="check mode"):
        client(check_mode=True).write("add/domain", {"domain": "a.org"}, "create", "domain a.org")
    assert fake.calls == []


def test_disabled_certificate_check_warns():
    assert any("validate_certs is false" in w for w in client(validate_certs=False).warnings)


@pytest.mark.parametrize("url", ["http://mail.example.org", "http://10.0.0.5:8080"])
def test_clear_text_http_to_a_remote_host_warns(url):
    assert any("clear text" in w for w in client(api_url=url).warnings)


@pytest.mark.parametrize("url", ["http://localhost:28080", "http://127.0.0.1:28080", "http://127.3.4.5", "http://[::1]:80"])
def test_clear_text_http_to_the_local_host_does_not_warn(url):
    assert client(api_url=url).warnings == []


def test_addresses_in_paths_keep_their_at_sign(fake):
    fake.get("get/alias/a%2Bb@x.org", {})
    client().get(["alias", "a+b@x.org"], "alias a+b@x.org")
    assert fake.calls[0].path == "get/alias/a%2Bb@x.org"


@pytest.mark.parametrize("route,key,args,expected", [
    ("add/mailbox", "access_denied", (), "the domain does not exist in Mailcow"),
    ("delete/mailbox", "access_denied", (), "the mailbox does not exist"),
    ("add/alias", "is_alias_or_mailbox", ("s@a.org",), "s@a.org already exists as an alias or a mailbox"),
    ("delete/domain", "domain_not_empty", ("a.org",), "the domain a.org still has mailboxes; delete them first"),
    ("edit/mailbox", "mailbox_quota_left_exceeded", (2047.5,), "at most 2047.5 MiB are possible"),
    ("add/mailbox", "mailbox_quota_left_exceeded", (0.0,), "only 0 MiB are left"),
    ("add/domain", "domain_exists", (), "the domain (or an alias domain"),
])
def test_message_keys_are_explained(route, key, args, expected):
    assert explain(route, key, args).startswith(expected)


def test_unknown_message_key_has_no_explanation():
    assert explain("add/domain", "brand_new_key") is None


@pytest.mark.parametrize("key", [
    "domain_exists", "domain_invalid", "mailbox_quota_exceeds_domain_quota", "mailbox_defquota_exceeds_mailbox_maxquota",
    "max_quota_in_use", "domain_not_empty", "object_exists", "password_mismatch", "password_complexity",
    "mailbox_quota_exceeded", "mailbox_quota_left_exceeded", "mailbox_invalid", "access_denied", "max_mailbox_exceeded",
    "is_alias", "is_alias_or_mailbox", "domain_not_found", "goto_invalid", "alias_empty", "alias_invalid",
    "dkim_domain_or_sel_invalid",
])
def test_every_contract_message_key_has_an_explanation(key):
    assert explain("add/x", key, ("a", "b"))
