"""A USPS label that may have been printed (OutcomeUnknown) is resolved by the service before any
funds check or refill can refuse it, and its journal entry is removed only when the purchase is
known not to have happened. On SQLite and PostgreSQL (ONEBALANCE_TEST_POSTGRES_DSN, see
tests/_stores.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from carriers import Address, Carrier, Parcel, ShipmentRequest, Weight
from onebalance import (
    Accounts,
    AutoRefillSettings,
    ConnectError,
    InsufficientFunds,
    MonthlyLimitExceeded,
    OutcomeUnknown,
    PaymentHold,
    RetryPolicy,
    Store,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox

from ._stores import StoreSpec, postgres_run_schema, store_spec  # noqa: F401 - a fixture

PASSWORD = "Doubt-passw0rd"
SHIPMENT = ShipmentRequest(
    shipper=Address(name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701"),
    recipient=Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118"),
    parcels=[Parcel(weight=Weight(value="1", unit="lb"))],
    ship_date=date.today(),
)


@pytest.fixture(params=["sqlite", "postgres"])
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreSpec]:
    yield from store_spec(request.param, tmp_path, request)


def _worker(store: Store, url: str, sandbox: Sandbox) -> Accounts:
    """One worker process's view: its own Accounts on the shared store (nothing remembered in memory)."""
    accounts = Accounts(
        integration_id=DEMO_INTEGRATION_ID,
        endpoint=url,
        store=store,
        now=sandbox.clock.now,
        retry=RetryPolicy(attempts=2, backoff_base=0, backoff_max=0),
    )
    if store.credentials.get("m1") is None:
        accounts.connect("m1", username="doubt", password=PASSWORD)
    return accounts


def _prints(sandbox: Sandbox) -> list:
    return [e for e in sandbox.ledger("doubt") if e.type == "Print"]


@pytest.mark.parametrize("refusal", ["monthly limit", "payment hold"])
def test_a_label_in_doubt_is_resolved_before_a_refused_refill_can_drop_it(spec, sandbox, refusal):
    sandbox.create_account("doubt", PASSWORD, balance="12.00")
    with spec.open() as store, sandbox.mock() as url:
        first = _worker(store, url, sandbox).shipping("m1")
        rate = next(r for r in first.rates(SHIPMENT).rates if r.service_code == "US-PM")
        assert Decimal("6.00") < rate.total.amount <= Decimal("12.00")
        sandbox.faults.script("CreateIndicium", "reset_after", times=2)  # printed, and every answer lost
        with pytest.raises(OutcomeUnknown):
            first.buy(rate, SHIPMENT, idempotency_key="order-1042")
        assert len(_prints(sandbox)) == 1  # the service printed it and took the postage
        assert store.labels.get("m1", Carrier.USPS, "order-1042").label is None  # pending in the journal

        # The worker starts again. Its balance no longer pays for the label (the label's own debit),
        # and the auto-refill that would is refused.
        later = _worker(store, url, sandbox)
        later.postage("m1").update_settings(auto_refill=AutoRefillSettings(threshold="20.00", amount="50.00"))
        if refusal == "monthly limit":
            sandbox.set_monthly_limit("doubt", 10)
        else:
            sandbox.place_hold("doubt", "payment_hold")
        with pytest.raises(MonthlyLimitExceeded if refusal == "monthly limit" else PaymentHold):
            later.postage("m1").ensure_funds(rate.total.amount)  # the refill is indeed refused
        label = later.shipping("m1").buy(rate, SHIPMENT, idempotency_key="order-1042")
        assert label.tracking_number == sandbox.labels("doubt")[0].tracking_number  # the printed, paid label
        assert len(_prints(sandbox)) == 1
        entry = store.labels.get("m1", Carrier.USPS, "order-1042")
        assert entry is not None and entry.label == label
        sandbox.check_ledger("doubt")


def test_a_key_in_doubt_that_printed_nothing_is_freed_and_says_so(spec, sandbox):
    sandbox.create_account("doubt", PASSWORD, balance="12.00")
    with spec.open() as store, sandbox.mock() as url:
        shipping = _worker(store, url, sandbox).shipping("m1")
        rate = next(r for r in shipping.rates(SHIPMENT).rates if r.service_code == "US-PM")
        sandbox.faults.script("CreateIndicium", "reset_before", times=2)  # never reached the service
        with pytest.raises(OutcomeUnknown):
            shipping.buy(rate, SHIPMENT, idempotency_key="order-7")
        sandbox.set_balance("doubt", "1.00")  # spent elsewhere meanwhile
        with pytest.raises(InsufficientFunds, match="new idempotency key"):
            _worker(store, url, sandbox).shipping("m1").buy(rate, SHIPMENT, idempotency_key="order-7")
        assert _prints(sandbox) == []
        assert store.labels.get("m1", Carrier.USPS, "order-7") is None  # known not bought: the entry goes


def test_a_key_in_doubt_that_cannot_be_resolved_now_stays_in_the_journal(spec, sandbox):
    sandbox.create_account("doubt", PASSWORD, balance="12.00")
    with spec.open() as store, sandbox.mock() as url:
        shipping = _worker(store, url, sandbox).shipping("m1")
        rate = next(r for r in shipping.rates(SHIPMENT).rates if r.service_code == "US-PM")
        sandbox.faults.script("CreateIndicium", "reset_after", times=2)
        with pytest.raises(OutcomeUnknown):
            shipping.buy(rate, SHIPMENT, idempotency_key="order-9")
        worker = _worker(store, url, sandbox)
        shipping = worker.shipping("m1")
        worker.client("m1").account()  # logged in
        sandbox.faults.script("GetAccountInfo", "refused", times=None)  # the service is out of reach
        with pytest.raises(ConnectError):
            shipping.buy(rate, SHIPMENT, idempotency_key="order-9")
        sandbox.faults.clear()
        entry = store.labels.get("m1", Carrier.USPS, "order-9")
        assert entry is not None and entry.label is None  # still pending: it may have printed
        label = _worker(store, url, sandbox).shipping("m1").buy(rate, SHIPMENT, idempotency_key="order-9")
        assert label.tracking_number and len(_prints(sandbox)) == 1
