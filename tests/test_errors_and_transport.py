"""Every fault and transport failure becomes one typed error; raw library errors never escape."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import responses

from onebalance import (
    AccountClosed,
    AccountDisconnected,
    AccountLocked,
    Accounts,
    AuthenticationFailed,
    ConnectError,
    InMemoryCredentialStore,
    OneBalance,
    OneBalanceError,
    PasswordExpired,
    PasswordResetRequired,
    ProtocolError,
    RequestTimeout,
    RetryPolicy,
    SchemaViolation,
    Service,
    Timeout,
    UnknownFault,
    ValidationError,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID, IN_PROCESS_URL


def _client(url: str = IN_PROCESS_URL, **kw) -> OneBalance:
    # One attempt: these tests look at how each failure is mapped (retries: tests/test_retry.py).
    kw.setdefault("retry", RetryPolicy.none())
    kw.setdefault("username", "someone")
    kw.setdefault("password", "Secret-Passw0rd")
    return OneBalance(integration_id=DEMO_INTEGRATION_ID, endpoint=url, **kw)


def _fault(faultstring: str, code: str | None = None, faultcode: str = "soap:Server") -> bytes:
    """A SWSIM fault as the service sends it (with HTTP 500); ``code`` in its detail, if given."""
    detail = (
        f'<detail><sdcerror xmlns="http://stamps.com/xml/namespace/2008/01/swsim/fault" code="{code}">'
        f"{faultstring}</sdcerror></detail>"
        if code is not None
        else "<detail/>"
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?>"
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
        f"<faultcode>{faultcode}</faultcode><faultstring>{faultstring}</faultstring><faultactor></faultactor>"
        f"{detail}</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def _refusal(body: bytes) -> OneBalanceError:
    """The error a login answered with ``body`` (HTTP 500) raises."""
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, IN_PROCESS_URL, status=500, body=body, content_type="text/xml")
        with pytest.raises(OneBalanceError) as info:
            _client().authenticate()
    return info.value


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("002b0607", AccountLocked),
        ("0055010c", AccountLocked),
        ("00550108", AccountClosed),
        ("002b0608", PasswordExpired),
        ("002b0605", PasswordResetRequired),
        ("00490102", SchemaViolation),
    ],
)
def test_fault_codes_map_to_classes(code, error):
    exc = _refusal(_fault("text", code))
    assert type(exc) is error
    assert (exc.code, exc.operation, exc.http_status) == (code, "AuthenticateUser", 500)
    assert exc.source is Service.ONEBALANCE


def test_unknown_fault_keeps_its_code_and_the_service_text():
    exc = _refusal(_fault("Something odd [0x0045abcd]", "0045abcd"))
    assert isinstance(exc, UnknownFault)
    assert exc.code == "0045abcd"
    assert "Something odd" in str(exc)


def test_client_fault_without_code_is_a_schema_violation():
    exc = _refusal(_fault("Server did not recognize the value", faultcode="soap:Client"))
    assert isinstance(exc, SchemaViolation)


def test_code_is_read_from_the_faultstring_when_detail_has_none():
    exc = _refusal(_fault("Account locked. [0x002B0607]"))
    assert isinstance(exc, AccountLocked)
    assert exc.code == "002b0607"


def test_a_one_balance_refusal_says_it_came_from_the_one_balance(sandbox):
    """``source`` tells the One Balance's wrong password from a carrier's refused client secret (both are
    ``AuthenticationFailed``); the SDK's own refusals come from no service."""
    creds = sandbox.create_demo_account()
    with sandbox.mock() as url:
        client = OneBalance(
            integration_id=creds.integration_id,
            username=creds.username,
            password="Wrong-Passw0rd",
            endpoint=url,
            retry=RetryPolicy.none(),
        )
        with pytest.raises(AuthenticationFailed) as info:
            client.authenticate()
        with pytest.raises(AuthenticationFailed, match="not sent again") as again:
            client.account()  # the refused password is not sent again: the same refusal, still the One Balance's
    assert info.value.source is Service.ONEBALANCE
    assert again.value.source is Service.ONEBALANCE
    assert "source='onebalance'" in repr(info.value)
    with pytest.raises(ValidationError) as refused:
        client.start_phone_verification("Fax")  # type: ignore[arg-type]  # refused before sending
    assert refused.value.source is None


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
        (500, b"<html><body>Server Error in '/' Application.</body></html>", "text/html"),
        (200, b'{"not": "soap"}', "application/json"),
        (200, b"<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'><soap:Bo", "text/xml"),
        (200, b"", "text/xml"),
        (503, b"", "text/plain"),
    ],
    ids=["html-502", "html-500", "json", "truncated-xml", "empty", "503-empty"],
)
def test_non_soap_answers_are_protocol_errors(status, body, content_type):
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, IN_PROCESS_URL, status=status, body=body, content_type=content_type)
        with pytest.raises(ProtocolError) as info:
            _client().authenticate()
    assert info.value.http_status == status
    assert info.value.operation == "AuthenticateUser"
    assert info.value.source is None  # no readable answer: a TransportError names no service (UPS's neither)


