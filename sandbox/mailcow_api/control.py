"""Test-only control endpoints under /_sandbox (never part of the real API; loopback only).

Counters of API calls, injected faults (HTTP 500, empty 200, delay, dropped connection before or
after the request is applied), password verification, wiping and bulk seeding of the state.
"""

import ipaddress
import json
import re
import socket
import threading
import time

from flask import Response, jsonify, request

from . import objects

FAULTS = ("http500", "empty200", "delay", "drop", "drop_after_apply")
ERROR_PAGE = ("<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1>"
              "<p>Service unavailable: sandbox fault injection</p></body></html>")
DROP = "sandbox.drop_connection"
SEED_LIMITS = {"domains": 100_000, "mailboxes_per_domain": 10_000, "aliases_per_domain": 10_000}


class ControlError(Exception):
    pass


def bad_request(message):
    return jsonify({"error": message}), 400


class Control:
    def __init__(self, store):
        self.store = store
        self.lock = threading.Lock()
        self.faults = []
        self.reset_counters()

    def reset_counters(self):
        with self.lock:
            self.reads = self.writes = 0
            self.by_route = {}

    def counters(self):
        with self.lock:
            return {"reads": self.reads, "writes": self.writes, "by_route": dict(self.by_route)}

    def _count(self, method, route):
        with self.lock:
            if method == "GET":
                self.reads += 1
            elif method == "POST":
                self.writes += 1
            key = f"{method} {route}"
            self.by_route[key] = self.by_route.get(key, 0) + 1

    def count_login(self):
        """A request to the passdb endpoint (Dovecot asking whether a login is accepted): listed by
        route only, so the API's read and write counts stay what the modules did."""
        with self.lock:
            self.by_route["POST mailcowauth"] = self.by_route.get("POST mailcowauth", 0) + 1

    def _take_fault(self, method, route):
        with self.lock:
            for fault in self.faults:
                if fault["route"] not in ("*", route) or fault.get("method") not in (None, method):
                    continue
                if fault.get("times") is not None:
                    fault["times"] -= 1
                    if fault["times"] <= 0:
                        self.faults.remove(fault)
                return dict(fault)
        return None

    def around_api(self, query, answer):
        """Count the API call, then answer it, unless a matching fault says otherwise."""
        route = "/".join(query.split("/")[:2])
        self._count(request.method, route)
        fault = self._take_fault(request.method, route)
        kind = fault["fault"] if fault else None
        if kind == "http500":
            return Response(ERROR_PAGE, 500, content_type="text/html; charset=UTF-8")
        if kind == "empty200":
            return Response(b"", 200, content_type="application/json")
        if kind == "delay":
            time.sleep(fault["delay"])
        if kind == "drop":
            request.get_data()
            request.environ[DROP] = True
            return Response(b"", 200)
        response = answer()
        if kind == "drop_after_apply":
            request.environ[DROP] = True
        return response

    def add_fault(self, body):
        if not isinstance(body, dict):
            raise ControlError("the body must be a JSON object")
        unknown = set(body) - {"route", "fault", "times", "method", "delay"}
        if unknown:
            raise ControlError(f"unknown keys: {', '.join(sorted(unknown))}")
        route = body.get("route")
        if not isinstance(route, str) or not (route == "*" or re.fullmatch(r"[a-z_-]+/[a-z_-]+", route)):
            raise ControlError('route must be "<action>/<category>" (e.g. "add/mailbox") or "*"')
        if body.get("fault") not in FAULTS:
            raise ControlError(f"fault must be one of {', '.join(FAULTS)}")
        times = body.get("times")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise ControlError("times must be a positive integer (omit it for a fault that lasts until cleared)")
        if body.get("method") not in (None, "GET", "POST"):
            raise ControlError('method must be "GET" or "POST"')
        delay = body.get("delay")
        if body["fault"] == "delay":
            if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= 600:
                raise ControlError("a delay fault needs delay: seconds between 0 and 600")
        elif delay is not None:
            raise ControlError("delay only applies to the delay fault")
        fault = {"route": route, "fault": body["fault"], "times": times, "method": body.get("method")}
        if delay is not None:
            fault["delay"] = delay
        with self.lock:
            self.faults.append(fault)
        return fault

    def list_faults(self):
        with self.lock:
            return [dict(fault) for fault in self.faults]

    def clear_faults(self):
        with self.lock:
            self.faults.clear()

    def verify(self, body):
        if not isinstance(body, dict) or not isinstance(body.get("username"), str) \
                or not isinstance(body.get("password"), str):
            raise ControlError("the body must be {\"username\": \"user@domain\", \"password\": \"...\"}")
        with self.store.connection() as conn:
            row = conn.execute("SELECT password FROM mailbox WHERE username = ?", (body["username"].strip(),)).fetchone()
        if row is None:
            return {"valid": False, "exists": False}
        return {"valid": objects.verify_hash(row["password"], body["password"]), "exists": True}

    def seed(self, body):
        if not isinstance(body, dict):
            raise ControlError("the body must be a JSON object")
        unknown = set(body) - {*SEED_LIMITS, "prefix", "password"}
        if unknown:
            raise ControlError(f"unknown keys: {', '.join(sorted(unknown))}")
        counts = {}
        for key, limit in SEED_LIMITS.items():
            value = body.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
                raise ControlError(f"{key} must be an integer between 0 and {limit}")
            counts[key] = value
        prefix = body.get("prefix", "bulk")
        if not isinstance(prefix, str) or not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?", prefix):
            raise ControlError("prefix must be a DNS label (lower-case letters, digits, inner hyphens)")
        password = body.get("password", "Seed-Passw0rd")
        if not isinstance(password, str) or len(password) < objects.PASSWORD_MIN_LENGTH:
            raise ControlError(f"password must be a string of at least {objects.PASSWORD_MIN_LENGTH} characters")
        return seed(self.store, prefix, password, counts["domains"], counts["mailboxes_per_domain"],
                    counts["aliases_per_domain"])


