"""The sandbox as a real threaded HTTP server on 127.0.0.1 (port 0 by default).

It answers each SWSIM version at the path the real service uses for it (``SOAP_PATHS``: v111 at
``/swsim/swsimv111.asmx``, v135 at ``/swsim/swsimv135.asmx``), each with its own WSDL at
``<path>?wsdl``, all over the same state, and the sandbox's web pages (GetURL's answers, see
``_pages``) under ``/sandbox/``. SOAP calls go through the sandbox's
fault injection (``sandbox.faults``, see ``_chaos``) when any fault or latency is set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from onebalance.swsim._soap._versions import DEFAULT_VERSION, VERSIONS

from ._chaos import over_http, soap_operation
from ._http import REQUEST_TIMEOUT, BackgroundServer, BoundedHandler, BoundedServer
from ._pages import PAGES_PREFIX

if TYPE_CHECKING:
    from . import Sandbox
    from ._core import Reply

#: The SOAP path of each version (lower case), and the default version's (v135).
SOAP_PATHS: dict[str, str] = {name: version.path for name, version in VERSIONS.items()}
SOAP_PATH = DEFAULT_VERSION.path
_VERSION_AT = {path.lower(): name for name, path in SOAP_PATHS.items()}
MAX_BODY = 8 * 1024 * 1024


class _Handler(BoundedHandler):
    server: _Server
    #: The SWSIM version of the path the current POST came in on.
    _version: str | None = None

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if self.read_body() is None:
            return
        parts = urlsplit(self.path)
        version = _VERSION_AT.get(parts.path.lower())
        if version is not None and parts.query.lower() == "wsdl":
            wsdl = self.server.sandbox.wsdl(self.server.urls[version], api_version=version)
            self._send(200, wsdl, "text/xml; charset=utf-8")
        elif parts.path.startswith(PAGES_PREFIX):
            reply = self.server.sandbox.page("GET", self.path)
            self._send(reply.status, reply.body, reply.content_type)
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        data = self.read_body()
        if data is None:
            return
        path = urlsplit(self.path).path
        self._version = _VERSION_AT.get(path.lower())
        if self._version is None:
            if path.startswith(PAGES_PREFIX):
                reply = self.server.sandbox.page("POST", self.path, data)
                self._send(reply.status, reply.body, reply.content_type)
            else:
                self._send(404, b"not found", "text/plain")
            return
        faults = self.server.sandbox.faults
        if faults.active:
            over_http(self, faults, soap_operation(self.headers.get("SOAPAction")), data, self._soap)
            return
        reply = self._soap_reply(data)
        self._send(reply.status, reply.body, reply.content_type)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.answer(status, {"Content-Type": content_type}, body)

    def _soap_reply(self, body: bytes) -> Reply:
        return self.server.sandbox.handle(body, self.headers.get("SOAPAction"), api_version=self._version)

    def _soap(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        reply = self._soap_reply(body)
        return reply.status, {"Content-Type": reply.content_type}, reply.body


class _Server(BoundedServer):
    def __init__(self, sandbox: Sandbox, host: str, port: int, *, request_timeout: float) -> None:
        self.sandbox = sandbox
        super().__init__((host, port), _Handler, request_timeout=request_timeout, max_body=MAX_BODY)
        bound_host, bound_port = self.server_address[:2]
        base = f"http://{_host_for_url(str(bound_host))}:{bound_port}"
        self.urls = {name: base + path for name, path in SOAP_PATHS.items()}
        self.url = self.urls[DEFAULT_VERSION.name]


def _host_for_url(host: str) -> str:
    """A host clients can reach: a wildcard bind is reached through loopback."""
    if host in ("0.0.0.0", ""):  # noqa: S104 - naming the wildcard, not binding to it
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class SandboxServer(BackgroundServer):
    """A running sandbox server. ``url`` is the default version's (v135) SOAP endpoint and ``wsdl_url``
    its WSDL; ``urls`` has every version's endpoint (``urls["v111"]``), each serving its WSDL at ``?wsdl``.

    ``request_timeout``: seconds a connection has to deliver each whole request (see ``_http``).
    """

    def __init__(
        self,
        sandbox: Sandbox,
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
        super().__init__(server, server.url)
        self.urls: dict[str, str] = dict(server.urls)
        self.wsdl_url = self.url + "?wsdl"

    def _prepare(self) -> None:
        for name, url in self.urls.items():
            self.sandbox.dispatchers[name].actor = url
