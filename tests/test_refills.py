"""The refill journal (``store.refills``) and settling postage purchases cut off mid-way (issue 12, item 10).

Before it, a refill whose process died after PurchasePostage reached the service had no receipt
and nothing recorded its IntegratorTxID: ``history()`` showed a $100 purchase nobody could account
for. Now every purchase is written down before it is sent, and :meth:`Postage.settle` resolves a
pending one against the service by its IntegratorTxID: a receipt for one the service had, "not
bought" for one it did not, and never a second purchase.

The journal contract runs on every store's journal; the crash test kills (SIGKILL) a worker
process while the sandbox holds back the answer to a purchase it has made, then restarts and
settles, on SQLite and PostgreSQL (ONEBALANCE_TEST_POSTGRES_DSN, see tests/_stores.py).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from onebalance import (
    Accounts,
    AutoRefillSettings,
    InMemoryRefillJournal,
    InMemoryStore,
    OneBalanceError,
    OutcomeUnknown,
    Postage,
    PurchaseRejected,
    RefillEntry,
    RefillJournal,
    RetryPolicy,
    SqlitePostageRecords,
    SqliteStore,
    StaleControlTotal,
    Store,
    StoredCredentials,
    ValidationError,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox

from ._stores import StoreSpec, postgres_run_schema, store_spec, worker_context  # noqa: F401 - a fixture

D = Decimal
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
MERCHANT, USER, PASSWORD = "m1", "shop", "Shop-passw0rd"
NOW = timedelta(0)  # settle(older_than=NOW): settle at once, whatever the purchase's age


def entry(key: str = "onebalance-a", *, merchant: str = MERCHANT, started: datetime = T0) -> RefillEntry:
    return RefillEntry(
        merchant_id=merchant,
        integrator_tx_id=key,
        receipt_id=f"R-{key[-12:].upper()}",
        username=USER,
        kind="auto_refill",
        amount=D("100.00"),
        fee=D("3.50"),
        total=D("103.50"),
        payment_method="Visa ending 1111",
        payment_kind="credit_card",
        cost_account="Warehouse",
        control_total=D("12.34"),
        started_at=started,
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


# -- the journal contract --------------------------------------------------------------------------------


def test_every_store_has_a_refill_journal_of_its_own_kind(store: Store) -> None:
    assert isinstance(store.refills, RefillJournal)
    expected = {InMemoryStore: "InMemoryRefillJournal", SqliteStore: "SqliteRefillJournal"}
    assert type(store.refills).__name__ == expected.get(type(store), "PostgresRefillJournal")


def test_an_entry_is_written_once_and_kept_whole(store: Store) -> None:
    journal = store.refills
    first = journal.start(entry())
    assert first == entry() and first.pending
    assert journal.start(entry(started=T0 + timedelta(hours=1))) == first  # the first one stays
    assert journal.get("onebalance-a") == first
    assert journal.get("onebalance-other") is None
    assert first.started_at == T0 and first.started_at.utcoffset() == timedelta(0)
    assert (first.amount, first.fee, first.control_total) == (D("100.00"), D("3.50"), D("12.34"))


def test_only_a_pending_entry_ends_and_bought_is_final(store: Store) -> None:
    journal = store.refills
    journal.start(entry("onebalance-a"))
    journal.start(entry("onebalance-b"))
    done = journal.finish("onebalance-a", "bought", T0 + timedelta(minutes=1))
    assert done is not None and (done.state, done.settled_at) == ("bought", T0 + timedelta(minutes=1))
    assert journal.finish("onebalance-a", "not_bought", T0, "late") == done  # bought is final
    assert journal.start(entry("onebalance-a")) == done  # and sending it again does not reopen it
    refused = journal.finish("onebalance-b", "not_bought", T0, "StaleControlTotal: ...")
    assert refused is not None and (refused.state, refused.reason) == ("not_bought", "StaleControlTotal: ...")
    reopened = journal.start(entry("onebalance-b"))  # confirmed again: it is about to be sent again
    assert (reopened.state, reopened.settled_at, reopened.reason) == ("pending", None, None)
    assert journal.finish("onebalance-unknown", "bought", T0) is None
    with pytest.raises(ValueError, match="bought or not_bought"):
        journal.finish("onebalance-b", "pending", T0)  # type: ignore[arg-type]


def test_pending_lists_every_merchants_unfinished_purchases_oldest_first(store: Store) -> None:
    journal = store.refills
    for key, merchant, minutes in [("k3", "m2", 3), ("k1", "m1", 1), ("k2", "m1", 2), ("k0", "m1", 0)]:
        journal.start(entry(f"onebalance-{key}", merchant=merchant, started=T0 + timedelta(minutes=minutes)))
    journal.finish("onebalance-k0", "bought", T0)
    assert [e.integrator_tx_id for e in journal.pending()] == ["onebalance-k1", "onebalance-k2", "onebalance-k3"]
    assert [e.integrator_tx_id for e in journal.pending("m1")] == ["onebalance-k1", "onebalance-k2"]
    early = journal.pending(started_before=T0 + timedelta(minutes=2))
    assert [e.integrator_tx_id for e in early] == ["onebalance-k1"]
    assert [e.integrator_tx_id for e in journal.entries("m1")] == ["onebalance-k0", "onebalance-k1", "onebalance-k2"]
    with pytest.raises(ValidationError, match="time zone"):
        journal.pending(started_before=datetime(2026, 11, 1))  # a naive time: refused


def test_threads_writing_one_purchase_at_once_make_one_entry(store: Store) -> None:
    barrier = threading.Barrier(6)
    kept: list[RefillEntry] = []

    def write(n: int) -> None:
        barrier.wait(10)
        kept.append(store.refills.start(entry(started=T0 + timedelta(seconds=n))))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(kept) == 6 and len({e.started_at for e in kept}) == 1
    assert len(store.refills.entries(MERCHANT)) == 1


def test_postage_takes_the_stores_journal_or_one_that_goes_with_its_records(tmp_path: Path) -> None:
    store = InMemoryStore()
    client = object()
    assert Postage(MERCHANT, client, store=store).refills is store.refills  # type: ignore[arg-type]
    records = SqlitePostageRecords(tmp_path / "records.sqlite")
    on_file = Postage(MERCHANT, client, records)  # type: ignore[arg-type]
    assert type(on_file.refills).__name__ == "SqliteRefillJournal"
    assert Postage(MERCHANT, client, records).refills is on_file.refills  # one journal per records  # type: ignore[arg-type]
    mine = InMemoryRefillJournal()
    assert Postage(MERCHANT, client, records, refills=mine).refills is mine  # type: ignore[arg-type]
    records.close()


# -- buying writes ahead; settling resolves ----------------------------------------------------------------


@contextmanager
def _shop(sandbox: Sandbox, store: Store) -> Iterator[Postage]:
    """Merchant 'm1' (sandbox user 'shop', $50.00 of $500.00) over the in-process sandbox, no retries,
    on ``store``; the SDK's clock is the sandbox's."""
    sandbox.create_account(USER, PASSWORD, balance="50.00")
    with sandbox.mock() as url:
        accounts = Accounts(
            integration_id=DEMO_INTEGRATION_ID,
            endpoint=url,
            store=store,
            retry=RetryPolicy.none(),
            now=sandbox.clock.now,
        )
        accounts.connect(MERCHANT, username=USER, password=PASSWORD)
        yield accounts.postage(MERCHANT)


@pytest.fixture
def shop(sandbox: Sandbox) -> Iterator[Postage]:
    """The merchant on an in-memory store (the crash test and the first test below run on the others)."""
    with _shop(sandbox, InMemoryStore()) as postage:
        yield postage


@pytest.fixture
def shop_on_each_store(sandbox: Sandbox, store: Store) -> Iterator[Postage]:
    with _shop(sandbox, store) as postage:
        yield postage


def _purchases(sandbox: Sandbox) -> list:
    return [e for e in sandbox.ledger(USER) if e.type == "Purchase"]


def test_a_purchase_whose_answer_is_lost_is_settled_with_one_receipt(
    shop_on_each_store: Postage, sandbox: Sandbox
) -> None:
    shop = shop_on_each_store
    sandbox.faults.script("PurchasePostage", "reset_after")  # the service buys; the answer never comes
    with pytest.raises(OutcomeUnknown) as lost:
        shop.add("100.00")
    assert len(_purchases(sandbox)) == 1 and shop.records.receipts(MERCHANT) == []
    (pending,) = shop.pending()
    assert pending.integrator_tx_id == lost.value.idempotency_key
    assert (pending.amount, pending.kind) == (D("100.00"), "manual")
    (line,) = [e for e in shop.history().entries if e.type == "Purchase"]
    assert line.receipt_id is None  # what the issue saw: a $100 purchase with no receipt

    (settled,) = shop.settle(older_than=NOW)
    assert settled.outcome == "bought" and settled.entry.state == "bought"
    receipt = settled.receipt
    assert receipt is not None and receipt.status == "Success" and receipt.amount == D("100.00")
    assert receipt.transaction_id == _purchases(sandbox)[0].transaction_id
    assert receipt.balance_after == D("150.00") and receipt.integrator_tx_id == pending.integrator_tx_id
    assert shop.records.receipts(MERCHANT) == [receipt]
    (line,) = [e for e in shop.history().entries if e.type == "Purchase"]
    assert line.receipt_id == receipt.receipt_id
    assert shop.pending() == [] and shop.settle(older_than=NOW) == []
    assert len(_purchases(sandbox)) == 1 and sandbox.account(USER).available_postage == D("150.00")  # once
    sandbox.check_ledger(USER)


def test_a_young_purchase_is_left_to_its_worker_until_it_is_old_enough(shop: Postage, sandbox: Sandbox) -> None:
    sandbox.faults.script("PurchasePostage", "reset_after")
    with pytest.raises(OutcomeUnknown):
        shop.add("25.00")
    (young,) = shop.settle()
    assert young.outcome == "pending" and "may still be waiting" in young.detail
    assert shop.records.receipts(MERCHANT) == [] and len(shop.pending()) == 1
    sandbox.advance_clock(timedelta(minutes=6))
    (old,) = shop.settle()
    assert old.outcome == "bought" and old.receipt is not None and old.receipt.amount == D("25.00")


@pytest.mark.parametrize("printed_since", [False, True], ids=["same-control-total", "postage-printed-since"])
def test_a_purchase_that_never_reached_the_service_is_not_bought_and_can_no_longer_buy(
    shop: Postage, sandbox: Sandbox, printed_since: bool
) -> None:
    quote = shop.quote("100.00")
    shop.refills.start(quote.refill_entry(sandbox.clock.now()))  # written down; the process died before sending
    if printed_since:
        sandbox.print_postage(USER, "7.50")  # the account's ControlTotal moved meanwhile
    (settled,) = shop.settle(older_than=NOW)
    assert settled.outcome == "not_bought" and settled.entry.state == "not_bought"
    assert "StaleControlTotal" in settled.detail and settled.receipt is None
    assert _purchases(sandbox) == []  # settling bought nothing
    # The first request, arriving late (or sent again), can no longer buy: the service answers the
    # IntegratorTxID with the refusal the settle met.
    with pytest.raises(StaleControlTotal):
        shop.client.purchase_postage(quote.amount, quote.control_total, quote.integrator_tx_id)
    with pytest.raises(StaleControlTotal):
        shop.buy(quote)
    assert _purchases(sandbox) == [] and shop.records.receipts(MERCHANT) == []
    assert shop.refills.get(quote.integrator_tx_id).state == "not_bought"  # type: ignore[union-attr]
    # Buying the postage now is a new purchase, asked for by the user.
    assert shop.add("100.00").status == "Success" and len(_purchases(sandbox)) == 1


def test_refused_or_unsent_purchases_are_marked_not_bought_at_once(shop: Postage, sandbox: Sandbox) -> None:
    stale = shop.quote("20.00")
    sandbox.print_postage(USER, "1.00")
    with pytest.raises(StaleControlTotal):
        shop.buy(stale)
    sandbox.set_next_purchase_outcome(USER, "Rejected", "RejectedDueToFraud")
    with pytest.raises(PurchaseRejected):
        shop.add("30.00")
    sandbox.faults.script("PurchasePostage", "refused")  # no connection: never reached the service
    with pytest.raises(OneBalanceError) as unsent:
        shop.add("40.00")
    assert not isinstance(unsent.value, OutcomeUnknown)
    entries = shop.refills.entries(MERCHANT)
    assert [(e.amount, e.state) for e in entries] == [(D(a), "not_bought") for a in ("20.00", "30.00", "40.00")]
    assert "StaleControlTotal" in (entries[0].reason or "") and "rejected" in (entries[1].reason or "")
    assert shop.pending() == [] and _purchases(sandbox) == []


def test_a_purchase_answered_pending_is_settled_once_the_service_completes_it(shop: Postage, sandbox: Sandbox) -> None:
    sandbox.set_next_purchase_outcome(USER, "Pending")
    first = shop.add("60.00")
    assert first.status == "Pending" and len(shop.pending()) == 1
    (settled,) = shop.settle(older_than=NOW)  # the service completes it on the next GetAccountInfo
    assert settled.outcome == "bought" and settled.receipt is not None
    assert settled.receipt.receipt_id == first.receipt_id and settled.receipt.status == "Success"
    assert [r.status for r in shop.records.receipts(MERCHANT)] == ["Success"]
    assert len(_purchases(sandbox)) == 1 and sandbox.account(USER).available_postage == D("110.00")


def test_settling_concludes_nothing_without_an_answer(shop: Postage, sandbox: Sandbox) -> None:
    sandbox.faults.script("PurchasePostage", "reset_after")
    with pytest.raises(OutcomeUnknown):
        shop.add("100.00")
    sandbox.faults.script("PurchasePostage", "reset_before")  # the probe is cut off too
    with pytest.raises(OutcomeUnknown):
        shop.settle(older_than=NOW)
    assert len(shop.pending()) == 1 and shop.records.receipts(MERCHANT) == []
    (settled,) = shop.settle(older_than=NOW)
    assert settled.outcome == "bought" and len(_purchases(sandbox)) == 1


def test_an_auto_refill_is_written_down_and_settled_like_a_manual_one(shop: Postage, sandbox: Sandbox) -> None:
    shop.update_settings(auto_refill=AutoRefillSettings(threshold=D("20.00"), amount=D("100.00")))
    sandbox.faults.script("PurchasePostage", "reset_after")
    with pytest.raises(OneBalanceError):
        shop.ensure_funds("60.00")  # $50.00 cannot pay for it: the refill is needed, and its answer is lost
    (pending,) = shop.pending()
    assert (pending.kind, pending.amount) == ("auto_refill", D("100.00"))
    (settled,) = shop.settle(older_than=NOW)
    assert settled.receipt is not None and settled.receipt.kind == "auto_refill"
    assert len(_purchases(sandbox)) == 1


def test_settling_one_purchase_by_its_key(shop: Postage, sandbox: Sandbox) -> None:
    sandbox.faults.script("PurchasePostage", "reset_after")
    with pytest.raises(OutcomeUnknown) as lost:
        shop.add("100.00")
    key = lost.value.idempotency_key
    assert key is not None
    with pytest.raises(ValidationError, match="no postage purchase"):
        shop.settle("onebalance-unknown", older_than=NOW)
    (settled,) = shop.settle(key, older_than=NOW)
    assert settled.outcome == "bought"
    (again,) = shop.settle(key, older_than=NOW)  # asked again: told, nothing sent
    assert (again.outcome, again.detail, again.receipt) == ("bought", "settled already", settled.receipt)
    assert len(_purchases(sandbox)) == 1


# -- the crash: a worker killed while the service holds the answer to the purchase it made -----------------


def _refill(spec: StoreSpec, url: str) -> None:
    """A worker: add $100.00 of postage for m1 (killed while waiting for the answer)."""
    with spec.open() as store:
        Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=store).postage(MERCHANT).add("100.00")


@pytest.fixture
def served(wire_log: list[tuple[str, str | None, bytes]]) -> Iterator[tuple[Sandbox, str, threading.Event]]:
    """A served sandbox (its exchanges checked against the real schema) and an event set once the
    service has answered a PurchasePostage (before the answer leaves: see the fault below)."""
    bought = threading.Event()

    def observe(direction: str, op: str | None, body: bytes) -> None:
        wire_log.append((direction, op, body))
        if direction == "response" and op == "PurchasePostage":
            bought.set()

    box = Sandbox(observers=[observe])
    box.create_account(USER, PASSWORD, balance="50.00")
    try:
        with box.serve() as server:
            yield box, server.url, bought
            box.faults.clear()  # cut short a held answer, so the server stops at once
    finally:
        box.close()


def test_a_refill_killed_after_the_service_bought_it_is_settled_once_after_restart(
    spec: StoreSpec, served: tuple[Sandbox, str, threading.Event]
) -> None:
    sandbox, url, bought = served
    with spec.open() as store:
        store.credentials.put(
            MERCHANT,
            StoredCredentials(integration_id=DEMO_INTEGRATION_ID, username=USER, password=PASSWORD, endpoint=url),
        )
    sandbox.faults.script("PurchasePostage", "timeout_after", delay=120)  # bought, then the answer is held
    worker = worker_context().Process(target=_refill, args=(spec, url))
    worker.start()
    try:
        assert bought.wait(60), "the worker's purchase never reached the sandbox"
        os.kill(worker.pid, signal.SIGKILL)  # type: ignore[arg-type]
        worker.join(10)
    finally:
        if worker.is_alive():
            worker.kill()
    assert worker.exitcode == -signal.SIGKILL
    sandbox.faults.clear()
    assert len(_purchases(sandbox)) == 1 and sandbox.account(USER).available_postage == D("150.00")

    with spec.open() as store:  # the restart
        postage = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=store).postage(MERCHANT)
        assert store.records.receipts(MERCHANT) == []
        (pending,) = postage.pending()
        assert (pending.amount, pending.kind, pending.state) == (D("100.00"), "manual", "pending")
        (settled,) = postage.settle(older_than=NOW)
        assert settled.outcome == "bought" and settled.receipt is not None
        assert settled.receipt.transaction_id == _purchases(sandbox)[0].transaction_id
        assert store.records.receipts(MERCHANT) == [settled.receipt]
        (line,) = [e for e in postage.history().entries if e.type == "Purchase"]
        assert line.receipt_id == settled.receipt.receipt_id
    with spec.open() as store:  # and again: nothing left to settle, nothing bought
        postage = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=store).postage(MERCHANT)
        assert postage.pending() == [] and postage.settle(older_than=NOW) == []
        assert [r.receipt_id for r in store.records.receipts(MERCHANT)] == [settled.receipt.receipt_id]
    assert len(_purchases(sandbox)) == 1 and sandbox.account(USER).available_postage == D("150.00")
    sandbox.check_ledger(USER)
