"""A UPS or FedEx client's purchases: the labels bought most recently, by idempotency key, in
bounded memory; one attempt at a time per key; the purchase each recent key named, so that a key
is never reused for another; and an answer that cannot be read taken for what it is, a label that
may have been sold."""

from __future__ import annotations

import itertools
import os
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from onebalance.core import OneBalanceError, OutcomeUnknown, ProtocolError, RequestTimeout, ValidationError

from ._label import Label
from ._purchase_errors import IdempotencyKeyReused
from ._quote import purchase_fingerprint
from ._rate import Rate
from ._shipment import ShipmentRequest

__all__ = [
    "PROCESS_LABEL_BYTES",
    "RECENT_LABELS",
    "RECENT_LABEL_BYTES",
    "KeyUse",
    "KeyUses",
    "OncePerKey",
    "RecentLabels",
    "maybe_bought",
    "read_sold_label",
]

#: A client answers a repeated idempotency key from memory for this many of its latest keys...
RECENT_LABELS = 1024
#: ...while their label images take at most this many bytes (the latest label is always kept)...
RECENT_LABEL_BYTES = 32 * 1024 * 1024
#: ...and while the label images of every client in the process together stay under this many
#: bytes: thousands of merchants' clients in one process share it, least recent label first.
PROCESS_LABEL_BYTES = 256 * 1024 * 1024


