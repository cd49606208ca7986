"""A parcel: its weight, its size and the kind of packaging, in words no carrier owns.

Each carrier's mapping layer turns :class:`PackageType` into its own packaging code and refuses the
types that carrier does not offer (flat-rate boxes are USPS's, paks and tubes UPS's and FedEx's).
"""

from __future__ import annotations

import enum
from typing import Any

from pydantic import field_validator, model_validator

from onebalance.core import one_line

from ._base import CarrierModel, fail
from ._money import Money, non_negative
from ._units import Dimensions, Weight

__all__ = ["MAX_PARCEL_WEIGHT", "PackageType", "Parcel"]

#: The heaviest single package any of the three carriers takes: 150 lb (UPS, FedEx Express with
#: your own packaging; USPS stops at 70 lb). Each carrier's layer checks its own, lower limits.
MAX_PARCEL_WEIGHT = Weight(150, "lb")
#: A UPS reference number is at most 35 characters (the strictest carrier).
REFERENCE_MAX = 35


def reference_text(value: Any) -> Any:
    """A parcel's or shipment's ``reference``: one printed line of at most :data:`REFERENCE_MAX`
    characters; empty is none."""
    if isinstance(value, str):
        value, problem = one_line(value)
        if problem is not None:
            fail("reference", problem)
        value = value or None
        if value is not None and len(value) > REFERENCE_MAX:
            fail("reference", f"must be at most {REFERENCE_MAX} characters")
    return value


class PackageType(str, enum.Enum):
    """The kind of packaging, carrier-neutral."""

    PACKAGE = "package"  #: the merchant's own box or mailer
    ENVELOPE = "envelope"  #: a carrier's document envelope (UPS Letter, FedEx Envelope)
    PAK = "pak"  #: a carrier's padded pak (UPS PAK, FedEx Pak)
    TUBE = "tube"
    POSTCARD = "postcard"
    LETTER = "letter"
    LARGE_ENVELOPE = "large_envelope"  #: a flat
    THICK_ENVELOPE = "thick_envelope"
    LARGE_PACKAGE = "large_package"
    FLAT_RATE_ENVELOPE = "flat_rate_envelope"
    LEGAL_FLAT_RATE_ENVELOPE = "legal_flat_rate_envelope"
    FLAT_RATE_PADDED_ENVELOPE = "flat_rate_padded_envelope"
    SMALL_FLAT_RATE_BOX = "small_flat_rate_box"
    MEDIUM_FLAT_RATE_BOX = "medium_flat_rate_box"
    LARGE_FLAT_RATE_BOX = "large_flat_rate_box"
    REGIONAL_RATE_BOX_A = "regional_rate_box_a"
    REGIONAL_RATE_BOX_B = "regional_rate_box_b"

    def __str__(self) -> str:
        return self.value

    @property
    def is_flat_rate(self) -> bool:
        """Priced by the packaging, not the weight or the distance (within the carrier's limits)."""
        return "flat_rate" in self.value


class Parcel(CarrierModel):
    """One parcel, e.g. ``Parcel(weight=Weight(2, "lb"), dimensions=Dimensions(10, 8, 4))``."""

    weight: Weight
    dimensions: Dimensions | None = None
    package_type: PackageType = PackageType.PACKAGE
    declared_value: Money | None = None
    reference: str | None = None

    @field_validator("package_type", mode="before")
    @classmethod
    def _package_type(cls, value: Any) -> Any:
        return value.strip().lower().replace(" ", "_").replace("-", "_") if isinstance(value, str) else value

    @field_validator("declared_value")
    @classmethod
    def _declared_value(cls, value: Money | None) -> Money | None:
        return non_negative(value, "declared_value")

    @field_validator("reference", mode="before")
    @classmethod
    def _reference(cls, value: Any) -> Any:
        return reference_text(value)

    @model_validator(mode="after")
    def _limits(self) -> Parcel:
        if self.weight > MAX_PARCEL_WEIGHT:
            fail("weight", f"must be at most {MAX_PARCEL_WEIGHT} (the most any carrier takes in one package)")
        return self
