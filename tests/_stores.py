"""Opening the same store from several places (threads, processes) in the store tests.

A store is described by a picklable spec, so that a child process opens its own connection to the
same SQLite file or PostgreSQL schema. The PostgreSQL tests need ``ONEBALANCE_TEST_POSTGRES_DSN``
(``.ci/run`` sets it when a server answers on 127.0.0.1:5432); each test gets a schema of its own,
dropped afterwards, so parallel runs never meet.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from onebalance import EncryptedFileCredentialStore, PostgresStore, SqliteStore, Store

POSTGRES_DSN_ENV = "ONEBALANCE_TEST_POSTGRES_DSN"
NO_POSTGRES = (
    f"no PostgreSQL to test against: set {POSTGRES_DSN_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test); "
    ".ci/run sets it when a server answers on 127.0.0.1:5432"
)


@dataclass(frozen=True)
class StoreSpec:
    kind: str  # "sqlite" or "postgres"
    key: str
    path: str = ""
    dsn: str = ""
    schema: str = ""
    options: tuple[tuple[str, Any], ...] = ()

    def open(self, **options: Any) -> Store:
        kwargs = {"keys": [self.key]} | dict(self.options) | options
        if self.kind == "sqlite":
            return SqliteStore(self.path, **kwargs)
        return PostgresStore(self.dsn, schema=self.schema, **kwargs)

    def with_options(self, **options: Any) -> StoreSpec:
        return replace(self, options=tuple((dict(self.options) | options).items()))


def postgres_dsn() -> str:
    dsn = os.environ.get(POSTGRES_DSN_ENV, "").strip()
    if not dsn:
        pytest.skip(NO_POSTGRES)
    return dsn


def store_spec(kind: str, tmp_path: Path) -> Iterator[StoreSpec]:
    """A new, empty store of ``kind``; the PostgreSQL schema is dropped afterwards."""
    key = EncryptedFileCredentialStore.generate_key()
    if kind == "sqlite":
        yield StoreSpec("sqlite", key, path=str(tmp_path / "onebalance.sqlite"))
        return
    dsn = postgres_dsn()
    import psycopg
    from psycopg import sql

    schema = f"onebalance_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    try:
        yield StoreSpec("postgres", key, dsn=dsn, schema=schema)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
