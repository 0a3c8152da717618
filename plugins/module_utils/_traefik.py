# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this module_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""traefik_route's validation and rendering: pure functions of the module's options, no I/O."""

from __future__ import annotations

import ipaddress
import json
import re
from urllib.parse import urlsplit

HEADER = "# Managed by Ansible (securenexus.provisioning.traefik_route); changes made here are overwritten.\n"
NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
HOST_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
ENTRYPOINT_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]*)$")
MIDDLEWARE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(?:@[A-Za-z0-9_-]+)?$")

SECURITY_HEADERS = {
    "stsSeconds": 31536000,
    "stsIncludeSubdomains": True,
    "contentTypeNosniff": True,
    "customFrameOptionsValue": "SAMEORIGIN",
    "referrerPolicy": "strict-origin-when-cross-origin",
}


class RouteError(Exception):
    """Bad input or a failed confirmation; the message is shown to the user as is."""


def shown_url(url):
    """The URL for messages, without any user:password@ part."""
    return re.sub(r"^([^/]*//)[^/]*@", r"\1***@", url)


def refuse_templating(params):
    """Traefik renders each dynamic file as a Go template first: `{{` would be executed or break the file."""
    for option in sorted(params):
        value = params[option]
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str) and "{{" in item:
                raise RouteError(f"{option}: {shown_url(item)!r} contains '{{{{', which Traefik's Go templating "
                                 "of dynamic files would interpret; remove it")


def validate_host(host):
    name = host.lower()
    if name.endswith("."):
        name = name[:-1]
    labels = name.split(".")
    if not name or len(name) > 253 or not all(HOST_LABEL_RE.match(label) for label in labels):
        raise RouteError(f"hosts: {host!r} is not a valid host name (letters, digits, hyphens, dot-separated labels)")
    return name


def validate_service_url(url):
    shown = shown_url(url)
    if shown != url:
        raise RouteError(f"service_urls: {shown!r} holds credentials; backend URLs are scheme://host[:port] only")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise RouteError(f"service_urls: {url!r} is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RouteError(f"service_urls: {url!r} must be an http:// or https:// URL with a host")
    if parts.query or parts.fragment or parts.path not in ("", "/"):
        raise RouteError(f"service_urls: {url!r} must be scheme://host[:port] only (no path or query)")
    if port == 0 or any(char.isspace() for char in url):
        raise RouteError(f"service_urls: {url!r} is not a valid URL")
    try:
        ipaddress.ip_address(parts.hostname)
    except ValueError:
        if ":" in parts.hostname or parts.hostname.replace(".", "").isdigit():
            raise RouteError(f"service_urls: {url!r} does not hold a valid IP address") from None
        try:
            validate_host(parts.hostname)
        except RouteError:
            raise RouteError(f"service_urls: {url!r} does not hold a valid host name") from None
    return url


def validate_names(option, names, pattern):
    for name in names:
        if not pattern.match(name):
            raise RouteError(f"{option}: {name!r} is not a valid name")


def validate(params):
    """Check every option and return the normalised values; raises RouteError naming the option."""
    refuse_templating(params)
    if not NAME_RE.match(params["name"]):
        raise RouteError(f"name: {params['name']!r} must be lower case letters, digits and hyphens "
                         "(it names the file and the router)")
    if params["api_url"] is not None:
        parts = urlsplit(params["api_url"])
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RouteError(f"api_url: {shown_url(params['api_url'])!r} must be an http:// or https:// URL")
    if params["wait_timeout"] < 0:
        raise RouteError("wait_timeout: must not be negative")
    if params["state"] == "absent":
        return params
    for option in ("hosts", "entrypoints", "service_urls"):
        if not params[option]:
            raise RouteError(f"{option}: at least one value is required with state=present")
    normalised = dict(params)
    normalised["hosts"] = list(dict.fromkeys(validate_host(host) for host in params["hosts"]))
    for url in params["service_urls"]:
        validate_service_url(url)
    validate_names("entrypoints", params["entrypoints"], ENTRYPOINT_RE)
    validate_names("redirect_entrypoints", params["redirect_entrypoints"], ENTRYPOINT_RE)
    validate_names("middlewares", params["middlewares"], MIDDLEWARE_RE)
    if params["cert_resolver"] is not None:
        validate_names("cert_resolver", [params["cert_resolver"]], ENTRYPOINT_RE)
        if not params["tls"]:
            raise RouteError("cert_resolver: needs tls=true")
    if params["https_redirect"]:
        if not params["tls"]:
            raise RouteError("https_redirect: needs tls=true (the redirect sends clients to the TLS router)")
        if not params["redirect_entrypoints"]:
            raise RouteError("redirect_entrypoints: at least one plain HTTP entry point is needed for https_redirect")
        overlap = sorted(set(params["redirect_entrypoints"]) & set(params["entrypoints"]))
        if overlap:
            raise RouteError(f"redirect_entrypoints: {', '.join(overlap)} also in entrypoints; the redirect router "
                             "and the TLS router would compete for the same requests")
    return normalised


def rule_for(hosts):
    return " || ".join(f"Host(`{host}`)" for host in hosts)


def render(params):
    """The dynamic configuration as data: the routers, the service and the middlewares of the route."""
    name = params["name"]
    rule = rule_for(params["hosts"])
    middlewares = {}
    router_middlewares = []
    if params["security_headers"]:
        middlewares[f"{name}-security-headers"] = {"headers": dict(SECURITY_HEADERS)}
        router_middlewares.append(f"{name}-security-headers")
    router_middlewares.extend(params["middlewares"])
    router = {"rule": rule, "entryPoints": list(params["entrypoints"]), "service": name}
    if router_middlewares:
        router["middlewares"] = router_middlewares
    if params["tls"]:
        router["tls"] = {"certResolver": params["cert_resolver"]} if params["cert_resolver"] else {}
    routers = {name: router}
    if params["https_redirect"]:
        middlewares[f"{name}-https-redirect"] = {"redirectScheme": {"scheme": "https", "permanent": True}}
        # Traefik requires a service on every HTTP router; the redirect answers before it is used.
        routers[f"{name}-https-redirect"] = {
            "rule": rule, "entryPoints": list(params["redirect_entrypoints"]), "service": name,
            "middlewares": [f"{name}-https-redirect"],
        }
    http = {
        "routers": routers,
        "services": {name: {"loadBalancer": {
            "servers": [{"url": url} for url in params["service_urls"]],
            "passHostHeader": params["pass_host_header"],
        }}},
    }
    if middlewares:
        http["middlewares"] = middlewares
    return {"http": http}


def render_text(config):
    # indent puts every "{" on its own line, so the JSON never contains "{{" for Go templating to trip on.
    return HEADER + json.dumps(config, indent=2, sort_keys=True) + "\n"


def router_signature(router):
    """What must match between the rendered router and the one Traefik's API serves."""
    def qualify(middleware):
        return middleware if "@" in middleware else middleware + "@file"

    tls = router.get("tls")
    return {
        "rule": router.get("rule"),
        "entryPoints": sorted(router.get("entryPoints") or []),
        "service": re.sub(r"@file$", "", router.get("service") or ""),
        "middlewares": [qualify(m) for m in router.get("middlewares") or []],
        "tls": None if tls is None else (tls.get("certResolver") or None),
    }
