"""The FedEx sandbox as a real threaded HTTP server on 127.0.0.1 (port 0 by default)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from .._chaos import Answer, over_http
from .._http import BackgroundServer

if TYPE_CHECKING:
    from ._sandbox import FedexSandbox

__all__ = ["FedexSandboxServer", "operation_of"]

MAX_BODY = 2 * 1024 * 1024

#: path -> the fault injection name of the call (see ``operation_of``).
_OPERATIONS = {
    "/oauth/token": "oauth",
    "/rate/v1/rates/quotes": "rate",
    "/ship/v1/shipments": "ship",
    "/ship/v1/shipments/cancel": "void",
    "/track/v1/trackingnumbers": "track",
}


def operation_of(target: str) -> str | None:
    """The fault injection name of a FedEx call: oauth, rate, ship, void or track (None: other)."""
    return _OPERATIONS.get(target.split("?", 1)[0].rstrip("/"))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        faults = self.server.sandbox.faults
        if length > MAX_BODY:
            self.close_connection = True
            status, headers, body = 413, {"Content-Type": "text/plain"}, b"request too large"
        elif faults.active:
            over_http(self, faults, operation_of(self.path), length, self._run)
            return
        else:
            data = self.rfile.read(length) if length else b""
            reply = self.server.sandbox.handle(self.command, self.path, dict(self.headers.items()), data)
            status, headers, body = reply.status, reply.headers, reply.body
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _run(self, body: bytes) -> Answer:
        reply = self.server.sandbox.handle(self.command, self.path, dict(self.headers.items()), body)
        return reply.status, reply.headers, reply.body

    do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815 - stdlib naming


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, sandbox: FedexSandbox, host: str, port: int) -> None:
        self.sandbox = sandbox
        super().__init__((host, port), _Handler)


class FedexSandboxServer(BackgroundServer):
    """A running FedEx sandbox. ``url`` is the base URL to put in ``FedexSettings.base_url``."""

    thread_name = "fedex-sandbox"

    def __init__(
        self, sandbox: FedexSandbox, host: str = "127.0.0.1", port: int = 0, *, latency: float | None = None
    ) -> None:
        self.sandbox = sandbox
        if latency is not None:
            sandbox.faults.latency = latency
        server = _Server(sandbox, host, port)
        bound_host, bound_port = server.server_address[:2]
        shown = "127.0.0.1" if bound_host in ("0.0.0.0", "") else str(bound_host)  # noqa: S104 - naming, not binding
        super().__init__(server, f"http://{shown}:{bound_port}")
