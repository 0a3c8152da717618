"""securenexus.provisioning.traefik_route through real ansible-playbook against a real Traefik.

Each test writes its own route (its own name and host) into the module-wide Traefik's watched
directory, then checks what Traefik serves on its web entry point and reports in its API.
"""

import http.client
import json
import ssl
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import ROOT

PLAYBOOK = ROOT / "tests" / "integration" / "targets" / "traefik_route" / "route.yml"
ROLE_PLAYBOOK = PLAYBOOK.with_name("role_task.yml")


@pytest.fixture
def apply_route(ansible_playbook, tmp_path):
    """Run one traefik_route task with the given options; returns (registered result, playbook run)."""
    runs = iter(range(1000))

    def apply(args, check=False, diff=False, in_process=True):
        number = next(runs)
        args_file = tmp_path / f"args-{number}.json"
        result_file = tmp_path / f"result-{number}.json"
        args_file.write_text(json.dumps(args))
        run = ansible_playbook(PLAYBOOK, extra_vars={"route_args_file": str(args_file),
                                                     "result_file": str(result_file),
                                                     "securenexus_provisioning_in_process": in_process},
                               check=check, diff=diff)
        assert run.rc == 0, run.output
        return json.loads(result_file.read_text()), run

    return apply


def route_args(traefik, backend, name, **options):
    args = {"name": name, "directory": str(traefik.dynamic_dir), "hosts": [f"{name}.example.test"],
            "entrypoints": ["web"], "service_urls": [backend], "api_url": traefik.api_url, "wait_timeout": 15}
    args.update(options)
    return args


def wait_until(predicate, timeout=15):
    """Poll predicate() until it is true (Traefik reloads asynchronously); returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def ping(port, host):
    """GET /api/method/ping through Traefik's entry point with the given Host; returns (status, body)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/method/ping", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def test_route_serves_the_site_through_traefik(apply_route, traefik_proxy, site_backend):
    result, _run = apply_route(route_args(traefik_proxy, site_backend, "serve"))

    assert result["changed"] is True
    assert result["route"] == {"name": "serve", "file": str(traefik_proxy.dynamic_dir / "serve.yml"),
                               "router": "serve@file", "rule": "Host(`serve.example.test`)", "status": "enabled"}
    assert ping(traefik_proxy.web_port, "serve.example.test") == (200, {"message": "pong",
                                                                        "site": "serve.example.test"})


def test_a_route_written_by_a_module_process_is_the_one_the_worker_writes(apply_route, traefik_proxy, site_backend):
    args = route_args(traefik_proxy, site_backend, "as-module", security_headers=True)
    as_module, _run = apply_route(args, in_process=False)

    in_worker, _run = apply_route(args)

    assert as_module["changed"] is True and as_module["route"]["status"] == "enabled"
    assert in_worker["changed"] is False and in_worker["route"] == as_module["route"]


def test_second_identical_run_reports_ok(apply_route, traefik_proxy, site_backend):
    args = route_args(traefik_proxy, site_backend, "repeat", security_headers=True)
    apply_route(args)

    result, _run = apply_route(args)

    assert result["changed"] is False
    assert result["route"]["status"] == "enabled"


def test_check_mode_reports_change_with_diff_and_leaves_the_file(apply_route, traefik_proxy, site_backend):
    apply_route(route_args(traefik_proxy, site_backend, "checked"))
    route_file = traefik_proxy.dynamic_dir / "checked.yml"
    before = route_file.read_bytes()

    result, run = apply_route(route_args(traefik_proxy, site_backend, "checked",
                                         hosts=["checked.example.test", "www.checked.example.test"]),
                              check=True, diff=True)

    assert result["changed"] is True
    assert result["route"]["status"] is None
    assert "confirmation through Traefik's API skipped" in result["msg"]
    assert route_file.read_bytes() == before
    assert f"+++ after: {route_file}" in run.output
    assert "Host(`checked.example.test`) || Host(`www.checked.example.test`)" in run.output


def test_check_mode_without_change_reports_a_router_traefik_disabled(apply_route, traefik_proxy, site_backend):
    shared = traefik_proxy.dynamic_dir / "drift-shared.yml"
    shared.write_text(json.dumps({"http": {"middlewares": {"drift-gzip": {"compress": {}}}}}))
    args = route_args(traefik_proxy, site_backend, "drift", middlewares=["drift-gzip@file"])
    apply_route(args)
    shared.unlink()
    assert wait_until(lambda: (traefik_proxy.router("drift@file") or {}).get("status") == "disabled")

    result, _run = apply_route(args, check=True)

    assert result["failed"] is True
    assert 'middleware "drift-gzip@file" does not exist' in result["msg"]


def test_route_traefik_rejects_fails_with_traefiks_error(apply_route, traefik_proxy, site_backend):
    result, _run = apply_route(route_args(traefik_proxy, site_backend, "broken", middlewares=["missing@file"]))

    assert result["failed"] is True
    assert "router broken@file as disabled" in result["msg"]
    assert 'middleware "missing@file" does not exist' in result["msg"]


