"""The low-balance warning is given by whatever took the balance under the threshold (a label
included), once per crossing."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

import pytest

from carriers import Address, Parcel, ShipmentRequest, Weight
from onebalance import Accounts, CallbackNotifier, InMemoryCredentialStore, LowBalanceEvent
from onebalance.sandbox import DEMO_INTEGRATION_ID

PASSWORD = "Shop-passw0rd"
SHIPMENT = ShipmentRequest(
    shipper=Address(name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701"),
    recipient=Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118"),
    parcels=[Parcel(weight=Weight(value="1", unit="lb"))],
    ship_date=date.today(),
)


@pytest.fixture
def shop(sandbox):
    sandbox.create_account("shop", PASSWORD, balance="30.00")
    events: list = []
    with sandbox.mock() as url:
        accounts = Accounts(
            integration_id=DEMO_INTEGRATION_ID,
            endpoint=url,
            store=InMemoryCredentialStore(),
            notifiers=[CallbackNotifier(events.append)],
            now=sandbox.clock.now,
        )
        accounts.connect("m1", username="shop", password=PASSWORD)
        accounts.postage("m1").update_settings(low_balance_threshold="25.00")
        yield accounts.usps("m1"), events


def test_a_label_taking_the_balance_under_the_threshold_warns_once_per_crossing(shop, sandbox, caplog):
    usps, events = shop
    rate = next(r for r in usps.rates(SHIPMENT) if r.service_code == "US-PM")
    assert Decimal("5.00") < rate.total.amount <= Decimal("12.00")
    caplog.set_level(logging.WARNING, logger="onebalance")
    label = usps.buy(rate, SHIPMENT, idempotency_key="order-1")  # $30.00 -> under $25.00
    left = Decimal("30.00") - label.cost.amount
    assert [(e.balance, e.threshold) for e in events] == [(left, Decimal("25.00"))]
    assert isinstance(events[0], LowBalanceEvent) and events[0].username == "shop"
    assert any("event=low_balance" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    usps.buy(rate, SHIPMENT, idempotency_key="order-2")  # still under: the same crossing, no second warning
    assert len(events) == 1
    sandbox.set_balance("shop", "30.00")  # back above (a refill elsewhere)
    usps.buy(rate, SHIPMENT, idempotency_key="order-3")  # a new crossing
    assert len(events) == 2


def test_a_label_that_stays_above_the_threshold_says_nothing(shop, sandbox):
    usps, events = shop
    sandbox.set_balance("shop", "100.00")
    rate = next(r for r in usps.rates(SHIPMENT) if r.service_code == "US-PM")
    usps.buy(rate, SHIPMENT, idempotency_key="order-1")
    assert events == []
