"""The client role's preflight: the check of a client definition and every name derived from it."""

from pathlib import Path
from unittest import mock

import pytest
import yaml
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.securenexus.provisioning.plugins.action.client_preflight import (
    ActionModule,
    claims,
    find_clashes,
    normalise_domain,
    preflight,
    role_options,
)

ROLE = Path(__file__).resolve().parents[4] / "roles" / "client"
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())


def definition(name="acme", **variables):
    """A client's variables as the role sees them: the role defaults, templated for this client, then ``variables``."""
    raw = dict(DEFAULTS, client_name=name, client_subdomain=name, client_display_name=name,
               client_mail_hostname="mail.byrne-accounts.org",
               client_webmail_url="https://mail.byrne-accounts.org/SOGo/",
               client_credentials_dir="/srv/inventory/credentials",
               client_mailcow_api_url="https://mail.byrne-accounts.org")
    raw.update(variables)
    return raw


def checked(name="acme", check_mode=False, clashes=(), **variables):
    client, problems, warnings = preflight(definition(name, **variables), clashes, check_mode)
    return client, problems, warnings


def valid(name="acme", **variables):
    client, problems, dummy = checked(name, **variables)
    assert problems == []
    return client


# ---------------------------------------------------------------------------------------------
# Derived names


def test_a_client_in_the_base_domain_gets_suffixed_alias_addresses_and_its_site():
    client = valid("globex")
    assert client["mailbox_address"] == "globex@byrne-accounts.org"
    assert client["alias_addresses"] == [f"{a}-globex@byrne-accounts.org"
                                         for a in ("support", "info", "financial", "sales", "accounts")]
    assert client["own_domain"] is False and client["domain"] is None and client["domain_settings"] == {}
    assert client["site_name"] == "globex.byrne-accounts.org"
    assert client["site_url"] == "https://globex.byrne-accounts.org"
    assert client["credentials_file"] == "/srv/inventory/credentials/globex.vault.yml"
    assert client["setup_sheet"] == "/srv/inventory/credentials/globex/SETUP.md"


def test_a_client_with_its_own_domain_gets_plain_aliases_and_the_plan_limits_of_its_domain():
    client = valid(client_domain="acmecorp.com", client_plan="professional", client_display_name="ACME")
    assert client["mailbox_address"] == "acme@acmecorp.com"
    assert client["alias_addresses"][0] == "support@acmecorp.com"
    assert client["domain_settings"] == {"description": "ACME (professional plan)", "mailboxes": 25, "aliases": 200,
                                         "defquota": 10240, "maxquota": 20480, "quota": 51200}
    assert client["dkim"] == {"selector": "dkim", "key_size": 2048, "record_name": "dkim._domainkey.acmecorp.com"}
    assert client["mailbox_quota"] == 10240


def test_a_domain_is_normalised_to_lower_case_and_punycode():
    assert normalise_domain("AcmeCorp.com") == "acmecorp.com"
    assert normalise_domain("Bücher.de") == "xn--bcher-kva.de"
    client = valid(client_domain="AcmeCorp.COM", client_base_domain="Byrne-Accounts.org")
    assert client["domain"] == "acmecorp.com" and client["mailbox_address"] == "acme@acmecorp.com"
    assert client["site_name"] == "acme.byrne-accounts.org"


def test_a_route_without_tls_has_neither_certificate_resolver_nor_redirect():
    client = valid(client_traefik_tls=False, client_public_scheme="http", client_public_port=8081)
    assert client["route"] == {"name": "client-acme", "hosts": ["acme.byrne-accounts.org"], "tls": False,
                               "cert_resolver": None, "https_redirect": False}
    assert client["site_url"] == "http://acme.byrne-accounts.org:8081"


def test_the_mailbox_local_part_defaults_to_the_subdomain():
    assert valid(client_subdomain="acme-shop")["mailbox_address"] == "acme-shop@byrne-accounts.org"
    assert valid(client_mailbox="office")["mailbox_address"] == "office@byrne-accounts.org"


