"""The label journal: every label bought through :class:`~onebalance.Shipping`, keyed by its idempotency key.

It is what makes an idempotency key hold across processes: a purchase is written down (pending)
before anything is sent to the carrier and completed with the label once it is bought, so that
buying again with the same key returns the first label instead of paying for a second one. USPS
also recognises a replayed purchase itself (the IntegratorTxID); UPS and FedEx do not promise
to, so for them a purchase whose outcome is unknown (a timeout, a crash) is never sent again on
its own: :class:`~onebalance.PurchaseInProgress` says to check the carrier account first.

It also keeps each USPS print's cost account, which the balance history (GetBalanceHistory) does
not carry, so that :meth:`Postage.history` can show it.

Every :class:`~onebalance.Store` has one (``store.labels``): :class:`InMemoryLabelJournal` serves
tests and one process; :class:`SqliteLabelJournal` keeps the journal in a SQLite file (the store's
file, or the postage records file), safe for the threads and processes of one machine; the
PostgreSQL journal (a ``label_journal`` table in a :class:`~onebalance.PostgresStore`'s schema)
holds for every worker on every machine. In each, a key is claimed by one atomic insert on the
unique (merchant, carrier, idempotency key): of two workers starting the same key, exactly one
wins and the other sees the entry the winner made.

A key names one purchase whatever the carrier: an entry keeps its purchase's ``fingerprint``, and a
unique index on (merchant, key) over the entries that have one (older ones do not) makes the claim
hold across carriers: starting a key another carrier's entry holds answers that entry.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from onebalance.core._errors import ValidationError
from onebalance.core._public import publish as _publish
from onebalance.shipments import Carrier, Label
from onebalance.shipments._label_codec import label_from_json, label_to_json

from ._records import SQLITE_BUSY_TIMEOUT, _open_sqlite_tables, _sqlite_transaction, _store_errors

if TYPE_CHECKING:
    from psycopg import sql

    from ._store import PostgresDatabase

__all__ = ["InMemoryLabelJournal", "JournalEntry", "LabelJournal", "PostgresLabelJournal", "SqliteLabelJournal"]


class JournalEntry(BaseModel):
    """One purchase: pending while ``label`` is None, then the label bought (and when it was voided)."""

    model_config = ConfigDict(frozen=True)

    merchant_id: str
    carrier: Carrier
    idempotency_key: str
    service_code: str
    started_at: datetime
    label: Label | None = None
    voided_at: datetime | None = None
    #: The purchase the key names (``onebalance.shipments._quote.purchase_fingerprint``); None in older entries.
    fingerprint: str | None = None

    @property
    def pending(self) -> bool:
        return self.label is None


def _claimed(entries: list[JournalEntry], carrier: Carrier, made: bool) -> tuple[JournalEntry | None, bool, bool]:
    """Of a key's entries (every carrier's, oldest first) after a claim: (the entry that holds the key,
    whether this claim made it, whether this claim must be undone because another carrier's older
    entry, one written without a fingerprint, holds the key). ``(None, ...)``: claim again."""
    mine = next((e for e in entries if e.carrier is carrier), None)
    others = [e for e in entries if e.carrier is not carrier]
    if made and others:
        return others[0], False, True
    if mine is not None:
        return mine, made, False
    return (others[0] if others else None), False, False


def _cutoff(started_before: datetime | None) -> datetime | None:
    if started_before is not None and (started_before.tzinfo is None or started_before.utcoffset() is None):
        raise ValidationError("started_before: must carry a time zone (an aware datetime)", field="started_before")
    return started_before


def _pending(entries: list[JournalEntry], started_before: datetime | None) -> list[JournalEntry]:
    """The pending ones of ``entries`` (started before ``started_before``), oldest first."""
    found = [e for e in entries if e.pending and (started_before is None or e.started_at < started_before)]
    return sorted(found, key=lambda e: (e.started_at, e.merchant_id, e.carrier.value, e.idempotency_key))


class LabelJournal(abc.ABC):
    """Where :class:`~onebalance.Shipping` writes down each purchase (see the module docstring)."""

    @abc.abstractmethod
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
        """The entry for this key, made pending (with ``fingerprint``) if there was none; True when this
        call made it. A key is the merchant's, whatever the carrier: when another carrier's entry
        holds it, that entry is answered (and nothing is made)."""

    @abc.abstractmethod
    def finish(self, merchant_id: str, carrier: Carrier, idempotency_key: str, label: Label) -> None:
        """Record the label bought for this key."""

    @abc.abstractmethod
    def abandon(self, merchant_id: str, carrier: Carrier, idempotency_key: str) -> None:
        """Forget a pending purchase that certainly bought nothing (the carrier refused it)."""

    @abc.abstractmethod
    def mark_voided(self, merchant_id: str, carrier: Carrier, idempotency_key: str, at: datetime) -> None: ...

    def change_label(
        self, merchant_id: str, carrier: Carrier, idempotency_key: str, change: Callable[[Label], Label]
    ) -> Label | None:
        """Replace the key's label by ``change(label)``; the new label, or None when there is none.

        This default reads and writes in two steps; the journals of the SDK's stores do it at once
        (two processes changing one label never lose a change).
        """
        entry = self.get(merchant_id, carrier, idempotency_key)
        if entry is None or entry.label is None:
            return None
        label = change(entry.label)
        self.finish(merchant_id, carrier, idempotency_key, label)
        return label

    def mark_package_voided(
        self, merchant_id: str, carrier: Carrier, idempotency_key: str, tracking_number: str, at: datetime
    ) -> Label | None:
        """Note that one package of the key's label was voided on its own (``packages[i].voided``);
        once every package is, the purchase is voided (``voided_at``). Returns the label as kept."""
        label = self.change_label(
            merchant_id, carrier, idempotency_key, lambda old: old.with_packages_voided(tracking_number)
        )
        if label is not None and all(p.voided for p in label.packages):
            self.mark_voided(merchant_id, carrier, idempotency_key, at)
        return label

    @abc.abstractmethod
    def entries(self, merchant_id: str, carrier: Carrier | None = None) -> list[JournalEntry]:
        """The merchant's purchases (of one carrier, or all), oldest first."""

    def pending(self, merchant_id: str | None = None, *, started_before: datetime | None = None) -> list[JournalEntry]:
        """The purchases still pending (no label yet), of one merchant or of every merchant (None),
        oldest first; with ``started_before``, only those started before that time.

        These are the purchases support has to reconcile (``onebalance ship pending``): a UPS or
        FedEx purchase cut off before its answer stays pending until it is settled. This default
        reads one merchant's :meth:`entries`; a journal that can list every merchant overrides it.
        """
        _cutoff(started_before)
        if merchant_id is None:
            raise NotImplementedError(f"{type(self).__name__} cannot list the pending purchases of every merchant")
        return _pending(self.entries(merchant_id), started_before)

    def close(self) -> None:  # noqa: B027 - an optional hook: journals without connections have nothing to close
        """Release the journal's connection (the entries stay where they are)."""

    def get(self, merchant_id: str, carrier: Carrier, idempotency_key: str) -> JournalEntry | None:
        """The entry for this key, or None."""
        return next(
            (e for e in self.entries(merchant_id, carrier) if e.idempotency_key == idempotency_key),
            None,
        )

    def find(self, merchant_id: str, carrier: Carrier, number: str) -> JournalEntry | None:
        """The purchase whose label has this tracking number (of any of its packages) or carrier
        reference (label id)."""
        number = "".join(number.split())
        found = [
            e
            for e in self.entries(merchant_id, carrier)
            if e.label is not None and (number == e.label.carrier_reference or number in e.label.tracking_numbers)
        ]
        return found[-1] if found else None


