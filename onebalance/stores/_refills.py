"""The refill journal: every postage purchase (manual or automatic) written down before it is sent.

A purchase whose answer never came back (the process was killed, the connection broke) leaves
money moved on the service with no receipt in the SDK, and its quote and IntegratorTxID lived
only in the dead process. So :meth:`Postage.buy <onebalance.Postage.buy>` writes the purchase
down first, pending, under its IntegratorTxID, with its amount, the ControlTotal it sends and
everything its receipt needs; it marks the entry bought (with the receipt) or not bought (the
service refused it, or it never reached the service) once it knows. An entry still pending is
a purchase whose outcome is unknown: :meth:`Postage.pending` lists them and
:meth:`Postage.settle` resolves them against the service (see ``_refill_settle``).

It mirrors the label journal (``_labels``): every :class:`~onebalance.Store` has one
(``store.refills``); :class:`InMemoryRefillJournal` serves tests and one process;
:class:`SqliteRefillJournal` keeps it in a SQLite file (the store's file, or the postage records
file) for the threads and processes of one machine; the PostgreSQL journal (a ``refill_journal``
table of a :class:`~onebalance.PostgresStore`'s schema) holds for every worker on every machine.
An entry is claimed by one atomic insert on its IntegratorTxID.

States: ``pending`` (written before sending; unknown until settled) -> ``bought`` (final: the
receipt exists) or ``not_bought``. A ``not_bought`` entry is made pending again when the same
quote is confirmed again (:meth:`RefillJournal.start`), since that sends it again.
"""

from __future__ import annotations

import abc
import threading
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict

from onebalance.core import STORED, OldName, PerObject, Renamed, ValidationError
from onebalance.swsim import Receipt, RefillKind

from ._postgres import PostgresDatabase
from ._records import PostageRecords, SqlitePostageRecords
from ._sql import Tables
from ._sqlite import SQLITE_BUSY_TIMEOUT, SqliteTables

__all__ = [
    "InMemoryRefillJournal",
    "PostgresRefillJournal",
    "RefillEntry",
    "RefillJournal",
    "RefillState",
    "SqliteRefillJournal",
]

RefillState = Literal["pending", "bought", "not_bought"]


class RefillEntry(Renamed):
    """One postage purchase as the SDK sent it, and what became of it."""

    model_config = ConfigDict(frozen=True)
    __old_names__: ClassVar[tuple[OldName, ...]] = (OldName("total_charged", "total"),)

    merchant_id: str
    integrator_tx_id: str
    #: The receipt's id once bought (fixed by the quote, so a receipt made later is the same one).
    receipt_id: str
    username: str
    kind: RefillKind
    amount: Decimal
    fee: Decimal
    total: Decimal
    """The amount plus the fee: what the payment method is charged."""
    payment_method: str
    payment_kind: str
    cost_account: str | None = None
    #: The ControlTotal sent with the purchase.
    control_total: Decimal
    started_at: datetime
    state: RefillState = "pending"
    settled_at: datetime | None = None
    #: Why it was not bought (or what is known of a pending one).
    reason: str | None = None

    @property
    def pending(self) -> bool:
        return self.state == "pending"

    def receipt(
        self,
        *,
        status: str,
        transaction_id: int,
        balance_after: Decimal,
        control_total_after: Decimal,
        created_at: datetime,
        processor_transaction_id: str | None = None,
    ) -> Receipt:
        """The receipt of this purchase, from the service's answer (first or replayed)."""
        return Receipt(
            receipt_id=self.receipt_id,
            merchant_id=self.merchant_id,
            username=self.username,
            created_at=created_at,
            status=status,
            kind=self.kind,
            amount=self.amount,
            fee=self.fee,
            total=self.total,
            payment_method=self.payment_method,
            payment_kind=self.payment_kind,
            cost_account=self.cost_account,
            transaction_id=transaction_id,
            integrator_tx_id=self.integrator_tx_id,
            balance_after=balance_after,
            control_total_after=control_total_after,
            processor_transaction_id=processor_transaction_id,
        )


#: The columns an entry's outcome lives in; the rest of it (``body``) never changes once written.
_OUTCOME = ("state", "settled_at", "reason")


def _body(entry: RefillEntry) -> str:
    return entry.model_dump_json(exclude=set(_OUTCOME))


def _entry(body: str, state: str, settled_at: Any, reason: str | None) -> RefillEntry:
    if isinstance(settled_at, str):
        settled_at = datetime.fromisoformat(settled_at)
    return RefillEntry.model_validate_json(body, context=STORED).model_copy(
        update={"state": state, "settled_at": settled_at, "reason": reason}
    )


def _cutoff(started_before: datetime | None) -> datetime | None:
    if started_before is not None and (started_before.tzinfo is None or started_before.utcoffset() is None):
        raise ValidationError("started_before: must carry a time zone (an aware datetime)", field="started_before")
    return started_before


