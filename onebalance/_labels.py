"""The label journal: every label bought through :class:`~onebalance.Shipping`, keyed by its idempotency key.

It is what makes an idempotency key hold across processes: a purchase is written down (pending)
before anything is sent to the carrier and completed with the label once it is bought, so that
buying again with the same key returns the first label instead of paying for a second one. USPS
also recognises a replayed purchase itself (the IntegratorTxID); UPS and FedEx do not promise
to, so for them a purchase whose outcome is unknown (a timeout, a crash) is never sent again on
its own: :class:`~onebalance.PurchaseInProgress` says to check the carrier account first.

It also keeps each USPS print's cost account, which the balance history (GetBalanceHistory) does
not carry, so that :meth:`Postage.history` can show it. :class:`InMemoryLabelJournal` serves tests
and one process; :class:`SqliteLabelJournal` keeps the journal in a SQLite file (the postage
records file, by default), safe for several threads and processes.
"""

from __future__ import annotations

import abc
import base64
import json
import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from carriers import Carrier, Label

from ._errors import ConfigurationError

__all__ = ["InMemoryLabelJournal", "JournalEntry", "LabelJournal", "SqliteLabelJournal"]


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

    @property
    def pending(self) -> bool:
        return self.label is None


def label_to_json(label: Label) -> str:
    data = label.model_dump(mode="json", exclude={"label_image"})
    data["label_image"] = base64.b64encode(label.label_image).decode("ascii")
    return json.dumps(data, separators=(",", ":"))


def label_from_json(text: str) -> Label:
    data: dict[str, Any] = json.loads(text)
    data["label_image"] = base64.b64decode(data["label_image"])
    return Label.model_validate(data)


class LabelJournal(abc.ABC):
    """Where :class:`~onebalance.Shipping` writes down each purchase (see the module docstring)."""

    @abc.abstractmethod
    def start(
        self, merchant_id: str, carrier: Carrier, idempotency_key: str, service_code: str, started_at: datetime
    ) -> tuple[JournalEntry, bool]:
        """The entry for this key, made pending if there was none; True when this call made it."""

    @abc.abstractmethod
    def finish(self, merchant_id: str, carrier: Carrier, idempotency_key: str, label: Label) -> None:
        """Record the label bought for this key."""

    @abc.abstractmethod
    def abandon(self, merchant_id: str, carrier: Carrier, idempotency_key: str) -> None:
        """Forget a pending purchase that certainly bought nothing (the carrier refused it)."""

    @abc.abstractmethod
    def mark_voided(self, merchant_id: str, carrier: Carrier, idempotency_key: str, at: datetime) -> None: ...

    @abc.abstractmethod
    def entries(self, merchant_id: str, carrier: Carrier | None = None) -> list[JournalEntry]:
        """The merchant's purchases (of one carrier, or all), oldest first."""

    def get(self, merchant_id: str, carrier: Carrier, idempotency_key: str) -> JournalEntry | None:
        return next(
            (e for e in self.entries(merchant_id, carrier) if e.idempotency_key == idempotency_key),
            None,
        )

    def find(self, merchant_id: str, carrier: Carrier, number: str) -> JournalEntry | None:
        """The purchase whose label has this tracking number or carrier reference (label id)."""
        number = "".join(number.split())
        found = [
            e
            for e in self.entries(merchant_id, carrier)
            if e.label is not None and number in (e.label.tracking_number, e.label.carrier_reference)
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
        self, merchant_id: str, carrier: Carrier, idempotency_key: str, service_code: str, started_at: datetime
    ) -> tuple[JournalEntry, bool]:
        key = (merchant_id, carrier, idempotency_key)
        with self._lock:
            if key in self._entries:
                return self._entries[key], False
            entry = JournalEntry(
                merchant_id=merchant_id,
                carrier=carrier,
                idempotency_key=idempotency_key,
                service_code=service_code,
                started_at=started_at,
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

    def entries(self, merchant_id: str, carrier: Carrier | None = None) -> list[JournalEntry]:
        with self._lock:
            found = [e for e in self._entries.values() if e.merchant_id == merchant_id and carrier in (None, e.carrier)]
        return sorted(found, key=lambda e: e.started_at)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS label_journal (
    merchant_id TEXT NOT NULL,
    carrier TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    service_code TEXT NOT NULL,
    started_at TEXT NOT NULL,
    label TEXT,
    voided_at TEXT,
    PRIMARY KEY (merchant_id, carrier, idempotency_key)
);
"""


class SqliteLabelJournal(LabelJournal):
    """The journal in a SQLite file (WAL): a table ``label_journal``, so it may share the postage
    records file. Safe for several threads and processes: a key is claimed by one INSERT."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigurationError(f"cannot use {self.path} as the label journal: {exc}") from None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SqliteLabelJournal(path={str(self.path)!r})"

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _row(self, row: tuple[Any, ...]) -> JournalEntry:
        merchant_id, carrier, key, service, started, label, voided = row
        return JournalEntry(
            merchant_id=merchant_id,
            carrier=Carrier(carrier),
            idempotency_key=key,
            service_code=service,
            started_at=datetime.fromisoformat(started),
            label=label_from_json(label) if label else None,
            voided_at=datetime.fromisoformat(voided) if voided else None,
        )

    def start(
        self, merchant_id: str, carrier: Carrier, idempotency_key: str, service_code: str, started_at: datetime
    ) -> tuple[JournalEntry, bool]:
        with self._lock:
            made = self._conn.execute(
                "INSERT OR IGNORE INTO label_journal VALUES (?, ?, ?, ?, ?, NULL, NULL)",
                (merchant_id, carrier.value, idempotency_key, service_code, started_at.isoformat()),
            ).rowcount
            row = self._conn.execute(
                "SELECT * FROM label_journal WHERE merchant_id = ? AND carrier = ? AND idempotency_key = ?",
                (merchant_id, carrier.value, idempotency_key),
            ).fetchone()
        return self._row(row), made == 1

    def finish(self, merchant_id: str, carrier: Carrier, idempotency_key: str, label: Label) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE label_journal SET label = ? WHERE merchant_id = ? AND carrier = ? AND idempotency_key = ?",
                (label_to_json(label), merchant_id, carrier.value, idempotency_key),
            )

    def abandon(self, merchant_id: str, carrier: Carrier, idempotency_key: str) -> None:
        with self._lock:
            self._conn.execute(
                "DELETE FROM label_journal WHERE merchant_id = ? AND carrier = ? AND idempotency_key = ? "
                "AND label IS NULL",
                (merchant_id, carrier.value, idempotency_key),
            )

    def mark_voided(self, merchant_id: str, carrier: Carrier, idempotency_key: str, at: datetime) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE label_journal SET voided_at = ? WHERE merchant_id = ? AND carrier = ? AND idempotency_key = ?",
                (at.isoformat(), merchant_id, carrier.value, idempotency_key),
            )

    def entries(self, merchant_id: str, carrier: Carrier | None = None) -> list[JournalEntry]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM label_journal WHERE merchant_id = ? AND (? IS NULL OR carrier = ?) ORDER BY started_at",
                (merchant_id, carrier and carrier.value, carrier and carrier.value),
            ).fetchall()
        return [self._row(row) for row in rows]