# ---------------------------------------------------------------------------------------------
# One conversion rule for every variable: the role's argument spec types


@pytest.mark.parametrize("aliases", ["billing,invoices", ["billing", "invoices"]])
def test_a_list_variable_given_as_a_comma_separated_string_is_a_list(aliases):
    client = valid(client_extra_aliases=aliases)
    assert client["alias_names"][-2:] == ["billing", "invoices"]


@pytest.mark.parametrize("text, expected", [("no", False), ("false", False), ("0", False),
                                            ("yes", True), ("true", True), ("1", True)])
def test_a_boolean_given_as_a_string_is_a_boolean(text, expected):
    client = valid(client_mailcow_manage_base_domain=text, client_delete_mail_data=text, client_traefik_tls=text)
    assert client["manage_base_domain"] is expected
    assert client["delete_mail_data"] is expected
    assert client["route"]["tls"] is expected


def test_a_number_given_as_a_string_is_a_number():
    assert valid(client_mailbox_quota="1024")["mailbox_quota"] == 1024


def test_a_value_that_does_not_convert_is_refused_naming_the_variable():
    dummy, problems, dummy = checked(client_extra_aliases={"billing": 1}, client_delete_mail_data="maybe")
    assert any("client_extra_aliases" in problem for problem in problems), problems
    assert any("client_delete_mail_data" in problem for problem in problems), problems


def test_every_variable_read_is_an_option_of_the_role_and_no_secret_is_read():
    options = role_options()
    assert "client_extra_aliases" in options and options["client_extra_aliases"]["type"] == "list"
    assert "client_mailcow_api_key" not in options and "client_erpnext_db_root_password" not in options


# ---------------------------------------------------------------------------------------------
# Problems, all at once


def test_every_problem_of_a_definition_is_reported_at_once():
    dummy, problems, dummy = checked("initech", client_subdomain="Bad_Sub", client_domain="not a domain",
                                     client_mailbox_quota=999999, client_extra_aliases=["billing", "bad alias",
                                                                                        "support"])
    assert problems == [
        "client_subdomain 'Bad_Sub' is not a valid DNS label (lower-case letters, digits and inner '-', at most 63 "
        "characters)",
        "client_domain 'not a domain' is not a domain name (labels of letters, digits and inner '-' separated by "
        "dots, like acmecorp.com)",
        "the mailbox quota 999999 MiB is over the starter plan's max_mailbox_quota of 4096 MiB",
        "the mailbox local part 'Bad_Sub' (client_mailbox, default client_subdomain) is not a valid local part",
        "alias names are not valid local parts: bad alias",
        "alias names appear more than once (client_aliases + client_extra_aliases): support",
    ]


def test_an_unknown_plan_names_the_known_ones():
    dummy, problems, dummy = checked(client_plan="gold")
    assert problems == ["client_plan 'gold' is not a known plan (known: enterprise, professional, starter)"]


def test_a_plan_override_of_an_unknown_key_or_a_bad_value_is_refused():
    dummy, problems, dummy = checked(client_plan_overrides={"domain_mailboxes": 0, "mailboxes": 3})
    assert problems[0].startswith("client_plan_overrides sets unknown plan keys: mailboxes")
    assert "plan value domain_mailboxes must be a positive whole number (got 0)" in problems


def test_an_own_domain_inside_the_base_domain_is_refused():
    dummy, problems, dummy = checked(client_domain="shop.Byrne-Accounts.org")
    assert problems == ["client_domain 'shop.byrne-accounts.org' is the base domain or inside it; leave "
                        "client_domain undefined to use the base domain"]


def test_the_mailbox_quota_of_a_base_domain_client_is_held_to_the_base_domain_maxquota():
    dummy, problems, dummy = checked(client_plan="enterprise", client_mailbox_quota=51200,
                                     client_base_domain_settings={"maxquota": 4096})
    assert problems == ["the mailbox quota 51200 MiB is over the base domain's maxquota of 4096 MiB"]


