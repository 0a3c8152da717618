"""Replay all recorded exchanges with the real Mailcow, in order, against a fresh emulator.

The emulator runs in-process with the keys of the recorded run (rw, ro, and an rw key allowed
only from 127.0.0.2). Status, response Content-Type and the exact response bytes must match;
only timestamps and DKIM key material are blanked (mailcow_transcripts.normalise), and the
key material must map consistently (the same real key is the same emulated key).
"""

import ipaddress
import threading

import pytest
import requests
from werkzeug.serving import make_server

import mailcow_transcripts
from sandbox.mailcow_api.api import ApiKey, create_app
from sandbox.mailcow_api.store import Store

EXCHANGES = mailcow_transcripts.load()


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    keys = mailcow_transcripts.KEYS
    app = create_app(Store(tmp_path_factory.mktemp("replay") / "state.sqlite"), [
        ApiKey(keys["rw"]), ApiKey(keys["ro"], read_only=True),
        ApiKey(keys["iplock"], allow_from=(ipaddress.ip_network("127.0.0.2/32"),))])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    results = {}
    for exchange in EXCHANGES:
        body = exchange.body.encode() if exchange.body is not None else None
        results[exchange.number] = requests.request(exchange.method, url + exchange.path, headers=exchange.headers(),
                                                    data=body, timeout=60)
    server.shutdown()
    return results


def test_the_transcript_holds_all_140_exchanges():
    assert [exchange.number for exchange in EXCHANGES] == list(range(1, 141))


@pytest.mark.parametrize("exchange", EXCHANGES, ids=[f"{e.number}-{e.title[:40]}" for e in EXCHANGES])
def test_exchange_is_reproduced_exactly(replayed, exchange):
    response = replayed[exchange.number]
    assert response.status_code == exchange.status
    assert response.headers["Content-Type"] == exchange.response_content_type
    assert mailcow_transcripts.normalise(response.text) == mailcow_transcripts.normalise(exchange.response)


def test_dkim_key_material_maps_consistently(replayed):
    """#95, #101 and #118: the key kept after the domain delete is the one made by add/dkim."""
    pairs = {}
    for exchange in EXCHANGES:
        real = mailcow_transcripts.public_keys(exchange.response)
        emulated = mailcow_transcripts.public_keys(replayed[exchange.number].text)
        for real_key, emulated_key in zip(real, emulated, strict=True):
            assert pairs.setdefault(real_key, emulated_key) == emulated_key, f"exchange {exchange.number}"
    assert len(set(pairs.values())) == len(pairs) == 2
