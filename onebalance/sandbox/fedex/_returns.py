"""What the FedEx sandbox checks of a return shipment (special service ``RETURN_SHIPMENT``).

A return needs its ``returnShipmentDetail`` with ``returnType`` ``PRINT_RETURN_LABEL``: the sandbox
prints return labels; email return labels (``PENDING`` with a ``pendingShipmentDetail`` of
``EMAIL``) it does not offer. Either is 400 ``RETURNTYPE.INVALID``. A return carries one package
(400 ``RETURN.PACKAGECOUNT.INVALID`` otherwise). The codes are the sandbox's own; the real API
documents none for these.
"""

from __future__ import annotations

from typing import Any

from ._errors import FedexFault

__all__ = ["check_return", "is_return"]


def is_return(requested: dict[str, Any]) -> bool:
    services = requested.get("shipmentSpecialServices")
    types = services.get("specialServiceTypes") if isinstance(services, dict) else None
    return isinstance(types, list) and "RETURN_SHIPMENT" in types


def check_return(requested: dict[str, Any]) -> bool:
    """Whether ``requested`` is a return, refusing one FedEx would not print here."""
    if not is_return(requested):
        return False
    detail = requested["shipmentSpecialServices"].get("returnShipmentDetail")
    if not isinstance(detail, dict) or detail.get("returnType") != "PRINT_RETURN_LABEL":
        raise FedexFault(
            400, "RETURNTYPE.INVALID", "A return shipment needs returnShipmentDetail.returnType PRINT_RETURN_LABEL."
        )
    items = requested.get("requestedPackageLineItems")
    if not isinstance(items, list) or len(items) != 1:
        raise FedexFault(400, "RETURN.PACKAGECOUNT.INVALID", "A return shipment carries one package.")
    return True
