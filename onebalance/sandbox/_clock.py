"""The sandbox's clock: real time plus an offset that tests can move."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class Clock:
    """Current time for the sandbox (UTC). ``advance`` moves it forward for every later call."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self._offset

    def advance(self, delta: timedelta | float) -> None:
        """Move the clock forward by ``delta`` (a timedelta or seconds)."""
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        with self._lock:
            self._offset += delta

    @property
    def offset(self) -> timedelta:
        return self._offset
