"""Stores: what the SDK keeps for each merchant, shared by every worker that serves it.

A :class:`Store` bundles the three things a platform's workers must share:

- ``records``: the SDK's ledger of postage purchases (the receipts, kept under each purchase's
  IntegratorTxID, which makes them the idempotency records too) and each merchant's funding
  settings (a :class:`~onebalance.PostageRecords`);
- ``credentials``: each merchant's One Balance credentials, encrypted (a
  :class:`~onebalance.CredentialStore`);
- ``labels``: the label journal (a :class:`~onebalance.LabelJournal`), which makes a label's
  idempotency key hold across the workers that share the store;
- ``refills``: the refill journal (a :class:`~onebalance.RefillJournal`): every postage purchase
  written down before it is sent, so that one cut off by a crash can be settled;
- ``refill_lock(merchant_id)``: the auto-refill lock, held while a worker decides on and buys a
  refill, so that workers racing on one merchant refill once. It waits at most ``lock_timeout``
  seconds, then raises :class:`~onebalance.RefillLockTimeout`; a holder that crashed never blocks
  the others for good.

:class:`InMemoryStore` is for one process (tests, demos), :class:`SqliteStore` for the processes of
one machine (one file, the embedded default) and :class:`PostgresStore` for many workers on many
machines.
"""

from __future__ import annotations

import abc
import hashlib
import logging
import math
import os
import re
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

from onebalance.core._errors import ConfigurationError, RefillLockTimeout, StoreError

from ._credentials import (
    CredentialStore,
    InMemoryCredentialStore,
    PostgresCredentialStore,
    SqliteCredentialStore,
    _check_merchant_id,
)
from ._records import (
    SQLITE_BUSY_TIMEOUT,
    InMemoryPostageRecords,
    PostageRecords,
    PostgresPostageRecords,
    SqlitePostageRecords,
    _open_sqlite_tables,
    _sqlite_transaction,
    _store_errors,
)
from ._refills import InMemoryRefillJournal, PostgresRefillJournal, RefillJournal, SqliteRefillJournal

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql
    from psycopg_pool import ConnectionPool

    from ._labels import LabelJournal, PostgresLabelJournal, SqliteLabelJournal

__all__ = ["DEFAULT_LOCK_TIMEOUT", "InMemoryStore", "PostgresStore", "SqliteStore", "Store"]

logger = logging.getLogger("onebalance")

#: Seconds a worker waits for another worker's refill of the same merchant before giving up.
DEFAULT_LOCK_TIMEOUT = 60.0


def _seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"{name} must be a positive number of seconds")
    return float(value)


