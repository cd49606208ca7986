"""The transport reads the environment's proxy and CA settings once per session and origin, and honours them.

``requests`` would look them up on every call; the SDK caches what ``merge_environment_settings``
returns. These tests pin that users relying on ``HTTP(S)_PROXY``, ``NO_PROXY`` and
``REQUESTS_CA_BUNDLE`` still get them, and that a change to the session itself is seen at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from onebalance import OneBalance, ProtocolError, RetryPolicy, Timeout
from onebalance.sandbox import DEMO_INTEGRATION_ID

_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.lines: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self.server.lines.append(self.requestline)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.server.answer)))
        self.end_headers()
        self.wfile.write(self.server.answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def servers() -> Iterator[tuple[_Server, _Server]]:
    """A forward proxy (it answers in place of the target) and the target itself."""
    made = [_Server(b"via the proxy"), _Server(b"direct")]
    for server in made:
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield made[0], made[1]
    for server in made:
        server.shutdown()
        server.server_close()


def _post(session: requests.Session, url: str) -> None:
    """One login through ``session`` to ``url``; the servers here do not speak SOAP (a ProtocolError)."""
    client = OneBalance(
        integration_id=DEMO_INTEGRATION_ID,
        username="someone",
        password="Secret-Passw0rd",
        endpoint=url,
        session=session,
        timeout=Timeout(2, 2),
        retry=RetryPolicy.none(),
    )
    with pytest.raises(ProtocolError):
        client.authenticate()


def test_a_proxy_set_in_the_environment_before_the_first_call_is_used(servers, monkeypatch):
    proxy, target = servers
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    session = requests.Session()
    for _ in range(2):  # the first call reads the environment, the second uses what it read
        _post(session, target.url + "/swsim")
    assert proxy.lines == [f"POST {target.url}/swsim HTTP/1.1"] * 2  # a forward proxy sees the absolute URL
    assert target.lines == []


def test_no_proxy_sends_straight_to_the_host(servers, monkeypatch):
    proxy, target = servers
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    session = requests.Session()
    _post(session, target.url + "/swsim")
    assert target.lines == ["POST /swsim HTTP/1.1"]
    assert proxy.lines == []


class _Recording(HTTPAdapter):
    """Records what each request would be sent with, and answers 200."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, Any]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(kwargs)
        response = requests.Response()
        response.status_code = 200
        response.raw = _Body(b"ok")
        response.request = request
        return response


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, amount: int = -1, decode_content: bool = True) -> bytes:
        data, self.data = self.data, b""
        return data

    def stream(self, amount: int, decode_content: bool = True) -> Iterator[bytes]:
        data = self.read()
        if data:
            yield data

    def close(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


@pytest.fixture
def recorded() -> tuple[requests.Session, _Recording]:
    session = requests.Session()
    adapter = _Recording()
    session.mount("https://", adapter)
    return session, adapter


def test_the_ca_bundle_and_https_proxy_of_the_environment_are_used(recorded, monkeypatch, tmp_path):
    session, adapter = recorded
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "direct.example")
    _post(session, "https://swsim.example/a")
    _post(session, "https://swsim.example/b")
    _post(session, "https://direct.example/c")
    first, second, third = adapter.sent
    assert first["verify"] == second["verify"] == third["verify"] == str(bundle)
    assert first["proxies"]["https"] == second["proxies"]["https"] == "http://proxy.example:3128"
    assert "https" not in third["proxies"]  # NO_PROXY is decided per host
    assert first["stream"] is True and first["timeout"] == (2, 2)


def test_a_change_to_the_session_after_the_first_call_is_seen(recorded, monkeypatch, tmp_path):
    session, adapter = recorded
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    _post(session, "https://swsim.example/a")
    bundle = tmp_path / "private-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    session.verify = str(bundle)
    session.proxies = {"https": "http://other-proxy.example:8080"}
    _post(session, "https://swsim.example/a")
    session.trust_env = False
    session.proxies = {}
    _post(session, "https://swsim.example/a")
    before, after, untrusted = adapter.sent
    assert before["verify"] is True and before["proxies"]["https"] == "http://proxy.example:3128"
    # requests gives the environment's proxy precedence over the session's, as without the cache
    assert after["verify"] == str(bundle) and after["proxies"]["https"] == "http://proxy.example:3128"
    assert untrusted["proxies"] == {}


def test_an_instrumented_session_is_called_through_its_own_request(monkeypatch):
    calls: list[tuple[str, dict[str, Any]]] = []

    class Instrumented(requests.Session):
        def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
            calls.append((str(url), kwargs))
            return super().request(method, url, *args, **kwargs)

    session = Instrumented()
    adapter = _Recording()
    session.mount("https://", adapter)
    _post(session, "https://swsim.example/a")
    assert calls[0][0] == "https://swsim.example/a"
    assert calls[0][1]["stream"] is True and calls[0][1]["allow_redirects"] is False


