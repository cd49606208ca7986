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

This module holds the entry, the interface and the journal in memory; the SQLite and PostgreSQL
journals share one implementation of it over SQL (``_label_tables``).
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from onebalance.core import ValidationError
from onebalance.shipments import Carrier, Label

__all__ = ["InMemoryLabelJournal", "JournalEntry", "LabelJournal", "claimed", "cutoff", "pending_of"]


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


def claimed(entries: list[JournalEntry], carrier: Carrier, made: bool) -> tuple[JournalEntry | None, bool, bool]:
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


def cutoff(started_before: datetime | None) -> datetime | None:
    if started_before is not None and (started_before.tzinfo is None or started_before.utcoffset() is None):
        raise ValidationError("started_before: must carry a time zone (an aware datetime)", field="started_before")
    return started_before


def pending_of(entries: list[JournalEntry], started_before: datetime | None) -> list[JournalEntry]:
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
        cutoff(started_before)
        if merchant_id is None:
            raise NotImplementedError(f"{type(self).__name__} cannot list the pending purchases of every merchant")
        return pending_of(self.entries(merchant_id), started_before)

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
            entry, _, _ = claimed(sorted((e for e in held if e), key=lambda e: e.started_at), carrier, False)
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
        cutoff(started_before)
        with self._lock:
            found = [e for e in self._entries.values() if merchant_id in (None, e.merchant_id)]
        return pending_of(found, started_before)
