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
import math
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import TracebackType

from typing_extensions import Self

from onebalance.core import ConfigurationError

from ._credential_models import CredentialStore, valid_merchant_id
from ._credential_stores import InMemoryCredentialStore
from ._credential_tables import PostgresCredentialStore, SqliteCredentialStore
from ._label_tables import PostgresLabelJournal, SqliteLabelJournal
from ._labels import InMemoryLabelJournal, LabelJournal
from ._locks import AdvisoryLock, SqliteLeases, ThreadLocks
from ._postgres import PostgresDatabase
from ._records import InMemoryPostageRecords, PostageRecords, PostgresPostageRecords, SqlitePostageRecords
from ._refills import InMemoryRefillJournal, PostgresRefillJournal, RefillJournal, SqliteRefillJournal
from ._sqlite import SQLITE_BUSY_TIMEOUT

__all__ = ["DEFAULT_LOCK_TIMEOUT", "InMemoryStore", "PostgresStore", "SqliteStore", "Store"]

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
        self.records = records if records is not None else InMemoryPostageRecords()
        self.credentials = credentials if credentials is not None else InMemoryCredentialStore()
        self.labels = labels if labels is not None else InMemoryLabelJournal()
        self.refills = refills if refills is not None else InMemoryRefillJournal()
        self.lock_timeout = _seconds(lock_timeout, "lock_timeout")
        self._threads = ThreadLocks()

    def __repr__(self) -> str:
        return (
            f"InMemoryStore(records={self.records!r}, credentials={self.credentials!r}, labels={self.labels!r}, "
            f"refills={self.refills!r})"
        )

    def refill_lock(self, merchant_id: str, *, timeout: float | None = None) -> AbstractContextManager[None]:
        merchant_id = valid_merchant_id(merchant_id)
        return self._threads.hold(merchant_id, self._deadline(timeout))


# -- SQLite --------------------------------------------------------------------------------------------


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
            self._leases = SqliteLeases(self.path, lock_ttl=self.lock_ttl, busy_timeout=busy_timeout)
        except BaseException:
            for part in opened:
                part.close()
            raise
        self._threads = ThreadLocks()

    def __repr__(self) -> str:
        return f"SqliteStore(path={str(self.path)!r})"

    def close(self) -> None:
        self.credentials.close()
        self.records.close()
        self.labels.close()
        self.refills.close()
        self._leases.close()

    @contextmanager
    def refill_lock(self, merchant_id: str, *, timeout: float | None = None) -> Iterator[None]:
        merchant_id = valid_merchant_id(merchant_id)
        deadline = self._deadline(timeout)
        with self._threads.hold(merchant_id, deadline), self._leases.hold(merchant_id, deadline):
            yield


# -- PostgreSQL ----------------------------------------------------------------------------------------


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
        self.records: PostgresPostageRecords = PostgresPostageRecords(self._db)
        self.labels: PostgresLabelJournal = PostgresLabelJournal(self._db)
        self.refills: PostgresRefillJournal = PostgresRefillJournal(self._db)
        self.schema = schema
        self._threads = ThreadLocks()

    def __repr__(self) -> str:
        return f"PostgresStore({self._db.describe()})"

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def refill_lock(self, merchant_id: str, *, timeout: float | None = None) -> Iterator[None]:
        merchant_id = valid_merchant_id(merchant_id)
        deadline = self._deadline(timeout)
        with self._threads.hold(merchant_id, deadline), AdvisoryLock(self._db, merchant_id, deadline):
            yield
