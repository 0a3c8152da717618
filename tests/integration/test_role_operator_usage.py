"""The client role run the way operators really run it: -e strings, tags, check mode, removal paths."""

import re

import pytest

from tests.integration.conftest import ROLE_CLIENTS, start_client_stack, stop_client_stack


def recap(run, host):
    match = re.search(rf"^{host}\s+:\s+(.*)$", run.stdout, re.M)
    assert match, run.output
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


def sheet_of(stack, client):
    return (stack.credentials_dir / client / "SETUP.md").read_text()


@pytest.mark.parametrize("extra_vars", [None, {"confirm": "acme"}], ids=["nothing", "only-confirm"])
def test_deprovision_without_a_client_names_the_known_clients(client_stack, extra_vars):
    run = client_stack.run("deprovision_client.yml", extra_vars=extra_vars)
    assert run.rc != 0
    assert "Name the client to deprovision with -e client=NAME (one of: acme, globex)." in run.output
    assert "undefined" not in run.output


def test_provisioning_with_client_state_absent_needs_the_confirmation_and_changes_nothing(client_stack):
    provisioned = client_stack.run("provision_client.yml", extra_vars={"client": "acme"})
    assert provisioned.rc == 0, provisioned.output
    client_stack.mailcow.control.reset_counters()

    run = client_stack.run("provision_client.yml", extra_vars={"client": "acme", "client_state": "absent"})
    assert run.rc != 0
    assert "Deprovisioning acme needs -e confirm=acme (got nothing)" in run.output
    assert client_stack.mailcow.control.counters()["writes"] == 0
    assert client_stack.site_ping("acme.byrne-accounts.org")[0] == 200


def test_check_mode_of_a_removal_without_confirmation_shows_the_plan_and_the_missing_confirmation(client_stack):
    provisioned = client_stack.run("provision_client.yml", extra_vars={"client": "acme"})
    assert provisioned.rc == 0, provisioned.output
    client_stack.mailcow.control.reset_counters()

    run = client_stack.run("deprovision_client.yml", extra_vars={"client": "acme"}, check=True)
    assert run.rc == 0, run.output
    assert "a real run needs -e confirm=acme (got nothing)" in run.output
    assert recap(run, "acme")["changed"] > 0, run.output
    assert client_stack.mailcow.control.counters()["writes"] == 0
    assert client_stack.site_ping("acme.byrne-accounts.org")[0] == 200


def test_booleans_given_as_strings_on_the_command_line_work_for_provisioning_and_deprovisioning(client_stack):
    run = client_stack.run("provision_client.yml", "-e", "client_mailcow_manage_base_domain=no",
                           extra_vars={"client": "acme"})
    assert run.rc == 0, run.output
    assert client_stack.mailcow_get("domain/byrne-accounts.org") == {}

    removed = client_stack.run("deprovision_client.yml", "-e", "client_delete_mail_data=false",
                               extra_vars={"client": "acme", "confirm": "acme"})
    assert removed.rc == 0, removed.output
    assert client_stack.mailcow_get("mailbox/acme@acmecorp.com")["active"] == 0


@pytest.fixture
def unusual_stack(tmp_path):
    """acme's own domain spelt in capitals, globex's extra aliases as one comma-separated string."""
    clients = {
        "acme": dict(ROLE_CLIENTS["acme"], client_domain="AcmeCorp.com"),
        "globex": dict(ROLE_CLIENTS["globex"], client_extra_aliases="billing,invoices"),
    }
    stack = start_client_stack(tmp_path, clients)
    yield stack
    stop_client_stack(stack)


def test_extra_aliases_given_as_one_string_are_a_comma_separated_list(unusual_stack):
    run = unusual_stack.run("provision_client.yml", "--tags", "client_preflight", extra_vars={"client": "globex"},
                            check=True)
    assert run.rc == 0, run.output
    assert "billing-globex@byrne-accounts.org, invoices-globex@byrne-accounts.org" in run.output


def test_a_domain_in_capitals_is_provisioned_lower_case_and_the_sheet_holds_no_local_path(unusual_stack):
    run = unusual_stack.run("provision_client.yml", extra_vars={"client": "acme"})
    assert run.rc == 0, run.output
    assert unusual_stack.mailcow_get("domain/acmecorp.com")["domain_name"] == "acmecorp.com"
    dkim = unusual_stack.mailcow_get("dkim/acmecorp.com")["dkim_txt"]
    sheet = sheet_of(unusual_stack, "acme")
    assert f"| `dkim._domainkey.acmecorp.com.` | TXT | `{dkim}` |" in sheet
    assert "AcmeCorp" not in sheet
    assert str(unusual_stack.root) not in sheet


def test_the_setup_sheet_tag_alone_rewrites_nothing_of_a_provisioned_client(client_stack):
    provisioned = client_stack.run("provision_client.yml", extra_vars={"client": "acme"})
    assert provisioned.rc == 0, provisioned.output
    before = sheet_of(client_stack, "acme")

    run = client_stack.run("provision_client.yml", "--tags", "client_setup_sheet", extra_vars={"client": "acme"})
    assert run.rc == 0, run.output
    assert recap(run, "acme")["changed"] == 0, run.output
    assert sheet_of(client_stack, "acme") == before


def test_the_setup_sheet_tag_alone_refuses_to_write_a_sheet_without_its_dkim_record(client_stack):
    run = client_stack.run("provision_client.yml", "--tags", "client_setup_sheet", extra_vars={"client": "acme"})
    assert run.rc != 0
    assert "the DKIM record of acmecorp.com" in run.output
    assert not (client_stack.credentials_dir / "acme" / "SETUP.md").exists()


def test_check_mode_predicts_exactly_the_changes_the_real_run_makes_for_a_new_own_domain(client_stack):
    check = client_stack.run("provision_client.yml", extra_vars={"client": "acme"}, check=True)
    assert check.rc == 0, check.output
    real = client_stack.run("provision_client.yml", extra_vars={"client": "acme"})
    assert real.rc == 0, real.output
    assert recap(check, "acme")["changed"] == recap(real, "acme")["changed"], check.output + real.output
