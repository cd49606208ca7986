"""USPS international mail through SWSIM: which services go where, the ``Customs`` of a label abroad,
and the customs form that comes back. No I/O.

* **Where a service goes.** A recipient outside the ZIP code system (``Address.uses_zip_codes``
  false) is abroad: it takes only the international services (``US-FCI``, ``US-PMI``, ``US-EMI``),
  a US address only the domestic ones. :func:`check_destination` refuses the other way round before
  anything is sent. The sender is always in the US (USPS mail starts there).
* **Customs.** A shipment abroad needs ``ShipmentRequest.customs`` (the model refuses one without it
  when it is built; :func:`check_customs` again here), and what USPS cannot carry is refused before
  anything is sent: values in another currency than US dollars, the sender paying the duties (USPS
  mail abroad is delivered duties unpaid: ``duties_payer="recipient"``, any incoterm but DDP), a
  sender's tax id longer than SWSIM's ``SendersCustomsReference`` (14), or comments and the
  recipient's tax id together longer than ``Comments`` (76).
* **The wire.** :func:`customs_request` gives CreateIndicium's ``Customs`` (``CustomsV7`` on v111,
  ``CustomsV8`` on v135: the same elements in the same order; v135 wants a line description of 2 to
  60 characters, which the model already asks for) and ``nonDeliveryOption``. Each customs line
  carries the whole line's value (US dollars) and weight (pounds and ounces, rounded down to the
  hundredth of an ounce so that the lines never weigh more than the parcel's rounded-up weight).
  ``CustomsSigner`` is the shipper's name. The recipient's tax id has no element of its own: it is
  printed in ``Comments`` ("Importer ref: ..."), after ``contents_explanation``.
* **The customs form** comes back as CreateIndicium's ``FormURL`` (:func:`form_url`): the SDK fetches
  it as it fetches a label image, and keeps it on the label (:func:`customs_form`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from onebalance.core import ValidationError
from onebalance.shipments import (
    Address,
    ContentsType,
    Customs,
    CustomsLine,
    DocumentKind,
    DutiesPayer,
    NonDelivery,
    ShipmentRequest,
    ShippingDocument,
)

from ._codes import INTERNATIONAL_SERVICES

__all__ = [
    "CONTENT_TYPES",
    "NON_DELIVERY",
    "abroad",
    "check_customs",
    "check_destination",
    "customs_elements",
    "customs_form",
    "customs_request",
    "customs_to_wire",
    "form_url",
]

#: carriers.ContentsType -> SWSIM ``ContentTypeV2``.
CONTENT_TYPES: dict[ContentsType, str] = {
    ContentsType.MERCHANDISE: "Merchandise",
    ContentsType.GIFT: "Gift",
    ContentsType.DOCUMENTS: "Document",
    ContentsType.SAMPLE: "Commercial Sample",
    ContentsType.RETURN: "Returned Goods",
}
#: carriers.NonDelivery -> CreateIndicium's ``nonDeliveryOption``.
NON_DELIVERY: dict[NonDelivery, str] = {NonDelivery.RETURN: "Return", NonDelivery.ABANDON: "Abandon"}
#: SWSIM's limits: ``SendersCustomsReference`` (string-0-14), ``Comments`` (string-0-76), ``CustomsSigner`` (2-100).
SENDER_REFERENCE_MAX, COMMENTS_MAX, SIGNER = 14, 76, (2, 100)
_HUNDREDTH = Decimal("0.01")


def _fail(field: str, text: str) -> ValidationError:
    return ValidationError(f"{field}: {text}", field=field)


def abroad(address: Address) -> bool:
    """Whether USPS mail to ``address`` is international (outside the ZIP code system)."""
    return not address.uses_zip_codes


def check_destination(service: str | None, recipient: Address, field: str) -> None:
    """Refuse ``service`` when it does not go to ``recipient``: a domestic service abroad, an
    international one to a US address."""
    if service is None:
        return
    international = service in INTERNATIONAL_SERVICES
    far = abroad(recipient)
    if far and not international:
        raise _fail(
            field,
            f"{service} is a domestic USPS service: it does not go to {recipient.country}; use US-FCI "
            "(First-Class Package International), US-PMI (Priority Mail International) or US-EMI (Priority "
            "Mail Express International)",
        )
    if not far and international:
        raise _fail(field, f"{service} is an international USPS service: it does not go to a US address")


def check_customs(shipment: ShipmentRequest) -> None:
    """Refuse a shipment abroad without customs data, or with customs USPS cannot carry."""
    customs = shipment.customs
    if customs is None:
        if abroad(shipment.recipient):
            raise _fail(
                "customs",
                f"a USPS shipment to {shipment.recipient.country} needs customs data (ShipmentRequest.customs): "
                "the contents, their value and weight",
            )
        return
    if customs.invoice_total.currency != "USD":
        raise _fail("customs.invoice_total", "USPS customs forms declare values in US dollars (USD)")
    duties_paid = customs.duties_payer is DutiesPayer.SENDER or customs.incoterm == "DDP"
    if duties_paid and abroad(shipment.recipient):  # mail inside the ZIP code system (APO/FPO) pays none
        raise _fail(
            "customs.duties_payer",
            "USPS mail abroad is delivered duties unpaid: the recipient pays the duties and taxes "
            "(duties_payer='recipient'; an incoterm other than DDP)",
        )
    if customs.sender_tax_id is not None and len(customs.sender_tax_id) > SENDER_REFERENCE_MAX:
        raise _fail(
            "customs.sender_tax_id",
            f"USPS carries a sender's customs reference of at most {SENDER_REFERENCE_MAX} characters "
            "(an IOSS number fits; an EORI number may not)",
        )
    if len(_comments(customs) or "") > COMMENTS_MAX:
        raise _fail(
            "customs.recipient_tax_id",
            f"USPS prints it in the form's comments with contents_explanation: at most {COMMENTS_MAX} "
            "characters together",
        )


def _comments(customs: Customs) -> str | None:
    parts = [customs.contents_explanation or ""]
    if customs.recipient_tax_id:
        parts.append(f"Importer ref: {customs.recipient_tax_id}")
    return "; ".join(part for part in parts if part) or None


def _line_to_wire(line: CustomsLine) -> dict[str, Any]:
    ounces = max(line.weight.ounces.quantize(_HUNDREDTH, rounding=ROUND_FLOOR), _HUNDREDTH)
    pounds, rest = divmod(ounces, 16)
    wire: dict[str, Any] = {
        "Description": line.description,
        "Quantity": line.quantity,
        "Value": line.value.amount,
        "WeightLb": int(pounds),
        "WeightOz": rest,
    }
    if line.hs_tariff_number:
        wire["HSTariffNumber"] = line.hs_tariff_number
    wire["CountryOfOrigin"] = line.origin_country
    return wire


def customs_to_wire(customs: Customs, shipper: Address) -> dict[str, Any]:
    """SWSIM ``Customs`` (``CustomsV7``/``CustomsV8``) for ``customs``, signed by ``shipper``'s name."""
    wire: dict[str, Any] = {"ContentType": CONTENT_TYPES[customs.contents_type]}
    comments = _comments(customs)
    if comments:
        wire["Comments"] = comments
    if customs.invoice_number:
        wire["InvoiceNumber"] = customs.invoice_number
    wire["CustomsLines"] = {"CustomsLine": [_line_to_wire(line) for line in customs.lines]}
    if SIGNER[0] <= len(shipper.name) <= SIGNER[1]:
        wire["CustomsSigner"] = shipper.name
    if customs.sender_tax_id:
        wire["SendersCustomsReference"] = customs.sender_tax_id
    return wire