def test_the_sdks_own_session_lays_out_a_request_exactly_as_prepare_request_would() -> None:
    """The guard of the transport's fast path (and of pyproject's ``requests<3``): a requests release that
    lays a request out otherwise than the SDK's own session does fails here, through the private
    functions since the two layouts are what is compared."""
    from onebalance.core import _transport

    session = _transport.shared_session()
    url = "https://swsim.testing.stamps.com/swsim/swsimv111.asmx"
    kwargs = {"headers": {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"urn:x"'}, "data": b"<x/>"}
    ups = "https://onlinetools.ups.com/api/track/v1/details/1Z999?locale=en_US"
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("post", url, kwargs),
        # UPS and FedEx calls: an OAuth ``auth`` keyword left None, GETs and DELETEs without a body
        ("POST", url, {**kwargs, "auth": None}),
        ("GET", ups, {"headers": {"Authorization": "Bearer t"}, "data": None, "auth": None}),
        ("DELETE", ups, {"headers": {"Authorization": "Bearer t"}, "data": None}),
        ("POST", url, {"headers": {}, "data": b""}),
    ]
    for method, address, values in cases:
        fast = _transport._prepare_plain(session, method, address, values)
        full = _transport._prepare(session, method, address, values)
        assert fast is not None, (method, values)
        assert (fast.method, fast.url, fast.body) == (full.method, full.url, full.body), (method, values)
        assert list(fast.headers.items()) == list(full.headers.items()), (method, values)


def test_a_plain_session_gets_its_headers_merged_as_prepare_request_merges_them() -> None:
    """Headers spelt otherwise than the session's replace them in place; a None removes one (either way
    it is spelt); the order and spelling of what is sent are requests' own."""
    from onebalance.core import _transport

    session = requests.Session()
    session.headers["X-Platform"] = "shop"
    url = "https://swsim.testing.stamps.com/swsim/swsimv111.asmx"
    for headers in (
        {"accept": "application/json", "Content-Type": "text/xml"},  # the session's Accept, spelt otherwise
        {"ACCEPT": "text/xml", "x-platform": "other"},
        {"user-agent": None, "SOAPAction": '"urn:x"'},  # None removes the session's User-Agent
        {"X-Platform": None, "Accept": None},
        {"Connection": "close", "connection": "keep-alive"},  # the request's own two spellings: the last wins
    ):
        values: dict[str, Any] = {"headers": headers, "data": b"<x/>"}
        fast = _transport._prepare_plain(session, "POST", url, values)
        full = _transport._prepare(session, "POST", url, values)
        assert fast is not None
        assert list(fast.headers.items()) == list(full.headers.items()), headers


def test_a_header_requests_refuses_is_refused_on_the_direct_layout_too() -> None:
    """requests' check of each header runs once per (name, value): a bad one is refused every time,
    with requests' own InvalidHeader (which the transport reports as a TransportError)."""
    from onebalance.core import _transport

    session = requests.Session()
    url = "https://swsim.testing.stamps.com/swsim/swsimv111.asmx"
    for bad in ({"X-Note": "a\r\nInjected: yes"}, {" X-Lead": "a"}, {"X-Number": 5}, {"X-List": ["a"]}):
        for _ in range(2):  # the second time too: nothing bad is remembered as checked
            with pytest.raises(requests.exceptions.InvalidHeader):
                _transport._prepare(session, "POST", url, {"headers": bad, "data": b"<x/>"})
            with pytest.raises(requests.exceptions.InvalidHeader):
                _transport._prepare_plain(session, "POST", url, {"headers": bad, "data": b"<x/>"})
    good = {"X-Note": "fine"}
    for _ in range(2):  # checked once, then known: laid out the same both times
        fast = _transport._prepare_plain(session, "POST", url, {"headers": good, "data": b"<x/>"})
        assert fast is not None and fast.headers["X-Note"] == "fine"


def test_the_full_preparation_is_used_when_the_session_has_cookies_auth_or_other_keywords() -> None:
    from onebalance.core import _transport

    url = "https://swsim.testing.stamps.com/swsim/swsimv111.asmx"
    kwargs: dict[str, Any] = {"headers": {}, "data": b"<x/>"}
    with_cookie = requests.Session()
    with_cookie.cookies.set("AWSALB", "sticky")  # a load balancer's affinity cookie must go back
    assert _transport._prepare_plain(with_cookie, "POST", url, kwargs) is None
    assert "AWSALB=sticky" in _transport._prepare(with_cookie, "POST", url, kwargs).headers["Cookie"]
    with_auth = requests.Session()
    with_auth.auth = ("u", "p")
    assert _transport._prepare_plain(with_auth, "POST", url, kwargs) is None
    assert _transport._prepare_plain(requests.Session(), "POST", url, {"json": {}}) is None
    assert _transport._prepare_plain(requests.Session(), "POST", url, {"data": "text"}) is None
    assert _transport._prepare_plain(requests.Session(), "POST", url, {**kwargs, "auth": ("u", "p")}) is None


def test_nothing_is_written_into_the_sessions_objects(recorded, tmp_path):
    """The transport keeps what it knows of a session (the environment's settings, a private CA logged)
    apart from it: a session passed in is left as it was given."""
    session, adapter = recorded
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    session.verify = str(bundle)
    before = dict(vars(session))
    _post(session, "https://swsim.example/a")
    _post(session, "https://swsim.example/a")
    assert vars(session) == before
    assert len(adapter.sent) == 2


def test_the_sdks_adapter_works_out_each_origins_pool_key_once(monkeypatch, tmp_path):
    """With a CA bundle path (``REQUESTS_CA_BUNDLE``), ``requests`` would ``stat`` it on every
    request to choose the pool's settings; the SDK's adapter chooses them once per origin, verify
    and client certificate, and they are what ``requests`` itself chooses."""
    import os

    from onebalance.core._deadline import DeadlineAdapter

    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    looked: list[str] = []
    isdir = os.path.isdir
    monkeypatch.setattr(os.path, "isdir", lambda path: looked.append(str(path)) or isdir(path))
    ours, theirs = DeadlineAdapter(), HTTPAdapter()

    def key(adapter: HTTPAdapter, url: str, verify: Any, cert: Any = None) -> Any:
        prepared = requests.Request("POST", url, data=b"x").prepare()
        return adapter.build_connection_pool_key_attributes(prepared, verify, cert)

    first = key(ours, "https://swsim.example:8443/swsim/a.asmx", str(bundle))
    assert first == key(theirs, "https://swsim.example:8443/swsim/a.asmx", str(bundle))
    assert first[1]["ca_certs"] == str(bundle) and first[0]["port"] == 8443
    looked.clear()
    first[1]["ca_certs"] = "changed by the pool manager"
    again = key(ours, "https://swsim.example:8443/other/path?q=1", str(bundle))
    assert again[1]["ca_certs"] == str(bundle) and looked == []  # the same origin: nothing looked up again
    # Another origin, another verify or a client certificate: its own key, as requests makes it.
    for url, verify, cert in (
        ("https://ups.example/ship", str(bundle), None),
        ("https://swsim.example:8443/a", str(tmp_path), None),
        ("https://swsim.example:8443/a", True, ("c.pem", "k.pem")),
        ("https://swsim.example:8443/a", True, ["c.pem", "k.pem"]),  # unhashable: worked out each time
    ):
        assert key(ours, url, verify, cert) == key(theirs, url, verify, cert)


class _Keeping(_Recording):
    """Records each prepared request too."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.requests.append(request)
        return super().send(request, **kwargs)


def test_a_session_passed_in_is_laid_out_directly_once_its_origin_is_known(monkeypatch, tmp_path):
    """A platform's own session gets the SDK's direct layout from its second request to an origin
    (``prepare_request`` merges cookies, auth and hooks and reads ``~/.netrc`` on every call),
    the same request as ``requests`` lays out; unless ``~/.netrc`` holds a login for the host, or
    the session prepares its requests its own way: then every request is prepared in full."""
    from onebalance.core import _transport

    full: list[str] = []
    prepare = _transport._prepare
    monkeypatch.setattr(_transport, "_prepare", lambda session, *args: full.append(args[1]) or prepare(session, *args))

    def sent_through(session: requests.Session, url: str) -> list[requests.PreparedRequest]:
        adapter = _Keeping()
        session.mount("https://", adapter)
        for _ in range(3):
            _post(session, url)
        return adapter.requests

    plain = requests.Session()
    plain.headers["X-Platform"] = "shop-42"
    first, second, third = sent_through(plain, "https://swsim.example/a")
    assert full == ["https://swsim.example/a"]  # the first request only
    for later in (second, third):
        assert (later.method, later.url, later.body) == (first.method, first.url, first.body)
        assert dict(later.headers) == dict(first.headers) and later.headers["X-Platform"] == "shop-42"

    netrc = tmp_path / "netrc"
    netrc.write_text("machine ups.example login platform password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    full.clear()
    logged_in = sent_through(requests.Session(), "https://ups.example/a")
    assert len(full) == 3 and all(r.headers["Authorization"].startswith("Basic ") for r in logged_in)

    class Own(requests.Session):
        def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
            prepared = super().prepare_request(request)
            prepared.headers["X-Signed"] = "yes"
            return prepared

    full.clear()
    own = sent_through(Own(), "https://swsim.example/a")
    assert len(full) == 3 and all(r.headers["X-Signed"] == "yes" for r in own)
