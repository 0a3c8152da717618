"""`python -m sandbox.mailcow_api --listen HOST:PORT --state FILE --api-key KEY ...`"""

import argparse
import ipaddress
import os
import re
import ssl
import sys

from werkzeug.serving import make_server

from .api import ApiKey, create_app
from .store import Store


def listen_address(text):
    match = re.fullmatch(r"\[?([^\[\]]*?)\]?:(\d{1,5})", text)
    if not match or not match.group(1) or not 0 <= int(match.group(2)) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT (e.g. 127.0.0.1:28080), got {text!r}")
    return match.group(1), int(match.group(2))


def api_key(text):
    if not re.fullmatch(r"[A-Za-z0-9-]+", text):
        raise argparse.ArgumentTypeError("an API key may only contain letters, digits and hyphens (as in Mailcow)")
    return text


def network(text):
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IP address or CIDR network: {text!r}") from None


def readable_file(text):
    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return text


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m sandbox.mailcow_api",
                                     description="Local emulator of the Mailcow API (domains, mailboxes, aliases, DKIM).")
    parser.add_argument("--listen", required=True, type=listen_address, metavar="HOST:PORT")
    parser.add_argument("--state", required=True, metavar="FILE",
                        help="SQLite file holding the objects; a new file is an empty server")
    parser.add_argument("--api-key", required=True, type=api_key, metavar="KEY", help="read/write key")
    parser.add_argument("--read-only-key", type=api_key, metavar="KEY", help="read-only key")
    parser.add_argument("--allow-from", type=network, nargs="+", action="extend", metavar="IP",
                        help="IP addresses/networks the keys accept (skip_ip_check off); default: any client")
    parser.add_argument("--tls-cert", type=readable_file, metavar="FILE", help="serve HTTPS with this certificate")
    parser.add_argument("--tls-key", type=readable_file, metavar="FILE", help="private key of --tls-cert")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.read_only_key == args.api_key:
        parser.error("--read-only-key must differ from --api-key")
    state_dir = os.path.dirname(os.path.abspath(args.state))
    if not os.path.isdir(state_dir):
        parser.error(f"--state: directory {state_dir} does not exist")
    return parser, args


def main(argv=None):
    parser, args = parse_args(sys.argv[1:] if argv is None else argv)
    allow_from = tuple(args.allow_from or ())
    keys = [ApiKey(args.api_key, read_only=False, allow_from=allow_from)]
    if args.read_only_key:
        keys.append(ApiKey(args.read_only_key, read_only=True, allow_from=allow_from))
    ssl_context = None
    try:
        if args.tls_cert:
            ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ssl_context.load_cert_chain(args.tls_cert, args.tls_key)
        store = Store(args.state)
        host, port = args.listen
        server = make_server(host, port, create_app(store, keys), threaded=True, ssl_context=ssl_context)
    except (OSError, ssl.SSLError, ValueError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    except Exception as exc:  # sqlite3.DatabaseError for a --state file that is not a database
        parser.exit(2, f"{parser.prog}: error: cannot use --state {args.state}: {exc}\n")
    scheme = "https" if ssl_context else "http"
    print(f"mailcow emulator listening on {scheme}://{host}:{server.server_port}/api/v1/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
