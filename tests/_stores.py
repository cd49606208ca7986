"""Opening the same store from several places (threads, processes) in the store tests.

A store is described by a picklable spec, so that a child process opens its own connection to the
same SQLite file or PostgreSQL schema. The PostgreSQL tests need ``ONEBALANCE_TEST_POSTGRES_DSN``
(``.ci/run`` sets it when a server answers on 127.0.0.1:5432); each test run uses a schema of its
own (emptied before each test), dropped when the run ends, so parallel runs never meet. Tests of
the migrations get a new schema each.
"""

from __future__ import annotations

import multiprocessing
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


def _drop_schema(dsn: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _new_schema_name() -> str:
    return f"onebalance_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def postgres_run_schema() -> Iterator[tuple[str, str]]:
    """This test run's schema (its tables made once), dropped when the run ends: (dsn, schema)."""
    dsn = postgres_dsn()
    schema = _new_schema_name()
    try:
        PostgresStore(dsn, keys=[EncryptedFileCredentialStore.generate_key()], schema=schema).close()
        yield dsn, schema
    finally:
        _drop_schema(dsn, schema)


def store_spec(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, *, fresh: bool = False
) -> Iterator[StoreSpec]:
    """An empty store of ``kind``.

    PostgreSQL: the run's schema emptied (its tables are made once per run), or with ``fresh`` a
    schema of the test's own, with no tables yet, dropped afterwards.
    """
    key = EncryptedFileCredentialStore.generate_key()
    if kind == "sqlite":
        yield StoreSpec("sqlite", key, path=str(tmp_path / "onebalance.sqlite"))
        return
    if fresh:
        dsn, schema = postgres_dsn(), _new_schema_name()
        try:
            yield StoreSpec("postgres", key, dsn=dsn, schema=schema)
        finally:
            _drop_schema(dsn, schema)
        return
    import psycopg
    from psycopg import sql

    dsn, schema = request.getfixturevalue("postgres_run_schema")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in ("receipts", "funding_settings", "credentials", "label_journal", "refill_journal"):
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(schema, table)))
    yield StoreSpec("postgres", key, dsn=dsn, schema=schema)


def worker_context() -> multiprocessing.context.BaseContext:
    """Where multi-process tests start their workers: a fork server (see tests/conftest.py), not a fork
    of the test process, whose sandbox server threads may hold locks a forked child would inherit."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
