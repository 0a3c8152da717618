"""The Traefik API client of traefik_route (module_utils/_traefik_api.py): one TLS context, what a 404 means."""

import io

from ansible_collections.securenexus.provisioning.plugins.module_utils import _traefik_api
from tests.unit.plugins.modules.test_traefik_route import http_404


def test_one_tls_context_serves_every_request_to_the_api(monkeypatch):
    built, contexts = [], []
    monkeypatch.setattr(_traefik_api, "tls_context", lambda url: built.append(url) or "context")

    def answer(url, **kwargs):
        contexts.append(kwargs["context"])
        return io.BytesIO(b'{"name": "acme@file"}')

    monkeypatch.setattr(_traefik_api, "http_open", answer)
    api = _traefik_api.TraefikApi("https://traefik.example.org/")
    api.router("acme@file")
    api.router("acme@file")
    assert built == ["https://traefik.example.org"]
    assert contexts == ["context", "context"]


def test_traefiks_router_not_found_means_no_router(monkeypatch):
    monkeypatch.setattr(_traefik_api, "http_open", http_404(b'{"message":"router not found: acme@file"}'))

    assert _traefik_api.TraefikApi("http://127.0.0.1:1").router("acme@file") is None
