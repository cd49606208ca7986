"""FedEx return labels (special service RETURN_SHIPMENT, returnType PRINT_RETURN_LABEL): the
customer is the shipper, the merchant the recipient, billed (SENDER) to the merchant's account;
cancelled and tracked as any label. Every exchange is checked against FedEx's OpenAPI specs (the
``fedex`` fixture of test_fedex)."""

from __future__ import annotations

import pytest

from carriers import CarrierAccountPayment, Parcel, Weight
from onebalance import OneBalanceError, ValidationError
from onebalance.carriers.fedex import _mapping

from . import test_fedex
from .test_fedex import Fedex, shipment

exchanges, fedex = test_fedex.exchanges, test_fedex.fedex  # the fixtures: exchanges checked against the specs

SHIP = "POST /ship/v1/shipments"


def returned(**changes):
    outbound = shipment()
    data = {"shipper": outbound.recipient, "recipient": outbound.shipper, "is_return": True, **changes}
    return shipment(**data)


def _ship_requests(fedex: Fedex) -> list[dict]:
    return [body for d, op, _, body in fedex.seen.log if d == "request" and op == SHIP]


def test_a_return_label_is_billed_to_the_merchant_and_cancels_and_tracks(fedex: Fedex) -> None:
    client, back = fedex.client, returned()
    rate = next(r for r in client.rates(back) if r.service_code == "FEDEX_GROUND")
    label = client.buy(rate, back, "fedex-return-1")
    assert label.is_return and label.paid_by == CarrierAccountPayment("fedex", fedex.creds.account_number)
    requested = _ship_requests(fedex)[0]["requestedShipment"]
    assert requested["shipmentSpecialServices"] == {
        "specialServiceTypes": ["RETURN_SHIPMENT"],
        "returnShipmentDetail": {"returnType": "PRINT_RETURN_LABEL"},
    }
    assert requested["shipper"]["address"]["city"] == "Austin"  # the customer
    assert requested["recipients"][0]["address"]["city"] == "Springfield"  # the merchant
    assert requested["shippingChargesPayment"]["paymentType"] == "SENDER"
    assert client.track(label.tracking_number or "").events
    assert client.void(label).voided


def test_an_outbound_label_has_no_return_service(fedex: Fedex) -> None:
    client, out = fedex.client, shipment()
    label = client.buy(client.rates(out)[0], out, "fedex-out-1")
    assert not label.is_return
    assert "shipmentSpecialServices" not in _ship_requests(fedex)[0]["requestedShipment"]


def test_a_return_of_two_packages_is_refused_before_anything_is_sent(fedex: Fedex) -> None:
    two = returned(parcels=[Parcel(weight=Weight("1", "lb")), Parcel(weight=Weight("2", "lb"))])
    with pytest.raises(ValidationError, match="one package"):
        fedex.client.rates(two)
    assert fedex.seen.log == []


@pytest.mark.parametrize("detail", [None, {"returnType": "PENDING"}])
def test_the_sandbox_refuses_what_it_does_not_print(fedex: Fedex, detail) -> None:
    client, back = fedex.client, returned()
    rate = client.rates(back)[0]
    request = _mapping.ship_request(rate, back, client.settings, "raw-return")
    services = request.payload["requestedShipment"]["shipmentSpecialServices"]
    if detail is None:
        del services["returnShipmentDetail"]
    else:
        services["returnShipmentDetail"] = detail
    with pytest.raises(OneBalanceError) as caught:
        client.proxy.send(request)
    assert caught.value.code == "RETURNTYPE.INVALID"
