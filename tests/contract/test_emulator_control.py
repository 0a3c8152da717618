"""The emulator's /_sandbox control endpoints and its command line (emulator only)."""

import datetime
import http.client
import json
import subprocess
import sys

import pytest
import requests
from mailcow_contract import PASSWORD, ROOT, Api, start_private_emulator

# The real Mailcow API has no control endpoints and no command line of this emulator.
pytestmark = pytest.mark.emulator_only


@pytest.fixture
def control(mailcow_api):
    mailcow_api.control.clear_faults()
    yield mailcow_api.control
    mailcow_api.control.clear_faults()


@pytest.fixture
def private(tmp_path):
    """A separate emulator whose state the test may wipe or seed."""
    started = []

    def start(*args, **kwargs):
        process, url = start_private_emulator(tmp_path, "--api-key", "PRIVATE-KEY-1", *args, **kwargs)
        started.append(process)
        return url

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def test_counters_count_reads_and_writes_by_route(api, control, sandbox):
    domain = sandbox.domain()
    control.reset_counters()
    api.get(f"get/domain/{domain}")
    api.get(f"get/mailbox/all/{domain}")
    api.post("add/alias", {"address": f"c@{domain}", "goto": "x@external-example.net"})
    counters = control.counters()
    assert (counters["reads"], counters["writes"]) == (2, 1)
    assert counters["by_route"] == {"GET get/domain": 1, "GET get/mailbox": 1, "POST add/alias": 1}


def test_deleting_counters_resets_them(api, control):
    api.get("get/domain/all")
    control.reset_counters()
    assert control.counters() == {"reads": 0, "writes": 0, "by_route": {}}


def test_http500_fault_answers_html_500_and_applies_nothing(api, control, sandbox):
    domain = sandbox.domain()
    control.add_fault("add/alias", "http500", times=1)
    response = api.post("add/alias", {"address": f"f@{domain}", "goto": "x@external-example.net", "active": 1})
    assert response.status_code == 500 and response.headers["Content-Type"].startswith("text/html")
    assert api.get_json(f"get/alias/f@{domain}") == {}


def test_empty200_fault_answers_an_empty_body_and_applies_nothing(api, control, sandbox):
    domain = sandbox.domain()
    control.add_fault("add/mailbox", "empty200", times=1)
    response = api.post("add/mailbox", {"local_part": "e", "domain": domain, "password": PASSWORD,
                                        "password2": PASSWORD})
    assert (response.status_code, response.content) == (200, b"")
    assert api.get_json(f"get/mailbox/e@{domain}") == {}


def test_delay_fault_answers_normally_after_the_delay(api, control, sandbox):
    domain = sandbox.domain()
    control.add_fault("get/domain", "delay", times=1, delay=0.2)
    assert api.get_json(f"get/domain/{domain}")["domain_name"] == domain


def test_drop_fault_closes_the_connection_without_applying(api, control, sandbox):
    domain = sandbox.domain()
    control.add_fault("add/alias", "drop", times=1)
    with pytest.raises(requests.ConnectionError):
        api.post("add/alias", {"address": f"d@{domain}", "goto": "x@external-example.net"})
    assert api.get_json(f"get/alias/d@{domain}") == {}


def test_drop_after_apply_fault_applies_then_closes_the_connection(mailcow_api, api, control, sandbox):
    domain = sandbox.domain()
    control.add_fault("add/alias", "drop_after_apply", times=1)
    connection = http.client.HTTPConnection(mailcow_api.url.split("//")[1], timeout=10)
    connection.request("POST", "/api/v1/add/alias", body=json.dumps({"address": f"a@{domain}",
                                                                     "goto": "x@external-example.net"}),
                       headers={"X-API-Key": mailcow_api.api_key, "Content-Type": "application/json"})
    with pytest.raises(http.client.RemoteDisconnected):
        connection.getresponse()
    assert api.get_json(f"get/alias/a@{domain}")["address"] == f"a@{domain}"


def test_fault_times_and_method_limit_which_calls_fail(api, control):
    control.add_fault("*", "empty200", times=1, method="POST")
    assert api.get("get/domain/all").content != b""
    assert api.post("edit/domain", {"attr": {}}).content == b""
    assert api.post("edit/domain", {"attr": {}}).json() == {"type": "success", "msg": "Task completed"}


def test_faults_are_listed_and_cleared(control):
    control.add_fault("get/alias", "http500")
    assert control.faults() == [{"route": "get/alias", "fault": "http500", "times": None, "method": None}]
    control.clear_faults()
    assert control.faults() == []


@pytest.mark.parametrize("body", [{"route": "add/mailbox", "fault": "explode"}, {"route": "nowhere", "fault": "drop"},
                                  {"route": "*", "fault": "delay"}, {"route": "*", "fault": "drop", "times": 0}])
def test_bad_fault_requests_are_400_with_a_message(mailcow_api, control, body):
    response = requests.post(mailcow_api.url + "/_sandbox/faults", json=body, timeout=10)
    assert response.status_code == 400 and response.json()["error"]


