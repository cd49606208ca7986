"""Chaos: label purchases, voids and refills across many accounts under random transport faults.

Every operation either happens exactly once or raises a typed error and changes nothing. An
``OutcomeUnknown`` (the service may have acted, the retries could not tell) is settled the way a
caller would settle it: once the network is healthy, the same operation is sent again with the
same key (the same quote, the same idempotency key, the same label), and it must then resolve to
exactly one purchase. At the end the SDK's ledger (its postage records and the labels it handed
out) equals the sandbox's to the cent, no key was charged twice, and the sandbox's own ledger
checks hold.

The size is an option: ``pytest tests/test_chaos.py --chaos-ops 10000 --chaos-fault-rate 0.1``
(``ONEBALANCE_CHAOS_OPS`` works too). The default run is a few hundred operations.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import responses

from carriers import Address, Carrier, Label, Parcel, Rate, ShipmentRequest, Weight
from carriers.fedex import FedexClient, FedexSettings
from carriers.ups import UpsClient, UpsSettings
from onebalance import (
    InMemoryLabelJournal,
    InMemoryPostageRecords,
    OneBalance,
    OneBalanceError,
    OutcomeUnknown,
    Postage,
    ProtocolError,
    PurchaseInProgress,
    Quote,
    RetryPolicy,
    Shipping,
    StaleControlTotal,
    UspsShipping,
    VoidRefused,
)
from onebalance.carriers.usps import integrator_tx_id
from onebalance.sandbox import DEMO_INTEGRATION_ID, FAULT_KINDS, Sandbox
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

D = Decimal
PASSWORD = "Chaos-passw0rd"
START = D("300.00")
SHIPPER = Address(name="Acme Widgets", street_lines=["1990 E Grand Ave"], city="El Segundo", state="CA",
                  postal_code="90245", phone="3105550142")  # fmt: skip
RECIPIENT = Address(name="Ada Lovelace", street_lines=["350 5th Ave"], city="New York", state="NY",
                    postal_code="10118", phone="2125550100")  # fmt: skip
#: Retries as in production, without the waits (the faults are in-process and immediate).
NO_WAIT = RetryPolicy(attempts=4, backoff_base=0, backoff_max=0, deadline=30, retry_after_max=0)


@dataclass
class Merchant:
    name: str
    username: str
    postage: Postage
    usps: UspsShipping
    labels: dict[str, Label] = field(default_factory=dict)  # idempotency key -> the label handed out
    voided: set[str] = field(default_factory=set)  # keys of labels the caller saw voided
    failed_keys: dict[str, str] = field(default_factory=dict)  # label key -> the typed error it raised (nothing bought)
    failed_quotes: list[Quote] = field(default_factory=list)  # purchases that raised (nothing bought)
    unknown: list[tuple[str, Any]] = field(default_factory=list)  # (kind, what to send again)


def _shipment(rng: random.Random) -> ShipmentRequest:
    ounces = rng.choice(["8", "12", "20", "40", "64"])
    return ShipmentRequest(shipper=SHIPPER, recipient=RECIPIENT, parcels=[Parcel(weight=Weight(value=ounces,
                           unit="oz"))], ship_date=date.today(), service="US-PM")  # fmt: skip


def _ops(config: pytest.Config) -> int:
    return int(config.getoption("--chaos-ops"))


def test_no_double_charge_no_lost_purchase_and_equal_ledgers(pytestconfig: pytest.Config) -> None:
    ops = _ops(pytestconfig)
    rate = float(pytestconfig.getoption("--chaos-fault-rate"))
    seed = int(pytestconfig.getoption("--chaos-seed"))
    rng = random.Random(seed)  # reproducible, not secret
    sandbox = Sandbox()
    n_accounts = max(4, min(40, ops // 50))
    outcomes: Counter[str] = Counter()
    with sandbox.mock() as url:
        merchants = []
        for i in range(n_accounts):
            username = f"chaos{i:03d}"
            sandbox.create_account(username, PASSWORD, balance=START)
            client = OneBalance(integration_id=DEMO_INTEGRATION_ID, username=username, password=PASSWORD,
                                endpoint=url, retry=NO_WAIT)  # fmt: skip
            postage = Postage(f"m{i}", client, InMemoryPostageRecords(), now=sandbox.clock.now)
            merchants.append(Merchant(f"m{i}", username, postage, UspsShipping(postage)))
        shipment = _shipment(rng)
        sandbox.faults.random(rate=rate, seed=seed, kinds=FAULT_KINDS, delay=60, retry_after=0)

        for step in range(ops):
            m = rng.choice(merchants)
            roll = rng.random()
            try:
                if roll < 0.55 or not m.labels:
                    outcomes[_buy_label(m, rng, step, shipment)] += 1
                elif roll < 0.65:
                    key = rng.choice(sorted(m.labels))  # a double click: the same key again
                    outcomes[_buy_label(m, rng, step, shipment, key=key)] += 1
                elif roll < 0.85:
                    outcomes[_refill(m, rng)] += 1
                else:
                    outcomes[_void(m, rng)] += 1
            except OneBalanceError as exc:  # a typed error outside the money call itself
                outcomes[f"error:{type(exc).__name__}"] += 1

        fired = len(sandbox.faults.fired)
        sandbox.faults.clear()
        # The network is healthy again: settle every unknown outcome by sending it again.
        for m in merchants:
            for kind, what in m.unknown:
                outcomes[f"settled:{kind}:" + _settle(m, kind, what)] += 1
        for m in merchants:
            sandbox.approve_refunds(m.username)
            _check_ledgers(sandbox, m)

    print(f"chaos: {ops} operations, {n_accounts} accounts, {fired} faults fired, outcomes {dict(outcomes)}")
    assert fired >= ops * rate * 0.5, f"too few faults fired ({fired}) for the test to mean anything"
    assert outcomes["label"] > ops * 0.3, outcomes
    assert outcomes["refill"] > 0 and outcomes["void"] > 0, outcomes


def _buy_label(m: Merchant, rng: random.Random, step: int, shipment: ShipmentRequest, *, key: str | None = None) -> str:
    key = key or f"order-{step}"
    rate = next(r for r in m.usps.rates(shipment) if r.service_code == "US-PM")
    try:
        label = m.usps.buy(rate, shipment, idempotency_key=key)
    except OutcomeUnknown:
        m.unknown.append(("label", (rate, shipment, key)))
        return "unknown"
    except OneBalanceError as exc:
        if key not in m.labels:
            m.failed_keys[key] = repr(exc)
        return "label_refused"
    if key in m.labels:  # the same key: the same label, paid once
        assert label.tracking_number == m.labels[key].tracking_number
        return "repeat"
    m.labels[key] = label
    m.failed_keys.pop(key, None)
    return "label"


def _refill(m: Merchant, rng: random.Random) -> str:
    quote = m.postage.quote(D(rng.choice(["10.00", "15.00", "20.00", "35.50"])))
    try:
        m.postage.buy(quote)
    except OutcomeUnknown:
        m.unknown.append(("refill", quote))
        return "unknown"
    except OneBalanceError:
        m.failed_quotes.append(quote)
        return "refill_refused"
    if rng.random() < 0.2:  # confirmed twice: the same receipt, bought once
        m.postage.buy(quote)
    return "refill"


def _void(m: Merchant, rng: random.Random) -> str:
    live = sorted(k for k in m.labels if k not in m.voided)
    if not live:
        return "nothing_to_void"
    key = rng.choice(live)
    try:
        m.usps.void(m.labels[key])
    except OutcomeUnknown:
        m.unknown.append(("void", key))
        return "unknown"
    except OneBalanceError:
        return "void_refused"
    m.voided.add(key)
    return "void"


def _settle(m: Merchant, kind: str, what: Any) -> str:
    if kind == "label":
        rate, shipment, key = what
        try:
            label = m.usps.buy(rate, shipment, idempotency_key=key)
        except OneBalanceError as exc:
            m.failed_keys[key] = repr(exc)
            return "refused"
        if key in m.labels:
            assert label.tracking_number == m.labels[key].tracking_number
        m.labels[key] = label
        m.failed_keys.pop(key, None)
        return "bought"
    if kind == "refill":
        try:
            m.postage.buy(what)
        except StaleControlTotal:  # the first attempt never happened; the balance moved on since
            m.failed_quotes.append(what)
            return "never_happened"
        return "bought"
    assert kind == "void"
    with contextlib.suppress(VoidRefused):  # refused as already voided: the first attempt landed
        m.usps.void(m.labels[what])
    m.voided.add(what)
    return "voided"


def _check_ledgers(sandbox: Sandbox, m: Merchant) -> None:
    sandbox.check_ledger(m.username)
    ledger = sandbox.ledger(m.username)
    labels = [lb for lb in sandbox.labels(m.username) if not lb.sample]

    # Labels: one per key at most, exactly the ones the SDK handed out, at the same cost.
    by_key = Counter(lb.integrator_tx_id for lb in labels)
    assert all(n == 1 for n in by_key.values()), f"{m.name}: a key printed twice: {by_key.most_common(3)}"
    handed_out = {lb.carrier_reference for lb in m.labels.values()}
    printed = {lb.stamps_tx_id for lb in labels}
    failed = {integrator_tx_id(m.name, key): error for key, error in m.failed_keys.items()}
    lost = {lb.integrator_tx_id: failed.get(lb.integrator_tx_id) for lb in labels if lb.stamps_tx_id not in handed_out}
    assert not lost, f"{m.name}: labels printed but never handed out (the error the caller got): {lost}"
    assert handed_out <= printed, f"{m.name}: labels handed out that the service never printed"
    assert sum(lb.cost.amount for lb in m.labels.values()) == sum(lb.amount for lb in labels)
    prints = [e for e in ledger if e.type == "Print"]
    assert len(prints) == len(labels) and sum(e.cost for e in prints) == sum(lb.amount for lb in labels)

    # Voids: the sandbox voided exactly what the caller was told, refunded once each.
    voided = {lb.stamps_tx_id for lb in labels if lb.voided_at is not None}
    assert voided == {m.labels[k].carrier_reference for k in m.voided}
    # USPS credits a refund when it approves it, once; one that would lift the balance above its
    # maximum stays pending.
    refunds = [e for e in ledger if e.type == "Refund"]
    approved = [lb for lb in labels if lb.refund_status == "approved"]
    assert {lb.refund_status for lb in labels if lb.voided_at is not None} <= {"pending", "approved"}
    assert len(refunds) == len(approved) and sum(e.credit for e in refunds) == sum(lb.amount for lb in approved)

    # Purchases: the SDK's receipts are the sandbox's purchases, to the cent, once per key.
    receipts = [r for r in m.postage.records.receipts(m.name) if r.status == "Success"]
    purchases = [e for e in ledger if e.type == "Purchase"]
    assert Counter(e.integrator_tx_id for e in purchases).most_common(1)[0][1] == 1 if purchases else True
    assert {r.integrator_tx_id for r in receipts} == {e.integrator_tx_id for e in purchases}
    assert sum(r.amount for r in receipts) == sum(e.credit for e in purchases)
    for quote in m.failed_quotes:
        assert quote.integrator_tx_id not in {e.integrator_tx_id for e in purchases}

    # The balance: what it started with, plus purchases and refunds, minus labels.
    expected = START + sum(e.credit for e in purchases) + sum(e.credit for e in refunds) - sum(e.cost for e in prints)
    assert sandbox.account(m.username).available_postage == expected
    assert m.postage.balance().available_postage == expected


# -- UPS and FedEx: billed to the merchant's own accounts, never bought twice ---------------------------


@dataclass
class CarrierBook:
    """What one merchant's caller saw for one carrier."""

    handed: dict[str, Label] = field(default_factory=dict)
    offers: dict[str, Rate] = field(default_factory=dict)  # the rate each key was bought at
    unknown: set[str] = field(default_factory=set)  # OutcomeUnknown: maybe shipped, never sent again
    failed: dict[str, str] = field(default_factory=dict)  # a typed error: nothing shipped
    voided: set[str] = field(default_factory=set)


