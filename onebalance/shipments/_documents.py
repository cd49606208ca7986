"""The documents a carrier hands back with a label: customs forms and commercial invoices.

A USPS label abroad comes with its customs form (CN22/CN23, PS 2976), a UPS or FedEx one with the
commercial invoice the carrier made from the shipment's customs data. They are kept with the label
(``Label.documents``) and in the label journal, to be printed and put in the parcel's pouch.
"""

from __future__ import annotations

import enum
import re
from typing import Any

from pydantic import Field, field_validator

from ._base import CarrierModel, fail

__all__ = ["DocumentKind", "ShippingDocument"]

_FORMAT = re.compile(r"[A-Z0-9]{2,8}")


class DocumentKind(str, enum.Enum):
    """What a document that came back with a label is."""

    CUSTOMS_FORM = "customs_form"  #: a postal customs declaration (CN22, CN23, PS 2976)
    COMMERCIAL_INVOICE = "commercial_invoice"

    def __str__(self) -> str:
        return self.value


class ShippingDocument(CarrierModel):
    """A document that came back with a label: its kind, its format (``"PDF"``, ``"PNG"``...) and its
    bytes. ``repr()`` shows their size, never the bytes."""

    kind: DocumentKind
    format: str
    data: bytes = Field(min_length=1)

    @field_validator("format", mode="before")
    @classmethod
    def _format(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().upper()
            if not _FORMAT.fullmatch(value):
                fail("format", "must be a format name such as PDF or PNG")
        return value

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield (name, f"<{len(self.data)} bytes>") if name == "data" else (name, value)