def _pending(entries: list[RefillEntry], started_before: datetime | None) -> list[RefillEntry]:
    """The pending ones of ``entries`` (started before ``started_before``), oldest first."""
    found = [e for e in entries if e.pending and (started_before is None or e.started_at < started_before)]
    return sorted(found, key=lambda e: (e.started_at, e.merchant_id, e.integrator_tx_id))


def _check_outcome(state: RefillState) -> None:
    if state not in ("bought", "not_bought"):
        raise ValueError(f"a refill ends bought or not_bought, not {state!r}")


class RefillJournal(abc.ABC):
    """Where :class:`~onebalance.Postage` writes down each purchase (see the module docstring)."""

    @abc.abstractmethod
    def start(self, entry: RefillEntry) -> RefillEntry:
        """Write ``entry`` down, pending, before its purchase is sent, and return what is kept.

        An entry already kept for the IntegratorTxID is returned instead, made pending again if
        it was ``not_bought`` (the purchase is about to be sent again); a ``bought`` one stays.
        """

    @abc.abstractmethod
    def finish(
        self, integrator_tx_id: str, state: RefillState, at: datetime, reason: str | None = None
    ) -> RefillEntry | None:
        """Record how a pending purchase ended (``bought`` or ``not_bought``); None if unknown.

        Only a pending entry changes: the entry kept is returned either way.
        """

    @abc.abstractmethod
    def get(self, integrator_tx_id: str) -> RefillEntry | None: ...

    @abc.abstractmethod
    def entries(self, merchant_id: str) -> list[RefillEntry]:
        """The merchant's purchases, oldest first."""

    @abc.abstractmethod
    def pending(self, merchant_id: str | None = None, *, started_before: datetime | None = None) -> list[RefillEntry]:
        """The purchases still pending, of one merchant or of every merchant (None), oldest first;
        with ``started_before``, only those started before that time (``onebalance postage pending``)."""

    def close(self) -> None:  # noqa: B027 - an optional hook: journals without connections have nothing to close
        """Release the journal's connection (the entries stay where they are)."""


class InMemoryRefillJournal(RefillJournal):
    """The journal in a dict behind a lock: for tests and a single process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, RefillEntry] = {}

    def __repr__(self) -> str:
        return f"InMemoryRefillJournal(entries={len(self._entries)})"

    def start(self, entry: RefillEntry) -> RefillEntry:
        with self._lock:
            kept = self._entries.get(entry.integrator_tx_id)
            if kept is None:
                kept = entry.model_copy(update=dict.fromkeys(_OUTCOME) | {"state": "pending"})
            elif kept.state == "not_bought":
                kept = kept.model_copy(update=dict.fromkeys(_OUTCOME) | {"state": "pending"})
            self._entries[entry.integrator_tx_id] = kept
            return kept

    def finish(
        self, integrator_tx_id: str, state: RefillState, at: datetime, reason: str | None = None
    ) -> RefillEntry | None:
        _check_outcome(state)
        with self._lock:
            kept = self._entries.get(integrator_tx_id)
            if kept is not None and kept.pending:
                kept = kept.model_copy(update={"state": state, "settled_at": at, "reason": reason})
                self._entries[integrator_tx_id] = kept
            return kept

    def get(self, integrator_tx_id: str) -> RefillEntry | None:
        with self._lock:
            return self._entries.get(integrator_tx_id)

    def entries(self, merchant_id: str) -> list[RefillEntry]:
        with self._lock:
            found = [e for e in self._entries.values() if e.merchant_id == merchant_id]
        return sorted(found, key=lambda e: (e.started_at, e.integrator_tx_id))

    def pending(self, merchant_id: str | None = None, *, started_before: datetime | None = None) -> list[RefillEntry]:
        _cutoff(started_before)
        with self._lock:
            found = [e for e in self._entries.values() if merchant_id in (None, e.merchant_id)]
        return _pending(found, started_before)


#: Each step is applied once, in order (``onebalance_schema`` remembers them). Append; never edit a step.
_SQLITE_STEPS: list[list[str]] = [
    [
        """CREATE TABLE IF NOT EXISTS refill_journal (
            integrator_tx_id TEXT PRIMARY KEY,
            merchant_id TEXT NOT NULL,
            started_at TEXT NOT NULL,
            body TEXT NOT NULL,
            state TEXT NOT NULL,
            settled_at TEXT,
            reason TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS refill_journal_by_merchant ON refill_journal (merchant_id, started_at)",
        "CREATE INDEX IF NOT EXISTS refill_journal_pending ON refill_journal (started_at) WHERE state = 'pending'",
    ],
]


_SELECT = "SELECT body, state, settled_at, reason FROM {refill_journal} "

