"""Mailboxes (CONTRACT.md "Mailboxes")."""

import pytest
from mailcow_contract import PASSWORD, last_msg, unique_name

MIB = 1048576


def mailbox_body(domain, local_part="demo", **attrs):
    return {"local_part": local_part, "domain": domain, "name": "Demo User", "password": PASSWORD,
            "password2": PASSWORD, "quota": "512", "active": "1", "force_pw_update": "0", "sogo_access": "1", **attrs}


def test_add_mailbox_reports_rl_saved_then_mailbox_added_with_masked_passwords(api, sandbox):
    """[#37]"""
    domain = sandbox.domain()
    body = mailbox_body(domain)
    user = f"demo@{domain}"
    assert api.post("add/mailbox", body).json() == [
        {"type": "success", "log": ["ratelimit", "edit", "mailbox", {"object": user, "rl_frame": "s", "rl_value": ""}],
         "msg": ["rl_saved", user]},
        {"type": "success", "log": ["mailbox", "add", "mailbox", {**body, "password": "*", "password2": "*"}, None],
         "msg": ["mailbox_added", user]}]


def test_adding_an_existing_mailbox_is_object_exists(api, sandbox):
    """[#38]"""
    domain = sandbox.domain()
    user = sandbox.mailbox(domain, "demo")
    assert last_msg(api.post("add/mailbox", mailbox_body(domain))) == ["object_exists", user]


@pytest.mark.parametrize("passwords,msg", [(("S3cret-Passw0rd", "Other-Passw0rd"), "password_mismatch"),
                                           (("abc", "abc"), "password_complexity")])
def test_add_mailbox_password_checks(api, sandbox, passwords, msg):
    """[#39, #44] Reported by password_check, with its own log."""
    domain = sandbox.domain()
    body = mailbox_body(domain, password=passwords[0], password2=passwords[1])
    assert api.post("add/mailbox", body).json() == [{"type": "danger", "log": ["password_check", None, None],
                                                     "msg": msg}]


def test_add_mailbox_above_the_per_mailbox_maximum_is_mailbox_quota_exceeded(api, sandbox):
    """[#40] The argument is the domain's maxquota in MiB, an int."""
    domain = sandbox.domain()
    assert last_msg(api.post("add/mailbox", mailbox_body(domain, quota="3000"))) == ["mailbox_quota_exceeded", 2048]


def test_add_mailbox_beyond_the_domain_total_is_mailbox_quota_left_exceeded(api, sandbox):
    """[#41, #42] The argument is the MiB left in the domain."""
    domain = sandbox.domain(quota=4096, maxquota=4096, defquota=1024)
    sandbox.mailbox(domain, "big", quota=4096)
    assert last_msg(api.post("add/mailbox", mailbox_body(domain, "big2", quota="1024"))) == \
        ["mailbox_quota_left_exceeded", 0]


@pytest.mark.parametrize("body", [{"local_part": "bad name"}, {}])
def test_add_mailbox_with_bad_local_part_is_mailbox_invalid(api, sandbox, body):
    """[#43, #139]"""
    domain = sandbox.domain()
    full = {**mailbox_body(domain), **body} if body else {}
    assert last_msg(api.post("add/mailbox", full)) == "mailbox_invalid"


def test_add_mailbox_in_unknown_domain_is_access_denied(api):
    """[#45] Not domain_not_found."""
    assert last_msg(api.post("add/mailbox", mailbox_body(unique_name("absent")))) == "access_denied"


def test_add_mailbox_over_the_mailbox_limit_is_max_mailbox_exceeded(api, sandbox):
    """Domain "mailboxes" limit: [max_mailbox_exceeded, count, limit]."""
    domain = sandbox.domain(mailboxes=1)
    sandbox.mailbox(domain, "first")
    assert last_msg(api.post("add/mailbox", mailbox_body(domain, "second"))) == ["max_mailbox_exceeded", 1, 1]


def test_add_mailbox_over_an_existing_alias_is_is_alias(api, sandbox):
    """A mailbox cannot take an alias's address."""
    domain = sandbox.domain()
    sandbox.alias(f"taken@{domain}", "someone@external-example.net")
    assert last_msg(api.post("add/mailbox", mailbox_body(domain, "taken"))) == ["is_alias", f"taken@{domain}"]


