"""The one HTTP server of every sandbox: threaded, on 127.0.0.1 (port 0) by default.

A :class:`FrontServer` mounts one or more services, each at a path prefix (``""``: the root),
and routes each request to the service with the longest prefix that matches its path; the
request is read within the service's limits (``_http``), control calls go to the control API,
and everything else through the service's fault injection to the service. A host given as an
IPv6 address (``::1``, ``::``) is bound as IPv6, and a wildcard bind announces a loopback URL.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence

from requests.structures import CaseInsensitiveDict

from ._http import REQUEST_TIMEOUT, BackgroundServer, BoundedHandler, BoundedServer
from ._inject import over_http
from ._service import Request, Service, Simulator

__all__ = ["FrontServer", "host_for_url"]


def host_for_url(host: str) -> str:
    """A host clients can reach, as a URL spells it: a wildcard bind is reached through loopback,
    and an IPv6 address is bracketed."""
    if host in ("0.0.0.0", ""):  # noqa: S104 - naming the wildcard, not binding to it
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class _Mount:
    """A service at a path prefix of the server, and the URL it announces there."""

    def __init__(self, prefix: str, service: Service, base: str) -> None:
        self.prefix = prefix.rstrip("/")
        self.service = service
        self.url = service.served_url(base + self.prefix)

    def target(self, path: str) -> str | None:
        """``path`` relative to the mount, or None when it is not under the prefix."""
        if not self.prefix:
            return path
        rest = path[len(self.prefix) :]
        if path.startswith(self.prefix) and (not rest or rest[0] in "/?"):
            return rest if rest.startswith("/") else "/" + rest
        return None


class _Handler(BoundedHandler):
    server: _Server

    def _route(self) -> tuple[_Mount, str] | None:
        for mount in self.server.mounts:  # longest prefix first
            target = mount.target(self.path)
            if target is not None:
                return mount, target
        return None

    def _serve(self) -> None:
        routed = self._route()
        body = self.read_body()
        if body is None:
            return
        if routed is None:
            self.answer(404, {"Content-Type": "text/plain"}, b"not found")
            return
        mount, target = routed
        service = mount.service
        request = Request(self.command, target, CaseInsensitiveDict(self.headers.items()), body, mount.url)
        if service.faults.active:
            over_http(self, service.faults, service.operation(request), body, lambda _: service.handle(request))
            return
        self.answer(*service.handle(request))

    def refusal(self, status: int, message: str) -> tuple[dict[str, str], bytes]:
        routed = self._route() if getattr(self, "path", None) else None
        return routed[0].service.refusal(status, message) if routed else super().refusal(status, message)

    do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 - stdlib naming


class _Server(BoundedServer):
    mounts: list[_Mount]

    def __init__(self, host: str, port: int, *, request_timeout: float, max_body: int) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler, request_timeout=request_timeout, max_body=max_body)
        bound_host, bound_port = self.server_address[:2]
        self.base = f"http://{host_for_url(str(bound_host))}:{bound_port}"


class FrontServer(BackgroundServer):
    """A running sandbox server: ``url`` is where ``sandbox`` answers (see its ``serve()``); a
    context manager, or call ``stop()``. ``also`` mounts more sandboxes beside it, each at its
    path prefix (``[("/ups", ups)]``); their URLs are in ``mounted``.

    ``latency`` sets ``sandbox.faults.latency``; ``request_timeout`` is the seconds a connection
    has to deliver each whole request; ``max_body`` the largest body read (the largest of the
    services' own by default). Both are settable while it runs.
    """

    def __init__(
        self,
        sandbox: Simulator,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency: float | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
        max_body: int | None = None,
        also: Sequence[tuple[str, Simulator]] = (),
    ) -> None:
        self.sandbox = sandbox
        if latency is not None:
            sandbox.faults.latency = latency
        services = [("", sandbox._service)] + [(prefix, box._service) for prefix, box in also]
        cap = max_body if max_body is not None else max(s.max_body for _, s in services)
        server = _Server(host, port, request_timeout=request_timeout, max_body=cap)
        mounts = [_Mount(prefix, service, server.base) for prefix, service in services]
        server.mounts = sorted(mounts, key=lambda m: -len(m.prefix))
        self.thread_name = f"{sandbox._service.name}-sandbox"
        super().__init__(server, mounts[0].url)
        #: Where each sandbox answers, by its prefix ("" for ``sandbox``).
        self.mounted = {m.prefix: m.url for m in mounts}
        self._mounts = mounts

    def _prepare(self) -> None:
        for mount in self._mounts:
            mount.service.bind(mount.url)
