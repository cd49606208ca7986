"""Money safety of a label purchase (issue 12, items 1 and 2), through ``Accounts.shipping`` on every store.

1. An idempotency key names one purchase whatever the carrier: a key reused with another carrier,
   service, shipment or amount is refused (``IdempotencyKeyReused``, naming the first purchase)
   before anything is sent, in one process and across processes (the label journal on SQLite and
   PostgreSQL); the same key with the same purchase still answers the first label.
2. A rate is bound to the shipment it was quoted for (``RateMismatch`` before anything is sent);
   a label charged above its rate carries both amounts and is logged at WARNING, and above the
   platform's ``charge_tolerance`` it is voided and ``ChargeAboveQuote`` raised.

The sandboxes are mounted in-process (the multi-process test serves them). The PostgreSQL runs need
ONEBALANCE_TEST_POSTGRES_DSN (see tests/_stores.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import responses

from carriers import Address, Carrier, Money, Parcel, Rate, ShipmentRequest, Weight
from carriers.ups import UpsClient, UpsSettings
from onebalance import (
    Accounts,
    ChargeAboveQuote,
    IdempotencyKeyReused,
    InMemoryStore,
    OutcomeUnknown,
    PurchaseInProgress,
    RateMismatch,
    RetryPolicy,
    Shipping,
    Store,
    StoredCredentials,
    UpsAccount,
    ValidationError,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox, SandboxControl
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

from ._stores import StoreSpec, postgres_run_schema, store_spec, worker_context  # noqa: F401 - a fixture

MERCHANT, USER, PASSWORD = "m-safe", "safe-shipper", "Safe-shipper-passw0rd"
SHIPPER = Address(name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701",
                  phone="5125550100")  # fmt: skip
RECIPIENT = Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118",
                    phone="2125550100")  # fmt: skip
SHIPMENT = ShipmentRequest(shipper=SHIPPER, recipient=RECIPIENT, parcels=[Parcel(weight=Weight("2", "lb"))],
                           ship_date=date.today())  # fmt: skip
HEAVIER = SHIPMENT.model_copy(update={"parcels": [Parcel(weight=Weight("40", "lb"))]})


@dataclass
class Platform:
    """A platform whose merchant has USPS, UPS and FedEx; ``shipping()`` is a new worker on the same store."""

    sandbox: Sandbox
    ups: UpsSandbox
    fedex: FedexSandbox
    swsim_url: str
    ups_url: str
    open_store: Callable[[], Store]
    stores: list[Store] = field(default_factory=list)

    def accounts(self) -> Accounts:
        store = self.open_store()
        self.stores.append(store)
        return Accounts(
            integration_id=DEMO_INTEGRATION_ID, endpoint=self.swsim_url, store=store, retry=RetryPolicy.none()
        )

    def shipping(self, **options: Any) -> Shipping:
        return self.accounts().shipping(MERCHANT, **options)

    def surcharge(self, carrier: Carrier, amount: str) -> None:
        if carrier is Carrier.USPS:
            self.sandbox.set_label_surcharge(USER, amount)
        elif carrier is Carrier.UPS:
            self.ups.set_surcharge(amount)
        else:
            self.fedex.set_surcharge(amount)

    def bought(self) -> dict[Carrier, int]:
        """How many labels each carrier sold (USPS: prints debited)."""
        return {
            Carrier.USPS: len([e for e in self.sandbox.ledger(USER) if e.type == "Print"]),
            Carrier.UPS: len(self.ups.shipments()),
            Carrier.FEDEX: len(self.fedex.shipments()),
        }


STORES = ["memory", "sqlite", "postgres"]


@pytest.fixture
def platform(request: pytest.FixtureRequest, tmp_path: Path, sandbox: Sandbox) -> Iterator[Platform]:
    """On the store kind the test names (``indirect`` parametrization), in memory by default."""
    sandbox.create_account(USER, PASSWORD, balance="200.00")
    ups_box, fedex_box = UpsSandbox(), FedexSandbox()
    ups_box.create_account("ups-id", "ups-secret", ["A1B2C3"])
    fedex_box.create_account("fx-id", "fx-secret", "700000001")
    for opened in _stores(request, tmp_path):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            made = Platform(sandbox, ups_box, fedex_box, sandbox.mount(mock), ups_box.mount(mock), opened)
            accounts = made.accounts()
            accounts.connect(MERCHANT, username=USER, password=PASSWORD)
            accounts.connect_ups(MERCHANT, client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3",
                                 base_url=made.ups_url)  # fmt: skip
            accounts.connect_fedex(MERCHANT, client_id="fx-id", client_secret="fx-secret", account_number="700000001",
                                   base_url=fedex_box.mount(mock))  # fmt: skip
            try:
                yield made
            finally:
                for store in made.stores:
                    store.close()
    sandbox.check_ledger(USER)


def _stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """How a worker opens the platform's store: the same one (memory), or its own connection to it."""
    kind = getattr(request, "param", "memory")
    if kind == "memory":
        shared = InMemoryStore()
        yield lambda: shared
        return
    for spec in store_spec(kind, tmp_path, request):
        yield spec.open


