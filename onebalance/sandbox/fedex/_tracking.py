"""What happens to a FedEx sandbox shipment after it is bought: cancelled (whole, or one package at
a time) and tracked (every package by its own tracking number), on the sandbox's clock.

``PUT /ship/v1/shipments/cancel`` names a tracking number: with ``deletionControl``
``DELETE_ALL_PACKAGES`` (the spec's one value: "cancel all tracking numbers associated to the
shipment") every package of that number's shipment is cancelled; without it only the package that
number names. A shipment is cancelled once all its packages are. A package picked up cannot be.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from . import _rates, _transit
from ._errors import FedexFault
from ._state import FedexState, Shipment
from ._wire import success

__all__ = ["DEPARTED_AFTER", "OUT_FOR_DELIVERY_BEFORE", "PICKUP_AFTER", "cancel", "shipment_of", "track"]

#: How long after the label each scan happens (the last two counted back from delivery).
PICKUP_AFTER = timedelta(hours=2)
DEPARTED_AFTER = timedelta(hours=6)
OUT_FOR_DELIVERY_BEFORE = timedelta(hours=5)
DELETE_ALL = "DELETE_ALL_PACKAGES"


def shipment_of(state: FedexState, number: str) -> Shipment | None:
    """The shipment a package's (or the master's) tracking number belongs to."""
    master = state.packages.get(number)
    return state.shipments.get(master) if master is not None else None


# -- cancel ---------------------------------------------------------------------------------------
def cancel(state: FedexState, account: str, payload: dict[str, Any], customer_id: str | None) -> dict[str, Any]:
    """Cancel the shipment of ``trackingNumber`` (DELETE_ALL_PACKAGES) or only that package."""
    number = payload.get("trackingNumber")
    if not isinstance(number, str) or not number:
        raise FedexFault(
            400, "INVALID.INPUT.EXCEPTION", "Invalid field value in the input: trackingNumber is required."
        )
    control = payload.get("deletionControl")
    if control is not None and control != DELETE_ALL:
        raise FedexFault(400, "INVALID.INPUT.EXCEPTION", "Invalid field value in the input: deletionControl.")
    shipment = shipment_of(state, number)
    if shipment is None or shipment.account_number != account:
        raise FedexFault(404, "TRACKINGNUMBER.NOTFOUND", "The tracking number was not found for this account.")
    targets = list(shipment.package_numbers) if control == DELETE_ALL else [number]
    live = [n for n in targets if shipment.cancelled(n) is None]
    now = state.clock.now()
    if not live:
        output = {"cancelledShipment": False, "cancelledHistory": True, "message": "Shipment is already cancelled."}
    elif now >= shipment.created_at + PICKUP_AFTER:
        output = {"cancelledShipment": False, "cancelledHistory": False, "message": "Shipment was already picked up."}
    else:
        for package in live:
            shipment.cancelled_packages[package] = now
        if all(n in shipment.cancelled_packages for n in shipment.package_numbers):
            shipment.cancelled_at = now
        output = {"cancelledShipment": True, "cancelledHistory": True, "successMessage": "Success"}
    return success(output, customer_id)


# -- track ----------------------------------------------------------------------------------------
def track(state: FedexState, payload: dict[str, Any], customer_id: str | None) -> dict[str, Any]:
    """Up to 30 tracking numbers, each a package of a shipment (the master's too)."""
    infos = payload.get("trackingInfo")
    if not isinstance(infos, list) or not infos:
        raise FedexFault(400, "TRACKING.TRACKINGNUMBER.EMPTY", "Please provide tracking number.")
    if len(infos) > 30:
        raise FedexFault(400, "TRACKING.TRACKINGNUMBER.LIMIT", "At most 30 tracking numbers per request.")
    if not isinstance(payload.get("includeDetailedScans"), bool):
        raise FedexFault(
            400, "INVALID.INPUT.EXCEPTION", "Invalid field value in the input: includeDetailedScans is required."
        )
    results = []
    for info in infos:
        number = (info.get("trackingNumberInfo") or {}).get("trackingNumber") if isinstance(info, dict) else None
        if not isinstance(number, str) or not number:
            raise FedexFault(400, "TRACKING.TRACKINGNUMBER.EMPTY", "Please provide tracking number.")
        shipment = shipment_of(state, number)
        if shipment is None:
            result: dict[str, Any] = {
                "trackingNumberInfo": {"trackingNumber": number},
                "error": {
                    "code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
                    "message": "Tracking number cannot be found. Please correct the tracking number and try again.",
                },
            }
        else:
            result = _track_result(shipment, number, state.clock.now(), detailed=payload["includeDetailedScans"])
        results.append({"trackingNumber": number, "trackResults": [result]})
    return success({"completeTrackResults": results, "alerts": []}, customer_id)


def _scan(when: datetime, code: str, text: str, place: dict[str, Any]) -> dict[str, Any]:
    return {
        "date": when.isoformat(timespec="seconds"),
        "eventType": code,
        "eventDescription": text,
        "derivedStatusCode": code,
        "derivedStatus": text,
        "scanLocation": {
            "city": place.get("city"),
            "stateOrProvinceCode": place.get("stateOrProvinceCode"),
            "postalCode": place.get("postalCode"),
            "countryCode": place.get("countryCode"),
        },
    }


def _track_result(shipment: Shipment, number: str, now: datetime, *, detailed: bool) -> dict[str, Any]:
    start = shipment.created_at
    delivered = start + timedelta(days=shipment.delivery_days)
    plan = [
        (start, "OC", "Shipment information sent to FedEx", shipment.shipper),
        (start + PICKUP_AFTER, "PU", "Picked up", shipment.shipper),
        (start + DEPARTED_AFTER, "IT", "Departed FedEx location", shipment.shipper),
        (delivered - OUT_FOR_DELIVERY_BEFORE, "OD", "On FedEx vehicle for delivery", shipment.recipient),
        (delivered, "DL", "Delivered", shipment.recipient),
    ]
    cancelled = shipment.cancelled(number)
    end = min(now, cancelled) if cancelled else now
    scans = [_scan(when, code, text, place) for when, code, text, place in plan if when <= end]
    if cancelled is not None:
        scans.append(_scan(cancelled, "CA", "Shipment cancelled by sender", shipment.shipper))
    scans.reverse()  # FedEx lists the newest scan first
    latest = scans[0]
    return {
        "trackingNumberInfo": {
            "trackingNumber": number,
            "carrierCode": "FDXG" if shipment.service_type == "FEDEX_GROUND" else "FDXE",
            "trackingNumberUniqueId": f"12029~{number}~FX",
        },
        "latestStatusDetail": {
            "code": latest["derivedStatusCode"],
            "derivedCode": latest["derivedStatusCode"],
            "statusByLocale": latest["eventDescription"],
            "description": latest["eventDescription"],
            "scanLocation": latest["scanLocation"],
        },
        "dateAndTimes": []  # a cancelled package is not expected anywhere
        if cancelled is not None
        else [{"type": "ESTIMATED_DELIVERY", "dateTime": delivered.isoformat(timespec="seconds")}],
        "serviceDetail": {"type": shipment.service_type, "description": _rates.SERVICES[shipment.service_type][0]},
        "scanEvents": scans if detailed else scans[:1],
        **_transit.tracking_windows(
            shipment.service_type,
            shipment.delivery_days,
            shipment.ship_date,
            delivered,
            arrived=latest["eventType"] == "DL",
            cancelled=cancelled is not None,
        ),
    }
