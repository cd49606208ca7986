"""The three sandbox servers bound what they read and how long they wait, and always answer.

Attacks that used to work: ``Content-Length: -1`` made every server read the body until the
connection closed (hundreds of MiB of memory); slowloris connections stayed open for as long as
the client liked; ``Content-Length: abc`` and deeply nested JSON to ``/sandbox/control/*``
closed the connection with a traceback. Each server here runs with a 0.3 s request timeout and a
1 KiB body cap, so nothing waits long; every wait is bounded by the client's own socket timeout.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from onebalance.sandbox import Sandbox
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

TIMEOUT = 0.3
CAP = 1024
CONTROL = "/sandbox/control/clear_faults"


class Raw:
    """A server's address, and requests to it written byte by byte."""

    def __init__(self, server: Any, kind: str) -> None:
        self.server, self.kind = server, kind
        parts = urlsplit(server.url)
        self.address = (parts.hostname, parts.port)
        self.path = parts.path or "/"

    def connect(self) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=5)
        sock.settimeout(5)
        return sock

    def exchange(self, data: bytes) -> tuple[int, dict[str, str], bytes, bool]:
        """Send ``data`` and read one answer: (status, headers, body, whether the server then closed)."""
        with self.connect() as sock:
            sock.sendall(data)
            return read_answer(sock)


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes, bool]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed without an answer after {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    length = int(headers["content-length"])
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk
        body += chunk
    # A refusal closes at once: wait for that; otherwise look well within the idle timeout.
    return status, headers, body[:length], closed(sock, within=2.0 if headers.get("connection") == "close" else 0.1)


def closed(sock: socket.socket, within: float = 2.0, *, answer_allowed: bool = False) -> bool:
    """Whether the server closes the connection within ``within`` seconds (after an answer, if allowed)."""
    deadline = time.monotonic() + within
    try:
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            if not sock.recv(65536):
                return True
            if not answer_allowed:
                return False
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return False


@pytest.fixture(params=["swsim", "ups", "fedex"])
def raw(request: pytest.FixtureRequest) -> Iterator[Raw]:
    box: Any = {"swsim": Sandbox, "ups": UpsSandbox, "fedex": FedexSandbox}[request.param]()
    with box.serve(request_timeout=TIMEOUT) as server:
        server.max_body = CAP
        yield Raw(server, request.param)
    if request.param == "swsim":
        box.close()


def post(path: str, headers: str, body: bytes = b"") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n{headers}\r\n".encode() + body


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ("Content-Length: -1\r\n", 400),
        ("Content-Length: abc\r\n", 400),
        ("Content-Length: 1e3\r\n", 400),
        ("Content-Length: 2\r\nContent-Length: 3\r\n", 400),
        (f"Content-Length: {CAP + 1}\r\n", 413),
        ("Content-Length: 99999999999999999999999\r\n", 400),
        ("Transfer-Encoding: gzip\r\n", 501),
        ("Transfer-Encoding: chunked\r\nContent-Length: 2\r\n", 400),
    ],
)
def test_a_bad_or_too_large_length_is_answered_at_once_and_the_body_is_not_read(raw, capfd, headers, status):
    started = time.monotonic()
    got, answer_headers, body, was_closed = raw.exchange(post(raw.path, headers, b"{}"))
    assert (got, was_closed) == (status, True)
    assert answer_headers["connection"] == "close" and body
    assert time.monotonic() - started < TIMEOUT  # answered, not timed out: nothing waited for the body
    assert "Traceback" not in capfd.readouterr().err


