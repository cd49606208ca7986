"""Deadlines for a whole attempt and a whole call, enforced on the socket.

``requests``' read timeout bounds each gap between bytes, never a whole answer: a server that
sends a byte a second keeps a call waiting as long as it likes. Here every attempt gets an
instant past which it must not run (``Timeout.total`` after it starts, and never past the end of
the call: the retry policy's ``deadline`` counted from the first attempt, set by
:func:`call_deadline`). A single watchdog thread shuts down the socket of an attempt still
running at that instant; the read blocked on it returns at once and the transport raises
:class:`~onebalance.RequestTimeout`.

The socket is known to the watchdog once the request is on it: on the SDK's own session from
the moment the request is sent (its connections announce themselves, :class:`DeadlineAdapter`),
so a trickled status line or headers are cut too; on a session passed in, once the headers have
arrived, so the deadline bounds the body (the headers are bounded by the read timeout per gap).
"""

from __future__ import annotations

import contextlib
import heapq
import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar, Token
from typing import Any

from requests import PreparedRequest
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["DeadlineAdapter", "Watch", "begin_call", "call_deadline", "call_ends_at", "end_call", "origin", "watch"]

_push = heapq.heappush
#: The monotonic instant by which the current call (all its attempts) must end, if any.
_call_ends: ContextVar[float | None] = ContextVar("onebalance_call_ends", default=None)
#: The watch of the request the current thread is sending, for the connection to announce its socket.
_current: ContextVar[Watch | None] = ContextVar("onebalance_watch", default=None)


@contextlib.contextmanager
def call_deadline(seconds: float) -> Iterator[float]:
    """Within the block, every attempt ends at most ``seconds`` from now (an enclosing call's end holds too)."""
    token = begin_call(seconds)
    try:
        yield _call_ends.get()  # type: ignore[misc]  # set by begin_call
    finally:
        end_call(token)


def begin_call(seconds: float) -> Token[float | None]:
    """What :func:`call_deadline` does on entry, for the retry loop's hot path (no generator):
    every attempt from now on ends at most ``seconds`` from now; give the token to :func:`end_call`."""
    ends = time.monotonic() + seconds
    outer = _call_ends.get()
    if outer is not None and outer < ends:
        ends = outer
    return _call_ends.set(ends)


def end_call(token: Token[float | None]) -> None:
    """The end of the call :func:`begin_call` began: the enclosing call's end (if any) holds again."""
    _call_ends.reset(token)


def call_ends_at() -> float | None:
    """The monotonic instant the current call must end by, or None outside any call."""
    return _call_ends.get()


class Watch:
    """One attempt under the watchdog: its end, its socket once known, and whether it was cut.

    Used as a context manager (:func:`watch`): entering puts it under the watchdog and makes it the
    current thread's watch, leaving marks it done. Every call of the SDK makes one, so each step is
    as short as it can be: the socket, ``fired`` and ``done`` start as class attributes.
    """

    sock: socket.socket | None = None
    fired = False
    done = False

    def __init__(self, ends: float) -> None:
        self.ends = ends

    def __lt__(self, other: Watch) -> bool:
        return self.ends < other.ends

    def attach(self, sock: Any) -> None:
        """The attempt's socket; shut down at once if the attempt has already run out of time."""
        if not isinstance(sock, socket.socket):
            return
        with _dog.lock:
            if self.done:
                return
            self.sock = sock
            if self.fired:
                _shutdown(sock)

    def __enter__(self) -> Watch:
        _dog.add(self)
        self._token = _current.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)
        dog = _dog
        with dog.lock:
            self.done = True
            self.sock = None
            dog.finished += 1


