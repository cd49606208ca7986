"""The limits every request to the sandbox's server is read within, and the server's lifecycle.

The front's one server (``_server``) reads and answers every request, whichever service
(SWSIM, UPS, FedEx) it is for, through :class:`BoundedHandler` and runs on a
:class:`BoundedServer`, so one set of limits holds for all three (see ``docs/security.md``, "Sandbox server limits"):

* **A whole request within a deadline.** Each request (its line, headers and body) must arrive
  within ``request_timeout`` seconds (``REQUEST_TIMEOUT`` by default) of the server starting to
  wait for it. A connection that sends nothing (an idle keep-alive connection) or sends a byte at a
  time (slowloris) is closed when the deadline passes; the deadline is checked before every read
  of the socket, so no number of slow bytes stretches it.
* **A capped body.** ``Content-Length`` must be one non-negative decimal number (400 otherwise;
  several different values are 400 too); over ``max_body`` is 413 before a byte of the body is
  read. A chunked body is counted as it arrives and refused (413) at the first chunk that would
  pass the cap; a malformed chunk is 400. A request with neither header has no body (HTTP/1.1):
  nothing is ever read "until the connection closes".
* **An answer, never a traceback.** Every refusal is an HTTP answer with ``Connection: close``;
  an error in a handler is a 500; a client that goes away is let go silently.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import socket
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from typing_extensions import Self

__all__ = ["MAX_BODY", "REQUEST_TIMEOUT", "BackgroundServer", "BoundedHandler", "BoundedServer"]

_log = logging.getLogger("onebalance.sandbox")

#: Seconds a connection has to deliver each whole request (idle keep-alive time included).
REQUEST_TIMEOUT = 30.0
#: The largest request body a server reads, unless it sets its own.
MAX_BODY = 8 * 1024 * 1024
_DIGITS = re.compile(r"[0-9]{1,18}")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n")
_LINE_MAX = 8192


class _DeadlineReader(io.RawIOBase):
    """The socket's bytes, each read refused once ``deadline`` (a ``time.monotonic()``) has passed."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.deadline = float("inf")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request did not arrive in time")
        self._sock.settimeout(min(remaining, 3600.0))
        return self._sock.recv_into(buffer)


