"""FedEx tracking: pure functions from a tracking number to the request and from FedEx's answer to
the neutral :class:`Tracking`. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from onebalance.core import ProtocolError, UnknownFault
from onebalance.shipments import Carrier, Tracking, TrackingEvent, TrackingStatus

from .._rest._request import Request
from ._mapping import _output, _text

__all__ = ["parse_tracking", "track_request"]

TRACK_PATH = "/track/v1/trackingnumbers"
#: FedEx ``derivedCode`` → neutral status (karrio's mapping, CARRIERS.md §2.6).
_STATUS: dict[str, TrackingStatus] = {
    **dict.fromkeys(("OC", "IN"), TrackingStatus.PRE_TRANSIT),
    **dict.fromkeys(("PU", "PX", "IT", "AR", "DP", "AF"), TrackingStatus.IN_TRANSIT),
    "OD": TrackingStatus.OUT_FOR_DELIVERY,
    "DL": TrackingStatus.DELIVERED,
    **dict.fromkeys(("DE", "SE", "CD"), TrackingStatus.EXCEPTION),
    "CA": TrackingStatus.VOIDED,  # "Shipment cancelled by sender"
    **dict.fromkeys(("RS", "RP"), TrackingStatus.RETURNED),
}


def track_request(tracking_number: str) -> Request:
    """``POST /track/v1/trackingnumbers`` for one number, with every scan."""
    request = {
        "includeDetailedScans": True,
        "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": tracking_number}}],
    }
    return Request("track", "POST", TRACK_PATH, request)


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _status(code: Any) -> TrackingStatus:
    return _STATUS.get(str(code or "").upper(), TrackingStatus.UNKNOWN)


def parse_tracking(body: Mapping[str, Any], tracking_number: str) -> Tracking:
    """The first result for the number; a per-number ``error`` (HTTP 200) becomes :class:`UnknownFault`."""
    results = _output(body, "track").get("completeTrackResults") or []
    tracks = (results[0].get("trackResults") or []) if results else []
    if not tracks:
        raise ProtocolError("FedEx's track answer has no trackResults", operation="track")
    result = tracks[0]
    error = result.get("error")
    if isinstance(error, Mapping) and error.get("code"):
        raise UnknownFault(
            str(error.get("message") or "FedEx could not track this number"),
            operation="track",
            code=str(error["code"]),
            http_status=200,
            transaction_id=_text(body.get("transactionId")),
        )
    events = []
    for scan in result.get("scanEvents") or []:
        occurred = _when(scan.get("date"))
        if occurred is None:
            continue
        place = scan.get("scanLocation") or {}
        events.append(
            TrackingEvent(
                occurred_at=occurred,
                status=_status(scan.get("derivedStatusCode")),
                description=str(scan.get("eventDescription") or "")[:500],
                city=place.get("city") or None,
                state=place.get("stateOrProvinceCode") or None,
                postal_code=place.get("postalCode") or None,
                country=place.get("countryCode") or None,
            )
        )
    latest = result.get("latestStatusDetail") or {}
    estimated = None
    for stamp in result.get("dateAndTimes") or []:
        if stamp.get("type") == "ESTIMATED_DELIVERY":
            moment = _when(stamp.get("dateTime"))
            estimated = moment.date() if moment else None
    return Tracking(
        carrier=Carrier.FEDEX,
        tracking_number=tracking_number,
        status=_status(latest.get("derivedCode") or latest.get("code")),
        events=tuple(events),
        estimated_delivery=estimated,
    )
