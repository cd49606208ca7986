"""Every fault and transport failure becomes one typed error; raw library errors never escape."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
import responses

from onebalance import (
    AccountClosed,
    AccountLocked,
    ConnectError,
    OneBalance,
    OneBalanceError,
    PasswordExpired,
    PasswordResetRequired,
    ProtocolError,
    RequestTimeout,
    RetryPolicy,
    SchemaViolation,
    Timeout,
    UnknownFault,
)
from onebalance.core._errors import error_for_fault
from onebalance.sandbox import DEMO_INTEGRATION_ID, IN_PROCESS_URL
from onebalance.swsim._soap._envelope import build_fault


def _client(url: str = IN_PROCESS_URL, **kw) -> OneBalance:
    # One attempt: these tests look at how each failure is mapped (retries: tests/test_retry.py).
    kw.setdefault("retry", RetryPolicy.none())
    return OneBalance(
        integration_id=DEMO_INTEGRATION_ID, username="someone", password="Secret-Passw0rd", endpoint=url, **kw
    )


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
    exc = error_for_fault(code=code, faultcode="soap:Server", faultstring="text", operation="Op", http_status=500)
    assert type(exc) is error
    assert (exc.code, exc.operation, exc.http_status) == (code, "Op", 500)


def test_unknown_fault_keeps_its_code_and_the_service_text():
    exc = error_for_fault(
        code="0045abcd",
        faultcode="soap:Server",
        faultstring="Something odd [0x0045abcd]",
        operation="GetAccountInfo",
        http_status=500,
    )
    assert isinstance(exc, UnknownFault)
    assert exc.code == "0045abcd"
    assert "Something odd" in str(exc)


def test_client_fault_without_code_is_a_schema_violation():
    exc = error_for_fault(
        code=None,
        faultcode="soap:Client",
        faultstring="Server did not recognize the value",
        operation="Op",
        http_status=500,
    )
    assert isinstance(exc, SchemaViolation)


def test_code_is_read_from_the_faultstring_when_detail_has_none():
    with responses.RequestsMock() as mock:
        mock.add(
            responses.POST, IN_PROCESS_URL, status=500, body=build_fault("Account locked. [0x002B0607]", code=None)
        )
        with pytest.raises(AccountLocked) as info:
            _client().authenticate()
    assert info.value.code == "002b0607"


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


def test_a_response_of_another_operation_is_a_protocol_error(sandbox):
    from onebalance.swsim._soap._envelope import build
    from onebalance.swsim._soap._schema import swsim_schema

    schema = swsim_schema()
    wrong = build(
        schema,
        schema.operations["AuthenticateUser"],
        {
            "Authenticator": "x",
            "ClearCredential": False,
            "LoginBannerText": "",
            "PasswordExpired": False,
            "CodewordsSet": True,
        },
        response=True,
    )
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, IN_PROCESS_URL, body=wrong)
        client = _client()
        client._token = "t"
        with pytest.raises(ProtocolError, match="expected GetAccountInfoResponse"):
            client.account()


def test_connection_refused_is_a_connect_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectError) as info:
        _client(f"http://127.0.0.1:{port}/swsim/swsimv111.asmx").authenticate()
    assert info.value.operation == "AuthenticateUser"


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