#: Written once for both databases (see ``_sql``).
_STATEMENTS = {
    # A not_bought entry is made pending again (its purchase is about to be sent again); any other stays.
    "start": "INSERT INTO {refill_journal} AS kept (integrator_tx_id, merchant_id, started_at, body, state) "
    "VALUES (%s, %s, %s, %s, 'pending') ON CONFLICT (integrator_tx_id) DO UPDATE "
    "SET state = 'pending', settled_at = NULL, reason = NULL WHERE kept.state = 'not_bought'",
    "finish": "UPDATE {refill_journal} SET state = %s, settled_at = %s, reason = %s "
    "WHERE integrator_tx_id = %s AND state = 'pending'",
    "one": _SELECT + "WHERE integrator_tx_id = %s",
    "by_merchant": _SELECT + "WHERE merchant_id = %s",
    # The times are compared and ordered in Python, as datetimes (SQLite keeps them as ISO text).
    "pending": _SELECT + "WHERE state = 'pending' AND (CAST(%s AS text) IS NULL OR merchant_id = CAST(%s AS text))",
}


class _TableRefillJournal(RefillJournal):
    """The journal over a ``refill_journal`` table, in SQLite or PostgreSQL (``_sql.Tables``): an
    entry is claimed by one insert on its IntegratorTxID, and every change is one statement."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables
        self._sql = {name: tables.sql(text) for name, text in _STATEMENTS.items()}

    def _rows(self, statement: str, values: tuple[Any, ...]) -> list[RefillEntry]:
        with self._tables.connection() as conn:
            return [_entry(*row) for row in conn.execute(self._sql[statement], values).fetchall()]

    def start(self, entry: RefillEntry) -> RefillEntry:
        values = (entry.integrator_tx_id, entry.merchant_id, self._tables.time(entry.started_at), _body(entry))
        with self._tables.transaction() as conn:
            conn.execute(self._sql["start"], values)
            row = conn.execute(self._sql["one"], (entry.integrator_tx_id,)).fetchone()
        assert row is not None  # entries are never deleted
        return _entry(*row)

    def finish(
        self, integrator_tx_id: str, state: RefillState, at: datetime, reason: str | None = None
    ) -> RefillEntry | None:
        _check_outcome(state)
        with self._tables.connection() as conn:
            conn.execute(self._sql["finish"], (state, self._tables.time(at), reason, integrator_tx_id))
            row = conn.execute(self._sql["one"], (integrator_tx_id,)).fetchone()
        return _entry(*row) if row else None

    def get(self, integrator_tx_id: str) -> RefillEntry | None:
        found = self._rows("one", (integrator_tx_id,))
        return found[0] if found else None

    def entries(self, merchant_id: str) -> list[RefillEntry]:
        return sorted(self._rows("by_merchant", (merchant_id,)), key=lambda e: (e.started_at, e.integrator_tx_id))

    def pending(self, merchant_id: str | None = None, *, started_before: datetime | None = None) -> list[RefillEntry]:
        _cutoff(started_before)
        return _pending(self._rows("pending", (merchant_id, merchant_id)), started_before)


class SqliteRefillJournal(_TableRefillJournal):
    """The journal in a SQLite file (WAL): a table ``refill_journal``, so it shares the store's file
    (or the postage records file). Safe for several threads and processes: an entry is claimed by
    one insert on its IntegratorTxID, and every change is one statement.

    A database failure while in use is a :class:`~onebalance.StoreError`.
    """

    def __init__(self, path: str | Path, *, busy_timeout: float = SQLITE_BUSY_TIMEOUT) -> None:
        self.path = Path(path)
        tables = SqliteTables(
            self.path,
            "refills",
            _SQLITE_STEPS,
            busy_timeout,
            "the refill journal",
            f"the refill journal in {self.path}",
        )
        super().__init__(tables)
        self._file = tables

    def __repr__(self) -> str:
        return f"SqliteRefillJournal(path={str(self.path)!r})"

    def close(self) -> None:
        self._file.close()


class PostgresRefillJournal(_TableRefillJournal):
    """The journal in PostgreSQL: the ``refill_journal`` table of a :class:`~onebalance.PostgresStore`'s
    schema (made by the store's migrations); the store's ``refills``. Its primary key is the
    IntegratorTxID; every change is one statement. A database failure is a
    :class:`~onebalance.StoreError`.
    """

    def __init__(self, db: PostgresDatabase) -> None:
        super().__init__(db)
        self._db = db

    def __repr__(self) -> str:
        return f"PostgresRefillJournal({self._db.describe()})"


def _journal(records: PostageRecords) -> RefillJournal:
    if isinstance(records, SqlitePostageRecords):
        return SqliteRefillJournal(records.path)
    return InMemoryRefillJournal()


#: The refill journal that goes with records given without one: a table of the same SQLite file for
#: :class:`~onebalance.SqlitePostageRecords`, else one in memory (one per records object, so every
#: Postage on them shares it).
journal_for: PerObject[PostageRecords, RefillJournal] = PerObject(_journal)
