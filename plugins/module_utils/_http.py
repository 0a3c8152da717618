# -*- coding: utf-8 -*-
# Copyright (c) 2026, SecureNexus engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: this module_util may change or disappear in any release,
# without a deprecation period. Do not import it from other collections.

"""HTTP requests that reuse one TLS context.

ansible's open_url builds a new TLS context for every request, loading the system's CA certificates
each time (30 to 60 ms), even for http://: most of the cost of a read from a local API. ``tls_context``
builds each kind of context once per process, and a client passes it to every ``http_open``; a process
forked after it was built (Ansible's workers, see plugin_utils/_in_worker.py) inherits it.
"""

from __future__ import annotations

import functools
import ssl
from urllib.parse import urlsplit

from ansible.module_utils.urls import Request, make_context


def tls_context(url, validate_certs=True, ca_path=None):
    """The TLS context for requests to ``url``, as open_url would build it.

    The callers never follow redirects, so a client of an http:// URL never needs TLS: it gets a
    context with no CA certificates, which verifies nothing and so would refuse any TLS connection.
    """
    return _shared_context(urlsplit(url).scheme == "https", validate_certs, ca_path)


# Contexts are not changed after they are made, so requests with the same settings can share one.
@functools.lru_cache(maxsize=None)
def _shared_context(https, validate_certs, ca_path):
    if https:
        return make_context(cafile=ca_path, validate_certs=validate_certs)
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def http_open(url, method=None, **options):
    """ansible's open_url, plus the ``context`` option that only Request.open takes."""
    return Request().open(method, url, **options)
