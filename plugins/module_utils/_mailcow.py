# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this module_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""The single HTTP client every Mailcow module goes through."""

from __future__ import annotations

import http.client
import ipaddress
import json
import ssl
import time
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.securenexus.provisioning.plugins.module_utils._http import http_open, tls_context

MAILCOW_ARGSPEC = {
    "api_url": {"type": "str", "required": True, "fallback": (env_fallback, ["MAILCOW_API_URL"])},
    "api_key": {"type": "str", "required": True, "no_log": True, "fallback": (env_fallback, ["MAILCOW_API_KEY"])},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "timeout": {"type": "int", "default": 30},
}

# Reads are retried on transport trouble; the pauses between the attempts, in seconds.
READ_RETRY_DELAYS = (0.5, 1.0)

# Human explanations of Mailcow's message keys (data/web/lang/lang.en-gb.json in mailcow-dockerized,
# rewritten to say what the user can do). "{0}", "{1}" are the arguments Mailcow sends with the key.
# Some keys mean different things on different routes, so (route, key) entries win over key entries.
EXPLANATIONS = {
    ("add/mailbox", "access_denied"): "the domain does not exist in Mailcow",
    ("edit/mailbox", "access_denied"): "the mailbox does not exist",
    ("delete/mailbox", "access_denied"): "the mailbox does not exist",
    ("delete/alias", "access_denied"): "the alias does not exist",
    ("add/dkim", "access_denied"): "{0} is neither a Mailcow domain nor an alias domain",
    ("edit/mailbox", "mailbox_quota_left_exceeded"):
        "at most {0} MiB are possible for this mailbox (per-mailbox maximum or space left in the domain)",
    ("add/domain", "domain_invalid"): "not a valid domain name",
    ("add/app-passwd", "access_denied"): "the mailbox does not exist",
    ("add/domain-admin", "object_exists"):
        "the name {0} is taken (by another domain administrator, an administrator or a mailbox)",
    ("add/domain-admin", "username_invalid"):
        "{0} is not a valid domain administrator name (letters, digits, '.', '-' and '_' only)",
    ("edit/domain-admin", "access_denied"): "the domain administrator does not exist",
    ("edit/domain-admin", "username_invalid"): "the name {0} is invalid or taken",
    ("delete/domain-admin", "username_invalid"): "the domain administrator {0} does not exist",
    "app_passwd_id_invalid": "the app password does not exist (any more)",
    "app_name_empty": "an app password needs a name",
    "access_denied": "Mailcow denied the operation (the object or its domain does not exist, or the key may not manage it)",
    "authentication failed": "the API key is wrong or inactive",
    "domain_exists": "the domain {0} (or an alias domain of that name) already exists",
    "domain_invalid": "the domain name is invalid or the domain does not exist",
    "domain_not_found": "the domain {0} does not exist in Mailcow",
    "domain_not_empty": "the domain {0} still has mailboxes; delete them first",
    "domain_cannot_match_hostname": "the domain is the Mailcow server's own host name",
    "domain_quota_m_in_use": "the mailboxes of the domain already have {0} MiB allocated, more than the new quota",
    "mailbox_quota_exceeds_domain_quota": "maxquota (per mailbox) must not exceed quota (the whole domain)",
    "mailbox_defquota_exceeds_mailbox_maxquota": "defquota must not exceed maxquota",
    "defquota_empty": "defquota must be greater than 0",
    "maxquota_empty": "maxquota must be greater than 0",
    "max_quota_in_use": "a mailbox of the domain already has a quota of {0} MiB, more than the new limit",
    "mailboxes_in_use": "the domain already has {0} mailboxes, more than the new limit",
    "aliases_in_use": "the domain already has {0} aliases, more than the new limit",
    "object_exists": "a mailbox {0} already exists",
    "object_is_not_numeric": "{0} is not a number",
    "is_alias": "{0} already exists as an alias",
    "is_spam_alias": "{0} is a spam alias address",
    "is_alias_or_mailbox": "{0} already exists as an alias or a mailbox",
    "password_mismatch": "the password and its confirmation differ",
    "password_complexity": "the password does not meet Mailcow's password policy",
    "mailbox_quota_exceeded": "at most {0} MiB per mailbox in this domain",
    "mailbox_quota_left_exceeded": "only {0} MiB are left for mailboxes in this domain",
    "mailbox_invalid": "not a valid mailbox address",
    "max_mailbox_exceeded": "the domain already has {0} of at most {1} mailboxes",
    "max_alias_exceeded": "the domain has reached its maximum number of aliases",
    "unlimited_quota_acl": "the API key may not create mailboxes with unlimited quota",
    "quarantine_category_invalid": "invalid quarantine category",
    "rl_timeframe": "invalid rate limit time frame",
    "goto_invalid": "{0} is not a valid destination",
    "goto_empty": "the alias needs at least one destination (goto)",
    "alias_empty": "no alias address given",
    "alias_invalid": "the alias does not exist or its address is invalid",
    "alias_goto_identical": "an alias cannot point to itself",
    "comment_too_long": "comments are limited to 160 characters",
    "dkim_domain_or_sel_invalid":
        "a DKIM key already exists for {0}, or the domain name or selector is invalid, or the key could not be generated",
    "tag_limit_exceeded": "at most 26 tags are kept; the rest were dropped",
}