def test_a_one_balance_refusal_raised_again_still_says_it_came_from_the_one_balance(sandbox):
    """Stored credentials the One Balance refused: the refusal, and the SDK's refusing to send them again."""
    creds = sandbox.create_demo_account()
    with sandbox.mock() as url:
        accounts = Accounts(integration_id=creds.integration_id, endpoint=url, store=InMemoryCredentialStore())
        assert accounts.connect("shop-1", username=creds.username, password=creds.password).active
        client = accounts.client("shop-1")
        sandbox.set_password(creds.username, "Changed-elsewhere7")
        sandbox.advance_clock(timedelta(hours=25))  # the conversation expired: the client logs in again
        refusals = []
        for call in (client.account, client.account, lambda: accounts.client("shop-1")):
            with pytest.raises(AccountDisconnected) as info:
                call()
            refusals.append(info.value)
    assert [r.source for r in refusals] == [Service.ONEBALANCE] * 3


def test_a_response_of_another_operation_is_a_protocol_error(sandbox):
    """A service answering every call with its login's answer: GetAccountInfo gets AuthenticateUserResponse."""
    creds = sandbox.create_demo_account()
    login_answer: list[bytes] = []

    def answer(request):
        if not login_answer:
            login_answer.append(sandbox.handle(request.body, request.headers.get("SOAPAction")).body)
        return 200, {"Content-Type": "text/xml; charset=utf-8"}, login_answer[0]

    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, IN_PROCESS_URL, callback=answer)
        client = _client(username=creds.username, password=creds.password)
        with pytest.raises(ProtocolError, match="expected GetAccountInfoResponse"):
            client.account()


def test_connection_refused_is_a_connect_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectError) as info:
        _client(f"http://127.0.0.1:{port}/swsim/swsimv111.asmx").authenticate()
    assert info.value.operation == "AuthenticateUser"
    assert info.value.source is None and "One Balance" in info.value.message  # the message names the service


@pytest.fixture
def raw_server() -> Iterator[tuple[str, list]]:
    """A TCP server whose behaviour each test scripts: ``behaviours`` holds a callable per connection."""
    behaviours: list = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(5)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                if behaviours:
                    behaviours.pop(0)(conn, stop)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/swsim/swsimv111.asmx", behaviours
    stop.set()
    with contextlib.suppress(OSError):
        listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() at once
    listener.close()
    thread.join(2)


def test_a_slow_answer_is_a_request_timeout(raw_server):
    url, behaviours = raw_server
    behaviours.append(lambda conn, stop: stop.wait(2))
    with pytest.raises(RequestTimeout) as info:
        _client(url, timeout=Timeout(connect=1, read=0.2)).authenticate()
    assert "0.2 s" in str(info.value)


def test_a_connection_reset_without_answer_is_a_connect_error(raw_server):
    url, behaviours = raw_server
    behaviours.append(lambda conn, stop: None)  # close without a byte
    with pytest.raises(ConnectError):
        _client(url).authenticate()


def test_a_body_cut_short_is_a_transport_error(raw_server):
    url, behaviours = raw_server
    behaviours.append(
        lambda conn, stop: conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5000\r\n\r\n<soap:Envelope"
        )
    )
    with pytest.raises(OneBalanceError) as info:
        _client(url).authenticate()
    assert type(info.value).__module__ == "onebalance"  # the SDK's own error, not one of requests'
