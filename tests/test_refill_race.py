"""Several processes race auto-refills on one account, against one sandbox served over HTTP.

Each worker process opens its own connection to the shared store (a SQLite file, or a PostgreSQL
schema), builds its own Accounts and client, and prints one label a round: all the workers call
``ensure_funds`` for it at the same moment (a barrier), while the balance is low enough that a
refill is due, then each prints its label through the sandbox's control API, which takes the
balance back under the threshold for the next round. Afterwards the sandbox's ledger must show
exactly one refill per crossing of the threshold, a balance that never went above the account's
maximum, and purchases that equal the store's receipts to the cent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from onebalance import Accounts, AutoRefillSettings, FundingSettings, RefillProposal, StoredCredentials
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox, SandboxControl

from ._stores import StoreSpec, postgres_run_schema, store_spec, worker_context  # noqa: F401 - a fixture

D = Decimal
USER, PASSWORD, MERCHANT = "racer", "Racer-passw0rd", "m-race"
WORKERS, ROUNDS = 5, 3
THRESHOLD, REFILL, LABEL = D("40.00"), D("100.00"), D("20.00")
#: A refill is due when paying for a label would leave less than the threshold.
DUE_BELOW = THRESHOLD + LABEL
#: Due at the start; each round's labels spend exactly one refill, so every round starts due again.
START = D("50.00")
#: One refill on a due balance fits under the maximum; a second one would not.
MAXIMUM = D("200.00")


@dataclass(frozen=True)
class Outcome:
    worker: int
    refills: int
    error: str = ""


def _approve_slowly(proposal: RefillProposal) -> bool:
    """The merchant's refill prompt (a policy service, say): it takes a moment to say yes, and the
    refill is bought only after it, which leaves the other workers time to race for it."""
    time.sleep(0.02)
    return True


def _work(spec: StoreSpec, url: str, worker: int, barrier: object, results: object) -> None:
    try:
        with spec.open() as store:
            accounts = Accounts(
                integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=store, refill_prompt=_approve_slowly
            )
            postage = accounts.postage(MERCHANT)
            control = SandboxControl(url)
            refills = 0
            for n in range(ROUNDS):
                barrier.wait(30)  # type: ignore[attr-defined]  # every worker asks for funds at once
                receipt = postage.ensure_funds(LABEL, reason=f"label {worker}-{n}")
                refills += receipt is not None
                barrier.wait(30)  # type: ignore[attr-defined]  # then every worker prints its label
                control.call("print_postage", username=USER, amount=str(LABEL), memo=f"label {worker}-{n}")
        results.put(Outcome(worker, refills))  # type: ignore[attr-defined]
    except BaseException as exc:
        results.put(Outcome(worker, 0, f"{type(exc).__name__}: {exc}"))  # type: ignore[attr-defined]
        barrier.abort()  # type: ignore[attr-defined]  # the others stop waiting for this one


@pytest.fixture(params=["sqlite", "postgres"])
def spec(request: pytest.FixtureRequest, tmp_path: Path):
    yield from store_spec(request.param, tmp_path, request)


def test_racing_processes_refill_once_per_crossing_and_the_ledgers_agree(spec: StoreSpec) -> None:
    sandbox = Sandbox()
    sandbox.create_account(USER, PASSWORD, balance=START, max_postage_balance=MAXIMUM)
    with sandbox.serve() as server, spec.open() as store:
        # Set up through the store alone: the workers find the credentials and the policy there.
        # (No request from this process: forked workers must not share its HTTP connections.)
        store.credentials.put(
            MERCHANT,
            StoredCredentials(
                integration_id=DEMO_INTEGRATION_ID, username=USER, password=PASSWORD, endpoint=server.url
            ),
        )
        store.records.put_settings(
            MERCHANT,
            FundingSettings(
                auto_refill=AutoRefillSettings(threshold=THRESHOLD, amount=REFILL, prompt_before_refill=True)
            ),
        )
        store.close()  # the workers open their own; this one is opened again below
        ctx = worker_context()
        barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
        workers = [ctx.Process(target=_work, args=(spec, server.url, n, barrier, results)) for n in range(WORKERS)]
        for w in workers:
            w.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for w in workers:
            w.join(10)
    assert [o.error for o in outcomes if o.error] == []
    assert [w.exitcode for w in workers] == [0] * WORKERS

    ledger = sandbox.ledger(USER)
    sandbox.check_ledger(USER)
    prints = [e for e in ledger if e.type == "Print"]
    purchases = [e for e in ledger if e.type == "Purchase"]
    assert len(prints) == WORKERS * ROUNDS

    # One refill per crossing: each purchase was made while a refill was due, and lifted the
    # balance out of it; between two purchases the labels took the balance down again.
    due = START < DUE_BELOW
    crossings = int(due)
    for entry in ledger[1:]:
        before = entry.balance - entry.credit + entry.cost
        if entry.type == "Purchase":
            assert before < DUE_BELOW, f"a second refill at ${before} (entry {entry.id}): no crossing since the last"
            assert entry.credit == REFILL
        now_due = entry.balance < DUE_BELOW
        crossings += now_due and not due
        due = now_due
    assert len(purchases) == (crossings - 1 if due else crossings)  # the last labels end due again
    assert len(purchases) == ROUNDS
    assert sum(o.refills for o in outcomes) == len(purchases)
    assert max(e.balance for e in ledger) <= MAXIMUM

    # The SDK's ledger (the store's receipts) is the sandbox's purchases, to the cent.
    with spec.open() as reopened:
        receipts = reopened.records.receipts(MERCHANT)
    assert sorted((r.integrator_tx_id, r.amount, r.transaction_id) for r in receipts) == sorted(
        (e.integrator_tx_id, e.credit, e.transaction_id) for e in purchases
    )
    assert all(r.status == "Success" and r.kind == "auto_refill" for r in receipts)
    assert sum(r.amount for r in receipts) == sum(e.credit for e in purchases)
    final = ledger[-1].balance
    assert final == START + sum(r.amount for r in receipts) - LABEL * WORKERS * ROUNDS == START