def cheapest(shipping: Shipping, carrier: Carrier, shipment: ShipmentRequest = SHIPMENT) -> Rate:
    return min(shipping.client(carrier).rates(shipment), key=lambda r: r.total.amount)


# -- item 1: an idempotency key names one purchase ------------------------------------------------------


@pytest.mark.parametrize("platform", STORES, indirect=True)
def test_a_key_used_with_one_carrier_is_refused_for_another_before_anything_is_sent(platform: Platform) -> None:
    """The platform falls back from USPS to UPS (or FedEx) for the same order with the same key:
    today that buys a second label. It is refused, naming the first purchase, in this worker and in
    a new one on the same store; the first purchase with the same key still answers its label."""
    shipping = platform.shipping()
    usps, ups, fedex = (cheapest(shipping, c) for c in (Carrier.USPS, Carrier.UPS, Carrier.FEDEX))
    first = shipping.buy(usps, SHIPMENT, idempotency_key="order-1042")
    for worker in (shipping, platform.shipping()):
        for other in (ups, fedex):
            with pytest.raises(IdempotencyKeyReused) as caught:
                worker.buy(other, SHIPMENT, idempotency_key="order-1042")
            refused = caught.value
            assert isinstance(refused, ValidationError) and refused.field == "idempotency_key"
            assert (refused.carrier, refused.service_code) == (Carrier.USPS, usps.service_code)
            assert refused.tracking_number == first.tracking_number and refused.started_at.tzinfo is not None
            assert f"already used for a USPS {usps.service_code} label" in str(refused)
            assert first.tracking_number is not None and first.tracking_number in str(refused)
        assert worker.buy(usps, SHIPMENT, idempotency_key="order-1042") == first  # the same purchase
    assert platform.bought() == {Carrier.USPS: 1, Carrier.UPS: 0, Carrier.FEDEX: 0}
    assert [e.carrier for e in platform.accounts().labels.entries(MERCHANT)] == [Carrier.USPS]


@pytest.mark.parametrize("platform", STORES, indirect=True)
def test_a_ups_purchase_cut_off_holds_its_key_against_a_usps_fallback(platform: Platform) -> None:
    """UPS sold the label but the answer was lost: falling back to USPS with the same key would pay
    twice. It is refused (the first purchase's outcome is not known yet), and nothing is debited."""
    shipping = platform.shipping()
    ups, usps = cheapest(shipping, Carrier.UPS), cheapest(shipping, Carrier.USPS)
    platform.ups.faults.script("ship", "reset_after")
    with pytest.raises(OutcomeUnknown):
        shipping.buy(ups, SHIPMENT, idempotency_key="order-7")
    with pytest.raises(IdempotencyKeyReused, match="its outcome not known yet") as caught:
        platform.shipping().buy(usps, SHIPMENT, idempotency_key="order-7")
    assert caught.value.carrier is Carrier.UPS and caught.value.tracking_number is None
    with pytest.raises(PurchaseInProgress):  # the same purchase: still never sent twice
        platform.shipping().buy(ups, SHIPMENT, idempotency_key="order-7")
    assert platform.bought() == {Carrier.USPS: 0, Carrier.UPS: 1, Carrier.FEDEX: 0}


