"""traefik_route's file handling, check mode and API confirmation, without Traefik."""

import io
import os
import stat
from types import SimpleNamespace
from urllib.error import HTTPError

import pytest
import yaml

from ansible_collections.securenexus.provisioning.plugins.module_utils import _traefik, _traefik_api
from ansible_collections.securenexus.provisioning.plugins.modules import traefik_route as module


def params(**options):
    """Module params as AnsibleModule would hand them over: every option, defaults applied."""
    values = {key: spec.get("default") for key, spec in module.ARGUMENT_SPEC.items()}
    values.update({"name": "acme", "directory": "/nonexistent", "hosts": ["acme.example.org"],
                   "entrypoints": ["web"], "service_urls": ["http://127.0.0.1:8000"]})
    values.update(options)
    return values


def rendered(**options):
    return _traefik.render(_traefik.validate(params(**options)))


def run_route(tmp_path, check_mode=False, diff=False, **options):
    return module.run(params(directory=str(tmp_path), **options), check_mode, diff)


@pytest.fixture
def fake_api(monkeypatch):
    """Replace Traefik's API: answers are taken in turn from .answers (the last one repeats)."""
    api = SimpleNamespace(answers=[], calls=[])

    def router(self, name):
        api.calls.append(name)
        return api.answers.pop(0) if len(api.answers) > 1 else api.answers[0]

    monkeypatch.setattr(_traefik_api.TraefikApi, "router", router)
    monkeypatch.setattr(_traefik_api, "POLL_INTERVAL", 0)
    return api


def served(config, name="acme", **changes):
    """The router of a rendered config as Traefik's API would serve it."""
    router = dict(config["http"]["routers"][name], status="enabled", name=name + "@file")
    router.update(changes)
    return router


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
    assert result["diff"]["after"] == _traefik.render_text(rendered())
    assert result["diff"]["after_header"] == str(tmp_path / "acme.yml")


def test_check_mode_without_change_still_confirms_the_router(tmp_path, fake_api):
    run_route(tmp_path)
    fake_api.answers = [served(rendered(), status="disabled", error=['middleware "x@file" does not exist'])]

    with pytest.raises(_traefik.RouteError, match='router acme@file as disabled: middleware "x@file" does not exist'):
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

    with pytest.raises(_traefik.RouteError, match="did not load router acme@file .* check Traefik's log"):
        run_route(tmp_path, api_url="http://127.0.0.1:1", wait_timeout=0)


def test_unreachable_api_fails_naming_its_url(tmp_path, monkeypatch):
    monkeypatch.setattr(_traefik_api, "POLL_INTERVAL", 0)

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(_traefik_api, "http_open", refuse)

    with pytest.raises(_traefik.RouteError, match="could not reach Traefik's API at http://127.0.0.1:1"):
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
    with pytest.raises(_traefik.RouteError, match="^directory: .* does not exist"):
        run_route(tmp_path / "missing")


def http_404(body):
    def answer(url, *args, **kwargs):
        raise HTTPError(url, 404, "Not Found", {}, io.BytesIO(body))

    return answer


def test_other_404_is_never_taken_for_a_removed_router(tmp_path, monkeypatch):
    """A starting Traefik, or a URL that is not Traefik's API, answers a plain 404 page."""
    monkeypatch.setattr(_traefik_api, "http_open", http_404(b"404 page not found\n"))

    with pytest.raises(_traefik.RouteError, match="HTTP 404 for http://127.0.0.1:1/x/api/http/routers/acme@file: is api_url"):
        run_route(tmp_path, state="absent", api_url="http://127.0.0.1:1/x/", wait_timeout=0)


def test_plain_404_while_traefik_starts_is_waited_out(tmp_path, monkeypatch):
    monkeypatch.setattr(_traefik_api, "POLL_INTERVAL", 0)
    answers = [http_404(b"404 page not found\n"), http_404(b'{"message":"router not found: acme@file"}\n')]

    def http_open(url, **kwargs):
        return (answers.pop(0) if len(answers) > 1 else answers[0])(url)

    monkeypatch.setattr(_traefik_api, "http_open", http_open)

    result = run_route(tmp_path, state="absent", api_url="http://127.0.0.1:1", wait_timeout=5)

    assert result["changed"] is False
