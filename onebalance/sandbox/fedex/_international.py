"""FedEx abroad in the sandbox: the services by destination, and the customs a shipment abroad carries.

As FedEx does:

* Rates answer the services that go where the shipment goes: inside the US (the ZIP code system is
  one country) Ground, 2Day and the overnights; abroad International Priority and Economy, and
  FedEx Ground to Canada (FedEx International Ground). A service named where it does not go is
  ``SERVICE.TYPE.INVALID``.
* A shipment abroad carries ``customsClearanceDetail`` with its ``commodities``, to rate it too
  ("Customs commodity data is required for international and intra-country rating", rate-api.json;
  without it ``RATE.CUSTOMCLEARANCEDETAIL.INVALID``, "Customs clearance detail cannot be null").
  To ship: each commodity's description, country of manufacture, quantity and units, customs value
  and weight (in the packages' unit); ``dutiesPayment`` (SENDER: the shipper's account, RECIPIENT,
  or THIRD_PARTY naming its account); ``totalCustomsValue``, when given, the commodities' sum.
* ``shippingDocumentSpecification.shippingDocumentTypes`` with ``COMMERCIAL_INVOICE`` returns the
  invoice (a PDF) in ``shipmentDocuments`` beside the label.
"""

from __future__ import annotations

import base64
import re
from decimal import Decimal
from typing import Any

from .._shared import _abroad, _images
from . import _rates
from ._errors import FedexFault

__all__ = ["check_rate", "check_ship", "documents", "services", "zone"]

DOMESTIC = ("FEDEX_GROUND", "FEDEX_2_DAY", "STANDARD_OVERNIGHT", "PRIORITY_OVERNIGHT")
INTERNATIONAL = ("INTERNATIONAL_ECONOMY", "FEDEX_INTERNATIONAL_PRIORITY")
_COUNTRY = re.compile(r"[A-Z]{2}")
_DUTIES_TYPES = frozenset({"SENDER", "RECIPIENT", "THIRD_PARTY"})


def _invalid(what: str) -> FedexFault:
    return FedexFault(400, "INVALID.INPUT.EXCEPTION", f"Invalid field value in the input: {what}.")


def _countries(origin: dict[str, Any], destination: dict[str, Any]) -> tuple[str, str]:
    return str(origin.get("countryCode")), str(destination.get("countryCode"))


def services(origin: dict[str, Any], destination: dict[str, Any]) -> list[str]:
    """The service types that go from ``origin`` to ``destination`` (request address objects)."""
    here, there = _countries(origin, destination)
    if _abroad.domestic(here, there):
        return [s for s in _rates.SERVICES if s in DOMESTIC]
    offered = [s for s in _rates.SERVICES if s in INTERNATIONAL]
    if here in _abroad.ZIP_SYSTEM and there == "CA":
        offered.insert(0, "FEDEX_GROUND")  # FedEx International Ground
    return offered


def zone(origin: dict[str, Any], destination: dict[str, Any]) -> int:
    here, there = _countries(origin, destination)
    if _abroad.domestic(here, there):
        return _rates.zone(str(origin.get("postalCode") or ""), str(destination.get("postalCode") or ""))
    return _abroad.zone(there)


def check_service(service: str, origin: dict[str, Any], destination: dict[str, Any]) -> None:
    if service not in services(origin, destination):
        raise FedexFault(
            400,
            "SERVICE.TYPE.INVALID",
            f"The service type {service} is not available between the origin and the destination.",
        )


def _abroad_of(origin: dict[str, Any], destination: dict[str, Any]) -> bool:
    """Whether the shipment goes through customs (abroad, but not between two EU countries)."""
    return _abroad.through_customs(*_countries(origin, destination))


def check_rate(requested: dict[str, Any], origin: dict[str, Any], destination: dict[str, Any]) -> None:
    """A rate abroad needs the commodities."""
    if not _abroad_of(origin, destination):
        return
    customs = requested.get("customsClearanceDetail")
    if not isinstance(customs, dict) or not isinstance(customs.get("commodities"), list) or not customs["commodities"]:
        raise FedexFault(400, "RATE.CUSTOMCLEARANCEDETAIL.INVALID", "Customs clearance detail cannot be null.")


