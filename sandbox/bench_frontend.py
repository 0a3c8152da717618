"""The web side of the sandbox bench: what a bench's nginx + gunicorn answer, per site by Host header.

`python -m sandbox.bench_frontend --listen 127.0.0.1:28000 --bench DIR` from the repository root.
It reads the stand-in bench directory (sandbox/bench_standin.py) on every request, so sites created
or dropped by sandbox/bin/bench show up at once.
"""

import argparse
import http.cookies
import json
import secrets
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sandbox import bench_standin

MAX_BODY = 64 * 1024
OPENING_DIALOG = "/api/method/posawesome.posawesome.api.shifts.get_opening_dialog_data"
# sid: (site, user) of the logins since the frontend started (frappe keeps them in its Sessions table)
SESSIONS = {}


class FrontendHandler(BaseHTTPRequestHandler):
    server_version = "nginx"
    sys_version = ""
    bench = None  # set by make_server

    def log_message(self, format, *args):  # noqa: A002 (signature of the base class)
        sys.stderr.write("%s - %s\n" % (self.address_string(), format % args))

    def _site(self):
        host = (self.headers.get("Host") or "").strip().lower()
        if host.startswith("["):
            return host
        return host.rsplit(":", 1)[0] if ":" in host else host

    def _send(self, status, body, content_type="application/json", cookie=None):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        if cookie:
            self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _known_site(self):
        """The requested site, or None after answering 404 like a bench does for an unknown Host."""
        site = self._site()
        if not bench_standin.site_exists(self.bench, site):
            self._send(404, f"{site} does not exist", "text/html; charset=utf-8")
            return None
        return site

    def do_GET(self):  # noqa: N802 (http.server's naming)
        site = self._known_site()
        if site is None:
            return
        path = urllib.parse.urlsplit(self.path).path
        if path == "/api/method/ping":
            self._send(200, {"message": "pong"})
        elif path == "/app/posapp":
            entry = bench_standin.site_database(self.bench, site)
            if self._session(site) is None:
                self.send_response(301)
                self.send_header("Location", "/login?redirect-to=%2Fapp%2Fposapp")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif entry and "posawesome" in entry.get("installed_apps", []):
                self._send(200, "<!DOCTYPE html><html><head><title>POS Awesome</title></head>"
                                "<body><div id=\"app\"></div></body></html>", "text/html; charset=utf-8")
            else:
                self._send(404, {"exc_type": "DoesNotExistError", "message": "Page posapp not found"})
        else:
            self._send(404, {"exc_type": "DoesNotExistError", "message": "Not Found"})

    def do_POST(self):  # noqa: N802 (http.server's naming)
        site = self._known_site()
        if site is None:
            return
        path = urllib.parse.urlsplit(self.path).path
        if path == OPENING_DIALOG:
            self._opening_dialog(site)
            return
        if path != "/api/method/login":
            self._send(404, {"exc_type": "DoesNotExistError", "message": "Not Found"})
            return
        form = self._read_form()
        if form is None:
            self._send(400, {"exc_type": "ValidationError", "message": "Invalid request body"})
            return
        user, password = form.get("usr"), form.get("pwd")
        entry = bench_standin.site_database(self.bench, site) or {}
        setup = entry.get("setup", {})
        if user == "Administrator":
            stored, full_name = entry.get("admin_password"), "Administrator"
        elif setup.get("users", {}).get(user, {}).get("enabled"):
            stored, full_name = setup.get("passwords", {}).get(user), setup["users"][user]["full_name"]
        else:
            stored = full_name = None
        if isinstance(password, str) and stored and bench_standin.check_password(password, stored):
            sid = secrets.token_hex(28)
            SESSIONS[sid] = (site, user)
            self._send(200, {"message": "Logged In", "home_page": "/app", "full_name": full_name},
                       cookie="sid=%s; Path=/; HttpOnly" % sid)
        else:
            self._send(401, {"message": "Invalid login credentials", "exc_type": "AuthenticationError"})

    def _session(self, site):
        """(site, user) of the request's login on this site, or None (a guest)."""
        cookies = http.cookies.SimpleCookie(self.headers.get("Cookie") or "")
        session = SESSIONS.get(cookies["sid"].value) if "sid" in cookies else None
        return session if session and session[0] == site else None

    def _opening_dialog(self, site):
        """POS Awesome's posawesome.api.shifts.get_opening_dialog_data: the enabled POS Profiles that list the
        session's user among their users; a guest is refused like any method that is not allow_guest."""
        session = self._session(site)
        if session is None:
            self._send(403, {"exc_type": "PermissionError", "message": "Not permitted"})
            return
        profiles = (bench_standin.site_database(self.bench, site) or {}).get("setup", {}).get("pos_profiles", {})
        mine = [{"name": name, "company": profile["company"], "currency": profile["currency"]}
                for name, profile in sorted(profiles.items()) if session[1] in profile["users"] and not profile["disabled"]]
        companies = [{"name": company} for company in dict.fromkeys(profile["company"] for profile in mine)]
        payments = [{"parent": profile["name"], "mode_of_payment": mode, "currency": profile["currency"]}
                    for profile in mine for mode in profiles[profile["name"]]["modes_of_payment"]]
        self._send(200, {"message": {"pos_profiles_data": mine, "companies": companies, "payments_method": payments}})

    def _read_form(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY:
            return None
        raw = self.rfile.read(length).decode("utf-8", errors="replace")
        if "json" in (self.headers.get("Content-Type") or ""):
            try:
                data = json.loads(raw or "{}")
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
        return {key: values[-1] for key, values in urllib.parse.parse_qs(raw).items()}


def make_server(listen, bench):
    host, _sep, port = listen.rpartition(":")
    handler = type("BoundFrontendHandler", (FrontendHandler,), {"bench": Path(bench)})
    return ThreadingHTTPServer((host or "127.0.0.1", int(port)), handler)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox.bench_frontend", description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="HOST:PORT to listen on")
    parser.add_argument("--bench", required=True, help="the bench directory (made by bench_standin.init_bench)")
    args = parser.parse_args(argv)
    if not args.listen.rpartition(":")[2].isdigit():
        parser.error("--listen must be HOST:PORT")
    server = make_server(args.listen, args.bench)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