@pytest.mark.parametrize("quota", [None, "0"])
def test_mailbox_quota_omitted_or_zero_is_unlimited(api, sandbox, quota):
    """[#46, #47, #53] Not the domain's defquota: quota 0, percent_in_use "- ", percent_class info."""
    domain = sandbox.domain()
    body = mailbox_body(domain, "unlimited")
    if quota is None:
        del body["quota"]
    else:
        body["quota"] = quota
    api.ok("add/mailbox", body)
    mailbox = api.get_json(f"get/mailbox/unlimited@{domain}")
    assert (mailbox["quota"], mailbox["percent_in_use"], mailbox["percent_class"]) == (0, "- ", "info")


def test_add_mailbox_accepts_json_ints(api, sandbox):
    """[#48]"""
    domain = sandbox.domain()
    api.ok("add/mailbox", mailbox_body(domain, "ints", quota=1024, active=1, force_pw_update=0, sogo_access=1))
    assert api.get_json(f"get/mailbox/ints@{domain}")["quota"] == 1024 * MIB


def test_get_mailbox_fields_and_types(api, sandbox):
    """[#51] Bytes, int flags, string attributes, no password."""
    domain = sandbox.domain()
    user = sandbox.mailbox(domain, "demo", name="Demo User", quota=512)
    mailbox = api.get_json(f"get/mailbox/{user}")
    assert (mailbox["username"], mailbox["local_part"], mailbox["domain"], mailbox["name"]) == \
        (user, "demo", domain, "Demo User")
    assert (mailbox["active"], mailbox["active_int"], mailbox["quota"], mailbox["quota_used"]) == (1, 1, 512 * MIB, 0)
    assert mailbox["percent_in_use"] == 0 and mailbox["percent_class"] == "success"
    attributes = mailbox["attributes"]
    assert {key: attributes[key] for key in ("force_pw_update", "sogo_access", "imap_access", "tls_enforce_in",
                                             "quarantine_notification", "quarantine_category")} == \
        {"force_pw_update": "0", "sogo_access": "1", "imap_access": "1", "tls_enforce_in": "0",
         "quarantine_notification": "hourly", "quarantine_category": "reject"}
    assert mailbox["custom_attributes"] == [] and mailbox["authsource"] == "mailcow"
    assert mailbox["created"] and mailbox["modified"] and mailbox["sender_acl"] == []
    assert mailbox["max_new_quota"] == 2048 * MIB
    assert not {"password", "password2"} & set(mailbox)


def test_get_unknown_mailbox_is_an_empty_object(api, sandbox):
    """[#52]"""
    domain = sandbox.domain()
    assert api.get_json(f"get/mailbox/nobody@{domain}") == {}


def test_per_domain_listing_and_reduced_listing(api, sandbox):
    """[#53, #54, #55] reduced drops max_new_quota, rl, rl_scope, spam_aliases, pushover_active, ..."""
    domain = sandbox.domain()
    user = sandbox.mailbox(domain, "big")
    full = api.get_json(f"get/mailbox/all/{domain}")
    reduced = api.get_json(f"get/mailbox/reduced/{domain}")
    assert [m["username"] for m in full] == [m["username"] for m in reduced] == [user]
    dropped = {"max_new_quota", "spam_aliases", "pushover_active", "rl", "rl_scope", "is_relayed", "sender_acl"}
    assert set(full[0]) - set(reduced[0]) == dropped
    assert user in [m["username"] for m in api.get_json("get/mailbox/all")]


def test_listing_mailboxes_of_a_domain_without_mailboxes_is_an_empty_object(api, sandbox):
    """[#49]"""
    assert api.get_json(f"get/mailbox/all/{sandbox.domain()}") == {}


def test_listing_mailboxes_of_an_unknown_domain_returns_every_mailbox(api, sandbox):
    """[#56] Always filter on `domain` client-side."""
    domain = sandbox.domain()
    user = sandbox.mailbox(domain)
    listed = api.get_json(f"get/mailbox/all/{unique_name('absent')}")
    assert user in [m["username"] for m in listed]


def test_edit_mailbox_changes_name_quota_active_and_password(api, sandbox):
    """[#58, #59] After an edit the attributes also carry recovery_email."""
    domain = sandbox.domain()
    user = sandbox.mailbox(domain, "demo")
    attr = {"name": "Demo Renamed", "quota": "1024", "active": "0", "password": "N3w-Passw0rd!",
            "password2": "N3w-Passw0rd!"}
    assert api.post("edit/mailbox", {"items": [user], "attr": attr}).json() == [
        {"type": "success", "log": ["mailbox", "edit", "mailbox",
                                    {"username": [user], **attr, "password": "*", "password2": "*"}, None],
         "msg": ["mailbox_modified", user]}]
    mailbox = api.get_json(f"get/mailbox/{user}")
    assert (mailbox["name"], mailbox["quota"], mailbox["active"]) == ("Demo Renamed", 1024 * MIB, 0)
    assert "recovery_email" in mailbox["attributes"]


