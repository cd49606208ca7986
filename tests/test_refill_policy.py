"""The SDK's auto-refill buys what the merchant configured, and a refill that fails never stops a
label the balance pays for (it is reported, and retried after the back-off)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest

from carriers import Address, Parcel, ShipmentRequest, Weight
from onebalance import (
    Accounts,
    AutoRefillSettings,
    CallbackNotifier,
    InMemoryCredentialStore,
    InMemoryPostageRecords,
    InsufficientFunds,
    MonthlyLimitExceeded,
    PermissionDenied,
    Postage,
    PurchaseRejected,
    RefillEvent,
    RefillFailedEvent,
)
from onebalance.funding import BACKOFF_FIRST, plan_refill
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox

D = Decimal
PASSWORD = "Shop-passw0rd"


@pytest.fixture
def shop(sandbox: Sandbox) -> Iterator[Postage]:
    """Merchant 'm1' (sandbox user 'shop', $42.10 of a $500.00 maximum), its notices in ``.events``."""
    sandbox.create_account("shop", PASSWORD, balance="42.10")
    events: list = []
    with sandbox.mock() as url:
        accounts = Accounts(
            integration_id=DEMO_INTEGRATION_ID,
            endpoint=url,
            store=InMemoryCredentialStore(),
            records=InMemoryPostageRecords(),
            notifiers=[CallbackNotifier(events.append)],
            now=sandbox.clock.now,
        )
        accounts.connect("m1", username="shop", password=PASSWORD)
        postage = accounts.postage("m1")
        postage.events = events  # type: ignore[attr-defined]
        postage.accounts = accounts  # type: ignore[attr-defined]
        yield postage


def _policy(postage: Postage, **kw: object) -> None:
    postage.update_settings(auto_refill=AutoRefillSettings(**({"threshold": "15.00", "amount": "10.00"} | kw)))


def _purchases(sandbox: Sandbox) -> list:
    return [e for e in sandbox.ledger("shop") if e.type == "Purchase"]


# -- item 4: the configured amount, never a silent larger buy ------------------------------------------
def test_plan_the_configured_amount_within_the_room_and_what_would_cover_a_dearer_label():
    assert plan_refill(D("10.00"), D("15.00"), D("500.00"), D("5.00")).amount == D("10.00")
    dear = plan_refill(D("10.00"), D("15.00"), D("500.00"), D("200.00"))
    assert (dear.amount, dear.covering, dear.enough) == (D("10.00"), D("185.00"), False)
    assert plan_refill(D("100.00"), D("480.00"), D("500.00"), D("100.00")).amount == D("20.00")  # the maximum
    assert plan_refill(D("100.00"), D("495.00"), D("500.00"), D("1.00")).amount is None  # under the minimum
    assert plan_refill(D("10.00"), D("15.00"), D("100.00"), D("200.00")).covering is None  # nothing could


def test_a_label_dearer_than_the_refill_is_refused_with_a_proposal_and_nothing_is_bought(shop, sandbox):
    sandbox.set_balance("shop", "15.00")
    _policy(shop)  # threshold $15, amount $10
    with pytest.raises(InsufficientFunds) as info:
        shop.ensure_funds("200.00")
    assert (info.value.needed, info.value.available) == (D("200.00"), D("15.00"))
    assert info.value.proposal.amount == D("185.00")
    assert "adds $10.00" in str(info.value) and "cover_shortfall" in str(info.value)
    assert _purchases(sandbox) == []
    assert shop.balance().available_postage == D("15.00")


def test_the_configured_amount_is_bought_when_it_pays_for_the_label(shop, sandbox):
    sandbox.set_balance("shop", "15.00")
    _policy(shop)
    receipt = shop.ensure_funds("12.00")  # 15 - 12 is under 15: $10 is added, as configured
    assert (receipt.amount, receipt.balance_after) == (D("10.00"), D("25.00"))


def test_covering_the_shortfall_is_an_opt_in_and_the_prompt_hook_sees_the_exact_amount(shop, sandbox):
    sandbox.set_balance("shop", "15.00")
    _policy(shop, cover_shortfall=True)
    asked = []
    shop.prompt = lambda proposal: asked.append(proposal) or False  # declined: nothing is bought
    with pytest.raises(InsufficientFunds):
        shop.ensure_funds("200.00")
    assert [p.amount for p in asked] == [D("185.00")]
    assert _purchases(sandbox) == []
    shop.prompt = lambda proposal: asked.append(proposal) or True
    receipt = shop.ensure_funds("200.00")
    assert (receipt.amount, receipt.balance_after) == (D("185.00"), D("200.00"))
    assert asked[-1].amount == receipt.amount
    shop.prompt = None  # opted in and no hook: bought without asking
    sandbox.set_balance("shop", "15.00")
    assert shop.ensure_funds("50.00").amount == D("35.00")


# -- item 5: a failed refill never blocks a label the balance pays for ---------------------------------
def _refuse_by(sandbox: Sandbox, cause: str) -> type:
    if cause == "not an admin":
        sandbox.set_capability("shop", "CanPurchasePostage", False)
        return PermissionDenied
    if cause == "rejected":
        sandbox.set_next_purchase_outcome("shop", "Rejected", "SystemFailure")
        return PurchaseRejected
    sandbox.set_monthly_limit("shop", 50)
    return MonthlyLimitExceeded


@pytest.mark.parametrize("cause", ["not an admin", "rejected", "monthly limit"])
def test_a_failed_refill_is_reported_and_the_label_goes_ahead(shop, sandbox, caplog, cause):
    _policy(shop, threshold="50.00", amount="100.00", notify_email="ops@shop.example")
    if cause == "monthly limit":
        shop.add("40.00")  # $40 of this month's $50 bought: the $100 refill would pass it
        sandbox.print_postage("shop", "40.00")
    error = _refuse_by(sandbox, cause)
    caplog.set_level(logging.WARNING, logger="onebalance")
    assert shop.ensure_funds("12.88") is None  # $42.10 pays for the label: it is not stopped
    failed = [e for e in shop.events if isinstance(e, RefillFailedEvent)]
    assert len(failed) == 1
    assert failed[0].error == error.__name__
    assert (failed[0].balance, failed[0].needed, failed[0].notify_email) == (D("42.10"), D("12.88"), "ops@shop.example")
    assert timedelta(0) <= sandbox.clock.now() + BACKOFF_FIRST - failed[0].retry_after < timedelta(seconds=10)
    warning = next(r for r in caplog.records if "event=auto_refill_failed" in r.getMessage())
    assert warning.levelno == logging.WARNING and f"error={error.__name__}" in warning.getMessage()
    assert shop.balance().available_postage == D("42.10")


def test_a_usps_label_is_printed_when_its_refill_fails(shop, sandbox):
    _policy(shop, threshold="50.00", amount="100.00")
    sandbox.set_capability("shop", "CanPurchasePostage", False)
    usps = shop.accounts.usps("m1")
    shipper = Address(name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701")
    recipient = Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118")
    shipment = ShipmentRequest(
        shipper=shipper,
        recipient=recipient,
        parcels=[Parcel(weight=Weight(value="1", unit="lb"))],
        ship_date=date.today(),
    )
    rate = next(r for r in usps.rates(shipment) if r.service_code == "US-PM")
    label = usps.buy(rate, shipment, idempotency_key="order-1")
    assert label.tracking_number
    assert sandbox.account("shop").available_postage == D("42.10") - label.cost.amount
    assert [type(e) for e in shop.events if not isinstance(e, RefillEvent)][:1] == [RefillFailedEvent]


def test_the_next_refill_waits_for_the_back_off_which_doubles_and_ends_with_a_refill(shop, sandbox):
    _policy(shop, threshold="50.00", amount="100.00")
    sandbox.set_capability("shop", "CanPurchasePostage", False)

    def failures() -> int:
        return len([e for e in shop.events if isinstance(e, RefillFailedEvent)])

    assert shop.ensure_funds("5.00") is None
    assert failures() == 1
    sandbox.advance_clock(BACKOFF_FIRST - timedelta(seconds=10))  # the sandbox clock runs on, too
    assert shop.ensure_funds("5.00") is None  # still waiting: not tried, not reported again
    assert failures() == 1
    sandbox.advance_clock(timedelta(seconds=10))
    assert shop.ensure_funds("5.00") is None  # tried again, failed again: the wait doubles
    assert failures() == 2
    waits = sandbox.clock.now() + 2 * BACKOFF_FIRST - shop.events[-1].retry_after
    assert timedelta(0) <= waits < timedelta(seconds=10)
    sandbox.set_capability("shop", "CanPurchasePostage", True)  # the administrator gives the right
    sandbox.advance_clock(2 * BACKOFF_FIRST)
    receipt = shop.ensure_funds("5.00")
    assert (receipt.kind, receipt.amount) == ("auto_refill", D("100.00"))
    sandbox.set_capability("shop", "CanPurchasePostage", False)
    sandbox.set_balance("shop", "42.10")
    assert shop.ensure_funds("5.00") is None  # a refill ended the back-off: tried at once
    assert failures() == 3


def test_a_failed_refill_still_stops_a_label_the_balance_cannot_pay_for(shop, sandbox):
    _policy(shop, threshold="50.00", amount="100.00")
    sandbox.set_capability("shop", "CanPurchasePostage", False)
    with pytest.raises(PermissionDenied, match="administrator"):
        shop.ensure_funds("60.00")
    assert not [e for e in shop.events if isinstance(e, RefillFailedEvent)]
