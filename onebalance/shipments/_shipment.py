"""What the merchant wants shipped: from where, to where, which parcels, when, and how.

The same request asks every carrier for rates and buys the label from the one chosen; each
carrier's mapping layer turns the neutral :class:`ShipmentOption` names into its own add-ons.
"""

from __future__ import annotations

import enum
import re
from datetime import date
from typing import Any

from pydantic import BaseModel, field_validator, model_validator

from ._address import Address
from ._base import CarrierModel, fail, one_or_more
from ._customs import Customs, check_customs, crosses_customs_border
from ._parcel import Parcel, reference_text
from ._units import Weight, total_weight

__all__ = ["ShipmentOption", "ShipmentRequest"]

#: An HTTP-safe alphabet; 64 fits USPS's transaction id (at most 128). UPS's transaction header takes
#: at most 32 characters, so its mapping layer derives a shorter id from the key.
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
#: Codes such as US-PM, 03, FEDEX_GROUND.
_SERVICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}")
#: More parcels than this in one shipment is a mistake, not a shipment (UPS voids at most 20 at once).
MAX_PARCELS = 50


class ShipmentOption(str, enum.Enum):
    """An extra service, carrier-neutral."""

    SIGNATURE = "signature"
    ADULT_SIGNATURE = "adult_signature"
    INSURANCE = "insurance"
    SATURDAY_DELIVERY = "saturday_delivery"
    HOLD_FOR_PICKUP = "hold_for_pickup"
    CERTIFIED_MAIL = "certified_mail"
    RETURN_RECEIPT = "return_receipt"

    def __str__(self) -> str:
        return self.value


def check_idempotency_key(value: str) -> str:
    """``value`` if it is a valid idempotency key, else :class:`ValidationError` (as the model raises)."""
    if not _IDEMPOTENCY_KEY.fullmatch(value):
        fail("idempotency_key", "must be 1 to 64 characters of A-Z, a-z, 0-9, '_', '.' or '-'")
    return value


class ShipmentRequest(CarrierModel):
    """A shipment to rate or to buy a label for.

    ``service`` is a carrier's own service code (``US-PM``, ``03``, ``FEDEX_GROUND``), or None to
    ask for every service. ``options`` are neutral names (``{"signature", "insurance"}``);
    insurance needs a ``declared_value`` on every parcel. ``idempotency_key`` (1 to 64 of
    ``A-Z a-z 0-9 _ . -``) makes buying the label safe to retry.

    ``is_return`` asks for a return label: the parcel travels back from the customer to the
    merchant. The addresses say where the parcel goes, as for any label: ``shipper`` is the customer
    sending it back, ``recipient`` the merchant receiving it. Who pays does not change: a USPS return
    is paid from the merchant's One Balance, a UPS or FedEx return is billed to the merchant's account.

    ``customs`` is required for a shipment that goes through customs (:attr:`needs_customs`: abroad,
    but not between two EU countries); a domestic shipment may carry it too
    (USPS asks for a customs form to military APO/FPO/DPO addresses and to the freely associated
    states). With customs, the rules that need the whole shipment are checked too
    (HS codes into the EU, tax ids, the lines' weight; docs/shipping.md lists them).
    """

    shipper: Address
    recipient: Address
    parcels: tuple[Parcel, ...]
    ship_date: date
    service: str | None = None
    options: frozenset[ShipmentOption] = frozenset()
    reference: str | None = None
    idempotency_key: str | None = None
    is_return: bool = False
    customs: Customs | None = None

    @field_validator("parcels", mode="before")
    @classmethod
    def _parcels(cls, value: Any) -> Any:
        many = f"at most {MAX_PARCELS} parcels go in one shipment"
        return one_or_more(value, "parcels", Parcel, MAX_PARCELS, "at least one parcel is required", many)

    @field_validator("service", mode="before")
    @classmethod
    def _service(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip() or None
            if value is not None and not _SERVICE.fullmatch(value):
                fail("service", "must be a carrier service code such as US-PM, 03 or FEDEX_GROUND")
        return value

    @field_validator("options", mode="before")
    @classmethod
    def _options(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, (list, tuple, set, frozenset)):
            return frozenset(v.strip().lower() if isinstance(v, str) else v for v in value)
        return value

    @field_validator("reference", mode="before")
    @classmethod
    def _reference(cls, value: Any) -> Any:
        return reference_text(value)

    @field_validator("idempotency_key", mode="before")
    @classmethod
    def _idempotency_key(cls, value: Any) -> Any:
        if isinstance(value, str):
            check_idempotency_key(value)
        return value

    @model_validator(mode="after")
    def _insured_parcels_have_a_value(self) -> ShipmentRequest:
        if ShipmentOption.INSURANCE in self.options:
            for index, parcel in enumerate(self.parcels):
                if parcel.declared_value is None:
                    fail(f"parcels.{index}.declared_value", "is required for insurance")
        return self

    @model_validator(mode="after")
    def _customs_where_needed(self) -> ShipmentRequest:
        # The only check that reads the recipient, and only its country: :meth:`readdressed` relies on it.
        origin, destination = self.shipper.country, self.recipient.country
        if self.customs is None:
            if self.needs_customs:
                fail(
                    "customs",
                    f"is required for a shipment from {origin} to {destination}: what the parcels hold, "
                    "their value and who pays the duties (carriers.Customs)",
                )
            return self
        check_customs(self.customs, origin=origin, destination=destination, parcels_weight=self.total_weight)
        return self

    def readdressed(self, recipient: Address) -> ShipmentRequest:
        """This shipment sent to ``recipient`` (the same place as the carrier writes it, after an address check).

        The same as ``model_copy(update={"recipient": recipient})``, a shipment validated like any
        other, without running again the checks whose inputs did not change: ``recipient`` is an
        :class:`Address` (validated when it was made) and the one check that reads the recipient
        reads only its country, so a recipient in the same country is put in place as it is.
        """
        if type(recipient) is not Address or recipient.country != self.recipient.country:
            return self.model_copy(update={"recipient": recipient})
        return BaseModel.model_copy(self, update={"recipient": recipient})

    def check(self, *, today: date) -> ShipmentRequest:
        """Refuse a ship date in the past; ``today`` is the shipper's date (passed in: no hidden clock)."""
        if self.ship_date < today:
            fail("ship_date", f"must be today ({today.isoformat()}) or later")
        return self

    @property
    def is_international(self) -> bool:
        """Whether the parcels cross a border (US territories using ZIP codes count as domestic)."""
        both_zip = self.shipper.uses_zip_codes and self.recipient.uses_zip_codes
        return not both_zip and self.shipper.country != self.recipient.country

    @property
    def needs_customs(self) -> bool:
        """Whether the parcels go through customs: abroad (:attr:`is_international`), but not from
        one country of the European Union to another (one customs territory)."""
        return self.is_international and crosses_customs_border(self.shipper.country, self.recipient.country)

    @property
    def total_weight(self) -> Weight:
        """The weight of every parcel together, in the first parcel's unit."""
        return total_weight(p.weight for p in self.parcels)