def test_a_chunked_body_is_read_and_capped_as_it_arrives(raw, capfd):
    good = raw.exchange(post(CONTROL, "Transfer-Encoding: chunked\r\n", b"1\r\n{\r\n1;ext=1\r\n}\r\n0\r\n\r\n"))
    assert good[0] == 200 and not good[3]  # the body {} went through; the connection stays open
    # 600 bytes, then a chunk that would pass the 1 KiB cap: refused before its data is read
    over = raw.exchange(post(CONTROL, "Transfer-Encoding: chunked\r\n", b"258\r\n" + b" " * 600 + b"\r\n258\r\n"))
    assert over[0] == 413 and over[3]
    huge = raw.exchange(post(CONTROL, "Transfer-Encoding: chunked\r\n", b"fffffffffffffff\r\n"))
    assert huge[0] == 413
    for bad in (b"zz\r\n", b"-1\r\n", b"2\r\n{}XX", b"0\r\nX-Trailer: 1\r\nno end"):
        status, _, _, was_closed = raw.exchange(post(CONTROL, "Transfer-Encoding: chunked\r\n", bad + b"\r\n"))
        assert (status, was_closed) == (400, True), bad
    assert "Traceback" not in capfd.readouterr().err


def test_no_length_means_no_body_never_read_to_the_end_of_the_connection(raw):
    with raw.connect() as sock:
        sock.sendall(post(CONTROL, "") + b"this is not read as a body")
        status, _, _, _ = read_answer(sock)
    assert status == 200  # clear_faults with no arguments; the bytes after it are a bad next request


@pytest.mark.parametrize("action", ["clear_faults", "own"])
def test_deeply_nested_json_to_the_control_api_is_a_400_not_a_dropped_connection(raw, capfd, action):
    path = CONTROL if action == "clear_faults" else {
        "swsim": "/sandbox/control/set_latency", "ups": "/sandbox/control/account",
        "fedex": "/sandbox/control/credentials"}[raw.kind]  # fmt: skip
    raw.server.max_body = 1 << 20
    nested = b"[" * 200_000 + b"]" * 200_000
    status, headers, _, was_closed = raw.exchange(post(path, f"Content-Length: {len(nested)}\r\n", nested))
    assert status == 400 and not was_closed
    assert headers["content-type"].startswith("application/json")
    assert "Traceback" not in capfd.readouterr().err


def test_an_idle_connection_is_closed_after_the_request_timeout(raw):
    started = time.monotonic()
    with raw.connect() as sock:
        assert closed(sock, within=5)
    assert TIMEOUT <= time.monotonic() - started < TIMEOUT + 1.5


def test_a_slowloris_connection_is_closed_however_steadily_it_sends(raw):
    started = time.monotonic()
    with raw.connect() as sock:
        sock.sendall(b"POST " + CONTROL.encode() + b" HTTP/1.1\r\nHost: sandbox\r\n")
        sent = 0
        try:
            while time.monotonic() - started < 3:
                sock.sendall(b"X")  # one header byte every 20 ms: each gap far below the timeout
                sent += 1
                time.sleep(0.02)
        except (BrokenPipeError, ConnectionResetError):
            pass
        elapsed = time.monotonic() - started
        assert elapsed < TIMEOUT + 1.5, f"still open after {elapsed:.1f} s and {sent} bytes"


def test_a_slow_body_gets_408_and_the_connection_is_closed(raw):
    with raw.connect() as sock:
        sock.sendall(post(CONTROL, "Content-Length: 100\r\n", b"{"))
        status, _, _, was_closed = read_answer(sock)
    assert (status, was_closed) == (408, True)


def test_many_slow_connections_are_all_let_go_and_the_server_still_answers(raw):
    socks = [raw.connect() for _ in range(40)]
    try:
        for sock in socks:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: sandbox\r\n")
        results: list[bool] = []

        def wait(sock: socket.socket) -> None:
            results.append(closed(sock, within=5, answer_allowed=True))  # a 408, then the end

        threads = [threading.Thread(target=wait, args=(sock,)) for sock in socks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [True] * len(socks)
    finally:
        for sock in socks:
            sock.close()
    assert raw.exchange(post(CONTROL, "Content-Length: 2\r\n", b"{}"))[0] == 200


def test_the_timeout_and_the_cap_are_configurable_and_checked():
    box = UpsSandbox()
    with box.serve(request_timeout=7.5) as server:
        assert server.request_timeout == 7.5 and server.max_body == 8 * 1024 * 1024
        with pytest.raises(ValueError, match="request_timeout"):
            server.request_timeout = 0
    with pytest.raises(ValueError, match="request_timeout"):
        box.serve(request_timeout=-1)