def test_verify_checks_the_stored_password_hash(control, sandbox):
    user = sandbox.mailbox(sandbox.domain())
    assert control.check_password(user, PASSWORD) == {"valid": True, "exists": True}
    assert control.check_password(user, "wrong") == {"valid": False, "exists": True}
    assert control.check_password("no@where.example", "x") == \
        {"valid": False, "exists": False}


def test_verify_sees_a_password_changed_by_edit(api, control, sandbox):
    user = sandbox.mailbox(sandbox.domain())
    api.ok("edit/mailbox", {"items": [user], "attr": {"password": "N3w-Passw0rd!", "password2": "N3w-Passw0rd!"}})
    assert control.verify(user, "N3w-Passw0rd!") and not control.verify(user, PASSWORD)


def test_verify_without_username_is_400(mailcow_api, control):
    response = requests.post(mailcow_api.url + "/_sandbox/verify", json={"password": "x"}, timeout=10)
    assert response.status_code == 400 and "username" in response.json()["error"]


def test_seed_bulk_creates_domains_mailboxes_and_aliases(private):
    url = private()
    response = requests.post(url + "/_sandbox/seed", json={"domains": 3, "mailboxes_per_domain": 2,
                                                           "aliases_per_domain": 4, "prefix": "bulk"}, timeout=30)
    assert response.status_code == 201
    assert {k: response.json()[k] for k in ("domains", "mailboxes", "aliases")} == \
        {"domains": 3, "mailboxes": 6, "aliases": 12}
    api = Api(url, "PRIVATE-KEY-1")
    assert len(api.get_json("get/domain/all")) == 3
    assert len(api.get_json("get/mailbox/all")) == 6
    assert len(api.get_json("get/alias/all/bulk-00002.example")) == 4
    assert requests.post(url + "/_sandbox/verify", json={"username": "user001@bulk-00001.example",
                                                         "password": response.json()["password"]}).json()["valid"]


def test_seed_with_bad_counts_is_400(private):
    url = private()
    response = requests.post(url + "/_sandbox/seed", json={"domains": -1}, timeout=10)
    assert response.status_code == 400 and "domains" in response.json()["error"]


def test_deleting_the_state_wipes_every_object(private):
    url = private()
    api = Api(url, "PRIVATE-KEY-1")
    api.ok("add/domain", {"domain": "wipe.example", "key_size": 1024})
    assert requests.delete(url + "/_sandbox/state", timeout=10).status_code == 200
    assert api.get_json("get/domain/all") == {}
    assert api.get_json("get/dkim/wipe.example") == {}


def test_state_survives_a_restart(mailcow_api, tmp_path):
    first, url = start_private_emulator(tmp_path, "--api-key", "PRIVATE-KEY-1")
    try:
        Api(url, "PRIVATE-KEY-1").ok("add/domain", {"domain": "persist.example", "key_size": 1024})
    finally:
        first.terminate()
        first.wait(timeout=10)
    second, url = start_private_emulator(tmp_path, "--api-key", "PRIVATE-KEY-1")
    try:
        assert Api(url, "PRIVATE-KEY-1").get_json("get/domain/persist.example")["domain_name"] == "persist.example"
    finally:
        second.terminate()
        second.wait(timeout=10)


def test_tls_serves_https_with_the_given_certificate(private, tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    url = private("--tls-cert", str(tmp_path / "cert.pem"), "--tls-key", str(tmp_path / "key.pem"), scheme="https")
    response = requests.get(url + "/api/v1/get/domain/all", headers={"X-API-Key": "PRIVATE-KEY-1"},
                            verify=str(tmp_path / "cert.pem"), timeout=10)
    assert (response.status_code, response.text) == (200, "{}")


@pytest.mark.parametrize("args,message", [
    (["--listen", "nowhere", "--state", "s.sqlite", "--api-key", "K-1"], "HOST:PORT"),
    (["--listen", "127.0.0.1:1", "--state", "s.sqlite", "--api-key", "bad key!"], "API key"),
    (["--listen", "127.0.0.1:1", "--state", "s.sqlite", "--api-key", "K-1", "--allow-from", "nonsense"], "CIDR"),
    (["--listen", "127.0.0.1:1", "--state", "s.sqlite", "--api-key", "K-1", "--tls-cert", "/etc/hostname"], "together"),
    (["--listen", "127.0.0.1:1", "--state", "s.sqlite"], "--api-key"),
])
def test_bad_command_line_is_an_argparse_error_without_traceback(mailcow_api, tmp_path, args, message):
    done = subprocess.run([sys.executable, "-m", "sandbox.mailcow_api", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_state_file_that_is_not_a_database_is_a_clear_error(mailcow_api, tmp_path):
    (tmp_path / "junk.sqlite").write_text("not a database " * 100)
    done = subprocess.run([sys.executable, "-m", "sandbox.mailcow_api", "--listen", "127.0.0.1:0", "--state",
                           str(tmp_path / "junk.sqlite"), "--api-key", "K-1"], cwd=ROOT, capture_output=True,
                          text=True, timeout=30, check=False)
    assert done.returncode == 2 and "--state" in done.stderr and "Traceback" not in done.stderr