def seed(store, prefix, password, domains, mailboxes, aliases):
    """Bulk-insert domains `<prefix>-00001.example`..., mailboxes userNNN@ and aliases aliasNNN@.

    One password hash is shared by every seeded mailbox, and no DKIM keys are made: that keeps
    2,000 domains / 10,000 mailboxes / 50,000 aliases down to seconds.
    """
    stamp = objects.now()
    hashed = objects.hash_password(password)
    names = [f"{prefix}-{index:05d}.example" for index in range(1, domains + 1)]
    attributes = json.dumps({**{key: str(value) for key, value in objects.MAILBOX_FLAGS.items()},
                             "relayhost": "0", "passwd_update": stamp, "mailbox_format": "maildir:",
                             "quarantine_notification": "hourly", "quarantine_category": "reject",
                             "attribute_hash": ""})
    with store.write() as conn:
        taken = [name for name in names if objects.domain_row(conn, name)]
        if taken:
            raise ControlError(f"domain {taken[0]} already exists; use another prefix or wipe the state")
        conn.executemany(
            "INSERT INTO domain (domain, description, aliases, mailboxes, defquota, maxquota, quota, active, gal,"
            " backupmx, relay_all_recipients, relay_unknown_only, created) VALUES (?, ?, ?, ?, 1024, 1024, ?, 1, 1,"
            " 0, 0, 0, ?)",
            [(name, name, max(400, aliases), max(10, mailboxes), max(10240, mailboxes * 1024), stamp) for name in names])
        users = [(f"user{number:03d}@{name}", f"user{number:03d}", name) for name in names
                 for number in range(1, mailboxes + 1)]
        conn.executemany("INSERT INTO mailbox (username, local_part, domain, name, password, quota, active,"
                         " attributes, created, modified) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                         [(user, local, name, local, hashed, 1024 * objects.MIB, attributes, stamp, stamp)
                          for user, local, name in users])
        first_id = conn.execute("SELECT COALESCE(MAX(id), 0) FROM alias").fetchone()[0]
        conn.executemany("INSERT INTO alias (address, goto, domain, is_mailbox, active, sogo_visible, internal,"
                         " sender_allowed, created) VALUES (?, ?, ?, 1, 1, 1, 0, 1, ?)",
                         [(user, user, name, stamp) for user, _local, name in users])
        conn.executemany("INSERT INTO alias (address, goto, domain, active, sogo_visible, internal, sender_allowed,"
                         " created) VALUES (?, ?, ?, 1, 1, 0, 1, ?)",
                         [(f"alias{number:03d}@{name}", f"user001@{name}" if mailboxes else "seed-target@example.net",
                           name, stamp) for name in names for number in range(1, aliases + 1)])
        conn.execute("INSERT INTO alias_goto (alias_id, goto) SELECT id, goto FROM alias WHERE id > ?", (first_id,))
    return {"domains": len(names), "mailboxes": len(users), "aliases": len(names) * aliases,
            "first_domain": names[0] if names else None, "password": password}


