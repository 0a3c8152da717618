"""The physical limit of a drift check: one Python process doing only its HTTP reads.

One GET per managed object (the base domain once; per client its domain, DKIM key, mailbox and
5 aliases), sequential, on one reused connection, with no comparison logic worth the name. It
reports whether every object was found, so a run on an unprovisioned server is visible.

    MAILCOW_API_KEY=... python -m benchmarks.drift_reads --api-url URL --clients 200 --base-domain D
"""

import argparse
import http.client
import json
import os
import sys
import time
import urllib.parse

from .naming import ALIASES, client_domain, client_names


def paths(size, base_domain):
    yield f"get/domain/{base_domain}"
    for name in client_names(size):
        domain = client_domain(name)
        yield f"get/domain/{domain}"
        yield f"get/dkim/{domain}"
        yield f"get/mailbox/{name}@{domain}"
        for alias in ALIASES:
            yield f"get/alias/{alias}@{domain}"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.drift_reads")
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--base-domain", required=True)
    args = parser.parse_args(argv)
    key = os.environ.get("MAILCOW_API_KEY")
    if not key:
        parser.error("set MAILCOW_API_KEY")
    url = urllib.parse.urlsplit(args.api_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    started = time.perf_counter()
    reads = missing = 0
    for path in paths(args.clients, args.base_domain):
        connection.request("GET", f"/api/v1/{path}", headers={"X-API-Key": key, "Accept": "application/json"})
        response = connection.getresponse()
        body = response.read()
        reads += 1
        if response.status != 200 or json.loads(body or b"{}") in ({}, [], None):
            missing += 1
    elapsed = time.perf_counter() - started
    json.dump({"reads": reads, "missing": missing, "http_s": round(elapsed, 4)}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
