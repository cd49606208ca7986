"""UPS abroad in the sandbox: the services by destination, and what a shipment abroad must carry.

As UPS does:

* Rating's Shop answers the services that go where the shipment goes: inside the US (the ZIP code
  system is one country) Ground and the air services; abroad the worldwide services (Expedited,
  Saver, Express, Express Plus), and UPS Standard between the US and Canada or Mexico. A service
  asked for where it does not go is ``111210`` (Rating) or ``121210`` (Shipping), "The requested
  service is unavailable between the selected locations".
* A shipment abroad carries a ``Shipment.Description`` and the commercial invoice in
  ``ShipmentServiceOptions.InternationalForms`` (FormType 01: the products with their quantity,
  value and origin, the invoice number and date, the reason for export, the currency), unless it
  is documents only (``DocumentsOnlyIndicator``) or all UPS Letters; US to Canada also needs
  ``Shipment.InvoiceLineTotal``. The answer's ``ShipmentResults.Form`` is the invoice, a PDF.
* A duties and taxes charge (``ShipmentCharge`` type 02) is invalid inside one country (and
  between two EU countries, which need no customs either); billed to
  the shipper, its account is the shipper's; billed to the receiver, it names the receiver's
  account. Without one, the receiver pays duties on delivery.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from .._shared import _abroad, _images
from . import _rates
from ._errors import UpsFault, missing
from ._wire import as_list, dig

__all__ = ["check_ship", "services", "ship_from", "zone"]

DOMESTIC = ("03", "12", "02", "01")
WORLDWIDE = ("08", "65", "07", "54")
STANDARD = "11"
_DATE = re.compile(r"\d{8}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_DIGITS = re.compile(r"\d{1,7}")


def _countries(origin: Mapping[str, str], destination: Mapping[str, str]) -> tuple[str, str]:
    return origin["countryCode"], destination["countryCode"]


def ship_from(shipment: Mapping[str, Any], shipper: Mapping[str, str]) -> Mapping[str, str]:
    """Where the parcel starts, as Rating says ("from the ShipFrom to the ShipTo addresses"): the
    ``ShipFrom`` address when there is one (a return's customer), else the shipper's."""
    address = dig(shipment, "ShipFrom", "Address")
    if not isinstance(address, Mapping) or not address.get("CountryCode"):
        return shipper
    return {"countryCode": str(address["CountryCode"]), "postalCode": str(address.get("PostalCode") or "")}


def services(origin: Mapping[str, str], destination: Mapping[str, str]) -> list[str]:
    """The service codes that go from ``origin`` to ``destination`` (the handler's address dicts)."""
    here, there = _countries(origin, destination)
    if _abroad.domestic(here, there):
        return [code for code in _rates.SERVICES if code in DOMESTIC]
    codes = [code for code in _rates.SERVICES if code in WORLDWIDE]
    if (here in _abroad.ZIP_SYSTEM and there in _abroad.NEIGHBOURS) or (
        here in _abroad.NEIGHBOURS and there in _abroad.ZIP_SYSTEM
    ):
        codes.insert(0, STANDARD)
    return codes


def zone(origin: Mapping[str, str], destination: Mapping[str, str]) -> int:
    """The price zone: from the ZIP codes inside the US, from the destination country abroad."""
    here, there = _countries(origin, destination)
    if _abroad.domestic(here, there):
        return _rates.zone(origin.get("postalCode", ""), destination.get("postalCode", ""))
    return _abroad.zone(there)


def check_ship(
    shipment: Mapping[str, Any], origin: Mapping[str, str], destination: Mapping[str, str], service: str, shipper: str
) -> dict[str, Any] | None:
    """Refuse what UPS refuses of a Ship request's service, duties and customs; the answer's
    ``Form`` (the commercial invoice) for a shipment abroad, else None. A return (``ReturnService``)
    starts at its ``ShipFrom`` (the customer), and takes only the partial invoice (FormType 05)."""
    returned = "ReturnService" in shipment
    if service not in services(origin, destination):
        raise UpsFault(400, "121210", "The requested service is unavailable between the selected locations.")
    customs = _abroad.through_customs(*_countries(origin, destination))
    _check_duties(shipment, shipper, domestic=not customs)
    if not customs:
        return None
    packages = as_list(dig(shipment, "Package"))
    letters = bool(packages) and all(dig(p, "Packaging", "Code") == "01" for p in packages)
    if "DocumentsOnlyIndicator" in shipment or letters:
        return None
    if not dig(shipment, "Description"):
        raise missing("Shipment Description (required for a shipment abroad)")
    forms = dig(shipment, "ShipmentServiceOptions", "InternationalForms")
    kinds = as_list(forms.get("FormType")) if isinstance(forms, Mapping) else []
    if returned and not (kinds and set(kinds) <= {"05", "10"}):
        raise missing("InternationalForms FormType: a return takes 05 (partial invoice) or 10 only")
    if not returned and "05" in kinds:
        raise missing("InternationalForms FormType: 05 (partial invoice) is for returns only")
    if not isinstance(forms, Mapping) or not ({"01", "05"} & set(kinds)):
        raise missing("InternationalForms: a shipment abroad needs the commercial invoice (FormType 01)")
    _check_invoice(forms)
    to_canada = origin["countryCode"] in _abroad.ZIP_SYSTEM and destination["countryCode"] == "CA"
    if to_canada and not dig(shipment, "InvoiceLineTotal", "MonetaryValue"):
        raise missing("InvoiceLineTotal (required from the US to Canada)")
    return {
        "Code": "01",
        "Description": "All Requested International Forms",
        "Image": {
            "ImageFormat": {"Code": "PDF", "Description": "PDF"},
            "GraphicImage": base64.b64encode(_images.COMMERCIAL_INVOICE_PDF).decode(),
        },
        "FormGroupId": secrets.token_hex(13).upper(),
    }


def _check_duties(shipment: Mapping[str, Any], shipper: str, *, domestic: bool) -> None:
    charges = [c for c in as_list(dig(shipment, "PaymentInformation", "ShipmentCharge")) if isinstance(c, Mapping)]
    duties = [c for c in charges if c.get("Type") == "02"]
    if not duties:
        return
    if domestic:
        raise UpsFault(400, "120414", "Shipment charge type 02 (duties and taxes) is invalid for a domestic shipment")
    if len(duties) > 1:
        raise UpsFault(400, "120415", "At most one shipment charge of type 02 (duties and taxes) is allowed")
    (charge,) = duties
    payers = [key for key in ("BillShipper", "BillReceiver", "BillThirdParty") if key in charge]
    if len(payers) != 1:
        raise missing("payer of the duties and taxes charge")
    account = dig(charge, payers[0], "AccountNumber")
    if payers[0] == "BillShipper" and account != shipper:
        raise UpsFault(400, "111580", "Missing or Invalid account number for Payment Details")
    if not (isinstance(account, str) and len(account) == 6):
        raise UpsFault(400, "111580", "Missing or Invalid account number for Payment Details")


def _check_invoice(forms: Mapping[str, Any]) -> None:
    products = [p for p in as_list(forms.get("Product")) if isinstance(p, Mapping)]
    if not products:
        raise missing("InternationalForms Product")
    for index, product in enumerate(products, start=1):
        lines = as_list(product.get("Description"))
        if not lines or len(lines) > 3 or not all(isinstance(line, str) and 1 <= len(line) <= 35 for line in lines):
            raise missing(f"Product {index} Description")
        number, value = dig(product, "Unit", "Number"), dig(product, "Unit", "Value")
        if not (isinstance(number, str) and _DIGITS.fullmatch(number) and int(number) > 0):
            raise missing(f"Product {index} Unit Number")
        if not dig(product, "Unit", "UnitOfMeasurement", "Code"):
            raise missing(f"Product {index} Unit UnitOfMeasurement")
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            amount = Decimal(0)
        if not amount.is_finite() or amount <= 0:
            raise missing(f"Product {index} Unit Value (greater than zero)")
        origin = product.get("OriginCountryCode")
        if not (isinstance(origin, str) and _COUNTRY.fullmatch(origin)):
            raise missing(f"Product {index} OriginCountryCode")
    if not (isinstance(forms.get("InvoiceDate"), str) and _DATE.fullmatch(forms["InvoiceDate"])):
        raise missing("InternationalForms InvoiceDate")
    for key in ("InvoiceNumber", "ReasonForExport", "CurrencyCode"):
        if not forms.get(key):
            raise missing(f"InternationalForms {key}")
