"""Hostile XML and JSON on both sides of the wire: typed errors, fast, nothing read or fetched.

The client must turn any answer that is not the expected SOAP (or JSON) into a ProtocolError;
the sandbox must answer any hostile request with a SOAP fault. XXE payloads point at a local file
holding a marker and at a local HTTP server counting its hits: the marker never shows and the
server is never called.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses

from carriers import Address, Parcel, ShipmentRequest, Weight
from carriers.fedex import FedexClient, FedexSettings
from carriers.ups import UpsClient, UpsSettings
from onebalance import ConfigurationError, OneBalance, OneBalanceError, ProtocolError, RetryPolicy
from onebalance.core._config import MAX_RESPONSE_BYTES, check_tls, decode_json, read_body
from onebalance.sandbox import Sandbox
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

from ._soap import MAX_XML_BYTES, UnsafeXML, parse

#: Malformed answers are retried like any transient failure; these tests check the final error, not the waits.
NO_WAIT = RetryPolicy(attempts=2, backoff_base=0, backoff_max=0)

MARKER = "TOP-SECRET-MARKER-7f3a"
#: Every hostile case must be refused well within this (a billion-laughs expansion would take minutes).
#: It bounds a hang, not a speed: a normal answer takes milliseconds, but a loaded 2-core machine running
#: the suite on both cores can stall one for a second or more.
FAST = 5.0


class _Counter(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        body = MARKER.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


@pytest.fixture(scope="module")
def bait(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, type[_Counter]]]:
    """A local file holding the marker, and a local URL serving it that counts its hits."""
    secret = tmp_path_factory.mktemp("xxe") / "secret.txt"
    secret.write_text(MARKER)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield secret, f"http://127.0.0.1:{server.server_address[1]}/dtd", _Counter
    finally:
        server.shutdown()
        server.server_close()


def _laughs(levels: int = 10) -> str:
    ents = ['<!ENTITY l0 "lol">'] + [f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, levels)]
    return f"<!DOCTYPE r [{''.join(ents)}]>"


def _payloads(secret: Path, url: str) -> dict[str, Callable[[str], bytes]]:
    """Each hostile case as a function of the innocent element text it replaces (``&e;`` etc.)."""
    file_url = secret.as_uri()
    doctypes = {
        "xxe-file": (f'<!DOCTYPE r [<!ENTITY e SYSTEM "{file_url}">]>', "&e;"),
        "xxe-http": (f'<!DOCTYPE r [<!ENTITY e SYSTEM "{url}">]>', "&e;"),
        "parameter-entity": (f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}"> %p;]>', "x"),
        "external-dtd": (f'<!DOCTYPE Envelope SYSTEM "{url}">', "x"),
        "public-dtd": (f'<!DOCTYPE Envelope PUBLIC "-//X//Y" "{file_url}">', "x"),
        "billion-laughs": (_laughs(), "&l9;"),
        "quadratic-blowup": ('<!DOCTYPE r [<!ENTITY a "' + "A" * 50_000 + '">]>', "&a;" * 20_000),
    }
    cases: dict[str, Callable[[str], bytes]] = {}
    for name, (doctype, ref) in doctypes.items():
        cases[name] = lambda xml, d=doctype, r=ref: _with_doctype(xml, d, r).encode()
        cases[name + "-utf16"] = lambda xml, d=doctype, r=ref: (
            _with_doctype(xml, d, r).replace("encoding='utf-8'", "encoding='UTF-16'").encode("utf-16")
        )
        # UTF-7 is ASCII bytes in which "<!" is "+ADwAIQ-": the byte scan for "<!" cannot see it.
        cases[name + "-utf7"] = lambda xml, d=doctype, r=ref: (
            _with_doctype(xml, d, r).replace("encoding='utf-8'", "encoding='UTF-7'").replace("<!", "+ADwAIQ-").encode()
        )
    cases["undeclared-entity"] = lambda xml: xml.replace("El Segundo", "&e;").replace("demo-merchant", "&e;").encode()
    cases["deep-nesting"] = lambda xml: _inside_body(xml, "<a>" * 50_000 + "</a>" * 50_000)
    cases["huge-text"] = lambda xml: _inside_body(xml, "<a>" + "x" * 11_000_000 + "</a>")
    return cases


def _with_doctype(xml: str, doctype: str, ref: str) -> str:
    head, _, rest = xml.partition("?>")
    for innocent in ("El Segundo", "demo-merchant"):  # response text, request text
        rest = rest.replace(innocent, ref, 1)
    return head + "?>" + doctype + rest


def _inside_body(xml: str, junk: str) -> bytes:
    return xml.replace("<soap:Body>", "<soap:Body>" + junk, 1).encode()


# -- the parser itself --------------------------------------------------------------------------------


def test_the_parser_refuses_every_hostile_document_fast_without_reading_or_fetching(bait: Any) -> None:
    secret, url, counter = bait
    template = (
        "<?xml version='1.0' encoding='utf-8'?>"
        "<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'>"
        "<soap:Body><x>El Segundo</x></soap:Body></soap:Envelope>"
    )
    assert parse(template.encode()).findtext("*/x") == "El Segundo"  # innocent, it parses: the cases below refuse
    for name, make in _payloads(secret, url).items():
        data = make(template)
        started = time.perf_counter()
        with pytest.raises(UnsafeXML) as info:
            parse(data)
        assert time.perf_counter() - started < FAST, name
        assert MARKER not in str(info.value), name
    assert counter.hits == 0


def test_the_parser_refuses_oversized_documents_before_parsing() -> None:
    with pytest.raises(UnsafeXML, match="limit"):
        parse(b"<a>" + b" " * (MAX_XML_BYTES + 1) + b"</a>")
    with pytest.raises(UnsafeXML):
        parse("<a/>")  # type: ignore[arg-type]  # text, not bytes
    assert parse(b"<?xml version='1.0' encoding='ISO-8859-1'?><a>\xe9</a>").text == "\u00e9"


# -- hostile answers to the SWSIM client --------------------------------------------------------------

SWSIM_URL = "https://swsim.hostile.test/swsim"


@pytest.fixture
def swsim() -> Sandbox:
    box = Sandbox()
    box.create_demo_account()
    return box


def _account_with(box: Sandbox, mutate: Callable[[int, bytes], tuple[int, dict[str, str], bytes]]) -> Any:
    """GetAccountInfo through a client whose answer to it is rewritten by ``mutate``."""
    creds = box.create_demo_account()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:

        def answer(request: Any) -> tuple[int, dict[str, str], bytes]:
            body = request.body if isinstance(request.body, bytes) else request.body.encode()
            reply = box.handle(body, request.headers.get("SOAPAction"))
            if "GetAccountInfo" in request.headers.get("SOAPAction", ""):
                return mutate(reply.status, reply.body)
            return reply.status, {"Content-Type": reply.content_type}, reply.body

        mock.add_callback("POST", SWSIM_URL, callback=answer)
        client = OneBalance(
            integration_id=creds.integration_id,
            username=creds.username,
            password=creds.password,
            endpoint=SWSIM_URL,
            retry=NO_WAIT,
        )
        return client.account()


def _replace(pattern: bytes, new: bytes) -> Callable[[int, bytes], tuple[int, dict[str, str], bytes]]:
    return lambda status, body: (status, {"Content-Type": "text/xml"}, re.sub(pattern, new, body, count=1))


def _constant(status: int, body: bytes, ctype: str = "text/xml") -> Callable[..., tuple[int, dict[str, str], bytes]]:
    return lambda _s, _b: (status, {"Content-Type": ctype}, body)


MALFORMED_SWSIM = {
    "nan-balance": _replace(rb"<AvailablePostage>[^<]*<", b"<AvailablePostage>NaN<"),
    "infinite-balance": _replace(rb"<AvailablePostage>[^<]*<", b"<AvailablePostage>1e999<"),
    "text-in-a-number": _replace(rb"<CustomerID>[^<]*<", b"<CustomerID>abc<"),
    "missing-element": _replace(rb"<PostageBalance>.*</PostageBalance>", b""),
    "negative-balance": _replace(rb"<AvailablePostage>[^<]*<", b"<AvailablePostage>-5.00<"),
    "negative-control-total": _replace(rb"<ControlTotal>[^<]*<", b"<ControlTotal>-0.01<"),
    "wrong-operation": _replace(rb"GetAccountInfoResponse", b"GetRatesResponse"),
    "json-not-xml": _constant(200, b'{"AvailablePostage": 5}', "application/json"),
    "html-page": _constant(200, b"<html><body>Service Unavailable</body></html>", "text/html"),
    "empty-body": _constant(200, b""),
    "truncated": lambda s, b: (s, {}, b[: len(b) // 2]),
    "not-utf8": lambda s, b: (s, {}, b.replace(b"El Segundo", b"El \xff\xfe Segundo")),
    "two-body-children": lambda s, b: (s, {}, b.replace(b"</soap:Body>", b"<x/></soap:Body>")),
    "redirect": _constant(302, b""),
    "http-400": _constant(400, b"bad request", "text/plain"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_SWSIM))
def test_malformed_swsim_answers_are_protocol_errors(swsim: Sandbox, case: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ProtocolError) as info:
        _account_with(swsim, MALFORMED_SWSIM[case])
    assert time.perf_counter() - started < FAST
    if not case.startswith("negative"):  # refused by the model, after the exchange
        assert info.value.operation == "GetAccountInfo"


def test_hostile_xml_answers_are_protocol_errors_that_read_and_fetch_nothing(swsim: Sandbox, bait: Any) -> None:
    secret, url, counter = bait
    for name, make in _payloads(secret, url).items():
        started = time.perf_counter()
        with pytest.raises(ProtocolError) as info:
            _account_with(swsim, lambda status, body, make=make: (status, {}, make(body.decode())))
        assert time.perf_counter() - started < 2 * FAST, name
        assert MARKER not in str(info.value) and MARKER not in repr(info.value.args), name
    assert counter.hits == 0


# -- hostile requests to the SWSIM sandbox ------------------------------------------------------------


def _innocent_request(box: Sandbox) -> bytes:
    seen: list[bytes] = []
    box.observers.append(lambda direction, op, body: seen.append(body) if direction == "request" else None)
    creds = box.create_demo_account()
    with box.mock() as url:
        OneBalance(
            integration_id=creds.integration_id,
            username=creds.username,
            password=creds.password,
            endpoint=url,
            retry=NO_WAIT,
        ).authenticate()
    return seen[0]


def _assert_soap_fault(status: int, body: bytes, name: str) -> None:
    assert status in (400, 413, 500), name
    if status == 500:
        assert b"soap:Fault" in body and b"soap:Client" in body, name
    assert MARKER.encode() not in body, name


def test_the_sandbox_answers_hostile_requests_with_a_fault_in_process(swsim: Sandbox, bait: Any) -> None:
    secret, url, counter = bait
    request = _innocent_request(swsim).decode()
    action = "http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111/AuthenticateUser"
    for name, make in _payloads(secret, url).items():
        started = time.perf_counter()
        reply = swsim.handle(make(request), action)
        assert time.perf_counter() - started < FAST, name
        _assert_soap_fault(reply.status, reply.body, name)
        with swsim.mock() as base:  # and through requests, as a client would post it
            answer = requests.post(base, data=make(request), headers={"SOAPAction": action}, timeout=5)
        _assert_soap_fault(answer.status_code, answer.content, name)
    reply = swsim.handle(b"<a>" + b" " * (9 * 1024 * 1024) + b"</a>", action)
    _assert_soap_fault(reply.status, reply.body, "oversized")
    assert counter.hits == 0
    assert swsim.ledger("demo-merchant")  # the sandbox still works


def test_the_sandbox_server_answers_hostile_requests_with_a_fault(swsim: Sandbox, bait: Any) -> None:
    secret, url, counter = bait
    request = _innocent_request(swsim).decode()
    action = '"http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111/AuthenticateUser"'
    with swsim.serve() as server:
        for name, make in _payloads(secret, url).items():
            started = time.perf_counter()
            answer = requests.post(server.url, data=make(request), headers={"SOAPAction": action}, timeout=10)
            assert time.perf_counter() - started < 2 * FAST, name
            _assert_soap_fault(answer.status_code, answer.content, name)
        parts = urlsplit(server.url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        conn.putrequest("POST", parts.path)
        conn.putheader("Content-Length", str(9 * 1024 * 1024))  # declared, never sent
        conn.endheaders()
        assert conn.getresponse().status == 413
        conn.close()
        creds = swsim.create_demo_account()
        OneBalance(  # still serving
            integration_id=creds.integration_id,
            username=creds.username,
            password=creds.password,
            endpoint=server.url,
            retry=NO_WAIT,
        ).account()
    assert counter.hits == 0


# -- hostile answers to the UPS and FedEx clients -----------------------------------------------------

SHIPMENT = ShipmentRequest(
    shipper=Address(
        name="Acme", street_lines=["1 Main St"], city="Springfield", state="IL", postal_code="62701", phone="2175550100"
    ),
    recipient=Address(
        name="Jane", street_lines="9 Elm St", city="Austin", state="TX", postal_code="78701", phone="5125550199"
    ),
    parcels=[Parcel(weight=Weight("2.5", "lb"))],
    ship_date=date(2030, 1, 7),
)
Mutate = Callable[[int, bytes], tuple[int, dict[str, str], bytes]]


def _rest_rates(kind: str, target: str, mutate: Mutate) -> Any:
    """Rates from the UPS or FedEx sandbox, with the answer to ``target`` (a URL part) rewritten."""
    url = f"https://{kind}.hostile.test"
    box: Any
    if kind == "ups":
        box = UpsSandbox()
        box.create_account("hostile-client-id", "hostile-client-secret", ["A1B2C3"])
        client: Any = UpsClient(
            UpsSettings(
                client_id="hostile-client-id",
                client_secret="hostile-client-secret",
                account_number="A1B2C3",
                base_url=url,
            ),
            retry=NO_WAIT,
        )
    else:
        box = FedexSandbox()
        client = FedexClient(box.create_account(account_number="740561073").settings(url), retry=NO_WAIT)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:

        def answer(request: Any) -> tuple[int, dict[str, str], bytes]:
            body = request.body or b""
            body = body.encode() if isinstance(body, str) else body
            reply = box.handle(request.method, request.url.split(".test", 1)[1], dict(request.headers), body)
            if target in request.url:
                return mutate(reply.status, reply.body)
            return reply.status, dict(reply.headers), reply.body

        for method in ("GET", "POST"):
            mock.add_callback(method, re.compile(re.escape(url) + ".*"), callback=answer)
        return client.rates(SHIPMENT)


def _json_sub(pattern: bytes, new: bytes) -> Mutate:
    return lambda s, b: (s, {"Content-Type": "application/json"}, re.sub(pattern, new, b, count=1))


UPS_MONEY = rb'"MonetaryValue":\s*"[^"]*"'
FEDEX_MONEY = rb'"totalNetCharge":\s*[-0-9.e]+'
COMMON: dict[str, Mutate] = {
    "xml-not-json": _constant(200, b"<?xml version='1.0'?><RateResponse/>"),
    "html": _constant(200, b"<html>busy</html>", "text/html"),
    "empty": _constant(200, b"", "application/json"),
    "a-list": _constant(200, b"[1, 2]", "application/json"),
    "null": _constant(200, b"null", "application/json"),
    "not-utf8": _constant(200, b'{"a": "\xff\xfe"}', "application/json"),
    "truncated": lambda s, b: (s, {"Content-Type": "application/json"}, b[: len(b) // 2]),
}
HOSTILE_REST: dict[tuple[str, str], tuple[str, Mutate]] = {
    **{("ups", k): ("rating", v) for k, v in COMMON.items()},
    **{("fedex", k): ("rate", v) for k, v in COMMON.items()},
    ("ups", "nan-money"): ("rating", _json_sub(UPS_MONEY, b'"MonetaryValue": NaN')),
    ("ups", "nan-string-money"): ("rating", _json_sub(UPS_MONEY, b'"MonetaryValue": "NaN"')),
    ("ups", "huge-money"): ("rating", _json_sub(UPS_MONEY, b'"MonetaryValue": 1e999')),
    ("ups", "negative-money"): ("rating", _json_sub(UPS_MONEY, b'"MonetaryValue": "-12.00"')),
    ("ups", "object-money"): ("rating", _json_sub(UPS_MONEY, b'"MonetaryValue": {"a": 1}')),
    ("ups", "nan-token-lifetime"): ("oauth", _json_sub(rb'"expires_in":\s*"[^"]*"', b'"expires_in": "NaN"')),
    ("ups", "infinite-token-lifetime"): ("oauth", _json_sub(rb'"expires_in":\s*"[^"]*"', b'"expires_in": 1e999')),
    ("ups", "token-not-a-string"): ("oauth", _json_sub(rb'"access_token":\s*"[^"]*"', b'"access_token": 5')),
    ("fedex", "nan-money"): ("rate", _json_sub(FEDEX_MONEY, b'"totalNetCharge": NaN')),
    ("fedex", "huge-money"): ("rate", _json_sub(FEDEX_MONEY, b'"totalNetCharge": 1e999')),
    ("fedex", "negative-money"): ("rate", _json_sub(FEDEX_MONEY, b'"totalNetCharge": -3.5')),
    ("fedex", "text-money"): ("rate", _json_sub(FEDEX_MONEY, b'"totalNetCharge": "abc"')),
    ("fedex", "infinite-token-lifetime"): ("oauth", _json_sub(rb'"expires_in":\s*[0-9]+', b'"expires_in": 1e999')),
    ("fedex", "nan-token-lifetime"): ("oauth", _json_sub(rb'"expires_in":\s*[0-9]+', b'"expires_in": NaN')),
}


@pytest.mark.parametrize(("kind", "case"), sorted(HOSTILE_REST))
def test_malformed_ups_and_fedex_answers_are_protocol_errors(kind: str, case: str) -> None:
    target, mutate = HOSTILE_REST[(kind, case)]
    started = time.perf_counter()
    with pytest.raises(ProtocolError):
        _rest_rates(kind, target, mutate)
    assert time.perf_counter() - started < FAST


DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("kind", ["ups", "fedex"])
def test_deeply_nested_json_answers_are_protocol_errors(kind: str) -> None:
    with pytest.raises(ProtocolError):
        _rest_rates(kind, "rat", _constant(200, DEEP_JSON, "application/json"))


@pytest.mark.parametrize(
    "content", [DEEP_JSON, b'{"a": NaN}', b'{"a": Infinity}', b"<a/>", b"\xff\xfe{", b"", b'{"a": 1']
)
def test_decode_json_turns_anything_not_json_into_a_protocol_error(content: bytes) -> None:
    with pytest.raises(ProtocolError, match="not JSON"):
        decode_json(content, service="UPS", operation="rate", status=200)
    assert decode_json(b'{"a": [1, 2.5, "x"]}', service="UPS", operation="rate") == {"a": [1, 2.5, "x"]}


# -- response size cap ----------------------------------------------------------------------------------


def test_read_body_refuses_a_declared_or_streamed_body_over_the_cap() -> None:
    url = "https://big.hostile.test/"
    with responses.RequestsMock() as mock:
        mock.add("GET", url + "declared", body=b"x" * 10, headers={"Content-Length": str(MAX_RESPONSE_BYTES + 1)})
        mock.add("GET", url + "streamed", body=b"x" * 200_000)
        mock.add("GET", url + "fine", body=b"x" * 1000)
        session = requests.Session()
        with pytest.raises(ProtocolError, match="larger than"):
            read_body(session.get(url + "declared", stream=True), operation="rate", service="UPS")
        with pytest.raises(ProtocolError, match="larger than 100000 bytes"):
            read_body(session.get(url + "streamed", stream=True), operation="rate", service="UPS", limit=100_000)
        body = read_body(session.get(url + "fine", stream=True), operation="rate", service="UPS", limit=1000)
        assert body == b"x" * 1000


# -- TLS ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("verify", [False, None, "", 0])
def test_a_session_that_would_not_verify_tls_is_refused(verify: Any) -> None:
    session = requests.Session()
    session.verify = verify
    with pytest.raises(ConfigurationError, match="TLS verification is switched off"):
        check_tls(session, service="UPS")


def test_a_private_ca_bundle_is_accepted_loudly(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    session = requests.Session()
    session.verify = str(bundle)
    check_tls(session, service="FedEx")
    check_tls(session, service="FedEx")
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "private CA bundle" in r.getMessage()]
    assert len(warnings) == 1
    session.verify = str(tmp_path / "missing.pem")
    with pytest.raises(ConfigurationError, match="does not exist"):
        check_tls(session)
    check_tls(requests.Session())  # the default verifies


@pytest.mark.parametrize("verify", [False, None, "", 0])
def test_the_soap_client_and_the_rest_proxies_refuse_verification_off_in_any_spelling(verify: Any) -> None:
    session = requests.Session()
    session.verify = verify
    with pytest.raises(ConfigurationError, match="TLS verification is switched off"):
        OneBalance(
            integration_id="11111111-2222-3333-4444-555555555555",
            username="u",
            password="p4ssword",
            endpoint="https://swsim.example.com/x",
            session=session,
        )
    settings = dict(client_id="id-123", client_secret="secret-123", base_url="https://wwwcie.ups.com")
    with pytest.raises(ConfigurationError):
        UpsClient(UpsSettings(account_number="A1B2C3", **settings), session=session)
    with pytest.raises(ConfigurationError):
        FedexClient(FedexSettings(account_number="740561073", **settings), session=session)


@pytest.mark.parametrize(
    "base_url", ["http://wwwcie.ups.com", "ftp://wwwcie.ups.com", "https://user:pw@wwwcie.ups.com", "wwwcie.ups.com"]
)
def test_ups_and_fedex_base_urls_must_be_https_unless_local(base_url: str) -> None:
    for settings in (UpsSettings, FedexSettings):
        account = "A1B2C3" if settings is UpsSettings else "740561073"
        with pytest.raises(ConfigurationError) as info:
            settings(client_id="id-123", client_secret="secret-123", account_number=account, base_url=base_url)
        assert "pw@" not in str(info.value)
    assert UpsSettings(
        client_id="id", client_secret="s", account_number="A1B2C3", base_url="http://127.0.0.1:8080"
    ).base_url.startswith("http://127.0.0.1")


def test_typed_errors_only(swsim: Sandbox) -> None:
    """A sanity check on the harness: an untouched answer goes through."""
    assert _account_with(swsim, lambda s, b: (s, {}, b)).username == "demo-merchant"
    assert isinstance(ProtocolError("x"), OneBalanceError)


def test_the_soap_client_does_not_read_an_answer_over_the_cap() -> None:
    with responses.RequestsMock() as mock:
        mock.add(
            "POST",
            SWSIM_URL,
            body=b"<x/>",
            headers={"Content-Length": str(MAX_RESPONSE_BYTES + 1)},
            content_type="text/xml",
        )
        client = OneBalance(
            integration_id="11111111-2222-3333-4444-555555555555",
            username="u",
            password="p4ssword",
            endpoint=SWSIM_URL,
            retry=RetryPolicy.none(),
        )
        with pytest.raises(ProtocolError, match="larger than"):
            client.authenticate()