def test_an_own_domain_client_cannot_have_more_aliases_than_its_plan_allows_or_an_alias_named_like_its_mailbox():
    dummy, problems, dummy = checked(client_domain="acmecorp.com", client_plan_overrides={"domain_aliases": 2},
                                     client_mailbox="info")
    assert problems == ["5 aliases are more than the starter plan's domain_aliases of 2",
                        "the mailbox local part 'info' is also an alias name"]


# ---------------------------------------------------------------------------------------------
# Removal needs the client's name as confirmation


def test_a_removal_without_confirmation_fails_a_real_run():
    client, problems, dummy = checked(client_state="absent")
    assert client is None
    assert problems == ["Deprovisioning acme needs -e confirm=acme (got nothing): it removes the route, archives "
                        "the site and deactivates mail"]


def test_a_removal_confirmed_with_another_name_fails_and_says_so():
    dummy, problems, dummy = checked(client_state="absent", client_confirm="globex", client_delete_mail_data=True)
    assert problems == ["Deprovisioning acme needs -e confirm=acme (got globex): it removes the route, archives "
                        "the site and DELETES all mail data"]


def test_a_removal_without_confirmation_in_check_mode_warns_and_lets_the_plan_show():
    client, problems, warnings = checked(client_state="absent", check_mode=True)
    assert problems == [] and client["confirmed"] is False
    assert warnings == ["check mode shows what deprovisioning would do; a real run needs -e confirm=acme "
                        "(got nothing)"]


def test_a_confirmed_removal_passes():
    client = valid(client_state="absent", client_confirm="acme")
    assert client["confirmed"] is True


# ---------------------------------------------------------------------------------------------
# Clashes between clients


def claim(name, **variables):
    raw = {"client_name": name, "client_aliases": DEFAULTS["client_aliases"], "client_base_domain": "byrne-accounts.org"}
    raw.update(variables)
    return claims(raw)


def test_clients_claiming_the_same_subdomain_domain_or_address_are_told_each_other_in_inventory_order():
    everyone = {
        "globex": claim("globex"),
        "hooli": claim("hooli", client_subdomain="globex"),
        "umbrella": claim("umbrella", client_mailbox="support-globex"),
        "acme": claim("acme", client_domain="AcmeCorp.com"),
        "initech": claim("initech", client_domain="acmecorp.com"),
    }
    clashes = find_clashes(everyone, ["umbrella", "initech", "acme"])
    assert clashes["umbrella"] == [
        {"client": "globex", "subdomain": False, "domain": False, "addresses": ["support-globex@byrne-accounts.org"]},
        {"client": "hooli", "subdomain": False, "domain": False, "addresses": ["support-globex@byrne-accounts.org"]},
    ]
    assert clashes["initech"] == [{"client": "acme", "subdomain": False, "domain": True, "addresses": []}]
    assert "globex" not in clashes


def test_a_clash_becomes_one_problem_per_kind_naming_the_other_client():
    clashes = [{"client": "globex", "subdomain": True, "domain": False,
                "addresses": ["globex@byrne-accounts.org", "support-globex@byrne-accounts.org"]}]
    dummy, problems, dummy = checked("hooli", client_subdomain="globex", clashes=clashes)
    assert problems == ["client_subdomain 'globex' is also used by client globex",
                        "addresses in byrne-accounts.org clash with client globex: globex@byrne-accounts.org, "
                        "support-globex@byrne-accounts.org"]


# ---------------------------------------------------------------------------------------------
# The action plugin


def make_action(args, check_mode=False):
    loader = DataLoader()
    task = Task()
    task.args = dict(args)
    task.check_mode = check_mode
    return ActionModule(task, mock.MagicMock(), PlayContext(), loader, Templar(loader=loader), None)


def test_the_action_reads_the_running_clients_variables_and_returns_the_normalised_client():
    task_vars = dict(definition("acme", client_domain="AcmeCorp.com"), inventory_hostname="acme")
    result = make_action({"check": "client"}).run(task_vars=task_vars)
    assert result["changed"] is False
    assert result["client"]["mailbox_address"] == "acme@acmecorp.com"
    assert result["msg"] == ("Client acme: definition valid (starter plan, mailbox acme@acmecorp.com, "
                             "site acme.byrne-accounts.org)")


