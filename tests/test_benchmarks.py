"""The benchmarks still measure what docs/performance.md says they measure (a few calls each, no timing).

``python benchmarks/run.py`` takes minutes, so the suite does not run it; these tests run each
benchmark's pieces once at a tiny scale, so that a change to the SDK that breaks a benchmark, or
makes its floor read something else than the SDK reads, fails here rather than on the next full
run. Speed itself is judged by the benchmarks, never by a timed test.
"""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
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
        if "old_floor" in sides:  # the old floor, kept for comparison, reads the same values
            assert sides["old_floor"]().keys() == sides["floor"]().keys(), name


def test_item1_the_floor_writes_the_request_lxml_wrote_as_text() -> None:
    """The floor's request is a string template now (as the SDK writes envelopes), and it is the
    same XML the old floor built as an lxml tree: the same operation, not a cheaper one."""
    import overhead
    from lxml import etree

    def same(text: bytes, tree: bytes) -> None:
        canonical = [etree.tostring(etree.fromstring(x), method="c14n") for x in (text, tree)]
        assert canonical[0] == canonical[1]

    token = "to<k&n"
    same(
        overhead._ACCOUNT_TEXT.format(overhead.escape(token)).encode(),
        overhead.hand_envelope("GetAccountInfo", {"Authenticator": token}),
    )
    purchase = {"Authenticator": "t", "PurchaseAmount": "10.00", "ControlTotal": "0.00", "IntegratorTxID": "a&b"}
    same(
        overhead._PURCHASE_TEXT.format("t", "10.00", "0.00", overhead.escape("a&b")).encode(),
        overhead.hand_envelope("PurchasePostage", purchase),
    )
    wire = {  # nested types, repeated elements, Decimal, bool, date and characters to escape
        "Authenticator": "t",
        "IntegratorTxID": "tx <1> & 2",
        "Rate": {
            "FromZIPCode": "90245",
            "Amount": Decimal("9.10"),
            "ShipDate": date(2026, 12, 8),
            "AddOns": {"AddOnV20": [{"AddOnType": "US-A-DC"}, {"AddOnType": "SC-A-HP"}]},
        },
        "SampleOnly": False,
    }
    same(overhead.text_envelope("CreateIndicium", wire), overhead.hand_envelope("CreateIndicium", wire))


def test_item1_the_floor_reads_the_environment_once_as_the_sdk_does(monkeypatch: pytest.MonkeyPatch) -> None:
    import overhead
    import requests
    from _common import canned_session

    reads = []
    merge = requests.Session.merge_environment_settings

    def counted(self: requests.Session, *args: Any) -> Any:
        reads.append(args[0])
        return merge(self, *args)

    monkeypatch.setattr(requests.Session, "merge_environment_settings", counted)
    sent: list[Any] = []
    session = canned_session(lambda one: (sent.append(one), (200, b"{}", "application/json"))[1])
    poster = overhead.EnvOnce(session, overhead.UPS_URL)
    for _ in range(3):
        assert poster.post(overhead.UPS_URL + "/x", data=b"{}", headers={"A": "1"}, timeout=(5, 30)).status_code == 200
    assert len(reads) == 1  # the old floor, session.post, reads it on every call
    session.post(overhead.UPS_URL + "/x", data=b"{}", headers={"A": "1"})
    assert len(reads) == 2
    # laid out directly, the floor's request is the one requests' own preparation makes
    floor, full = sent[0], sent[-1]
    assert (floor.method, floor.url, floor.body) == (full.method, full.url, full.body)
    assert dict(floor.headers) == dict(full.headers)


def test_item2_clients_are_built_for_distinct_merchants() -> None:
    import merchants

    first, second = merchants.sdk_client(1), merchants.sdk_client(2)
    assert first is not second
    assert merchants.zeep_client(1) is not None
    # zeep used well: clients over one parsed Document; accounts over one service
    one, two = merchants.zeep_document_client(1), merchants.zeep_document_client(2)
    assert one is not two and one._binding.wsdl is two._binding.wsdl  # type: ignore[attr-defined]
    a, b = merchants.zeep_account(1), merchants.zeep_account(2)
    assert a.service is b.service and a.credentials != b.credentials  # type: ignore[attr-defined]


