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

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.securenexus.provisioning.plugins.module_utils._files import read_file, write_atomically
from ansible_collections.securenexus.provisioning.plugins.module_utils._traefik import RouteError, render, render_text, validate
from ansible_collections.securenexus.provisioning.plugins.module_utils._traefik_api import (
    TraefikApi,
    confirm_absent,
    confirm_present,
)

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


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        module.exit_json(**run(module.params, module.check_mode, module._diff))
    except RouteError as error:
        module.fail_json(msg=str(error), changed=False)
    except OSError as error:
        module.fail_json(msg=f"could not update the route file in {module.params['directory']}: {to_native(error)}",
                         changed=False)


if __name__ == "__main__":
    main()
