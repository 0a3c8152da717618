#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: erpnext_site_info
short_description: Read whether a Frappe/ERPNext site exists, its setup and one of its users, through bench
version_added: 0.2.0
description:
  - Says whether bench knows a site and, when it does, what M(securenexus.provisioning.erpnext_setup) reads on it
    (setup wizard, company, scheduler, the user O(user)), in one bench command (C(bench --site SITE execute), the
    same read as M(securenexus.provisioning.erpnext_setup)'s).
  - Changes nothing; passwords are never read (frappe keeps hashes only).
author:
  - SecureNexus engineering (@securenexus)
extends_documentation_fragment:
  - securenexus.provisioning._bench
attributes:
  check_mode:
    support: full
    details: It only reads, in check mode as otherwise.
  diff_mode:
    support: none
options:
  site:
    description: The site name (the directory C(sites/<site>) of the bench).
    type: str
    required: true
  user:
    description: The login (mail address) of a user whose state to return as C(user) in RV(setup).
    type: str
  timeout:
    description: Seconds the bench command may run.
    type: int
    default: 300
seealso:
  - module: securenexus.provisioning.erpnext_site
  - module: securenexus.provisioning.erpnext_setup
"""

EXAMPLES = r"""
- name: Does ACME's site exist, and its client's user?
  securenexus.provisioning.erpnext_site_info:
    site: acme.erp.example.org
    user: anna@acme.example.org
  register: __acme_site

- name: Say so
  ansible.builtin.debug:
    msg: "{{ 'no site' if not __acme_site.exists else 'user missing' if __acme_site.setup.user is none else 'both there' }}"
"""

RETURN = r"""
exists:
  description: Whether bench knows the site.
  returned: always
  type: bool
  sample: true
setup:
  description:
    - The site's setup in the shape of M(securenexus.provisioning.erpnext_setup)'s RV(setup); empty when the site
      does not exist. Its C(user) is V(null) when O(user) is not given or has no account on the site.
  returned: always
  type: dict
  sample:
    setup_complete: true
    scheduler: true
    user: {enabled: true, full_name: Anna Schmidt, roles: [Accounts Manager, System Manager], send_welcome_email: false}
commands:
  description: The bench command the task ran.
  returned: always
  type: list
  elements: str
  sample: ["bench --site acme.erp.example.org execute exec --args ..."]
"""

from ansible_collections.securenexus.provisioning.plugins.module_utils import _erpnext_setup as setup
from ansible_collections.securenexus.provisioning.plugins.module_utils._bench import BENCH_ARGUMENT_SPEC, BenchError, BenchRunner, run_bench_module

ARGUMENT_SPEC = dict(
    site=dict(type="str", required=True),
    user=dict(type="str"),
    **BENCH_ARGUMENT_SPEC,
    timeout=dict(type="int", default=300),
)


def execute(params, _check_mode, _diff, run_command):
    if params["timeout"] <= 0:
        return dict(failed=True, msg="Invalid options: timeout must be a positive number of seconds", commands=[])
    runner = BenchRunner(run_command, params["bench_command"], params["bench_path"], params["timeout"])
    try:
        state = setup.read_state(runner, params["site"], setup.state_params(user=params["user"]))
    except BenchError as error:
        return dict(failed=True, msg=str(error), commands=runner.calls)
    return dict(changed=False, exists=state is not None, setup=state or {}, commands=runner.calls)


def main():
    run_bench_module(ARGUMENT_SPEC, execute)


if __name__ == "__main__":
    main()
