"""The sandbox's DNS service: `python -m sandbox.ctl up dns` starts a real named on the port
SANDBOX_DNS_PORT names, serving the sandbox clients' own zones; `down` stops it."""

import os
import subprocess
import sys

import dns.message
import dns.query

from sandbox import named
from tests.conftest import ROOT, free_port


def ctl(*args, env):
    return subprocess.run([sys.executable, "-m", "sandbox.ctl", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_up_serves_the_clients_zones_over_udp_and_tcp_on_its_own_port(tmp_path):
    port = free_port()
    env = dict(os.environ, SANDBOX_STATE_DIR=str(tmp_path / "state"), SANDBOX_DNS_PORT=str(port))
    started = ctl("up", "dns", env=env)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        query = dns.message.make_query("acmecorp.com", "TXT")
        over_udp = dns.query.udp(query, "127.0.0.1", port=port, timeout=5)
        over_tcp = dns.query.tcp(query, "127.0.0.1", port=port, timeout=5)
        assert [r.to_text() for rrset in over_udp.answer for r in rrset] == [f'"{named.FOREIGN_APEX_TXT}"']
        assert over_tcp.answer == over_udp.answer
        assert ctl("status", "dns", env=env).returncode == 0
    finally:
        stopped = ctl("down", "dns", env=env)
    assert stopped.returncode == 0 and "dns stopped" in stopped.stdout
    assert ctl("status", "dns", env=env).returncode == 1