def test_edit_mailbox_with_mismatched_passwords_changes_nothing(api, sandbox):
    """[#60]"""
    domain = sandbox.domain()
    user = sandbox.mailbox(domain)
    response = api.post("edit/mailbox", {"items": [user], "attr": {"name": "Changed", "password": "N3w-Passw0rd!",
                                                                   "password2": "nope-nope-nope"}})
    assert response.json() == [{"type": "danger", "log": ["password_check", None, None], "msg": "password_mismatch"}]
    assert api.get_json(f"get/mailbox/{user}")["name"] == "User"


def test_edit_mailbox_quota_too_high_is_mailbox_quota_left_exceeded(api, sandbox):
    """[#61] A different key than on add; the argument is the MiB the mailbox may have."""
    domain = sandbox.domain()
    user = sandbox.mailbox(domain)
    assert last_msg(api.post("edit/mailbox", {"items": [user], "attr": {"quota": "999999"}})) == \
        ["mailbox_quota_left_exceeded", 2048]


def test_edit_mailbox_accepts_items_as_a_string(api, sandbox):
    """[#62]"""
    domain = sandbox.domain()
    user = sandbox.mailbox(domain, active=0)
    assert last_msg(api.post("edit/mailbox", {"items": user, "attr": {"active": "1"}})) == ["mailbox_modified", user]
    assert api.get_json(f"get/mailbox/{user}")["active"] == 1


def test_edit_unknown_mailbox_is_access_denied(api, sandbox):
    """[#63]"""
    domain = sandbox.domain()
    assert last_msg(api.post("edit/mailbox", {"items": [f"nobody@{domain}"], "attr": {"name": "x"}})) == \
        "access_denied"


@pytest.mark.parametrize("as_string", [False, True])
def test_delete_mailbox_with_plain_array_or_bare_string(api, sandbox, as_string):
    """[#110, #111]"""
    domain = sandbox.domain()
    user = sandbox.mailbox(domain)
    assert api.post("delete/mailbox", user if as_string else [user]).json() == [
        {"type": "success", "log": ["mailbox", "delete", "mailbox", {"username": [user]}, None],
         "msg": ["mailbox_removed", user]}]
    assert api.get_json(f"get/mailbox/{user}") == {}


def test_deleting_several_mailboxes_reports_one_entry_each(api, sandbox):
    """[#112]"""
    domain = sandbox.domain()
    users = [sandbox.mailbox(domain, "a"), sandbox.mailbox(domain, "b")]
    assert [entry["msg"] for entry in api.post("delete/mailbox", users).json()] == \
        [["mailbox_removed", users[0]], ["mailbox_removed", users[1]]]


def test_delete_unknown_mailbox_is_access_denied(api, sandbox):
    """[#113]"""
    domain = sandbox.domain()
    assert last_msg(api.post("delete/mailbox", [f"nobody@{domain}"])) == "access_denied"


def test_delete_mailbox_with_items_object_is_access_denied_and_deletes_nothing(api, sandbox):
    """[#108, #109] The seed document's {"items": [...]} does not work."""
    domain = sandbox.domain()
    user = sandbox.mailbox(domain)
    assert api.post("delete/mailbox", {"items": [user]}).json() == [
        {"type": "danger", "log": ["mailbox", "delete", "mailbox", {"username": {"items": [user]}}, None],
         "msg": "access_denied"}]
    assert api.get_json(f"get/mailbox/{user}")["username"] == user


def test_deleting_a_mailbox_strips_it_from_alias_gotos_and_drops_emptied_aliases(api, sandbox):
    """[#114]"""
    domain = sandbox.domain()
    user = sandbox.mailbox(domain, "demo")
    only = sandbox.alias(f"only@{domain}", user)
    shared = sandbox.alias(f"shared@{domain}", f"{user},someone@external-example.net")
    api.ok("delete/mailbox", [user])
    assert api.get_json(f"get/alias/{only}") == {}
    remaining = api.get_json(f"get/alias/{shared}")
    assert remaining["goto"] == "someone@external-example.net" and remaining["modified"] is not None


def test_a_mailbox_own_alias_row_is_never_listed(api, sandbox):
    """Each mailbox owns a hidden self-alias row; alias listings do not show it."""
    domain = sandbox.domain()
    user = sandbox.mailbox(domain)
    assert api.get_json(f"get/alias/all/{domain}") == {}
    assert api.get_json(f"get/alias/{user}") == {}