def test_the_action_fails_with_every_problem_in_one_message():
    task_vars = dict(definition("acme", client_plan="gold", client_subdomain="-x"), inventory_hostname="acme")
    with pytest.raises(AnsibleActionFail) as failure:
        make_action({"check": "client"}).run(task_vars=task_vars)
    assert str(failure.value.message).startswith("Client acme is not valid; nothing was changed. 3 problem(s): (1) ")


def test_the_clash_step_reads_clients_outside_the_batch_and_lets_their_unset_variables_default():
    hostvars = {"globex": {}, "hooli": {"client_subdomain": "globex"}, "acme": {"client_domain": "acmecorp.com"}}
    task_vars = {"ansible_play_batch": ["hooli", "acme"], "groups": {"clients": ["acme", "globex", "hooli"]},
                 "hostvars": hostvars, "client_aliases": ["support"], "client_base_domain": "byrne-accounts.org"}
    result = make_action({"check": "clashes"}).run(task_vars=task_vars)
    assert result["clashes"] == {"hooli": [{"client": "globex", "subdomain": True, "domain": False,
                                            "addresses": ["globex@byrne-accounts.org",
                                                          "support-globex@byrne-accounts.org"]}]}


# ---------------------------------------------------------------------------------------------
# App passwords and the domain administrator


def test_app_passwords_get_sorted_protocols_and_a_secret_each_in_the_credentials_file():
    client = valid(client_app_passwords=[{"name": "phone", "protocols": ["smtp", "imap", "smtp"]}])
    assert client["app_passwords"] == [{"name": "phone", "protocols": ["imap", "smtp"], "secret": "app_password_phone"}]
    assert client["secret_names"] == ["mailbox_password", "erpnext_admin_password", "erpnext_user_password",
                                      "app_password_phone"]


def test_a_domain_admin_of_an_own_domain_is_named_after_the_domain_and_gets_its_password():
    client = valid(client_domain="AcmeCorp.com", client_domain_admin=True)
    assert client["domain_admin"] == {"username": "acmecorp.com-admin", "wanted": True}
    assert client["secret_names"][-1] == "domain_admin_password"


def test_an_own_domain_without_a_domain_admin_still_names_it_for_its_removal_but_makes_no_secret():
    client = valid(client_domain="acmecorp.com")
    assert client["domain_admin"] == {"username": "acmecorp.com-admin", "wanted": False}
    assert "domain_admin_password" not in client["secret_names"]


def test_a_domain_admin_in_the_shared_base_domain_is_refused():
    dummy, problems, dummy = checked(client_domain_admin=True)
    assert problems == ["client_domain_admin needs the client's own domain (client_domain): a domain administrator of "
                        "the shared base domain byrne-accounts.org would manage every other client's mail there"]


@pytest.mark.parametrize("entries, fragment", [
    ([{"name": "My Phone", "protocols": ["imap"]}], "entry 1: name 'My Phone' must be lower-case"),
    ([{"name": "phone", "protocols": []}], "entry 1 (phone): protocols must be a non-empty list"),
    ([{"name": "phone", "protocols": ["imap_access"]}], "entry 1 (phone): protocols must be a non-empty list"),
    ([{"name": "phone", "protocols": ["imap"], "password": "x"}], "entry 1 (phone) has unknown keys: password"),
    ([{"name": "phone", "protocols": ["imap"]}, {"name": "phone", "protocols": ["smtp"]}],
     "client_app_passwords names appear more than once: phone"),
])
def test_bad_app_password_entries_are_refused_naming_the_entry(entries, fragment):
    dummy, problems, dummy = checked(client_app_passwords=entries)
    assert len(problems) == 1 and fragment in problems[0], problems


def test_app_password_entries_of_the_wrong_shape_are_refused_not_crashed_on():
    dummy, problems, dummy = checked(client_app_passwords=[{"name": ["x"], "protocols": [["imap"]], 3: 1}])
    assert len(problems) == 3, problems
