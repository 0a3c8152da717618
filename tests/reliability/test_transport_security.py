"""TLS to the Mailcow API (the emulator over HTTPS with a self-signed certificate) and clear-text warnings."""

import datetime
import ipaddress
import ssl
import subprocess
import sys
import time
import urllib.request
from unittest import mock

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.securenexus.provisioning.plugins.module_utils import _mailcow
from ansible_collections.securenexus.provisioning.plugins.modules import mailcow_domain_info
from tests.conftest import ROOT, TEST_API_KEY, free_port
from tests.unit.plugins.module_utils.mailcow_fakes import FakeResponse, run_module


def self_signed(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailcow emulator")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture(scope="module")
def https_emulator(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    cert_file, key_file = self_signed(directory)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.mailcow_api", "--listen", "127.0.0.1:%d" % port, "--state",
         str(directory / "state.sqlite"), "--api-key", TEST_API_KEY, "--tls-cert", str(cert_file),
         "--tls-key", str(key_file)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "https://127.0.0.1:%d" % port
    trusted = ssl.create_default_context(cafile=str(cert_file))
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url + "/api/v1/get/domain/all", timeout=2, context=trusted).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.1)
    yield url, cert_file
    process.terminate()
    process.wait(timeout=10)


def info(url, **options):
    return run_module(mailcow_domain_info.main, dict({"api_url": url, "api_key": TEST_API_KEY}, **options),
                      _mailcow.http_open)


def test_self_signed_certificate_is_refused_by_default_with_how_to_trust_it(https_emulator):
    url, _cert = https_emulator
    refused = info(url)
    assert refused.failed
    assert "could not be verified" in refused.result["msg"] and "ca_path" in refused.result["msg"]


def test_self_signed_certificate_is_accepted_with_ca_path(https_emulator):
    url, cert_file = https_emulator
    accepted = info(url, ca_path=str(cert_file))
    assert not accepted.failed, accepted.result.get("msg")
    assert accepted.warnings == []


def test_validate_certs_false_connects_and_warns(https_emulator):
    url, _cert = https_emulator
    unchecked = info(url, validate_certs=False)
    assert not unchecked.failed, unchecked.result.get("msg")
    assert any("validate_certs is false" in w for w in unchecked.warnings)
    assert TEST_API_KEY not in unchecked.output


@pytest.mark.parametrize("url,warned", [
    ("http://mail.example.org", True), ("http://192.0.2.10:8080", True),
    ("http://localhost:8080", False), ("http://127.0.0.1:8080", False), ("http://[::1]:8080", False),
])
def test_clear_text_api_url_to_anything_but_localhost_warns(url, warned):
    answer_nothing = mock.Mock(return_value=FakeResponse(b"{}"))
    result = run_module(mailcow_domain_info.main, {"api_url": url, "api_key": TEST_API_KEY}, answer_nothing)
    assert not result.failed
    assert any("clear text" in w for w in result.warnings) is warned
    assert TEST_API_KEY not in result.output
