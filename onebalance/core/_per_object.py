"""``PerObject``: one value per live object (a client, a records store), made the first time it is
asked for and kept exactly as long as that object lives, safe across threads."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["PerObject"]

K = TypeVar("K")
V = TypeVar("V")


class PerObject(Generic[K, V]):
    """``per(key)`` is the value ``make(key)`` made for ``key`` the first time, the same one afterwards,
    from every thread; it goes when ``key`` is garbage collected (``key`` must be weakly referenceable)."""

    def __init__(self, make: Callable[[K], V]) -> None:
        self._make = make
        self._values: weakref.WeakKeyDictionary[K, V] = weakref.WeakKeyDictionary()
        self._guard = threading.Lock()

    def __call__(self, key: K) -> V:
        with self._guard:
            found = self._values.get(key)
            if found is None:
                found = self._values[key] = self._make(key)
            return found
