"""The sandbox's clock: real time plus an offset that tests can move."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone


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


#: Day names as UPS and FedEx spell them, Monday first (``date.weekday()``).
DAY_NAMES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def next_business_day(day: date) -> date:
    """``day`` if it is Monday to Friday, else the Monday after."""
    return day + timedelta(days=7 - day.weekday()) if day.weekday() >= 5 else day


def add_business_days(day: date, count: int) -> date:
    """The date ``count`` business days (Monday to Friday; no holidays) after ``day``."""
    day = next_business_day(day)
    for _ in range(count):
        day = next_business_day(day + timedelta(days=1))
    return day
