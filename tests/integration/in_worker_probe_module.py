# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A module that fails, raises, dirties its process or reports it; test_in_worker.py installs it as probe.worker.probe."""

import os
import sys

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"mode": {"type": "str", "required": True},
                                          "secret": {"type": "str", "no_log": True}})
    mode = module.params["mode"]
    if mode == "fail":
        module.fail_json(msg="failed on purpose with %s" % module.params["secret"], secret_echo=module.params["secret"])
    if mode == "raise":
        raise RuntimeError("raised on purpose")
    if mode == "dirty":
        os.environ["PROBE_LEAK"] = "1"
        os.chdir("/")
        sys.argv.append("leaked")
        print("stray output before the result")
    module.exit_json(changed=False, cwd=os.getcwd(), leak=os.environ.get("PROBE_LEAK"), argv_leaked="leaked" in sys.argv,
                     pid=os.getpid())


if __name__ == "__main__":
    main()
