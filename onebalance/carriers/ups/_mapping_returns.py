"""UPS return labels: what a return changes in a Rate or Ship request, and what UPS refuses. No I/O.

A return is UPS's Print Return Label (``Shipment.ReturnService.Code`` ``9``, "UPS Print Return
Label"): the shipment is a return as soon as that container is there (Shipping.yaml). UPS bills
the account of the ``Shipper``, so the ``Shipper`` is the merchant (its shipper number, at the
shipment's ``recipient``, the merchant receiving the parcel back), ``ShipFrom`` the customer
sending it (the shipment's ``shipper``) and ``ShipTo`` the merchant. The charges stay billed to
the merchant's own account (``BillShipper``), as credit cards are not valid with return service.

What UPS requires or refuses for a return (Shipping.yaml): every package carries a ``Description``
(at most 35 characters; the parcel's reference, else the shipment's, else "Returned goods"), and a
package of a return cannot be voided on its own ("Package level Void is not applicable for return
service"): the whole shipment is voided.
"""

from __future__ import annotations

from typing import Any

from onebalance.core import ValidationError
from onebalance.shipments import Address, Label, ShipmentRequest

__all__ = ["PRINT_RETURN_LABEL", "billed_party", "check_return_void", "mark_return"]

#: ``Shipment.ReturnService``: UPS Print Return Label (PRL).
PRINT_RETURN_LABEL = {"Code": "9", "Description": "UPS Print Return Label"}
_DESCRIPTION_MAX = 35
_DEFAULT_DESCRIPTION = "Returned goods"


def billed_party(shipment: ShipmentRequest) -> Address:
    """The address of UPS's ``Shipper`` (the account billed): the merchant, which is the
    ``recipient`` of a return and the ``shipper`` of an outbound label."""
    return shipment.recipient if shipment.is_return else shipment.shipper


def mark_return(body: dict[str, Any], shipment: ShipmentRequest) -> dict[str, Any]:
    """A Ship request's ``Shipment``, with the return service and the package descriptions of a return."""
    if not shipment.is_return:
        return body
    body["ReturnService"] = dict(PRINT_RETURN_LABEL)
    for package, parcel in zip(body["Package"], shipment.parcels, strict=True):
        text = parcel.reference or shipment.reference or _DEFAULT_DESCRIPTION
        package["Description"] = text[:_DESCRIPTION_MAX]
    return body


def check_return_void(label: Label, package: str | None) -> None:
    """Refuse voiding one package of a return label: UPS voids a return shipment whole."""
    if label.is_return and package is not None:
        raise ValidationError(
            "package: a UPS return label is voided whole (UPS has no package-level void for return service)",
            field="package",
        )
