"""FedEx's delivery commitments in the sandbox: a rate's ``commit`` and ``operationalDetail``, and a
tracked package's ``standardTransitTimeWindow`` and ``estimatedDeliveryTimeWindow``.

A rate carries its transit time and commit data only when the request asks for them
(``rateRequestControlParameters.returnTransitTimes``, false by default, as rate-api.json says);
``operationalDetail`` is there either way, with the service's codes. The commitment is counted
in business days (Monday to Friday; the sandbox knows no holidays) from the ship date, or the
Monday after it, at the service's commit time.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from .._shared._clock import DAY_NAMES, add_business_days
from . import _rates

__all__ = ["commit", "commitment", "operational_detail", "rate_commitment", "tracking_windows", "wanted"]

#: service -> (FedEx service code, ASTRA description, commit time)
SERVICE_DETAILS = {
    "PRIORITY_OVERNIGHT": ("01", "P1", time(10, 30)),
    "STANDARD_OVERNIGHT": ("05", "SOS", time(17, 0)),
    "FEDEX_2_DAY": ("03", "E2", time(16, 30)),
    "FEDEX_GROUND": ("92", "FXG", time(20, 0)),
    "FEDEX_INTERNATIONAL_PRIORITY": ("01", "IP", time(18, 0)),
    "INTERNATIONAL_ECONOMY": ("03", "IE", time(18, 0)),
}
_WORDS = ("ONE_DAY", "TWO_DAYS", "THREE_DAYS", "FOUR_DAYS", "FIVE_DAYS", "SIX_DAYS", "SEVEN_DAYS")
#: How far either side of the tracked delivery time the estimated window reaches.
ESTIMATE_SPREAD = timedelta(hours=2)


def wanted(payload: dict[str, Any]) -> bool:
    """Whether a rate request asks for transit times (``true``, or the text ``"true"``)."""
    controls = payload.get("rateRequestControlParameters")
    value = controls.get("returnTransitTimes") if isinstance(controls, dict) else None
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def commitment(service: str, days: int, ship_date: date) -> datetime:
    """When the service commits to deliver what ships on ``ship_date`` (local time, no zone)."""
    return datetime.combine(add_business_days(ship_date, days), SERVICE_DETAILS[service][2])


def _stamp(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def commit(service: str, days: int, ship_date: date) -> dict[str, Any]:
    """A rate's ``commit``: transit days and the committed delivery date."""
    moment = commitment(service, days, ship_date)
    return {
        "transitDays": {"minimumTransitTime": _WORDS[days - 1], "description": f"{days} Business Days"},
        "dateDetail": {"dayOfWeek": DAY_NAMES[moment.weekday()], "dayFormat": _stamp(moment)},
    }


def operational_detail(
    service: str, days: int, ship_date: date, destination_postal: str, *, transit_times: bool
) -> dict[str, Any]:
    """A rate's ``operationalDetail``: the service's codes, and with ``transit_times`` its
    ``commitDate``, ``deliveryDate``, ``deliveryDay``, ``commitDays`` and ``transitTime``."""
    code, astra, _ = SERVICE_DETAILS[service]
    detail: dict[str, Any] = {
        "serviceCode": code,
        "astraDescription": astra,
        "ineligibleForMoneyBackGuarantee": False,
        "destinationPostalCode": destination_postal,
    }
    if transit_times:
        moment = commitment(service, days, ship_date)
        day = DAY_NAMES[moment.weekday()]
        detail |= {
            "commitDate": _stamp(moment),
            "deliveryDate": _stamp(moment),
            "deliveryDay": day,
            "commitDays": [day],
            "transitTime": _WORDS[days - 1],
        }
        if service == "FEDEX_GROUND":
            detail["MaximumTransitTime"] = _WORDS[days - 1]  # the spec's own capital M
    return detail


def rate_commitment(service: str, zone: int, ship_date: date, postal: str, transit_times: bool) -> dict[str, Any]:
    """A rate's ``operationalDetail``, and its ``commit`` when transit times were asked for."""
    days = _rates.delivery_days(service, zone)
    out: dict[str, Any] = {
        "operationalDetail": operational_detail(service, days, ship_date, postal, transit_times=transit_times)
    }
    if transit_times:
        out["commit"] = commit(service, days, ship_date)
    return out


def tracking_windows(
    service: str, days: int, ship_date: date, delivery: datetime, *, arrived: bool, cancelled: bool
) -> dict[str, Any]:
    """A tracked package's time windows: ``standardTransitTimeWindow`` ends when the service commits
    to deliver; ``estimatedDeliveryTimeWindow`` spans the expected ``delivery`` until the package has
    ``arrived``.
    A cancelled shipment has neither (it is not expected anywhere)."""
    if cancelled:
        return {}
    windows: dict[str, Any] = {
        "standardTransitTimeWindow": {
            "type": "ESTIMATED_DELIVERY",
            "description": "Standard transit time window",
            "window": {"ends": _stamp(commitment(service, days, ship_date))},
        }
    }
    if not arrived:
        windows["estimatedDeliveryTimeWindow"] = {
            "type": "ESTIMATED_DELIVERY",
            "description": "Estimated delivery window",
            "window": {"begins": _stamp(delivery - ESTIMATE_SPREAD), "ends": _stamp(delivery + ESTIMATE_SPREAD)},
        }
    return windows
