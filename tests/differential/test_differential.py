"""The emulator and the real Mailcow API answer the same random call sequences identically.

Each seed is one sequence of 60 calls (calls.py) sent to a fresh emulator and to the real server
just reset, call by call. Compared after every call: HTTP status, content type, the body (the
envelope and every message in it); after every write also the full state (calls.STATE_READS).
Normalised before comparing, because they legitimately differ: timestamps and DKIM key material.
Everything else, alias ids included, must be equal.

CI runs the fixed SEEDS; `--diff-seeds 7,100-120` runs others (pytest tests/differential
--real-mailcow URL --diff-seeds ...).
"""

import re
import threading

import pytest
import requests
from werkzeug.serving import make_server

from sandbox.mailcow_api.api import ApiKey, create_app
from sandbox.mailcow_api.store import Store
from tests import real_mailcow
from tests.differential import calls

SEEDS = [1, 2, 3, 4]
KEY = real_mailcow.DEFAULT_KEY

pytestmark = pytest.mark.real_mailcow

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
# Password hashes (app passwords on get/app-passwd) are salted: equal only in being hashes.
_HASH = re.compile(r'"password": "\{[A-Z0-9-]+\}[^"]*"')
# Base64 runs this long only occur as DKIM keys (the DER public key, any size; the PEM private key).
_KEY_MATERIAL = re.compile(r"(?:[A-Za-z0-9+=]|\\/){60,}")


def pytest_generate_tests(metafunc):
    if "seed" in metafunc.fixturenames:
        metafunc.parametrize("seed", metafunc.config.getoption("--diff-seeds") or SEEDS)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("differential") / "state.sqlite")
    server = make_server("127.0.0.1", 0, create_app(store, [ApiKey(KEY)]), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield store, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def real(pytestconfig):
    return real_mailcow.configured_url(pytestconfig), real_mailcow.RealControl(real_mailcow.server_root())


def send(url, call):
    headers = {"X-API-Key": KEY}
    if call.content_type:
        headers["Content-Type"] = call.content_type
    response = requests.request(call.method, f"{url}/api/v1/{call.path}", headers=headers, data=call.data(),
                                timeout=60)
    return response.status_code, response.headers.get("Content-Type", "").lower(), normalise(response.text)


def normalise(text):
    return _HASH.sub('"password": "<hash>"', _KEY_MATERIAL.sub("<key>", _TIMESTAMP.sub("<time>", text)))


def state(url):
    return {path: send(url, calls.Call("GET", path, content_type=None)) for path in calls.STATE_READS}


def differences(seed, emulator_url, real_url):
    found = []
    for number, call in enumerate(calls.sequence(seed), 1):
        answers = send(emulator_url, call), send(real_url, call)
        if answers[0] != answers[1]:
            found.append(f"call {number}: {call.describe()}\n  emulator: {answers[0]}\n  real:     {answers[1]}")
        if call.is_write:
            before = len(found)
            emulated, actual = state(emulator_url), state(real_url)
            for path in calls.STATE_READS:
                if emulated[path] != actual[path]:
                    found.append(f"after call {number} ({call.describe()}): {path}\n"
                                 f"  emulator: {emulated[path]}\n  real:     {actual[path]}")
            if len(found) > before:
                break  # the states diverged: what follows would only repeat it
    return found


def test_emulator_and_real_server_answer_a_random_sequence_identically(seed, emulator, real):
    store, emulator_url = emulator
    real_url, control = real
    store.wipe()
    control.wipe()
    found = differences(seed, emulator_url, real_url)
    assert not found, f"seed {seed}: {len(found)} difference(s)\n" + "\n".join(found[:8])
