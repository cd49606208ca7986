"""The lifecycle every sandbox HTTP server shares: start in a thread, stop, or serve in the caller's."""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import ThreadingHTTPServer

from typing_extensions import Self


class BackgroundServer:
    """Runs ``server`` (already bound) in a daemon thread; a context manager. ``url`` is where it answers."""

    thread_name = "onebalance-sandbox"

    def __init__(self, server: ThreadingHTTPServer, url: str) -> None:
        self._server = server
        self.url = url
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=self.thread_name, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._started = False

    def _prepare(self) -> None:
        """Called just before the server starts answering (either way it is run)."""

    def start(self) -> Self:
        if not self._started:
            self._prepare()
            self._thread.start()
            self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            # serve_forever notices a shutdown between polls (every 0.1 s); a connection wakes it now.
            poke = threading.Timer(0.005, self._poke)
            poke.start()
            self._server.shutdown()
            poke.cancel()
            self._thread.join(timeout=5)
            self._started = False
        self._server.server_close()

    def _poke(self) -> None:
        host, port = self._server.server_address[:2]
        host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(str(host), str(host))  # noqa: S104
        with contextlib.suppress(OSError):
            socket.create_connection((host, int(port)), timeout=1).close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (for ``onebalance sandbox serve``)."""
        self._prepare()
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
