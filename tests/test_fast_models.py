"""The models' fast paths give exactly what their careful paths give: ``Money.rounded`` of a Decimal and
``Label.bought`` are made without pydantic's round (``shipments._base.built``) when their inputs are already
in their final form. Here each is compared with the careful way (validation, as the code did before the fast
path) on drawn inputs, good and bad: the same model, field by field and type by type (and what pydantic
keeps beside the fields), or the same typed error naming the same field with the same message."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from onebalance import InvalidAmount, OneBalanceError
from onebalance.shipments import Carrier, CarrierAccountPayment, Label, Money, OneBalancePayment, ShippingDocument
from onebalance.shipments._base import CarrierModel, to_decimal

EXAMPLES = 1500 if os.environ.get("ONEBALANCE_HYPOTHESIS") == "long" else 300
CENT, LIMIT = Decimal("0.01"), Decimal("1000000000000")


def _outcome(make: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "made", make()
    except OneBalanceError as exc:
        return "refused", (type(exc), str(exc), getattr(exc, "field", None))


def _same_model(fast: Any, careful: Any) -> None:
    """The same model as pydantic's validation makes it: fields, their types, and pydantic's own slots."""
    assert type(fast) is type(careful)
    assert fast == careful
    assert fast.__dict__.keys() == careful.__dict__.keys()
    assert fast.model_fields_set == careful.model_fields_set
    assert fast.__pydantic_extra__ == careful.__pydantic_extra__
    assert fast.__pydantic_private__ == careful.__pydantic_private__
    assert repr(fast) == repr(careful)
    assert fast.model_dump() == careful.model_dump()
    for name, value in fast.__dict__.items():
        other = careful.__dict__[name]
        assert type(value) is type(other), name
        if isinstance(value, BaseModel):
            _same_model(value, other)
        elif isinstance(value, tuple):
            assert len(value) == len(other)
            for mine, theirs in zip(value, other, strict=True):
                if isinstance(mine, BaseModel):
                    _same_model(mine, theirs)
        elif isinstance(value, Decimal):
            assert str(value) == str(other), name  # the same digits and exponent, not just the same number
        elif isinstance(value, datetime):
            assert value.tzinfo == other.tzinfo and type(value.tzinfo) is type(other.tzinfo)


def _same(fast: Callable[[], Any], careful: Callable[[], Any]) -> None:
    (kind, made), (careful_kind, careful_made) = _outcome(fast), _outcome(careful)
    assert kind == careful_kind, (made, careful_made)
    if kind == "refused":
        assert made == careful_made
    else:
        _same_model(made, careful_made)


# -- Money.rounded --------------------------------------------------------------------------------------
def _careful_rounded(amount: Any, currency: Any = "USD") -> Money:
    """``Money.rounded`` as it was before its fast path."""
    value = to_decimal(amount, "amount", InvalidAmount, floats=False)
    return _careful_money(value.quantize(CENT, rounding=ROUND_HALF_UP) if -LIMIT < value < LIMIT else value, currency)


_AMOUNTS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=-LIMIT - 1, max_value=LIMIT + 1, places=3),
    st.sampled_from(
        [Decimal("999999999999.995"), Decimal("999999999999.994"), Decimal("-999999999999.995"), Decimal("-0.004")]
    ),
    st.sampled_from([Decimal("-0"), Decimal("1E+30"), Decimal("-1E1000000"), Decimal("12.885"), Decimal("0E-7")]),
    st.decimals(min_value=-LIMIT - 1, max_value=LIMIT + 1, places=2),
    st.sampled_from(
        [Decimal("12.8"), Decimal("1.2300"), Decimal("1E+2"), Decimal("-0.00"), Decimal("999999999999.99")]
    ),
    st.integers(),
    st.text(max_size=12),
    st.floats(),
    st.booleans(),
)
_CURRENCIES = st.one_of(st.sampled_from(["USD", "usd", " USD", "CAD", "US"]), st.text(max_size=4), st.none())


def _careful_money(amount: Any, currency: Any = "USD") -> Money:
    """``Money(amount, currency)`` as it was before its fast path: validated."""
    money = Money.__new__(Money)
    CarrierModel.__init__(money, amount=amount, currency=currency)
    return money


@settings(max_examples=EXAMPLES, deadline=None)
@given(_AMOUNTS, _CURRENCIES)
def test_money_is_what_validation_gives(amount: Any, currency: Any) -> None:
    _same(lambda: Money(amount, currency), lambda: _careful_money(amount, currency))
    _same(lambda: Money(amount), lambda: _careful_money(amount))


@settings(max_examples=EXAMPLES, deadline=None)
@given(_AMOUNTS, _CURRENCIES)
def test_money_rounded_is_what_validation_gives(amount: Any, currency: Any) -> None:
    _same(lambda: Money.rounded(amount, currency), lambda: _careful_rounded(amount, currency))
    _same(lambda: Money.rounded(amount), lambda: _careful_rounded(amount))


# -- Label.bought ---------------------------------------------------------------------------------------
_EDGES = " \t\n\x0b\x0c\r\x1c\x1f\x85\xa0\u1680\u2000\u2028\u3000"  # what Python and pydantic strip
_TEXT = st.text(alphabet=st.sampled_from("aB9-_ .#" + _EDGES), max_size=8)
_TRACKING = st.one_of(
    st.none(),
    st.from_regex(r"[A-Za-z0-9\-]{1,66}", fullmatch=True),
    st.sampled_from(["9400 1000 0000 0000 0000 00", "", " ", "9405000000000104000001", "ab\u00e9"]),
    _TEXT,
    st.integers(),
)
_SERVICE = st.one_of(
    st.sampled_from(["US-PM", " US-PM", "US-PM\u3000", "", "x" * 64, "x" * 65]),
    _TEXT,
    st.from_regex(r"\w{1,70}", fullmatch=True),
    st.integers(),
)
_COST = st.one_of(
    st.sampled_from(["9.45", "0", "-0.00", "-1.00"]).map(Money),
    st.just(Money("3.00", "CAD")),
    st.sampled_from(["9.45", Decimal("1.00"), None]),
)
_PAYMENT = st.sampled_from(
    [
        OneBalancePayment(),
        CarrierAccountPayment("ups", "A1B2C3"),
        CarrierAccountPayment("fedex", "123456789"),
        {"kind": "one_balance"},
        None,
    ]
)
_IMAGE = st.one_of(st.binary(max_size=3), st.sampled_from([bytearray(b"x"), "png", None]))
_FORMAT = st.one_of(st.sampled_from(["PNG", "PDF", "ZPL", "GIF", "EPL", "png", " PDF", "BMP", "", None]), _TEXT)
_SIZE = st.sampled_from([None, "4x6", "letter", "4X6", " letter", "A4", "", 5])
_ZONES = st.sampled_from([timezone.utc, timezone(timedelta(hours=-5)), timezone(timedelta(0), "Z")])
_WHEN = st.one_of(
    st.datetimes(timezones=st.one_of(st.none(), _ZONES)),
    st.sampled_from(["2026-12-08T01:00:00+00:00", "2026-12-08", None, 5]),
)
_REFERENCE = st.one_of(
    st.none(),
    st.uuids().map(str),
    _TEXT,
    st.sampled_from(["x" * 128, "x" * 129, " x" * 64, ""]),
    st.integers(),
)
_FORM = ShippingDocument(kind="customs_form", format="PDF", data=b"%PDF")
_DOCUMENTS = st.sampled_from(
    [(), (_FORM,), [_FORM], (_FORM, _FORM), ({"kind": "customs_form", "format": "pdf", "data": b"1"},), None]
)


_USUAL: dict[str, Any] = {
    "carrier": Carrier.USPS,
    "tracking_number": "9405000000000104000001",
    "service_code": "US-PM",
    "cost": Money("12.88"),
    "paid_by": OneBalancePayment(),
    "label_image": b"\x89PNG",
    "label_format": "PNG",
    "label_size": "4x6",
    "created_at": datetime(2026, 12, 8, 1, tzinfo=timezone.utc),
    "carrier_reference": "1d0f6cd0-dace-49de-a437-ed1fe9d0ffe2",
    "documents": (),
}
_CARRIERS = st.sampled_from([Carrier.USPS, Carrier.UPS, Carrier.FEDEX, "usps", "ups", 3])
_QUOTED = st.one_of(st.none(), _COST)
_DRAWN = {
    "carrier": _CARRIERS,
    "tracking_number": _TRACKING,
    "service_code": _SERVICE,
    "cost": _COST,
    "paid_by": _PAYMENT,
    "label_image": _IMAGE,
    "label_format": _FORMAT,
    "label_size": _SIZE,
    "created_at": _WHEN,
    "carrier_reference": _REFERENCE,
    "documents": _DOCUMENTS,
    "quoted_cost": _QUOTED,
}


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(st.data())
def test_label_bought_near_a_usual_answer_is_what_validation_gives(data: st.DataObject) -> None:
    """A usual answer with one or two fields drawn: the edges of the fast way, one field at a time."""
    fields = dict(_USUAL)
    for name in data.draw(st.lists(st.sampled_from(sorted(_DRAWN)), min_size=1, max_size=2)):
        fields[name] = data.draw(_DRAWN[name], label=name)
    _same(lambda: Label.bought(**fields), lambda: Label(**_given(fields)))


def _given(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` as ``Label(...)`` takes them: a quoted cost of None is one not given (not set)."""
    return {name: value for name, value in fields.items() if name != "quoted_cost" or value is not None}


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(
    carrier=_CARRIERS,
    tracking_number=_TRACKING,
    service_code=_SERVICE,
    cost=_COST,
    paid_by=_PAYMENT,
    label_image=_IMAGE,
    label_format=_FORMAT,
    label_size=_SIZE,
    created_at=_WHEN,
    carrier_reference=_REFERENCE,
    documents=_DOCUMENTS,
    quoted_cost=_QUOTED,
)
def test_label_bought_is_what_validation_gives(**fields: Any) -> None:
    _same(lambda: Label.bought(**fields), lambda: Label(**_given(fields)))


def test_label_bought_takes_the_fast_way_for_a_usual_answer() -> None:
    """A USPS label as the mapping reads it: made without validation, and the same label."""
    fields = {**_USUAL, "documents": (_FORM,)}
    validations = 0
    original = Label.__pydantic_validator__

    class Counting:
        def validate_python(self, *args: Any, **kw: Any) -> Any:
            nonlocal validations
            validations += 1
            return original.validate_python(*args, **kw)

    careful = Label(**fields)
    Label.__pydantic_validator__ = Counting()  # type: ignore[assignment]
    try:
        fast = Label.bought(**fields)
    finally:
        Label.__pydantic_validator__ = original
    assert validations == 0
    _same_model(fast, careful)
    assert fast.packages[0].tracking_number == "9405000000000104000001" and fast.image_bytes == 4
