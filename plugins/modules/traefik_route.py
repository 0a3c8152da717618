# -*- coding: utf-8 -*-

# Copyright: (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: traefik_route
short_description: One Traefik HTTP route in a file watched by Traefik's file provider, confirmed through Traefik's API
version_added: 0.1.0
description:
  - Manages the file C(<directory>/<name>.yml) holding one router, its load-balancer service and its
    middlewares, in the directory watched by Traefik's file provider. Runs on the Traefik host.
  - The file is rendered from data, never from a text template, as JSON (which is YAML, so Traefik
    reads it as a C(.yml) file) below one comment line. JSON needs nothing beyond the Python standard
    library on the Traefik host, where PyYAML may be missing, and the output is the same on every host.
  - Traefik runs every dynamic configuration file through Go templating, so any value containing
    C({{) is refused, naming the option, before anything is written.
  - The rendered content is compared with the existing file and written only when it
    differs, so a hand-edited file is put back. The write is atomic, through a temporary file in the same
    directory whose name does not end in C(.yml), C(.yaml) or C(.toml) (Traefik ignores it), flushed
    to disk, then renamed into place. A new file gets mode C(0644); an existing file keeps its mode.
  - When O(api_url) is set, the module confirms through Traefik's API (C(GET <api_url>/api/http/routers/<name>@file))
    that Traefik serves the rendered router with status C(enabled) and no error, polling until the
    file provider has reloaded or O(wait_timeout) has passed. A router Traefik reports as disabled or
    erroneous fails the task with Traefik's own error text. This also runs when nothing changed and
    in check mode (read-only), so a check-mode run reports routes that Traefik does not serve.
  - In check mode with a pending change nothing is written, so the confirmation is skipped and the
    result says so.
  - With O(state=absent) the file is removed, then the module waits until Traefik's API no longer
    knows the router (HTTP 404).
  - Router names are global per provider. The route owns the router, service and middleware names
    C(<name>), C(<name>-https-redirect) and C(<name>-security-headers) in the C(file) provider; do
    not use these names in other files of the directory (when two files define one router, Traefik
    keeps the first, and the module fails because Traefik serves another definition).
options:
  name:
    description:
      - Base name of the file, the router and the service.
      - Lower case letters, digits and hyphens.
    type: str
    required: true
  state:
    description:
      - V(present) writes the route; V(absent) removes its file.
    type: str
    choices: [present, absent]
    default: present
  directory:
    description:
      - The directory Traefik's file provider watches (C(providers.file.directory)). It must exist.
    type: path
    required: true
  hosts:
    description:
      - Host names the router matches, as the rule V(Host(`a`\) || Host(`b`\)) (Traefik v3 syntax).
      - Required with O(state=present). Compared in lower case.
    type: list
    elements: str
  entrypoints:
    description:
      - Traefik entry points the router listens on (for example V(websecure) for TLS).
      - Required with O(state=present).
    type: list
    elements: str
  tls:
    description:
      - Terminate TLS on the router.
    type: bool
    default: false
  cert_resolver:
    description:
      - Name of the certificate resolver (for example an ACME resolver) that obtains the certificate.
      - Needs O(tls=true). Traefik does not report a resolver that does not exist through its API (only in its log),
        so the module cannot detect a misspelt name.
    type: str
  service_urls:
    description:
      - Backend URLs the load balancer forwards to, C(http://host[:port]) or C(https://host[:port]).
      - Required with O(state=present).
    type: list
    elements: str
  pass_host_header:
    description:
      - Forward the client's C(Host) header to the backend (ERPNext selects the site by it).
    type: bool
    default: true
  https_redirect:
    description:
      - Redirect plain HTTP to HTTPS. Needs O(tls=true).
      - A redirect on the TLS router itself would never see plain HTTP, so the module adds a second
        router C(<name>-https-redirect) with the same rule on O(redirect_entrypoints), using the
        middleware C(<name>-https-redirect) (C(redirectScheme) to C(https), permanent). The redirect
        goes to the standard HTTPS port 443.
    type: bool
    default: false
  redirect_entrypoints:
    description:
      - Plain HTTP entry points of the redirect router when O(https_redirect=true).
      - Must not overlap O(entrypoints).
    type: list
    elements: str
    default: [web]
  security_headers:
    description:
      - Add the middleware C(<name>-security-headers) to the router, placed before O(middlewares), setting
        C(Strict-Transport-Security) (one year, subdomains included; browsers honour it on HTTPS only),
        C(X-Content-Type-Options=nosniff), C(X-Frame-Options=SAMEORIGIN) (not C(DENY), because ERPNext
        frames its own pages, for example print previews) and C(Referrer-Policy=strict-origin-when-cross-origin).
    type: bool
    default: false
  middlewares:
    description:
      - Further middlewares the router uses, by name, in order, for example V(auth@file) or
        V(compress@docker). A name without C(@provider) refers to the C(file) provider.
    type: list
    elements: str
    default: []
  api_url:
    description:
      - Base URL of Traefik's API as reachable from the Traefik host, for example V(http://127.0.0.1:8080)
        (C(api.insecure) on an entry point bound to the loopback interface), without C(/api).
      - Omitted means no confirmation.
    type: str
  wait_timeout:
    description:
      - Seconds to wait for Traefik to load (or drop) the router. Traefik reloads a changed file after
        C(providers.providersThrottleDuration) (2 seconds by default).
    type: int
    default: 30
extends_documentation_fragment:
  - securenexus.provisioning._in_process
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Nothing is written; with O(api_url) and no pending change the router is still confirmed, read-only.
  diff_mode:
    support: full
    details: The diff is the file's content before and after.
  platform:
    platforms: posix
seealso:
  - name: Traefik file provider
    description: How Traefik reads dynamic configuration from a directory.
    link: https://doc.traefik.io/traefik/providers/file/
  - name: Traefik API
    description: The C(/api/http/routers) endpoints the confirmation reads.
    link: https://doc.traefik.io/traefik/operations/api/
author:
  - SecureNexus engineering (@securenexus)
"""

EXAMPLES = r"""
- name: Route the client's ERPNext site through Traefik, with HTTPS and a redirect from HTTP
  securenexus.provisioning.traefik_route:
    name: client-acme
    directory: /etc/traefik/dynamic
    hosts:
      - acme.erp.example.com
    entrypoints: [websecure]
    tls: true
    cert_resolver: letsencrypt
    https_redirect: true
    security_headers: true
    service_urls:
      - http://127.0.0.1:8000
    api_url: http://127.0.0.1:8080
  delegate_to: traefik_host

- name: Plain HTTP route with an existing middleware, no API confirmation
  securenexus.provisioning.traefik_route:
    name: intranet
    directory: /etc/traefik/dynamic
    hosts: [intranet.example.com, www.intranet.example.com]
    entrypoints: [web]
    service_urls: [http://10.0.0.5:8080, http://10.0.0.6:8080]
    middlewares: [office-only@file]

- name: Remove a route and wait until Traefik has dropped it
  securenexus.provisioning.traefik_route:
    name: client-acme
    state: absent
    directory: /etc/traefik/dynamic
    api_url: http://127.0.0.1:8080
"""

RETURN = r"""
route:
  description: The route as written (or as it would be, in check mode).
  returned: always
  type: dict
  contains:
    name:
      description: The route's name.
      type: str
      sample: client-acme
    file:
      description: Path of the dynamic configuration file.
      type: str
      sample: /etc/traefik/dynamic/client-acme.yml
    router:
      description: The router's name as Traefik's API shows it.
      type: str
      sample: client-acme@file
    rule:
      description: The router's rule; null with O(state=absent).
      type: str
      sample: Host(`acme.erp.example.com`)
    status:
      description:
        - The router's status confirmed through Traefik's API (V(enabled)).
        - Null when there was no confirmation (no O(api_url), check mode with a pending change, or O(state=absent)).
      type: str
      sample: enabled
msg:
  description: What happened, including when the confirmation through Traefik's API was skipped.
  returned: always
  type: str
  sample: route client-acme confirmed enabled by Traefik
"""

import functools
import ipaddress
import json
import os
import re
import stat
import tempfile
import time
from urllib.error import HTTPError
from urllib.parse import urlsplit

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.securenexus.provisioning.plugins.module_utils._http import http_open, tls_context
from ansible_collections.securenexus.provisioning.plugins.module_utils._module_spec import ModuleSpec

HEADER = "# Managed by Ansible (securenexus.provisioning.traefik_route); changes made here are overwritten.\n"
NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
HOST_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
ENTRYPOINT_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]*)$")
MIDDLEWARE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(?:@[A-Za-z0-9_-]+)?$")
POLL_INTERVAL = 0.2
REQUEST_TIMEOUT = 5

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "directory": {"type": "path", "required": True},
    "hosts": {"type": "list", "elements": "str"},
    "entrypoints": {"type": "list", "elements": "str"},
    "tls": {"type": "bool", "default": False},
    "cert_resolver": {"type": "str"},
    "service_urls": {"type": "list", "elements": "str"},
    "pass_host_header": {"type": "bool", "default": True, "no_log": False},
    "https_redirect": {"type": "bool", "default": False},
    "redirect_entrypoints": {"type": "list", "elements": "str", "default": ["web"]},
    "security_headers": {"type": "bool", "default": False},
    "middlewares": {"type": "list", "elements": "str", "default": []},
    "api_url": {"type": "str"},
    "wait_timeout": {"type": "int", "default": 30},
}


SECURITY_HEADERS = {
    "stsSeconds": 31536000,
    "stsIncludeSubdomains": True,
    "contentTypeNosniff": True,
    "customFrameOptionsValue": "SAMEORIGIN",
    "referrerPolicy": "strict-origin-when-cross-origin",
}


class RouteError(Exception):
    """Bad input or a failed confirmation; the message is shown to the user as is."""


class ApiNotReady(RouteError):
    """Traefik's API did not answer as Traefik's API (yet): polling goes on, the message is the last reason."""


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


def read_file(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write_atomically(path, content):
    """Temp file beside the target (a name Traefik ignores), fsync, keep the existing mode, rename."""
    directory, base = os.path.split(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o644
    fd, temp = tempfile.mkstemp(prefix=f".{base}.tmp-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.rename(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def run(params, check_mode, diff):
    params = validate(params)
    name = params["name"]
    directory = params["directory"]
    if not os.path.isdir(directory):
        raise RouteError(f"directory: {directory} does not exist or is not a directory "
                         "(it must be the directory Traefik's file provider watches)")
    path = os.path.join(directory, name + ".yml")
    api = TraefikApi(params["api_url"]) if params["api_url"] else None
    current = read_file(path)
    result = {"changed": False, "route": {"name": name, "file": path, "router": name + "@file",
                                          "rule": None, "status": None}}

    if params["state"] == "absent":
        result["changed"] = current is not None
        if diff:
            result["diff"] = {"before_header": path, "after_header": path,
                              "before": "" if current is None else current.decode("utf-8", "replace"), "after": ""}
        if result["changed"] and check_mode:
            result["msg"] = f"route {name} would be removed (check mode: Traefik's API not consulted)"
            return result
        if result["changed"]:
            os.unlink(path)
        if api:
            confirm_absent(api, [name, f"{name}-https-redirect"], directory, params["wait_timeout"])
            result["msg"] = f"route {name} is absent and Traefik no longer serves router {name}@file"
        else:
            result["msg"] = f"route {name} is absent"
        return result

    config = render(params)
    content = render_text(config).encode()
    routers = config["http"]["routers"]
    result["route"]["rule"] = routers[name]["rule"]
    result["changed"] = current != content
    if diff:
        result["diff"] = {"before_header": path, "after_header": path,
                          "before": "" if current is None else current.decode("utf-8", "replace"),
                          "after": content.decode()}
    if result["changed"] and check_mode:
        result["msg"] = (f"route {name} would be written; check mode: confirmation through Traefik's API skipped "
                         "because nothing was written")
        return result
    if result["changed"]:
        write_atomically(path, content)
    if api:
        result["route"]["status"] = confirm_present(api, routers, directory, params["wait_timeout"])
        result["msg"] = f"route {name} confirmed {result['route']['status']} by Traefik"
    else:
        result["msg"] = f"route {name} {'written' if result['changed'] else 'up to date'} (no api_url: not confirmed)"
    return result


def execute(params, check_mode, diff):
    try:
        return run(params, check_mode, diff)
    except RouteError as error:
        return {"failed": True, "changed": False, "msg": str(error)}
    except OSError as error:
        return {"failed": True, "changed": False,
                "msg": f"could not update the route file in {params['directory']}: {to_native(error)}"}


MODULE = ModuleSpec(ARGUMENT_SPEC, execute)


def main():
    MODULE.main()


if __name__ == "__main__":
    main()
