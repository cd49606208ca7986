"""Property: whatever sequence of purchases, auto-refills, prints and refunds happens, the balance
equals the ledger, never exceeds the maximum, never goes below zero, and every SDK purchase is
recorded exactly once (no lost or doubled money)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onebalance import (
    Accounts,
    AmountBelowMinimum,
    AutoRefillSettings,
    BalanceLimitExceeded,
    InMemoryCredentialStore,
    InMemoryPostageRecords,
    InsufficientFunds,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox


def _dollars(c: int) -> Decimal:
    return Decimal(c) / 100


cents = st.integers(min_value=1, max_value=30000).map(_dollars)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(min_value=500, max_value=30000).map(_dollars)),
        st.tuples(st.just("label"), cents),
        st.tuples(st.just("print"), cents),
        st.tuples(st.just("refund"), cents),
        st.tuples(st.just("confirm_twice"), st.integers(min_value=1000, max_value=9000).map(_dollars)),
    ),
    min_size=1,
    max_size=15,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=steps,
    start=st.integers(min_value=0, max_value=40000).map(_dollars),
    threshold=st.integers(min_value=100, max_value=20000).map(_dollars),
)
def test_balance_always_equals_the_ledger_within_bounds(steps, start, threshold):
    box = Sandbox()
    box.create_account("shop", "Prop-passw0rd", balance=start, max_postage_balance="500.00")
    with box.mock() as url:
        accounts = Accounts(
            integration_id=DEMO_INTEGRATION_ID,
            endpoint=url,
            store=InMemoryCredentialStore(),
            records=InMemoryPostageRecords(),
            now=box.clock.now,
        )
        accounts.connect("m", username="shop", password="Prop-passw0rd")
        postage = accounts.postage("m")
        postage.update_settings(auto_refill=AutoRefillSettings(threshold=threshold, amount=Decimal("60.00")))
        sdk_purchases = 0
        for action, amount in steps:
            before = box.account("shop").available_postage
            if action in ("buy", "confirm_twice"):
                try:
                    quote = postage.quote(amount)
                except AmountBelowMinimum:
                    assert amount < Decimal("10.00")
                    continue
                except BalanceLimitExceeded:
                    assert before + amount > Decimal("500.00")
                    continue
                first = postage.buy(quote)
                if action == "confirm_twice":
                    assert postage.buy(quote) == first  # no second charge
                sdk_purchases += 1
                assert first.balance_after == before + amount
            elif action == "label":
                try:
                    refill = postage.ensure_funds(amount)
                except InsufficientFunds:
                    # nothing was bought for a label that could not be paid for anyway
                    assert box.account("shop").available_postage == before < amount
                    continue
                sdk_purchases += refill is not None
                box.print_postage("shop", str(amount))
            elif action == "print":
                if amount <= before:
                    box.print_postage("shop", str(amount))
            elif action == "refund":
                account = box.account("shop")
                if amount <= account.control_total and before + amount <= account.max_postage_balance:
                    box.refund("shop", str(amount))
            box.check_ledger("shop")
            balance = box.account("shop").available_postage
            assert Decimal("0") <= balance <= Decimal("500.00")
            assert postage.balance().available_postage == balance
        sandbox_purchases = [e for e in box.ledger("shop") if e.type == "Purchase" and e.integrator_tx_id]
        assert len(sandbox_purchases) == sdk_purchases == len(postage.records.receipts("m"))
