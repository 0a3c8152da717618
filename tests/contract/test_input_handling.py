"""How the real server treats unusual input (issue 16's list of emulator differences).

Each test runs against both servers: [real] proves the rule, [emulator] that the emulator keeps it.
"""

import requests
from mailcow_contract import PASSWORD, last_msg

EXTERNAL = "someone@external-example.net"


def messages(response):
    assert response.status_code == 200, response.text
    return [(entry["type"], entry["msg"]) for entry in response.json()]


def test_null_attributes_count_as_absent_so_the_template_defaults_apply(api, sandbox):
    domain = sandbox.domain(quota=None, maxquota=None)
    details = api.get_json(f"get/domain/{domain}")
    assert (details["max_quota_for_domain"], details["max_quota_for_mbox"]) == (10240 * 1048576, 10240 * 1048576)


def test_edit_mailbox_with_a_null_quota_keeps_the_quota(api, sandbox):
    address = sandbox.mailbox(sandbox.domain())
    api.ok("edit/mailbox", {"items": [address], "attr": {"quota": None}})
    assert api.get_json(f"get/mailbox/{address}")["quota"] == 512 * 1048576


def test_display_names_lose_angle_brackets_but_keep_spaces(api, sandbox):
    domain = sandbox.domain()
    bracketed = sandbox.mailbox(domain, "brackets", name="<<Desk>>")
    spaced = sandbox.mailbox(domain, "spaces", name=" Desk ")
    assert api.get_json(f"get/mailbox/{bracketed}")["name"] == "Desk"
    assert api.get_json(f"get/mailbox/{spaced}")["name"] == " Desk "


def test_a_tab_separates_no_gotos(api, sandbox):
    domain = sandbox.domain()
    response = api.post("add/alias", {"address": f"tab@{domain}", "goto": f"a@{domain}\tb@{domain}", "active": 1})
    assert messages(response) == [("danger", ["goto_invalid", f"a@{domain}\tb@{domain}"])]


def test_a_goto_list_starting_with_a_separator_is_goto_empty(api, sandbox):
    domain = sandbox.domain()
    response = api.post("add/alias", {"address": f"lead@{domain}", "goto": f",{EXTERNAL}", "active": 1})
    assert messages(response) == [("danger", "goto_empty")]


def test_dkim_keys_live_under_the_domain_exactly_as_sent(api, sandbox):
    domain = sandbox.domain()
    upper = domain.upper()
    try:
        assert messages(api.post("add/dkim", {"domains": upper, "key_size": 1024})) == \
            [("success", ["dkim_added", upper])]
        assert api.get_json(f"get/dkim/{upper}")["pubkey"] != api.get_json(f"get/dkim/{domain}")["pubkey"]
        api.ok("delete/dkim", [domain])
        assert api.get_json(f"get/dkim/{domain}") == {}
        assert api.get_json(f"get/dkim/{upper}")["dkim_selector"] == "dkim"
    finally:
        api.post("delete/dkim", [upper])


def test_dkim_accepts_keys_from_512_bits_and_labels_them_by_the_public_key_length(api, sandbox):
    domain = sandbox.domain(key_size=0)
    assert messages(api.post("add/dkim", {"domains": domain, "key_size": 384})) == \
        [("danger", ["dkim_domain_or_sel_invalid", domain])]
    api.ok("add/dkim", {"domains": domain, "key_size": 512})
    assert api.get_json(f"get/dkim/{domain}")["length"] == "1024"
    api.ok("delete/dkim", [domain])
    api.ok("add/dkim", {"domains": domain, "key_size": 1536})
    assert api.get_json(f"get/dkim/{domain}")["length"] == "1024"


def test_an_alias_whose_goto_is_itself_is_stored_but_no_read_shows_it(api, sandbox):
    domain = sandbox.domain()
    response = api.post("add/alias", {"address": f"Self@{domain}", "goto": f"self@{domain}", "active": 1})
    assert messages(response)[-1][1][:2] == ["alias_added", f"Self@{domain}"]
    assert api.get_json(f"get/alias/Self@{domain}") == {}
    assert api.get_json(f"get/alias/all/{domain}") in ([], {})
    assert api.get_json(f"get/domain/{domain}")["aliases_in_domain"] == 1


