"""GetShipmentList and GetShipmentListByToken (SWSIM v111 and v135): the merchant's labels. No I/O.

``list_request`` / ``parse_page`` are the pair (``page_request`` asks for a later page by the
``ShipmentListToken`` the first answer gave). SWSIM filters on the print date only
(``Filters/PrintDateMin`` and ``PrintDateMax``, inclusive) and pages by ``ShipmentsPerPage`` (1 to
500); the status and the tracking number are filtered by the SDK (:mod:`._listing`). The items are
``ShipmentV32`` on v111 and ``ShipmentV39`` on v135 (read by whatever name the array holds them);
the SDK asks for the fields it reads (``IncludeFields``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

from onebalance.core import OneBalanceError
from onebalance.shipments import Address, Carrier, Money, RefundStatus, ShipmentRecord, ShipmentStatus

__all__ = ["LIST", "LIST_PAGE", "MAX_PAGE_SIZE", "list_request", "page_request", "parse_page", "record_from_wire"]

LIST, LIST_PAGE = "GetShipmentList", "GetShipmentListByToken"
#: ``ShipmentsPerPage`` is an integer from 1 to 500 (``integer-ge-1-le-500``) in both versions.
MAX_PAGE_SIZE = 500
#: The fields of each shipment the SDK reads.
INCLUDE = (
    "StampsTxId",
    "ShipmentStatus",
    "PrintDate",
    "MailDate",
    "DeliveredDate",
    "TrackingNumber",
    "Service",
    "ShipTo",
)
#: ``ShipmentStatusV2`` (both versions) as the neutral status, and where the refund stands.
_STATUS: dict[str, tuple[ShipmentStatus, RefundStatus]] = {
    "Printed": (ShipmentStatus.PRINTED, RefundStatus.NOT_APPLICABLE),
    "Unprinted": (ShipmentStatus.PRINTED, RefundStatus.NOT_APPLICABLE),
    "In Transit": (ShipmentStatus.IN_TRANSIT, RefundStatus.NOT_APPLICABLE),
    "Received at Opening Unit": (ShipmentStatus.IN_TRANSIT, RefundStatus.NOT_APPLICABLE),
    "Delivered": (ShipmentStatus.DELIVERED, RefundStatus.NOT_APPLICABLE),
    "Pending Refund": (ShipmentStatus.VOIDED, RefundStatus.PENDING),
    "Refunded": (ShipmentStatus.REFUNDED, RefundStatus.APPROVED),
    "Voided": (ShipmentStatus.VOIDED, RefundStatus.NOT_APPLICABLE),
    "Expired": (ShipmentStatus.EXPIRED, RefundStatus.NOT_APPLICABLE),
    "Recipient Action Required": (ShipmentStatus.ACTION_REQUIRED, RefundStatus.NOT_APPLICABLE),
    "Action Required": (ShipmentStatus.ACTION_REQUIRED, RefundStatus.NOT_APPLICABLE),
}


def list_request(start: date, end: date | None, page_size: int) -> dict[str, Any]:
    """GetShipmentList of the labels printed from ``start`` to ``end`` (inclusive; None: no end),
    ``page_size`` a page (the caller checked the range and the size)."""
    filters: dict[str, Any] = {"PrintDateMin": start}
    if end is not None:
        filters["PrintDateMax"] = end
    return {"ShipmentsPerPage": page_size, "Filters": filters, "IncludeFields": {"IncludeField": list(INCLUDE)}}


def page_request(token: str, number: int) -> dict[str, Any]:
    """GetShipmentListByToken: page ``number`` (from 1) of the list behind ``token``."""
    return {"ShipmentListToken": token, "PageNumber": number}


def parse_page(response: Mapping[str, Any]) -> tuple[list[ShipmentRecord], str, int]:
    """A page's records (in the service's order), the list's token and its number of pages."""
    found = [item for items in (response.get("Shipments") or {}).values() for item in (items or ())]
    records = [record_from_wire(item) for item in found if item]
    return records, str(response.get("ShipmentListToken") or ""), int(response.get("TotalPages") or 0)


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime) or value.year <= 1:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _recipient(wire: Mapping[str, Any] | None) -> Address | None:
    """``ShipTo`` as an Address; None when it holds too little to be one."""
    if not wire:
        return None
    zip5, zip4 = wire.get("ZIPCode"), wire.get("ZIPCodeAddOn")
    try:
        return Address(
            name=wire.get("FullName") or wire.get("Company") or "",
            company=wire.get("Company") or None,
            street_lines=[line for line in (wire.get(f"Address{i}") for i in (1, 2, 3)) if line],
            city=wire.get("City"),
            state=wire.get("State") or wire.get("Province"),
            postal_code=(f"{zip5}-{zip4}" if zip4 else zip5) if zip5 else wire.get("PostalCode"),
            country=wire.get("Country") or "US",
        )
    except OneBalanceError:
        return None


def record_from_wire(item: Mapping[str, Any]) -> ShipmentRecord:
    """One ``ShipmentV32``/``ShipmentV39`` as a :class:`ShipmentRecord`."""
    status, refund = _STATUS.get(str(item.get("ShipmentStatus")), (ShipmentStatus.UNKNOWN, RefundStatus.NOT_APPLICABLE))
    service = item.get("Service") or {}
    amount = service.get("Amount")
    mailed = _aware(item.get("MailDate"))
    printed = _aware(item.get("PrintDate")) or mailed or datetime(1970, 1, 1, tzinfo=timezone.utc)
    return ShipmentRecord(
        carrier=Carrier.USPS,
        tracking_number=item.get("TrackingNumber") or None,
        carrier_reference=item.get("StampsTxId") or None,
        service_code=service.get("ServiceType") or None,
        status=status,
        printed_at=printed,
        ship_date=mailed.date() if mailed else None,
        delivered_at=_aware(item.get("DeliveredDate")),
        cost=Money.rounded(amount) if amount is not None else None,
        refund_status=refund,
        recipient=_recipient(item.get("ShipTo")),
    )
