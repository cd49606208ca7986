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

import hashlib
import json
import logging
import weakref
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import BaseModel

from ._label import Label
from ._purchase_errors import RateMismatch
from ._rate import Rate
from ._shipment import ShipmentRequest

__all__ = ["QUOTED_PARTS", "bind", "check_quote", "differences", "purchase_fingerprint", "shipment_form", "with_quote"]

logger = logging.getLogger("onebalance")

#: The parts of a shipment a rate is bound to (the service is checked against the rate's own).
QUOTED_PARTS = ("shipper", "recipient", "parcels", "ship_date", "options", "is_return")
#: The version of the fingerprint's recipe, so that a new recipe never matches an old digest by chance.
_RECIPE = "v1"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


#: Left out of the canonical form: they name a shipment, they do not change it (and the service is
#: checked against the rate's own); weights and dimensions are written again, in grams and centimetres.
_LEFT_OUT: dict[str, Any] = {
    "reference": True,
    "idempotency_key": True,
    "service": True,
    "parcels": {"__all__": {"reference", "weight", "dimensions"}},
}


def shipment_form(shipment: ShipmentRequest) -> dict[str, Any]:
    """The canonical form of what is shipped: plain JSON values, the same for the same shipment."""
    # pydantic's own dump (fast) without the values left at their defaults, then the units made one.
    form = shipment.model_dump(mode="json", exclude_defaults=True, exclude=_LEFT_OUT)
    for parcel, data in zip(shipment.parcels, form["parcels"], strict=True):
        data["weight"] = f"{_number(parcel.weight.grams)} g"
        if parcel.dimensions is not None:
            data["dimensions"] = " x ".join(_number(side) for side in parcel.dimensions._centimetres()) + " cm"
    if "options" in form:
        form["options"] = sorted(form["options"])
    return form


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


def _text(shipment: ShipmentRequest) -> bytes:
    """``shipment.model_dump_json()``, as bytes (what pydantic's serializer writes, without the wrapper)."""
    return shipment.__pydantic_serializer__.to_json(shipment)


class _Quoted(NamedTuple):
    """A shipment a rate was quoted for, as :func:`differences` compares against it."""

    ref: weakref.ref[ShipmentRequest]
    #: Its canonical form (:func:`shipment_form`).
    form: dict[str, Any]
    #: Its JSON text, every field written: a shipment written the same has the same form.
    text: bytes


class _QuotedForms:
    """The canonical form of each shipment a rate was quoted for (``Rate.quoted_for``), worked out
    once: every purchase of its rates with another shipment object compares against it. Kept by the
    shipment object, not by equality (two equal shipments may be written apart: 2 and 2.0), and
    forgotten with it. A shipment is frozen, so its form does not change. Thread-safe: each step is
    one dict operation; two threads may both work out a form, the same one."""

    def __init__(self) -> None:
        self._forms: dict[int, _Quoted] = {}

    def __call__(self, shipment: ShipmentRequest) -> _Quoted:
        key = id(shipment)
        found = self._forms.get(key)
        if found is not None and found.ref() is shipment:
            return found
        ref = weakref.ref(shipment, lambda ref: self._gone(key, ref))
        found = self._forms[key] = _Quoted(ref, shipment_form(shipment), _text(shipment))
        return found

    def _gone(self, key: int, ref: weakref.ref[ShipmentRequest]) -> None:
        found = self._forms.get(key)
        if found is not None and found.ref is ref:
            self._forms.pop(key, None)


_quoted_form = _QuotedForms()


def differences(quoted: ShipmentRequest, shipment: ShipmentRequest) -> tuple[str, ...]:
    """What differs between two shipments, as field paths (``parcels.0.weight``, ``recipient.postal_code``).

    ``quoted`` is the shipment a rate was quoted for: its form is worked out once (it is read only).
    A shipment whose JSON text is the quoted one's has its form: the form is made of the same dump
    (values left at their defaults left out: a value written the same is the same value, its
    default or not) and of the weights and dimensions, whose values and units are in the text (a
    Decimal is written exactly); so nothing differs, and the form is not worked out again.
    """
    known = _quoted_form(quoted)
    if _text(shipment) == known.text:
        return ()
    left, right = known.form, shipment_form(shipment)
    if left == right:
        return ()
    return tuple(found for part in QUOTED_PARTS for found in _diff(left.get(part), right.get(part), part))


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
    """``label`` carrying ``rate``'s amount as its ``quoted_cost``; a charge above it is logged at WARNING.

    A label the mapping already built with that amount (UPS's, FedEx's) is not copied again."""
    quoted = rate.total
    marked = label if label.quoted_cost is quoted else BaseModel.model_copy(label, update={"quoted_cost": quoted})
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
