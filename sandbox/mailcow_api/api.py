"""The HTTP layer: Mailcow's json_api.php (auth, body parsing, dispatch, envelopes) on Flask.

Check order as in the real server: API key (401) -> Sec-Fetch-Dest (403) -> JSON body (400) ->
per action: rights (403), attributes present (200 "Cannot find attributes"), method (405),
category (404), then the business function, which always answers HTTP 200.
"""

import ipaddress
import re
from dataclasses import dataclass

from flask import Flask, Response, request

from . import accounts, auth, control, objects, php

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
MISSING = object()


@dataclass(frozen=True)
class ApiKey:
    key: str
    read_only: bool = False
    allow_from: tuple = ()  # empty: skip_ip_check = 1

    def allows(self, address):
        if not self.allow_from:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if getattr(ip, "ipv4_mapped", None):
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.allow_from)


def error(status, msg, content_type="application/json"):
    return Response(php.encode({"type": "error", "msg": msg}), status, content_type=content_type)


def json_reply(body, pretty=False):
    return Response(php.encode_pretty(body) if pretty else php.encode(body), 200, content_type="application/json")


def empty_reply(status=200):
    return Response(b"", status, content_type="application/json")


def _form_json(name):
    """A form field json_api.php json_decode()s; None (PHP null) when it is not valid JSON."""
    try:
        return php.decode(request.form[name])
    except ValueError:
        return None


def read_body(action):
    """(payload, error response): what json_api.php puts into $_POST for this action, MISSING if unset.

    A JSON content type makes it read the body whatever the method (a GET with a body to add/edit/
    delete gets as far as the method check: 405); a form-encoded POST fills $_POST itself, with
    `attr` and `items` as JSON text. For edit the payload is {"items": ..., "attr": ...}.
    """
    content_type = request.headers.get("Content-Type", "")
    if "application/json" in content_type:
        try:
            payload = php.decode(request.get_data().decode("utf-8"))
        except ValueError:
            payload = None
        if action == "get":
            return MISSING, None
        if payload is None:
            return MISSING, error(400, "Request body doesn't contain valid json!")
        if action == "edit":
            payload = payload if isinstance(payload, dict) else {}
            return {"items": payload.get("items"), "attr": payload.get("attr")}, None
        return payload, None
    if request.method != "POST" or action not in ("add", "edit", "delete"):
        return MISSING, None
    fields = {"add": "attr", "edit": "attr", "delete": "items"}
    if fields[action] not in request.form:
        return MISSING, None
    if action == "edit":
        return {"items": _form_json("items") if "items" in request.form else None, "attr": _form_json("attr")}, None
    return _form_json(fields[action]), None


def mutation_reply(call, returned=True, failure="Cannot add item"):
    if call.messages:
        return json_reply(call.messages)
    if returned is False:
        return json_reply({"type": "error", "msg": failure})
    return json_reply({"type": "success", "msg": "Task completed"})


