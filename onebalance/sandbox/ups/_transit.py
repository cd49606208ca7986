"""UPS Rating's time in transit: ``RatedShipment[].TimeInTransit`` for the ``Ratetimeintransit`` and
``Shoptimeintransit`` request options, or ``?additionalinfo=timeintransit`` with Rate or Shop.

As Rating.yaml says, the container comes back only when the request has a
``Shipment.DeliveryTimeInformation`` (the pickup date is ``DeliveryTimeInformation.Pickup.Date``,
YYYYMMDD, today when it is left out). Arrival is counted in business days (Monday to Friday; the
sandbox knows no holidays), from the pickup date or the Monday after it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from .._shared._clock import DAY_NAMES, add_business_days, next_business_day

__all__ = ["requested", "time_in_transit"]

#: The options that ask for time in transit on their own, lower-cased as the handler routes them.
TRANSIT_OPTIONS = frozenset({"ratetimeintransit", "shoptimeintransit"})
#: Committed arrival time (HHMMSS) per service; the air services are guaranteed, Ground is not.
ARRIVAL_TIME = {"01": "103000", "02": "233000", "12": "233000", "03": "233000"}
GUARANTEED = frozenset({"01", "02", "12"})
PICKUP_TIME = "160000"
CUSTOMER_CENTER_CUTOFF = "170000"
_DATE = re.compile(r"\d{8}")
_TIME = re.compile(r"\d{4}(\d{2})?")


class BadPickup(ValueError):
    """The pickup date or time of ``DeliveryTimeInformation`` is not one."""


def requested(option: str, additional_info: Sequence[str], shipment: Mapping[str, Any]) -> bool:
    """Whether the answer carries TimeInTransit: asked for, and DeliveryTimeInformation given."""
    asked = option in TRANSIT_OPTIONS or any(v.strip().lower() == "timeintransit" for v in additional_info)
    return asked and isinstance(shipment.get("DeliveryTimeInformation"), Mapping)


def time_in_transit(
    shipment: Mapping[str, Any], service: str, description: str, days: int, today: date
) -> dict[str, Any]:
    """The ``TimeInTransit`` container of one rated service. BadPickup for a malformed pickup."""
    info: Mapping[str, Any] = shipment["DeliveryTimeInformation"]
    raw = info.get("Pickup")
    pickup: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    asked_date, asked_time = pickup.get("Date"), pickup.get("Time")
    if asked_date is None:
        pickup_date = today
    elif isinstance(asked_date, str) and _DATE.fullmatch(asked_date):
        try:
            pickup_date = datetime.strptime(asked_date, "%Y%m%d").date()
        except ValueError:
            raise BadPickup("DeliveryTimeInformation Pickup Date") from None
    else:
        raise BadPickup("DeliveryTimeInformation Pickup Date")
    if asked_time is not None and not (isinstance(asked_time, str) and _TIME.fullmatch(asked_time)):
        raise BadPickup("DeliveryTimeInformation Pickup Time")
    picked_up = next_business_day(pickup_date)
    arrival = add_business_days(picked_up, days)
    summary: dict[str, Any] = {
        "Service": {"Description": description},
        "EstimatedArrival": {
            "Arrival": {"Date": arrival.strftime("%Y%m%d"), "Time": ARRIVAL_TIME.get(service, "233000")},
            "BusinessDaysInTransit": str(days),
            "Pickup": {"Date": picked_up.strftime("%Y%m%d"), "Time": asked_time or PICKUP_TIME},
            "DayOfWeek": DAY_NAMES[arrival.weekday()],
            "CustomerCenterCutoff": CUSTOMER_CENTER_CUTOFF,
        },
        "SaturdayDelivery": "0",
    }
    if service in GUARANTEED:
        summary["GuaranteedIndicator"] = ""
    container: dict[str, Any] = {"PickupDate": pickup_date.strftime("%Y%m%d"), "ServiceSummary": summary}
    bill_type = info.get("PackageBillType")
    if isinstance(bill_type, str) and len(bill_type) == 2:
        container["PackageBillType"] = bill_type
    return container
