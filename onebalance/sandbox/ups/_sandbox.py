"""The public face of the UPS sandbox: control API, and the two ways to mount the handler."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .._chaos import CONTROL_ACTIONS, Answer, Faults, control_answer, in_process, over_http, send_answer
from .._clock import Clock
from .._http import BackgroundServer
from ._state import UpsAccount, UpsShipment, UpsState
from ._wire import Handler, UpsReply

if TYPE_CHECKING:
    import responses

#: Where the in-process sandbox answers; the ``.test`` domain never resolves, so nothing leaks.
IN_PROCESS_URL = "https://ups.sandbox.test"
MAX_BODY = 8 * 1024 * 1024
_SHIPPER = re.compile(r"[A-Z0-9]{6}")
#: Fault injection's control actions: ``POST /sandbox/control/<action>`` (see ``_chaos.control``).
FAULT_CONTROL = frozenset(f"/sandbox/control/{action}" for action in CONTROL_ACTIONS)


def operation_of(method: str, target: str) -> str | None:
    """The fault injection name of a UPS call: oauth, rate, ship, void or track (None: other)."""
    path = target.split("?", 1)[0]
    if path == "/security/v1/oauth/token":
        return "oauth"
    if path.startswith("/api/rating/"):
        return "rate"
    if path.startswith("/api/shipments/"):
        return "void" if method.upper() == "DELETE" else "ship"
    if path.startswith("/api/track/"):
        return "track"
    return None


class UpsSandbox:
    """A stateful UPS simulator. Seed it with ``add_account``, move its clock with ``advance``."""

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.state = UpsState(clock=self.clock)
        self.handler = Handler(self.state)
        #: Transport fault injection and added latency, in both mounts (see ``_chaos``).
        self.faults = Faults()

    # -- control API -----------------------------------------------------------------------------
    def add_account(self, client_id: str, client_secret: str, *shipper_numbers: str) -> UpsAccount:
        """Register an OAuth app's credentials and the shipper numbers it may bill."""
        for number in shipper_numbers:
            if not _SHIPPER.fullmatch(number):
                raise ValueError("a UPS shipper number is 6 upper-case letters or digits")
        with self.state.lock:
            account = UpsAccount(client_id, client_secret, set(shipper_numbers))
            self.state.accounts[client_id] = account
            return account

    def advance(self, delta: timedelta | float) -> None:
        """Move the sandbox clock forward (a timedelta or seconds): tokens expire, parcels travel."""
        self.clock.advance(delta)

    def expire_tokens(self, client_id: str | None = None) -> int:
        """Make every token (of ``client_id``, or of everyone) invalid now; returns how many."""
        with self.state.lock:
            doomed = [t for t, v in self.state.tokens.items() if client_id is None or v.client_id == client_id]
            for token in doomed:
                del self.state.tokens[token]
            return len(doomed)

    def shipments(self) -> list[UpsShipment]:
        with self.state.lock:
            return list(self.state.shipments.values())

    def requests(self) -> list[tuple[str, str]]:
        """Every (method, path) received, oldest first."""
        with self.state.lock:
            return list(self.state.requests)

    # -- wire ------------------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> UpsReply:
        """Answer one request (``target`` is the path and query)."""
        return self.handler.handle(method, target, headers, body)

    def mount(self, mock: responses.RequestsMock, url: str = IN_PROCESS_URL) -> str:
        """Answer every request under ``url`` through an existing ``responses`` mock. Returns ``url``."""
        import responses as _responses

        def callback(request: Any) -> Answer:
            body = request.body or b""
            target = request.url[len(url) :] or "/"
            data = body.encode() if isinstance(body, str) else body
            if target.split("?", 1)[0] in FAULT_CONTROL:
                return self._fault_control(request.method, target, data)
            if self.faults.active:
                operation = operation_of(request.method, target)
                return in_process(self.faults, operation, request, lambda: self._answer(request, target, data))
            return self._answer(request, target, data)

        pattern = re.compile(re.escape(url) + r"/.*")
        for method in (_responses.GET, _responses.POST, _responses.DELETE, _responses.PUT):
            mock.add_callback(method, pattern, callback=callback)
        return url

    def _answer(self, request: Any, target: str, data: bytes) -> Answer:
        reply = self.handle(request.method, target, dict(request.headers), data)
        return reply.status, reply.headers, reply.body

    def _fault_control(self, method: str, target: str, body: bytes) -> Answer:
        answer = control_answer(self.faults, method, target.split("?", 1)[0].rsplit("/", 1)[-1], body)
        assert answer is not None
        return answer

    @contextlib.contextmanager
    def mock(self, url: str = IN_PROCESS_URL) -> Iterator[str]:
        """Answer requests to ``url`` in-process, without sockets. Yields the base URL."""
        import responses as _responses

        with _responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            yield self.mount(mock, url)

    def serve(self, host: str = "127.0.0.1", port: int = 0, *, latency: float | None = None) -> UpsSandboxServer:
        """Start a threaded HTTP server; use as a context manager or call ``stop()``.

        ``latency`` sets ``faults.latency``: seconds added before every UPS call.
        """
        return UpsSandboxServer(self, host, port, latency=latency).start()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        sandbox = self.server.sandbox
        if length > MAX_BODY:
            self.close_connection = True
            reply = UpsReply(413, b'{"response":{"errors":[{"code":"10413","message":"Request too large"}]}}')
        elif self.path.split("?", 1)[0] in FAULT_CONTROL:
            send_answer(self, sandbox._fault_control(self.command, self.path, self.rfile.read(length)))
            return
        elif sandbox.faults.active:
            over_http(self, sandbox.faults, operation_of(self.command, self.path), length, self._run)
            return
        else:
            body = self.rfile.read(length)
            reply = self.server.sandbox.handle(self.command, self.path, dict(self.headers.items()), body)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _run(self, body: bytes) -> Answer:
        reply = self.server.sandbox.handle(self.command, self.path, dict(self.headers.items()), body)
        return reply.status, reply.headers, reply.body

    do_GET = do_POST = do_DELETE = do_PUT = _answer  # noqa: N815 - stdlib naming


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, sandbox: UpsSandbox, host: str, port: int) -> None:
        self.sandbox = sandbox
        super().__init__((host, port), _Handler)
        bound_host, bound_port = self.server_address[:2]
        shown = "127.0.0.1" if bound_host in ("0.0.0.0", "") else str(bound_host)  # noqa: S104 - naming it
        self.url = f"http://{shown}:{bound_port}"


class UpsSandboxServer(BackgroundServer):
    """A running UPS sandbox server; ``url`` is its base URL (give it to ``UpsSettings.base_url``)."""

    thread_name = "ups-sandbox"

    def __init__(
        self, sandbox: UpsSandbox, host: str = "127.0.0.1", port: int = 0, *, latency: float | None = None
    ) -> None:
        self.sandbox = sandbox
        if latency is not None:
            sandbox.faults.latency = latency
        server = _Server(sandbox, host, port)
        super().__init__(server, server.url)