def check_ship(requested: dict[str, Any], origin: dict[str, Any], destination: dict[str, Any], account: str) -> None:
    """Refuse what FedEx refuses of a shipment abroad's customs (nothing to check inside the US)."""
    if not _abroad_of(origin, destination):
        return
    customs = requested.get("customsClearanceDetail")
    if not isinstance(customs, dict):
        raise FedexFault(400, "SHIPMENT.CUSTOMCLEARANCEDETAIL.INVALID", "Customs clearance detail cannot be null.")
    if not isinstance(customs.get("commercialInvoice"), dict):
        raise _invalid("customsClearanceDetail.commercialInvoice is required")
    commodities = customs.get("commodities")
    if not isinstance(commodities, list) or not commodities:
        raise FedexFault(400, "COMMODITIES.REQUIRED", "Commodities are required for an international shipment.")
    units = {
        (item.get("weight") or {}).get("units")
        for item in requested.get("requestedPackageLineItems") or []
        if isinstance(item, dict)
    }
    total = Decimal(0)
    currencies = set()
    for index, commodity in enumerate(commodities, start=1):
        total += _commodity(commodity, index, units)
        currencies.add(commodity["customsValue"]["currency"])
    _duties(customs.get("dutiesPayment"), account)
    stated = customs.get("totalCustomsValue")
    if stated is not None:
        amount = _amount(stated.get("amount") if isinstance(stated, dict) else None)
        if amount is None or amount != total or stated.get("currency") not in currencies:
            raise FedexFault(
                400,
                "TOTALCUSTOMSVALUE.INVALID",
                "The total customs value must be the sum of the commodities' customs values, in their currency.",
            )


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = Decimal(str(value))
    return number.quantize(Decimal("0.01")) if number.is_finite() else None


def _commodity(commodity: Any, index: int, units: set[Any]) -> Decimal:
    """Check one commodity; its customs value."""
    if not isinstance(commodity, dict):
        raise _invalid(f"commodities[{index}]")
    description = commodity.get("description")
    if not isinstance(description, str) or not description.strip() or len(description) > 450:
        raise FedexFault(400, "COMMODITY.DESCRIPTION.REQUIRED", f"Commodity {index} - description is required.")
    country = commodity.get("countryOfManufacture")
    if not isinstance(country, str) or not _COUNTRY.fullmatch(country):
        raise FedexFault(400, "COUNTRYOFMANUFACTURE.INVALID", f"Commodity {index} - country of manufacture is invalid.")
    quantity = commodity.get("quantity")
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or quantity <= 0
        or not commodity.get("quantityUnits")
    ):
        raise FedexFault(400, "COMMODITY.QUANTITY.INVALID", f"Commodity {index} - quantity is invalid.")
    value = commodity.get("customsValue")
    amount = _amount(value.get("amount")) if isinstance(value, dict) else None
    if amount is None or amount <= 0 or not isinstance(value, dict) or not value.get("currency"):
        raise FedexFault(400, "CUSTOMSVALUE.INVALID", f"Commodity {index} - customs value is invalid.")
    weight = commodity.get("weight")
    if not isinstance(weight, dict) or (_amount(weight.get("value")) or 0) <= 0:
        raise FedexFault(400, "COMMODITY.WEIGHT.INVALID", f"Commodity {index} - weight is invalid.")
    if units and {weight.get("units")} != units:
        raise FedexFault(
            400, "COMMODITY.WEIGHT.INVALID", f"Commodity {index} - the package and commodity weight units must match."
        )
    return amount


def _duties(payment: Any, account: str) -> None:
    if not isinstance(payment, dict) or payment.get("paymentType") not in _DUTIES_TYPES:
        raise FedexFault(
            400, "DUTIESPAYMENT.PAYMENTTYPE.INVALID", "Duties payment type is not compatible with destination country."
        )
    payor = ((payment.get("payor") or {}).get("responsibleParty") or {}).get("accountNumber") or {}
    payor_account = payor.get("value") if isinstance(payor, dict) else None
    if payment["paymentType"] == "SENDER" and payor_account is not None and payor_account != account:
        raise FedexFault(
            400,
            "ACCOUNT.NUMBER.MISMATCH",
            "When duties payment Type is SENDER, the payor AccountNumber should match the shipper account number.",
        )
    if payment["paymentType"] == "THIRD_PARTY" and not payor_account:
        raise FedexFault(400, "ACCOUNT.NUMBER.INVALID", "A THIRD_PARTY duties payment names the payor's account.")


def documents(requested: dict[str, Any], response_options: str, tracking: str) -> list[dict[str, Any]]:
    """The shipment's documents asked for in ``shippingDocumentSpecification`` (the commercial invoice)."""
    specification = requested.get("shippingDocumentSpecification")
    kinds = specification.get("shippingDocumentTypes") if isinstance(specification, dict) else None
    if not isinstance(kinds, list) or "COMMERCIAL_INVOICE" not in kinds:
        return []
    if requested.get("customsClearanceDetail") is None:
        raise _invalid("a commercial invoice needs customsClearanceDetail")
    document: dict[str, Any] = {
        "contentType": "COMMERCIAL_INVOICE",
        "copiesToPrint": 3,
        "docType": "PDF",
        "trackingNumber": tracking,
    }
    if response_options == "LABEL":
        document["encodedLabel"] = base64.b64encode(_images.COMMERCIAL_INVOICE_PDF).decode()
    else:
        document["url"] = f"https://fedex.sandbox.test/documents/{tracking}/commercial-invoice"
    return [document]
