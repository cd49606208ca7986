"""The label journal in SQL: :class:`SqliteLabelJournal` and :class:`PostgresLabelJournal`.

Both are one journal (:class:`_TableLabelJournal`) over a ``label_journal`` table; they differ only
in where the table is. The statements are written once, for PostgreSQL (``{label_journal}``,
``%s``); SQLite's tables (``_sqlite.SqliteTables``) read them with their own placeholders and keep
times as ISO text, PostgreSQL's (``_postgres.PostgresDatabase``) as ``timestamptz``.

A key is claimed by one ``INSERT ... ON CONFLICT DO NOTHING`` on the table's primary key
(merchant, carrier, idempotency key) and the unique index on (merchant, key) over the entries
that have a fingerprint: of two workers starting the same key, exactly one makes the entry and
the other reads it. A database failure is a :class:`~onebalance.StoreError`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from onebalance.shipments import Carrier, Label, label_from_json, label_to_json

from ._labels import JournalEntry, LabelJournal, claimed, cutoff, pending_of
from ._postgres import PostgresDatabase
from ._sql import Tables
from ._sqlite import SQLITE_BUSY_TIMEOUT, SqliteTables

__all__ = ["PostgresLabelJournal", "SqliteLabelJournal"]

#: Each step is applied once, in order (``onebalance_schema`` remembers them). Append; never edit a step.
#: The first one is written so that a file made by an older onebalance (the table without the
#: schema row) is taken over as it is. (PostgreSQL's steps are in ``_postgres``.)
_SQLITE_STEPS: list[list[str]] = [
    [
        """CREATE TABLE IF NOT EXISTS label_journal (
            merchant_id TEXT NOT NULL,
            carrier TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            service_code TEXT NOT NULL,
            started_at TEXT NOT NULL,
            label TEXT,
            voided_at TEXT,
            PRIMARY KEY (merchant_id, carrier, idempotency_key)
        )""",
    ],
    # A key names one purchase whatever the carrier (entries from before have no fingerprint).
    [
        "ALTER TABLE label_journal ADD COLUMN fingerprint TEXT",
        "CREATE UNIQUE INDEX label_journal_key ON label_journal (merchant_id, idempotency_key) "
        "WHERE fingerprint IS NOT NULL",
    ],
]

_SELECT = (
    "SELECT merchant_id, carrier, idempotency_key, service_code, started_at, label, voided_at, fingerprint "
    "FROM {label_journal} "
)
_KEY = "WHERE merchant_id = %s AND carrier = %s AND idempotency_key = %s"

_STATEMENTS = {
    # No conflict target: a conflict on the primary key or on the (merchant, key) index claims nothing.
    "claim": "INSERT INTO {label_journal} "
    "(merchant_id, carrier, idempotency_key, service_code, started_at, fingerprint) "
    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
    "one": _SELECT + _KEY,
    "key": _SELECT + "WHERE merchant_id = %s AND idempotency_key = %s ORDER BY started_at, carrier",
    "finish": "INSERT INTO {label_journal} "
    "(merchant_id, carrier, idempotency_key, service_code, started_at, label) VALUES (%s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (merchant_id, carrier, idempotency_key) DO UPDATE SET label = excluded.label",
    "abandon": "DELETE FROM {label_journal} "
    "WHERE merchant_id = %s AND carrier = %s AND idempotency_key = %s AND label IS NULL",
    "label": "SELECT label FROM {label_journal} WHERE merchant_id = %s AND carrier = %s AND idempotency_key = %s",
    "set_label": "UPDATE {label_journal} SET label = %s "
    "WHERE merchant_id = %s AND carrier = %s AND idempotency_key = %s",
    "void": "UPDATE {label_journal} SET voided_at = %s "
    "WHERE merchant_id = %s AND carrier = %s AND idempotency_key = %s",
    "by_merchant": _SELECT + "WHERE merchant_id = %s AND (CAST(%s AS text) IS NULL OR carrier = CAST(%s AS text)) "
    "ORDER BY started_at, idempotency_key",
    # The times are compared and ordered in Python, as datetimes (SQLite keeps them as ISO text).
    "pending": _SELECT + "WHERE label IS NULL AND (CAST(%s AS text) IS NULL OR merchant_id = CAST(%s AS text))",
}


def _entry(row: tuple[Any, ...]) -> JournalEntry:
    merchant_id, carrier, key, service, started, label, voided, fingerprint = row
    return JournalEntry(
        merchant_id=merchant_id,
        carrier=Carrier(carrier),
        idempotency_key=key,
        service_code=service,
        started_at=started if isinstance(started, datetime) else datetime.fromisoformat(started),
        label=label_from_json(label) if label else None,
        voided_at=voided if isinstance(voided, datetime) or voided is None else datetime.fromisoformat(voided),
        fingerprint=fingerprint,
    )


class _TableLabelJournal(LabelJournal):
    """The journal over a ``label_journal`` table (see the module docstring)."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables
        self._sql = {name: tables.sql(text) for name, text in _STATEMENTS.items()}
        self._sql["label"] = tables.sql(_STATEMENTS["label"] + tables.row_lock)

    def _rows(self, statement: str, values: tuple[Any, ...]) -> list[JournalEntry]:
        with self._tables.connection() as conn:
            return [_entry(row) for row in conn.execute(self._sql[statement], values).fetchall()]

    def _change(self, statement: str, values: tuple[Any, ...]) -> None:
        with self._tables.connection() as conn:
            conn.execute(self._sql[statement], values)

    def start(
        self,
        merchant_id: str,
        carrier: Carrier,
        idempotency_key: str,
        service_code: str,
        started_at: datetime,
        *,
        fingerprint: str | None = None,
    ) -> tuple[JournalEntry, bool]:
        key = (merchant_id, carrier.value, idempotency_key)
        while True:
            with self._tables.connection() as conn:
                made = conn.execute(
                    self._sql["claim"], (*key, service_code, self._tables.time(started_at), fingerprint)
                )
                rows = conn.execute(self._sql["key"], (merchant_id, idempotency_key)).fetchall()
            entry, fresh, undo = claimed([_entry(row) for row in rows], carrier, made.rowcount == 1)
            if undo:
                self.abandon(merchant_id, carrier, idempotency_key)
            if entry is not None:  # else the entry was abandoned between the two statements: claim it again
                return entry, fresh

    def finish(self, merchant_id: str, carrier: Carrier, idempotency_key: str, label: Label) -> None:
        values = (merchant_id, carrier.value, idempotency_key, label.service_code, self._tables.time(label.created_at))
        self._change("finish", (*values, label_to_json(label)))

    def abandon(self, merchant_id: str, carrier: Carrier, idempotency_key: str) -> None:
        self._change("abandon", (merchant_id, carrier.value, idempotency_key))

    def mark_voided(self, merchant_id: str, carrier: Carrier, idempotency_key: str, at: datetime) -> None:
        self._change("void", (self._tables.time(at), merchant_id, carrier.value, idempotency_key))

    def change_label(
        self, merchant_id: str, carrier: Carrier, idempotency_key: str, change: Callable[[Label], Label]
    ) -> Label | None:
        key = (merchant_id, carrier.value, idempotency_key)
        with self._tables.transaction() as conn:
            row = conn.execute(self._sql["label"], key).fetchone()
            if row is None or not row[0]:
                return None
            label = change(label_from_json(row[0]))
            conn.execute(self._sql["set_label"], (label_to_json(label), *key))
            return label

    def get(self, merchant_id: str, carrier: Carrier, idempotency_key: str) -> JournalEntry | None:
        found = self._rows("one", (merchant_id, carrier.value, idempotency_key))
        return found[0] if found else None

    def entries(self, merchant_id: str, carrier: Carrier | None = None) -> list[JournalEntry]:
        value = carrier.value if carrier is not None else None
        return self._rows("by_merchant", (merchant_id, value, value))

    def pending(self, merchant_id: str | None = None, *, started_before: datetime | None = None) -> list[JournalEntry]:
        cutoff(started_before)
        return pending_of(self._rows("pending", (merchant_id, merchant_id)), started_before)


