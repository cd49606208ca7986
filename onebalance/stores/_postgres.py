"""PostgreSQL plumbing shared by every PostgreSQL store: the pool, the schema and its migrations.

:class:`PostgresDatabase` is one database's pools of connections (one for data, a small one for
the refill locks) and the onebalance tables in one schema, created and upgraded on first use. The
schema of every store is here (``_POSTGRES_STEPS``, one ordered list recorded in
``schema_migrations``), since the steps of all the tables share one version number. This module
knows no store: the stores (``_records``, ``_credential_tables``, ``_label_tables``, ``_refills``)
and the store bundle (``_store``) are given a database.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from onebalance.core import ConfigurationError, StoreError

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql
    from psycopg_pool import ConnectionPool

__all__ = ["PostgresDatabase", "advisory_key", "driver_problem"]

logger = logging.getLogger("onebalance")

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


def advisory_key(*parts: str) -> int:
    """A signed 64-bit advisory-lock key for ``parts`` (blake2b, so stable across processes and runs)."""
    digest = hashlib.blake2b("\0".join(("onebalance", *parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def driver_problem(exc: BaseException) -> str:
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
            problem = driver_problem(exc)
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

    #: What a ``SELECT`` in a transaction appends to lock the rows it reads until the transaction ends.
    row_lock = " FOR UPDATE"

    def describe(self) -> str:
        """Where the tables are, without the password."""
        return f"{self._where}, schema={self.schema}"

    @staticmethod
    def time(value: datetime) -> datetime:
        """A time as the tables keep it: a ``timestamptz``, given as it is."""
        return value

    def sql(self, text: str) -> sql.Composed:
        """``text`` with ``{receipts}``, ``{credentials}``... replaced by the schema's quoted table names."""
        from psycopg import sql

        return sql.SQL(text).format(**self._identifiers)

    def _migrate(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key("migrate", self.schema),))
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
            problem = driver_problem(exc)
        if problem:  # raised outside the except block: no driver exception chained to it
            raise StoreError(f"cannot use PostgreSQL ({self.describe()}): {problem}") from None

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """A connection from the pool in a transaction (committed at the end of the block)."""
        with self.connection() as conn, conn.transaction():
            yield conn

    def close(self) -> None:
        self.pool.close()
        self.lock_pool.close()
