"""Transport, authentication and status codes (CONTRACT.md "Transport, auth, status codes")."""

import pytest
from mailcow_contract import Api, start_private_emulator

ERROR_RW_DENIED = {"type": "error", "msg": "API read/write access denied"}


def test_get_without_key_answers_200_with_an_empty_body(api):
    """[#1] No X-API-Key header: HTTP 200, zero bytes, JSON content type."""
    response = api.get("get/domain/all", key=None)
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["Content-Type"].startswith("application/json")


def test_get_with_an_empty_key_header_answers_200_with_an_empty_body(api):
    """[#2] An empty X-API-Key header counts as no key."""
    response = api.get("get/domain/all", key="")
    assert (response.status_code, response.content) == (200, b"")


@pytest.mark.parametrize("method,path,body", [("GET", "get/domain/all", None),
                                              ("POST", "add/domain", {"domain": "wrongkey.example"})])
def test_wrong_key_is_401_authentication_failed(api, method, path, body):
    """[#3, #4] An unknown key: 401 for reads and writes alike."""
    response = api.request(method, path, body, key="WRONG-KEY-1234")
    assert response.status_code == 401
    assert response.json() == {"type": "error", "msg": "authentication failed"}


def test_read_only_key_can_read(read_only_api):
    """[#6] GETs work with the read-only key."""
    response = read_only_api.get("get/domain/all")
    assert response.status_code == 200
    assert isinstance(response.json(), (list, dict))


@pytest.mark.parametrize("path,body", [("add/domain", {"domain": "ro-test.example"}),
                                       ("edit/domain", {"items": ["ro-test.example"], "attr": {"description": "x"}}),
                                       ("delete/domain", ["ro-test.example"])])
def test_read_only_key_is_refused_writes_with_403(read_only_api, path, body):
    """[#7, #8, #9] add, edit and delete with the read-only key: 403 read/write access denied."""
    response = read_only_api.post(path, body)
    assert response.status_code == 403
    assert response.json() == ERROR_RW_DENIED


def test_add_without_key_answers_200_with_access_denied_entry(api):
    """[#10] add without a key reaches the business function, which refuses it."""
    response = api.post("add/domain", {"domain": "nokey.example"}, key=None)
    assert response.status_code == 200
    assert response.json() == [{"type": "danger", "log": ["mailbox", "add", "domain", {"domain": "nokey.example"}, None],
                                "msg": "access_denied"}]


@pytest.mark.parametrize("path,body", [("edit/domain", {"items": ["nokey.example"], "attr": {"description": "x"}}),
                                       ("delete/domain", ["nokey.example"])])
def test_edit_and_delete_without_key_are_403(api, path, body):
    """[#11, #12] edit and delete need an authenticated session."""
    response = api.post(path, body, key=None)
    assert response.status_code == 403
    assert response.json() == ERROR_RW_DENIED


@pytest.fixture(scope="module")
def ip_locked(tmp_path_factory):
    process, url = start_private_emulator(tmp_path_factory.mktemp("iplock"), "--api-key", "IPLOCK-KEY-1",
                                          "--allow-from", "127.0.0.2", "10.0.0.0/8")
    yield url
    process.terminate()
    process.wait(timeout=10)


# The real server's IP-locked key only accepts 127.0.0.2, which a client here cannot send from.
@pytest.mark.emulator_only
def test_key_used_from_an_ip_outside_allow_from_is_401_naming_the_ip(ip_locked):
    """[#5] skip_ip_check off and the client IP not allowed: 401 with the IP in the message."""
    response = Api(ip_locked, "IPLOCK-KEY-1").get("get/domain/all")
    assert response.status_code == 401
    assert response.json() == {"type": "error", "msg": "api access denied for ip 127.0.0.1"}


@pytest.mark.emulator_only
def test_allow_from_accepts_a_client_inside_a_listed_network(tmp_path):
    """[#5] The allow-list takes addresses and CIDR networks."""
    process, url = start_private_emulator(tmp_path, "--api-key", "IPLOCK-KEY-1", "--allow-from", "127.0.0.0/8")
    try:
        assert Api(url, "IPLOCK-KEY-1").get("get/domain/all").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("path,raw", [("add/domain", '{"domain": "broken.example", '),
                                      ("edit/domain", '{"items":["x.example"],'),
                                      ("delete/domain", '["broken.example"'),
                                      ("add/domain", "")])
def test_malformed_or_empty_json_body_is_400(api, path, raw):
    """[#126, #127, #128, #130] Bad JSON (or none) with the JSON content type."""
    response = api.request("POST", path, raw=raw)
    assert response.status_code == 400
    assert response.json() == {"type": "error", "msg": "Request body doesn't contain valid json!"}


def test_body_without_json_content_type_is_ignored(api):
    """[#129] Without Content-Type: application/json the attributes are missing."""
    response = api.request("POST", "add/domain", raw='{"domain":"noctype.example"}', content_type=None)
    assert response.status_code == 200
    assert response.json() == {"type": "error", "msg": "Cannot find attributes in post data"}
    assert api.get_json("get/domain/noctype.example") == {}


def test_content_type_only_needs_to_contain_application_json(api):
    """[#129] The check is a substring test, so a charset parameter is fine."""
    response = api.request("POST", "edit/domain", {"attr": {}}, content_type="application/json; charset=utf-8")
    assert response.json() == {"type": "success", "msg": "Task completed"}


def test_get_on_an_add_endpoint_reports_missing_attributes(api):
    """[#131] The attribute check comes before the method check."""
    response = api.get("add/domain")
    assert response.status_code == 200
    assert response.json() == {"type": "error", "msg": "Cannot find attributes in post data"}


def test_post_on_a_get_endpoint_is_405(api):
    """[#132]"""
    response = api.post("get/domain/all", {})
    assert response.status_code == 405
    assert response.json() == {"type": "error", "msg": "only GET method is allowed"}


def test_http_delete_on_a_delete_endpoint_is_405(api):
    """[#123] Deletes are POSTs."""
    response = api.request("DELETE", "delete/domain", ["contract-never-created.example"])
    assert response.status_code == 405
    assert response.json() == {"type": "error", "msg": "only POST method is allowed"}


@pytest.mark.parametrize("method,path,body", [("GET", "frobnicate/domain", None), ("GET", "get/nonsense/all", None),
                                              ("POST", "add/nonsense", {"a": "b"}),
                                              ("POST", "edit/nonsense", {"items": ["a"], "attr": {}}),
                                              ("POST", "delete/nonsense", ["x"])])
def test_unknown_action_or_category_is_404(api, method, path, body):
    """[#133-#137] (the GETs as recorded: without a content type)"""
    response = api.request(method, path, body, content_type="application/json" if body is not None else None)
    assert response.status_code == 404
    assert response.json() == {"type": "error", "msg": "route not found"}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_json_content_type_without_a_body_is_400_for_any_action_but_get(api, method):
    """json_api.php checks the JSON body of every action except "get", whatever the method."""
    response = api.request(method, "frobnicate/domain")
    assert response.status_code == 400
    assert response.json() == {"type": "error", "msg": "Request body doesn't contain valid json!"}


def test_get_answers_json_content_type(api):
    """[#13] Reads are JSON (pretty-printed by Mailcow)."""
    response = api.get("get/domain/all")
    assert response.headers["Content-Type"].startswith("application/json")
