"""What no answer can do to a call: keep it waiting past its deadline, or send it somewhere else.

A local server answers as a hostile or broken one would: one byte at a time (in the body, or in
the status line and headers), or with a redirect. Every call ends by its attempt's ``total`` and
its retry policy's ``deadline``, and a redirect is a typed error on every kind of session.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from carriers.fedex import FedexClient, FedexSettings
from carriers.ups import UpsClient, UpsSettings
from onebalance import OneBalance, OutcomeUnknown, ProtocolError, RequestTimeout, RetryPolicy, Timeout
from onebalance.sandbox import DEMO_INTEGRATION_ID

from .test_fedex import shipment

#: How long the trickling server may keep a connection open (it stops by itself).
TRICKLE_FOR = 8.0


class _Server:
    """A TCP server on 127.0.0.1 that reads each request and answers with ``behave(conn)``."""

    def __init__(self, behave: Callable[[socket.socket, threading.Event], None]) -> None:
        self.behave = behave
        self.requests: list[str] = []
        self.stop = threading.Event()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(TRICKLE_FOR)
            data = b""
            with contextlib.suppress(OSError):
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)  # fmt: skip
                while len(body) < length:
                    body += conn.recv(65536)
                self.requests.append(head.split(b"\r\n")[0].decode())
                self.behave(conn, self.stop)

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(2)


@contextlib.contextmanager
def serving(behave: Callable[[socket.socket, threading.Event], None]) -> Iterator[_Server]:
    server = _Server(behave)
    try:
        yield server
    finally:
        server.close()


def _trickle(conn: socket.socket, stop: threading.Event, data: bytes, every: float = 0.05) -> None:
    """Send ``data`` one byte every ``every`` seconds, for at most ``TRICKLE_FOR`` seconds."""
    ends = time.monotonic() + TRICKLE_FOR
    for byte in data:
        if stop.wait(every) or time.monotonic() > ends:
            return
        try:
            conn.sendall(bytes([byte]))
        except OSError:
            return  # the client hung up: what a deadline should make it do


def trickle_body(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: 100000\r\n\r\n")
    _trickle(conn, stop, b"<" * 100000)


def trickle_head(conn: socket.socket, stop: threading.Event) -> None:
    _trickle(conn, stop, b"HTTP/1.1 200 OK\r\n" + b"X-Slow: a\r\n" * 1000)


def _client(url: str, **kw: Any) -> OneBalance:
    # Credentials mode: the first request is the call itself, no login before it.
    return OneBalance(integration_id=DEMO_INTEGRATION_ID, username="someone", password="Secret-Passw0rd",
                      endpoint=url + "/swsim/swsimv135.asmx", concurrency="credentials", **kw)  # fmt: skip


# -- deadlines ------------------------------------------------------------------------------------
@pytest.mark.parametrize("behave", [trickle_body, trickle_head], ids=["body", "status line and headers"])
def test_a_purchase_trickled_past_the_calls_deadline_is_outcome_unknown_with_its_key(behave):
    """The issue's case, scaled down: read timeout 2 s, one attempt, a deadline of 0.5 s; the server
    sends a byte every 0.05 s, so the read timeout alone never ends the call."""
    key = uuid.uuid4().hex
    with serving(behave) as server:
        client = _client(server.url, timeout=Timeout(connect=2, read=2), retry=RetryPolicy(attempts=1, deadline=0.5))
        started = time.monotonic()
        with pytest.raises(OutcomeUnknown) as info:
            client.purchase_postage(Decimal("10.00"), Decimal("100.00"), key)
        took = time.monotonic() - started
    assert took < 1.5, took
    assert info.value.idempotency_key == key
    assert isinstance(info.value.cause, RequestTimeout)
    assert "deadline" in str(info.value.cause)
    assert server.requests == ["POST /swsim/swsimv135.asmx HTTP/1.1"]


def test_each_attempt_ends_by_its_total_and_a_read_is_tried_again():
    with serving(trickle_body) as server:
        client = _client(server.url, timeout=Timeout(connect=2, read=2, total=0.3),
                         retry=RetryPolicy(attempts=2, backoff_base=0.01, backoff_max=0.01, deadline=5))  # fmt: skip
        started = time.monotonic()
        with pytest.raises(RequestTimeout, match="attempt's deadline"):
            client.account()
        took = time.monotonic() - started
    assert took < 1.5, took
    assert len(server.requests) == 2


def test_a_session_passed_in_has_its_answer_cut_at_the_deadline_too():
    with serving(trickle_body) as server:
        client = _client(server.url, session=requests.Session(), timeout=Timeout(connect=2, read=2, total=0.3),
                         retry=RetryPolicy.none())  # fmt: skip
        started = time.monotonic()
        with pytest.raises(RequestTimeout):
            client.account()
    assert time.monotonic() - started < 1.5


def test_no_request_is_sent_once_the_call_has_no_time_left():
    from onebalance.core._deadline import call_deadline
    from onebalance.core._retry import Transient
    from onebalance.core._transport import send

    with serving(trickle_body) as server, call_deadline(0), pytest.raises(Transient) as info:
        send(requests.Session(), "GET", server.url, service="test", operation="Test", timeout=Timeout())
    assert isinstance(info.value.error, RequestTimeout) and "No time left" in str(info.value.error)
    assert info.value.sent is False and server.requests == []


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), True, "5"])
def test_a_total_that_is_not_a_positive_number_of_seconds_is_refused(bad):
    from onebalance import ConfigurationError

    with pytest.raises(ConfigurationError, match="total"):
        Timeout(total=bad)
    with pytest.raises(ConfigurationError, match="deadline"):
        RetryPolicy(deadline=0)


# -- redirects -------------------------------------------------------------------------------------
def redirect(conn: socket.socket, stop: threading.Event) -> None:
    # A body announced but never sent: a client that read it would wait for the read timeout.
    conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example/swsim?token=abc123\r\n"
                 b"Content-Length: 1000000\r\n\r\n")  # fmt: skip
    stop.wait(TRICKLE_FOR)


class _Instrumented(requests.Session):
    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        return super().request(method, url, *args, **kwargs)


@pytest.mark.parametrize("session", [None, requests.Session, _Instrumented], ids=["sdk", "own", "instrumented"])
def test_a_redirect_from_swsim_is_a_protocol_error_and_is_not_followed(session):
    with serving(redirect) as server:
        client = _client(server.url, session=session() if session else None, timeout=Timeout(connect=2, read=5),
                         retry=RetryPolicy.none())  # fmt: skip
        started = time.monotonic()
        with pytest.raises(ProtocolError) as info:
            client.account()
    assert time.monotonic() - started < 2  # the redirect's body is not read
    assert info.value.http_status == 302
    assert "redirect to https://elsewhere.example/swsim" in str(info.value)
    assert "abc123" not in str(info.value)
    assert len(server.requests) == 1


def test_a_redirected_purchase_is_not_sent_again():
    with serving(redirect) as server:
        client = _client(server.url, timeout=Timeout(connect=2, read=5))
        with pytest.raises(ProtocolError):
            client.purchase_postage(Decimal("10.00"), Decimal("100.00"), uuid.uuid4().hex)
    assert len(server.requests) == 1


@pytest.mark.parametrize("carrier", ["ups", "fedex"])
def test_a_redirect_from_ups_or_fedex_is_a_protocol_error(carrier):
    with serving(redirect) as server:
        if carrier == "ups":
            ups = UpsSettings(client_id="c", client_secret="s", account_number="A1B2C3", base_url=server.url)
            client: Any = UpsClient(ups, Timeout(connect=2, read=5), retry=RetryPolicy.none())
        else:
            fedex = FedexSettings(client_id="c", client_secret="s", account_number="740561073", base_url=server.url)
            client = FedexClient(fedex, Timeout(connect=2, read=5), retry=RetryPolicy.none())
        with pytest.raises(ProtocolError) as info:
            client.rates(shipment())
    assert info.value.http_status == 302
    assert len(server.requests) == 1


def test_the_deadline_thread_sleeps_through_calls_that_end_in_time_and_cuts_one_that_does_not(monkeypatch):
    """The deadline watchdog is woken only by a watch that ends sooner than the one it sleeps
    toward, never by calls that finish in time: woken at every call, the hand-offs of its lock
    with the calling thread cost more than a call's own work."""
    from onebalance.core import _deadline

    dog = _deadline._Watchdog()
    monkeypatch.setattr(_deadline, "_dog", dog)
    wakes = []
    notify = dog.wake.notify
    monkeypatch.setattr(dog.wake, "notify", lambda n=1: (wakes.append(1), notify(n)))
    now = time.monotonic()
    for i in range(40):  # calls that end in time, the thread free to run between them: never woken
        with _deadline.watch(now + 60 + i / 1000):
            pass
        time.sleep(0.002)
    assert dog.thread is not None and wakes == []
    reader, writer = socket.socketpair()
    try:
        started = time.monotonic()
        with _deadline.watch(started + 0.2) as short:  # sooner than the thread looks: woken
            short.attach(reader)
            assert wakes == [1]
            with _deadline.watch(time.monotonic() + 30):  # later than the short one: not woken again
                pass
            assert wakes == [1]
            reader.settimeout(5)
            assert reader.recv(1) == b""  # the watchdog shut the socket down at the short watch's end
            assert 0.19 < time.monotonic() - started < 5  # not before it
        assert short.fired
    finally:
        reader.close()
        writer.close()
    assert len(dog.heap) <= 42  # done watches wait for their end or the next sweep, no longer