@pytest.mark.parametrize("platform", STORES, indirect=True)
def test_a_key_reused_with_another_shipment_service_or_amount_is_refused(platform: Platform) -> None:
    shipping = platform.shipping()
    rates = shipping.client(Carrier.UPS).rates(SHIPMENT)
    ground = next(r for r in rates if r.service_code == "03")
    first = shipping.buy(ground, SHIPMENT, idempotency_key="order-9")
    heavier_ground = next(r for r in shipping.client(Carrier.UPS).rates(HEAVIER) if r.service_code == "03")
    other_service = next(r for r in rates if r.service_code != "03")
    other_amount = ground.model_copy(update={"total": ground.total + Money("1.00")})
    for rate, shipment in ((heavier_ground, HEAVIER), (other_service, SHIPMENT), (other_amount, SHIPMENT)):
        with pytest.raises(IdempotencyKeyReused, match="already used for a UPS 03 label"):
            platform.shipping().buy(rate, shipment, idempotency_key="order-9")
    # Rated again, the same purchase (and the same parcel given in ounces) answers the first label.
    again = next(r for r in platform.shipping().client(Carrier.UPS).rates(SHIPMENT) if r.service_code == "03")
    in_ounces = SHIPMENT.model_copy(update={"parcels": [Parcel(weight=Weight("32", "oz"))], "reference": "memo"})
    assert platform.shipping().buy(again, in_ounces, idempotency_key="order-9") == first
    assert len(platform.ups.shipments()) == 1


def test_without_a_journal_a_key_is_one_purchase_for_as_long_as_the_router_and_clients_live(
    platform: Platform,
) -> None:
    accounts = platform.accounts()
    ups_client = UpsClient(UpsSettings(client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3",
                                       base_url=platform.ups_url))  # fmt: skip
    router = Shipping(usps=accounts.usps(MERCHANT), ups=ups_client)
    assert router.journal is None
    usps = cheapest(router, Carrier.USPS)
    first = router.buy(usps, SHIPMENT, idempotency_key="order-11")
    with pytest.raises(IdempotencyKeyReused):
        router.buy(cheapest(router, Carrier.UPS), SHIPMENT, idempotency_key="order-11")
    assert router.buy(usps, SHIPMENT, idempotency_key="order-11") == first
    # A client on its own: the key of a label it bought lately is not answered for another shipment.
    label = ups_client.buy(cheapest(router, Carrier.UPS), SHIPMENT, "order-12")
    with pytest.raises(IdempotencyKeyReused, match="already used for a UPS"):
        ups_client.buy(cheapest(router, Carrier.UPS, HEAVIER), HEAVIER, "order-12")
    assert ups_client.buy(cheapest(router, Carrier.UPS), SHIPMENT, "order-12") == label
    assert platform.bought() == {Carrier.USPS: 1, Carrier.UPS: 1, Carrier.FEDEX: 0}


# -- several processes, one key, two carriers: one label ------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreSpec]:
    yield from store_spec(request.param, tmp_path, request)


def _buy(spec: StoreSpec, carrier: Carrier, url: str, barrier: Any, results: Any) -> None:
    try:
        with spec.open() as store:
            shipping = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=store).shipping(MERCHANT)
            rate = min(shipping.client(carrier).rates(SHIPMENT), key=lambda r: r.total.amount)
            barrier.wait(30)  # every worker buys at the same moment
            try:
                results.put(("label", shipping.buy(rate, SHIPMENT, idempotency_key="order-77").tracking_number))
            except IdempotencyKeyReused as exc:
                results.put((type(exc).__name__, ""))
    except BaseException as exc:
        results.put((f"{type(exc).__name__}: {exc}", ""))
        barrier.abort()