class MailcowApi:
    def __init__(self, store, keys, dkim_generator=objects.generate_rsa):
        self.store = store
        self.keys = {key.key: key for key in keys}
        self.dkim_generator = dkim_generator

    # -- entry point -------------------------------------------------------------------------

    def handle(self, query):
        raw_key = request.headers.get("X-API-Key", "")
        authenticated = read_only = False
        if raw_key:
            key = self.keys.get(re.sub(r"[^a-zA-Z0-9-]", "", raw_key))
            if key is None:
                return error(401, "authentication failed", "text/html; charset=UTF-8")
            if not key.allows(request.remote_addr):
                return error(401, f"api access denied for ip {request.remote_addr}", "text/html; charset=UTF-8")
            authenticated, read_only = True, key.read_only
        fetch_dest = request.headers.get("Sec-Fetch-Dest")
        if fetch_dest is not None and fetch_dest != "empty":
            return empty_reply(403)
        parts = (query.split("/") + ["", "", "", ""])[:4]
        action, category, obj, extra = parts
        payload, bad_body = read_body(action)
        if bad_body is not None:
            return bad_body
        call = objects.Call(authenticated)
        try:
            if action == "get":
                return self.get(category, obj, extra, authenticated)
            if action == "add":
                if read_only:
                    return error(403, "API read/write access denied")
                return self.add(call, category, payload)
            if action in ("edit", "delete"):
                if read_only or not authenticated:
                    return error(403, "API read/write access denied")
                return self.edit(call, category, payload) if action == "edit" else \
                    self.delete(call, category, obj, extra, payload)
        except objects.PhpCrash:
            return empty_reply()
        return error(404, "route not found")

    # -- get -----------------------------------------------------------------------------------

    def get(self, category, obj, extra, authenticated):
        if request.method != "GET":
            return error(405, "only GET method is allowed")
        if not authenticated:
            return empty_reply()
        tags = request.args.get("tags")
        with self.store.connection() as conn:
            if category == "domain":
                data = objects.get_domains(conn, tags) if obj == "all" else objects.get_domain(conn, obj)
            elif category == "mailbox":
                if obj in ("all", "reduced"):
                    data = objects.get_mailboxes(conn, extra, obj == "reduced", tags)
                elif tags is not None:
                    return json_reply(objects.get_mailboxes_like(conn, obj, tags), pretty=True)
                else:
                    data = objects.get_mailbox(conn, obj)
            elif category == "alias":
                data = objects.get_aliases(conn, extra) if obj == "all" else objects.get_alias(conn, obj)
            elif category == "dkim":
                data = objects.get_dkim(conn, obj)
            elif category == "app-passwd":
                if obj != "all":
                    # json_api.php reads $object['id'] of the path string: a TypeError.
                    raise objects.PhpCrash
                data = accounts.get_app_passwds(conn, extra)
            elif category == "domain-admin":
                data = accounts.get_domain_admins(conn) if obj == "all" else accounts.domain_admin_details(conn, obj)
            elif category == "status" and obj == "version":
                data = {"version": "2026-07a"}
            else:
                return error(404, "route not found")
        return json_reply(data or {}, pretty=True)

    # -- add -----------------------------------------------------------------------------------

    def add(self, call, category, payload):
        if payload is MISSING:
            return error(200, "Cannot find attributes in post data")
        if request.method != "POST":
            return error(405, "only POST method is allowed")
        handlers = {
            "domain": lambda conn, data: objects.add_domain(call, conn, data, self.dkim_generator),
            "mailbox": lambda conn, data: objects.add_mailbox(call, conn, data),
            "alias": lambda conn, data: objects.add_alias(call, conn, data),
            "dkim": lambda conn, data: objects.add_dkim(call, conn, data, self.dkim_generator),
            "app-passwd": lambda conn, data: accounts.add_app_passwd(call, conn, data),
            "domain-admin": lambda conn, data: accounts.add_domain_admin(call, conn, data),
        }
        if category not in handlers:
            return error(404, "route not found")
        with self.store.write() as conn:
            handlers[category](conn, payload)
        return mutation_reply(call)

    # -- edit ----------------------------------------------------------------------------------

    def edit(self, call, category, payload):
        if payload is MISSING:
            return error(200, "Cannot find attributes in post data")
        if request.method != "POST":
            return error(405, "only POST method is allowed")
        handlers = {"domain": objects.edit_domain, "mailbox": objects.edit_mailbox, "alias": objects.edit_alias,
                    "app-passwd": accounts.edit_app_passwd, "domain-admin": accounts.edit_domain_admin}
        if category not in handlers:
            return error(404, "route not found")
        payload = payload if isinstance(payload, dict) else {}
        items = php.as_list(payload.get("items")) if isinstance(payload.get("items"), (list, str, int, float)) else []
        attr = payload.get("attr") if isinstance(payload.get("attr"), dict) else {}
        with self.store.write() as conn:
            handlers[category](call, conn, items, attr)
        return mutation_reply(call, failure="Cannot edit item")

    # -- delete --------------------------------------------------------------------------------

    def delete(self, call, category, obj, extra, payload):
        if payload is MISSING:
            return error(200, "Cannot find attributes in post data")
        if request.method != "POST":
            return error(405, "only POST method is allowed")
        if category in ("domain", "mailbox") and obj == "tag":
            tags = php.as_list(payload)
            if not tags:
                return mutation_reply(call, returned=False, failure="Cannot delete item")
            with self.store.write() as conn:
                if category == "domain":
                    objects.delete_domain_tags(call, conn, extra, tags)
                else:
                    objects.delete_mailbox_tags(call, conn, extra, tags)
            return mutation_reply(call, failure="Cannot delete item")
        handlers = {"domain": objects.delete_domains, "mailbox": objects.delete_mailboxes,
                    "alias": objects.delete_aliases, "dkim": objects.delete_dkim,
                    "app-passwd": accounts.delete_app_passwds, "domain-admin": accounts.delete_domain_admins}
        if category not in handlers:
            return error(404, "route not found")
        # PHP casts the body to an array: a bare string is one item, an object's values are the items.
        items = payload if isinstance(payload, (list, dict)) else [payload]
        if category in ("domain", "dkim") and any(isinstance(item, (list, dict)) for item in php.as_list(items)):
            raise objects.PhpCrash
        with self.store.write() as conn:
            handlers[category](call, conn, items)
        return mutation_reply(call, failure="Cannot delete item")


def create_app(store, keys, dkim_generator=objects.generate_rsa):
    """The WSGI application: the Mailcow API under /api/v1, Dovecot's passdb endpoint /mailcowauth.php
    (sandbox.mailcow_api.auth) and the control endpoints under /_sandbox."""
    app = Flask("sandbox.mailcow_api")
    app.json.sort_keys = False
    api = MailcowApi(store, keys, dkim_generator)
    sandbox = control.Control(store)
    app.extensions["mailcow_sandbox"] = sandbox

    @app.route("/api/v1/", defaults={"query": ""}, methods=METHODS, provide_automatic_options=False)
    @app.route("/api/v1/<path:query>", methods=METHODS, provide_automatic_options=False)
    def mailcow(query):
        return sandbox.around_api(query, lambda: api.handle(query))

    @app.route("/mailcowauth.php", methods=["POST"], provide_automatic_options=False)
    def mailcowauth():
        sandbox.count_login()
        # trim(php://input) and json_decode($post, true) when it is not empty; the Content-Type is not looked at.
        raw = request.get_data(as_text=True).strip()
        try:
            body = php.decode(raw) if raw else None
        except ValueError:
            body = None
        status, answer = auth.answer(store, body)
        return json_reply(answer), status

    control.register(app, sandbox)
    return control.DroppingMiddleware(app)