class _Shelf:
    """Every :class:`RecentLabels` of the process: each owner's labels in its own order, and all
    of them in one order of use, so that the process-wide byte budget forgets the least recent
    label of any owner. One lock guards it all."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.owners: dict[int, OrderedDict[str, Label]] = {}
        self.owner_bytes: dict[int, int] = {}
        self.order: OrderedDict[tuple[int, str], None] = OrderedDict()
        self.bytes = 0
        #: Owners garbage-collected since the lock was last held (appending needs no lock).
        self.gone: deque[int] = deque()

    def forget(self, owner: int, key: str) -> None:
        """Drop one label (the lock held)."""
        label = self.owners[owner].pop(key)
        del self.order[(owner, key)]
        size = label.image_bytes
        self.owner_bytes[owner] -= size
        self.bytes -= size

    def drop_owner(self, owner: int) -> None:
        """Note that an owner is gone (called when it is garbage-collected); its labels are forgotten
        by the next holder of the lock. Collection may run in any thread at any moment, even inside
        a ``with self.lock`` of the same thread, so this never takes the lock: taking it there would
        wait forever for ourselves."""
        self.gone.append(owner)

    def purge(self) -> None:
        """Forget the labels of the owners that are gone (the lock held)."""
        while self.gone:
            owner = self.gone.popleft()
            for key in list(self.owners.get(owner, ())):
                self.forget(owner, key)
            self.owners.pop(owner, None)
            self.owner_bytes.pop(owner, None)


_SHELF = _Shelf()
_owner_ids = itertools.count(1)


def _after_fork_in_child() -> None:
    # A lock a parent thread held at the fork would never be released in the child.
    _SHELF.lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class RecentLabels:
    """The most recently bought (or asked for) labels by key; the least recent are forgotten first.

    A client lives as long as the process: keeping every label it ever bought (each with its
    image) would grow without end, and a platform runs thousands of merchants' clients in one
    process. So a client keeps its latest ``size`` labels within ``max_bytes`` of images, and all
    clients together keep at most :data:`PROCESS_LABEL_BYTES` (the least recent label of any
    client goes first). What makes a key hold for longer, across clients and processes, is the
    label journal (``onebalance.stores._labels``) that :class:`~onebalance.Shipping` keeps. Thread-safe.
    """

    def __init__(self, size: int | None = None, max_bytes: int | None = None) -> None:
        self.size = RECENT_LABELS if size is None else size
        self.max_bytes = RECENT_LABEL_BYTES if max_bytes is None else max_bytes
        self._owner = owner = next(_owner_ids)
        #: This owner's labels on the shelf (the same dict for its whole life), for :meth:`get`'s miss.
        self._labels: OrderedDict[str, Label] = OrderedDict()
        with _SHELF.lock:
            if _SHELF.gone:
                _SHELF.purge()
            _SHELF.owners[owner] = self._labels
            _SHELF.owner_bytes[owner] = 0
        weakref.finalize(self, _SHELF.drop_owner, owner)

    def __len__(self) -> int:
        with _SHELF.lock:
            if _SHELF.gone:
                _SHELF.purge()
            return len(_SHELF.owners[self._owner])

    def __contains__(self, key: str) -> bool:
        with _SHELF.lock:
            if _SHELF.gone:
                _SHELF.purge()
            return key in _SHELF.owners[self._owner]

    @property
    def image_bytes(self) -> int:
        """The bytes of the label images kept."""
        with _SHELF.lock:
            if _SHELF.gone:
                _SHELF.purge()
            return _SHELF.owner_bytes[self._owner]

    def get(self, key: str) -> Label | None:
        """The label bought with ``key``, if it is still kept (it becomes the most recent)."""
        if key not in self._labels:
            # A key not kept (a purchase's first attempt: the usual case) changes nothing: one lookup,
            # atomic as every dict operation, answers without the lock (gone owners wait for the next).
            return None
        owner = self._owner
        with _SHELF.lock:
            if _SHELF.gone:
                _SHELF.purge()
            labels = _SHELF.owners[owner]
            label = labels.get(key)
            if label is not None:
                labels.move_to_end(key)
                _SHELF.order.move_to_end((owner, key))
            return label

    def put(self, key: str, label: Label) -> None:
        """Keep ``label`` as the most recent, forgetting the least recent ones past the bounds."""
        owner, shelf = self._owner, _SHELF
        size = label.image_bytes
        with shelf.lock:
            if shelf.gone:
                shelf.purge()
            labels = shelf.owners[owner]
            if key in labels:
                shelf.forget(owner, key)
            labels[key] = label
            shelf.order[(owner, key)] = None
            held = shelf.owner_bytes[owner] + size
            shelf.owner_bytes[owner] = held
            shelf.bytes += size
            # Within the bounds (the usual case): nothing to forget, no loop entered.
            if len(labels) > self.size or held > self.max_bytes:
                while len(labels) > 1 and (len(labels) > self.size or shelf.owner_bytes[owner] > self.max_bytes):
                    shelf.forget(owner, next(iter(labels)))
            if shelf.bytes > PROCESS_LABEL_BYTES:
                while shelf.bytes > PROCESS_LABEL_BYTES and len(shelf.order) > 1:
                    oldest_owner, oldest_key = next(iter(shelf.order))
                    shelf.forget(oldest_owner, oldest_key)

    def clear(self) -> None:
        owner = self._owner
        with _SHELF.lock:
            if _SHELF.gone:
                _SHELF.purge()
            for key in list(_SHELF.owners[owner]):
                _SHELF.forget(owner, key)


def maybe_bought(error: OneBalanceError) -> bool:
    """Whether a purchase that failed with ``error`` may have bought the label all the same."""
    return isinstance(error, (OutcomeUnknown, RequestTimeout, ProtocolError))


class KeyUse:
    """The purchase an idempotency key named: ``rate`` bought for ``shipment``, started at ``started_at``.

    Its fingerprint (``onebalance.shipments._quote.purchase_fingerprint``) is only worked out when the key comes
    again with another rate or shipment object, so a purchase made once costs nothing more.
    """

    def __init__(self, rate: Rate, shipment: ShipmentRequest, started_at: datetime) -> None:
        self.rate = rate
        self.shipment = shipment
        self.started_at = started_at
        self.tracking_number: str | None = None
        self._fingerprint: str | None = None

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = purchase_fingerprint(self.rate, self.shipment)
        return self._fingerprint

    def same_purchase(self, other: KeyUse) -> bool:
        if self.rate is other.rate and self.shipment is other.shipment:
            return True
        return self.fingerprint == other.fingerprint

    def reused(self, key: str) -> IdempotencyKeyReused:
        return IdempotencyKeyReused(
            idempotency_key=key,
            carrier=self.rate.carrier,
            service_code=self.rate.service_code,
            started_at=self.started_at,
            tracking_number=self.tracking_number,
        )


class KeyUses:
    """The purchase each of the latest ``size`` idempotency keys named, in bounded memory.

    :meth:`claim` refuses a key already used for another purchase (:class:`IdempotencyKeyReused`),
    before anything is sent. A purchase that certainly bought nothing is :meth:`forget`-ten, which
    frees its key. Thread-safe.
    """

    def __init__(self, size: int = RECENT_LABELS) -> None:
        self.size = size
        self._uses: OrderedDict[str, KeyUse] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._uses)

    def claim(self, key: str, use: KeyUse) -> None:
        """Note that ``key`` names ``use``; :class:`IdempotencyKeyReused` if it named another purchase."""
        with self._lock:
            known = self._uses.get(key)
            if known is None:
                self._uses[key] = use
                while len(self._uses) > self.size:
                    self._uses.popitem(last=False)
                return
            self._uses.move_to_end(key)
        if known is not use and not known.same_purchase(use):
            raise known.reused(key)

    def bought(self, key: str, label: Label) -> None:
        """Note the label ``key`` bought (its tracking number names the purchase in a refusal)."""
        with self._lock:
            known = self._uses.get(key)
            if known is not None:
                known.tracking_number = label.tracking_number or label.carrier_reference

    def forget(self, key: str, use: KeyUse) -> None:
        """Free ``key`` after ``use``, its purchase, certainly bought nothing."""
        with self._lock:
            if self._uses.get(key) is use:
                del self._uses[key]


class OncePerKey:
    """A client's purchases by idempotency key: one attempt at a time per key, the label of a key
    bought lately (:class:`RecentLabels`) answered again without a second purchase, and a key
    used lately for another purchase refused (:class:`KeyUses`). Thread-safe.
    """

    def __init__(self) -> None:
        self.labels = RecentLabels()
        self.uses = KeyUses()
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def buy(self, key: str, purchase: Callable[[], Label], use: KeyUse | None = None) -> Label:
        """The label already bought with ``key``, else ``purchase()``'s, kept under ``key``.

        With ``use`` (the purchase the key names), a key used lately for another purchase is
        refused with :class:`IdempotencyKeyReused` before anything is sent. Two threads with one
        key never purchase at once: the second waits and finds the first's label. After a failure
        the key's lock stays, so that attempts with that key never overlap.
        """
        if use is not None:
            self.uses.claim(key, use)
        with self._lock:
            known = self.labels.get(key)
            if known is not None:
                return known
            key_lock = self._locks.get(key)
            fresh = key_lock is None
            if key_lock is None:
                # The key's first attempt (the usual case): its lock is taken before anyone can see
                # it (a new lock never waits), so no other attempt ran between the checks above and
                # the purchase. A failed attempt leaves its lock, so a key freed by one is never fresh.
                key_lock = self._locks[key] = threading.Lock()
                key_lock.acquire()
        if not fresh:
            key_lock.acquire()
        try:
            if not fresh:
                if use is not None:
                    self.uses.claim(key, use)  # again: the key may have been freed and taken meanwhile
                with self._lock:
                    known = self.labels.get(key)
                if known is not None:
                    return known
            try:
                label = purchase()
            except OneBalanceError as exc:
                if use is not None and not maybe_bought(exc):
                    self.uses.forget(key, use)
                raise
            with self._lock:
                self.labels.put(key, label)
                self._locks.pop(key, None)
            self.uses.bought(key, label)
            return label
        finally:
            key_lock.release()

    def clear(self) -> None:
        """Forget the labels (a purchase under way still finishes)."""
        with self._lock:
            self.labels.clear()


def read_sold_label(carrier: str, key: str, parse: Callable[..., Label], *args: Any) -> Label:
    """``parse(*args)``: the label read from the carrier's answer to a purchase it accepted.

    By then the carrier has sold and billed the label. An answer the SDK cannot turn into a
    :class:`Label` (a part missing, a tracking number or an amount outside the model's checks)
    is therefore not the caller's bad input: it raises :class:`~onebalance.OutcomeUnknown` with
    the key, so that a label journal keeps the purchase pending and the same key is never sent
    again on its own (``ValidationError`` would have freed the key for a second label).
    """
    failure: OneBalanceError | None = None
    try:
        return parse(*args)
    except (ProtocolError, ValidationError) as exc:
        failure = exc
    raise OutcomeUnknown(
        f"{carrier} accepted the purchase but its answer could not be read ({failure.message}): the label may "
        f"have been bought and billed; check the merchant's {carrier} account before buying with a new key",
        idempotency_key=key,
        cause=failure,
        operation="ship",
    )