def test_an_address_equal_to_the_last_goto_is_added_anyway(api, sandbox):
    domain = sandbox.domain()
    response = api.post("add/alias", {"address": f"loop@{domain}", "goto": f"{EXTERNAL},loop@{domain}", "active": 1})
    assert messages(response)[-1][1][:2] == ["alias_added", f"loop@{domain}"]


def test_edit_alias_drops_a_goto_equal_to_the_alias_and_applies_the_rest(api, sandbox):
    domain = sandbox.domain()
    alias_id = sandbox.alias(f"team@{domain}", EXTERNAL)
    response = api.post("edit/alias", {"items": [alias_id], "attr": {"goto": f"team@{domain},other@{domain}"}})
    assert messages(response) == [("danger", "alias_goto_identical"), ("success", ["alias_modified", f"team@{domain}"])]
    assert api.get_json(f"get/alias/{alias_id}")["goto"] == f"other@{domain}"


def test_renaming_an_alias_into_a_missing_domain_is_access_denied(api, sandbox):
    domain = sandbox.domain()
    alias_id = sandbox.alias(f"move@{domain}", EXTERNAL)
    response = api.post("edit/alias", {"items": [alias_id], "attr": {"address": "move@missing-domain.example"}})
    assert messages(response) == [("danger", "access_denied")]


def test_a_domain_with_aliases_minus_one_still_accepts_aliases(api, sandbox):
    domain = sandbox.domain(aliases=-1)
    assert sandbox.alias(f"more@{domain}", EXTERNAL)


def test_is_relayed_mirrors_the_domains_backupmx(api, sandbox):
    domain = sandbox.domain(backupmx=1)
    assert api.get_json(f"get/mailbox/{sandbox.mailbox(domain)}")["is_relayed"] == 1


def test_protocol_access_as_a_string_switches_the_other_protocols_off(api, sandbox):
    address = sandbox.mailbox(sandbox.domain(), protocol_access="imap")
    attributes = api.get_json(f"get/mailbox/{address}")["attributes"]
    assert [attributes[f"{p}_access"] for p in ("imap", "pop3", "smtp", "sieve", "eas", "dav")] == \
        ["1", "0", "0", "0", "0", "0"]


def test_deleting_a_mailbox_leaves_a_goto_entry_in_another_case_and_echoes_the_address(api, sandbox):
    domain = sandbox.domain()
    address = sandbox.mailbox(domain, "desk")
    alias_id = sandbox.alias(f"team@{domain}", f"Desk@{domain},{EXTERNAL}")
    assert last_msg(api.post("delete/mailbox", [address.upper()])) == ["mailbox_removed", address.upper()]
    assert api.get_json(f"get/alias/{alias_id}")["goto"] == f"Desk@{domain},{EXTERNAL}"


def test_a_get_with_a_json_body_to_add_reaches_the_method_check(api):
    response = api.request("GET", "add/domain", {"domain": "never-added.example"})
    assert (response.status_code, response.json()) == (405, {"type": "error", "msg": "only POST method is allowed"})


def test_a_form_encoded_attr_field_is_processed(api, sandbox):
    domain = sandbox.domain()
    response = requests.post(api.url + "add/alias", headers={"X-API-Key": api.key}, timeout=60,
                             data={"attr": f'{{"address": "form@{domain}", "goto": "{EXTERNAL}", "active": 1}}'})
    assert messages(response)[-1][1][:2] == ["alias_added", f"form@{domain}"]


def test_a_request_that_crashes_keeps_what_it_wrote_before(api, sandbox):
    domain = sandbox.domain()
    name = "crash-" + domain
    sandbox.domains.append(name)
    response = api.post("add/domain", {"domain": name, "tags": ["dup", "dup"], "key_size": 0})
    assert (response.status_code, response.content) == (200, b"")
    assert api.get_json(f"get/domain/{name}")["domain_name"] == name


def test_edit_domain_with_a_number_too_big_for_the_column_is_an_empty_200_and_stores_nothing(api, sandbox):
    domain = sandbox.domain()
    response = api.post("edit/domain", {"items": [domain], "attr": {"aliases": 10**19, "description": "changed"}})
    assert (response.status_code, response.content) == (200, b"")
    assert api.get_json(f"get/domain/{domain}")["description"] == "contract test"


def test_add_mailbox_password_is_stored_as_a_hash_that_verifies(mailcow_api, sandbox):
    address = sandbox.mailbox(sandbox.domain())
    assert mailcow_api.control.verify(address, PASSWORD)
    assert not mailcow_api.control.verify(address, PASSWORD + "x")
