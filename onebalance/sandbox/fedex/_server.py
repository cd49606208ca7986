"""The FedEx sandbox as a real threaded HTTP server on 127.0.0.1 (port 0 by default)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from onebalance.sandbox._chaos import Answer, over_http
from onebalance.sandbox._http import REQUEST_TIMEOUT, BackgroundServer, BoundedHandler, BoundedServer

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
    "/track/v1/trackingdocuments": "track",
}


def operation_of(target: str) -> str | None:
    """The fault injection name of a FedEx call: oauth, rate, ship, void or track (None: other)."""
    return _OPERATIONS.get(target.split("?", 1)[0].rstrip("/"))


class _Handler(BoundedHandler):
    server: _Server

    def _answer(self) -> None:
        body = self.read_body()
        if body is None:
            return
        faults = self.server.sandbox.faults
        if faults.active:
            over_http(self, faults, operation_of(self.path), body, self._run)
            return
        self.answer(*self._run(body))

    def _run(self, body: bytes) -> Answer:
        reply = self.server.sandbox.handle(self.command, self.path, dict(self.headers.items()), body)
        return reply.status, reply.headers, reply.body

    do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815 - stdlib naming


class _Server(BoundedServer):
    def __init__(self, sandbox: FedexSandbox, host: str, port: int, *, request_timeout: float) -> None:
        self.sandbox = sandbox
        super().__init__((host, port), _Handler, request_timeout=request_timeout, max_body=MAX_BODY)


class FedexSandboxServer(BackgroundServer):
    """A running FedEx sandbox. ``url`` is the base URL to put in ``FedexSettings.base_url``."""

    thread_name = "fedex-sandbox"

    def __init__(
        self,
        sandbox: FedexSandbox,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency: float | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.sandbox = sandbox
        if latency is not None:
            sandbox.faults.latency = latency
        server = _Server(sandbox, host, port, request_timeout=request_timeout)
        bound_host, bound_port = server.server_address[:2]
        shown = "127.0.0.1" if bound_host in ("0.0.0.0", "") else str(bound_host)  # noqa: S104 - naming, not binding
        super().__init__(server, f"http://{shown}:{bound_port}")
