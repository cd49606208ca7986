"""FedEx abroad: which services cross a border, and what a shipment abroad carries (FedEx's JSON keys).

A shipment is abroad when :attr:`~carriers.ShipmentRequest.is_international` (the US and its
territories in the ZIP code system count as one country). Before anything is sent:

* a domestic-only service (FEDEX_2_DAY, the overnights, Home Delivery, Ground Economy; FEDEX_GROUND
  except to Canada, where it is FedEx International Ground) for a shipment abroad, and an
  international service for a shipment inside the US, are refused (``service``);
* a shipment abroad without ``shipment.customs`` is refused (``customs``), for rates too: FedEx's
  Rate API needs the commodities to rate a shipment abroad (rate-api.json: "Customs commodity data
  is required for international and intra-country rating").
"""

from __future__ import annotations

from typing import Any

from onebalance.core._errors import ValidationError
from onebalance.shipments._shipment import ShipmentRequest

__all__ = ["DOMESTIC_SERVICES", "INTERNATIONAL_SERVICES", "check_abroad", "check_service", "serves"]

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


def customs_of(shipment: ShipmentRequest) -> Any:
    """The shipment's customs data, or None."""
    return getattr(shipment, "customs", None)


def check_abroad(shipment: ShipmentRequest) -> None:
    """Refuse a shipment abroad without customs data, before anything is sent."""
    if shipment.is_international and customs_of(shipment) is None:
        raise ValidationError(
            f"customs: FedEx needs customs data to rate or ship to {shipment.recipient.country} "
            "(shipment.customs: the contents, their lines and values, who pays duties)",
            field="customs",
        )
