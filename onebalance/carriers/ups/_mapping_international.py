"""UPS abroad: which services cross a border, and what a shipment abroad carries (UPS's JSON keys).

A shipment is abroad when :attr:`~carriers.ShipmentRequest.is_international` (the US and its
territories in the ZIP code system are one country here, as UPS's "qualified domestic shipment"
US to PR is). Before anything is sent:

* a domestic-only service (Ground ``03``, the air services ``01 02 12 13 14 59``) for a shipment
  abroad, and a worldwide service for a shipment inside the US, are refused
  (:class:`~onebalance.ValidationError` on ``service``);
* a label abroad without ``shipment.customs`` is refused (``customs``). Rates abroad need no
  customs: UPS Rating prices a shipment abroad without them.

Rates keep only the services that go where the shipment goes (UPS's Shop answers so; a service
that does not is left out rather than sold).
"""

from __future__ import annotations

from typing import Any

from onebalance.core._errors import ValidationError
from onebalance.shipments._shipment import ShipmentRequest

__all__ = [
    "DOMESTIC_SERVICES",
    "INTERNATIONAL_SERVICES",
    "check_abroad",
    "check_service",
    "serves",
]

#: Services UPS sells only inside the US (and between the US and its territories).
DOMESTIC_SERVICES = frozenset({"01", "02", "03", "12", "13", "14", "59"})
#: Services that cross a border: Worldwide Express, Expedited, Express Plus, Saver, Standard
#: (to and from Canada and Mexico), Worldwide Economy DDU/DDP, Express 12:00, Express Freight.
INTERNATIONAL_SERVICES = frozenset({"07", "08", "11", "17", "54", "65", "72", "74", "96"})


def serves(shipment: ShipmentRequest, service: str) -> bool:
    """Whether ``service`` goes where ``shipment`` goes (unknown codes: as UPS says)."""
    if shipment.is_international:
        return service not in DOMESTIC_SERVICES
    if shipment.shipper.uses_zip_codes:  # inside the US: the worldwide services are not sold
        return service not in INTERNATIONAL_SERVICES
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


def customs_of(shipment: ShipmentRequest) -> Any:
    """The shipment's customs data, or None."""
    return getattr(shipment, "customs", None)


def check_abroad(shipment: ShipmentRequest) -> None:
    """Refuse a label abroad without customs data, before anything is sent."""
    if shipment.is_international and customs_of(shipment) is None:
        raise ValidationError(
            f"customs: a UPS label to {shipment.recipient.country} needs customs data "
            "(shipment.customs: the contents, their lines and values, who pays duties)",
            field="customs",
        )