def test_workers_buying_one_key_with_two_carriers_at_once_buy_one_label(spec: StoreSpec) -> None:
    sandbox, ups_box = Sandbox(), UpsSandbox()
    sandbox.create_account(USER, PASSWORD, balance="100.00")
    ups_box.create_account("ups-id", "ups-secret", ["A1B2C3"])
    with sandbox.serve() as swsim, ups_box.serve() as ups_server:
        with spec.open() as store:
            store.credentials.put(
                MERCHANT,
                StoredCredentials(
                    integration_id=DEMO_INTEGRATION_ID, username=USER, password=PASSWORD, endpoint=swsim.url,
                    ups=UpsAccount(client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3",
                                   base_url=ups_server.url),
                ),
            )  # fmt: skip
        ctx = worker_context()
        carriers = [Carrier.USPS, Carrier.UPS]
        barrier, results = ctx.Barrier(len(carriers)), ctx.Queue()
        procs = [ctx.Process(target=_buy, args=(spec, c, swsim.url, barrier, results)) for c in carriers]
        for p in procs:
            p.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(10)
    assert sorted(o for o, _ in outcomes) == ["IdempotencyKeyReused", "label"]  # whichever carrier won
    prints = [e for e in sandbox.ledger(USER) if e.type == "Print"]
    assert len(prints) + len(ups_box.shipments()) == 1  # one label, from one carrier, paid once
    with spec.open() as store:
        assert [e.idempotency_key for e in store.labels.entries(MERCHANT)] == ["order-77"]


# -- item 2: a rate is bound to its shipment; a charge above it -----------------------------------------

CARRIERS = [Carrier.USPS, Carrier.UPS, Carrier.FEDEX]


@pytest.mark.parametrize("carrier", CARRIERS)
def test_a_rate_bought_with_another_shipment_is_refused_before_anything_is_sent(
    platform: Platform, carrier: Carrier
) -> None:
    """A 2 lb rate bought for a 40 lb parcel: UPS and FedEx would bill 40 lb, USPS would print 2 lb of
    postage. Refused, through the router and through the carrier's own client; nothing is sent."""
    shipping = platform.shipping()
    rate = cheapest(shipping, carrier)
    balance = platform.sandbox.account(USER).available_postage
    signed = SHIPMENT.model_copy(update={"options": frozenset({"signature"})})
    moved = SHIPMENT.model_copy(update={"recipient": RECIPIENT.model_copy(update={"postal_code": "10001"})})
    other = "US-XM" if carrier is Carrier.USPS else "01" if carrier is Carrier.UPS else "FIRST_OVERNIGHT"
    cases = [
        (HEAVIER, ("parcels.0.weight",)),
        (moved, ("recipient.postal_code",)),
        (signed, ("options",)),
        (SHIPMENT.model_copy(update={"service": other}), ("service",)),
    ]
    for shipment, differences in cases:
        for buy in (shipping.buy, shipping.client(carrier).buy):  # type: ignore[attr-defined]
            with pytest.raises(RateMismatch) as caught:
                buy(rate, shipment, idempotency_key="order-3")
            assert caught.value.differences == differences and caught.value.field == "rate"
            assert "rate this shipment" in str(caught.value)
    assert platform.bought() == {Carrier.USPS: 0, Carrier.UPS: 0, Carrier.FEDEX: 0}
    assert platform.sandbox.account(USER).available_postage == balance
    assert platform.accounts().labels.entries(MERCHANT) == []  # nothing written down: the key is free
    heavy = cheapest(shipping, carrier, HEAVIER)
    label = shipping.buy(heavy, HEAVIER, idempotency_key="order-3")
    assert label.cost == heavy.total == label.quoted_cost and heavy.total.amount > rate.total.amount


