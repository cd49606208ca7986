"""The label journal contract, run on every store's journal (``store.labels``): a key is claimed once,
a label is kept whole, a refused purchase frees its key, voids are noted; and the wiring that makes
it hold across processes: several worker processes buying with the same idempotency key through
their own :meth:`Accounts.shipping` against one served sandbox get one label and pay once.

The PostgreSQL runs need ONEBALANCE_TEST_POSTGRES_DSN (see tests/_stores.py).
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from carriers import (
    Address,
    Carrier,
    CarrierAccountPayment,
    DocumentKind,
    Label,
    Money,
    OneBalancePayment,
    Parcel,
    ShipmentRequest,
    ShippingDocument,
    Weight,
)
from onebalance import (
    Accounts,
    ConfigurationError,
    InMemoryLabelJournal,
    InMemoryStore,
    LabelJournal,
    PurchaseInProgress,
    SqliteLabelJournal,
    SqliteStore,
    Store,
    StoredCredentials,
    StoreError,
    UpsAccount,
    ValidationError,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox
from onebalance.sandbox._shared._images import PDF_LETTER
from onebalance.sandbox.ups import UpsSandbox

from ._stores import StoreSpec, postgres_run_schema, store_spec, worker_context  # noqa: F401 - a fixture

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


def label(number: str = "1ZA1B2C30300000001", *, carrier: Carrier = Carrier.UPS, service: str = "03") -> Label:
    paid_by: OneBalancePayment | CarrierAccountPayment = OneBalancePayment()
    if carrier is not Carrier.USPS:
        paid_by = CarrierAccountPayment(carrier=carrier, account_number="A1B2C3")
    return Label(
        carrier=carrier,
        service_code=service,
        tracking_number=number,
        carrier_reference=f"REF-{number[-4:]}",
        cost=Money(amount=Decimal("12.34")),
        paid_by=paid_by,
        label_image=PDF_LETTER,  # a real PDF (binary bytes in its header) on a letter page, as it claims
        label_format="PDF",
        label_size="letter",
        created_at=T0 + timedelta(seconds=5),
    )


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield InMemoryStore()
        return
    for made in store_spec(request.param, tmp_path, request):
        with made.open() as opened:
            yield opened


@pytest.fixture(params=["sqlite", "postgres"])
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreSpec]:
    yield from store_spec(request.param, tmp_path, request)


# -- the contract ------------------------------------------------------------------------------------


def test_every_store_has_a_journal_of_its_own_kind(store: Store) -> None:
    assert isinstance(store.labels, LabelJournal)
    expected = {InMemoryStore: "InMemoryLabelJournal", SqliteStore: "SqliteLabelJournal"}
    assert type(store.labels).__name__ == expected.get(type(store), "PostgresLabelJournal")


def test_a_key_is_claimed_once_and_the_second_start_sees_the_first(store: Store) -> None:
    journal = store.labels
    entry, fresh = journal.start("m1", Carrier.UPS, "order-1", "03", T0)
    assert fresh and entry.pending and entry.service_code == "03" and entry.started_at == T0
    again, fresh_again = journal.start("m1", Carrier.UPS, "order-1", "02", T0 + timedelta(minutes=1))
    assert not fresh_again
    assert again == entry  # the first purchase's service and time, not the second's
    # The key belongs to one merchant, whatever the carrier: another carrier gets the first entry.
    assert journal.start("m2", Carrier.UPS, "order-1", "03", T0)[1]
    other, fresh_other = journal.start("m1", Carrier.FEDEX, "order-1", "FEDEX_GROUND", T0)
    assert not fresh_other and other == entry
    assert journal.get("m1", Carrier.FEDEX, "order-1") is None  # nothing was claimed for FedEx


def test_a_key_with_a_fingerprint_is_one_purchase_whatever_the_carrier(store: Store) -> None:
    journal = store.labels
    entry, fresh = journal.start("m1", Carrier.USPS, "k1", "US-PM", T0, fingerprint="v1:usps")
    assert fresh and entry.fingerprint == "v1:usps"
    for carrier in (Carrier.UPS, Carrier.FEDEX):
        again, made = journal.start("m1", carrier, "k1", "03", T0 + timedelta(minutes=1), fingerprint="v1:other")
        assert not made and again == entry  # the USPS purchase, with its fingerprint
    assert [e.carrier for e in journal.entries("m1")] == [Carrier.USPS]
    journal.finish("m1", Carrier.USPS, "k1", label(carrier=Carrier.USPS, service="US-PM"))
    kept = journal.start("m1", Carrier.UPS, "k1", "03", T0, fingerprint="v1:other")[0]
    assert kept.fingerprint == "v1:usps" and kept.label is not None
    journal.abandon("m1", Carrier.USPS, "k1")  # a label is never forgotten
    assert journal.get("m1", Carrier.USPS, "k1") is not None
    # A pending purchase that bought nothing frees the key for every carrier.
    journal.start("m1", Carrier.UPS, "k2", "03", T0, fingerprint="v1:ups")
    journal.abandon("m1", Carrier.UPS, "k2")
    assert journal.start("m1", Carrier.FEDEX, "k2", "FEDEX_GROUND", T0, fingerprint="v1:fedex")[1]


def test_a_key_an_older_entry_without_a_fingerprint_holds_is_refused_to_another_carrier(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite"
    SqliteLabelJournal(path).close()  # the table as this version makes it
    with sqlite3.connect(path) as conn:  # an entry written before fingerprints existed
        conn.execute(
            "INSERT INTO label_journal (merchant_id, carrier, idempotency_key, service_code, started_at) "
            "VALUES ('m1', 'usps', 'old', 'US-PM', ?)",
            (T0.isoformat(),),
        )
    journal = SqliteLabelJournal(path)
    try:
        entry, fresh = journal.start("m1", Carrier.UPS, "old", "03", T0 + timedelta(days=1), fingerprint="v1:ups")
        assert not fresh and entry.carrier is Carrier.USPS and entry.fingerprint is None
        assert journal.get("m1", Carrier.UPS, "old") is None  # the claim was undone
    finally:
        journal.close()


def test_a_finished_purchase_keeps_its_label_whole(store: Store) -> None:
    journal = store.labels
    journal.start("m1", Carrier.UPS, "order-2", "03", T0)
    bought = label()
    journal.finish("m1", Carrier.UPS, "order-2", bought)
    entry = journal.get("m1", Carrier.UPS, "order-2")
    assert entry is not None and not entry.pending
    assert entry.label == bought and entry.label.label_image == bought.label_image
    replay, fresh = journal.start("m1", Carrier.UPS, "order-2", "03", T0 + timedelta(hours=1))
    assert not fresh and replay.label == bought
    assert journal.get("m1", Carrier.UPS, "missing") is None


def test_a_label_keeps_its_documents_in_every_store(store: Store) -> None:
    journal = store.labels
    documents = (
        ShippingDocument(kind=DocumentKind.COMMERCIAL_INVOICE, format="PDF", data=b"%PDF-1.7 \x00\xff invoice"),
        ShippingDocument(kind=DocumentKind.CUSTOMS_FORM, format="PNG", data=b"\x89PNG\r\n form"),
    )
    bought = label().model_copy(update={"documents": documents})
    journal.start("m1", Carrier.UPS, "abroad", "07", T0)
    journal.finish("m1", Carrier.UPS, "abroad", bought)
    entry = journal.get("m1", Carrier.UPS, "abroad")
    assert entry is not None and entry.label == bought and entry.label.documents == documents
    voided = journal.mark_package_voided("m1", Carrier.UPS, "abroad", "1ZA1B2C30300000001", T0)
    assert voided is not None and voided.documents == documents  # a change of the label keeps them


def test_a_row_written_before_documents_reads_as_a_label_without_any(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite"
    journal = SqliteLabelJournal(path)
    try:
        journal.finish("m1", Carrier.UPS, "old", label())
    finally:
        journal.close()
    with sqlite3.connect(path) as conn:
        (text,) = conn.execute("SELECT label FROM label_journal WHERE idempotency_key = 'old'").fetchone()
    assert "documents" not in json.loads(text)  # the row as an older version wrote it
    journal = SqliteLabelJournal(path)
    try:
        entry = journal.get("m1", Carrier.UPS, "old")
        assert entry is not None and entry.label == label() and entry.label.documents == ()
    finally:
        journal.close()


def test_finish_without_start_still_records_the_label(store: Store) -> None:
    store.labels.finish("m1", Carrier.UPS, "order-3", label())
    entry = store.labels.get("m1", Carrier.UPS, "order-3")
    assert entry is not None and entry.label == label() and entry.service_code == "03"


def test_abandon_frees_a_pending_key_but_never_forgets_a_label(store: Store) -> None:
    journal = store.labels
    journal.start("m1", Carrier.UPS, "refused", "03", T0)
    journal.abandon("m1", Carrier.UPS, "refused")
    assert journal.get("m1", Carrier.UPS, "refused") is None
    assert journal.start("m1", Carrier.UPS, "refused", "03", T0)[1]  # free to be bought again
    journal.start("m1", Carrier.UPS, "bought", "03", T0)
    journal.finish("m1", Carrier.UPS, "bought", label())
    journal.abandon("m1", Carrier.UPS, "bought")
    kept = journal.get("m1", Carrier.UPS, "bought")
    assert kept is not None and kept.label == label()


def test_entries_oldest_first_by_carrier_found_by_number_and_voided(store: Store) -> None:
    journal = store.labels
    journal.start("m1", Carrier.FEDEX, "late", "FEDEX_GROUND", T0 + timedelta(minutes=2))
    journal.start("m1", Carrier.UPS, "early", "03", T0)
    journal.start("m1", Carrier.UPS, "middle", "03", T0 + timedelta(minutes=1))
    journal.start("m2", Carrier.UPS, "other-merchant", "03", T0)
    assert [e.idempotency_key for e in journal.entries("m1")] == ["early", "middle", "late"]
    assert [e.idempotency_key for e in journal.entries("m1", Carrier.UPS)] == ["early", "middle"]
    journal.finish("m1", Carrier.UPS, "middle", label("1ZA1B2C30300000042"))
    assert journal.find("m1", Carrier.UPS, "1ZA1B2C3 0300000042") is not None  # spaces as a person types them
    found = journal.find("m1", Carrier.UPS, "REF-0042")
    assert found is not None and found.idempotency_key == "middle"
    assert journal.find("m2", Carrier.UPS, "1ZA1B2C30300000042") is None
    journal.mark_voided("m1", Carrier.UPS, "middle", T0 + timedelta(days=1))
    voided = journal.get("m1", Carrier.UPS, "middle")
    assert voided is not None and voided.voided_at == T0 + timedelta(days=1) and voided.label is not None


def test_pending_lists_every_merchants_unfinished_purchases_oldest_first(store: Store) -> None:
    journal = store.labels
    assert journal.pending() == [] and journal.pending("m1") == []
    journal.start("m2", Carrier.FEDEX, "b-late", "FEDEX_GROUND", T0 + timedelta(minutes=30))
    journal.start("m1", Carrier.UPS, "a-early", "03", T0)
    # A time in another zone is ordered by the instant, not by its text (SQLite keeps ISO text).
    journal.start(
        "m1", Carrier.UPS, "c-mid", "03", (T0 + timedelta(minutes=10)).astimezone(timezone(timedelta(hours=-8)))
    )
    journal.start("m1", Carrier.UPS, "bought", "03", T0 - timedelta(days=1))
    journal.finish("m1", Carrier.UPS, "bought", label())
    journal.start("m1", Carrier.FEDEX, "refused", "FEDEX_GROUND", T0)
    journal.abandon("m1", Carrier.FEDEX, "refused")

    every = journal.pending()
    assert [(e.merchant_id, e.idempotency_key) for e in every] == [("m1", "a-early"), ("m1", "c-mid"), ("m2", "b-late")]
    assert (
        all(e.pending for e in every) and every[2].carrier is Carrier.FEDEX and every[2].service_code == "FEDEX_GROUND"
    )
    assert [e.idempotency_key for e in journal.pending("m1")] == ["a-early", "c-mid"]
    assert journal.pending("nobody") == []
    cutoff = T0 + timedelta(minutes=10)  # strictly before: c-mid started exactly then
    assert [e.idempotency_key for e in journal.pending(started_before=cutoff)] == ["a-early"]
    assert [e.idempotency_key for e in journal.pending("m2", started_before=T0 + timedelta(hours=1))] == ["b-late"]
    with pytest.raises(ValidationError, match="started_before"):
        journal.pending(started_before=datetime(2026, 11, 1, 12, 0))  # naive on purpose
    journal.finish("m1", Carrier.UPS, "a-early", label("1ZA1B2C30300000007"))
    journal.abandon("m2", Carrier.FEDEX, "b-late")
    assert [e.idempotency_key for e in journal.pending()] == ["c-mid"]


def test_a_journal_of_ones_own_lists_one_merchants_pending_purchases_through_entries() -> None:
    class Mine(InMemoryLabelJournal):
        pending = LabelJournal.pending  # the base class's default, as a journal that does not override it gets

    journal = Mine()
    journal.start("m1", Carrier.UPS, "k", "03", T0)
    assert [e.idempotency_key for e in journal.pending("m1")] == ["k"]
    with pytest.raises(NotImplementedError, match="every merchant"):
        journal.pending()


def test_threads_starting_one_key_at_once_make_one_entry(store: Store) -> None:
    barrier = threading.Barrier(8)
    results: list[bool] = []

    def start(n: int) -> None:
        barrier.wait()
        results.append(store.labels.start("m1", Carrier.UPS, "race", "03", T0 + timedelta(seconds=n))[1])

    threads = [threading.Thread(target=start, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert len(store.labels.entries("m1")) == 1


def _claim(spec: StoreSpec, n: int, barrier: object, results: object) -> None:
    try:
        with spec.open() as store:
            barrier.wait(30)  # type: ignore[attr-defined]
            entry, fresh = store.labels.start("m1", Carrier.UPS, "race", "03", T0 + timedelta(seconds=n))
        results.put((fresh, entry.started_at.isoformat()))  # type: ignore[attr-defined]
    except BaseException as exc:
        results.put((None, f"{type(exc).__name__}: {exc}"))  # type: ignore[attr-defined]
        barrier.abort()  # type: ignore[attr-defined]


def _context() -> multiprocessing.context.BaseContext:
    return worker_context()


def test_processes_starting_one_key_at_once_make_one_entry(spec: StoreSpec) -> None:
    spec.open().close()  # the tables first, as a deployment would
    ctx, workers = _context(), 4
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=_claim, args=(spec, n, barrier, results)) for n in range(workers)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(10)
    assert [o for o in outcomes if o[0] is None] == []
    assert sorted(o[0] for o in outcomes) == [False] * (workers - 1) + [True]
    assert len({o[1] for o in outcomes}) == 1  # every loser saw the winner's entry
    with spec.open() as store:
        assert len(store.labels.entries("m1")) == 1


def test_a_sqlite_journal_made_by_an_older_onebalance_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite"
    with sqlite3.connect(path) as conn:  # the table as it was made before the store had versions
        conn.execute(
            """CREATE TABLE label_journal (merchant_id TEXT NOT NULL, carrier TEXT NOT NULL,
            idempotency_key TEXT NOT NULL, service_code TEXT NOT NULL, started_at TEXT NOT NULL, label TEXT,
            voided_at TEXT, PRIMARY KEY (merchant_id, carrier, idempotency_key))"""
        )
        conn.execute("INSERT INTO label_journal VALUES ('m1', 'ups', 'old', '03', ?, NULL, NULL)", (T0.isoformat(),))
    journal = SqliteLabelJournal(path)
    try:
        old = journal.get("m1", Carrier.UPS, "old")
        assert old is not None and old.pending and old.started_at == T0
        assert not journal.start("m1", Carrier.UPS, "old", "03", T0)[1]
    finally:
        journal.close()


def test_sqlite_journal_failures_in_use_are_store_errors(tmp_path: Path) -> None:
    journal = SqliteLabelJournal(tmp_path / "j.sqlite")
    with sqlite3.connect(tmp_path / "j.sqlite") as conn:
        conn.execute("DROP TABLE label_journal")
    with pytest.raises(StoreError, match="label journal"):
        journal.start("m1", Carrier.UPS, "k", "03", T0)
    journal.close()


def test_postgres_journal_failures_in_use_are_store_errors(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    for made in store_spec("postgres", tmp_path, request, fresh=True):
        with made.open(pool_timeout=2) as store:
            import psycopg
            from psycopg import sql

            with psycopg.connect(made.dsn, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(made.schema, "label_journal")))
            with pytest.raises(StoreError, match="UndefinedTable") as info:
                store.labels.start("m1", Carrier.UPS, "k", "03", T0)
            assert info.value.__cause__ is None


# -- wiring: Accounts ------------------------------------------------------------------------------------


def test_accounts_uses_the_stores_journal_and_refuses_another(store: Store) -> None:
    accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint="https://swsim.test/", store=store)
    assert accounts.labels is store.labels
    with pytest.raises(ConfigurationError, match="label journal comes from the store"):
        Accounts(
            integration_id=DEMO_INTEGRATION_ID,
            endpoint="https://swsim.test/",
            store=store,
            labels=InMemoryLabelJournal(),
        )
    assert (
        Accounts(
            integration_id=DEMO_INTEGRATION_ID, endpoint="https://swsim.test/", store=store, labels=store.labels
        ).labels
        is store.labels
    )


# -- several processes, one key, one label -----------------------------------------------------------

MERCHANT, USER, PASSWORD = "m-ship", "shipper", "Shipper-passw0rd"
WORKERS = 4
SHIPMENT = ShipmentRequest(
    shipper=Address(
        name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701", phone="5125550100"
    ),
    recipient=Address(
        name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118", phone="2125550100"
    ),
    parcels=[Parcel(weight=Weight(value="2", unit="lb"))],
    ship_date=date.today(),
)


@dataclass(frozen=True)
class Bought:
    worker: int
    tracking_number: str = ""
    outcome: str = "label"


def _buy(spec: StoreSpec, carrier: Carrier, url: str, worker: int, barrier: object, results: object) -> None:
    try:
        with spec.open() as store:
            accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=store)
            shipping = accounts.shipping(MERCHANT)
            assert shipping.journal is store.labels
            rate = min(
                (r for r in shipping.rates(SHIPMENT).rates if r.carrier is carrier), key=lambda r: r.total.amount
            )
            barrier.wait(30)  # type: ignore[attr-defined]  # every worker buys at the same moment
            try:
                bought = shipping.buy(rate, SHIPMENT, idempotency_key="order-77")
            except PurchaseInProgress:
                results.put(Bought(worker, outcome="in progress"))  # type: ignore[attr-defined]
                return
        results.put(Bought(worker, bought.tracking_number))  # type: ignore[attr-defined]
    except BaseException as exc:
        results.put(Bought(worker, outcome=f"{type(exc).__name__}: {exc}"))  # type: ignore[attr-defined]
        barrier.abort()  # type: ignore[attr-defined]


@pytest.mark.parametrize("carrier", [Carrier.USPS, Carrier.UPS])
def test_processes_buying_with_one_key_get_one_label_and_pay_once(spec: StoreSpec, carrier: Carrier) -> None:
    sandbox, ups_box = Sandbox(), UpsSandbox()
    sandbox.create_account(USER, PASSWORD, balance="100.00")
    ups_box.create_account("ups-id", "ups-secret", ["A1B2C3"])
    with sandbox.serve() as swsim, ups_box.serve() as ups_server:
        with spec.open() as store:  # set up through the store alone: the workers find everything there
            store.credentials.put(
                MERCHANT,
                StoredCredentials(
                    integration_id=DEMO_INTEGRATION_ID,
                    username=USER,
                    password=PASSWORD,
                    endpoint=swsim.url,
                    ups=UpsAccount(
                        client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3", base_url=ups_server.url
                    ),
                ),
            )
        ctx = _context()
        barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
        procs = [ctx.Process(target=_buy, args=(spec, carrier, swsim.url, n, barrier, results)) for n in range(WORKERS)]
        for p in procs:
            p.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(10)
    assert [o.outcome for o in outcomes if o.outcome not in ("label", "in progress")] == []
    numbers = {o.tracking_number for o in outcomes if o.outcome == "label"}
    assert len(numbers) == 1  # whoever got a label got the same one
    if carrier is Carrier.UPS:
        # UPS does not promise to recognise a repeated key (this sandbox does, by CustomerContext):
        # the journal alone must keep it to one request, the others never sent.
        assert len([path for _, path in ups_box.requests() if path.endswith("/ship")]) == 1
        assert len(ups_box.shipments()) == 1
    else:
        # USPS recognises the replay, so every worker gets the label; it was paid for once.
        assert all(o.outcome == "label" for o in outcomes)
        prints = [e for e in sandbox.ledger(USER) if e.type == "Print"]
        assert len(prints) == 1
        sandbox.check_ledger(USER)
    with spec.open() as store:
        entries = store.labels.entries(MERCHANT)
    assert [(e.carrier, e.idempotency_key) for e in entries] == [(carrier, "order-77")]
    assert entries[0].label is not None and entries[0].label.tracking_number in numbers