class Store(abc.ABC):
    """The receipts and settings (``records``), the ``credentials``, the label journal (``labels``),
    the refill journal (``refills``) and the per-merchant refill lock.

    Give one to :class:`~onebalance.Accounts` (``store=``) or :class:`~onebalance.Postage`
    (``store=``). A store is a context manager; :meth:`close` releases its connections.
    """

    records: PostageRecords
    credentials: CredentialStore
    labels: LabelJournal
    refills: RefillJournal
    lock_timeout: float

    @abc.abstractmethod
    def refill_lock(self, merchant_id: str, *, timeout: float | None = None) -> AbstractContextManager[None]:
        """Hold the merchant's auto-refill lock for the ``with`` block.

        Waits at most ``timeout`` seconds (the store's ``lock_timeout`` by default), then raises
        :class:`~onebalance.RefillLockTimeout`. Not reentrant: do not take it again inside the block.
        """

    def close(self) -> None:  # noqa: B027 - an optional hook: stores without connections have nothing to close
        """Release the store's connections (the data it keeps stays where it is)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _deadline(self, timeout: float | None) -> float:
        wait = self.lock_timeout if timeout is None else _seconds(timeout, "timeout")
        return time.monotonic() + wait


def _timed_out(merchant_id: str, why: str) -> RefillLockTimeout:
    return RefillLockTimeout(
        f"the auto-refill lock of merchant {merchant_id!r} was not had in time: {why}; nothing was bought"
    )


class _ThreadLocks:
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
            raise _timed_out(merchant_id, "another thread of this process held it")
        try:
            yield
        finally:
            lock.release()


class InMemoryStore(Store):
    """Everything in this process's memory: for tests, demos and a single process.

    ``records``, ``credentials``, ``labels`` and ``refills`` default to new in-memory ones; pass
    others (an :class:`~onebalance.EncryptedFileCredentialStore`, a
    :class:`~onebalance.SqlitePostageRecords`, a :class:`~onebalance.SqliteLabelJournal`, a
    :class:`~onebalance.SqliteRefillJournal`) to keep them. The lock covers the threads of this
    process only.
    """

    def __init__(
        self,
        *,
        records: PostageRecords | None = None,
        credentials: CredentialStore | None = None,
        labels: LabelJournal | None = None,
        refills: RefillJournal | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        # Imported here: the journal imports ``carriers``, which imports this package's errors.
        from ._labels import InMemoryLabelJournal

        self.records = records if records is not None else InMemoryPostageRecords()
        self.credentials = credentials if credentials is not None else InMemoryCredentialStore()
        self.labels = labels if labels is not None else InMemoryLabelJournal()
        self.refills = refills if refills is not None else InMemoryRefillJournal()
        self.lock_timeout = _seconds(lock_timeout, "lock_timeout")
        self._threads = _ThreadLocks()

    def __repr__(self) -> str:
        return (
            f"InMemoryStore(records={self.records!r}, credentials={self.credentials!r}, labels={self.labels!r}, "
            f"refills={self.refills!r})"
        )

    def refill_lock(self, merchant_id: str, *, timeout: float | None = None) -> AbstractContextManager[None]:
        merchant_id = _check_merchant_id(merchant_id)
        return self._threads.hold(merchant_id, self._deadline(timeout))


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


class SqliteStore(Store):
    """Everything in one SQLite file shared by the processes of one machine: the embedded default.

    The file is in WAL mode (readers never wait for a writer) with a busy timeout (a writer waits
    ``busy_timeout`` seconds for another process's write). It is created with mode 0600, and one
    that group or others may access is refused: it holds the credentials, each record encrypted
    with Fernet under the keys given as for :class:`~onebalance.EncryptedFileCredentialStore`
    (``keys``, ``key_file``, or the environment). Its tables are created on first use. The label
    journal (``labels``, a :class:`~onebalance.SqliteLabelJournal`) and the refill journal
    (``refills``, a :class:`~onebalance.SqliteRefillJournal`) are tables of the same file.

    The refill lock is a row of the ``refill_locks`` table: a lease of ``lock_ttl`` seconds that
    its holder renews every third of that while it holds it. A holder that crashes stops renewing,
    so its lease runs out and the next worker takes the lock; a live holder never loses it.

    The file must be on a local disk: SQLite's locking is not reliable over network file systems.
    Open the store in each process (not before a fork).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        keys: Sequence[str | bytes] | None = None,
        key_file: str | os.PathLike[str] | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        lock_ttl: float = 15.0,
        busy_timeout: float = SQLITE_BUSY_TIMEOUT,
    ) -> None:
        self.path = Path(path)
        self.lock_timeout = _seconds(lock_timeout, "lock_timeout")
        self.lock_ttl = _seconds(lock_ttl, "lock_ttl")
        busy_timeout = _seconds(busy_timeout, "busy_timeout")
        from ._labels import SqliteLabelJournal

        opened: list[SqliteCredentialStore | SqlitePostageRecords | SqliteLabelJournal | SqliteRefillJournal] = []
        try:
            self.credentials: SqliteCredentialStore = SqliteCredentialStore(
                self.path, keys=keys, key_file=key_file, busy_timeout=busy_timeout
            )
            opened.append(self.credentials)
            self.records: SqlitePostageRecords = SqlitePostageRecords(self.path, busy_timeout=busy_timeout)
            opened.append(self.records)
            self.labels: SqliteLabelJournal = SqliteLabelJournal(self.path, busy_timeout=busy_timeout)
            opened.append(self.labels)
            self.refills: SqliteRefillJournal = SqliteRefillJournal(self.path, busy_timeout=busy_timeout)
            opened.append(self.refills)
            self._conn = _open_sqlite_tables(self.path, "locks", _LOCK_STEPS, busy_timeout, "the store file")
            # Lock rows need not survive a power cut (their holders do not either): no fsync per
            # lock taken. WAL keeps the file consistent whatever happens.
            self._conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            for part in opened:
                part.close()
            raise
        self._lock = threading.Lock()
        self._threads = _ThreadLocks()
        self._what = f"the refill locks in {self.path}"

    def __repr__(self) -> str:
        return f"SqliteStore(path={str(self.path)!r})"

    def close(self) -> None:
        self.credentials.close()
        self.records.close()
        self.labels.close()
        self.refills.close()
        with self._lock:
            self._conn.close()

    @contextmanager
    def refill_lock(self, merchant_id: str, *, timeout: float | None = None) -> Iterator[None]:
        merchant_id = _check_merchant_id(merchant_id)
        deadline = self._deadline(timeout)
        with self._threads.hold(merchant_id, deadline):
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
            with self._lock, _store_errors(self._what), _sqlite_transaction(self._conn) as conn:
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
                raise _timed_out(merchant_id, "another process held it")
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.05)

    def _renew(self, merchant_id: str, holder: str, stop: threading.Event) -> None:
        while not stop.wait(self.lock_ttl / 3):
            try:
                with self._lock:
                    renewed = self._conn.execute(
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
            with self._lock:
                self._conn.execute(
                    "DELETE FROM refill_locks WHERE merchant_id = ? AND holder = ?", (merchant_id, holder)
                )
        except sqlite3.Error as exc:  # the lease is no longer renewed: it runs out within lock_ttl
            logger.warning("event=refill_unlock_failed merchant=%s error=%s", merchant_id, exc)


# -- PostgreSQL ----------------------------------------------------------------------------------------

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_TABLES = ("receipts", "funding_settings", "credentials", "label_journal", "refill_journal", "schema_migrations")

#: Each step is applied once, in order, recorded in ``schema_migrations``. Append; never edit a step.
_POSTGRES_STEPS: list[list[str]] = [
    [
        """CREATE TABLE {receipts} (
            integrator_tx_id text PRIMARY KEY,
            merchant_id text NOT NULL,
            created_at timestamptz NOT NULL,
            status text NOT NULL,
            amount numeric(12, 2) NOT NULL,
            body text NOT NULL
        )""",
        "CREATE INDEX ON {receipts} (merchant_id, created_at)",
        "CREATE TABLE {funding_settings} (merchant_id text PRIMARY KEY, body text NOT NULL)",
        """CREATE TABLE {credentials} (
            merchant_id text PRIMARY KEY,
            token text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        )""",
    ],
    [
        """CREATE TABLE {label_journal} (
            merchant_id text NOT NULL,
            carrier text NOT NULL,
            idempotency_key text NOT NULL,
            service_code text NOT NULL,
            started_at timestamptz NOT NULL,
            label text,
            voided_at timestamptz,
            PRIMARY KEY (merchant_id, carrier, idempotency_key)
        )""",
        "CREATE INDEX ON {label_journal} (merchant_id, started_at)",
    ],
    # ``ship pending --all`` (LabelJournal.pending) reads the purchases whose outcome is unknown,
    # a handful among every label ever bought: a partial index keeps that from reading the table.
    ["CREATE INDEX label_journal_pending ON {label_journal} (started_at) WHERE label IS NULL"],
    # The refill journal (``_refills``): every postage purchase, written down before it is sent.
    [
        """CREATE TABLE {refill_journal} (
            integrator_tx_id text PRIMARY KEY,
            merchant_id text NOT NULL,
            started_at timestamptz NOT NULL,
            body text NOT NULL,
            state text NOT NULL,
            settled_at timestamptz,
            reason text
        )""",
        "CREATE INDEX ON {refill_journal} (merchant_id, started_at)",
        "CREATE INDEX refill_journal_pending ON {refill_journal} (started_at) WHERE state = 'pending'",
    ],
    # An idempotency key names one purchase whatever the carrier: the purchase's fingerprint, and a
    # key held once per merchant by the entries that have one (older entries have none).
    [
        "ALTER TABLE {label_journal} ADD COLUMN fingerprint text",
        "CREATE UNIQUE INDEX label_journal_key ON {label_journal} (merchant_id, idempotency_key) "
        "WHERE fingerprint IS NOT NULL",
    ],
]


def _advisory_key(*parts: str) -> int:
    """A signed 64-bit advisory-lock key for ``parts`` (blake2b, so stable across processes and runs)."""
    digest = hashlib.blake2b("\0".join(("onebalance", *parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _problem(exc: BaseException) -> str:
    """A driver error in one line, without the details PostgreSQL may attach (row values)."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = primary or (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {text}"


class PostgresDatabase:
    """A pool of connections to one PostgreSQL database, and the onebalance tables in one schema.

    Private plumbing of :class:`PostgresStore`: the tables are created (and later steps applied)
    on first use, under an advisory lock so that workers starting together apply each step once.
    """

    def __init__(
        self,
        dsn: str,
        *,
        schema: str,
        pool_size: int,
        lock_pool_size: int,
        connect_timeout: float,
        pool_timeout: float,
    ) -> None:
        try:
            import psycopg
            from psycopg import sql
            from psycopg.conninfo import conninfo_to_dict
            from psycopg_pool import ConnectionPool
        except ImportError:
            raise ConfigurationError(
                "PostgresStore needs psycopg 3 and psycopg_pool: pip install 'onebalance[postgres]'"
            ) from None
        if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
            raise ConfigurationError(
                "schema must be a PostgreSQL name of lowercase letters, digits and underscores (at most 63)"
            )
        for name, size in (("pool_size", pool_size), ("lock_pool_size", lock_pool_size)):
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise ConfigurationError(f"{name} must be a positive whole number")
        if not isinstance(dsn, str) or not dsn.strip():
            raise ConfigurationError("dsn must be a PostgreSQL connection string such as postgresql://user@host/db")
        try:
            info = conninfo_to_dict(dsn)
        except psycopg.ProgrammingError:
            raise ConfigurationError("dsn is not a valid PostgreSQL connection string") from None
        self.schema = schema
        self._where = ", ".join(f"{k}={info[k]}" for k in ("host", "port", "dbname", "user") if info.get(k) is not None)
        self._identifiers = {"schema": sql.Identifier(schema)} | {t: sql.Identifier(schema, t) for t in _TABLES}
        self._pool_timeout = pool_timeout
        kwargs: dict[str, Any] = {
            "autocommit": True,
            "connect_timeout": max(1, math.ceil(connect_timeout)),
            "application_name": "onebalance",
        }
        problem = ""
        try:
            with psycopg.connect(dsn, **kwargs) as conn:
                self._migrate(conn)
        except psycopg.Error as exc:
            problem = _problem(exc)
        if problem:  # raised outside the except block: no driver exception (nor the DSN) chained to it
            raise ConfigurationError(f"cannot use PostgreSQL ({self.describe()}): {problem}")
        # check: a connection broken meanwhile (a restarted server, a failover) is replaced before use.
        self.pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
            dsn,
            min_size=1,
            max_size=pool_size,
            kwargs=kwargs,
            open=False,
            timeout=pool_timeout,
            name="onebalance",
            check=ConnectionPool.check_connection,
        )
        #: The refill locks' connections, apart: a worker holding a lock always finds one for its data.
        self.lock_pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
            dsn,
            min_size=0,
            max_size=lock_pool_size,
            kwargs=kwargs,
            open=False,
            name="onebalance-locks",
            check=ConnectionPool.check_connection,
        )
        self.pool.open(wait=False)
        self.lock_pool.open(wait=False)

    def describe(self) -> str:
        """Where the tables are, without the password."""
        return f"{self._where}, schema={self.schema}"

    def sql(self, text: str) -> sql.Composed:
        """``text`` with ``{receipts}``, ``{credentials}``... replaced by the schema's quoted table names."""
        from psycopg import sql

        return sql.SQL(text).format(**self._identifiers)

    def _migrate(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_advisory_key("migrate", self.schema),))
            if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)).fetchone() is None:
                conn.execute(self.sql("CREATE SCHEMA {schema}"))
            conn.execute(
                self.sql(
                    "CREATE TABLE IF NOT EXISTS {schema_migrations} "
                    "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
                )
            )
            row = conn.execute(self.sql("SELECT coalesce(max(version), 0) FROM {schema_migrations}")).fetchone()
            version = int(row[0]) if row else 0
            if version > len(_POSTGRES_STEPS):
                raise ConfigurationError(
                    f"the onebalance tables in schema {self.schema} have version {version}; this onebalance knows "
                    f"up to {len(_POSTGRES_STEPS)}: upgrade onebalance"
                )
            for number, step in enumerate(_POSTGRES_STEPS[version:], start=version + 1):
                for statement in step:
                    conn.execute(self.sql(statement))
                conn.execute(self.sql("INSERT INTO {schema_migrations} (version) VALUES (%s)"), (number,))
                logger.info("event=store_migrated schema=%s version=%s", self.schema, number)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """A connection from the pool (autocommit); a database failure is a :class:`StoreError`."""
        import psycopg

        problem = ""
        try:
            with self.pool.connection(timeout=self._pool_timeout) as conn:
                yield conn
        except psycopg.Error as exc:
            problem = _problem(exc)
        if problem:  # raised outside the except block: no driver exception chained to it
            raise StoreError(f"cannot use PostgreSQL ({self.describe()}): {problem}") from None

    def close(self) -> None:
        self.pool.close()
        self.lock_pool.close()


class _AdvisoryLock:
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
        key = _advisory_key("refill", self._db.schema, self._merchant_id)
        try:
            self._conn = self._db.lock_pool.getconn(timeout=max(0.001, self._deadline - time.monotonic()))
            self._conn.execute("BEGIN")
            wait_ms = max(1, int((self._deadline - time.monotonic()) * 1000))
            self._conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{wait_ms}ms",))
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
        except PoolTimeout:
            failure = _timed_out(self._merchant_id, "no connection for the lock was free (raise lock_pool_size)")
        except psycopg.errors.LockNotAvailable:
            failure = _timed_out(self._merchant_id, "another worker held it")
        except psycopg.Error as exc:
            failure = StoreError(f"cannot take the refill lock in PostgreSQL ({self._db.describe()}): {_problem(exc)}")
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
            logger.warning("event=refill_unlock_failed merchant=%s error=%s", self._merchant_id, _problem(exc))
        finally:
            self._db.lock_pool.putconn(conn)


class PostgresStore(Store):
    """Everything in PostgreSQL (psycopg 3), for many workers on many machines.

    ``dsn`` is a libpq connection string (``postgresql://user@host:5432/db``). The tables live in
    ``schema`` (``onebalance`` by default), created with the tables on first use and upgraded in
    place by later versions (``schema_migrations`` records each step). The receipts table's primary
    key is the IntegratorTxID, so a purchase is never recorded twice. Credentials are stored
    encrypted with Fernet under the keys given as for :class:`~onebalance.EncryptedFileCredentialStore`.
    The label journal (``labels``) is the ``label_journal`` table, whose primary key (merchant,
    carrier, idempotency key) lets exactly one worker, on any machine, claim a label's key, and
    whose unique index on (merchant, idempotency key) keeps a key to one purchase whatever the
    carrier; the refill journal (``refills``) is the ``refill_journal`` table, keyed by IntegratorTxID.

    The refill lock is ``pg_advisory_xact_lock`` on a 64-bit hash of the schema and merchant id,
    held by a transaction on a connection of a small pool of its own (``lock_pool_size``, the
    merchants one process may refill at once); PostgreSQL releases it when the holder's connection
    ends, so a crashed worker never blocks the others. Other work uses a pool of ``pool_size``
    connections. Needs ``pip install 'onebalance[postgres]'``.
    """

    def __init__(
        self,
        dsn: str,
        *,
        keys: Sequence[str | bytes] | None = None,
        key_file: str | os.PathLike[str] | None = None,
        schema: str = "onebalance",
        pool_size: int = 10,
        lock_pool_size: int = 4,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        connect_timeout: float = 10.0,
        pool_timeout: float = 30.0,
    ) -> None:
        self.lock_timeout = _seconds(lock_timeout, "lock_timeout")
        self._db = PostgresDatabase(
            dsn,
            schema=schema,
            pool_size=pool_size,
            lock_pool_size=lock_pool_size,
            connect_timeout=_seconds(connect_timeout, "connect_timeout"),
            pool_timeout=_seconds(pool_timeout, "pool_timeout"),
        )
        try:
            self.credentials: PostgresCredentialStore = PostgresCredentialStore(self._db, keys=keys, key_file=key_file)
        except BaseException:
            self._db.close()
            raise
        from ._labels import PostgresLabelJournal

        self.records: PostgresPostageRecords = PostgresPostageRecords(self._db)
        self.labels: PostgresLabelJournal = PostgresLabelJournal(self._db)
        self.refills: PostgresRefillJournal = PostgresRefillJournal(self._db)
        self.schema = schema
        self._threads = _ThreadLocks()

    def __repr__(self) -> str:
        return f"PostgresStore({self._db.describe()})"

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def refill_lock(self, merchant_id: str, *, timeout: float | None = None) -> Iterator[None]:
        merchant_id = _check_merchant_id(merchant_id)
        deadline = self._deadline(timeout)
        with self._threads.hold(merchant_id, deadline), _AdvisoryLock(self._db, merchant_id, deadline):
            yield
