"""What a SQL store is given: :class:`Tables`, met by ``_sqlite.SqliteTables`` and ``_postgres.PostgresDatabase``.

A journal written once for both databases (``_label_tables``, ``_refills``) writes its statements
for PostgreSQL (``{table}`` names, ``%s`` values) and runs them through ``Tables``: ``sql`` reads
them as the database does, ``time`` gives a time as the tables keep it, ``connection`` and
``transaction`` lend the connection, turning database failures into
:class:`~onebalance.StoreError`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

__all__ = ["Connection", "Tables"]


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    def execute(self, statement: Any, values: Any, /) -> Cursor: ...


class Tables(Protocol):
    """Where a store's tables are: a SQLite file or a PostgreSQL schema."""

    @property
    def row_lock(self) -> str:
        """What a ``SELECT`` in a transaction appends to lock the rows it reads."""

    def describe(self) -> str: ...

    def sql(self, text: str) -> Any: ...

    def time(self, value: datetime) -> Any: ...

    def connection(self) -> AbstractContextManager[Connection]: ...

    def transaction(self) -> AbstractContextManager[Connection]: ...
