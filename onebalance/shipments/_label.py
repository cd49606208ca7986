"""A bought label, and the result of voiding one."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import Field, field_validator, model_validator

from ._base import CarrierModel, built, fail
from ._carrier import Carrier
from ._documents import ShippingDocument
from ._money import Money, non_negative
from ._payment import CarrierAccountPayment, OneBalancePayment, Payment, check_payer

__all__ = ["Label", "LabelFormat", "LabelSize", "PackageLabel", "RefundStatus", "VoidResult"]

#: The formats a label comes in: images and documents (PNG, PDF, GIF) and thermal printer programs
#: (ZPL II for Zebra printers, EPL2 for Eltron/Zebra EPL printers).
LabelFormat = Literal["PNG", "PDF", "ZPL", "GIF", "EPL"]
#: The sizes a label comes in: a 4x6 in thermal label (or a 4x6 image), or a US letter sheet.
LabelSize = Literal["4x6", "letter"]
_TRACKING = re.compile(r"[A-Za-z0-9\-]{1,64}")
_SPACE = re.compile(r"\s")
#: The label's own fields that are its first package's too.
_OWN = frozenset({"tracking_number", "label_image"})
_FORMATS = frozenset(get_args(LabelFormat))
_SIZES = frozenset(get_args(LabelSize))
_PAYMENTS = (OneBalancePayment, CarrierAccountPayment)
#: The fields :meth:`Label.bought` names (and the packages it fills in), as validation would record them.
_BOUGHT = frozenset(
    {
        "carrier",
        "tracking_number",
        "service_code",
        "cost",
        "paid_by",
        "label_image",
        "label_format",
        "label_size",
        "created_at",
        "carrier_reference",
        "documents",
        "packages",
    }
)


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


class PackageLabel(CarrierModel):
    """One package of a shipment: its own tracking number and label image (``repr()`` shows the
    image's size, never its bytes). ``voided`` is True once this package was voided on its own, as the
    label journal keeps it (a whole shipment voided at once is the journal entry's ``voided_at``)."""

    tracking_number: str | None
    label_image: bytes = Field(min_length=1)
    voided: bool = False

    @field_validator("tracking_number", mode="before")
    @classmethod
    def _tracking(cls, value: Any) -> Any:
        return tracking_number(value)

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield (name, f"<{len(self.label_image)} bytes>") if name == "label_image" else (name, value)


class Label(CarrierModel):
    """A label that was bought. ``repr()`` shows the image's size, never its bytes.

    ``tracking_number`` is None only for the few USPS mail classes that carry none. ``carrier_reference``
    is the carrier's own id of the transaction (what a void or a refund names), and ``paid_by`` who
    paid: the One Balance for USPS, the merchant's account for UPS and FedEx.

    ``cost`` is what the carrier charged; ``quoted_cost`` what the rate it was bought with said (set
    by every carrier client's ``buy``), and :attr:`above_quote` the difference when it charged more.

    ``label_format`` is the format of the image (its bytes really are that format), ``label_size``
    the size it was printed in (4x6 or a letter sheet; None on labels bought before sizes were asked).

    ``packages`` lists every package of the shipment, in the order of the request's parcels, each
    with its own tracking number and label image; ``cost`` is what the whole shipment cost. The
    first package is the label's own ``tracking_number`` and ``label_image`` (a one-package label
    has just that one, filled in when not given), so code written for one package keeps working.

    ``is_return`` is True for a return label (bought for a ``ShipmentRequest`` with ``is_return``).

    ``documents`` are what the carrier handed back with the label to go with the parcel: the customs
    form of a USPS label abroad, the commercial invoice of a UPS or FedEx one.
    """

    carrier: Carrier
    tracking_number: str | None
    service_code: str = Field(min_length=1, max_length=64)
    cost: Money
    paid_by: Payment
    label_image: bytes = Field(min_length=1)
    label_format: LabelFormat
    created_at: datetime
    label_size: LabelSize | None = Field(
        default=None, description="The size the label was printed in (None: not said)."
    )
    carrier_reference: str | None = Field(default=None, max_length=128)
    voided: bool = False
    cost_account_id: int | None = Field(
        default=None, description="USPS: the One Balance cost account the print was charged to (EnumCostCodes id)."
    )
    quoted_cost: Money | None = Field(default=None, description="What the rate the label was bought with said.")
    packages: tuple[PackageLabel, ...] = ()
    is_return: bool = False
    documents: tuple[ShippingDocument, ...] = ()

    @classmethod
    def bought(
        cls,
        *,
        carrier: Carrier,
        tracking_number: str | None,
        service_code: str,
        cost: Money,
        paid_by: OneBalancePayment | CarrierAccountPayment,
        label_image: bytes,
        label_format: LabelFormat,
        label_size: LabelSize | None,
        created_at: datetime,
        carrier_reference: str | None,
        documents: tuple[ShippingDocument, ...] = (),
        quoted_cost: Money | None = None,
    ) -> Label:
        """The one-package label a carrier's answer describes: ``Label(...)`` of the same fields
        (``quoted_cost``: what the rate it was bought with said, as every carrier's ``buy`` sets it).

        When every field is already in its final form (what a mapping's answer mostly gives: a
        tracking number without spaces, a format in capitals, validated models), nothing is left for
        validation to convert or refuse, and the label is made as validation would make it, without
        its six Python validators; anything else takes ``Label(...)`` itself, with its errors.
        ``tests/test_fast_models.py`` compares the two on drawn inputs, good and bad.
        """
        if (
            type(carrier) is Carrier
            and (tracking_number is None or (type(tracking_number) is str and _TRACKING.fullmatch(tracking_number)))
            and type(service_code) is str
            and 1 <= len(service_code) <= 64
            and service_code.strip() == service_code
            and type(cost) is Money
            and not cost.amount < 0
            and type(paid_by) in _PAYMENTS
            and paid_by.carrier == carrier
            and type(label_image) is bytes
            and label_image
            and type(label_format) is str
            and label_format in _FORMATS
            and (label_size is None or (type(label_size) is str and label_size in _SIZES))
            and type(created_at) is datetime
            and created_at.utcoffset() is not None
            and (
                carrier_reference is None
                or (
                    type(carrier_reference) is str
                    and len(carrier_reference) <= 128
                    and carrier_reference.strip() == carrier_reference
                )
            )
            and type(documents) is tuple
            and (not documents or all(type(document) is ShippingDocument for document in documents))
            and (quoted_cost is None or type(quoted_cost) is Money)
        ):
            package = built(
                PackageLabel,
                {"tracking_number": tracking_number, "label_image": label_image, "voided": False},
                {"tracking_number", "label_image"},
            )
            values = {
                "carrier": carrier,
                "tracking_number": tracking_number,
                "service_code": service_code,
                "cost": cost,
                "paid_by": paid_by,
                "label_image": label_image,
                "label_format": label_format,
                "created_at": created_at,
                "label_size": label_size,
                "carrier_reference": carrier_reference,
                "voided": False,
                "cost_account_id": None,
                "quoted_cost": quoted_cost,
                "packages": (package,),
                "is_return": False,
                "documents": documents,
            }
            return built(cls, values, set(_BOUGHT) if quoted_cost is None else {*_BOUGHT, "quoted_cost"})
        return cls(
            carrier=carrier,
            tracking_number=tracking_number,
            service_code=service_code,
            cost=cost,
            paid_by=paid_by,
            label_image=label_image,
            label_format=label_format,
            label_size=label_size,
            created_at=created_at,
            carrier_reference=carrier_reference,
            documents=documents,
            **({} if quoted_cost is None else {"quoted_cost": quoted_cost}),
        )

    @model_validator(mode="before")
    @classmethod
    def _first_package(cls, data: Any) -> Any:
        """A label given without its packages has one: itself."""
        if isinstance(data, dict) and not data.get("packages") and "label_image" in data:
            first = {"tracking_number": data.get("tracking_number"), "label_image": data["label_image"]}
            data = {**data, "packages": (first,)}
        return data

    @field_validator("tracking_number", mode="before")
    @classmethod
    def _tracking(cls, value: Any) -> Any:
        return tracking_number(value)

    @field_validator("label_format", mode="before")
    @classmethod
    def _format(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("label_size", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> Label:
        non_negative(self.cost, "cost")
        aware(self.created_at, "created_at")
        check_payer(self.carrier, self.paid_by, "paid_by")
        packages = self.packages
        first = packages[0]
        if first.tracking_number != self.tracking_number or first.label_image != self.label_image:
            fail("packages.0", "must be the label's own tracking number and image (the shipment's first package)")
        if len(packages) > 1:  # one package (the usual case): nothing to compare
            numbers = [p.tracking_number for p in packages]
            if None in numbers or len(set(numbers)) != len(numbers):
                fail("packages", "each package of a shipment has a tracking number of its own")
        return self

    @property
    def above_quote(self) -> Money | None:
        """How much more the carrier charged than the rate said; None when not more (or no quote)."""
        quoted = self.quoted_cost
        if quoted is None or quoted.currency != self.cost.currency or self.cost.amount <= quoted.amount:
            return None
        return self.cost - quoted

    @property
    def tracking_numbers(self) -> tuple[str, ...]:
        """Every package's tracking number, the first package's first (empty if the label has none)."""
        return tuple(p.tracking_number for p in self.packages if p.tracking_number)

    @property
    def image_bytes(self) -> int:
        """The bytes of every package's label image together."""
        packages = self.packages
        if len(packages) == 1:  # the usual case, without a generator
            return len(packages[0].label_image)
        return sum(len(p.label_image) for p in packages)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Label:
        """A copy; a one-package label given a new tracking number or image gets its package renewed."""
        if update and len(self.packages) == 1 and "packages" not in update and _OWN.intersection(update):
            update = {**update, "packages": ()}
        return super().model_copy(update=update, deep=deep)

    def package(self, number: str) -> PackageLabel:
        """The package with this tracking number (spaces ignored), else :class:`ValidationError`."""
        wanted = "".join(number.split()) if isinstance(number, str) else None
        found = next((p for p in self.packages if wanted and p.tracking_number == wanted), None)
        if found is None:
            fail("package", "is not the tracking number of a package of this label")
        return found

    def package_number(self, number: str) -> str:
        """``number`` without spaces, if it is a package's tracking number, else :class:`ValidationError`."""
        return self.package(number).tracking_number or ""

    def with_packages_voided(self, *numbers: str) -> Label:
        """A copy with the packages of these tracking numbers (every package, when none is named)
        marked voided (on their own)."""
        wanted = {self.package_number(n) for n in numbers}
        packages = tuple(
            p.model_copy(update={"voided": True}) if not wanted or p.tracking_number in wanted else p
            for p in self.packages
        )
        return self.model_copy(update={"packages": packages})

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
    """What voiding a label did. A label that could not be voided has ``voided=False`` and no refund.

    ``packages`` are the tracking numbers of the packages this void cancelled: every package of the
    shipment, or the one package asked for (``tracking_number`` is then that package's).
    """

    carrier: Carrier
    tracking_number: str | None
    voided: bool
    refund: Money | None = None
    refund_status: RefundStatus = RefundStatus.NOT_APPLICABLE
    carrier_reference: str | None = Field(default=None, max_length=128)
    packages: tuple[str, ...] = ()

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