class _Refused(Exception):
    """A request that cannot be read: answered with ``status`` and ``message``, then the connection closes."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class BoundedHandler(BaseHTTPRequestHandler):
    """A request handler that reads within the server's limits and always answers.

    A subclass answers its methods (``do_GET``...) with :meth:`read_body` and :meth:`answer`;
    :meth:`refusal` shapes the answer to a request that cannot be read (plain text by default).
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in one write anyway
    server: BoundedServer

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the buffered file setup() made: reads go through the deadline instead
        self._reader = _DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)
        self._answered = False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def handle_one_request(self) -> None:
        self._reader.deadline = time.monotonic() + self.server.request_timeout
        self._answered = False
        self.raw_requestline = b""
        try:
            super().handle_one_request()  # a read past the deadline ends here: the stdlib closes on TimeoutError
            if self.raw_requestline and not self._answered and time.monotonic() >= self._reader.deadline:
                self.connection.settimeout(1.0)
                self._send_refusal(408, "the request did not arrive in time")
        except OSError:  # the client went away (reset, broken pipe): nobody to answer
            self.close_connection = True
        except Exception:  # a fault in a handler: an answer, not a dropped connection
            _log.debug("event=sandbox_handler_error path=%s", getattr(self, "path", "?"), exc_info=True)
            self.close_connection = True
            if not self._answered:
                with contextlib.suppress(OSError):
                    self._send_refusal(500, "internal error")

    def send_response(self, code: int, message: str | None = None) -> None:
        self._answered = True
        super().send_response(code, message)

    # -- reading -----------------------------------------------------------------------------------
    def read_body(self) -> bytes | None:
        """The request's body, or None when it was refused (already answered; the connection closes)."""
        try:
            body = self._body()
        except _Refused as refused:
            self._send_refusal(refused.status, refused.message)
            return None
        # Reading is over: the answer gets its own time to go out, not what was left of the deadline.
        self._reader.deadline = float("inf")
        self.connection.settimeout(self.server.request_timeout)
        return body

    def _body(self) -> bytes:
        encodings = self.headers.get_all("Transfer-Encoding") or []
        lengths = self.headers.get_all("Content-Length") or []
        if encodings:
            if lengths:
                raise _Refused(400, "a request has Content-Length or Transfer-Encoding, not both")
            if [e.strip().lower() for e in ",".join(encodings).split(",")] != ["chunked"]:
                raise _Refused(501, "the only transfer encoding accepted is chunked")
            return self._chunked()
        if not lengths:
            return b""
        values = {v.strip() for v in ",".join(lengths).split(",")}
        if len(values) != 1 or not _DIGITS.fullmatch(next(iter(values))):
            raise _Refused(400, "Content-Length must be one non-negative number")
        length = int(values.pop())
        if length > self.server.max_body:
            raise _Refused(413, "request too large")
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            raise _Refused(400, "the body ended before its Content-Length")
        return body

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_LINE_MAX)
            match = _CHUNK_SIZE.fullmatch(line)
            if match is None:
                raise _Refused(400, "a malformed chunk")
            size = int(match.group(1), 16)
            if size == 0:
                break
            total += size
            if total > self.server.max_body:
                raise _Refused(413, "request too large")
            data = self.rfile.read(size)
            if len(data) < size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _Refused(400, "a malformed chunk")
            parts.append(data)
        for _ in range(64):  # the trailer: header lines up to a blank one, none of them used
            line = self.rfile.readline(_LINE_MAX)
            if line in (b"\r\n", b"\n"):
                return b"".join(parts)
            if not line.endswith(b"\n") or b":" not in line:
                break
        raise _Refused(400, "a malformed chunked trailer")

    # -- answering ---------------------------------------------------------------------------------
    def answer(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        """Send one answer in a single write (status line, headers, body); its length is the body's."""
        self._answered = True
        reason = self.responses[status][0] if status in self.responses else ""
        lines = [f"{self.protocol_version} {status} {reason}", f"Server: {self.version_string()}",
                 f"Date: {self.date_time_string()}"]  # fmt: skip
        for name, value in headers.items():
            if name.lower() != "content-length":
                lines.append(f"{name}: {value}")
                if name.lower() == "connection" and value.lower() == "close":
                    self.close_connection = True
        lines.append(f"Content-Length: {len(body)}")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def refusal(self, status: int, message: str) -> tuple[dict[str, str], bytes]:
        """The headers and body of the answer to a request that cannot be read (a subclass may shape it)."""
        return {"Content-Type": "text/plain; charset=utf-8"}, message.encode()

    def _send_refusal(self, status: int, message: str) -> None:
        headers, body = self.refusal(status, message)
        self.answer(status, {**headers, "Connection": "close"}, body)
        self.close_connection = True


class BoundedServer(ThreadingHTTPServer):
    """A threaded HTTP server with the limits its handlers read within (see the module docstring)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BoundedHandler],
        *,
        request_timeout: float = REQUEST_TIMEOUT,
        max_body: int = MAX_BODY,
    ) -> None:
        if not request_timeout > 0:
            raise ValueError("request_timeout must be a positive number of seconds")
        self.request_timeout = float(request_timeout)
        self.max_body = max_body
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver prints a traceback to stderr here; a sandbox lets a bad connection go quietly.
        _log.debug("event=sandbox_connection_error client=%s", client_address, exc_info=True)


class BackgroundServer:
    """Runs ``server`` (already bound) in a daemon thread; a context manager. ``url`` is where it answers."""

    thread_name = "onebalance-sandbox"

    def __init__(self, server: BoundedServer, url: str) -> None:
        self._server = server
        self.url = url
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=self.thread_name, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._started = False

    @property
    def request_timeout(self) -> float:
        """Seconds a connection has to deliver each whole request (settable while it runs)."""
        return self._server.request_timeout

    @request_timeout.setter
    def request_timeout(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError("request_timeout must be a positive number of seconds")
        self._server.request_timeout = float(seconds)

    @property
    def max_body(self) -> int:
        """The largest request body read, in bytes (settable while it runs)."""
        return self._server.max_body

    @max_body.setter
    def max_body(self, size: int) -> None:
        self._server.max_body = int(size)

    def _prepare(self) -> None:
        """Called just before the server starts answering (either way it is run)."""

    def start(self) -> Self:
        if not self._started:
            self._prepare()
            self._thread.start()
            self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            # serve_forever notices a shutdown between polls (every 0.1 s); a connection wakes it now.
            poke = threading.Timer(0.005, self._poke)
            poke.start()
            self._server.shutdown()
            poke.cancel()
            self._thread.join(timeout=5)
            self._started = False
        self._server.server_close()

    def _poke(self) -> None:
        host, port = self._server.server_address[:2]
        host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(str(host), str(host))  # noqa: S104
        with contextlib.suppress(OSError):
            socket.create_connection((host, int(port)), timeout=1).close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (for ``onebalance sandbox serve``)."""
        self._prepare()
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