def customs_request(shipment: ShipmentRequest) -> dict[str, Any]:
    """CreateIndicium's customs elements for ``shipment`` (none without customs data)."""
    check_customs(shipment)
    if shipment.customs is None:
        return {}
    return customs_elements(shipment.customs, shipment.shipper)


def customs_elements(customs: Customs, shipper: Address) -> dict[str, Any]:
    """CreateIndicium's ``Customs`` and ``nonDeliveryOption`` for customs :func:`check_customs` passed."""
    return {"Customs": customs_to_wire(customs, shipper), "nonDeliveryOption": NON_DELIVERY[customs.non_delivery]}


def form_url(response: Mapping[str, Any]) -> str | None:
    """The customs form's URL in a CreateIndicium response (a label abroad), or None."""
    url = str(response.get("FormURL") or "").strip()
    return url.split()[0] if url else None


def customs_form(data: bytes | None, url: str | None) -> tuple[ShippingDocument, ...]:
    """The customs form fetched from ``url`` as the label's document (none without one)."""
    if not data:
        return ()
    extension = (url or "").rsplit("?", 1)[0].rsplit(".", 1)[-1].upper()
    kind = extension if extension in ("PDF", "PNG", "GIF", "ZPL", "EPL") else "PDF"
    return (ShippingDocument(kind=DocumentKind.CUSTOMS_FORM, format=kind, data=data),)
