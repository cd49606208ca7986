"""The router: one merchant, three carriers, one rate shop; USPS paid from the One Balance,
UPS and FedEx billed to the merchant's own accounts, and nothing else."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from carriers import (
    Address,
    Carrier,
    CarrierAccountPayment,
    OneBalancePayment,
    Parcel,
    ShipmentRequest,
    Weight,
)
from carriers.fedex import FedexClient, FedexSettings
from carriers.ups import UpsClient, UpsSettings
from onebalance import Accounts, InMemoryCredentialStore, ValidationError
from onebalance._shipping import Shipping
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

SHIPPER = Address(name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701",
                  phone="5125550100")
RECIPIENT = Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118",
                    phone="2125550100")
SHIPMENT = ShipmentRequest(shipper=SHIPPER, recipient=RECIPIENT, parcels=[Parcel(weight=Weight(value="2", unit="lb"))],
                           ship_date=date.today())


@pytest.fixture
def merchant(sandbox):
    sandbox.create_account("ship-all", "Ship-all-passw0rd", balance="100.00")
    ups_box, fedex_box = UpsSandbox(), FedexSandbox()
    ups_box.add_account("ups-id", "ups-secret", "A1B2C3")
    fx = fedex_box.create_credentials("fx-id", "fx-secret", "700000001")
    with sandbox.serve() as swsim, ups_box.serve() as ups_server, fedex_box.serve() as fedex_server:
        creds = replace(sandbox.create_demo_account(), url=swsim.url)
        accounts = Accounts(integration_id=creds.integration_id, endpoint=swsim.url, store=InMemoryCredentialStore())
        accounts.connect("m", username="ship-all", password="Ship-all-passw0rd")
        shipping = Shipping(
            usps=accounts.usps("m"),
            ups=UpsClient(UpsSettings(client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3",
                                      base_url=ups_server.url)),
            fedex=FedexClient(FedexSettings(client_id="fx-id", client_secret=fx.client_secret,
                                            account_number="700000001", base_url=fedex_server.url)),
        )
        yield shipping, sandbox


def test_rate_shop_across_three_carriers_with_cheapest_and_fastest(merchant):
    shipping, _ = merchant
    shop = shipping.rates(SHIPMENT)
    assert shop.errors == {}
    assert {r.carrier for r in shop.rates} == {Carrier.USPS, Carrier.UPS, Carrier.FEDEX}
    assert shop.cheapest.total.amount == min(r.total.amount for r in shop.rates)
    assert shop.fastest.delivery_days == min(r.delivery_days for r in shop.rates if r.delivery_days is not None)


def test_who_pays_for_each_label(merchant):
    shipping, sandbox = merchant
    shop = shipping.rates(SHIPMENT)
    labels = {}
    for carrier in (Carrier.UPS, Carrier.FEDEX, Carrier.USPS):
        rate = min((r for r in shop.rates if r.carrier is carrier), key=lambda r: r.total.amount)
        before = sandbox.account("ship-all").available_postage
        labels[carrier] = label = shipping.buy(rate, SHIPMENT, idempotency_key=f"order-{carrier.value}")
        after = sandbox.account("ship-all").available_postage
        if carrier is Carrier.USPS:
            assert isinstance(label.paid_by, OneBalancePayment)
            assert after == before - label.cost.amount  # a USPS label always debits the One Balance
        else:
            assert isinstance(label.paid_by, CarrierAccountPayment)
            assert label.paid_by.carrier is carrier
            assert after == before  # a UPS or FedEx label never touches it
    assert sandbox.account("ship-all").available_postage == Decimal("100.00") - labels[Carrier.USPS].cost.amount
    sandbox.check_ledger("ship-all")
    for label in labels.values():
        assert shipping.track(label.carrier, label.tracking_number).tracking_number == label.tracking_number
        assert shipping.void(label).voided


def test_a_rate_with_the_wrong_payer_is_refused(merchant):
    shipping, sandbox = merchant
    ups_rate = next(r for r in shipping.rates(SHIPMENT).rates if r.carrier is Carrier.UPS)
    with pytest.raises(ValidationError):  # the model refuses it...
        ups_rate.model_copy(update={"payment": OneBalancePayment()})
    forged = ups_rate.model_construct(**(dict(ups_rate) | {"payment": OneBalancePayment()}))
    with pytest.raises(ValidationError, match="UPS label must be paid"):  # ...and so does the router
        shipping.buy(forged, SHIPMENT, idempotency_key="forged")
    assert sandbox.account("ship-all").available_postage == Decimal("100.00")


def test_a_carrier_that_fails_does_not_hide_the_others(merchant, sandbox):
    shipping, _ = merchant
    sandbox.set_password("ship-all", "Changed-elsewhere9")
    shipping._clients[Carrier.USPS].client._token = None  # force a new login, which is now refused
    shop = shipping.rates(SHIPMENT)
    assert Carrier.USPS in shop.errors
    assert {r.carrier for r in shop.rates} == {Carrier.UPS, Carrier.FEDEX}
