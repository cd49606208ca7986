"""Round trips per label (issue 19 item 2): the SWSIM operations a USPS label and a rate shop cost,
counted on the wire, so that a regression fails; and the money paths of the known balance: a
balance spent elsewhere is refused by the service, read again, refilled and bought once, through a
crash too. On SWSIM v135 and v111, every exchange checked against the real WSDL (``wire_log``).

The common case is a platform's: ``accounts.shipping(merchant)`` built anew for every request on
the merchant's cached One Balance client, the rate shop shown, then one rate bought."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from carriers import Address, Parcel, ShipmentRequest, Weight
from onebalance import (
    Accounts,
    AutoRefillSettings,
    InMemoryCredentialStore,
    InsufficientFunds,
    OutcomeUnknown,
    PlanRestriction,
)
from onebalance.carriers.usps import _known
from onebalance.carriers.usps._client import integrator_tx_id
from onebalance.carriers.usps._once import second_tx_id
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox

PASSWORD = "Trips-passw0rd"
SHIPPER = Address(name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701")


def _shipment(number: int) -> ShipmentRequest:
    recipient = Address(
        name="Ada", street_lines=[f"{number} 5th Ave"], city="New York", state="NY", postal_code="10118"
    )
    return ShipmentRequest(
        shipper=SHIPPER, recipient=recipient, parcels=[Parcel(weight=Weight("2", "lb"))], ship_date=date.today()
    )


def _accounts(url: str, sandbox: Sandbox, version: str) -> Accounts:
    accounts = Accounts(
        integration_id=DEMO_INTEGRATION_ID,
        endpoint=url,
        store=InMemoryCredentialStore(),
        now=sandbox.clock.now,
        api_version=version,
    )
    accounts.connect("m", username="trips", password=PASSWORD)
    return accounts


@pytest.fixture(params=["v135", "v111"])
def platform(request, sandbox) -> Iterator[tuple[Accounts, str, str]]:
    sandbox.create_account("trips", PASSWORD, balance="100.00")
    with sandbox.mock() as url:
        yield _accounts(url, sandbox, request.param), url, request.param


class Wire:
    """The SWSIM operations each step sends (the login, once per client, left out)."""

    def __init__(self, log: list) -> None:
        self.log = log

    def __call__(self, step):
        del self.log[:]
        self.sent: list[str | None] = []
        try:
            return step()
        finally:
            self.sent = [op for direction, op, _ in self.log if direction == "request" and op != "AuthenticateUser"]


def _prints(sandbox: Sandbox) -> list:
    return [e for e in sandbox.ledger("trips") if e.type == "Print"]


def _us_pm(shop) -> object:
    return next(r for r in shop.rates if r.service_code == "US-PM")


def test_a_label_costs_one_round_trip_when_its_address_was_checked_and_two_when_not(platform, sandbox, wire_log):
    accounts, _, _ = platform
    wire = Wire(wire_log)
    wire(lambda: accounts.shipping("m").rates(_shipment(1)))
    assert wire.sent == ["GetRates", "GetAccountInfo"]  # the client's first look at the plan (then kept)

    # rate shown, then bought; the address not checked before: 1 + 2
    shop = wire(lambda: accounts.shipping("m").rates(_shipment(2)))
    assert wire.sent == ["GetRates"]
    wire(lambda: accounts.shipping("m").buy(_us_pm(shop), _shipment(2), idempotency_key="k-2"))
    assert wire.sent == ["CleanseAddress", "CreateIndicium"]

    # the same recipient again (checked by the last label): 1 + 1
    shop = wire(lambda: accounts.shipping("m").rates(_shipment(2)))
    wire(lambda: accounts.shipping("m").buy(_us_pm(shop), _shipment(2), idempotency_key="k-3"))
    assert wire.sent == ["CreateIndicium"]

    # the rate shop checks the address (one CleanseAddress a shipment), the label reuses it: 2 + 1
    shop = wire(lambda: accounts.shipping("m").rates(_shipment(4), check_address=True))
    assert wire.sent == ["CleanseAddress", "GetRates"]
    assert shop.shipment is not None
    wire(lambda: accounts.shipping("m").buy(_us_pm(shop), shop.shipment, idempotency_key="k-4"))
    assert wire.sent == ["CreateIndicium"]

    # an address checked on its own before (check_address): 1 + 1 + 1
    wire(lambda: accounts.shipping("m").check_address(_shipment(5).recipient))
    assert wire.sent == ["CleanseAddress"]
    shop = wire(lambda: accounts.shipping("m").rates(_shipment(5)))
    wire(lambda: accounts.shipping("m").buy(_us_pm(shop), _shipment(5), idempotency_key="k-5"))
    assert wire.sent == ["CreateIndicium"]

    # the same key again: the journal answers, nothing sent
    wire(lambda: accounts.shipping("m").buy(_us_pm(shop), _shipment(5), idempotency_key="k-5"))
    assert wire.sent == []
    assert len(_prints(sandbox)) == 4
    sandbox.check_ledger("trips")
    # the known balance is the service's, from the last label's answer
    assert accounts.usps("m").proxy.known.account().available_postage == sandbox.account("trips").available_postage


def test_the_known_plan_expires_and_a_label_the_plan_refuses_forgets_it(platform, sandbox, wire_log, monkeypatch):
    accounts, _, _ = platform
    wire = Wire(wire_log)
    rate = next(r for r in accounts.shipping("m").rates(_shipment(1)).rates if r.service_code == "US-PS")
    monkeypatch.setattr(_known, "ACCOUNT_TTL", -1.0)  # every account read is already too old
    wire(lambda: accounts.shipping("m").rates(_shipment(1)))
    assert wire.sent == ["GetRates", "GetAccountInfo"]
    monkeypatch.setattr(_known, "ACCOUNT_TTL", 300.0)
    sandbox.set_capability("trips", "AllowAllMailClasses", False)  # the plan changed since the client read it
    with pytest.raises(PlanRestriction):  # the service refuses it: nothing printed
        accounts.shipping("m").buy(rate, _shipment(1), idempotency_key="plan-1")
    assert not _prints(sandbox)
    with pytest.raises(PlanRestriction):  # read again, and refused before anything is sent
        wire(lambda: accounts.shipping("m").buy(rate, _shipment(1), idempotency_key="plan-2"))
    assert wire.sent == ["GetAccountInfo"]


def test_a_balance_spent_elsewhere_is_refused_by_the_service_then_refilled_and_bought_once(platform, sandbox, wire_log):
    accounts, url, version = platform
    wire = Wire(wire_log)
    shop = accounts.shipping("m").rates(_shipment(1))  # the known balance: $100.00
    rate = _us_pm(shop)
    sandbox.print_postage("trips", "95.00")  # another application prints: the known balance is stale
    with pytest.raises(InsufficientFunds):  # no auto-refill policy: refused, nothing printed
        wire(lambda: accounts.shipping("m").buy(rate, _shipment(1), idempotency_key="spent-1"))
    assert wire.sent == ["CleanseAddress", "CreateIndicium", "GetAccountInfo"]
    assert len(_prints(sandbox)) == 1  # the other application's only

    accounts.postage("m").update_settings(auto_refill=AutoRefillSettings(threshold="10.00", amount="50.00"))
    sandbox.set_balance("trips", "100.00")
    accounts.usps("m").proxy.account()  # the client reads $100.00...
    sandbox.print_postage("trips", "99.00")  # ...and another application spends $99.00 of it
    label = wire(lambda: accounts.shipping("m").buy(rate, _shipment(1), idempotency_key="spent-2"))
    assert wire.sent[0] == "CreateIndicium" and wire.sent[1] == "GetAccountInfo"  # refused, then read for real
    assert wire.sent[-2:] == ["PurchasePostage", "CreateIndicium"]  # refilled, then bought under the second id
    assert len(_prints(sandbox)) == 3 and label.tracking_number
    sandbox.check_ledger("trips")

    # the same key from another process: the first id's refusal, then the second id's label again
    other = _accounts(url, sandbox, version)
    again = wire(lambda: other.usps("m").buy(rate, _shipment(1), idempotency_key="spent-2", after_unknown=True))
    assert again.tracking_number == label.tracking_number
    assert wire.sent[-2:] == ["CreateIndicium", "CreateIndicium"]  # (a new client reads the account first)
    assert len(_prints(sandbox)) == 3


def test_a_crash_on_the_second_id_is_resolved_without_a_second_label(platform, sandbox, monkeypatch):
    accounts, url, version = platform
    accounts.postage("m").update_settings(auto_refill=AutoRefillSettings(threshold="10.00", amount="50.00"))
    usps = accounts.usps("m")
    rate = next(r for r in usps.rates(_shipment(1)) if r.service_code == "US-PM")
    sandbox.print_postage("trips", "99.00")  # $1.00 left, the client believes $100.00
    funds_checks = []
    ensure = usps.proxy.ensure_funds

    def ensure_then_crash(*args, **kwargs):
        ensure(*args, **kwargs)
        funds_checks.append(1)
        if len(funds_checks) == 2:  # after the refusal of the first id: the second one's answers are lost
            sandbox.faults.script("CreateIndicium", "reset_after", times=5)

    monkeypatch.setattr(usps.proxy, "ensure_funds", ensure_then_crash)
    with pytest.raises(OutcomeUnknown):
        usps.buy(rate, _shipment(1), idempotency_key="crash-1")
    assert len(_prints(sandbox)) == 2  # printed under the second id, its answer lost
    sandbox.faults.clear()
    later = _accounts(url, sandbox, version).usps("m")
    label = later.buy(rate, _shipment(1), idempotency_key="crash-1", after_unknown=True)
    assert label.tracking_number and len(_prints(sandbox)) == 2  # resolved: no second label
    ours = [e for e in _prints(sandbox) if e.integrator_tx_id]
    assert [e.integrator_tx_id for e in ours] == [second_tx_id(integrator_tx_id("m", "crash-1"))]
    assert label.tracking_number in ours[0].memo
    sandbox.check_ledger("trips")


def test_threads_on_one_merchant_keep_the_known_balance_the_services(platform, sandbox, wire_log):
    accounts, _, _ = platform
    shipping = accounts.shipping("m")
    rate = _us_pm(shipping.rates(_shipment(1)))
    shipping.check_address(_shipment(1).recipient)
    with ThreadPoolExecutor(8) as pool:
        labels = list(pool.map(lambda i: shipping.buy(rate, _shipment(1), idempotency_key=f"t-{i}"), range(7)))
    assert len({label.tracking_number for label in labels}) == 7
    known = accounts.usps("m").proxy.known.account()
    assert known is not None and known.available_postage == sandbox.account("trips").available_postage
    assert known.control_total == sandbox.account("trips").control_total
    sent = [op for direction, op, _ in wire_log if direction == "request"]
    assert sent.count("CreateIndicium") == 7 and sent.count("CleanseAddress") == 1
    sandbox.check_ledger("trips")


def test_the_round_trip_benchmark_counts_what_this_page_says(monkeypatch):
    """benchmarks/roundtrips.py counts each carrier's requests per step (docs/performance.md shows them)."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import roundtrips

    found = roundtrips.counts()
    assert found["rate shop"] == roundtrips.Trips(["GetRates"], 1, 1)
    assert found["USPS label (address checked)"] == roundtrips.Trips(["CreateIndicium"], 0, 0)
    assert found["USPS label (address not checked)"] == roundtrips.Trips(["CleanseAddress", "CreateIndicium"], 0, 0)
    assert found["rate shop, check_address=True"] == roundtrips.Trips(["CleanseAddress", "GetRates"], 1, 1)
    assert found["USPS label after it"] == roundtrips.Trips(["CreateIndicium"], 0, 0)
    assert found["UPS label"] == roundtrips.Trips([], 1, 0) and found["FedEx label"] == roundtrips.Trips([], 0, 1)
