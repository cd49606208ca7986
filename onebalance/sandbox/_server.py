"""The sandbox as a real threaded HTTP server on 127.0.0.1 (port 0 by default).

It answers SOAP on ``SOAP_PATH``, the WSDL on ``SOAP_PATH?wsdl`` and the sandbox's web pages
(GetURL's answers, see ``_pages``) under ``/sandbox/``. SOAP calls go through the sandbox's
fault injection (``sandbox.faults``, see ``_chaos``) when any fault or latency is set.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ._chaos import over_http, soap_operation
from ._http import BackgroundServer
from ._pages import PAGES_PREFIX

if TYPE_CHECKING:
    from . import Sandbox

SOAP_PATH = "/swsim/swsimv111.asmx"
MAX_BODY = 8 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        # What send_response/send_header/end_headers write, but with the body in the same write:
        # one segment for a small answer instead of two.
        reason = self.responses[status][0] if status in self.responses else ""
        head = (
            f"{self.protocol_version} {status} {reason}\r\n"
            f"Server: {self.version_string()}\r\nDate: {self.date_time_string()}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.wfile.write(head.encode("latin-1") + body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path.lower() == SOAP_PATH and parts.query.lower() == "wsdl":
            self._send(200, self.server.sandbox.wsdl(self.server.url), "text/xml; charset=utf-8")
        elif parts.path.startswith(PAGES_PREFIX):
            reply = self.server.sandbox.page("GET", self.path)
            self._send(reply.status, reply.body, reply.content_type)
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        path = urlsplit(self.path).path
        if path.lower() != SOAP_PATH:
            data = self.rfile.read(min(length, MAX_BODY))
            if path.startswith(PAGES_PREFIX):
                reply = self.server.sandbox.page("POST", self.path, data)
                self._send(reply.status, reply.body, reply.content_type)
            else:
                self._send(404, b"not found", "text/plain")
            return
        if length > MAX_BODY:
            self.close_connection = True
            self._send(413, b"request too large", "text/plain")
            return
        faults = self.server.sandbox.faults
        if faults.active:
            over_http(self, faults, soap_operation(self.headers.get("SOAPAction")), length, self._soap)
            return
        reply = self.server.sandbox.handle(self.rfile.read(length), self.headers.get("SOAPAction"))
        self._send(reply.status, reply.body, reply.content_type)

    def _soap(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        reply = self.server.sandbox.handle(body, self.headers.get("SOAPAction"))
        return reply.status, {"Content-Type": reply.content_type}, reply.body


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, sandbox: Sandbox, host: str, port: int) -> None:
        self.sandbox = sandbox
        super().__init__((host, port), _Handler)
        bound_host, bound_port = self.server_address[:2]
        self.url = f"http://{_host_for_url(str(bound_host))}:{bound_port}{SOAP_PATH}"


def _host_for_url(host: str) -> str:
    """A host clients can reach: a wildcard bind is reached through loopback."""
    if host in ("0.0.0.0", ""):  # noqa: S104 - naming the wildcard, not binding to it
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class SandboxServer(BackgroundServer):
    """A running sandbox server. ``url`` is the SOAP endpoint; ``wsdl_url`` serves the WSDL."""

    def __init__(
        self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0, *, latency: float | None = None
    ) -> None:
        self.sandbox = sandbox
        if latency is not None:
            sandbox.faults.latency = latency
        server = _Server(sandbox, host, port)
        super().__init__(server, server.url)
        self.wsdl_url = self.url + "?wsdl"

    def _prepare(self) -> None:
        self.sandbox.dispatcher.actor = self.url
