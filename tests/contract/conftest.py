import pytest
from mailcow_contract import Api, Sandbox


@pytest.fixture(scope="session")
def api(mailcow_api):
    return Api(mailcow_api.url, mailcow_api.api_key)


@pytest.fixture
def sandbox(api):
    """Creates uniquely named contract-*.example objects and removes them afterwards."""
    objects = Sandbox(api)
    yield objects
    objects.cleanup()


@pytest.fixture
def read_only_api(mailcow_api):
    if not mailcow_api.read_only_key:
        pytest.skip("no read-only API key available (set MAILCOW_API_READ_ONLY_KEY for a real Mailcow)")
    return Api(mailcow_api.url, mailcow_api.read_only_key)