class InMemoryLabelJournal(LabelJournal):
    """The journal in a dict behind a lock: for tests and a single process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, Carrier, str], JournalEntry] = {}

    def __repr__(self) -> str:
        return f"InMemoryLabelJournal(entries={len(self._entries)})"

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
        key = (merchant_id, carrier, idempotency_key)
        with self._lock:
            held = [self._entries.get((merchant_id, c, idempotency_key)) for c in Carrier]
            entry, _, _ = _claimed(sorted((e for e in held if e), key=lambda e: e.started_at), carrier, False)
            if entry is not None:
                return entry, False
            entry = JournalEntry(
                merchant_id=merchant_id,
                carrier=carrier,
                idempotency_key=idempotency_key,
                service_code=service_code,
                started_at=started_at,
                fingerprint=fingerprint,
            )
            self._entries[key] = entry
            return entry, True

    def finish(self, merchant_id: str, carrier: Carrier, idempotency_key: str, label: Label) -> None:
        key = (merchant_id, carrier, idempotency_key)
        with self._lock:
            entry = self._entries.get(key) or JournalEntry(
                merchant_id=merchant_id,
                carrier=carrier,
                idempotency_key=idempotency_key,
                service_code=label.service_code,
                started_at=label.created_at,
            )
            self._entries[key] = entry.model_copy(update={"label": label})

    def abandon(self, merchant_id: str, carrier: Carrier, idempotency_key: str) -> None:
        key = (merchant_id, carrier, idempotency_key)
        with self._lock:
            if key in self._entries and self._entries[key].pending:
                del self._entries[key]

    def mark_voided(self, merchant_id: str, carrier: Carrier, idempotency_key: str, at: datetime) -> None:
        key = (merchant_id, carrier, idempotency_key)
        with self._lock:
            if key in self._entries:
                self._entries[key] = self._entries[key].model_copy(update={"voided_at": at})

    def change_label(
        self, merchant_id: str, carrier: Carrier, idempotency_key: str, change: Callable[[Label], Label]
    ) -> Label | None:
        key = (merchant_id, carrier, idempotency_key)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.label is None:
                return None
            label = change(entry.label)
            self._entries[key] = entry.model_copy(update={"label": label})
            return label

    def entries(self, merchant_id: str, carrier: Carrier | None = None) -> list[JournalEntry]:
        with self._lock:
            found = [e for e in self._entries.values() if e.merchant_id == merchant_id and carrier in (None, e.carrier)]
        return sorted(found, key=lambda e: e.started_at)

    def pending(self, merchant_id: str | None = None, *, started_before: datetime | None = None) -> list[JournalEntry]:
        _cutoff(started_before)
        with self._lock:
            found = [e for e in self._entries.values() if merchant_id in (None, e.merchant_id)]
        return _pending(found, started_before)


#: Each step is applied once, in order (``onebalance_schema`` remembers them). Append; never edit a step.
#: The first one is written so that a file made by an older onebalance (the table without the
#: schema row) is taken over as it is.
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

_SQLITE_ONE = (
    "SELECT merchant_id, carrier, idempotency_key, service_code, started_at, label, voided_at, fingerprint "
    "FROM label_journal WHERE merchant_id = ? AND carrier = ? AND idempotency_key = ?"
)
_SQLITE_KEY = (
    "SELECT merchant_id, carrier, idempotency_key, service_code, started_at, label, voided_at, fingerprint "
    "FROM label_journal WHERE merchant_id = ? AND idempotency_key = ? ORDER BY started_at, carrier"
)


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


class SqliteLabelJournal(LabelJournal):
    """The journal in a SQLite file (WAL): a table ``label_journal``, so it shares the store's file
    (or the postage records file). Safe for several threads and processes: a key is claimed by one
    ``INSERT OR IGNORE`` on the table's primary key (merchant, carrier, idempotency key).

    A database failure while in use is a :class:`~onebalance.StoreError`.
    """

    def __init__(self, path: str | Path, *, busy_timeout: float = SQLITE_BUSY_TIMEOUT) -> None:
        self.path = Path(path)
        self._conn = _open_sqlite_tables(self.path, "labels", _SQLITE_STEPS, busy_timeout, "the label journal")
        self._lock = threading.Lock()
        self._what = f"the label journal in {self.path}"

    def __repr__(self) -> str:
        return f"SqliteLabelJournal(path={str(self.path)!r})"

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _execute(self, statement: str, values: tuple[Any, ...]) -> int:
        with self._lock, _store_errors(self._what):
            return self._conn.execute(statement, values).rowcount

    def _select(self, statement: str, values: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock, _store_errors(self._what):
            return self._conn.execute(statement, values).fetchall()

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
            # OR IGNORE: a conflict on the primary key or on the (merchant, key) index claims nothing.
            made = self._execute(
                "INSERT OR IGNORE INTO label_journal "
                "(merchant_id, carrier, idempotency_key, service_code, started_at, fingerprint) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (*key, service_code, started_at.isoformat(), fingerprint),
            )
            rows = self._select(_SQLITE_KEY, (merchant_id, idempotency_key))
            entry, fresh, undo = _claimed([_entry(row) for row in rows], carrier, made == 1)
            if undo:
                self.abandon(merchant_id, carrier, idempotency_key)
            if entry is not None:  # else the entry was abandoned between the two statements: claim again
                return entry, fresh

    def finish(self, merchant_id: str, carrier: Carrier, idempotency_key: str, label: Label) -> None:
        self._execute(
            "INSERT INTO label_journal (merchant_id, carrier, idempotency_key, service_code, started_at, label) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (merchant_id, carrier, idempotency_key) DO UPDATE SET label = excluded.label",
            (
                merchant_id,
                carrier.value,
                idempotency_key,
                label.service_code,
                label.created_at.isoformat(),
                label_to_json(label),
            ),
        )

    def abandon(self, merchant_id: str, carrier: Carrier, idempotency_key: str) -> None:
        self._execute(
            "DELETE FROM label_journal WHERE merchant_id = ? AND carrier = ? AND idempotency_key = ? AND label IS NULL",
            (merchant_id, carrier.value, idempotency_key),
        )

    def mark_voided(self, merchant_id: str, carrier: Carrier, idempotency_key: str, at: datetime) -> None:
        self._execute(
            "UPDATE label_journal SET voided_at = ? WHERE merchant_id = ? AND carrier = ? AND idempotency_key = ?",
            (at.isoformat(), merchant_id, carrier.value, idempotency_key),
        )

    def change_label(
        self, merchant_id: str, carrier: Carrier, idempotency_key: str, change: Callable[[Label], Label]
    ) -> Label | None:
        key = (merchant_id, carrier.value, idempotency_key)
        with self._lock, _store_errors(self._what), _sqlite_transaction(self._conn) as conn:
            row = conn.execute(
                "SELECT label FROM label_journal WHERE merchant_id = ? AND carrier = ? AND idempotency_key = ?", key
            ).fetchone()
            if row is None or not row[0]:
                return None
            label = change(label_from_json(row[0]))
            conn.execute(
                "UPDATE label_journal SET label = ? WHERE merchant_id = ? AND carrier = ? AND idempotency_key = ?",
                (label_to_json(label), *key),
            )
            return label

    def get(self, merchant_id: str, carrier: Carrier, idempotency_key: str) -> JournalEntry | None:
        rows = self._select(_SQLITE_ONE, (merchant_id, carrier.value, idempotency_key))
        return _entry(rows[0]) if rows else None

    def entries(self, merchant_id: str, carrier: Carrier | None = None) -> list[JournalEntry]:
        value = carrier.value if carrier is not None else None
        rows = self._select(
            "SELECT merchant_id, carrier, idempotency_key, service_code, started_at, label, voided_at, fingerprint "
            "FROM label_journal WHERE merchant_id = ? AND (? IS NULL OR carrier = ?) "
            "ORDER BY started_at, idempotency_key",
            (merchant_id, value, value),
        )
        return [_entry(row) for row in rows]

    def pending(self, merchant_id: str | None = None, *, started_before: datetime | None = None) -> list[JournalEntry]:
        _cutoff(started_before)
        rows = self._select(
            "SELECT merchant_id, carrier, idempotency_key, service_code, started_at, label, voided_at, fingerprint "
            "FROM label_journal WHERE label IS NULL AND (? IS NULL OR merchant_id = ?)",
            (merchant_id, merchant_id),
        )  # the times are compared and ordered as datetimes, not as the ISO text they are kept in
        return _pending([_entry(row) for row in rows], started_before)


class PostgresLabelJournal(LabelJournal):
    """The journal in PostgreSQL: the ``label_journal`` table of a :class:`~onebalance.PostgresStore`'s
    schema (made by the store's migrations); the store's ``labels``.

    Its primary key is (merchant, carrier, idempotency key): ``INSERT ... ON CONFLICT DO NOTHING``
    claims a key for exactly one worker, on any machine; a worker that loses the race waits for
    the winner's insert to commit and then reads the entry it made. A database failure is a
    :class:`~onebalance.StoreError`.
    """

    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db
        # No conflict target: a conflict on the primary key or on the (merchant, key) index claims nothing.
        self._claim = db.sql(
            """INSERT INTO {label_journal}
            (merchant_id, carrier, idempotency_key, service_code, started_at, fingerprint)
            VALUES (%s, %s, %s, %s, %s, %s)
            ON CONFLICT DO NOTHING
            RETURNING merchant_id, carrier, idempotency_key, service_code, started_at, label, voided_at, fingerprint"""
        )
        self._one = db.sql(
            """SELECT merchant_id, carrier, idempotency_key, service_code, started_at, label, voided_at, fingerprint
            FROM {label_journal} WHERE merchant_id = %s AND carrier = %s AND idempotency_key = %s"""
        )
        self._key = db.sql(
            """SELECT merchant_id, carrier, idempotency_key, service_code, started_at, label, voided_at, fingerprint
            FROM {label_journal} WHERE merchant_id = %s AND idempotency_key = %s ORDER BY started_at, carrier"""
        )
        self._finish = db.sql(
            """INSERT INTO {label_journal} (merchant_id, carrier, idempotency_key, service_code, started_at, label)
            VALUES (%s, %s, %s, %s, %s, %s)
            ON CONFLICT (merchant_id, carrier, idempotency_key) DO UPDATE SET label = EXCLUDED.label"""
        )
        self._abandon = db.sql(
            "DELETE FROM {label_journal} WHERE merchant_id = %s AND carrier = %s AND idempotency_key = %s "
            "AND label IS NULL"
        )
        self._label_for_update = db.sql(
            "SELECT label FROM {label_journal} WHERE merchant_id = %s AND carrier = %s AND idempotency_key = %s "
            "FOR UPDATE"
        )
        self._set_label = db.sql(
            "UPDATE {label_journal} SET label = %s WHERE merchant_id = %s AND carrier = %s AND idempotency_key = %s"
        )
        self._void = db.sql(
            "UPDATE {label_journal} SET voided_at = %s WHERE merchant_id = %s AND carrier = %s AND idempotency_key = %s"
        )
        self._by_merchant = db.sql(
            """SELECT merchant_id, carrier, idempotency_key, service_code, started_at, label, voided_at, fingerprint
            FROM {label_journal}
            WHERE merchant_id = %s AND (%s::text IS NULL OR carrier = %s::text)
            ORDER BY started_at, idempotency_key"""
        )
        self._pending = db.sql(
            """SELECT merchant_id, carrier, idempotency_key, service_code, started_at, label, voided_at, fingerprint
            FROM {label_journal}
            WHERE label IS NULL AND (%s::text IS NULL OR merchant_id = %s::text)
            AND (%s::timestamptz IS NULL OR started_at < %s::timestamptz)
            ORDER BY started_at, merchant_id, carrier, idempotency_key"""
        )

    def __repr__(self) -> str:
        return f"PostgresLabelJournal({self._db.describe()})"

    def _rows(self, statement: sql.Composed, values: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._db.connection() as conn:
            return conn.execute(statement, values).fetchall()

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
            with self._db.connection() as conn:
                made = conn.execute(self._claim, (*key, service_code, started_at, fingerprint)).fetchone()
                rows = conn.execute(self._key, (merchant_id, idempotency_key)).fetchall()
            entry, fresh, undo = _claimed([_entry(row) for row in rows], carrier, made is not None)
            if undo:
                self.abandon(merchant_id, carrier, idempotency_key)
            if entry is not None:  # else the entry was abandoned between the two statements: claim it again
                return entry, fresh

    def finish(self, merchant_id: str, carrier: Carrier, idempotency_key: str, label: Label) -> None:
        values = (merchant_id, carrier.value, idempotency_key, label.service_code, label.created_at)
        self._rows_affected(self._finish, (*values, label_to_json(label)))

    def abandon(self, merchant_id: str, carrier: Carrier, idempotency_key: str) -> None:
        self._rows_affected(self._abandon, (merchant_id, carrier.value, idempotency_key))

    def mark_voided(self, merchant_id: str, carrier: Carrier, idempotency_key: str, at: datetime) -> None:
        self._rows_affected(self._void, (at, merchant_id, carrier.value, idempotency_key))

    def change_label(
        self, merchant_id: str, carrier: Carrier, idempotency_key: str, change: Callable[[Label], Label]
    ) -> Label | None:
        key = (merchant_id, carrier.value, idempotency_key)
        with self._db.connection() as conn, conn.transaction():
            row = conn.execute(self._label_for_update, key).fetchone()
            if row is None or not row[0]:
                return None
            label = change(label_from_json(row[0]))
            conn.execute(self._set_label, (label_to_json(label), *key))
            return label

    def _rows_affected(self, statement: sql.Composed, values: tuple[Any, ...]) -> int:
        with self._db.connection() as conn:
            return conn.execute(statement, values).rowcount

    def get(self, merchant_id: str, carrier: Carrier, idempotency_key: str) -> JournalEntry | None:
        rows = self._rows(self._one, (merchant_id, carrier.value, idempotency_key))
        return _entry(rows[0]) if rows else None

    def entries(self, merchant_id: str, carrier: Carrier | None = None) -> list[JournalEntry]:
        value = carrier.value if carrier is not None else None
        return [_entry(row) for row in self._rows(self._by_merchant, (merchant_id, value, value))]

    def pending(self, merchant_id: str | None = None, *, started_before: datetime | None = None) -> list[JournalEntry]:
        _cutoff(started_before)
        rows = self._rows(self._pending, (merchant_id, merchant_id, started_before, started_before))
        return _pending([_entry(row) for row in rows], started_before)


# onebalance re-exports these and loads this module on first use: name them by the package all the same.
_publish(globals(), "onebalance", __all__)
