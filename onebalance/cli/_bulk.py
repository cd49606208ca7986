"""Running one command over many merchants (``--all``): a bounded number at a time, in order, stoppable.

A platform has thousands of merchants and each check is a few round trips to the service, so one
at a time is far too slow (4 a second at 200 ms a round trip). :class:`Bulk` runs ``workers``
merchants at once, hands each result on in the order of the merchant list (whatever order they
finish in), and on Ctrl-C starts no more merchants, lets the ones in flight finish (a half-done
reconnect would leave the store behind the service) and says what was done. The merchants
started are always a prefix of the list, so what was done is too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from types import TracebackType
from typing import Generic, TypeVar

import click

from onebalance.core import POOL_SIZE

T = TypeVar("T")

#: ``--workers`` when not given: eight merchants at a time is about 8x faster at service latency and
#: well inside the service's and the connection pool's limits.
DEFAULT_WORKERS = 8
#: At most one connection of the process-wide pool per worker.
MAX_WORKERS = POOL_SIZE
#: The exit code after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130

workers_option = click.option(
    "--workers",
    type=click.IntRange(1, MAX_WORKERS),
    default=DEFAULT_WORKERS,
    show_default=True,
    help=f"With --all: how many merchants are worked on at a time (1 to {MAX_WORKERS}).",
)


class Bulk(Generic[T]):
    """``work`` for each of ``ids``, ``workers`` at a time; ``emit(merchant_id, result)`` in list order.

    ``work`` returns the merchant's result (a per-merchant failure is a result too); what it raises
    ends the whole run (no merchant is started after it) and is raised again from :meth:`run`.
    """

    def __init__(
        self, ids: Sequence[str], work: Callable[[str], T], workers: int, emit: Callable[[str, T], None]
    ) -> None:
        self.ids, self._work, self._emit = list(ids), work, emit
        self._workers = max(1, workers)
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="onebalance-bulk")
        self._running: dict[Future[T], int] = {}
        self._results: dict[int, T] = {}
        self._submitted = 0
        self.emitted = 0
        #: Whether Ctrl-C stopped the run.
        self.interrupted = False

    def __enter__(self) -> Bulk[T]:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    @property
    def remaining(self) -> list[str]:
        """The merchants not done (never started, since a run stops only between merchants)."""
        return self.ids[self.emitted :]

    def run(self, upto: int | None = None, tick: Callable[[int], None] | None = None) -> bool:
        """Work through the merchants up to index ``upto`` (all by default); False once interrupted."""
        end = len(self.ids) if upto is None else min(upto, len(self.ids))
        try:
            while not self.interrupted and (self._submitted < end or self._running):
                while self._submitted < end and len(self._running) < self._workers:
                    self._running[self._pool.submit(self._work, self.ids[self._submitted])] = self._submitted
                    self._submitted += 1
                # A timeout, so that Ctrl-C is seen promptly whatever the platform's lock waits do.
                done, _ = wait(list(self._running), timeout=0.2, return_when=FIRST_COMPLETED)
                self._collect(done, tick)
        except KeyboardInterrupt:
            self.interrupted = True
            self._drain(tick)
        except BaseException:
            self._drain(None)
            raise
        return not self.interrupted

    def _collect(self, done: set[Future[T]], tick: Callable[[int], None] | None) -> None:
        for future in done:
            self._results[self._running[future]] = future.result()  # what ``work`` raised ends the run here
            del self._running[future]
        if done and tick is not None:
            tick(len(done))
        while self.emitted in self._results:
            self._emit(self.ids[self.emitted], self._results.pop(self.emitted))
            self.emitted += 1

    def _drain(self, tick: Callable[[int], None] | None) -> None:
        """Start nothing more; wait for the merchants in flight and hand on their results."""
        if self.interrupted and self._running:
            click.echo(
                f"\nstopping: waiting for the {len(self._running)} merchant(s) in progress (nothing new is started)",
                err=True,
            )
        while self._running:
            try:
                done, _ = wait(list(self._running), timeout=0.2)
            except KeyboardInterrupt:  # a second Ctrl-C: the requests in flight end within their timeouts
                continue
            try:
                self._collect(done, tick)
            except BaseException:  # the run is ending already; the first error is the one reported
                for future in done:
                    self._running.pop(future, None)


__all__ = ["DEFAULT_WORKERS", "EXIT_INTERRUPTED", "MAX_WORKERS", "Bulk", "workers_option"]
