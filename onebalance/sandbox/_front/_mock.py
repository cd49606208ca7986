"""One ``responses`` mock shared by every sandbox mounted in-process at the same time.

``responses`` patches ``requests`` for the whole process, and the latest ``RequestsMock`` started
hides the ones before it: nesting ``Sandbox().mock()`` and ``UpsSandbox().mock()`` used to leave
the outer sandbox unreachable (``ConnectError``). Instead, each sandbox's ``mock()`` registers its
routes into the one mock that :func:`shared_mock` keeps while any of them is active, and takes
them out again when it exits; the mock itself stops when the last one leaves. Two sandboxes
cannot answer on one host at once: ``responses`` would pick between them per request.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from requests.structures import CaseInsensitiveDict

from ._chaos import Answer
from ._inject import in_process
from ._service import Request, Service

if TYPE_CHECKING:
    import responses

__all__ = ["mock_all", "mount_service", "shared_mock"]

_METHODS = ("GET", "POST", "PUT", "DELETE")


def mount_service(mock: responses.RequestsMock, service: Service, url: str) -> str:
    """Answer every request under the base URL ``service.bind(url)`` gives through ``mock``, as the
    server would: control calls to the control API, everything else through the service's fault
    injection to the service. Returns ``url``."""
    base = service.bind(url).rstrip("/")

    def callback(request: Any) -> Answer:
        body = request.body or b""
        target = request.url[len(base) :]
        call = Request(
            request.method.upper(),
            target if target.startswith("/") else "/" + target,
            CaseInsensitiveDict(request.headers),
            body.encode() if isinstance(body, str) else body,
            url,
        )
        if service.faults.active:
            return in_process(service.faults, service.operation(call), request, lambda: service.handle(call))
        return service.handle(call)

    pattern = re.compile(re.escape(base) + r"(?:[/?].*)?$")
    for method in _METHODS:
        mock.add_callback(method, pattern, callback=callback)
    return url


class _Shared:
    """The active shared mock, the routes each sandbox added and the host each one answers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mock: responses.RequestsMock | None = None
        self.hosts: dict[str, int] = {}  # "scheme://host" -> how many mounts answer there (at most 1)


_SHARED = _Shared()


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


@contextlib.contextmanager
def shared_mock(mount: Callable[[responses.RequestsMock, str], str], url: str) -> Iterator[str]:
    """Run ``mount(mock, url)`` on the shared ``responses`` mock (started if none is active), yield
    its URL, and take its routes out on exit. ValueError if another sandbox answers on ``url``'s host."""
    import responses as _responses

    host = _host(url)
    with _SHARED.lock:
        if _SHARED.hosts.get(host):
            raise ValueError(f"another sandbox is mounted in-process at {host} already: pass mock() another URL")
        mock = _SHARED.mock
        if mock is None:
            mock = _responses.RequestsMock(assert_all_requests_are_fired=False)
            mock.start()
            _SHARED.mock = mock
        before = {id(r) for r in mock.registered()}
        try:
            answered = mount(mock, url)
        except BaseException:
            _release(mock, [r for r in mock.registered() if id(r) not in before], None)
            raise
        added = [r for r in mock.registered() if id(r) not in before]
        _SHARED.hosts[host] = 1
    try:
        yield answered
    finally:
        with _SHARED.lock:
            _release(mock, added, host)


def _release(mock: responses.RequestsMock, added: list[Any], host: str | None) -> None:
    """Take ``added`` out of ``mock``; stop it when nothing is mounted any more. Holds the lock."""
    for route in added:
        mock.remove(route)
    if host is not None:
        _SHARED.hosts.pop(host, None)
    if not _SHARED.hosts and _SHARED.mock is mock:
        mock.stop(allow_assert=False)
        mock.reset()
        _SHARED.mock = None


@contextlib.contextmanager
def mock_all(*sandboxes: Any) -> Iterator[list[str]]:
    """Mount every sandbox given (each at its default URL) in-process; yield their URLs, in order.

    The same as nesting their ``mock()`` calls: ``with mock_all(sandbox, ups, fedex) as (url,
    ups_url, fedex_url): ...``.
    """
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(box.mock()) for box in sandboxes]
