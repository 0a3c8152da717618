"""What the playbooks refuse, and deprovisioning, against a stack on free ports."""

import pytest

from tests.integration.conftest import ROLE_CLIENTS, start_client_stack, stop_client_stack


def test_an_unknown_client_fails_at_once_naming_the_known_clients(client_stack):
    client_stack.mailcow.control.reset_counters()
    run = client_stack.run("provision_client.yml", extra_vars={"client": "initech"})
    assert run.rc != 0
    assert "Unknown client(s): initech. Known clients: acme, globex." in run.output
    assert client_stack.mailcow.control.counters()["writes"] == 0
    assert not client_stack.credentials_dir.exists()


def test_a_host_that_is_not_a_client_is_refused(client_stack):
    run = client_stack.run("provision_client.yml", extra_vars={"client": "erpnext_host"})
    assert run.rc != 0
    assert "Unknown client(s): erpnext_host." in run.output


@pytest.fixture
def invalid_stack(tmp_path):
    clients = dict(ROLE_CLIENTS)
    clients["initech"] = {
        "client_subdomain": "Bad_Sub",
        "client_domain": "not a domain",
        "client_plan": "starter",
        "client_mailbox_quota": 999999,
        "client_extra_aliases": ["billing", "bad alias", "support"],
    }
    clients["hooli"] = {"client_plan": "gold", "client_subdomain": "globex"}
    clients["umbrella"] = {"client_plan": "starter", "client_mailbox": "support-globex"}
    stack = start_client_stack(tmp_path, clients)
    yield stack
    stop_client_stack(stack)


def test_preflight_reports_every_problem_of_a_client_at_once_and_changes_nothing(invalid_stack):
    invalid_stack.mailcow.control.reset_counters()
    run = invalid_stack.run("provision_client.yml", extra_vars={"client": "initech,hooli"})
    assert run.rc != 0
    initech = next(line for line in run.output.splitlines() if "Client initech is not valid" in line)
    for problem in ("client_subdomain 'Bad_Sub' is not a valid DNS label",
                    "client_domain 'not a domain' is not a domain name",
                    "the mailbox quota 999999 MiB is over the starter plan's max_mailbox_quota of 4096 MiB",
                    "alias names are not valid local parts: bad alias",
                    "alias names appear more than once (client_aliases + client_extra_aliases): support"):
        assert problem in initech, initech
    hooli = next(line for line in run.output.splitlines() if "Client hooli is not valid" in line)
    assert "client_plan 'gold' is not a known plan (known: enterprise, professional, starter)" in hooli
    assert "client_subdomain 'globex' is also used by client globex" in hooli
    assert invalid_stack.mailcow.control.counters()["writes"] == 0
    assert not invalid_stack.credentials_dir.exists()
    assert list(invalid_stack.traefik.dynamic_dir.iterdir()) == []


def test_each_client_of_a_run_is_told_its_clashes_with_clients_in_and_outside_the_run(invalid_stack):
    run = invalid_stack.run("provision_client.yml", extra_vars={"client": "hooli,umbrella"})
    assert run.rc != 0
    hooli = next(line for line in run.output.splitlines() if "Client hooli is not valid" in line)
    assert ("addresses in byrne-accounts.org clash with client globex: globex@byrne-accounts.org, "
            "support-globex@byrne-accounts.org, info-globex@byrne-accounts.org, "
            "financial-globex@byrne-accounts.org, sales-globex@byrne-accounts.org, "
            "accounts-globex@byrne-accounts.org") in hooli
    assert "addresses in byrne-accounts.org clash with client umbrella: support-globex@byrne-accounts.org" in hooli
    umbrella = next(line for line in run.output.splitlines() if "Client umbrella is not valid" in line)
    assert ("2 problem(s): "
            "(1) addresses in byrne-accounts.org clash with client globex: support-globex@byrne-accounts.org; "
            "(2) addresses in byrne-accounts.org clash with client hooli: support-globex@byrne-accounts.org") in umbrella


def test_deprovision_without_confirm_refuses_and_changes_nothing(client_stack):
    client_stack.mailcow.control.reset_counters()
    run = client_stack.run("deprovision_client.yml", extra_vars={"client": "acme"})
    assert run.rc != 0
    assert "Deprovisioning acme needs -e confirm=acme" in run.output
    wrong = client_stack.run("deprovision_client.yml", extra_vars={"client": "acme", "confirm": "globex"})
    assert wrong.rc != 0
    assert client_stack.mailcow.control.counters()["writes"] == 0


def test_deprovision_removes_the_route_archives_the_site_and_deactivates_mail(client_stack):
    provisioned = client_stack.run("provision_client.yml", extra_vars={"client": "acme"})
    assert provisioned.rc == 0, provisioned.output

    run = client_stack.run("deprovision_client.yml", extra_vars={"client": "acme", "confirm": "acme"})
    assert run.rc == 0, run.output
    assert client_stack.site_ping("acme.byrne-accounts.org")[0] == 404
    assert list(client_stack.traefik.dynamic_dir.iterdir()) == []
    assert not (client_stack.bench_dir / "sites" / "acme.byrne-accounts.org").exists()
    assert (client_stack.bench_dir / "archived" / "sites" / "acme.byrne-accounts.org").is_dir()
    assert client_stack.mailcow_get("mailbox/acme@acmecorp.com")["active"] == 0
    assert all(a["active"] == 0 for a in client_stack.mailcow_get("alias/all/acmecorp.com"))
    assert client_stack.mailcow_get("domain/acmecorp.com")

    again = client_stack.run("deprovision_client.yml", extra_vars={"client": "acme", "confirm": "acme"})
    assert again.rc == 0, again.output
    assert "changed=0" in next(line for line in again.stdout.splitlines() if line.startswith("acme "))


def test_deprovision_with_delete_mail_data_deletes_mailbox_aliases_and_domain(client_stack):
    provisioned = client_stack.run("provision_client.yml", extra_vars={"client": "acme"})
    assert provisioned.rc == 0, provisioned.output

    run = client_stack.run("deprovision_client.yml",
                           extra_vars={"client": "acme", "confirm": "acme", "delete_mail_data": True})
    assert run.rc == 0, run.output
    assert client_stack.mailcow_get("mailbox/acme@acmecorp.com") == {}
    assert not client_stack.mailcow_get("alias/all/acmecorp.com")
    assert client_stack.mailcow_get("domain/acmecorp.com") == {}
