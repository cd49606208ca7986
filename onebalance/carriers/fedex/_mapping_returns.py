"""FedEx return labels: what a return changes in a Ship request, and what is refused. No I/O.

A return is a shipment with the special service ``RETURN_SHIPMENT`` and its
``returnShipmentDetail`` of ``returnType`` ``PRINT_RETURN_LABEL`` (ship-api.json: "RETURN_SHIPMENT
is required for creating return shipments"; PRINT_RETURN_LABEL "for printed return label
shipments"). The ``shipper`` is the customer sending the parcel back and the ``recipients`` the
merchant, as in the neutral shipment; the charges stay billed (``SENDER``) to the merchant's own
account, the account the request is made with (``accountNumber``).

Refused before anything is sent: a return of more than one package (FedEx prints a return label
for one package per shipment; the sandbox refuses it too).
"""

from __future__ import annotations

from typing import Any

from onebalance.core import ValidationError
from onebalance.shipments import ShipmentRequest

__all__ = ["check_return", "mark_return"]


def check_return(shipment: ShipmentRequest) -> None:
    """Refuse a return FedEx does not print: more than one package."""
    if shipment.is_return and len(shipment.parcels) != 1:
        raise ValidationError(
            "parcels: a FedEx return label carries one package: buy a return label for each parcel",
            field="parcels",
        )


def mark_return(requested: dict[str, Any], shipment: ShipmentRequest) -> dict[str, Any]:
    """The ``requestedShipment`` of a Ship request, with the return special service of a return."""
    if shipment.is_return:
        check_return(shipment)
        services = requested.setdefault("shipmentSpecialServices", {})
        services.setdefault("specialServiceTypes", []).append("RETURN_SHIPMENT")
        services["returnShipmentDetail"] = {"returnType": "PRINT_RETURN_LABEL"}
    return requested
