"""Plan restrictions show before the merchant picks a rate: the USPS services a One Balance plan forbids
(AllowAllMailClasses off: Priority Mail and Priority Mail Express only) and the labels over its
per-print limit (PerPrintLimit) are marked in the rate shop, never chosen as the cheapest or the
fastest, refused before any postage is bought for them, and listed by diagnose()."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from carriers import Address, Carrier, Parcel, ShipmentRequest, Weight, cheapest, fastest
from onebalance import (
    Accounts,
    AutoRefillSettings,
    InMemoryCredentialStore,
    PlanRestriction,
    PrintLimitExceeded,
    RemedyAction,
    Shipping,
    ValidationError,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox

PASSWORD = "Plan-passw0rd"
SHIPMENT = ShipmentRequest(
    shipper=Address(name="Acme", street_lines=["1990 E Grand Ave"], city="El Segundo", state="CA", postal_code="90245"),
    recipient=Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118"),
    parcels=[Parcel(weight=Weight("2", "lb"))],
    ship_date=date.today(),
)  # the sandbox's USPS rates: US-GA $10.55 (5 days), US-PS $10.75 (8), US-PM $12.88 (3), US-XM $38.63 (2)


@pytest.fixture
def accounts(sandbox: Sandbox) -> Iterator[Accounts]:
    with sandbox.mock() as url:
        made = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=InMemoryCredentialStore())
        yield made


def _merchant(accounts: Accounts, sandbox: Sandbox, **fields: object) -> str:
    sandbox.create_account("planned", PASSWORD, **fields)  # type: ignore[arg-type]
    accounts.connect("m1", username="planned", password=PASSWORD)
    return "m1"


def test_services_the_plan_forbids_are_marked_and_never_the_cheapest(accounts: Accounts, sandbox: Sandbox) -> None:
    merchant = _merchant(accounts, sandbox, balance="100.00", capabilities={"AllowAllMailClasses": False})
    shop = Shipping(usps=accounts.usps(merchant)).rates(SHIPMENT)
    by_service = {r.service_code: r for r in shop.rates}
    assert set(by_service) == {"US-GA", "US-PS", "US-PM", "US-XM"}  # still listed, so the merchant sees them
    ground = by_service["US-GA"]
    assert not ground.allowed and not by_service["US-PS"].allowed
    assert "Priority Mail and Priority Mail Express" in (ground.restriction or "")
    assert by_service["US-PM"].allowed and by_service["US-XM"].allowed
    assert ground.total.amount == min(r.total.amount for r in shop.rates)  # the cheapest of all is forbidden...
    assert shop.cheapest is not None and shop.cheapest.service_code == "US-PM"  # ...so it is not chosen
    assert [r.service_code for r in shop.allowed] == ["US-PM", "US-XM"]
    with pytest.raises(PlanRestriction) as refused:  # and buying it anyway is refused before anything is sent
        accounts.usps(merchant).buy(ground, SHIPMENT, idempotency_key="forbidden")
    assert refused.value.code == "00450208" and "Priority Mail" in str(refused.value)
    assert sandbox.account("planned").available_postage == Decimal("100.00")


def test_labels_over_the_per_print_limit_are_marked_never_the_fastest_and_buy_no_postage(
    accounts: Accounts, sandbox: Sandbox
) -> None:
    merchant = _merchant(accounts, sandbox, balance="5.00", per_print_limit=Decimal("20.00"))
    postage = accounts.postage(merchant)
    postage.update_settings(auto_refill=AutoRefillSettings(threshold=Decimal("20.00"), amount=Decimal("50.00")))
    rates = accounts.usps(merchant).rates(SHIPMENT)
    express = next(r for r in rates if r.service_code == "US-XM")
    assert express.restriction is not None and "$20.00" in express.restriction
    assert fastest(rates).service_code == "US-PM"  # US-XM is faster, but the plan would refuse its label
    assert cheapest(rates).service_code == "US-GA"
    with pytest.raises(PrintLimitExceeded) as refused:
        accounts.usps(merchant).buy(express, SHIPMENT, idempotency_key="too-dear")
    assert refused.value.code == "002b0a01"
    # Refused before the auto-refill ran: no card was charged for a label that could not be printed.
    assert sandbox.account("planned").available_postage == Decimal("5.00")
    assert [e.type for e in sandbox.ledger("planned") if e.type != "Adjustment"] == []


def test_cheapest_and_fastest_never_choose_a_forbidden_rate(accounts: Accounts, sandbox: Sandbox) -> None:
    merchant = _merchant(
        accounts,
        sandbox,
        balance="100.00",
        per_print_limit=Decimal("12.00"),
        capabilities={"AllowAllMailClasses": False},
    )
    rates = accounts.usps(merchant).rates(SHIPMENT)
    assert all(not r.allowed for r in rates) and {r.carrier for r in rates} == {Carrier.USPS}
    with pytest.raises(ValidationError, match="forbids every one"):
        cheapest(rates)
    with pytest.raises(ValidationError, match="forbids every one"):
        fastest(rates)
    shop = Shipping(usps=accounts.usps(merchant)).rates(SHIPMENT)
    assert shop.rates and shop.cheapest is None and shop.fastest is None


def test_an_account_with_usps_printing_blocked_is_refused_before_anything_is_sent(
    accounts: Accounts, sandbox: Sandbox
) -> None:
    merchant = _merchant(accounts, sandbox, balance="100.00", capabilities={"BlockUSPSPrint": True})  # v135
    usps = accounts.usps(merchant)
    shop = Shipping(usps=usps).rates(SHIPMENT)
    assert shop.rates and not shop.allowed and shop.cheapest is None  # listed, none may be bought
    assert all("BlockUSPSPrint" in (r.restriction or "") for r in shop.rates)
    with pytest.raises(PlanRestriction, match="blocked"):
        usps.buy(shop.rates[0], SHIPMENT, idempotency_key="blocked")
    with pytest.raises(PlanRestriction, match="blocked"):  # the service refuses it too (the check skipped)
        usps.buy(shop.rates[0], SHIPMENT, idempotency_key="blocked-2", after_unknown=True)
    assert sandbox.account("planned").available_postage == Decimal("100.00") and not sandbox.labels("planned")
    assert [r.capability for r in accounts.diagnose(merchant).restrictions] == ["BlockUSPSPrint"]


def test_diagnose_lists_the_plans_restrictions(accounts: Accounts, sandbox: Sandbox) -> None:
    merchant = _merchant(
        accounts,
        sandbox,
        balance="100.00",
        per_print_limit=Decimal("25.00"),
        capabilities={"AllowAllMailClasses": False},
    )
    diagnosis = accounts.diagnose(merchant)
    assert diagnosis.active  # a plan is not a problem of the account...
    by_capability = {r.capability: r for r in diagnosis.restrictions}  # ...but what it forbids is listed
    assert set(by_capability) == {"AllowAllMailClasses", "PerPrintLimit"}
    assert "Priority Mail and Priority Mail Express" in by_capability["AllowAllMailClasses"].detail
    assert "$25.00" in by_capability["PerPrintLimit"].detail
    assert all(r.remedy.action is RemedyAction.CHANGE_PLAN for r in diagnosis.restrictions)
    text = "\n".join(diagnosis.lines())
    assert "cannot:  print any USPS service but Priority Mail and Priority Mail Express" in text
    assert "cannot:  print a label of more than $25.00" in text
    assert text.count("changes the One Balance plan") == 1  # two restrictions, one remedy: offered once
    sandbox.set_capability("planned", "AllowAllMailClasses", True)
    assert [r.capability for r in accounts.diagnose(merchant).restrictions] == ["PerPrintLimit"]