@pytest.mark.parametrize("carrier", CARRIERS)
def test_a_charge_above_the_quote_is_on_the_label_and_logged(
    platform: Platform, carrier: Carrier, caplog: pytest.LogCaptureFixture
) -> None:
    shipping = platform.shipping()
    rate = cheapest(shipping, carrier)
    platform.surcharge(carrier, "2.50")
    with caplog.at_level(logging.WARNING, logger="onebalance"):
        label = shipping.buy(rate, SHIPMENT, idempotency_key="order-4")
    assert label.quoted_cost == rate.total and label.cost == rate.total + Money("2.50")
    assert label.above_quote == Money("2.50")
    [warning] = [r for r in caplog.records if "label_charged_above_quote" in r.getMessage()]
    assert warning.levelno == logging.WARNING and f"carrier={carrier.value}" in warning.getMessage()
    assert "above=2.50" in warning.getMessage()
    assert platform.shipping().labels(carrier) == [label]  # the journal keeps both amounts
    if carrier is Carrier.USPS:
        assert platform.sandbox.ledger(USER)[-1].cost == label.cost.amount  # debited what the label says


@pytest.mark.parametrize(
    ("carrier", "platform"),
    [*((c, "memory") for c in CARRIERS), (Carrier.USPS, "sqlite"), (Carrier.UPS, "postgres")],
    indirect=["platform"],
)
def test_above_the_tolerance_the_label_is_voided_and_the_purchase_refused(platform: Platform, carrier: Carrier) -> None:
    shipping = platform.shipping(charge_tolerance="1.00")
    rate = cheapest(shipping, carrier)
    platform.surcharge(carrier, "0.75")  # within the tolerance: bought, with a warning only
    assert shipping.buy(rate, SHIPMENT, idempotency_key="order-5a").above_quote == Money("0.75")
    platform.surcharge(carrier, "2.50")
    with pytest.raises(ChargeAboveQuote) as caught:
        shipping.buy(rate, SHIPMENT, idempotency_key="order-5")
    refused = caught.value
    assert refused.voided and refused.void_result is not None and refused.void_error is None
    assert refused.quoted == rate.total and refused.charged == rate.total + Money("2.50")
    assert refused.tolerance == Decimal("1.00") and refused.label.above_quote == Money("2.50")
    assert "The label was voided" in str(refused) and "do not ship with it" in str(refused)
    number = refused.label.tracking_number
    if carrier is Carrier.USPS:
        printed = next(lb for lb in platform.sandbox.labels(USER) if lb.tracking_number == number)
        assert printed.voided_at is not None and printed.refund_status == "pending"
        assert refused.void_result.refund == refused.charged
    elif carrier is Carrier.UPS:
        assert next(s for s in platform.ups.shipments() if number in s.tracking_numbers).voided
    else:
        assert next(s for s in platform.fedex.shipments() if s.tracking_number == number).cancelled_at is not None
    [entry] = [e for e in platform.accounts().labels.entries(MERCHANT) if e.idempotency_key == "order-5"]
    assert entry.label == refused.label and entry.voided_at is not None
    before = platform.bought()
    with pytest.raises(ChargeAboveQuote) as again:  # another worker, the same key: refused again, nothing bought
        platform.shipping(charge_tolerance="1.00").buy(rate, SHIPMENT, idempotency_key="order-5")
    assert again.value.voided and again.value.voided_at == entry.voided_at
    assert platform.bought() == before


