"""The benchmarks still measure what docs/performance.md says they measure (a few calls each, no timing).

``python benchmarks/run.py`` takes minutes, so the suite does not run it; these tests run each
benchmark's pieces once at a tiny scale, so that a change to the SDK that breaks a benchmark, or
makes its floor read something else than the SDK reads, fails here rather than on the next full
run. Speed itself is judged by the benchmarks, never by a timed test.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module", autouse=True)
def _on_path() -> Any:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.mark.parametrize("stack", ["requests", "bare"])
def test_item1_the_floor_reads_what_the_sdk_reads_from_the_same_answer(stack: str) -> None:
    import overhead

    cases = dict(overhead._cases(stack))
    assert set(cases) == {"GetAccountInfo", "PurchasePostage", "CreateIndicium", "UPS ship"}

    account, floor = cases["GetAccountInfo"]["sdk"](), cases["GetAccountInfo"]["floor"]()
    assert floor["available"] == account.available_postage  # type: ignore[attr-defined]
    assert floor["CustomerID"] == account.customer_id  # type: ignore[attr-defined]
    assert floor["capabilities"]["CanPrintShipping"] == account.capabilities.can_print_shipping  # type: ignore[attr-defined]

    purchase, floor = cases["PurchasePostage"]["sdk"](), cases["PurchasePostage"]["floor"]()
    assert floor["transaction_id"] == purchase.transaction_id  # type: ignore[attr-defined]

    (label, balance), floor = cases["CreateIndicium"]["sdk"](), cases["CreateIndicium"]["floor"]()
    assert floor["balance"] == balance
    assert floor["tracking_number"] == label.tracking_number  # type: ignore[attr-defined]
    assert floor["image"] == label.label_image  # type: ignore[attr-defined]
    assert floor["cost"] == label.cost.amount  # type: ignore[attr-defined]

    label, floor = cases["UPS ship"]["sdk"](), cases["UPS ship"]["floor"]()
    assert floor["tracking_number"] == label.tracking_number  # type: ignore[attr-defined]
    assert floor["image"] == label.label_image  # type: ignore[attr-defined]
    assert floor["cost"] == label.cost.amount  # type: ignore[attr-defined]

    for name, sides in cases.items():  # zeep by hand answers too (the SOAP operations only)
        if "naive" in sides:
            assert sides["naive"]() is not None, name


def test_item2_clients_are_built_for_distinct_merchants() -> None:
    import merchants

    first, second = merchants.sdk_client(1), merchants.sdk_client(2)
    assert first is not second
    assert merchants.zeep_client(1) is not None


def test_item3_a_purchase_makes_three_calls_and_the_server_counts_them() -> None:
    """The ideal of item 3 is ``threads / (calls per purchase x latency)``: the count comes from the
    server's counter, and a USPS purchase is three SOAP calls (GetAccountInfo, CleanseAddress,
    CreateIndicium)."""
    import latency
    from _common import shipment
    from sandbox_speed import server

    with server("--latency", "0.005", "--accounts", "2") as info:
        counter = latency._counter(info)
        usps = latency._merchant(info, info["usernames"][0])
        rate = latency._priority(usps)
        usps.buy(rate, shipment(), idempotency_key="smoke-warm")  # logs in
        before, _ = counter.read()
        usps.buy(rate, shipment(), idempotency_key="smoke")
        calls, seconds = counter.read()
        assert calls - before == 3
        assert seconds > 0
        usps.buy(rate, shipment(), idempotency_key="smoke")  # the same key: no new call
        assert counter.read()[0] == calls

        drive = latency.drive(
            [lambda n, i=i: usps.buy(rate, shipment(), idempotency_key=f"smoke-{i}-{n}") for i in range(2)],
            counter,
            3,
            0.3,
            info["pid"],
        )
        assert drive.rate > 0
        assert drive.server_ms >= 5.0  # every call slept the server's latency

        zeep = latency.ZeepMerchant(info, info["usernames"][1], rate)
        before = counter.read()[0]
        assert zeep.buy(0).TrackingNumber
        assert counter.read()[0] - before == 3  # zeep by hand makes the same calls


def test_item4_the_sandbox_server_answers_the_load() -> None:
    import sandbox_speed

    with sandbox_speed.server("--accounts", "2") as info:
        assert sandbox_speed.load(info, 2, 0.2) > 0
    with sandbox_speed.server("--accounts", "2", "--canned") as info:
        assert sandbox_speed.load(info, 2, 0.2) > 0

