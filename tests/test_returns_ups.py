"""UPS return labels (Print Return Label, ``ReturnService`` 9): the merchant is UPS's ``Shipper``
(billed) and ``ShipTo``, the customer the ``ShipFrom``; voided whole and tracked as any label.
Every exchange is checked against UPS's OpenAPI specs (the ``ups`` fixture of test_ups)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from carriers import CarrierAccountPayment, Parcel, ShipmentRequest, Weight
from onebalance import OneBalanceError, ValidationError
from onebalance.carriers.ups import _mapping

from . import test_ups
from .test_ups import SHIPPER, Ups

ups = test_ups.ups  # the fixtures: a UPS sandbox whose exchanges are checked against the specs
outbound = test_ups.shipment


@pytest.fixture
def returned(outbound: ShipmentRequest) -> ShipmentRequest:
    """The outbound parcel coming back: the customer ships it, the merchant receives it."""
    return ShipmentRequest(
        shipper=outbound.recipient,
        recipient=outbound.shipper,
        parcels=[Parcel(weight=Weight("2.5", "lb"), reference="RMA 1042"), Parcel(weight=Weight("1", "lb"))],
        ship_date=outbound.ship_date,
        is_return=True,
    )


def _ship_bodies(ups: Ups) -> list[dict]:
    return [json.loads(e.body) for e in ups.exchanges if e.method == "POST" and e.target.endswith("/ship")]


def test_a_return_label_is_billed_to_the_merchant_and_voids_whole(ups: Ups, returned: ShipmentRequest) -> None:
    client = ups.client()
    rate = next(r for r in client.rates(returned) if r.service_code == "03")
    label = client.buy(rate, returned, idempotency_key="ups-return-1")
    assert label.is_return and label.paid_by == CarrierAccountPayment("ups", SHIPPER)
    assert len(label.packages) == 2
    shipment = _ship_bodies(ups)[0]["ShipmentRequest"]["Shipment"]
    assert shipment["ReturnService"]["Code"] == "9"
    assert shipment["Shipper"]["ShipperNumber"] == SHIPPER
    assert shipment["Shipper"]["Address"]["City"] == "Springfield"  # the merchant
    assert shipment["ShipTo"]["Address"]["City"] == "Springfield"
    assert shipment["ShipFrom"]["Address"]["City"] == "Austin"  # the customer
    assert [p["Description"] for p in shipment["Package"]] == ["RMA 1042", "Returned goods"]
    assert client.track(label.tracking_number).events
    sent = len(ups.exchanges)
    with pytest.raises(ValidationError, match="voided whole"):
        client.void(label, label.packages[1].tracking_number)
    assert len(ups.exchanges) == sent  # refused before anything was sent
    assert client.void(label).voided


def test_an_outbound_label_has_no_return_service(ups: Ups, outbound: ShipmentRequest) -> None:
    client = ups.client()
    label = client.buy(client.rates(outbound)[0], outbound, idempotency_key="ups-out-1")
    assert not label.is_return
    assert "ReturnService" not in _ship_bodies(ups)[0]["ShipmentRequest"]["Shipment"]


def test_the_sandbox_refuses_what_ups_refuses_of_a_return(ups: Ups, returned: ShipmentRequest) -> None:
    client = ups.client()
    rate = client.rates(returned)[0]
    request = _mapping.ship_request(rate, returned, client.settings, "raw-return")
    for package in request.payload["ShipmentRequest"]["Shipment"]["Package"]:
        del package["Description"]
    with pytest.raises(OneBalanceError, match="Package Description"):
        client.proxy.send(request)
    label = client.buy(rate, returned, idempotency_key="ups-return-2")
    one = _mapping.void_request(label.model_copy(update={"is_return": False}), client.settings, label.tracking_number)
    with pytest.raises(OneBalanceError, match="not applicable for return service") as caught:
        client.proxy.send(replace(one))
    assert caught.value.code == "190100"
