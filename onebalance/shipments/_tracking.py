"""Where a parcel is: a neutral status and the carrier's scan events, newest first.

Each carrier's mapping layer maps its own status codes and scan texts onto :class:`TrackingStatus`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from pydantic import Field, field_validator, model_validator

from ._base import CarrierModel
from ._carrier import Carrier
from ._label import aware, tracking_number

__all__ = ["Tracking", "TrackingEvent", "TrackingStatus"]


class TrackingStatus(str, enum.Enum):
    """A parcel's state in words no carrier owns."""

    PRE_TRANSIT = "pre_transit"  #: label made, not yet picked up
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"  #: delayed, damaged, refused, address problem …
    RETURNED = "returned"  #: on its way back, or back with the sender
    VOIDED = "voided"  #: the label was voided (cancelled) before it shipped: nothing is on its way
    UNKNOWN = "unknown"  #: the carrier said something the mapping does not know

    def __str__(self) -> str:
        return self.value

    @property
    def is_final(self) -> bool:
        return self in (TrackingStatus.DELIVERED, TrackingStatus.RETURNED, TrackingStatus.VOIDED)


class TrackingEvent(CarrierModel):
    """One scan. ``occurred_at`` carries its time zone (carriers report local times with offsets)."""

    occurred_at: datetime
    status: TrackingStatus
    description: str = Field(default="", max_length=500)
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> Any:
        return (value.strip().upper() or None) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _aware(self) -> TrackingEvent:
        aware(self.occurred_at, "occurred_at")
        return self

    def location(self) -> str:
        """``Springfield, IL 62701, US``, or ``""`` when the carrier gave none."""
        region = " ".join(part for part in (self.state, self.postal_code) if part)
        return ", ".join(part for part in (self.city, region, self.country) if part)


class Tracking(CarrierModel):
    """A parcel's tracking. ``events`` are kept newest first, whatever order they were given in."""

    carrier: Carrier
    tracking_number: str
    status: TrackingStatus
    events: tuple[TrackingEvent, ...] = ()
    estimated_delivery: date | None = None

    @field_validator("tracking_number", mode="before")
    @classmethod
    def _tracking(cls, value: Any) -> Any:
        return tracking_number(value)

    @field_validator("events")
    @classmethod
    def _newest_first(cls, events: tuple[TrackingEvent, ...]) -> tuple[TrackingEvent, ...]:
        return tuple(sorted(events, key=lambda event: event.occurred_at, reverse=True))

    @property
    def latest(self) -> TrackingEvent | None:
        return self.events[0] if self.events else None

    @property
    def delivered_at(self) -> datetime | None:
        """When the newest delivery scan happened, if the parcel was delivered."""
        return next((e.occurred_at for e in self.events if e.status is TrackingStatus.DELIVERED), None)
