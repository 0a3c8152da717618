#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mail_login_check
short_description: Prove that a mailbox password logs in, with one IMAP login
version_added: 0.1.0
description:
  - Logs in to an IMAP server once with a mailbox's address and password, then logs out. In production that is
    Mailcow's own Dovecot, which asks Mailcow whether the password (or an app password) is valid for IMAP.
  - The login is tried exactly once and never retried, on any error. Mailcow bans an IP address after repeated
    failed logins (by default 10 in 10 minutes), on every port and for the API too; see C(docs/mail-login.md)
    of the collection for allow-listing the controller.
  - A login only reads, so the module logs in in check mode too. A password the server refuses fails the task,
    except in check mode, where it is reported as a change (the stored password no longer matches the
    mailbox, that is drift) with a diff from V(refused) to V(ok). A server that cannot be reached, or whose TLS
    certificate does not verify, fails the task in both modes.
  - The password never appears in results, messages or errors; the server's own answer does.
author:
  - SecureNexus engineering (@securenexus)
extends_documentation_fragment:
  - securenexus.provisioning._in_process
options:
  address:
    description:
      - The mailbox's login, its full address.
    type: str
    required: true
  password:
    description:
      - The password to prove.
    type: str
    required: true
  host:
    description:
      - The IMAP server, for Mailcow its mail hostname (C(MAILCOW_HOSTNAME)).
    type: str
    required: true
  port:
    description:
      - The IMAP port. Default V(993) with O(security=tls), else V(143).
    type: int
  security:
    description:
      - V(tls) connects with TLS from the start (IMAPS), V(starttls) upgrades a plain connection before logging in.
      - V(none) logs in without TLS, for a server on the local host only (the sandbox); the module warns for any
        other host, since the password then crosses the network in clear text.
    type: str
    choices: [tls, starttls, none]
    default: tls
  validate_certs:
    description:
      - Whether to verify the server's TLS certificate and name.
      - Set to V(false) only for tests; the module then warns on every run.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) that signed the server's certificate, for a private CA.
    type: path
  timeout:
    description:
      - Seconds to wait for the connection and for each answer of the server.
      - A server refusing a password answers only after its failure delay (Dovecot's is 2 seconds).
    type: int
    default: 30
attributes:
  check_mode:
    description: Logs in in check mode as well (a login changes nothing); a refused password is reported as drift.
    support: full
  diff_mode:
    description: A refused password shows as O(address) C(login) V(refused) before and V(ok) after.
    support: full
seealso:
  - module: securenexus.provisioning.mailcow_mailbox
"""

EXAMPLES = r"""
- name: Prove the stored mailbox password logs in to Mailcow's Dovecot
  securenexus.provisioning.mail_login_check:
    address: anna@byrne-accounts.org
    password: "{{ vault_mailbox_password }}"
    host: mail.example.org

- name: Against a local Dovecot without TLS (the sandbox)
  securenexus.provisioning.mail_login_check:
    address: anna@byrne-accounts.org
    password: "{{ vault_mailbox_password }}"
    host: 127.0.0.1
    port: 28143
    security: none
"""

RETURN = r"""
login:
  description: V(ok) when the server accepted the password, V(refused) when it did not (only in check mode; a real
    run fails instead).
  returned: always
  type: str
  sample: ok
address:
  description: The mailbox that logged in.
  returned: always
  type: str
  sample: anna@byrne-accounts.org
server:
  description: The server and port, and how the connection was secured.
  returned: always
  type: str
  sample: mail.example.org:993 (tls)
diff:
  description: Only when the password was refused in check mode.
  returned: when run with C(--diff) and the login was refused in check mode
  type: dict
  sample: {before: {address: anna@byrne-accounts.org, login: refused}, after: {address: anna@byrne-accounts.org, login: ok}}
"""

import imaplib
import socket

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import make_context

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "none": 143}

ARGUMENT_SPEC = dict(
    address=dict(type="str", required=True),
    password=dict(type="str", required=True, no_log=True),
    host=dict(type="str", required=True),
    port=dict(type="int"),
    security=dict(type="str", choices=["tls", "starttls", "none"], default="tls"),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    timeout=dict(type="int", default=30),
)


class Unreachable(Exception):
    pass


def _answer(error):
    """The server's words from an imaplib error (bytes or text), without Python's wrapping."""
    text = to_text(error.args[0] if error.args else error)
    return text[2:-1] if text.startswith(("b'", 'b"')) else text


def try_login(params):
    """One connection, one AUTHENTICATE PLAIN, one LOGOUT: True when accepted, False when refused.
    Raises Unreachable for anything that is not the server's verdict on the password."""
    host, port, security = params["host"], params["port"], params["security"]
    context = None
    if security != "none":
        context = make_context(cafile=params["ca_path"], validate_certs=params["validate_certs"])
    try:
        if security == "tls":
            conn = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=params["timeout"])
        else:
            conn = imaplib.IMAP4(host, port, timeout=params["timeout"])
            if security == "starttls":
                conn.starttls(ssl_context=context)
    except (OSError, imaplib.IMAP4.error) as error:
        raise Unreachable("cannot open an IMAP session with %s:%d (%s): %s" % (host, port, security, _answer(error)))
    try:
        credentials = b"\0" + params["address"].encode() + b"\0" + params["password"].encode()
        # PLAIN carries any UTF-8 password as it is; LOGIN would need quoting rules and ASCII.
        conn.authenticate("PLAIN", lambda challenge: credentials)
    except imaplib.IMAP4.abort as error:
        raise Unreachable("the IMAP server %s:%d dropped the session: %s" % (host, port, _answer(error)))
    except imaplib.IMAP4.error as error:
        return False, _answer(error)
    except (OSError, socket.timeout) as error:
        raise Unreachable("the IMAP server %s:%d did not answer the login: %s" % (host, port, _answer(error)))
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return True, None


def check(params, check_mode):
    """The module's result for one login attempt."""
    server = "%s:%d (%s)" % (params["host"], params["port"], params["security"])
    result = {"changed": False, "address": params["address"], "server": server}
    try:
        accepted, answer = try_login(params)
    except Unreachable as error:
        result.update(failed=True, login="unknown",
                      msg="login check of %s: %s; nothing was proven" % (params["address"], error))
        return result
    if accepted:
        result.update(login="ok", msg="%s logged in at %s" % (params["address"], server))
        return result
    text = ("the IMAP server %s refused the password of %s (%s). One attempt was made and none will be retried: "
            "repeated failures get the controller's address banned by Mailcow" % (server, params["address"], answer))
    result["login"] = "refused"
    if check_mode:
        result.update(changed=True, msg="drift: " + text,
                      diff={"before": {"address": params["address"], "login": "refused"},
                            "after": {"address": params["address"], "login": "ok"}})
    else:
        result.update(failed=True, msg=text)
    return result


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = dict(module.params)
    if params["port"] is None:
        params["port"] = DEFAULT_PORTS[params["security"]]
    if params["security"] == "none" and params["host"] not in LOCAL_HOSTS:
        module.warn("security=none sends the password of %s to %s in clear text" % (params["address"], params["host"]))
    if params["security"] != "none" and not params["validate_certs"]:
        module.warn("validate_certs=false: the certificate of %s is not verified" % params["host"])
    result = check(params, module.check_mode)
    if not module._diff:
        result.pop("diff", None)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