class _Watchdog:
    """One daemon thread per process, started at the first watch, with a heap of watches by end.

    The thread sleeps until the earliest end in the heap and is woken only by a watch that ends
    sooner than that (``until``). A watch done early stays in the heap until its end (or until
    ``add`` sweeps the done ones out): were the thread woken to drop it, every call would wake it,
    and a call's own lock hand-offs with it would cost more than the call's work.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.heap: list[Watch] = []
        self.finished = 0  # watches done but still in the heap (dropped when due, or on compaction)
        self.thread: threading.Thread | None = None
        #: The instant the thread sleeps until (``inf``: until woken); read under ``lock``.
        self.until = math.inf

    def add(self, item: Watch) -> None:
        with self.lock:
            heap = self.heap
            if self.finished > 1024 and self.finished * 2 > len(heap):
                heap = self.heap = [w for w in heap if not w.done]
                heapq.heapify(heap)
                self.finished = 0
            _push(heap, item)
            if item.ends < self.until:  # sooner than the thread will look (inf: not started, or idle)
                if self.thread is None:
                    self.thread = threading.Thread(target=self._run, name="onebalance-deadlines", daemon=True)
                    self.thread.start()
                    return
                self.until = item.ends
                self.wake.notify()

    def _run(self) -> None:
        with self.lock:
            while True:
                if not self.heap:
                    self.until = math.inf
                    self.wake.wait()
                    continue
                first = self.heap[0]
                left = first.ends - time.monotonic()
                if left > 0:
                    self.until = first.ends
                    self.wake.wait(left)
                    continue
                heapq.heappop(self.heap)
                if first.done:
                    self.finished = max(0, self.finished - 1)
                    continue
                first.fired = True
                if first.sock is not None:
                    _shutdown(first.sock)


def _shutdown(sock: socket.socket) -> None:
    # socket.socket's own shutdown, not SSLSocket's: that one drops the TLS state under the reader.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_dog = _Watchdog()


def _after_fork_in_child() -> None:
    # The parent's watchdog thread does not exist in a forked child (nor do its sockets' readers).
    global _dog
    _dog = _Watchdog()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


#: An attempt that must end by ``ends`` (monotonic), put under the watchdog for the ``with`` block.
watch = Watch


# -- the SDK's own session: its connections announce their socket before reading the answer -----------
class _Announcing:
    sock: Any

    def getresponse(self) -> Any:
        current = _current.get()
        if current is not None:
            current.attach(self.sock)
        return super().getresponse()  # type: ignore[misc]


class _HTTPConnection(_Announcing, HTTPConnection):
    pass


class _HTTPSConnection(_Announcing, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


def origin(url: str) -> str:
    """``url`` up to its path: the scheme, host and port (``https://host:8443``), as written."""
    slash = url.find("/", url.find("://") + 3)
    return url if slash < 0 else url[:slash]


#: At most this many (origin, verify, cert) pool keys are kept per adapter.
_POOL_KEYS_KEPT = 64


class DeadlineAdapter(HTTPAdapter):
    """``HTTPAdapter`` whose connections hand their socket to the current attempt's watch.

    It also keeps the connection-pool key of each origin: ``requests`` works it out on every
    request (the URL parsed again and, when ``verify`` is a CA bundle's path, as it is whenever
    ``REQUESTS_CA_BUNDLE`` is set, a ``stat`` of that path), the same answer each time. A
    ``stat`` lets every other thread take the interpreter before this one goes on. The key is
    made once per origin, ``verify`` and client certificate (as the transport reads the
    environment once per origin): a CA bundle path that becomes a directory later is not seen.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pool_keys: dict[tuple[str, Any, Any], Any] = {}
        super().__init__(*args, **kwargs)

    def build_connection_pool_key_attributes(
        self, request: PreparedRequest, verify: bool | str, cert: str | tuple[str, str] | None = None
    ) -> Any:
        key = (origin(request.url or ""), verify, cert)
        try:
            made = self._pool_keys.get(key)
        except TypeError:  # an unhashable setting (a cert given as a list...): no cache
            return super().build_connection_pool_key_attributes(request, verify, cert)
        if made is None:
            made = super().build_connection_pool_key_attributes(request, verify, cert)
            if len(self._pool_keys) >= _POOL_KEYS_KEPT:
                self._pool_keys.clear()
            self._pool_keys[key] = made
        host_params, pool_kwargs = made
        return host_params.copy(), pool_kwargs.copy()  # the pool manager may keep or change them

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager
