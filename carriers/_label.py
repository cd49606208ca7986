"""A bought label, and the result of voiding one."""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ._base import CarrierModel, fail
from ._carrier import Carrier
from ._money import Money, non_negative
from ._payment import Payment, check_payer

__all__ = ["Label", "LabelFormat", "RefundStatus", "VoidResult"]

LabelFormat = Literal["PNG", "PDF", "ZPL", "GIF"]
_TRACKING = re.compile(r"[A-Za-z0-9\-]{1,64}")
_SPACE = re.compile(r"\s")


def tracking_number(value: Any, field: str = "tracking_number") -> Any:
    """A tracking number without spaces (``9400 1000 …`` as printed becomes ``94001000…``)."""
    if isinstance(value, str):
        if _TRACKING.fullmatch(value):  # the usual case: no spaces to take out
            return value
        value = _SPACE.sub("", value) or None
        if value is not None and not _TRACKING.fullmatch(value):
            fail(field, "must be 1 to 64 letters, digits or dashes")
    return value


def aware(value: datetime | None, field: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        fail(field, "must carry a time zone (an aware datetime)")


class Label(CarrierModel):
    """A label that was bought. ``repr()`` shows the image's size, never its bytes.

    ``tracking_number`` is None only for the few USPS mail classes that carry none. ``carrier_reference``
    is the carrier's own id of the transaction (what a void or a refund names), and ``paid_by`` who
    paid: the One Balance for USPS, the merchant's account for UPS and FedEx.

    ``cost`` is what the carrier charged; ``quoted_cost`` what the rate it was bought with said (set
    by every carrier client's ``buy``), and :attr:`above_quote` the difference when it charged more.
    """

    carrier: Carrier
    tracking_number: str | None
    service_code: str = Field(min_length=1, max_length=64)
    cost: Money
    paid_by: Payment
    label_image: bytes = Field(min_length=1)
    label_format: LabelFormat
    created_at: datetime
    carrier_reference: str | None = Field(default=None, max_length=128)
    voided: bool = False
    cost_account_id: int | None = Field(
        default=None, description="USPS: the One Balance cost account the print was charged to (EnumCostCodes id)."
    )
    quoted_cost: Money | None = Field(default=None, description="What the rate the label was bought with said.")

    @field_validator("tracking_number", mode="before")
    @classmethod
    def _tracking(cls, value: Any) -> Any:
        return tracking_number(value)

    @field_validator("label_format", mode="before")
    @classmethod
    def _format(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> Label:
        non_negative(self.cost, "cost")
        aware(self.created_at, "created_at")
        check_payer(self.carrier, self.paid_by, "paid_by")
        return self

    @property
    def above_quote(self) -> Money | None:
        """How much more the carrier charged than the rate said; None when not more (or no quote)."""
        quoted = self.quoted_cost
        if quoted is None or quoted.currency != self.cost.currency or self.cost.amount <= quoted.amount:
            return None
        return self.cost - quoted

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield (name, f"<{len(self.label_image)} bytes>") if name == "label_image" else (name, value)


class RefundStatus(str, enum.Enum):
    """Where the money of a voided label stands."""

    APPROVED = "approved"  #: credited back
    PENDING = "pending"  #: asked for; USPS batches refunds and credits the One Balance days later
    NOT_APPLICABLE = "not_applicable"  #: nothing to refund (billed to an account, or not voided)

    def __str__(self) -> str:
        return self.value


class VoidResult(CarrierModel):
    """What voiding a label did. A label that could not be voided has ``voided=False`` and no refund."""

    carrier: Carrier
    tracking_number: str | None
    voided: bool
    refund: Money | None = None
    refund_status: RefundStatus = RefundStatus.NOT_APPLICABLE
    carrier_reference: str | None = Field(default=None, max_length=128)

    @field_validator("tracking_number", mode="before")
    @classmethod
    def _tracking(cls, value: Any) -> Any:
        return tracking_number(value)

    @model_validator(mode="after")
    def _consistent(self) -> VoidResult:
        non_negative(self.refund, "refund")
        if not self.voided and (self.refund is not None or self.refund_status is not RefundStatus.NOT_APPLICABLE):
            fail("refund_status", "a label that was not voided has no refund")
        if self.refund is not None and self.refund_status is RefundStatus.NOT_APPLICABLE:
            fail("refund_status", "must be approved or pending when there is a refund")
        return self
