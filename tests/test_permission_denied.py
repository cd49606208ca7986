"""A user without the right to buy postage is told to ask the account's administrator, not that the
account is suspended; the diagnosis says the account is active and names the missing right."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onebalance import (
    Accounts,
    AccountState,
    AccountSuspended,
    CapabilityDisabled,
    InMemoryCredentialStore,
    InMemoryPostageRecords,
    PermissionDenied,
    RemedyAction,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID
from onebalance.swsim._faults import error_for_fault

PASSWORD = "Shop-passw0rd"


@pytest.fixture
def accounts(sandbox, endpoint):
    sandbox.create_account("clerk", PASSWORD, balance="50.00")
    accounts = Accounts(
        integration_id=DEMO_INTEGRATION_ID,
        endpoint=endpoint.url,
        store=InMemoryCredentialStore(),
        records=InMemoryPostageRecords(),
    )
    accounts.connect("m1", username="clerk", password=PASSWORD)
    return accounts


def test_the_right_turned_off_between_quote_and_buy_is_permission_denied(accounts, sandbox):
    postage = accounts.postage("m1")
    quote = postage.quote("20.00")
    sandbox.set_capability("clerk", "CanPurchasePostage", False)  # the administrator takes the right away
    with pytest.raises(PermissionDenied) as info:
        postage.buy(quote)  # the service answers 8004800b
    assert info.value.code == "8004800b"
    assert not isinstance(info.value, AccountSuspended)
    assert "administrator" in str(info.value) and "suspended" not in str(info.value)
    assert sandbox.account("clerk").available_postage == Decimal("50.00")
    diagnosis = accounts.diagnose("m1")
    assert diagnosis.state is AccountState.ACTIVE and diagnosis.active
    assert [r.capability for r in diagnosis.restrictions] == ["CanPurchasePostage"]
    assert {r.action for r in diagnosis.manual_remedies} == {RemedyAction.ASK_ADMINISTRATOR}
    assert any(line.startswith("  cannot:  buy postage") and "administrator" in line for line in diagnosis.lines())


def test_a_refused_quote_says_to_ask_the_administrator(accounts, sandbox):
    sandbox.set_capability("clerk", "CanPurchasePostage", False)
    with pytest.raises(PermissionDenied, match="ask the account's administrator"):
        accounts.postage("m1").quote("20.00")


def test_an_account_whose_user_may_buy_has_no_restriction(accounts):
    diagnosis = accounts.diagnose("m1")
    assert diagnosis.active and diagnosis.restrictions == () and diagnosis.manual_remedies == ()


def test_printing_switched_off_is_still_a_capability_disabled():
    error = error_for_fault(
        code="80048011",
        faultcode="soap:Server",
        faultstring="Printing is disabled",
        operation="CreateIndicium",
        http_status=500,
    )
    assert isinstance(error, CapabilityDisabled) and isinstance(error, AccountSuspended)
    purchase = error_for_fault(
        code="8004800b",
        faultcode="soap:Server",
        faultstring="Postage purchases are disabled",
        operation="PurchasePostage",
        http_status=500,
    )
    assert type(purchase) is PermissionDenied
