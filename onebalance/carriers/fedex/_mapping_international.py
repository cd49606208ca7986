"""FedEx abroad: which services cross a border, and what a shipment abroad carries (FedEx's JSON keys).

A shipment is abroad when :attr:`~carriers.ShipmentRequest.is_international` (the US and its
territories in the ZIP code system count as one country). Before anything is sent:

* a domestic-only service (FEDEX_2_DAY, the overnights, Home Delivery, Ground Economy; FEDEX_GROUND
  except to Canada, where it is FedEx International Ground) for a shipment abroad, and an
  international service for a shipment inside the US, are refused (``service``);
* a shipment through customs (``needs_customs``: abroad, but not between two EU countries) without
  ``shipment.customs`` is refused (``customs``), for rates too: FedEx's
  Rate API needs the commodities to rate a shipment abroad (rate-api.json: "Customs commodity data
  is required for international and intra-country rating").

A shipment abroad carries ``customsClearanceDetail`` (:func:`add_customs`): one commodity per
customs line (description, country of manufacture, quantity in pieces, customs value and unit
price, weight, HS code), ``totalCustomsValue`` (the invoice total), the commercial invoice's
purpose (from the contents type), terms of sale (the incoterm), invoice number and comments, and
``dutiesPayment``: SENDER billed to the shipper's own account, or RECIPIENT. The package and
commodity weights go in kilograms (FedEx wants one unit for both, and the Ship spec's commodity
weight takes KG only); the tax ids go as the parties' ``tins``. A label abroad also asks for the
commercial invoice (``shippingDocumentSpecification``), which FedEx returns in
``shipmentDocuments`` and the label keeps (:func:`parse_documents`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from decimal import ROUND_CEILING, Decimal
from typing import Any

from onebalance.core import ProtocolError, ValidationError
from onebalance.shipments import ContentsType, Customs, DocumentKind, DutiesPayer, ShipmentRequest, ShippingDocument

__all__ = [
    "DOMESTIC_SERVICES",
    "INTERNATIONAL_SERVICES",
    "add_customs",
    "add_rate_customs",
    "check_abroad",
    "check_service",
    "parse_documents",
    "serves",
]

#: Services FedEx sells only inside the US.
DOMESTIC_SERVICES = frozenset(
    {
        "FIRST_OVERNIGHT",
        "PRIORITY_OVERNIGHT",
        "STANDARD_OVERNIGHT",
        "FEDEX_2_DAY",
        "FEDEX_2_DAY_AM",
        "FEDEX_EXPRESS_SAVER",
        "GROUND_HOME_DELIVERY",
        "SMART_POST",
        "FEDEX_GROUND_ECONOMY",
        "SAME_DAY",
        "SAME_DAY_CITY",
    }
)
#: FedEx Ground crosses one border: to Canada, as FedEx International Ground.
GROUND_ABROAD = frozenset({"CA"})
#: Services that cross a border (``INTERNATIONAL_PRIORITY`` is the older spelling of FedEx
#: International Priority, which rate-api.json still shows).
INTERNATIONAL_SERVICES = frozenset(
    {
        "FEDEX_INTERNATIONAL_PRIORITY",
        "FEDEX_INTERNATIONAL_PRIORITY_EXPRESS",
        "FEDEX_INTERNATIONAL_CONNECT_PLUS",
        "FEDEX_INTERNATIONAL_DEFERRED_FREIGHT",
        "INTERNATIONAL_PRIORITY",
        "INTERNATIONAL_ECONOMY",
        "INTERNATIONAL_FIRST",
        "INTERNATIONAL_PRIORITY_FREIGHT",
        "INTERNATIONAL_ECONOMY_FREIGHT",
    }
)


def serves(shipment: ShipmentRequest, service: str) -> bool:
    """Whether ``service`` goes where ``shipment`` goes (unknown codes: as FedEx says)."""
    if shipment.is_international:
        if service == "FEDEX_GROUND":
            return shipment.shipper.country == "US" and shipment.recipient.country in GROUND_ABROAD
        return service not in DOMESTIC_SERVICES
    if shipment.shipper.uses_zip_codes:
        return service not in INTERNATIONAL_SERVICES
    return True


def check_service(shipment: ShipmentRequest, service: str, field: str = "service") -> None:
    """Refuse ``service`` where it does not go, before anything is sent."""
    if serves(shipment, service):
        return
    if shipment.is_international:
        raise ValidationError(
            f"{field}: FedEx's {service} does not ship to {shipment.recipient.country}; choose an international "
            "service (FEDEX_INTERNATIONAL_PRIORITY, INTERNATIONAL_ECONOMY...)",
            field=field,
        )
    raise ValidationError(
        f"{field}: {service} is an international service; this shipment stays inside the US", field=field
    )


def check_abroad(shipment: ShipmentRequest) -> None:
    """Refuse a shipment abroad without customs data, before anything is sent."""
    if shipment.needs_customs and shipment.customs is None:
        raise ValidationError(
            f"customs: FedEx needs customs data to rate or ship to {shipment.recipient.country} "
            "(shipment.customs: the contents, their lines and values, who pays duties)",
            field="customs",
        )


#: The commercial invoice's purpose, by contents type.
PURPOSES = {
    ContentsType.MERCHANDISE: "SOLD",
    ContentsType.GIFT: "GIFT",
    ContentsType.SAMPLE: "SAMPLE",
    ContentsType.RETURN: "REPAIR_AND_RETURN",
    ContentsType.DOCUMENTS: "NOT_SOLD",
}
_TENTH = Decimal("0.1")


def _kilograms(weight: Any) -> float:
    """A weight in kilograms, rounded up to a tenth (never 0)."""
    return float(max(_TENTH, weight.to("kg").value.quantize(_TENTH, rounding=ROUND_CEILING)))


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": float(amount), "currency": currency}


def _commodities(customs: Customs) -> list[dict[str, Any]]:
    commodities = []
    for line in customs.lines:
        currency = line.value.currency
        commodity: dict[str, Any] = {
            "description": line.description,
            "countryOfManufacture": line.origin_country,
            "quantity": line.quantity,
            "quantityUnits": "PCS",
            "numberOfPieces": line.quantity,
            "customsValue": _money(line.value.amount, currency),
            "unitPrice": _money(line.unit_value, currency),
            "weight": {"units": "KG", "value": _kilograms(line.weight)},
        }
        if line.hs_tariff_number:
            commodity["harmonizedCode"] = line.hs_tariff_number
        commodities.append(commodity)
    return commodities


def _duties(customs: Customs, account: str) -> dict[str, Any]:
    if customs.duties_payer is DutiesPayer.SENDER:
        return {"paymentType": "SENDER", "payor": {"responsibleParty": {"accountNumber": {"value": account}}}}
    return {"paymentType": "RECIPIENT"}


def add_rate_customs(requested: dict[str, Any], shipment: ShipmentRequest, account: str) -> None:
    """A rate request's customs (FedEx rates a shipment abroad only with its commodities); the
    duties payment only when the sender pays (the Rate spec knows no other payment type)."""
    customs = shipment.customs
    if customs is None or not shipment.needs_customs:
        return
    _kilogram_packages(requested, shipment)
    detail: dict[str, Any] = {"commodities": _commodities(customs)}
    if customs.duties_payer is DutiesPayer.SENDER:
        detail["dutiesPayment"] = _duties(customs, account)
    requested["customsClearanceDetail"] = detail


def _kilogram_packages(requested: dict[str, Any], shipment: ShipmentRequest) -> None:
    for item, parcel in zip(requested["requestedPackageLineItems"], shipment.parcels, strict=True):
        item["weight"] = {"units": "KG", "value": _kilograms(parcel.weight)}


def add_customs(requested: dict[str, Any], shipment: ShipmentRequest, account: str, invoice_number: str) -> None:
    """What a Ship request's ``requestedShipment`` carries abroad (nothing inside one country)."""
    customs = shipment.customs
    if customs is None or not shipment.needs_customs:
        return
    _kilogram_packages(requested, shipment)
    invoice: dict[str, Any] = {
        "shipmentPurpose": PURPOSES[customs.contents_type],
        "customerReferences": [
            {"customerReferenceType": "INVOICE_NUMBER", "value": customs.invoice_number or invoice_number[:30]}
        ],
    }
    if customs.incoterm:
        invoice["termsOfSale"] = customs.incoterm
    if customs.contents_explanation:
        invoice["comments"] = [customs.contents_explanation]
    total = customs.invoice_total
    requested["customsClearanceDetail"] = {
        "dutiesPayment": _duties(customs, account),
        "isDocumentOnly": customs.contents_type is ContentsType.DOCUMENTS,
        "commercialInvoice": invoice,
        "commodities": _commodities(customs),
        "totalCustomsValue": _money(total.amount, total.currency),
    }
    for key, tax_id in (("shipper", customs.sender_tax_id), ("recipients", customs.recipient_tax_id)):
        if tax_id:
            party = requested[key][0] if key == "recipients" else requested[key]
            party["tins"] = [{"number": tax_id, "tinType": "BUSINESS_NATIONAL"}]
    requested["shippingDocumentSpecification"] = {
        "shippingDocumentTypes": ["COMMERCIAL_INVOICE"],
        "commercialInvoiceDetail": {"documentFormat": {"docType": "PDF", "stockType": "PAPER_LETTER"}},
    }


def parse_documents(shipment: Mapping[str, Any]) -> tuple[ShippingDocument, ...]:
    """The commercial invoices among the shipment's documents (``shipmentDocuments``)."""
    documents = []
    for document in shipment.get("shipmentDocuments") or []:
        if not isinstance(document, Mapping) or document.get("contentType") != "COMMERCIAL_INVOICE":
            continue
        encoded = document.get("encodedLabel")
        if not encoded:
            continue
        try:
            data = base64.b64decode(str(encoded), validate=True)
        except (binascii.Error, ValueError):
            raise ProtocolError("FedEx's commercial invoice is not valid base64", operation="ship") from None
        kind = str(document.get("docType") or "PDF")
        documents.append(ShippingDocument(kind=DocumentKind.COMMERCIAL_INVOICE, format=kind, data=data))
    return tuple(documents)
