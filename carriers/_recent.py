"""A UPS or FedEx client's purchases: the labels bought most recently, by idempotency key, in
bounded memory; one attempt at a time per key; and an answer that cannot be read taken for what it
is, a label that may have been sold."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from onebalance._errors import OneBalanceError, OutcomeUnknown, ProtocolError, ValidationError

from ._label import Label

__all__ = ["RECENT_LABELS", "RECENT_LABEL_BYTES", "OncePerKey", "RecentLabels", "read_sold_label"]

#: A client answers a repeated idempotency key from memory for this many of its latest keys...
RECENT_LABELS = 1024
#: ...while their label images take at most this many bytes (the latest label is always kept).
RECENT_LABEL_BYTES = 32 * 1024 * 1024


class RecentLabels:
    """The most recently bought (or asked for) labels by key; the least recent are forgotten first.

    A client lives as long as the process: keeping every label it ever bought (each with its
    image) would grow without end. What makes a key hold for longer, across clients and
    processes, is the label journal (``onebalance._labels``) that :class:`~onebalance.Shipping`
    keeps. Not thread-safe on its own: the client holds its lock around every call.
    """

    def __init__(self, size: int | None = None, max_bytes: int | None = None) -> None:
        self.size = RECENT_LABELS if size is None else size
        self.max_bytes = RECENT_LABEL_BYTES if max_bytes is None else max_bytes
        self._labels: OrderedDict[str, Label] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._labels)

    def __contains__(self, key: str) -> bool:
        return key in self._labels

    @property
    def image_bytes(self) -> int:
        """The bytes of the label images kept."""
        return self._bytes

    def get(self, key: str) -> Label | None:
        """The label bought with ``key``, if it is still kept (it becomes the most recent)."""
        label = self._labels.get(key)
        if label is not None:
            self._labels.move_to_end(key)
        return label

    def put(self, key: str, label: Label) -> None:
        """Keep ``label`` as the most recent, forgetting the least recent ones past the bounds."""
        labels = self._labels
        old = labels.pop(key, None)
        if old is not None:
            self._bytes -= len(old.label_image)
        labels[key] = label
        self._bytes += len(label.label_image)
        while len(labels) > 1 and (len(labels) > self.size or self._bytes > self.max_bytes):
            _, forgotten = labels.popitem(last=False)
            self._bytes -= len(forgotten.label_image)

    def clear(self) -> None:
        self._labels.clear()
        self._bytes = 0


class OncePerKey:
    """A client's purchases by idempotency key: one attempt at a time per key, and the label of a
    key bought lately (:class:`RecentLabels`) answered again without a second purchase. Thread-safe.
    """

    def __init__(self) -> None:
        self.labels = RecentLabels()
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def buy(self, key: str, purchase: Callable[[], Label]) -> Label:
        """The label already bought with ``key``, else ``purchase()``'s, kept under ``key``.

        Two threads with one key never purchase at once: the second waits and finds the first's
        label. After a failure the key's lock stays, so that attempts with that key never overlap.
        """
        with self._lock:
            known = self.labels.get(key)
            if known is not None:
                return known
            key_lock = self._locks.get(key)
            if key_lock is None:
                key_lock = self._locks[key] = threading.Lock()
        with key_lock:
            with self._lock:
                known = self.labels.get(key)
            if known is not None:
                return known
            label = purchase()
            with self._lock:
                self.labels.put(key, label)
                self._locks.pop(key, None)
            return label

    def clear(self) -> None:
        """Forget the labels (a purchase under way still finishes)."""
        with self._lock:
            self.labels.clear()


def read_sold_label(carrier: str, key: str, parse: Callable[[], Label]) -> Label:
    """``parse()``: the label read from the carrier's answer to a purchase it accepted.

    By then the carrier has sold and billed the label. An answer the SDK cannot turn into a
    :class:`Label` (a part missing, a tracking number or an amount outside the model's checks)
    is therefore not the caller's bad input: it raises :class:`~onebalance.OutcomeUnknown` with
    the key, so that a label journal keeps the purchase pending and the same key is never sent
    again on its own (``ValidationError`` would have freed the key for a second label).
    """
    failure: OneBalanceError | None = None
    try:
        return parse()
    except (ProtocolError, ValidationError) as exc:
        failure = exc
    raise OutcomeUnknown(
        f"{carrier} accepted the purchase but its answer could not be read ({failure.message}): the label may "
        f"have been bought and billed; check the merchant's {carrier} account before buying with a new key",
        idempotency_key=key,
        cause=failure,
        operation="ship",
    )
