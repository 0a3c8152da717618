# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this doc fragment may change or disappear in any release,
# without a deprecation period. Do not use it from other collections.

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of the Mailcow server, for example V(https://mail.example.org).
      - With or without a trailing slash or C(/api/v1).
      - An C(http://) URL to anything but the local host gives a warning, because the API key then
        travels in clear text.
      - If not set, the value of the E(MAILCOW_API_URL) environment variable is used. That is the
        environment of the host the module runs on, usually the controller (C(delegate_to=localhost)).
    type: str
    required: true
  api_key:
    description:
      - Read-write API key of the Mailcow server (System > Configuration > Access > API).
      - The _info modules also work with a read-only key.
      - If not set, the value of the E(MAILCOW_API_KEY) environment variable is used.
      - A rejected key is never retried, because Mailcow bans IP addresses that keep failing to authenticate.
    type: str
    required: true
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url).
      - Set to V(false) only for tests; the module then warns on every run.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) that signed the certificate of O(api_url), for a private CA.
    type: path
  timeout:
    description:
      - Seconds to wait for each API request.
      - Reads that fail on the network, time out or get a server error are retried twice, after 0.5 and 1 seconds, so
        a Mailcow that does not answer at all fails a read after about 3 x O(timeout) + 1.5 seconds (93 seconds with
        the default), and the message gives the number of attempts and the time they took. Writes are never sent
        twice. After a failed write the module reads the object again and succeeds if the write took effect.
    type: int
    default: 30
notes:
  - Mailcow answers most failures with HTTP 200; the modules read every message of the answer and
    fail with the operation, the object, Mailcow's message key and an explanation.
  - The API key and passwords never appear in results, diffs, warnings or errors.
"""

    ATTRIBUTES = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and predict the changed status and the resulting object without changing Mailcow.
    support: full
  diff_mode:
    description: Returns the object before and after the change (in the option names and units) when run with C(--diff).
    support: full
"""

    ACTION_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/securenexus.provisioning.mailcow) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - securenexus.provisioning.mailcow
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode.
    support: full
    details:
      - Only reads from Mailcow, so check mode behaves exactly like a normal run.
  diff_mode:
    description: Returns details on what has changed when run with C(--diff).
    support: N/A
    details:
      - Nothing is changed, so there is nothing to diff.
"""

    # The password options of the objects whose password Mailcow never returns.
    WRITE_ONLY_PASSWORD = r"""
options:
  password:
    description:
      - The password. Required to create the object.
      - Mailcow never returns it (or only a hash of it), so it cannot be compared; see O(update_password). It never
        appears in the result, the diff or an error message.
    type: str
  update_password:
    description:
      - V(on_create) sends O(password) only when the object is created.
      - V(always) sends O(password) on every run, so the task always reports a change when O(password)
        is given; the diff shows C(password) as V((changed\)), never the value.
    type: str
    choices: [on_create, always]
    default: on_create
"""
