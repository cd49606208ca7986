"""``serve()``, ``mount()`` and ``mock()``: the one way every sandbox is mounted, over HTTP or in-process."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from ._chaos import Faults
from ._http import REQUEST_TIMEOUT
from ._mock import mount_service, shared_mock
from ._server import FrontServer
from ._service import Service

if TYPE_CHECKING:
    import responses

__all__ = ["Mountable"]

ServerT = TypeVar("ServerT", bound=FrontServer)


class Mountable(Generic[ServerT]):
    """What a sandbox class gets from the front: a subclass sets ``_service`` (the service that
    answers its requests), ``faults``, and names its server class and in-process URL."""

    _server_class: type[ServerT]
    _in_process_url: ClassVar[str]
    _service: Service
    faults: Faults

    def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency: float | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> ServerT:
        """Start a threaded HTTP server; use as a context manager or call ``stop()``.

        ``latency`` sets ``faults.latency``: seconds added before every call of the service;
        ``request_timeout`` the seconds a connection has to deliver each whole request.
        """
        return self._server_class(self, host, port, latency=latency, request_timeout=request_timeout).start()

    def mount(self, mock: responses.RequestsMock, url: str | None = None) -> str:
        """Answer requests to ``url`` (the in-process URL by default) through an existing ``responses``
        mock, as the server would. Returns ``url``."""
        return mount_service(mock, self._service, url or self._in_process_url)

    @contextlib.contextmanager
    def mock(self, url: str | None = None) -> Iterator[str]:
        """Answer requests to ``url`` (the in-process URL by default) in-process, without sockets.
        Yields the URL.

        Sandboxes mocked at the same time (nested, or with ``mock_all``) all answer: they share
        one ``responses`` mock. ValueError if another sandbox is mocked on ``url``'s host.
        """
        with shared_mock(self.mount, url or self._in_process_url) as mounted:
            yield mounted
