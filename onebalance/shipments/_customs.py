"""Customs data of a shipment abroad, in no carrier's words, checked before anything is sent.

:class:`Customs` is what every carrier's customs form or commercial invoice needs: what the parcel
holds (:class:`ContentsType`), one :class:`CustomsLine` per kind of item, the invoice total (the sum
of the lines, in one currency), who pays the duties and taxes, the tax ids, and what happens to a
parcel that cannot be delivered. Each carrier's mapping layer turns it into its own shape (SWSIM
``CustomsV7``/``CustomsV8``, UPS ``InternationalForms``, FedEx ``customsClearanceDetail``).

Limits are the strictest of the carriers' published request schemas (``../shared/specs``), so that
what passes here is never refused later for its length:

====================== ======= =================================================================
field                  limit   where it comes from
====================== ======= =================================================================
line description       2-60    SWSIM v135 ``CustomsLine/Description`` (v111: 1-60; UPS takes three
                               lines of 35, its mapping splits; FedEx 450)
line quantity          1-9999  SWSIM ``double-ge-1``; FedEx ``numberOfPieces`` at most 9,999
lines                  1-50    UPS: at most 50 ``Product`` entries (FedEx 999)
HS tariff number       6-10    digits (dots allowed, kept without them): the 6-digit HS code and
                               a country's 8 or 10-digit extension; UPS ``CommodityCode`` 6-15
tax id                 18      FedEx ``TaxpayerIdentification/number`` (an EORI is at most 17)
invoice number         15      SWSIM ``InvoiceNumber`` (UPS 35)
contents explanation   76      SWSIM ``Comments`` (printed on the form)
====================== ======= =================================================================

The rules that need the shipment (where it goes, what it weighs) are in :func:`check_customs`,
which :class:`~carriers.ShipmentRequest` runs when it is built; docs/shipping.md lists them all.
"""

from __future__ import annotations

import enum
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import ValidationInfo, field_validator, model_validator

from onebalance.core import InvalidAmount, one_line

from ._base import CarrierModel, fail, one_or_more
from ._money import Money
from ._regions import COUNTRIES, EU_COUNTRIES
from ._units import Weight, total_weight

__all__ = [
    "EORI_EXPORT_COUNTRIES",
    "INCOTERMS",
    "ContentsType",
    "Customs",
    "CustomsLine",
    "DutiesPayer",
    "NonDelivery",
    "check_customs",
    "crosses_customs_border",
]

DESCRIPTION_MIN = 2
DESCRIPTION_MAX = 60
QUANTITY_MAX = 9999
LINES_MAX = 50
TAX_ID_MAX = 18
INVOICE_NUMBER_MAX = 15
EXPLANATION_MAX = 76

#: The Incoterms 2020 rules. Only DDP has the seller (the sender) pay the import duties and taxes.
INCOTERMS = frozenset({"EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"})
#: Retired rules and what replaced them (UPS and FedEx still print DDU; Incoterms 2010 dropped it).
_RETIRED = {"DDU": "DAP", "DAT": "DPU", "DAF": "DAP", "DES": "DAP", "DEQ": "DAP"}
#: Countries whose exporters must give their EORI number on a commercial export: the EU (Union
#: Customs Code, Regulation 952/2013, art. 9) and the United Kingdom (since 2021).
EORI_EXPORT_COUNTRIES: frozenset[str] = EU_COUNTRIES | {"GB"}
#: Destinations whose customs want the recipient's tax id on every parcel of goods: Brazil (the
#: CPF of a person or CNPJ of a company, asked for by every courier and by Correios).
RECIPIENT_TAX_ID_COUNTRIES: frozenset[str] = frozenset({"BR"})

#: UPS takes a unit value of up to six decimals.
_UNIT_VALUE = Decimal("0.000001")
_HS = re.compile(r"\d+(?:\.\d+)*")
_TAX_ID = re.compile(r"[A-Z0-9][A-Z0-9./\-]*")
_EORI = re.compile(r"[A-Z]{2}[A-Z0-9]{1,15}")


class ContentsType(str, enum.Enum):
    """What a parcel abroad holds, as the customs form asks."""

    MERCHANDISE = "merchandise"  #: goods sold
    GIFT = "gift"
    DOCUMENTS = "documents"  #: papers of no commercial value
    SAMPLE = "sample"  #: a commercial sample
    RETURN = "return"  #: goods sent back

    def __str__(self) -> str:
        return self.value


class DutiesPayer(str, enum.Enum):
    """Who pays the import duties and taxes: the sender (delivered duty paid) or the recipient."""

    SENDER = "sender"
    RECIPIENT = "recipient"

    def __str__(self) -> str:
        return self.value