def _ship_key(carrier: Carrier, method: str, target: str, headers: Any, body: bytes) -> str | None:
    """The idempotency key of a ship request (UPS CustomerContext, FedEx x-customer-transaction-id)."""
    if method != "POST":
        return None
    if carrier is Carrier.UPS and target.split("?", 1)[0].startswith("/api/shipments/"):
        return str(json.loads(body)["ShipmentRequest"]["Request"]["TransactionReference"]["CustomerContext"])
    if carrier is Carrier.FEDEX and target.split("?", 1)[0].rstrip("/").endswith("/ship/v1/shipments"):
        return {k.lower(): v for k, v in dict(headers).items()}.get("x-customer-transaction-id")
    return None


def _count_shipments(box: Any, carrier: Carrier, seen: Counter[str]) -> None:
    """Count, per key, the ship requests the carrier answered with a label (whatever became of the answer)."""
    handle = box.handle

    def counted(method: str, target: str, headers: Any, body: bytes = b"") -> Any:
        reply = handle(method, target, headers, body)
        key = _ship_key(carrier, method, target, headers, body)
        if key is not None and reply.status == 200:
            seen[key] += 1
        return reply

    box.handle = counted


def test_ups_and_fedex_labels_are_bought_at_most_once_per_key(pytestconfig: pytest.Config) -> None:
    ops = max(60, _ops(pytestconfig) // 3)
    rate = float(pytestconfig.getoption("--chaos-fault-rate"))
    seed = int(pytestconfig.getoption("--chaos-seed"))
    rng = random.Random(seed + 1)  # reproducible, not secret
    ups_box, fedex_box = UpsSandbox(), FedexSandbox()
    answered: dict[Carrier, Counter[str]] = {Carrier.UPS: Counter(), Carrier.FEDEX: Counter()}
    _count_shipments(ups_box, Carrier.UPS, answered[Carrier.UPS])
    _count_shipments(fedex_box, Carrier.FEDEX, answered[Carrier.FEDEX])
    outcomes: Counter[str] = Counter()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        ups_url, fedex_url = ups_box.mount(mock), fedex_box.mount(mock)
        routers: list[tuple[Shipping, dict[Carrier, CarrierBook], dict[Carrier, str]]] = []
        for i in range(max(3, min(12, ops // 40))):
            ups_number, fedex_number = f"CH{i:04d}", f"{700000100 + i}"
            ups_box.create_account(f"ups-chaos-{i}", f"ups-secret-{i}", [ups_number])
            fedex = fedex_box.create_account(f"fx-chaos-{i}", f"fx-secret-{i}", fedex_number)
            router = Shipping(
                ups=UpsClient(UpsSettings(client_id=f"ups-chaos-{i}", client_secret=f"ups-secret-{i}",
                                          account_number=ups_number, base_url=ups_url), retry=NO_WAIT),
                fedex=FedexClient(FedexSettings(client_id=f"fx-chaos-{i}", client_secret=fedex.client_secret,
                                                account_number=fedex_number, base_url=fedex_url), retry=NO_WAIT),
                journal=InMemoryLabelJournal(),
                merchant_id=f"m{i}",
            )  # fmt: skip
            books = {Carrier.UPS: CarrierBook(), Carrier.FEDEX: CarrierBook()}
            routers.append((router, books, {Carrier.UPS: ups_number, Carrier.FEDEX: fedex_number}))
        shipment = ShipmentRequest(shipper=SHIPPER, recipient=RECIPIENT, ship_date=date.today(),
                                   parcels=[Parcel(weight=Weight(value="3", unit="lb"))])  # fmt: skip
        for box, offset in ((ups_box, 2), (fedex_box, 3)):
            box.faults.random(rate=rate, seed=seed + offset, kinds=FAULT_KINDS, delay=60, retry_after=0)

        for step in range(ops):
            router, books, _ = rng.choice(routers)
            carrier = rng.choice((Carrier.UPS, Carrier.FEDEX))
            book = books[carrier]
            roll = rng.random()
            try:
                if roll < 0.15 and book.handed:
                    key = rng.choice(sorted(book.handed))
                    if rng.random() < 0.5:  # a double click: the same label, nothing sent
                        again = router.buy(book.offers[key], shipment, idempotency_key=key)
                        assert again.tracking_number == book.handed[key].tracking_number
                        outcomes["repeat"] += 1
                    elif key not in book.voided:
                        router.void(book.handed[key])
                        book.voided.add(key)
                        outcomes["void"] += 1
                    continue
                if roll < 0.25 and book.unknown:  # the same key after an unknown outcome: refused, not resent
                    key = rng.choice(sorted(book.unknown))
                    with pytest.raises(PurchaseInProgress):
                        router.buy(_any_rate(router, shipment, carrier), shipment, idempotency_key=key)
                    outcomes["in_progress"] += 1
                    continue
                offer = _any_rate(router, shipment, carrier)
            except OneBalanceError as exc:  # a rate, a void or a repeat that failed: nothing bought
                outcomes[f"error:{type(exc).__name__}"] += 1
                continue
            key = f"{carrier.value}-{step}"
            try:
                label = router.buy(offer, shipment, idempotency_key=key)
            except OutcomeUnknown:
                book.unknown.add(key)
                outcomes["unknown"] += 1
                continue
            except OneBalanceError as exc:
                book.failed[key] = repr(exc)
                outcomes["refused"] += 1
                continue
            book.handed[key], book.offers[key] = label, offer
            outcomes["label"] += 1

    fired = len(ups_box.faults.fired) + len(fedex_box.faults.fired)
    print(f"chaos (UPS, FedEx): {ops} operations, {fired} faults fired, outcomes {dict(outcomes)}")
    for _router, books, numbers in routers:
        for carrier, box in ((Carrier.UPS, ups_box), (Carrier.FEDEX, fedex_box)):
            book = books[carrier]
            made = box.shipments(numbers[carrier])
            tracking = {t for s in made for t in _tracking_numbers(s)}
            assert {lb.tracking_number for lb in book.handed.values()} <= tracking, "a label the carrier never made"
            assert len(made) <= len(book.handed) + len(book.unknown), "a shipment nobody asked for"
            for key in book.failed:  # a typed error: nothing shipped
                assert answered[carrier][key] == 0, f"{carrier}: {key} raised {book.failed[key]} but was shipped"
            for lb in book.handed.values():
                assert lb.paid_by.account_number == numbers[carrier]  # billed to the merchant's own account
    for carrier, counts in answered.items():
        twice = {key: n for key, n in counts.items() if n > 1}
        assert not twice, f"{carrier}: ship answered more than once for a key (a second label): {twice}"
    assert outcomes["label"] > ops * 0.3, outcomes
    assert fired > 0


def _tracking_numbers(shipment: Any) -> list[str]:
    numbers = getattr(shipment, "tracking_numbers", None)
    return list(numbers) if numbers else [shipment.tracking_number]


def _any_rate(router: Shipping, shipment: ShipmentRequest, carrier: Carrier) -> Rate:
    shop = router.rates(shipment)
    offers = [r for r in shop.rates if r.carrier is carrier]
    if not offers:
        raise ProtocolError(f"no {carrier} rate: {shop.errors.get(carrier)}", operation="rate")
    return min(offers, key=lambda r: r.total.amount)
