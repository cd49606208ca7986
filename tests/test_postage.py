"""Funding postage against the sandbox: every rule, fees, presets, receipts, auto-refill, history."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from onebalance import (
    Accounts,
    AmountBelowMinimum,
    AutoRefillSettings,
    BalanceLimitExceeded,
    CallbackNotifier,
    CostAccountRequired,
    EmailNotifier,
    InMemoryCredentialStore,
    InMemoryPostageRecords,
    InsufficientFunds,
    InvalidAmount,
    InvalidAutoBuySettings,
    InvoicedAccount,
    LowBalanceEvent,
    MonthlyLimitExceeded,
    OneBalance,
    PermissionDenied,
    PurchaseRejected,
    RefillEvent,
    StaleControlTotal,
    UnknownCostAccount,
    ValidationError,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID

D = Decimal
PASSWORD = "Shop-passw0rd"


@pytest.fixture
def shop(sandbox, endpoint):
    """A merchant 'm1' (sandbox user 'shop') with $50.00 and a $500.00 maximum, connected."""
    sandbox.create_account("shop", PASSWORD, balance="50.00")
    events: list = []
    accounts = Accounts(
        integration_id=DEMO_INTEGRATION_ID,
        endpoint=endpoint.url,
        store=InMemoryCredentialStore(),
        records=InMemoryPostageRecords(),
        notifiers=[CallbackNotifier(events.append)],
        now=sandbox.clock.now,
    )  # the service's clock, which the tests move
    accounts.connect("m1", username="shop", password=PASSWORD)
    postage = accounts.postage("m1")
    postage.events = events  # type: ignore[attr-defined]
    return postage


def _purchases_sent(wire_log) -> int:
    return sum(1 for d, op, _ in wire_log if d == "request" and op == "PurchasePostage")


def test_quote_then_confirm_buys_once_and_issues_a_receipt(shop, sandbox, wire_log):
    quote = shop.quote("100.00")
    assert (quote.amount, quote.fee, quote.total) == (D("100.00"), D("0.00"), D("100.00"))
    assert (quote.balance_before, quote.balance_after) == (D("50.00"), D("150.00"))
    assert _purchases_sent(wire_log) == 0  # a quote buys nothing
    receipt = shop.buy(quote)
    assert receipt.status == "Success"
    assert receipt.balance_after == D("150.00")
    assert shop.buy(quote) == receipt  # confirming twice never buys twice
    assert shop.balance().available_postage == D("150.00")
    assert len([e for e in sandbox.ledger("shop") if e.type == "Purchase"]) == 1
    sandbox.check_ledger("shop")
    assert "Total charged    $100.00" in receipt.text()
    assert receipt.processor_transaction_id and f"Processor ref    {receipt.processor_transaction_id}" in receipt.text()
    assert receipt.pdf().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("9.99", AmountBelowMinimum),
        ("0", InvalidAmount),
        ("-5", InvalidAmount),
        ("10.001", InvalidAmount),
        ("ten", InvalidAmount),
        ("NaN", InvalidAmount),
    ],
)
def test_bad_amounts_are_refused_before_anything_is_bought(shop, wire_log, amount, error):
    with pytest.raises(error):
        shop.add(amount)
    assert _purchases_sent(wire_log) == 0


def test_the_maximum_balance_is_read_from_the_account(sandbox, endpoint, wire_log):
    sandbox.create_account("small", PASSWORD, balance="200.00", max_postage_balance="250.00")
    accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=endpoint.url, store=InMemoryCredentialStore())
    accounts.connect("m2", username="small", password=PASSWORD)
    postage = accounts.postage("m2")
    with pytest.raises(BalanceLimitExceeded, match=r"at most \$50.00"):
        postage.add("60.00")
    assert postage.add("50.00").balance_after == D("250.00")
    assert _purchases_sent(wire_log) == 1


def test_the_monthly_limit(shop, sandbox, wire_log):
    sandbox.set_monthly_limit("shop", 100)
    shop.add("60.00")
    with pytest.raises(MonthlyLimitExceeded, match=r"\$60.00 bought this month"):
        shop.add("50.00")
    assert _purchases_sent(wire_log) == 1
    sandbox.advance_clock(timedelta(days=32))
    shop.add("50.00")


def test_only_admins_may_buy(shop, sandbox, wire_log):
    sandbox.set_capability("shop", "CanPurchasePostage", False)
    with pytest.raises(PermissionDenied, match="administrator"):
        shop.quote("20.00")
    assert _purchases_sent(wire_log) == 0


def test_invoiced_accounts_do_not_buy(shop, sandbox):
    sandbox.set_capability("shop", "CanUseInvoicing", True)
    with pytest.raises(InvoicedAccount):
        shop.add("20.00")


def test_cost_accounts(shop, sandbox, wire_log):
    names = [c.name for c in shop.cost_accounts()]
    assert names
    receipt = shop.add("25.00", cost_account=names[-1])
    assert receipt.cost_account == names[-1]
    with pytest.raises(UnknownCostAccount):
        shop.add("25.00", cost_account="No Such Department")
    sandbox.set_capability("shop", "MustUseCostCodes", True)
    with pytest.raises(CostAccountRequired):
        shop.add("25.00")
    assert _purchases_sent(wire_log) == 1


def test_the_cost_account_a_charge_goes_to(shop, sandbox):
    first = shop.cost_accounts()[0]
    account = shop.client.account()
    assert shop.cost_account(None, account) is None
    assert shop.cost_account(first.name, account) == first
    assert shop.cost_account(first.id, account) == first
    with pytest.raises(UnknownCostAccount):
        shop.cost_account("No Such Department", account)
    sandbox.set_capability("shop", "MustUseCostCodes", True)
    with pytest.raises(CostAccountRequired):
        shop.cost_account(None, shop.client.account())


@pytest.mark.parametrize(
    ("mailstation", "funding", "fee"),
    [
        (True, None, D("3.50")),
        (False, None, D("0.00")),
        (True, "reserve_account", D("0.00")),
        (True, "purchase_power", D("0.00")),
    ],
)
def test_the_administrative_fee(shop, sandbox, mailstation, funding, fee):
    shop.update_settings(has_mailstation=mailstation)
    sandbox.set_mailstation("shop", mailstation)
    if funding:
        sandbox.add_funding_account("shop", funding)
    quote = shop.quote("100.00")
    assert (quote.fee, quote.total) == (fee, D("100.00") + fee)
    receipt = shop.buy(quote)
    assert (receipt.fee, receipt.total) == (fee, D("100.00") + fee)
    charge = sandbox.charges("shop")[-1]
    assert (D(str(charge.fee)), D(str(charge.total))) == (fee, D("100.00") + fee)


def test_fee_is_rounded_half_up_to_the_cent(shop):
    shop.update_settings(has_mailstation=True)
    assert shop.quote("10.10").fee == D("0.35")  # 0.3535
    assert shop.quote("10.30").fee == D("0.36")  # 0.3605


def test_refill_presets(shop):
    with pytest.raises(ValidationError, match="no earlier refill"):
        shop.quote(preset="last")
    shop.add("35.00")
    assert shop.quote(preset="last").amount == D("35.00")
    assert shop.quote(preset="last").kind == "last"
    shop.update_settings(default_refill_amount=D("75.00"))
    assert shop.quote(preset="default").amount == D("75.00")
    with pytest.raises(ValidationError):
        shop.quote("20.00", preset="default")


def test_a_stale_control_total_is_reported_with_the_fresh_balance_and_buys_nothing(shop, sandbox):
    quote = shop.quote("20.00")
    sandbox.print_postage("shop", "7.50")  # another application printed meanwhile
    with pytest.raises(StaleControlTotal) as info:
        shop.buy(quote)
    assert info.value.available_postage == D("42.50")
    assert not [e for e in sandbox.ledger("shop") if e.type == "Purchase"]
    assert shop.buy(shop.quote("20.00")).balance_after == D("62.50")


def test_a_rejected_purchase_buys_nothing_and_says_why(shop, sandbox):
    sandbox.set_next_purchase_outcome("shop", "Rejected", rejection_code="CustomerActionRequired")
    with pytest.raises(PurchaseRejected) as info:
        shop.add("20.00")
    assert info.value.rejection_code is None  # v135 answers with the reason only
    assert info.value.rejection_reason
    assert shop.balance().available_postage == D("50.00")
    assert shop.records.receipts("m1") == []


def test_v111_says_why_with_a_rejection_code_and_v135_keeps_the_processor_id(sandbox):
    sandbox.create_account("shop", PASSWORD, balance="50.00")
    with sandbox.mock() as url:
        old = OneBalance(
            integration_id=DEMO_INTEGRATION_ID, username="shop", password=PASSWORD, endpoint=url, api_version="v111"
        )
        sandbox.set_next_purchase_outcome("shop", "Rejected", rejection_code="CustomerActionRequired")
        rejected = old.purchase_postage(D("20.00"), D("0.00"), "ob-rejected")
        assert (rejected.status, rejected.rejection_code) == ("Rejected", "CustomerActionRequired")
        assert old.purchase_postage(D("20.00"), D("0.00"), "ob-1").processor_transaction_id is None
        new = OneBalance(integration_id=DEMO_INTEGRATION_ID, username="shop", password=PASSWORD, endpoint=url)
        bought = new.purchase_postage(D("20.00"), D("0.00"), "ob-2")
        assert bought.status == "Success" and bought.processor_transaction_id == f"pp_{bought.transaction_id:012d}"


def test_the_services_auto_buy_setting(shop, sandbox):
    with pytest.raises(InvalidAutoBuySettings) as low:  # the class the service's own refusal maps to
        shop.set_auto_buy(True, amount="5.00", threshold="20.00")
    assert low.value.code == "0045018e"
    with pytest.raises(InvalidAutoBuySettings) as high:
        shop.set_auto_buy(True, amount="400.00", threshold="150.00")
    assert high.value.code == "0045018f"
    settings = shop.set_auto_buy(True, amount="100.00", threshold="20.00")
    assert (settings.enabled, settings.amount, settings.threshold) == (True, D("100.00"), D("20.00"))
    sandbox.print_postage("shop", "40.00")  # 10.00 left: below the trigger, the service buys 100.00
    assert shop.balance().available_postage == D("110.00")
    assert shop.set_auto_buy(False).enabled is False


# -- the SDK's auto-refill --------------------------------------------------------------------------
def _policy(shop, **kw):
    values = {"threshold": D("20.00"), "amount": D("50.00")} | kw
    shop.update_settings(auto_refill=AutoRefillSettings(**values))


def test_a_label_that_would_go_under_the_threshold_refills_first(shop, sandbox):
    _policy(shop)
    assert shop.ensure_funds("25.00") is None  # 50 - 25 = 25, not under 20
    sandbox.print_postage("shop", "25.00")
    receipt = shop.ensure_funds("10.00")  # 25 - 10 = 15 < 20
    assert receipt is not None
    assert (receipt.kind, receipt.amount, receipt.balance_after) == ("auto_refill", D("50.00"), D("75.00"))
    event = next(e for e in shop.events if isinstance(e, RefillEvent))
    assert event.receipt == receipt
    assert "below $20.00" in event.reason


def test_auto_refill_never_passes_the_maximum(shop, sandbox):
    sandbox.set_balance("shop", "480.00")
    _policy(shop, threshold=D("400.00"), amount=D("100.00"))
    receipt = shop.ensure_funds("100.00")
    assert receipt is not None
    assert (receipt.amount, receipt.balance_after) == (D("20.00"), D("500.00"))
    sandbox.set_balance("shop", "495.00")
    assert shop.ensure_funds("100.00") is None  # only $5 of room: below the $10 minimum


def test_a_label_costing_more_than_the_balance(shop):
    with pytest.raises(InsufficientFunds) as info:
        shop.ensure_funds("80.00")
    assert (info.value.needed, info.value.available) == (D("80.00"), D("50.00"))


def test_the_prompt_before_refilling(shop):
    asked = []
    _policy(shop, prompt_before_refill=True)
    shop.prompt = lambda proposal: asked.append(proposal) or False
    with pytest.raises(InsufficientFunds):
        shop.ensure_funds("60.00")
    assert asked[0].amount == D("50.00")
    shop.prompt = lambda proposal: True
    assert shop.ensure_funds("60.00").amount == D("50.00")


def test_prompting_without_a_hook_declines(shop):
    _policy(shop, prompt_before_refill=True)
    assert shop.ensure_funds("40.00") is None


def test_auto_refill_charged_to_its_cost_account(shop):
    name = shop.cost_accounts()[-1].name
    _policy(shop, cost_account_id=shop.cost_accounts()[-1].id)
    assert shop.ensure_funds("40.00").cost_account == name


def test_low_balance_warning(shop):
    shop.update_settings(low_balance_threshold=D("75.00"))
    assert shop.balance().low
    shop.add("10.00")
    assert any(isinstance(e, LowBalanceEvent) and e.balance == D("60.00") for e in shop.events)
    shop.add("20.00")
    assert not shop.balance().low


def test_racing_label_purchases_refill_once(sandbox, endpoint):
    sandbox.create_account("busy", PASSWORD, balance="30.00")
    accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=endpoint.url, store=InMemoryCredentialStore())
    accounts.connect("busy", username="busy", password=PASSWORD)
    postage = accounts.postage("busy")
    _policy(postage, threshold=D("25.00"), amount=D("100.00"))
    barrier = threading.Barrier(8)
    results = []

    def label():
        barrier.wait()
        results.append(postage.ensure_funds("10.00"))

    threads = [threading.Thread(target=label) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([r for r in results if r is not None]) == 1
    assert postage.balance().available_postage == D("130.00")


def test_refill_email_over_smtp(shop, sandbox):
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
            received.append((envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        # no recipients configured: the merchant's address from its auto-refill settings is used
        shop.notifiers.append(EmailNotifier("127.0.0.1", port, sender="postage@platform.test", starttls=False))
        _policy(shop, notify_email="owner@shop.test")
        shop.ensure_funds("40.00")
    finally:
        controller.stop()
    assert received[0][0] == ["owner@shop.test"]
    assert "Postage refilled: $50.00" in received[0][1]
    assert PASSWORD not in received[0][1]


def test_a_failing_notifier_never_undoes_the_refill(shop):
    def broken(event):
        raise RuntimeError("mail server down")

    shop.notifiers.append(CallbackNotifier(broken))
    _policy(shop)
    assert shop.ensure_funds("40.00").status == "Success"


# -- history ----------------------------------------------------------------------------------------
def test_history_links_refills_to_receipts_filters_and_exports(shop, sandbox):
    first = shop.add("30.00", cost_account=shop.cost_accounts()[0].id)
    sandbox.print_postage("shop", "12.34")
    second = shop.add("20.00")
    sandbox.refund("shop", "5.00")
    history = shop.history()
    assert [e.type for e in history.entries[:4]] == ["Refund", "Purchase", "Print", "Purchase"]
    assert history.entries[0].balance == D("92.66")
    purchases = {e.receipt_id for e in history.entries if e.type == "Purchase"}
    assert {first.receipt_id, second.receipt_id} <= purchases
    prints = shop.history(types=["Print"])
    assert [e.cost for e in prints.entries] == [D("12.34")]
    by_cost_account = shop.history(cost_account=shop.cost_accounts()[0].name)
    assert [e.receipt_id for e in by_cost_account.entries] == [first.receipt_id]
    csv_text = history.csv()
    assert csv_text.splitlines()[0] == "date,type,cost,credit,balance,purchase_type,receipt_id,cost_account"
    assert first.receipt_id in csv_text


def test_an_opted_in_refill_covers_a_label_dearer_than_the_policy_amount_or_is_not_made(shop, sandbox):
    _policy(shop, threshold=D("20.00"), amount=D("30.00"), cover_shortfall=True)
    receipt = shop.ensure_funds("120.00")  # 50 + 30 would not pay for it: the refill is 70
    assert (receipt.amount, receipt.balance_after) == (D("70.00"), D("120.00"))
    sandbox.print_postage("shop", "120.00")
    sandbox.set_balance("shop", "10.00")
    with pytest.raises(InsufficientFunds):
        shop.ensure_funds("600.00")  # no refill could pay for it: none is made
    assert shop.balance().available_postage == D("10.00")


def test_a_pending_purchase_settles_without_a_second_charge(shop, sandbox):
    sandbox.set_next_purchase_outcome("shop", "Pending")
    quote = shop.quote("30.00")
    pending = shop.buy(quote)
    assert pending.status == "Pending"
    assert shop.quote(preset="default")  # reading the account lets the sandbox complete it
    settled = shop.buy(quote)  # asked again with the same IntegratorTxID
    assert settled.status == "Success"
    assert settled.balance_after == D("80.00")
    assert shop.records.receipt_for(quote.integrator_tx_id) == settled
    assert len([e for e in sandbox.ledger("shop") if e.type == "Purchase"]) == 1


def test_history_with_an_unknown_cost_account_is_refused(shop):
    with pytest.raises(UnknownCostAccount):
        shop.history(cost_account="Nowhere")
    assert all(e.occurred_at.tzinfo is not None for e in shop.history().entries)


def test_a_refill_met_by_a_label_printed_meanwhile_is_decided_again(shop, sandbox, wire_log):
    proposals = []

    def prompt(proposal):
        proposals.append(proposal)
        if len(proposals) == 1:
            sandbox.print_postage("shop", "5.00")  # another worker's label, between the read and the purchase
        return True

    _policy(shop, prompt_before_refill=True)
    shop.prompt = prompt
    receipt = shop.ensure_funds("40.00")  # 50 - 40 is under 20
    assert [p.balance for p in proposals] == [D("50.00"), D("45.00")]
    assert (receipt.amount, receipt.balance_after) == (D("50.00"), D("95.00"))
    assert _purchases_sent(wire_log) == 2  # the first was refused for its stale ControlTotal: nothing bought
    assert len([e for e in sandbox.ledger("shop") if e.type == "Purchase"]) == 1
    assert shop.records.receipts("m1") == [receipt]


def test_history_shows_the_cost_account_of_each_label_print(sandbox, endpoint):
    """The balance history names no cost account; the SDK links each USPS print it bought to its own."""
    from datetime import date

    from carriers import Address, Parcel, ShipmentRequest, Weight

    sandbox.create_account("labels", PASSWORD, balance="100.00")
    accounts = Accounts(
        integration_id=DEMO_INTEGRATION_ID,
        endpoint=endpoint.url,
        store=InMemoryCredentialStore(),
        records=InMemoryPostageRecords(),
        now=sandbox.clock.now,
    )
    accounts.connect("m2", username="labels", password=PASSWORD)
    shipping, postage = accounts.shipping("m2"), accounts.postage("m2")
    first, second = postage.cost_accounts()[:2]
    shipment = ShipmentRequest(
        shipper=Address(name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701"),
        recipient=Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118"),
        parcels=[Parcel(weight=Weight("12", "oz"))],
        ship_date=date.today(),
        service="US-PM",
    )
    heavy = shipment.model_copy(update={"parcels": (Parcel(weight=Weight("3", "lb")),)})
    rate, heavy_rate = shipping.rates(shipment).cheapest, shipping.rates(heavy).cheapest
    assert rate.total != heavy_rate.total
    c = shipping.buy(rate, shipment, idempotency_key="p-0")  # no cost account, same cost as the next one
    a = shipping.buy(rate, shipment, idempotency_key="p-1", cost_account=first.name)
    b = shipping.buy(heavy_rate, heavy, idempotency_key="p-2", cost_account=second.id)
    assert (a.cost_account_id, b.cost_account_id, c.cost_account_id) == (first.id, second.id, None)
    sandbox.print_postage("labels", "7.77")  # printed elsewhere: the SDK knows no cost account for it
    prints = postage.history(types=["Print"]).entries  # newest first
    assert [(e.cost, e.cost_account) for e in prints] == [
        (D("7.77"), None),
        (b.cost.amount, second.name),
        (a.cost.amount, first.name),
        (c.cost.amount, None),
    ]
    assert [e.cost for e in postage.history(cost_account=second.name).entries] == [b.cost.amount]
    rows = [line.split(",") for line in postage.history().csv().splitlines()[1:]]
    assert [r[-1] for r in rows if r[1] == "Print"] == ["", second.name, first.name, ""]