class NonDelivery(str, enum.Enum):
    """What the carrier does with a parcel abroad that cannot be delivered."""

    RETURN = "return"  #: sent back to the sender (at the sender's cost)
    ABANDON = "abandon"  #: left to the destination's post or customs

    def __str__(self) -> str:
        return self.value


def _line(value: Any, field: str, limit: int, *, minimum: int = 1) -> Any:
    """One printed line of ``minimum`` to ``limit`` characters; None (or blank) is passed on as None."""
    if value is None:
        return None
    if not isinstance(value, str):
        fail(field, "must be text")
    text, problem = one_line(value)
    if problem is not None:
        fail(field, problem)
    if not text:
        return None
    if len(text) < minimum:
        fail(field, f"must be at least {minimum} characters (the strictest carrier's minimum)")
    if len(text) > limit:
        fail(field, f"must be at most {limit} characters (the strictest carrier's limit)")
    return text


def _country(value: Any, field: str) -> Any:
    if isinstance(value, str):
        code = value.strip().upper()
        if code not in COUNTRIES:
            fail(field, "must be an ISO 3166-1 alpha-2 country code such as US or CN")
        return code
    return value


class CustomsLine(CarrierModel):
    """One kind of item in the parcel, as a line of the customs form.

    ``value`` and ``weight`` are the whole line's (every unit of it together), ``quantity`` how many
    units. ``hs_tariff_number`` is the Harmonized System code (6 digits, or a country's 8 or 10; dots
    allowed, kept without them: ``"6109.10"`` becomes ``"610910"``); ``origin_country`` where the
    goods were made (ISO 3166-1 alpha-2).
    """

    description: str
    quantity: int
    value: Money
    weight: Weight
    hs_tariff_number: str | None = None
    origin_country: str

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> Any:
        text = _line(value, "description", DESCRIPTION_MAX, minimum=DESCRIPTION_MIN)
        if text is None:
            fail("description", "is required: say what the items are (e.g. 'cotton T-shirts')")
        return text

    @field_validator("quantity", mode="before")
    @classmethod
    def _quantity(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            fail("quantity", "must be a whole number of units")
        try:
            number = int(value)
        except ValueError:
            fail("quantity", "must be a whole number of units")
        if not 1 <= number <= QUANTITY_MAX:
            fail("quantity", f"must be between 1 and {QUANTITY_MAX}")
        return number

    @field_validator("hs_tariff_number", mode="before")
    @classmethod
    def _hs(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = value.strip() if isinstance(value, str) else ""
        digits = text.replace(".", "")
        if not _HS.fullmatch(text) or not 6 <= len(digits) <= 10:
            fail("hs_tariff_number", "must be 6 to 10 digits of the Harmonized System, dots allowed (6109.10)")
        return digits

    @field_validator("origin_country", mode="before")
    @classmethod
    def _origin(cls, value: Any) -> Any:
        return _country(value, "origin_country")

    @model_validator(mode="after")
    def _value(self) -> CustomsLine:
        if self.value.is_negative:
            fail("value", "must not be negative", InvalidAmount)
        return self

    @property
    def unit_value(self) -> Decimal:
        """The value of one unit (``value / quantity``, in the line's currency), rounded half up to six
        decimals: what UPS (``Product/Unit/Value``) and FedEx (``unitPrice``) ask for."""
        return (self.value.amount / self.quantity).quantize(_UNIT_VALUE, rounding=ROUND_HALF_UP)


class Customs(CarrierModel):
    """The customs data of a shipment abroad (``ShipmentRequest.customs``).

    ``invoice_total`` must be the sum of the lines' values, in their one currency. ``duties_payer``
    says who pays the import duties and taxes; ``incoterm`` (Incoterms 2020: ``DDP``, ``DAP``...)
    may say it too, and must then agree (only DDP has the sender pay). ``sender_tax_id`` and
    ``recipient_tax_id`` are the EORI, IOSS, VAT, EIN, CPF... number each side's customs know them
    by; :func:`check_customs` says where one is required. ``contents_explanation`` is printed on the
    form's comments; ``invoice_number`` is the merchant's own.
    """

    contents_type: ContentsType
    lines: tuple[CustomsLine, ...]
    invoice_total: Money
    duties_payer: DutiesPayer = DutiesPayer.SENDER
    incoterm: str | None = None
    sender_tax_id: str | None = None
    recipient_tax_id: str | None = None
    non_delivery: NonDelivery = NonDelivery.RETURN
    contents_explanation: str | None = None
    invoice_number: str | None = None

    @field_validator("lines", mode="before")
    @classmethod
    def _lines(cls, value: Any) -> Any:
        empty = "at least one line is required (what the parcel holds)"
        many = f"at most {LINES_MAX} lines (UPS's limit): group like items in one line"
        return one_or_more(value, "lines", (CustomsLine, dict), LINES_MAX, empty, many)

    @field_validator("incoterm", mode="before")
    @classmethod
    def _incoterm(cls, value: Any) -> Any:
        if isinstance(value, str):
            code = value.strip().upper() or None
            if code in _RETIRED:
                fail("incoterm", f"{code} is no longer an Incoterms rule: use {_RETIRED[code]}")
            if code is not None and code not in INCOTERMS:
                fail("incoterm", "must be an Incoterms 2020 rule such as DDP or DAP")
            return code
        return value

    @field_validator("sender_tax_id", "recipient_tax_id", mode="before")
    @classmethod
    def _tax_id(cls, value: Any, info: ValidationInfo) -> Any:
        field = info.field_name or "tax_id"
        text = _line(value, field, TAX_ID_MAX)
        if text is None:
            return None
        text = text.replace(" ", "").upper()
        if not _TAX_ID.fullmatch(text):
            fail(field, "must be letters and digits (dots, dashes and slashes allowed)")
        return text

    @field_validator("contents_explanation", mode="before")
    @classmethod
    def _explanation(cls, value: Any) -> Any:
        return _line(value, "contents_explanation", EXPLANATION_MAX)

    @field_validator("invoice_number", mode="before")
    @classmethod
    def _invoice_number(cls, value: Any) -> Any:
        return _line(value, "invoice_number", INVOICE_NUMBER_MAX)

    @model_validator(mode="after")
    def _consistent(self) -> Customs:
        currency = self.invoice_total.currency
        total = Decimal(0)
        for index, line in enumerate(self.lines):
            if line.value.currency != currency:
                fail(f"lines.{index}.value", f"must be in the invoice's currency ({currency})")
            if line.value.amount == 0 and self.contents_type is not ContentsType.DOCUMENTS:
                fail(
                    f"lines.{index}.value",
                    "must be above zero: customs value every item, gifts and samples too (documents may be 0)",
                    InvalidAmount,
                )
            total += line.value.amount
        if self.invoice_total.amount != total:
            fail("invoice_total", f"must be the sum of the lines' values ({total} {currency})", InvalidAmount)
        if self.incoterm is not None:
            wanted = DutiesPayer.SENDER if self.incoterm == "DDP" else DutiesPayer.RECIPIENT
            if self.duties_payer is not wanted:
                fail(
                    "duties_payer",
                    f"must be {wanted.value} under {self.incoterm} (only DDP has the sender pay the duties)",
                )
        return self

    @property
    def total_weight(self) -> Weight:
        """The weight of every line together, in the first line's unit."""
        return total_weight(line.weight for line in self.lines)


def crosses_customs_border(origin: str, destination: str) -> bool:
    """Whether goods from ``origin`` to ``destination`` (two countries) go through customs: any two
    countries but two of the European Union (one customs territory)."""
    return origin != destination and not (origin in EU_COUNTRIES and destination in EU_COUNTRIES)


def check_customs(customs: Customs, *, origin: str, destination: str, parcels_weight: Weight) -> None:
    """The rules that need the shipment: raise :class:`ValidationError` naming ``customs.<field>``.

    * the lines cannot weigh more than the parcels they are packed in;
    * merchandise into the EU: every line needs its HS code (the EU's ICS2 entry summary asks for
      at least 6 digits of it on every consignment of goods);
    * merchandise out of the EU or the UK: the sender's EORI number (``sender_tax_id``, the country
      code and up to 15 characters), which every commercial export declaration carries there;
    * goods (anything but documents) into Brazil: the recipient's CPF or CNPJ (``recipient_tax_id``).
    """
    if customs.total_weight > parcels_weight:
        fail("customs.lines", "the lines weigh more than the parcels they are packed in")
    merchandise = customs.contents_type is ContentsType.MERCHANDISE
    abroad = crosses_customs_border(origin, destination)
    if merchandise and abroad and destination in EU_COUNTRIES:
        for index, line in enumerate(customs.lines):
            if line.hs_tariff_number is None:
                fail(
                    f"customs.lines.{index}.hs_tariff_number",
                    "is required for merchandise into the EU (at least the 6-digit HS code)",
                )
    if merchandise and abroad and origin in EORI_EXPORT_COUNTRIES:
        eori = customs.sender_tax_id
        if eori is None or not _EORI.fullmatch(eori):
            fail(
                "customs.sender_tax_id",
                f"must be the sender's EORI number (e.g. {origin}123456789) for merchandise exported from {origin}",
            )
    goods = customs.contents_type is not ContentsType.DOCUMENTS
    if goods and abroad and destination in RECIPIENT_TAX_ID_COUNTRIES and customs.recipient_tax_id is None:
        fail("customs.recipient_tax_id", f"is required for goods into {destination} (Brazil: the CPF or CNPJ)")
