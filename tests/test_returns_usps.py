"""USPS return labels through the One Balance, on SWSIM v135 and v111: the rate says
``PrintLayout`` ``Return``, the customer is the shipper and the merchant the recipient, the label is
paid from the One Balance when printed, and voids and tracks as an outbound label. Every exchange
is checked against the real WSDL of its version (the ``wire_log`` fixture)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from carriers import Address, OneBalancePayment, PackageType, Parcel, ShipmentRequest, Weight
from onebalance import RateMismatch, ValidationError
from onebalance.carriers.usps import _mapping

from ._usps import usps_merchant

#: The customer sends the parcel back (the shipper) to the merchant (the recipient).
PARTIES = {
    "shipper": Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118"),
    "recipient": Address(name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701"),
}
RETURN = ShipmentRequest(**PARTIES, parcels=[Parcel(weight=Weight("2", "lb"))], ship_date=date.today(), is_return=True)


@pytest.fixture(params=["v135", "v111"])
def usps(request, sandbox):
    with usps_merchant(sandbox, "returns", "Returns-passw0rd", request.param) as (accounts, _):
        yield accounts.usps("m"), request.param


def _print_layouts(wire_log) -> list[str | None]:
    layouts = []
    for direction, op, body in wire_log:
        if direction == "request" and op == "CreateIndicium":
            found = etree.fromstring(body).xpath("//*[local-name()='Rate']/*[local-name()='PrintLayout']/text()")
            layouts.append(found[0] if found else None)
    return layouts


def test_a_return_label_is_paid_from_the_one_balance_and_voids_and_tracks(usps, sandbox, wire_log):
    client, version = usps
    rates = client.rates(RETURN)
    assert rates and {r.service_code for r in rates} <= {"US-XM", "US-PM", "US-GA", "US-PS"}
    rate = min(rates, key=lambda r: r.total.amount)
    label = client.buy(rate, RETURN, idempotency_key=f"return-{version}")
    assert label.is_return and label.paid_by == OneBalancePayment()
    assert sandbox.account("returns").available_postage == Decimal("100.00") - label.cost.amount
    assert _print_layouts(wire_log) == ["Return"]
    assert client.track(label.tracking_number).events
    assert client.void(label).voided


def test_an_outbound_label_has_no_return_layout(usps, wire_log):
    client, version = usps
    outbound = RETURN.model_copy(update={"is_return": False})
    rate = client.rates(outbound)[0]
    label = client.buy(rate, outbound, idempotency_key=f"out-{version}")
    assert not label.is_return
    assert _print_layouts(wire_log) == [None]


def test_a_rate_quoted_for_an_outbound_shipment_does_not_buy_a_return(usps):
    client, version = usps
    outbound_rate = client.rates(RETURN.model_copy(update={"is_return": False}))[0]
    with pytest.raises(RateMismatch) as caught:
        client.buy(outbound_rate, RETURN, idempotency_key=f"mismatch-{version}")
    assert caught.value.differences == ("is_return",)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"service": "US-MM"}, "service"),
        ({"parcels": [Parcel(weight=Weight(value="1", unit="oz"), package_type=PackageType.LETTER)]}, "package_type"),
    ],
)
def test_returns_usps_does_not_sell_are_refused_before_anything_is_sent(usps, wire_log, changes, field):
    client, _ = usps
    sent = len(wire_log)
    with pytest.raises(ValidationError, match=field):
        client.rates(RETURN.model_copy(update=changes))
    assert [op for d, op, _ in wire_log[sent:] if d == "request"] == []


def test_the_sandbox_refuses_a_return_usps_does_not_sell(usps, sandbox):
    """What the SDK refuses first, the sandbox refuses too (002b0909), as the real service would."""
    client, version = usps
    proxy_call = client.proxy.call
    flat = Parcel(weight=Weight(value="8", unit="oz"), package_type=PackageType.LARGE_ENVELOPE)
    media = RETURN.model_copy(update={"parcels": [flat], "is_return": False})
    rate = next(r for r in client.rates(media) if r.service_code == "US-FC")
    request = _mapping.ship_request(rate, media, "raw-return", version=version)
    request["Rate"]["PrintLayout"] = "Return"
    with pytest.raises(ValidationError) as caught:
        proxy_call(_mapping.SHIP, request)
    assert caught.value.code == "002b0909"
