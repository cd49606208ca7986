"""USPS return labels through the One Balance: which services have one and how the wire asks for it. No I/O.

A return label is an ordinary CreateIndicium whose rate says ``PrintLayout`` ``Return`` (SWSIM's
print layout of a return label, on v111 and v135 alike; ShipWorks' SWSIM client asks for returns the
same way). Its ``From`` is the customer sending the parcel back (the shipment's ``shipper``), its
``To`` the merchant (the ``recipient``, cleansed as any destination). The postage is paid from the
One Balance when the label is printed, as for an outbound label; a void refunds it the same way.

USPS sells return service only for parcels, only inside the ZIP code system, and only with the
services below (Priority Mail Express, Priority Mail, Ground Advantage and Parcel Select Ground
returns; First-Class Package returns went with First-Class Package in July 2023). Anything else is
refused before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from onebalance.core import ValidationError
from onebalance.shipments import PackageType, Rate, ShipmentRequest

__all__ = ["RETURN_LAYOUT", "RETURN_SERVICES", "check_return", "mark_return", "returnable"]

#: ``Rate.PrintLayout`` of a return label.
RETURN_LAYOUT = "Return"
#: The USPS services sold as return service.
RETURN_SERVICES = frozenset({"US-XM", "US-PM", "US-GA", "US-PS"})
#: Mail pieces USPS return service does not take (it is a parcel service).
_NOT_PARCELS = frozenset({PackageType.POSTCARD, PackageType.LETTER, PackageType.LARGE_ENVELOPE})


def _fail(field: str, text: str) -> ValidationError:
    return ValidationError(f"{field}: {text}", field=field)


def check_return(shipment: ShipmentRequest, service: str | None = None) -> None:
    """Refuse a return USPS does not sell: abroad, a letter or postcard, a service without returns."""
    if not shipment.is_return:
        return
    for field, address in (("shipper", shipment.shipper), ("recipient", shipment.recipient)):
        if not address.uses_zip_codes:
            raise _fail(f"{field}.country", "USPS return labels go to and from US ZIP codes only")
    for index, parcel in enumerate(shipment.parcels):
        if parcel.package_type in _NOT_PARCELS:
            raise _fail(f"parcels.{index}.package_type", "USPS return service takes parcels, not letters or cards")
    code = service or shipment.service
    if code is not None and code not in RETURN_SERVICES:
        raise _fail("service", f"{code} has no USPS return service (returns: {', '.join(sorted(RETURN_SERVICES))})")


def returnable(rates: Iterable[Rate], shipment: ShipmentRequest) -> list[Rate]:
    """``rates``, or for a return only the services USPS sells as return service."""
    if not shipment.is_return:
        return list(rates)
    return [rate for rate in rates if rate.service_code in RETURN_SERVICES]


def mark_return(wire_rate: dict[str, Any], shipment: ShipmentRequest) -> dict[str, Any]:
    """The CreateIndicium rate, with the return print layout when ``shipment`` is a return."""
    if shipment.is_return:
        wire_rate["PrintLayout"] = RETURN_LAYOUT
    return wire_rate