def test_hand_edited_file_is_put_back(apply_route, traefik_proxy, site_backend):
    args = route_args(traefik_proxy, site_backend, "edited")
    apply_route(args)
    route_file = traefik_proxy.dynamic_dir / "edited.yml"
    written = route_file.read_text()
    route_file.write_text(written.replace("edited.example.test", "other.example.test"))
    assert wait_until(lambda: ping(traefik_proxy.web_port, "edited.example.test")[0] == 404)

    result, _run = apply_route(args)

    assert result["changed"] is True
    assert route_file.read_text() == written
    assert ping(traefik_proxy.web_port, "edited.example.test")[0] == 200


def test_absent_removes_the_route_and_the_host_gets_404(apply_route, traefik_proxy, site_backend):
    apply_route(route_args(traefik_proxy, site_backend, "removed"))

    result, _run = apply_route({"name": "removed", "state": "absent", "directory": str(traefik_proxy.dynamic_dir),
                                "api_url": traefik_proxy.api_url})

    assert result["changed"] is True
    assert not (traefik_proxy.dynamic_dir / "removed.yml").exists()
    assert traefik_proxy.router("removed@file") is None
    assert ping(traefik_proxy.web_port, "removed.example.test")[0] == 404


def test_absent_route_without_file_is_ok(apply_route, traefik_proxy):
    result, _run = apply_route({"name": "never", "state": "absent", "directory": str(traefik_proxy.dynamic_dir),
                                "api_url": traefik_proxy.api_url})

    assert result["changed"] is False
    assert not result.get("failed")


def test_template_marker_is_refused_before_anything_is_written(apply_route, traefik_proxy, site_backend):
    result, _run = apply_route(route_args(traefik_proxy, site_backend, "templated",
                                          hosts=["{{ site }}.example.test"]))

    assert result["failed"] is True
    assert result["msg"].startswith("hosts: ")
    assert "'{{'" in result["msg"]
    assert list(traefik_proxy.dynamic_dir.glob("*templated*")) == []


def test_router_never_loaded_fails_pointing_to_traefiks_log(apply_route, traefik_proxy_private, site_backend):
    (traefik_proxy_private.dynamic_dir / "hand-written.yml").write_text("http:\n  routers: [unclosed\n")

    result, _run = apply_route(route_args(traefik_proxy_private, site_backend, "blocked", wait_timeout=2))

    assert result["failed"] is True
    assert "did not load router blocked@file" in result["msg"]
    assert "Traefik's log" in result["msg"]


def test_https_redirect_sends_http_to_the_tls_router(apply_route, traefik_proxy, site_backend):
    result, _run = apply_route(route_args(traefik_proxy, site_backend, "secure", entrypoints=["websecure"], tls=True,
                                          https_redirect=True, security_headers=True))
    assert result["route"]["status"] == "enabled"
    redirect = http.client.HTTPConnection("127.0.0.1", traefik_proxy.web_port, timeout=5)
    redirect.request("GET", "/api/method/ping", headers={"Host": "secure.example.test"})
    redirected = redirect.getresponse()
    # Traefik's own default certificate: the test checks routing, not the certificate.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    tls = http.client.HTTPSConnection("127.0.0.1", traefik_proxy.websecure_port, timeout=5, context=context)
    tls.request("GET", "/api/method/ping", headers={"Host": "secure.example.test"})
    served = tls.getresponse()

    assert (redirected.status, redirected.getheader("Location")) == (301, "https://secure.example.test/api/method/ping")
    assert json.loads(served.read()) == {"message": "pong", "site": "secure.example.test"}
    assert served.getheader("X-Content-Type-Options") == "nosniff"
    assert served.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains"


@pytest.fixture
def client_inventory(tmp_path, traefik_proxy, site_backend):
    """An inventory with client acme and the Traefik host; write(**overrides) returns its path."""

    def write(**overrides):
        client = {"ansible_connection": "local", "client_name": "acme", "client_subdomain": "acme",
                  "client_base_domain": "clients.example.test",
                  "client_traefik_dynamic_dir": str(traefik_proxy.dynamic_dir),
                  "client_traefik_api_url": traefik_proxy.api_url, "client_traefik_entrypoints": ["web"],
                  "client_traefik_tls": False, "client_traefik_service_urls": [site_backend]}
        client.update(overrides)
        inventory = {"all": {"children": {"clients": {"hosts": {"acme": client}}},
                             "hosts": {"traefik_host": {"ansible_connection": "local"}}}}
        path = tmp_path / "inventory.json"
        path.write_text(json.dumps(inventory))
        return str(path)

    return write


def test_role_task_routes_the_clients_site(ansible_playbook, client_inventory, traefik_proxy):
    run = ansible_playbook(ROLE_PLAYBOOK, inventory=client_inventory())

    assert run.rc == 0, run.output
    assert traefik_proxy.router("client-acme@file")["status"] == "enabled"
    assert ping(traefik_proxy.web_port, "acme.clients.example.test") == (200, {"message": "pong",
                                                                               "site": "acme.clients.example.test"})


def test_role_task_with_client_state_absent_removes_the_route(ansible_playbook, client_inventory, traefik_proxy):
    assert ansible_playbook(ROLE_PLAYBOOK, inventory=client_inventory()).rc == 0

    run = ansible_playbook(ROLE_PLAYBOOK, inventory=client_inventory(client_state="absent", client_confirm="acme"))

    assert run.rc == 0, run.output
    assert traefik_proxy.router("client-acme@file") is None
    assert ping(traefik_proxy.web_port, "acme.clients.example.test")[0] == 404
