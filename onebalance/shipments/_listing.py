"""The shipment list: a merchant's labels as a carrier keeps them, in no carrier's words.

A carrier that lists what was shipped (USPS through the One Balance: GetShipmentList) answers with
pages of :class:`ShipmentRecord`. A :class:`ShipmentPage` says where it is (``page`` of
``total_pages``) and carries the ``cursor`` of the next page, None on the last one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from pydantic import Field, field_validator, model_validator

from ._address import Address
from ._base import CarrierModel, fail
from ._carrier import Carrier
from ._label import RefundStatus, aware, tracking_number
from ._money import Money

__all__ = ["ShipmentPage", "ShipmentRecord", "ShipmentStatus", "shipment_statuses"]


class ShipmentStatus(str, enum.Enum):
    """Where a label bought earlier stands."""

    PRINTED = "printed"  #: bought and printed, not yet scanned by the carrier
    IN_TRANSIT = "in_transit"  #: scanned: on its way
    DELIVERED = "delivered"
    VOIDED = "voided"  #: voided before it shipped; its refund (if any) not credited yet
    REFUNDED = "refunded"  #: voided, and its postage credited back
    EXPIRED = "expired"  #: never used before its ship date passed
    ACTION_REQUIRED = "action_required"  #: the carrier needs the sender or the recipient to act
    UNKNOWN = "unknown"  #: the carrier said something the mapping does not know

    def __str__(self) -> str:
        return self.value

    @property
    def is_voided(self) -> bool:
        """True for a label that was voided (refunded or not)."""
        return self in (ShipmentStatus.VOIDED, ShipmentStatus.REFUNDED)


def shipment_statuses(
    wanted: ShipmentStatus | str | Iterable[ShipmentStatus | str] | None,
) -> frozenset[ShipmentStatus]:
    """The statuses a list is filtered on (none: every status); an unknown one is a ValidationError."""
    if wanted is None:
        return frozenset()
    items = [wanted] if isinstance(wanted, (str, ShipmentStatus)) else list(wanted)
    out: set[ShipmentStatus] = set()
    for item in items:
        try:
            out.add(ShipmentStatus(str(item).strip().lower()))
        except ValueError:
            fail("status", f"must be one of {', '.join(s.value for s in ShipmentStatus)}")
    return frozenset(out)


class ShipmentRecord(CarrierModel):
    """One label as the carrier lists it. ``printed_at`` carries its time zone; ``ship_date`` is the
    date it was to be mailed; ``cost`` what it cost (None when the carrier did not say);
    ``recipient`` None when the carrier gave too little of the address to hold it."""

    carrier: Carrier
    tracking_number: str | None
    carrier_reference: str | None = Field(default=None, max_length=128)
    service_code: str | None = Field(default=None, max_length=64)
    status: ShipmentStatus
    printed_at: datetime
    ship_date: date | None = None
    delivered_at: datetime | None = None
    cost: Money | None = None
    refund_status: RefundStatus = RefundStatus.NOT_APPLICABLE
    recipient: Address | None = None

    @field_validator("tracking_number", mode="before")
    @classmethod
    def _tracking(cls, value: Any) -> Any:
        return tracking_number(value)

    @model_validator(mode="after")
    def _aware(self) -> ShipmentRecord:
        aware(self.printed_at, "printed_at")
        aware(self.delivered_at, "delivered_at")
        return self


class ShipmentPage(CarrierModel):
    """One page of a shipment list: its ``records`` (newest first), ``page`` of ``total_pages``, and
    the ``cursor`` that fetches the next page (None on the last one)."""

    records: tuple[ShipmentRecord, ...] = ()
    page: int = Field(ge=1)
    total_pages: int = Field(ge=0)
    cursor: str | None = None

    @property
    def has_more(self) -> bool:
        """True while a later page follows (fetch it with :attr:`cursor`)."""
        return self.cursor is not None

    @model_validator(mode="after")
    def _cursor(self) -> ShipmentPage:
        if self.cursor is not None and self.page >= self.total_pages:
            fail("cursor", "the last page has no next page")
        return self