def test_a_label_whose_void_fails_is_reported_as_charged_and_voided_on_the_next_try(platform: Platform) -> None:
    shipping = platform.shipping(charge_tolerance="0")
    rate = cheapest(shipping, Carrier.UPS)
    platform.ups.set_surcharge("0.01")
    platform.ups.faults.script("void", "http_500")
    with pytest.raises(ChargeAboveQuote, match="could NOT be voided") as caught:
        shipping.buy(rate, SHIPMENT, idempotency_key="order-6")
    assert not caught.value.voided and caught.value.void_error is not None and caught.value.void_result is None
    [shipment] = platform.ups.shipments()
    assert not shipment.voided
    with pytest.raises(ChargeAboveQuote) as again:  # the same key: the void is tried again, nothing is bought
        shipping.buy(rate, SHIPMENT, idempotency_key="order-6")
    assert again.value.voided and platform.ups.shipments()[0].voided and len(platform.ups.shipments()) == 1


def test_a_tolerance_must_be_an_amount() -> None:
    from onebalance import ConfigurationError

    for bad in ("-1", "lots", Decimal("NaN"), 1.5):
        with pytest.raises(ConfigurationError, match="charge_tolerance"):
            Shipping(usps=object(), charge_tolerance=bad)  # type: ignore[arg-type]
    assert Shipping(usps=object(), charge_tolerance=2).charge_tolerance == Decimal(2)  # type: ignore[arg-type]


def test_the_label_surcharge_control_over_http(sandbox: Sandbox) -> None:
    sandbox.create_account(USER, PASSWORD, balance="50.00")
    with sandbox.serve() as server:
        control = SandboxControl(server.url)
        control.call("set_label_surcharge", username=USER, amount="3.25")
        assert Decimal(control.call("account", username=USER)["label_surcharge"]) == Decimal("3.25")
        with pytest.raises(RuntimeError, match="negative"):
            control.call("set_label_surcharge", username=USER, amount="-1.00")
    assert sandbox.account(USER).label_surcharge == Decimal("3.25")


# -- the fingerprint and the binding, on the models alone ------------------------------------------------


def _rate(**changes: Any) -> Rate:
    from carriers import CarrierAccountPayment

    data: dict[str, Any] = {
        "carrier": Carrier.UPS,
        "service_code": "03",
        "service_name": "UPS Ground",
        "total": Money("17.10"),
        "payment": CarrierAccountPayment(carrier=Carrier.UPS, account_number="A1B2C3"),
    }
    return Rate(**(data | changes))


def test_a_purchase_fingerprint_is_stable_and_names_what_is_bought() -> None:
    from onebalance.shipments._quote import purchase_fingerprint

    base = purchase_fingerprint(_rate(), SHIPMENT)
    assert base == purchase_fingerprint(_rate(), SHIPMENT.model_copy()) and base.startswith("v1:")
    same = [
        SHIPMENT.model_copy(update={"parcels": [Parcel(weight=Weight("32", "oz"))]}),  # the same parcel
        SHIPMENT.model_copy(update={"parcels": [Parcel(weight=Weight("2.000", "lb"), reference="box 1")]}),
        SHIPMENT.model_copy(update={"reference": "order 1042", "idempotency_key": "k"}),
    ]
    assert {purchase_fingerprint(_rate(), s) for s in same} == {base}
    other = [
        purchase_fingerprint(_rate(carrier=Carrier.FEDEX, payment=_fedex_payer()), SHIPMENT),
        purchase_fingerprint(_rate(service_code="02"), SHIPMENT),
        purchase_fingerprint(_rate(total=Money("17.11")), SHIPMENT),
        purchase_fingerprint(_rate(), HEAVIER),
        purchase_fingerprint(_rate(), SHIPMENT.model_copy(update={"options": frozenset({"signature"})})),
        purchase_fingerprint(_rate(), SHIPMENT.model_copy(update={"ship_date": date(2030, 1, 2)})),
    ]
    assert len({base, *other}) == 7


