"""Bad configuration is refused with a typed error before anything is sent."""

from __future__ import annotations

import pytest
import responses

from onebalance import PRODUCTION_ENDPOINT, TESTING_ENDPOINT, ConfigurationError, OneBalance, Timeout
from onebalance.sandbox import DEMO_INTEGRATION_ID

GOOD = {
    "integration_id": DEMO_INTEGRATION_ID,
    "username": "merchant",
    "password": "Passw0rd!",
    "endpoint": TESTING_ENDPOINT,
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("integration_id", "not-a-guid", "integration_id"),
        ("integration_id", "", "integration_id"),
        ("username", "", "username"),
        ("username", "x" * 41, "username"),
        ("password", "", "password"),
        ("endpoint", "", "endpoint"),
        ("endpoint", "ftp://swsim.stamps.com/x", "http"),
        ("endpoint", "http://swsim.stamps.com/swsim/swsimv111.asmx", "https"),
        ("endpoint", "http://10.1.2.3/swsim/swsimv111.asmx", "https"),
        ("endpoint", "https://user:pw@swsim.stamps.com/swsim/swsimv111.asmx", "credentials"),
        ("endpoint", "swsim.stamps.com", "http"),
    ],
)
def test_bad_configuration_is_refused_and_nothing_is_sent(field, value, message):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        with pytest.raises(ConfigurationError, match=message):
            OneBalance(**(GOOD | {field: value}))
        assert len(mock.calls) == 0


@pytest.mark.parametrize(
    "endpoint",
    [
        PRODUCTION_ENDPOINT,
        TESTING_ENDPOINT,
        "http://127.0.0.1:8080/swsim/swsimv135.asmx",
        "http://localhost/swsim/swsimv135.asmx",
        "http://[::1]:9000/swsim/swsimv135.asmx",
        "http://swsim.sandbox.onebalance.test/swsim/swsimv135.asmx",
    ],
)
def test_https_everywhere_and_plain_http_only_on_local_hosts(endpoint):
    assert OneBalance(**(GOOD | {"endpoint": endpoint})).endpoint == endpoint


@pytest.mark.parametrize("endpoint", [[], {}, None, b"https://swsim.stamps.com/swsim/swsimv135.asmx"])
def test_an_endpoint_that_is_not_text_is_a_configuration_error(endpoint):
    with pytest.raises(ConfigurationError, match="endpoint must be a URL"):
        OneBalance(**(GOOD | {"endpoint": endpoint}))


def test_the_endpoints_follow_the_chosen_version():
    assert TESTING_ENDPOINT == "https://swsim.testing.stamps.com/swsim/swsimv135.asmx"
    assert PRODUCTION_ENDPOINT == "https://swsim.stamps.com/swsim/swsimv135.asmx"
    assert OneBalance(**GOOD).api_version == "v135"
    old = OneBalance(**GOOD, api_version="v111")
    assert old.api_version == "v111"
    assert old.endpoint == "https://swsim.testing.stamps.com/swsim/swsimv111.asmx"
    assert OneBalance(**(GOOD | {"endpoint": PRODUCTION_ENDPOINT}), api_version="v111").endpoint.endswith(
        "swsim.stamps.com/swsim/swsimv111.asmx"
    )
    # a v111 path given to a v135 client follows it too; any other URL is kept as it is
    given = "http://127.0.0.1:8080/SWSIM/SwsimV111.asmx"
    assert OneBalance(**(GOOD | {"endpoint": given})).endpoint == "http://127.0.0.1:8080/swsim/swsimv135.asmx"
    assert OneBalance(**(GOOD | {"endpoint": "http://127.0.0.1:8080/soap"}), api_version="v111").endpoint == (
        "http://127.0.0.1:8080/soap"
    )


@pytest.mark.parametrize("version", ["v112", "135.0", "", 135])
def test_an_unknown_version_is_a_configuration_error(version):
    with pytest.raises(ConfigurationError, match="api_version must be one of v111, v135"):
        OneBalance(**GOOD, api_version=version)


@pytest.mark.parametrize(("connect", "read"), [(0, 1), (1, -1), (1, "3")])
def test_timeouts_must_be_positive_numbers(connect, read):
    with pytest.raises(ConfigurationError, match="timeout"):
        Timeout(connect=connect, read=read)


def test_every_call_has_connect_and_read_timeouts():
    client = OneBalance(**GOOD, timeout=Timeout(connect=2, read=7))
    assert client.timeout.as_tuple() == (2, 7)
    assert OneBalance(**GOOD).timeout.as_tuple() == (5.0, 30.0)


def test_clients_share_one_session_and_one_parsed_wsdl():
    a, b = OneBalance(**GOOD), OneBalance(**(GOOD | {"username": "other"}))
    assert a.transport.session is b.transport.session
    assert a._wire.schema is b._wire.schema


def test_clients_with_the_same_settings_share_one_wire_and_only_those():
    """A platform's thousands of merchants share one Wire (nothing of an account is in it); a client
    made with another timeout, session, retry policy or version has its own, and it goes with them."""
    import gc
    import weakref

    import requests

    from onebalance import RetryPolicy

    a, b = OneBalance(**GOOD), OneBalance(**(GOOD | {"username": "other"}))
    assert a._wire is b._wire and a.username != b.username
    session = requests.Session()
    others = [
        OneBalance(**GOOD, timeout=Timeout(connect=2, read=7)),
        OneBalance(**GOOD, session=session),
        OneBalance(**GOOD, retry=RetryPolicy.none()),
        OneBalance(**GOOD, api_version="v111"),
    ]
    assert len({id(c._wire) for c in [a, *others]}) == 5
    assert OneBalance(**GOOD, session=session)._wire is others[1]._wire
    assert OneBalance(**GOOD, session=requests.Session())._wire is not others[1]._wire
    assert others[0].timeout.as_tuple() == (2, 7) and others[1].transport.session is session
    assert others[3].endpoint != a.endpoint  # the v111 path
    gone = weakref.ref(others[0]._wire)
    del others
    gc.collect()
    assert gone() is None


def test_a_session_made_unsafe_after_a_first_client_is_still_refused():
    import requests

    session = requests.Session()
    OneBalance(**GOOD, session=session)
    session.verify = False
    with pytest.raises(ConfigurationError):
        OneBalance(**GOOD, session=session)


def test_a_session_with_tls_verification_off_is_refused():
    import requests

    session = requests.Session()
    session.verify = False
    with pytest.raises(ConfigurationError, match="TLS verification"):
        OneBalance(**GOOD, session=session)
    session.verify = "/etc/ssl/certs/ca-certificates.crt"  # a private CA bundle is fine
    assert OneBalance(**GOOD, session=session)


def test_a_closed_client_refuses_calls(client):
    from onebalance import ClientClosed

    client.account()
    with client:
        pass
    with pytest.raises(ClientClosed):
        client.account()
    with pytest.raises(ClientClosed):
        client.authenticate()
