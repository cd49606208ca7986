"""USPS labels through One Balance, end to end against the sandbox (both modes)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from carriers import Address, Carrier, OneBalancePayment, Parcel, ShipmentRequest, TrackingStatus, Weight
from onebalance import (
    Accounts,
    AutoRefillSettings,
    InMemoryCredentialStore,
    InsufficientFunds,
    LabelNotFound,
    PlanRestriction,
    UspsShipping,
    ValidationError,
    VoidRefused,
)
from onebalance.carriers.usps._proxy import UspsProxy
from onebalance.sandbox import DEMO_INTEGRATION_ID

D = Decimal
PASSWORD = "Ship-passw0rd"
SHIPPER = Address(
    name="Acme Widgets",
    street_lines=["1990 E Grand Ave"],
    city="El Segundo",
    state="CA",
    postal_code="90245",
    phone="3105550142",
)
RECIPIENT = Address(
    name="Ada Lovelace",
    street_lines=["350 5th Ave"],
    city="New York",
    state="NY",
    postal_code="10118",
    phone="2125550100",
)


@pytest.fixture
def usps(sandbox, endpoint):
    sandbox.create_account("shipper", PASSWORD, balance="100.00")
    accounts = Accounts(
        integration_id=DEMO_INTEGRATION_ID,
        endpoint=endpoint.url,
        store=InMemoryCredentialStore(),
        now=sandbox.clock.now,
    )
    accounts.connect("m1", username="shipper", password=PASSWORD)
    return accounts.usps("m1")


def _shipment(pounds: str = "2", service: str | None = None) -> ShipmentRequest:
    return ShipmentRequest(
        shipper=SHIPPER,
        recipient=RECIPIENT,
        parcels=[Parcel(weight=Weight(value=pounds, unit="lb"))],
        ship_date=date.today(),
        service=service,
    )


def _priority(usps, shipment):
    return next(r for r in usps.rates(shipment) if r.service_code == "US-PM")


def _prints(sandbox) -> list:
    return [e for e in sandbox.ledger("shipper") if e.type == "Print"]


def test_rates_for_every_service_paid_from_one_balance(usps):
    rates = usps.rates(_shipment())
    assert {r.service_code for r in rates} >= {"US-PM", "US-XM"}
    assert all(r.carrier is Carrier.USPS and isinstance(r.payment, OneBalancePayment) for r in rates)
    assert all(r.total.amount > 0 for r in rates)


def test_cleansing_gives_the_hash_the_label_needs(usps):
    cleansed = usps.cleanse(RECIPIENT)
    assert cleansed.match
    assert cleansed.cleanse_hash


def test_a_label_debits_the_one_balance_once_per_idempotency_key(usps, sandbox):
    shipment = _shipment()
    rate = _priority(usps, shipment)
    label = usps.buy(rate, shipment, idempotency_key="order-1001")
    assert label.tracking_number
    assert label.label_image.startswith(b"\x89PNG")
    assert isinstance(label.paid_by, OneBalancePayment)
    assert sandbox.account("shipper").available_postage == D("100.00") - label.cost.amount
    again = usps.buy(rate, shipment, idempotency_key="order-1001")  # a retry or a double click
    assert again.tracking_number == label.tracking_number
    assert len(_prints(sandbox)) == 1
    sandbox.check_ledger("shipper")


def test_a_repeat_of_a_label_bought_here_makes_no_call_and_never_refills(usps, sandbox, wire_log):
    shipment = _shipment()
    rate = _priority(usps, shipment)
    label = usps.buy(rate, shipment, idempotency_key="order-2001")
    # The balance is now short of another label and the policy would refill: a double click must not.
    sandbox.set_balance("shipper", "1.00")
    usps.postage.update_settings(auto_refill=AutoRefillSettings(threshold=D("20.00"), amount=D("100.00")))
    del wire_log[:]
    again = usps.buy(rate, shipment, idempotency_key="order-2001")
    assert again == label
    assert wire_log == []
    assert sandbox.account("shipper").available_postage == D("1.00")
    assert len(_prints(sandbox)) == 1


def test_a_label_worked_out_before_anything_is_sent_sends_what_one_worked_out_after_reading_does(
    usps, sandbox, wire_log, monkeypatch
):
    """With the account and the recipient's check known, ``buy`` builds its CreateIndicium first (bad input
    raises before anything is sent, as always); without them, after reading them: the same request."""
    sent: list[dict] = []
    call = UspsProxy.call

    def spy(self, operation, payload, *, transaction_id=None, reads=None):
        if operation == "CreateIndicium":
            sent.append({name: value for name, value in payload.items() if name != "IntegratorTxID"})
        return call(self, operation, payload, transaction_id=transaction_id, reads=reads)

    monkeypatch.setattr(UspsProxy, "call", spy)
    rate = _priority(usps, _shipment())
    usps.cleanse(RECIPIENT)  # the rate shop read the account; the recipient is checked

    def requests():
        return [op for direction, op, _ in wire_log if direction == "request"]

    del wire_log[:]
    two = _shipment().model_copy(update={"parcels": [Parcel(weight=Weight(1)), Parcel(weight=Weight(1))]})
    with pytest.raises(ValidationError, match="one parcel"):  # before the quote's check, too
        usps.buy(rate, two, idempotency_key="two-parcels")
    assert requests() == []
    known = usps.buy(rate, _shipment(), idempotency_key="known-1")
    assert requests() == ["CreateIndicium"]
    usps.proxy.known.forget()
    monkeypatch.setattr(usps.proxy.known, "check", lambda address: None)
    del wire_log[:]
    read = usps.buy(rate, _shipment(), idempotency_key="read-1")
    assert requests() == ["GetAccountInfo", "CleanseAddress", "CreateIndicium"]
    assert len(sent) == 2 and sent[0] == sent[1] and sent[0]["Rate"]["To"]["CleanseHash"]
    assert known.cost == read.cost and known.quoted_cost == read.quoted_cost
    assert len(_prints(sandbox)) == 2


def test_a_key_this_object_does_not_remember_is_replayed_by_the_service(usps, sandbox, wire_log):
    shipment = _shipment()
    rate = _priority(usps, shipment)
    first = usps.buy(rate, shipment, idempotency_key="replay-1")
    elsewhere = UspsShipping(usps.postage)  # another process, or this one after a restart
    del wire_log[:]
    again = elsewhere.buy(rate, shipment, idempotency_key="replay-1")
    assert "CreateIndicium" in [op for direction, op, _ in wire_log if direction == "request"]
    assert again.tracking_number == first.tracking_number
    assert len(_prints(sandbox)) == 1
    sandbox.check_ledger("shipper")


def test_a_label_bought_whose_answer_cannot_be_read_is_an_unknown_outcome_and_debited_once(usps, sandbox):
    from onebalance import OutcomeUnknown

    shipment = _shipment()
    rate = _priority(usps, shipment)
    sandbox.state.counters["label"] = 10**60  # a tracking number over the Label model's 64 characters
    with pytest.raises(OutcomeUnknown) as caught:
        usps.buy(rate, shipment, idempotency_key="order-garbled")
    assert caught.value.cause is not None and caught.value.__context__ is None
    with pytest.raises(OutcomeUnknown):  # the same key: the service replays the label, still unreadable
        usps.buy(rate, shipment, idempotency_key="order-garbled")
    assert len(_prints(sandbox)) == 1  # bought and debited once
    sandbox.check_ledger("shipper")


def test_sample_labels_cost_nothing(usps, sandbox):
    shipment = _shipment()
    usps.buy(_priority(usps, shipment), shipment, idempotency_key="sample-1", sample=True)
    assert sandbox.account("shipper").available_postage == D("100.00")


def test_a_plan_that_does_not_allow_the_service_is_refused_before_anything_is_bought(usps, sandbox, wire_log):
    sandbox.set_capability("shipper", "AllowAllMailClasses", False)
    shipment = _shipment("0.5")
    ground = next((r for r in usps.rates(shipment) if r.service_code == "US-GA"), None)
    assert ground is not None
    with pytest.raises(PlanRestriction):
        usps.buy(ground, shipment, idempotency_key="ga-1")
    assert not [op for d, op, _ in wire_log if d == "request" and op == "CreateIndicium"]
    usps.buy(_priority(usps, shipment), shipment, idempotency_key="pm-1")  # Priority is allowed


def test_insufficient_funds_runs_the_auto_refill_policy(usps, sandbox):
    sandbox.set_balance("shipper", "3.00")
    shipment = _shipment("10")
    rate = _priority(usps, shipment)
    with pytest.raises(InsufficientFunds):
        usps.buy(rate, shipment, idempotency_key="big-1")
    assert not _prints(sandbox)
    usps.postage.update_settings(auto_refill=AutoRefillSettings(threshold=D("20.00"), amount=D("100.00")))
    label = usps.buy(rate, shipment, idempotency_key="big-1")
    assert sandbox.account("shipper").available_postage == D("103.00") - label.cost.amount
    sandbox.check_ledger("shipper")


def test_a_purchase_reads_the_known_account_and_a_refill_reads_it_again_under_the_lock(usps, sandbox, wire_log):
    shipment = _shipment()
    rate = _priority(usps, shipment)  # reads the account: its plan, and its balance from then on

    def calls_of(buy) -> list[str | None]:
        del wire_log[:]
        buy()
        return [op for direction, op, _ in wire_log if direction == "request"]

    assert calls_of(lambda: usps.buy(rate, shipment, idempotency_key="calls-1")) == [
        "CleanseAddress", "CreateIndicium"]  # fmt: skip
    usps.postage.update_settings(auto_refill=AutoRefillSettings(threshold=D("200.00"), amount=D("100.00")))
    refilled = calls_of(lambda: usps.buy(rate, shipment, idempotency_key="calls-2"))
    # due by the known balance: read for real, then decided again on a fresh read under the refill lock
    assert refilled[:2] == ["GetAccountInfo", "GetAccountInfo"], refilled
    assert refilled[-2:] == ["PurchasePostage", "CreateIndicium"], refilled
    sandbox.check_ledger("shipper")


def test_void_refunds_once_the_service_approves(usps, sandbox):
    shipment = _shipment()
    label = usps.buy(_priority(usps, shipment), shipment, idempotency_key="void-1")
    after_print = sandbox.account("shipper").available_postage
    result = usps.void(label)
    assert (result.voided, result.refund_status) == (True, "pending")
    assert sandbox.account("shipper").available_postage == after_print  # not credited yet
    sandbox.approve_refunds("shipper")
    assert sandbox.account("shipper").available_postage == D("100.00")
    with pytest.raises(VoidRefused):
        usps.void(label)
    sandbox.check_ledger("shipper")


def test_tracking_moves_with_time(usps, sandbox):
    shipment = _shipment()
    label = usps.buy(_priority(usps, shipment), shipment, idempotency_key="track-1")
    assert usps.track(label.tracking_number).status is TrackingStatus.PRE_TRANSIT
    sandbox.advance_clock(timedelta(days=6))
    tracking = usps.track(label.tracking_number)
    assert tracking.status is TrackingStatus.DELIVERED
    assert tracking.events[0].occurred_at >= tracking.events[-1].occurred_at
    with pytest.raises(LabelNotFound):
        usps.track("9400000000000000000000")


def test_tracking_a_voided_label_says_it_was_voided(usps, sandbox):
    shipment = _shipment()
    label = usps.buy(_priority(usps, shipment), shipment, idempotency_key="track-void")
    assert usps.void(label).voided
    tracking = usps.track(label.tracking_number)
    assert tracking.status is TrackingStatus.VOIDED and tracking.status.is_final
    assert tracking.events[0].status is TrackingStatus.VOIDED and tracking.events[0].description == "Label voided"
    sandbox.advance_clock(timedelta(days=6))
    assert usps.track(label.tracking_number).status is TrackingStatus.VOIDED


def test_a_label_whose_image_cannot_be_fetched_is_reported_as_bought_not_as_failed(usps, sandbox, monkeypatch):
    from onebalance import OutcomeUnknown, RequestTimeout
    from onebalance.carriers.usps import _mapping as usps_mapping

    def unreachable(urls, tx_id):
        raise RequestTimeout("No answer from the label server", operation="CreateIndicium")

    shipment = _shipment()
    rate = _priority(usps, shipment)
    with monkeypatch.context() as patch:  # the service answers with the label's URL, which cannot be reached
        patch.setattr(usps_mapping, "image_data", lambda response: None)
        patch.setattr(usps.proxy, "fetch_image", unreachable)
        with pytest.raises(OutcomeUnknown, match="bought and paid") as info:
            usps.buy(rate, shipment, idempotency_key="order-img")
    assert isinstance(info.value.cause, RequestTimeout)
    assert len(_prints(sandbox)) == 1  # it was bought: the error must not say otherwise
    label = usps.buy(rate, shipment, idempotency_key="order-img")  # the same key: the same label, with its image
    assert label.label_image
    assert len(_prints(sandbox)) == 1


def test_a_label_in_doubt_is_returned_even_when_its_own_debit_left_the_balance_short(sandbox):
    """CreateIndicium is printed but every answer is lost (OutcomeUnknown). The label's own debit
    leaves less than another label costs; sending the same key again must return the label (the
    service replays it), not InsufficientFunds, which would tell the caller nothing was bought."""
    from onebalance import InMemoryPostageRecords, OneBalance, OutcomeUnknown, Postage, RetryPolicy

    sandbox.create_account("short", PASSWORD, balance="12.00")
    with sandbox.mock() as url:
        client = OneBalance(
            integration_id=DEMO_INTEGRATION_ID,
            username="short",
            password=PASSWORD,
            endpoint=url,
            retry=RetryPolicy(attempts=2, backoff_base=0, backoff_max=0),
        )
        usps = UspsShipping(Postage("m-short", client, InMemoryPostageRecords()))
        shipment = _shipment("1")
        rate = _priority(usps, shipment)
        assert D("6.00") < rate.total.amount <= D("12.00")
        sandbox.faults.script("CreateIndicium", "reset_after", times=2)
        with pytest.raises(OutcomeUnknown):
            usps.buy(rate, shipment, idempotency_key="order-doubt")
        assert sandbox.account("short").available_postage < rate.total.amount  # it was bought
        with pytest.raises(InsufficientFunds):  # a new key is refused before anything is sent
            usps.buy(rate, shipment, idempotency_key="order-new")
        label = usps.buy(rate, shipment, idempotency_key="order-doubt")
        assert label.tracking_number
        assert len([e for e in sandbox.ledger("short") if e.type == "Print"]) == 1
        sandbox.check_ledger("short")
