"""A rate is bound to the shipment it was quoted for, and a purchase has a fingerprint.

* :func:`bind`: every carrier client's ``rates`` marks its rates with the shipment they were quoted
  for (``Rate.quoted_for``).
* :func:`check_quote`: ``buy`` refuses a rate with a shipment that differs from that one (the
  addresses, the parcels, the ship date, the options) or that names another service, before
  anything is sent (:class:`~onebalance.RateMismatch`). A carrier bills the shipment it is sent,
  not the rate, so a 2 lb rate bought for a 40 lb parcel would be charged for 40 lb (UPS, FedEx),
  or print 2 lb of postage on a 40 lb parcel (USPS).
* :func:`purchase_fingerprint`: a stable digest of what a purchase is (carrier, service, the
  shipment's canonical form, amount): an idempotency key names one purchase, and the label
  journal keeps the fingerprint to refuse the key for any other.
* :func:`with_quote`: the bought label carries the rate's amount beside what was charged, and a
  charge above the quote is logged at WARNING.

The canonical form leaves out what names or labels a shipment without changing what is shipped
(the references, the idempotency key), values left at their defaults (so a field added to the
models later does not change the fingerprint of an earlier purchase), and writes weights in grams
and dimensions in centimetres (2 lb and 32 oz are the same parcel).
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from onebalance._purchase_errors import RateMismatch

from ._label import Label
from ._rate import Rate
from ._shipment import ShipmentRequest
from ._units import Dimensions, Weight

__all__ = ["QUOTED_PARTS", "bind", "check_quote", "differences", "purchase_fingerprint", "shipment_form", "with_quote"]

logger = logging.getLogger("onebalance")

#: The parts of a shipment a rate is bound to (the service is checked against the rate's own).
QUOTED_PARTS = ("shipper", "recipient", "parcels", "ship_date", "options")
#: Fields left out of the canonical form: they name a shipment, they do not change it.
_UNPRICED = frozenset({"reference", "idempotency_key"})
#: The version of the fingerprint's recipe, so that a new recipe never matches an old digest by chance.
_RECIPE = "v1"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _canonical(value: Any) -> Any:
    if isinstance(value, Weight):
        return f"{_number(value.grams)} g"
    if isinstance(value, Dimensions):
        return " x ".join(_number(side) for side in value._centimetres()) + " cm"
    if isinstance(value, BaseModel):
        form: dict[str, Any] = {}
        for name, field in type(value).model_fields.items():
            item = getattr(value, name)
            if name in _UNPRICED or item is None or (not field.is_required() and item == field.default):
                continue
            form[name] = _canonical(item)
        return form
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(item) for item in value), key=json.dumps)
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def shipment_form(shipment: ShipmentRequest) -> dict[str, Any]:
    """The canonical form of what is shipped: plain JSON values, the same for the same shipment."""
    return {part: _canonical(getattr(shipment, part)) for part in QUOTED_PARTS}


def _diff(left: Any, right: Any, path: str) -> Iterator[str]:
    if left == right:
        return
    if isinstance(left, dict) and isinstance(right, dict):
        for name in sorted(set(left) | set(right)):
            yield from _diff(left.get(name), right.get(name), f"{path}.{name}")
    elif isinstance(left, list) and isinstance(right, list) and len(left) == len(right) and path != "options":
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            yield from _diff(a, b, f"{path}.{index}")
    else:
        yield path


def differences(quoted: ShipmentRequest, shipment: ShipmentRequest) -> tuple[str, ...]:
    """What differs between two shipments, as field paths (``parcels.0.weight``, ``recipient.postal_code``)."""
    left, right = shipment_form(quoted), shipment_form(shipment)
    return tuple(found for part in QUOTED_PARTS for found in _diff(left[part], right[part], part))


def bind(rates: Iterable[Rate], shipment: ShipmentRequest) -> list[Rate]:
    """``rates`` marked with the shipment they were quoted for."""
    # pydantic's own copy: the rate and the shipment are validated already, so nothing is checked twice.
    return [BaseModel.model_copy(rate, update={"quoted_for": shipment}) for rate in rates]


def check_quote(rate: Rate, shipment: ShipmentRequest) -> None:
    """Refuse (:class:`~onebalance.RateMismatch`) to buy ``rate`` with another shipment than it was quoted for."""
    found: list[str] = []
    if shipment.service is not None and shipment.service.upper() != rate.service_code.upper():
        found.append("service")
    quoted = rate.quoted_for
    if quoted is not None and quoted is not shipment:
        found.extend(differences(quoted, shipment))
    if found:
        raise RateMismatch(differences=tuple(found))


def purchase_fingerprint(rate: Rate, shipment: ShipmentRequest) -> str:
    """A stable digest of one purchase: the carrier, the service, what is shipped and the amount."""
    what = {
        "carrier": rate.carrier.value,
        "service": rate.service_code,
        "shipment": shipment_form(shipment),
        "amount": [_number(rate.total.amount), rate.total.currency],
    }
    text = json.dumps(what, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{_RECIPE}:{hashlib.sha256(text.encode()).hexdigest()}"


def with_quote(label: Label, rate: Rate) -> Label:
    """``label`` carrying ``rate``'s amount as its ``quoted_cost``; a charge above it is logged at WARNING."""
    marked = BaseModel.model_copy(label, update={"quoted_cost": rate.total})
    above = marked.above_quote
    if above is not None:
        logger.warning(
            "event=label_charged_above_quote carrier=%s service=%s tracking=%s quoted=%s charged=%s above=%s",
            label.carrier.value,
            label.service_code,
            label.tracking_number or label.carrier_reference,
            rate.total.amount,
            label.cost.amount,
            above.amount,
        )
    return marked
