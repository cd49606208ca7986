"""What the UPS sandbox checks of a return shipment, as Shipping.yaml says UPS does.

A shipment is a return when ``Shipment.ReturnService`` is there. The sandbox prints Print Return
Labels only (code ``9``; the other return services, electronic or mailed labels and Pack &
Collect, print nothing here: 120002 "Missing or invalid ReturnService code"). A return needs its
``ShipFrom`` (where the parcel is picked up: the customer) and a ``Description`` on every package
(both 120002 when missing). A return shipment is voided whole: a package-level void of one answers
190100 ("Package level Void is not applicable for return service").
"""

from __future__ import annotations

from typing import Any

from ._errors import UpsFault, missing
from ._wire import as_list, dig

__all__ = ["PRINT_RETURN_LABEL", "check_return", "check_return_void", "is_return"]

PRINT_RETURN_LABEL = "9"


def is_return(shipment: Any) -> bool:
    return dig(shipment, "ReturnService") is not None


def check_return(shipment: Any) -> None:
    """Refuse a return shipment UPS would refuse (nothing to check for a forward shipment)."""
    if not is_return(shipment):
        return
    if str(dig(shipment, "ReturnService", "Code") or "") != PRINT_RETURN_LABEL:
        raise missing("ReturnService code")
    if not as_list(dig(shipment, "ShipFrom", "Address", "AddressLine")):
        raise missing("ShipFrom address")
    for package in as_list(dig(shipment, "Package")):
        if not str(dig(package, "Description") or "").strip():
            raise missing("Package Description")


def check_return_void(returned: bool, tracking: list[str]) -> None:
    if returned and tracking:
        raise UpsFault(400, "190100", "Package level Void is not applicable for return service")
