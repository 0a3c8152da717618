"""The TSIG secret with which the role publishes DNS records stays out of every output: -vvv runs,
--diff drift reports, a failed update, deprovisioning, the junit and tree reports and the log file."""

import pytest

from tests.named_server import enable_dns, start_named
from tests.reliability.conftest import VAULT_PASSWORD

ZONE = "acmecorp.com"
# Every module result then carries its invocation, as before ansible-core 2.21: no_log must mask it.
INVOCATION = {"ANSIBLE_INJECT_INVOCATION": "true"}
WRONG_SECRET = "d3Jvbmctc2VjcmV0LW9mLXRoZS1zYW1lLWxlbmd0aDE="


@pytest.fixture
def dns_workspace(workspace, tmp_path):
    server = start_named(tmp_path / "named", [ZONE])
    workspace.set_clients({"acme": {"client_domain": ZONE}})
    enable_dns(workspace.inventory, server, VAULT_PASSWORD)
    workspace.tsig_secret = server.secret
    yield workspace, server
    server.stop()


def test_publishing_drift_failure_and_removal_leak_no_tsig_secret(dns_workspace):
    space, server = dns_workspace
    assert space.run(client="acme", env=INVOCATION).rc == 0, space.runs[-1].output[-3000:]
    server.update(ZONE, ("replace", f"_dmarc.{ZONE}.", "TXT", '"v=DMARC1; p=none"'))
    drift = space.run("provision_client.yml", "--check", "--diff", client="acme", env=INVOCATION)
    assert drift.rc == 0 and f"-_dmarc.{ZONE}. TXT v=DMARC1; p=none" in drift.stdout
    enable_dns(space.inventory, server, VAULT_PASSWORD, secret=WRONG_SECRET)
    refused = space.run(client="acme", env=INVOCATION)
    assert refused.rc != 0 and "BADSIG" in refused.output
    enable_dns(space.inventory, server, VAULT_PASSWORD)
    gone = space.run("deprovision_client.yml", client="acme", extra_vars={"confirm": "acme"},
                     env=INVOCATION)
    assert gone.rc == 0, gone.output[-3000:]

    assert space.leaks() == []
    assert not [run for run in space.runs if WRONG_SECRET in run.output]
