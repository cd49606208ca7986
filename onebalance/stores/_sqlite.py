"""SQLite plumbing shared by every SQLite store: connections, transactions, schema steps, errors.

A store opens its tables with :class:`SqliteTables`: one connection to the file (WAL journal, busy
timeout, autocommit) behind a lock of its own, the store's schema steps applied once, and every
database failure while in use turned into a :class:`~onebalance.StoreError`. This module knows no
store: each store brings its own ``component`` name and steps.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import tenacity

from onebalance.core import ConfigurationError, StoreError

__all__ = [
    "SQLITE_BUSY_TIMEOUT",
    "SqliteTables",
    "open_sqlite_tables",
    "sqlite_transaction",
    "store_errors",
]

#: Seconds a connection waits for another process's write to finish before giving up.
SQLITE_BUSY_TIMEOUT = 30.0


def _open_sqlite(path: Path, *, busy_timeout: float = SQLITE_BUSY_TIMEOUT) -> sqlite3.Connection:
    """A connection to ``path`` in autocommit mode, WAL journal, with a busy timeout.

    WAL lets readers go on while one process writes; the busy timeout makes a writer wait for
    another process's write instead of failing at once. The connection may be used from any
    thread; callers serialise its use with a lock of their own.
    """
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=busy_timeout)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        # Processes opening a new file together race to switch it to WAL, and SQLite answers the
        # losers "database is locked" at once (no busy wait for a journal mode change): try again.
        for attempt in tenacity.Retrying(
            retry=tenacity.retry_if_exception(lambda e: isinstance(e, sqlite3.OperationalError) and "locked" in str(e)),
            stop=tenacity.stop_after_delay(busy_timeout),
            wait=tenacity.wait_exponential(multiplier=0.005, max=0.1) + tenacity.wait_random(0, 0.005),
            reraise=True,
        ):
            with attempt:
                conn.execute("PRAGMA journal_mode = WAL")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def sqlite_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``: the write lock is taken first, so what is read stays true."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _migrate_sqlite(conn: sqlite3.Connection, component: str, steps: Sequence[Sequence[str]]) -> None:
    """Apply the ``component``'s schema steps not applied yet, in order, each exactly once.

    Each step is a list of statements; ``onebalance_schema`` remembers how many steps each component
    has had. The whole check-and-apply holds the file's write lock, so processes opening the same new
    file at once neither race nor apply a step twice.
    """
    if _schema_version(conn, component, len(steps)) == len(steps):
        return  # up to date: nothing to write, no write lock taken
    with sqlite_transaction(conn):
        conn.execute(
            "CREATE TABLE IF NOT EXISTS onebalance_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
        version = _schema_version(conn, component, len(steps))  # again, now that no one else can migrate
        for step in steps[version:]:
            for statement in step:
                conn.execute(statement)
        conn.execute("INSERT OR REPLACE INTO onebalance_schema VALUES (?, ?)", (component, len(steps)))


def _schema_version(conn: sqlite3.Connection, component: str, known: int) -> int:
    """How many of the ``component``'s steps the file has had (0 for a new file)."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'onebalance_schema'")
    if exists.fetchone() is None:
        return 0
    row = conn.execute("SELECT version FROM onebalance_schema WHERE component = ?", (component,)).fetchone()
    version = int(row[0]) if row else 0
    if version > known:
        raise ConfigurationError(
            f"the {component} tables have schema version {version}; this onebalance knows up to {known}: "
            "upgrade onebalance"
        )
    return version


def open_sqlite_tables(
    path: Path, component: str, steps: Sequence[Sequence[str]], busy_timeout: float, what: str
) -> sqlite3.Connection:
    """A connection to ``path`` with the ``component``'s tables migrated, or :class:`ConfigurationError`."""
    problem = ""
    try:
        conn = _open_sqlite(path, busy_timeout=busy_timeout)
        try:
            _migrate_sqlite(conn, component, steps)
        except BaseException:
            conn.close()
            raise
    except sqlite3.Error as exc:
        problem = str(exc)
    if problem:  # raised outside the except block: no driver exception chained to it
        raise ConfigurationError(f"cannot use {path} as {what}: {problem}")
    return conn


@contextmanager
def store_errors(what: str) -> Iterator[None]:
    """A database failure while the store is in use is a :class:`StoreError` (never a raw driver error)."""
    problem = ""
    try:
        yield
    except sqlite3.Error as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if problem:
        raise StoreError(f"cannot use {what}: {problem}") from None


class _SameName(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return key


class SqliteTables:
    """One store's tables in a SQLite file: a connection (see :func:`open_sqlite_tables`) behind a lock.

    ``opening`` names the file in a :class:`~onebalance.ConfigurationError` when it cannot be
    opened; ``using`` names the tables in a :class:`~onebalance.StoreError` when they fail in use.
    """

    #: What a ``SELECT`` in a transaction appends to lock the rows it reads: nothing, since the
    #: transaction holds the file's write lock from its start.
    row_lock = ""

    def __init__(
        self, path: Path, component: str, steps: Sequence[Sequence[str]], busy_timeout: float, opening: str, using: str
    ) -> None:
        self.path = path
        self.conn = open_sqlite_tables(path, component, steps, busy_timeout, opening)
        self.lock = threading.Lock()
        self.what = using

    def describe(self) -> str:
        return str(self.path)

    def sql(self, text: str) -> str:
        """``text`` written for PostgreSQL (``{table}`` names, ``%s`` values) as SQLite reads it."""
        return text.format_map(_SameName()).replace("%s", "?")

    @staticmethod
    def time(value: datetime) -> str:
        """A time as the tables keep it: ISO text."""
        return value.isoformat()

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """The connection, held alone; a database failure is a :class:`~onebalance.StoreError`."""
        with self.lock, store_errors(self.what):
            yield self.conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection in a ``BEGIN IMMEDIATE`` transaction (see :func:`sqlite_transaction`)."""
        with self.lock, store_errors(self.what), sqlite_transaction(self.conn) as conn:
            yield conn

    def close(self) -> None:
        with self.lock:
            self.conn.close()