def _loopback(address):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.is_loopback or bool(getattr(ip, "ipv4_mapped", None) and ip.ipv4_mapped.is_loopback)


def register(app, control):
    """The /_sandbox routes and JSON errors for everything outside /api/v1."""

    @app.before_request
    def loopback_only():
        # Mailcow serves its passdb endpoint on the containers' network only; the emulator to loopback.
        if request.path.startswith(("/_sandbox", "/mailcowauth")) and not _loopback(request.remote_addr):
            return jsonify({"error": "the sandbox control and passdb endpoints answer loopback clients only"}), 403
        return None

    def body():
        payload = request.get_json(silent=True)
        if payload is None:
            raise ControlError("the body must be valid JSON sent with Content-Type: application/json")
        return payload

    def guarded(handler):
        def run():
            try:
                return handler()
            except ControlError as exc:
                return bad_request(str(exc))
        run.__name__ = handler.__name__
        return run

    @guarded
    def counters():
        if request.method == "DELETE":
            control.reset_counters()
        return jsonify(control.counters())

    @guarded
    def faults():
        if request.method == "POST":
            return jsonify(control.add_fault(body())), 201
        if request.method == "DELETE":
            control.clear_faults()
        return jsonify(control.list_faults())

    @guarded
    def verify():
        return jsonify(control.verify(body()))

    @guarded
    def state():
        control.store.wipe()
        return jsonify({"wiped": True})

    @guarded
    def seed_state():
        return jsonify(control.seed(body())), 201

    app.add_url_rule("/_sandbox/counters", view_func=counters, methods=["GET", "DELETE"])
    app.add_url_rule("/_sandbox/faults", view_func=faults, methods=["GET", "POST", "DELETE"])
    app.add_url_rule("/_sandbox/verify", view_func=verify, methods=["POST"])
    app.add_url_rule("/_sandbox/state", view_func=state, methods=["DELETE"])
    app.add_url_rule("/_sandbox/seed", view_func=seed_state, methods=["POST"])

    @app.errorhandler(404)
    def not_found(_exc):
        return jsonify({"error": f"no such endpoint: {request.path}"}), 404

    @app.errorhandler(405)
    def wrong_method(_exc):
        return jsonify({"error": f"{request.method} is not allowed on {request.path}"}), 405

    @app.errorhandler(500)
    def internal(_exc):
        return jsonify({"error": "internal error in the emulator; see its log"}), 500


class DroppingMiddleware:
    """Closes the client connection without an answer when a drop fault asked for it."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        captured = []
        result = self.app(environ, lambda status, headers, exc_info=None: captured.append((status, headers, exc_info)))
        if not environ.get(DROP):
            start_response(*captured[-1])
            return result
        if hasattr(result, "close"):
            result.close()
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        # Werkzeug treats a ConnectionError as a client that went away and writes nothing.
        raise ConnectionAbortedError("sandbox fault: connection dropped")