class SqliteLabelJournal(_TableLabelJournal):
    """The journal in a SQLite file (WAL): a table ``label_journal``, so it shares the store's file
    (or the postage records file). Safe for several threads and processes: a key is claimed by one
    insert on the table's primary key (merchant, carrier, idempotency key).

    A database failure while in use is a :class:`~onebalance.StoreError`.
    """

    def __init__(self, path: str | Path, *, busy_timeout: float = SQLITE_BUSY_TIMEOUT) -> None:
        self.path = Path(path)
        tables = SqliteTables(
            self.path, "labels", _SQLITE_STEPS, busy_timeout, "the label journal", f"the label journal in {self.path}"
        )
        super().__init__(tables)
        self._file = tables

    def __repr__(self) -> str:
        return f"SqliteLabelJournal(path={str(self.path)!r})"

    def close(self) -> None:
        self._file.close()


class PostgresLabelJournal(_TableLabelJournal):
    """The journal in PostgreSQL: the ``label_journal`` table of a :class:`~onebalance.PostgresStore`'s
    schema (made by the store's migrations); the store's ``labels``.

    Its primary key is (merchant, carrier, idempotency key): ``INSERT ... ON CONFLICT DO NOTHING``
    claims a key for exactly one worker, on any machine; a worker that loses the race waits for
    the winner's insert to commit and then reads the entry it made. A database failure is a
    :class:`~onebalance.StoreError`.
    """

    def __init__(self, db: PostgresDatabase) -> None:
        super().__init__(db)
        self._db = db

    def __repr__(self) -> str:
        return f"PostgresLabelJournal({self._db.describe()})"
