# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this module_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""A small client of Traefik's API: read a router, and wait until Traefik serves (or drops) the rendered ones."""

from __future__ import annotations

import functools
import json
import time
from urllib.error import HTTPError

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.securenexus.provisioning.plugins.module_utils._http import http_open, tls_context
from ansible_collections.securenexus.provisioning.plugins.module_utils._traefik import RouteError, router_signature, shown_url

POLL_INTERVAL = 0.2
REQUEST_TIMEOUT = 5


class ApiNotReady(RouteError):
    """Traefik's API did not answer as Traefik's API (yet): polling goes on, the message is the last reason."""


class TraefikApi:
    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self._tls_context = None

    def router(self, router_name):
        """The router as Traefik's API shows it, or None when Traefik does not know it (404)."""
        url = f"{self.base_url}/api/http/routers/{router_name}"
        try:
            if self._tls_context is None:
                self._tls_context = tls_context(self.base_url)
            response = http_open(url, method="GET", timeout=REQUEST_TIMEOUT, headers={"Accept": "application/json"},
                                 context=self._tls_context)
            return json.loads(response.read())
        except HTTPError as error:
            # Traefik says "router not found" in its 404. A plain "404 page not found" comes from a Traefik
            # that is still starting (its API routes are not installed yet) or from a URL that is not
            # Traefik's API: never a removed router.
            if error.code == 404 and b"router not found" in (error.read() or b""):
                return None
            raise ApiNotReady(f"HTTP {error.code} for {shown_url(url)}: is api_url Traefik's API?") from None
        except ValueError:
            raise ApiNotReady(f"{shown_url(url)} did not answer with JSON: is api_url Traefik's API?") from None


def poll(api, wait_timeout, attempt):
    """Call attempt() until it returns a result or wait_timeout passes; an unready API counts as 'not yet'.

    attempt() returns (done, value, pending_reason). Returns value, or raises RouteError with the last reason.
    """
    deadline = time.monotonic() + wait_timeout
    while True:
        try:
            done, value, reason = attempt()
        except ApiNotReady as error:
            done, value, reason = False, None, str(error)
        except OSError as error:  # URLError included: Traefik may be restarting
            done, value = False, None
            detail = to_native(getattr(error, "reason", error))
            reason = f"could not reach Traefik's API at {shown_url(api.base_url)}: {detail}"
        if done:
            return value
        if time.monotonic() >= deadline:
            raise RouteError(reason)
        time.sleep(POLL_INTERVAL)


def router_served(api, qualified, expected, directory):
    """One poll() attempt: is router `qualified` served with the `expected` signature?"""
    served = api.router(qualified)
    if served is None:
        return False, None, (
            f"Traefik did not load router {qualified} within the wait time: check Traefik's log "
            f"(malformed YAML in any file of {directory} blocks every reload) and that its file "
            "provider watches this directory")
    if router_signature(served) != expected:
        return False, None, (
            f"Traefik still serves another definition of router {qualified} "
            f"(rule {served.get('rule')!r}) after the wait time: reloads may be blocked (see Traefik's log) "
            f"or another file in {directory} defines the same router name")
    errors = served.get("error") or []
    if served.get("status") != "enabled" or errors:
        raise RouteError(f"Traefik reports router {qualified} as {served.get('status')}: "
                         + ("; ".join(errors) or "no error text given"))
    return True, served["status"], None


def router_gone(api, qualified, directory):
    """One poll() attempt: has Traefik stopped serving router `qualified`?"""
    gone = api.router(qualified) is None
    return gone, None, (
        f"Traefik still serves router {qualified} after the wait time: another file in {directory} "
        "may define it, or reloads are blocked (see Traefik's log)")


def confirm_present(api, routers, directory, wait_timeout):
    """Wait until Traefik serves every rendered router, failing on Traefik's own error; returns the main status."""
    statuses = []
    for router_name, rendered in routers.items():
        attempt = functools.partial(router_served, api, router_name + "@file", router_signature(rendered), directory)
        statuses.append(poll(api, wait_timeout, attempt))
    return statuses[0]


def confirm_absent(api, router_names, directory, wait_timeout):
    for router_name in router_names:
        poll(api, wait_timeout, functools.partial(router_gone, api, router_name + "@file", directory))
