"""What a simulated service plugs into the front, and how one request reaches it.

A service (SWSIM, UPS, FedEx) answers the requests under the URL it is mounted at; the front
(``_server`` over HTTP, ``_mock`` in-process) reads the request, routes it by path to the
service, sends control calls (``/sandbox/control/<action>``) to the one control API
(``_control``), and injects the service's faults around everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from ._chaos import Answer, Faults
from ._control import CONTROL_PREFIX, Controls, answer_control

__all__ = ["Request", "RestService", "Service", "Simulator", "respond"]


@dataclass(frozen=True)
class Request:
    """One request as the front hands it to a service."""

    method: str
    #: The path and query, relative to where the service is mounted (always starts with "/").
    target: str
    headers: Mapping[str, str]
    body: bytes
    #: The URL the service is mounted at (``mock(url)``'s, or the server's announced ``url``).
    url: str

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


class Service(Protocol):
    """A simulated service, as the front sees it."""

    #: Names the service's server thread (``<name>-sandbox``).
    name: str
    #: The service's fault injection (``sandbox.faults``).
    faults: Faults
    #: The largest request body its server reads unless told otherwise.
    max_body: int

    @property
    def controls(self) -> Controls:
        """Its control API's actions."""
        ...

    def served_url(self, base: str) -> str:
        """The URL a server at ``base`` (``http://host:port``) announces for the service."""
        ...

    def bind(self, url: str) -> str:
        """Start answering at ``url``; returns the base URL under which requests are routed to it."""
        ...

    def operation(self, request: Request) -> str | None:
        """The fault injection name of the call (None: never faulted)."""
        ...

    def handle(self, request: Request) -> Answer:
        """Answer any request, control calls included: what the front calls (``respond`` below,
        or the sandbox's own public ``handle`` that does the same)."""
        ...

    def respond(self, request: Request) -> Answer:
        """Answer a request that is not a control call."""
        ...

    def refusal(self, status: int, message: str) -> tuple[dict[str, str], bytes]:
        """The headers and body of the answer to a request the server cannot read."""
        ...


class Simulator(Protocol):
    """A sandbox class (``Sandbox``, ``UpsSandbox``, ``FedexSandbox``): the service that answers for it."""

    faults: Faults
    _service: Service


class _RestSandbox(Protocol):
    faults: Faults

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Any: ...


class RestService:
    """The front's view of a REST sandbox (UPS, FedEx): everything under its base URL is its own,
    answered by the sandbox's public ``handle(method, target, headers, body)``."""

    def __init__(self, sandbox: _RestSandbox) -> None:
        self.faults = sandbox.faults
        self._sandbox = sandbox

    def served_url(self, base: str) -> str:
        return base

    def bind(self, url: str) -> str:
        return url.rstrip("/")

    def handle(self, request: Request) -> Answer:
        reply = self._sandbox.handle(request.method, request.target, dict(request.headers), request.body)
        return reply.status, reply.headers, reply.body

    def refusal(self, status: int, message: str) -> tuple[dict[str, str], bytes]:
        return {"Content-Type": "text/plain; charset=utf-8"}, message.encode()


def respond(service: Service, request: Request) -> Answer:
    """The answer to ``request``: the control API's under ``/sandbox/control/``, else the service's."""
    if request.path.startswith(CONTROL_PREFIX):
        return answer_control(
            service.controls, service.faults, request.method, request.path[len(CONTROL_PREFIX) :], request.body
        )
    return service.respond(request)
