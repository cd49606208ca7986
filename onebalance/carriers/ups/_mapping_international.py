"""UPS abroad: which services cross a border, and what a shipment abroad carries (UPS's JSON keys).

A shipment is abroad when :attr:`~carriers.ShipmentRequest.is_international` (the US and its
territories in the ZIP code system are one country here, as UPS's "qualified domestic shipment"
US to PR is). Before anything is sent:

* a domestic-only service (Ground ``03``, the air services ``01 02 12 13 14 59``) for a shipment
  abroad, and a worldwide service for a shipment inside the US, are refused
  (:class:`~onebalance.ValidationError` on ``service``);
* a label through customs (:attr:`~carriers.ShipmentRequest.needs_customs`: abroad, but not
  between two EU countries) without ``shipment.customs`` is refused (``customs``), and a tax id longer than
  UPS's 15 characters. Rates abroad need no customs: UPS Rating prices a shipment abroad without
  them (from the US to Canada it is given the invoice total, ``InvoiceLineTotal``, as UPS asks).

Rates keep only the services that go where the shipment goes (UPS's Shop answers so; a service
that does not is left out rather than sold).

A label through customs carries (:func:`add_customs`): the description of goods (``Shipment.Description``,
the lines' descriptions), the tax ids, and the commercial invoice in
``ShipmentServiceOptions.InternationalForms`` (FormType 01: one ``Product`` per customs line with
its quantity, unit value, HS code and origin; the invoice number, the ship date, the reason for
export from the contents type, the currency, the incoterm as ``TermsOfShipment``; a return from
abroad the partial invoice, FormType 05, the only invoice UPS takes with return service). Documents of no
commercial value go as ``DocumentsOnlyIndicator``, without an invoice. Duties and taxes: paid by
the sender, a ``ShipmentCharge`` of type 02 billed to the shipper's own account (BillShipper);
paid by the recipient, no type 02 charge, so UPS bills the receiver on delivery. The invoice UPS
returns (``ShipmentResults.Form``) is kept on the label (:func:`parse_documents`).
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
    "add_invoice_total",
    "check_abroad",
    "check_service",
    "parse_documents",
    "serves",
]

#: Services UPS sells only inside the US (and between the US and its territories).
DOMESTIC_SERVICES = frozenset({"01", "02", "03", "12", "13", "14", "59"})
#: Services that cross a border: Worldwide Express, Expedited, Express Plus, Saver, Standard
#: (to and from Canada and Mexico), Worldwide Economy DDU/DDP, Express 12:00, Express Freight.
INTERNATIONAL_SERVICES = frozenset({"07", "08", "11", "17", "54", "65", "72", "74", "96"})


def serves(shipment: ShipmentRequest, service: str) -> bool:
    """Whether ``service`` goes where ``shipment`` goes (unknown codes: as UPS says)."""
    if service in DOMESTIC_SERVICES:
        return not shipment.is_international
    if service in INTERNATIONAL_SERVICES:  # inside the US, the worldwide services are not sold
        return shipment.is_international or not shipment.shipper.uses_zip_codes
    return True


def check_service(shipment: ShipmentRequest, service: str, names: dict[str, str], field: str = "service") -> None:
    """Refuse ``service`` where it does not go, before anything is sent."""
    if serves(shipment, service):
        return
    name = names.get(service, f"UPS service {service}")
    if shipment.is_international:
        raise ValidationError(
            f"{field}: {name} ({service}) ships only inside the US, not to {shipment.recipient.country}; "
            "choose a worldwide service (07, 08, 54, 65, or 11 to Canada and Mexico)",
            field=field,
        )
    raise ValidationError(
        f"{field}: {name} ({service}) is a worldwide service; this shipment stays inside the US",
        field=field,
    )


def check_abroad(shipment: ShipmentRequest) -> None:
    """Refuse a label abroad without customs data, before anything is sent."""
    if shipment.needs_customs and shipment.customs is None:
        raise ValidationError(
            f"customs: a UPS label to {shipment.recipient.country} needs customs data "
            "(shipment.customs: the contents, their lines and values, who pays duties)",
            field="customs",
        )


#: The reason for export the invoice gives, by contents type (documents carry no invoice).
REASONS = {
    ContentsType.MERCHANDISE: "SALE",
    ContentsType.GIFT: "GIFT",
    ContentsType.SAMPLE: "SAMPLE",
    ContentsType.RETURN: "RETURN",
}
#: The incoterms UPS's invoice takes as ``TermsOfShipment`` (Incoterms 2020's DPU is not among them:
#: the invoice then goes without terms; who pays the duties is the type 02 charge either way).
TERMS_OF_SHIPMENT = frozenset({"CFR", "CIF", "CIP", "CPT", "DDP", "DAP", "EXW", "FAS", "FCA", "FOB"})
#: UPS's limits: a description of goods, a product description line, a tax id.
DESCRIPTION_MAX, PRODUCT_LINE_MAX, TAX_ID_MAX = 50, 35, 15


def _lines(text: str, width: int, count: int) -> list[str]:
    """``text`` in at most ``count`` lines of ``width`` characters, broken between words when it can."""
    lines: list[str] = []
    rest = text
    while rest and len(lines) < count:
        if len(rest) <= width:
            lines.append(rest)
            break
        cut = rest.rfind(" ", 0, width + 1)
        cut = cut if cut > 0 else width
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return lines


def _description(customs: Customs) -> str:
    """The description of goods: the lines' descriptions, as many as fit in UPS's 50 characters."""
    text = ""
    for line in customs.lines:
        joined = f"{text}, {line.description}" if text else line.description
        if len(joined) > DESCRIPTION_MAX:
            break
        text = joined
    return text or _lines(customs.lines[0].description, DESCRIPTION_MAX, 1)[0]


def _tax_id(value: str | None, field: str) -> str | None:
    if value is not None and len(value) > TAX_ID_MAX:
        raise ValidationError(f"{field}: UPS takes a tax id of at most {TAX_ID_MAX} characters", field=field)
    return value


def add_invoice_total(shipment_body: dict[str, Any], shipment: ShipmentRequest) -> None:
    """``Shipment.InvoiceLineTotal`` (whole units, at least 1), which UPS asks for from the US to Canada."""
    customs = shipment.customs
    if customs is None or not (shipment.shipper.uses_zip_codes and shipment.recipient.country == "CA"):
        return
    whole = max(Decimal(1), customs.invoice_total.amount.to_integral_value(rounding=ROUND_CEILING))
    shipment_body["InvoiceLineTotal"] = {"CurrencyCode": customs.invoice_total.currency, "MonetaryValue": f"{whole:f}"}


def add_customs(shipment_body: dict[str, Any], shipment: ShipmentRequest, account: str, invoice_number: str) -> None:
    """What a Ship request's ``Shipment`` carries abroad: the description, the tax ids, the invoice
    and the duties charge (nothing for a shipment that stays inside one country)."""
    customs = shipment.customs
    if customs is None or not shipment.needs_customs:
        return
    shipper_tax_id = _tax_id(customs.sender_tax_id, "customs.sender_tax_id")
    recipient_tax_id = _tax_id(customs.recipient_tax_id, "customs.recipient_tax_id")
    shipment_body["Description"] = _description(customs)
    if shipper_tax_id:  # a return's sender is the customer, UPS's ShipFrom (the Shipper is the merchant)
        shipment_body["ShipFrom" if shipment.is_return else "Shipper"]["TaxIdentificationNumber"] = shipper_tax_id
    if recipient_tax_id:
        shipment_body["ShipTo"]["TaxIdentificationNumber"] = recipient_tax_id
    add_invoice_total(shipment_body, shipment)
    if customs.duties_payer is DutiesPayer.SENDER:
        charges = shipment_body["PaymentInformation"]["ShipmentCharge"]
        charges.append({"Type": "02", "BillShipper": {"AccountNumber": account}})
    if customs.contents_type is ContentsType.DOCUMENTS:
        shipment_body["DocumentsOnlyIndicator"] = ""
        return
    options = shipment_body.setdefault("ShipmentServiceOptions", {})
    options["InternationalForms"] = _invoice(customs, shipment, invoice_number)


def _invoice(customs: Customs, shipment: ShipmentRequest, invoice_number: str) -> dict[str, Any]:
    products = []
    for line in customs.lines:
        product: dict[str, Any] = {
            "Description": _lines(line.description, PRODUCT_LINE_MAX, 3),
            "Unit": {
                "Number": str(line.quantity),
                "Value": f"{line.unit_value.normalize():f}",
                "UnitOfMeasurement": {"Code": "PCS"},
            },
            "OriginCountryCode": line.origin_country,
        }
        if line.hs_tariff_number:
            product["CommodityCode"] = line.hs_tariff_number
        products.append(product)
    forms: dict[str, Any] = {
        "FormType": ["05" if shipment.is_return else "01"],  # a return takes the partial invoice only
        "Product": products,
        "InvoiceNumber": (customs.invoice_number or invoice_number)[:35],
        "InvoiceDate": shipment.ship_date.strftime("%Y%m%d"),
        "ReasonForExport": REASONS[customs.contents_type],
        "CurrencyCode": customs.invoice_total.currency,
    }
    if customs.incoterm in TERMS_OF_SHIPMENT:
        forms["TermsOfShipment"] = customs.incoterm
    if customs.contents_explanation:
        forms["Comments"] = customs.contents_explanation
    return forms


def parse_documents(results: Mapping[str, Any]) -> tuple[ShippingDocument, ...]:
    """The commercial invoice UPS returned (``ShipmentResults.Form``), if any."""
    form = results.get("Form")
    if form is None:  # no invoice (a label at home): none of the checks below
        return ()
    image = form.get("Image") if isinstance(form, Mapping) else None
    if not isinstance(image, Mapping) or not image.get("GraphicImage"):
        return ()
    try:
        data = base64.b64decode(str(image["GraphicImage"]), validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("UPS's international forms image is not base64", operation="ship") from None
    code = (image.get("ImageFormat") or {}).get("Code") if isinstance(image.get("ImageFormat"), Mapping) else None
    return (ShippingDocument(kind=DocumentKind.COMMERCIAL_INVOICE, format=str(code or "PDF"), data=data),)
