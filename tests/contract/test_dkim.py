"""DKIM (CONTRACT.md "DKIM")."""

import base64

from cryptography.hazmat.primitives.serialization import load_der_public_key
from mailcow_contract import last_msg, unique_name


def test_get_dkim_of_a_new_domain_shows_the_automatic_key(api, sandbox):
    """[#95] pubkey is base64 DER; length is a string; dkim_txt carries the key."""
    domain = sandbox.domain(key_size=2048)
    dkim = api.get_json(f"get/dkim/{domain}")
    assert (dkim["length"], dkim["dkim_selector"], dkim["privkey"]) == ("2048", "dkim", "")
    assert dkim["dkim_txt"] == "v=DKIM1;k=rsa;t=s;s=email;p=" + dkim["pubkey"]
    assert load_der_public_key(base64.b64decode(dkim["pubkey"])).key_size == 2048


def test_get_dkim_without_key_is_an_empty_object(api):
    """[#96]"""
    assert api.get_json(f"get/dkim/{unique_name('absent')}") == {}


def test_delete_then_add_dkim(api, sandbox):
    """[#97, #98, #99]"""
    domain = sandbox.domain()
    assert api.post("delete/dkim", [domain]).json() == [
        {"type": "success", "log": ["dkim", "delete", {"domains": [domain]}], "msg": ["dkim_removed", domain]}]
    assert api.get_json(f"get/dkim/{domain}") == {}
    body = {"domains": domain, "dkim_selector": "s2026", "key_size": "1024"}
    assert api.post("add/dkim", body).json() == [{"type": "success", "log": ["dkim", "add", body],
                                                  "msg": ["dkim_added", domain]}]
    dkim = api.get_json(f"get/dkim/{domain}")
    assert (dkim["dkim_selector"], dkim["length"]) == ("s2026", "1024")
    assert load_der_public_key(base64.b64decode(dkim["pubkey"])).key_size == 1024


def test_add_dkim_when_a_key_exists_is_dkim_domain_or_sel_invalid(api, sandbox):
    """[#100]"""
    domain = sandbox.domain()
    assert last_msg(api.post("add/dkim", {"domains": domain, "dkim_selector": "dkim", "key_size": "1024"})) == \
        ["dkim_domain_or_sel_invalid", domain]


def test_delete_dkim_with_items_object_is_an_empty_200_and_keeps_the_key(api, sandbox):
    """[#102]"""
    domain = sandbox.domain()
    response = api.post("delete/dkim", {"items": [domain]})
    assert (response.status_code, response.content) == (200, b"")
    assert api.get_json(f"get/dkim/{domain}")["dkim_selector"] == "dkim"


def test_add_dkim_for_a_domain_not_in_mailcow_is_access_denied(api):
    """[#103, #104]"""
    name = unique_name("absent")
    assert last_msg(api.post("add/dkim", {"domains": name, "dkim_selector": "s2024", "key_size": "1024"})) == \
        ["access_denied", name]
    assert api.get_json(f"get/dkim/{name}") == {}


def test_delete_dkim_of_a_domain_without_key_still_reports_dkim_removed(api):
    """[#105]"""
    name = unique_name("absent")
    assert last_msg(api.post("delete/dkim", [name])) == ["dkim_removed", name]