def test_item2_import_times_are_measured_in_fresh_interpreters() -> None:
    import merchants

    sdk, zeep = merchants.import_times(1)
    assert sdk.value > 0 and zeep.value > 0 and sdk.repeats == zeep.repeats == 1


def test_item3_a_purchase_makes_one_call_and_the_server_counts_them() -> None:
    """The ideal of item 3 is ``threads / (calls per purchase x latency)``: the count comes from the
    server's counter, and a USPS purchase in the common case (the balance known, the recipient
    checked by the label before) is one SOAP call (CreateIndicium; issue 19 item 2)."""
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
        assert calls - before == 1
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
        assert counter.read()[0] - before == 3  # naive zeep: the account, the address, the label

        # zeep used well: one service for all; the account read and the address checked once, then
        # one call a label; the conversation's token rolls, and a thread that finds the conversation
        # taken sends Credentials instead of waiting (the SDK's tactics)
        account = latency.zeep_accounts(info)[1]
        before = counter.read()[0]
        assert account.buy(rate, "zw-0").TrackingNumber
        assert counter.read()[0] - before == 3
        assert latency._calls_per(counter, lambda: account.buy(rate, "zw-0b")) == 1
        token = account.token
        assert token
        with account.lock:  # another thread holds the conversation
            assert account.buy(rate, "zw-1").TrackingNumber
        assert account.token == token
        assert counter.read()[0] - before == 5
        account.token = "ended-conversation"  # the service ended it: the call is made again with Credentials
        assert account.buy(rate, "zw-2").TrackingNumber
        assert account.token not in (None, "ended-conversation")


def test_item3_the_floor_buys_a_label_with_one_valid_call(require_real_swsim: Any) -> None:
    """Item 3's floor (the cheapest correct client over requests) makes one CreateIndicium a label,
    a request the real v135 WSDL accepts (its fields in the schema's order, as item 1's floor
    sends too), and reads the label from the answer."""
    import latency
    from _common import shipment
    from _floor_client import FloorClient
    from sandbox_speed import server

    with server("--accounts", "1") as info:
        counter = latency._counter(info)
        usps = latency._merchant(info, info["usernames"][0])
        rate = latency._priority(usps)
        floor = FloorClient(info["url"], rate, shipment(), usps.cleanse(shipment().recipient).cleanse_hash)
        login = {
            "IntegrationID": info["integration_id"],
            "Username": info["usernames"][0],
            "Password": info["password"],
        }
        sent: list[bytes] = []
        post = floor.poster.post
        floor.poster.post = lambda url, data, **kw: sent.append(data) or post(url, data=data, **kw)  # type: ignore[method-assign]
        before = counter.read()[0]
        first, second = floor.buy(login, "floor-1"), floor.buy(login, "floor-2")
        assert counter.read()[0] - before == 2
        assert first["tracking_number"] != second["tracking_number"] and first["cost"] == rate.total.amount
        assert first["image"].startswith(b"\x89PNG")
    assert not require_real_swsim.errors(sent[0])


def test_repeats_stop_when_the_best_runs_agree_and_say_when_they_do_not() -> None:
    """Issue 19, item 4: a figure is repeated until its best runs agree within 10 %, a bounded
    number of times, and says when they did not."""
    from _common import Stable, until_stable

    samples = iter([1.0, 2.0, 1.05, 1.02, 9.0])
    steady = until_stable(lambda: next(samples), 10)
    assert steady.stable and steady.repeats == 4 and steady.value == 1.02
    noisy = iter([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    result = until_stable(lambda: next(noisy), 4)
    assert not result.stable and result.repeats == 4
    assert "NOT under 10%" in result.note()
    rates = Stable.of([100.0, 50.0, 97.0, 95.0], higher_is_better=True)
    assert rates.stable and rates.value == 97.0


def test_the_run_says_when_the_machine_is_busy() -> None:
    import os

    import run

    cores = os.cpu_count() or 1
    assert "BUSY" in run.busy(cores * 2.0)
    assert "quiet" in run.busy(0.0)


def test_item4_the_sandbox_server_answers_the_load() -> None:
    import sandbox_speed

    with sandbox_speed.server("--accounts", "2") as info:
        assert sandbox_speed.load(info, 2, 0.2) > 0
    with sandbox_speed.server("--accounts", "2", "--canned") as info:
        assert sandbox_speed.load(info, 2, 0.2) > 0
