"""UPS Tracking v1: pure functions from a tracking number to the request and from UPS's answer to
the neutral :class:`Tracking`. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from onebalance.core import LabelNotFound, ProtocolError, ValidationError
from onebalance.shipments import Carrier, Tracking, TrackingEvent, TrackingStatus

from .._rest._request import Request
from ._mapping import _MAPPING, _list

__all__ = ["parse_tracking", "track_request"]

TRACK_PATH = "/api/track/v1/details/"
#: UPS tracking status ``type`` → neutral status.
_TRACK_TYPES: dict[str, TrackingStatus] = {
    "M": TrackingStatus.PRE_TRANSIT,
    "MV": TrackingStatus.VOIDED,  # "Billing Information Voided": the shipper voided the label
    "P": TrackingStatus.IN_TRANSIT,
    "I": TrackingStatus.IN_TRANSIT,
    "O": TrackingStatus.OUT_FOR_DELIVERY,
    "D": TrackingStatus.DELIVERED,
    "X": TrackingStatus.EXCEPTION,
    "RS": TrackingStatus.RETURNED,
}


def track_request(tracking_number: str) -> Request:
    """Tracking v1's details of one number (UPS's numbers are letters and digits only)."""
    if not tracking_number.isalnum():
        raise ValidationError("tracking_number: must be letters and digits", field="tracking_number")
    return Request("track", "GET", f"{TRACK_PATH}{tracking_number}?locale=en_US")


def _when(activity: Mapping[str, Any]) -> datetime | None:
    day, time = str(activity.get("date", "")), str(activity.get("time", "000000")).ljust(6, "0")
    offset = str(activity.get("gmtOffset", "") or "")
    try:
        naive = datetime.strptime(day + time[:6], "%Y%m%d%H%M%S")
    except ValueError:
        return None
    tz = timezone.utc
    if offset and offset[0] in "+-" and len(offset) >= 6:
        sign = -1 if offset[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    return naive.replace(tzinfo=tz)


def _status(node: Any) -> TrackingStatus:
    kind = str((node or {}).get("type", "")).upper() if isinstance(node, _MAPPING) else ""
    return _TRACK_TYPES.get(kind, TrackingStatus.UNKNOWN)


def parse_tracking(body: Any, tracking_number: str) -> Tracking:
    """The package's status and scans, newest first; UPS's "no tracking information" warning is
    :class:`LabelNotFound`."""
    root = body.get("trackResponse") if isinstance(body, _MAPPING) else None
    if not isinstance(root, _MAPPING):
        raise ProtocolError("UPS track answer has no trackResponse", operation="track")
    for shipment in _list(root.get("shipment")):
        for warning in _list(shipment.get("warnings")):
            code = str(warning.get("code", ""))
            raise LabelNotFound(str(warning.get("message") or "No tracking information"), code=code, operation="track")
        for package in _list(shipment.get("package")):
            events = []
            for activity in _list(package.get("activity")):
                when = _when(activity)
                if when is None:
                    continue
                address = (activity.get("location") or {}).get("address") or {}
                events.append(
                    TrackingEvent(
                        occurred_at=when,
                        status=_status(activity.get("status")),
                        description=str((activity.get("status") or {}).get("description", ""))[:500],
                        city=address.get("city") or None,
                        state=address.get("stateProvince") or None,
                        postal_code=address.get("postalCode") or None,
                        country=address.get("countryCode") or None,
                    )
                )
            estimated: date | None = None
            for item in _list(package.get("deliveryDate")):
                if item.get("type") in ("SDD", "RDD"):
                    try:
                        estimated = datetime.strptime(str(item.get("date")), "%Y%m%d").date()
                    except ValueError:
                        estimated = None
            current = package.get("currentStatus")
            status = _status(current) if current else (events[0].status if events else TrackingStatus.UNKNOWN)
            if not current and events:
                status = max(events, key=lambda e: e.occurred_at).status
            return Tracking(
                carrier=Carrier.UPS,
                tracking_number=str(package.get("trackingNumber") or tracking_number),
                status=status,
                events=tuple(events),
                estimated_delivery=estimated,
            )
    raise LabelNotFound("UPS has no tracking information for this number", operation="track")
