"""The per-merchant auto-refill lock of each store (``Store.refill_lock``).

Every store first queues the threads of its process on one lock per merchant
(:class:`ThreadLocks`); then :class:`SqliteLeases` (a leased row of the ``refill_locks`` table of a
SQLite file, renewed while held) or :class:`AdvisoryLock` (``pg_advisory_xact_lock`` on a
connection of PostgreSQL's lock pool) holds it across processes and machines. A lock not had by
the deadline raises :class:`~onebalance.RefillLockTimeout`.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from onebalance.core import RefillLockTimeout, StoreError

from ._postgres import PostgresDatabase, advisory_key, driver_problem
from ._sqlite import SqliteTables

if TYPE_CHECKING:
    import psycopg

__all__ = ["AdvisoryLock", "SqliteLeases", "ThreadLocks", "timed_out"]

logger = logging.getLogger("onebalance")


def timed_out(merchant_id: str, why: str) -> RefillLockTimeout:
    return RefillLockTimeout(
        f"the auto-refill lock of merchant {merchant_id!r} was not had in time: {why}; nothing was bought"
    )


class ThreadLocks:
    """One lock per merchant among the threads of this process, taken before the store's own lock.

    Threads of one process then queue here instead of polling the database, and a pool of
    database connections is never filled with threads waiting for the same merchant.
    """

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, merchant_id: str, deadline: float) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(merchant_id, threading.Lock())
        if not lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise timed_out(merchant_id, "another thread of this process held it")
        try:
            yield
        finally:
            lock.release()


# -- SQLite --------------------------------------------------------------------------------------------

_LOCK_STEPS: list[list[str]] = [
    [
        """CREATE TABLE IF NOT EXISTS refill_locks (
            merchant_id TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at REAL NOT NULL
        )"""
    ],
]


class SqliteLeases:
    """The refill locks as rows of the ``refill_locks`` table: a lease of ``lock_ttl`` seconds that
    its holder renews every third of that while it holds it. A holder that crashes stops renewing,
    so its lease runs out and the next worker takes the lock; a live holder never loses it."""

    def __init__(self, path: Path, *, lock_ttl: float, busy_timeout: float) -> None:
        self.lock_ttl = lock_ttl
        self._tables = SqliteTables(
            path, "locks", _LOCK_STEPS, busy_timeout, "the store file", f"the refill locks in {path}"
        )
        # Lock rows need not survive a power cut (their holders do not either): no fsync per
        # lock taken. WAL keeps the file consistent whatever happens.
        self._tables.conn.execute("PRAGMA synchronous = NORMAL")

    def close(self) -> None:
        self._tables.close()

    @contextmanager
    def hold(self, merchant_id: str, deadline: float) -> Iterator[None]:
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._acquire(merchant_id, holder, deadline)
        stop = threading.Event()
        renewer = threading.Thread(
            target=self._renew, args=(merchant_id, holder, stop), name="onebalance-refill-lease", daemon=True
        )
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            self._release(merchant_id, holder)

    def _acquire(self, merchant_id: str, holder: str, deadline: float) -> None:
        pause = 0.005
        while True:
            with self._tables.transaction() as conn:
                now = time.time()
                expired = conn.execute(
                    "SELECT holder FROM refill_locks WHERE merchant_id = ? AND expires_at <= ?", (merchant_id, now)
                ).fetchall()
                if expired:
                    conn.execute("DELETE FROM refill_locks WHERE merchant_id = ?", (merchant_id,))
                taken = conn.execute(
                    "INSERT OR IGNORE INTO refill_locks VALUES (?, ?, ?)", (merchant_id, holder, now + self.lock_ttl)
                ).rowcount
            if expired:
                logger.warning(
                    "event=refill_lock_expired merchant=%s holder=%s (it stopped renewing its lease: crashed?)",
                    merchant_id,
                    expired[0][0],
                )
            if taken == 1:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise timed_out(merchant_id, "another process held it")
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.05)

    def _renew(self, merchant_id: str, holder: str, stop: threading.Event) -> None:
        while not stop.wait(self.lock_ttl / 3):
            try:
                with self._tables.lock:
                    renewed = self._tables.conn.execute(
                        "UPDATE refill_locks SET expires_at = ? WHERE merchant_id = ? AND holder = ?",
                        (time.time() + self.lock_ttl, merchant_id, holder),
                    ).rowcount
            except sqlite3.Error as exc:
                logger.warning("event=refill_lock_renewal_failed merchant=%s error=%s", merchant_id, exc)
                continue
            if renewed != 1:
                logger.warning("event=refill_lock_lost merchant=%s holder=%s", merchant_id, holder)
                return

    def _release(self, merchant_id: str, holder: str) -> None:
        try:
            with self._tables.lock:
                self._tables.conn.execute(
                    "DELETE FROM refill_locks WHERE merchant_id = ? AND holder = ?", (merchant_id, holder)
                )
        except sqlite3.Error as exc:  # the lease is no longer renewed: it runs out within lock_ttl
            logger.warning("event=refill_unlock_failed merchant=%s error=%s", merchant_id, exc)


# -- PostgreSQL ----------------------------------------------------------------------------------------


class AdvisoryLock:
    """``pg_advisory_xact_lock`` held by an open transaction on a connection of the lock pool.

    The lock goes with the transaction: at the end of the ``with`` block, or when the worker's
    connection dies (a crash), PostgreSQL releases it.
    """

    def __init__(self, db: PostgresDatabase, merchant_id: str, deadline: float) -> None:
        self._db = db
        self._merchant_id = merchant_id
        self._deadline = deadline
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None

    def __enter__(self) -> None:
        import psycopg
        from psycopg_pool import PoolTimeout

        failure: Exception | None = None
        key = advisory_key("refill", self._db.schema, self._merchant_id)
        try:
            self._conn = self._db.lock_pool.getconn(timeout=max(0.001, self._deadline - time.monotonic()))
            self._conn.execute("BEGIN")
            wait_ms = max(1, int((self._deadline - time.monotonic()) * 1000))
            self._conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{wait_ms}ms",))
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
        except PoolTimeout:
            failure = timed_out(self._merchant_id, "no connection for the lock was free (raise lock_pool_size)")
        except psycopg.errors.LockNotAvailable:
            failure = timed_out(self._merchant_id, "another worker held it")
        except psycopg.Error as exc:
            failure = StoreError(
                f"cannot take the refill lock in PostgreSQL ({self._db.describe()}): {driver_problem(exc)}"
            )
        if failure is not None:
            self._finish("ROLLBACK")
            raise failure

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._finish("COMMIT" if exc_type is None else "ROLLBACK")

    def _finish(self, command: str) -> None:
        import psycopg

        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute(command)  # ends the transaction: the lock is released
        except psycopg.Error as exc:  # the connection is gone, and the lock with it
            logger.warning("event=refill_unlock_failed merchant=%s error=%s", self._merchant_id, driver_problem(exc))
        finally:
            self._db.lock_pool.putconn(conn)