def test_the_form_of_a_quoted_shipment_is_worked_out_once_per_object_and_forgotten_with_it() -> None:
    import gc

    from onebalance.shipments._quote import _quoted_form, differences, shipment_form

    quoted = SHIPMENT.model_copy(update={"reference": "quoted"})
    assert _quoted_form(quoted) is _quoted_form(quoted) and _quoted_form(quoted).form == shipment_form(quoted)
    assert differences(quoted, HEAVIER) == ("parcels.0.weight",) == differences(quoted, HEAVIER)
    # Equal shipments written apart (2 lb and 2.000 lb) are other objects: each has its own form.
    apart = SHIPMENT.model_copy(update={"parcels": [Parcel(weight=Weight("2.000", "lb"))]})
    assert _quoted_form(apart).form == shipment_form(apart) and differences(apart, quoted) == ()
    forms = _quoted_form._forms
    assert {id(quoted), id(apart)} <= set(forms)
    del quoted, apart
    gc.collect()
    assert all(entry.ref() is not None for entry in list(forms.values()))  # a shipment gone, its form too


def test_a_shipment_written_as_the_quoted_one_is_the_same_and_any_other_is_compared_by_its_form() -> None:
    """``differences`` skips working out the form of a shipment whose JSON text is the quoted one's: the
    answer is the one the forms give, for shipments written the same and for shipments written apart."""
    from onebalance.shipments._quote import differences, shipment_form

    def by_forms(quoted: ShipmentRequest, shipment: ShipmentRequest) -> bool:
        return shipment_form(quoted) == shipment_form(shipment)

    quoted = SHIPMENT.model_copy(update={"options": frozenset({"signature", "saturday_delivery"})})
    written_the_same = ShipmentRequest.model_validate_json(quoted.model_dump_json())
    assert written_the_same is not quoted and written_the_same.model_dump_json() == quoted.model_dump_json()
    variants = [
        written_the_same,
        quoted.model_copy(update={"reference": "order 7", "idempotency_key": "k-7"}),  # names it: the same
        quoted.model_copy(update={"parcels": [Parcel(weight=Weight("32", "oz"))]}),  # the same parcel
        quoted.model_copy(update={"parcels": [Parcel(weight=Weight("2.000", "lb"))]}),
        quoted.model_copy(update={"options": frozenset({"saturday_delivery", "signature"})}),
        quoted.model_copy(update={"parcels": [Parcel(weight=Weight("2.001", "lb"))]}),
        quoted.model_copy(update={"options": frozenset({"signature"})}),
        quoted.model_copy(update={"is_return": True}),
        quoted.model_copy(update={"recipient": SHIPPER}),
    ]
    for shipment in variants:
        assert (differences(quoted, shipment) == ()) == by_forms(quoted, shipment), shipment
    assert [differences(quoted, s) == () for s in variants] == [True] * 5 + [False] * 4


def _fedex_payer() -> Any:
    from carriers import CarrierAccountPayment

    return CarrierAccountPayment(carrier=Carrier.FEDEX, account_number="700000001")


def test_a_rate_keeps_its_shipment_through_json_and_one_built_by_hand_is_not_checked() -> None:
    from onebalance.shipments._quote import bind, check_quote

    [bound] = bind([_rate()], SHIPMENT)
    assert bound.quoted_for is SHIPMENT and "quoted_for" not in repr(bound)
    kept = Rate.model_validate(bound.model_dump(mode="json"))
    assert kept == bound
    check_quote(kept, SHIPMENT.model_copy(update={"reference": "memo"}))  # the same shipment: no error
    with pytest.raises(RateMismatch) as caught:
        check_quote(kept, HEAVIER.model_copy(update={"recipient": SHIPPER}))
    assert caught.value.differences == ("recipient.city", "recipient.name", "recipient.phone",
                                        "recipient.postal_code", "recipient.state", "recipient.street_lines.0",
                                        "parcels.0.weight")  # fmt: skip
    check_quote(_rate(), HEAVIER)  # no quote to hold it to
    with pytest.raises(RateMismatch, match=r"\(service differs\)"):
        check_quote(_rate(), HEAVIER.model_copy(update={"service": "02"}))