class MailcowError(Exception):
    """Every failure of a Mailcow request; the message is complete and free of secrets.

    ``outcome_unknown`` is true when a write may or may not have taken effect (connection lost,
    timeout, empty answer, server error): the caller re-reads the object to find out.
    """

    def __init__(self, message, outcome_unknown=False):
        super().__init__(message)
        self.message = message
        self.outcome_unknown = outcome_unknown

    def __str__(self):
        return self.message


def _format_arg(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def explain(route, key, args=()):
    """The human explanation of a Mailcow message key, or None for a key not in the table."""
    template = EXPLANATIONS.get((route, key), EXPLANATIONS.get(key))
    if template is None:
        return None
    try:
        return template.format(*[_format_arg(a) for a in args])
    except IndexError:
        # Mailcow sent fewer arguments than usual: keep the sentence, drop the placeholders.
        return template.replace(" {0}", "").replace("{0} ", "").replace(" {1}", "")


def _message_parts(entry_msg):
    """(key, args) of a Mailcow ``msg``: a plain string or a list [key, arg, ...]."""
    if isinstance(entry_msg, list) and entry_msg:
        return str(entry_msg[0]), tuple(entry_msg[1:])
    return str(entry_msg), ()


def describe(route, entry_msg):
    key, args = _message_parts(entry_msg)
    explanation = explain(route, key, args)
    return "%s: %s" % (key, explanation) if explanation else key


def normalise_api_url(api_url):
    """The base URL ending in /api/v1/ whether the user wrote it with or without slash or /api/v1."""
    url = (api_url or "").strip().rstrip("/")
    if url.endswith("/api/v1"):
        url = url[: -len("/api/v1")].rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("api_url must be an http:// or https:// URL such as https://mail.example.org, got %r" % api_url)
    return url + "/api/v1/"


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cert_failure(reason):
    return isinstance(reason, ssl.SSLCertVerificationError) or (
        isinstance(reason, ssl.SSLError) and "CERTIFICATE_VERIFY_FAILED" in str(reason))


class MailcowClient:
    """Talks to /api/v1 of one Mailcow server. Only ``write()`` changes anything."""

    def __init__(self, api_url, api_key, validate_certs=True, ca_path=None, timeout=30, check_mode=False):
        if not api_key:
            raise ValueError("api_key is empty: give the read-write API key of the Mailcow server")
        self.base_url = normalise_api_url(api_url)
        self._api_key = api_key
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.check_mode = check_mode
        self.warnings = []
        self.writes_done = 0
        self._tls_context = None
        parts = urlsplit(self.base_url)
        if not validate_certs and parts.scheme == "https":
            self.warnings.append("validate_certs is false: the TLS certificate of %s is not verified, so anyone "
                                 "in between can read the API key" % parts.hostname)
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            self.warnings.append("api_url uses http:// to %s: the API key travels in clear text; use https://"
                                 % parts.hostname)

    @classmethod
    def from_params(cls, params, check_mode):
        return cls(params["api_url"], params["api_key"], validate_certs=params["validate_certs"],
                   ca_path=params["ca_path"], timeout=params["timeout"], check_mode=check_mode)

    def _scrub(self, text):
        return text.replace(self._api_key, "********")

    def _fail(self, operation, what, detail, **kwargs):
        return MailcowError(self._scrub("cannot %s %s: %s" % (operation, what, detail)), **kwargs)

    def _url(self, path_elements):
        return self.base_url + "/".join(quote(str(e), safe="@") for e in path_elements)

    def _context(self):
        """One TLS context for all requests of this client (see _http.py)."""
        if self._tls_context is None:
            self._tls_context = tls_context(self.base_url, self.validate_certs, self.ca_path)
        return self._tls_context

    def _request(self, method, url, body, operation, what):
        """One HTTP exchange; returns the raw body of a 2xx answer."""
        headers = {"X-API-Key": self._api_key, "Accept": "application/json",
                   # Mailcow ignores a body without this header, and it is harmless on GETs.
                   "Content-Type": "application/json"}
        data = None if body is None else json.dumps(body).encode("utf-8")
        try:
            context = self._context()
        except (OSError, ssl.SSLError) as exc:
            raise self._fail(operation, what, "cannot load the CA certificates of ca_path %s: %s" % (self.ca_path, exc))
        try:
            response = http_open(url, data=data, headers=headers, method=method, validate_certs=self.validate_certs,
                                 ca_path=self.ca_path, timeout=self.timeout, http_agent="securenexus.provisioning",
                                 follow_redirects="none", context=context)
            return response.read()
        except HTTPError as exc:
            raise self._http_error(exc, operation, what)
        except URLError as exc:
            if _cert_failure(exc.reason):
                raise self._fail(operation, what, (
                    "the TLS certificate of %s could not be verified (%s); set ca_path to the CA bundle that signed "
                    "it, or validate_certs: false to skip the check" % (urlsplit(url).hostname, exc.reason)))
            raise self._fail(operation, what, "cannot reach Mailcow at %s: %s" % (self.base_url, exc.reason),
                             outcome_unknown=True)
        except TimeoutError:
            raise self._fail(operation, what, "no answer from Mailcow at %s within %s seconds"
                             % (self.base_url, self.timeout), outcome_unknown=True)
        except (http.client.HTTPException, OSError) as exc:
            raise self._fail(operation, what, "the connection to Mailcow at %s broke: %s"
                             % (self.base_url, exc.__class__.__name__), outcome_unknown=True)

    def _http_error(self, exc, operation, what):
        try:
            text = json.loads(exc.read().decode("utf-8")).get("msg", "")
        except (ValueError, AttributeError, OSError):
            text = ""
        text = str(text)
        if exc.code == 401:
            if "api access denied for ip" in text:
                detail = ("Mailcow refused this machine's IP address (HTTP 401: %s); add it to the allowed networks "
                          "of the API key in Mailcow (System > Configuration > Access > API)" % text)
            else:
                detail = ("Mailcow rejected the API key (HTTP 401: %s); check api_key. Not retried: repeated "
                          "failures can get this IP address banned by Mailcow" % (text or "authentication failed"))
            return self._fail(operation, what, detail)
        if exc.code == 403:
            return self._fail(operation, what, "the API key may not change anything (HTTP 403: %s); use a read-write "
                              "API key" % (text or "access denied"))
        if 300 <= exc.code < 400:
            return self._fail(operation, what, "Mailcow redirected the request (HTTP %d to %s); set api_url to the "
                              "address it redirects to" % (exc.code, exc.headers.get("Location") if exc.headers else "?"))
        if exc.code >= 500:
            return self._fail(operation, what, "Mailcow answered HTTP %d (server error)" % exc.code, outcome_unknown=True)
        return self._fail(operation, what, "Mailcow answered HTTP %d%s" % (exc.code, ": " + text if text else ""))

    def get(self, path_elements, what):
        """GET /get/<...>; returns the decoded JSON, or None when Mailcow says "nothing" ({} / []).

        Transport failures and server errors are retried (reads change nothing); 4xx answers,
        401/403 above all, are not: Mailcow bans IP addresses that keep failing authentication.
        """
        url = self._url(["get"] + list(path_elements))
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                text = self._request("GET", url, None, "read", what).decode("utf-8", errors="replace").strip()
                if not text:
                    # Mailcow says "nothing" with {}; an empty body means the request died inside
                    # Mailcow (or had no session), so taking it for "absent" would create duplicates.
                    raise self._fail("read", what, "Mailcow answered HTTP 200 with an empty body (the request "
                                     "failed inside Mailcow)", outcome_unknown=True)
                break
            except MailcowError as exc:
                if not exc.outcome_unknown:
                    raise
                if attempt >= len(READ_RETRY_DELAYS):
                    # Each attempt may wait the whole timeout: say how long the read took in all, so that a
                    # hung Mailcow's message matches the wait the user saw.
                    raise MailcowError("%s (%d attempts, %.0f seconds in all)"
                                       % (exc.message, attempt + 1, time.monotonic() - started), outcome_unknown=True)
                time.sleep(READ_RETRY_DELAYS[attempt])
                attempt += 1
        try:
            data = json.loads(text)
        except ValueError:
            raise self._fail("read", what, "Mailcow answered something that is not JSON (a proxy error page?)")
        if data in ({}, []):
            return None
        if isinstance(data, dict) and data.get("type") == "error" and set(data) <= {"type", "msg"}:
            raise self._fail("read", what, "Mailcow answered: %s" % data.get("msg"))
        return data

    def write(self, route, body, operation, what, path_elements=()):
        """POST /<route>[/<path_elements>] (route like "add/mailbox"); the only call that changes anything.

        Never retried here: the caller re-reads the object when the outcome is unknown. Returns the list
        of message entries; any danger/error entry raises MailcowError, warnings go to self.warnings.
        """
        if self.check_mode:
            raise RuntimeError("bug: MailcowClient.write(%s) called in check mode" % route)
        url = self._url(route.split("/") + list(path_elements))
        raw = self._request("POST", url, body, operation, what)
        text = raw.decode("utf-8", errors="replace").strip()
        if not text:
            raise self._fail(operation, what, "Mailcow accepted the request but returned nothing (the request may "
                             "have failed inside Mailcow)", outcome_unknown=True)
        try:
            data = json.loads(text)
        except ValueError:
            raise self._fail(operation, what, "Mailcow answered something that is not JSON (a proxy error page?)",
                             outcome_unknown=True)
        entries = data if isinstance(data, list) else [data]
        failures = []
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            # Never look at entry["log"]: it echoes the request.
            text = describe(route, entry.get("msg"))
            if entry.get("type") in ("danger", "error"):
                failures.append(text)
            elif entry.get("type") == "warning":
                self.warnings.append(self._scrub("Mailcow warning on %s %s: %s" % (operation, what, text)))
        if failures:
            raise self._fail(operation, what, "; ".join(failures))
        self.writes_done += 1
        return entries
