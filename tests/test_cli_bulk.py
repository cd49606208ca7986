"""``--all`` over many merchants: bounded concurrency (``--workers``), results in the order of the
merchant list whatever order they finish in, JSON lines that stream, and Ctrl-C stopping cleanly."""

from __future__ import annotations

import _thread
import json
import threading
from collections.abc import Callable

import pytest

from onebalance import Accounts
from onebalance.cli._bulk import DEFAULT_WORKERS, EXIT_INTERRUPTED, Bulk

from . import test_cli_account as _account_tests
from .test_cli_account import EXIT_ATTENTION, EXIT_OK, EXIT_USAGE, Support

# The served sandbox and the support person's shell of the account commands' tests.
stopping, support = _account_tests.stopping, _account_tests.support

SHOPS = [f"shop-{n:02d}" for n in range(8)]


@pytest.fixture
def shops(support: Support) -> Support:
    """Eight active merchants on the served sandbox."""
    for n, merchant_id in enumerate(SHOPS):
        support.shop(merchant_id, f"bulk-shop-{n}", f"Bulk-Passw0rd{n}")
    return support


def _watch(monkeypatch: pytest.MonkeyPatch, hook: Callable[[str], None] | None = None) -> dict[str, int]:
    """Counts how many merchants are diagnosed at once (``peak``); ``hook`` runs inside each one."""
    seen = {"now": 0, "peak": 0}
    lock = threading.Lock()
    real = Accounts.diagnose

    def diagnose(self: Accounts, merchant_id: str):  # type: ignore[no-untyped-def]
        with lock:
            seen["now"] += 1
            seen["peak"] = max(seen["peak"], seen["now"])
        try:
            if hook is not None:
                hook(merchant_id)
            return real(self, merchant_id)
        finally:
            with lock:
                seen["now"] -= 1

    monkeypatch.setattr(Accounts, "diagnose", diagnose)
    return seen


def _merchants(stdout: str) -> list[str]:
    return [line.split()[0] for line in stdout.split("\n\n", 1)[0].splitlines() if line.strip()]


def test_workers_run_merchants_at_once_and_results_keep_the_list_order(shops, monkeypatch):
    """shop-01 cannot finish before shop-02 has: one worker at a time would wait for ever; the output
    still lists shop-01 before shop-02."""
    second_done = threading.Event()

    def hook(merchant_id: str) -> None:
        if merchant_id == "shop-01":
            assert second_done.wait(timeout=10), "shop-02 never ran while shop-01 was running"

    seen = _watch(monkeypatch, hook)
    real = Accounts.diagnose

    def diagnose(self: Accounts, merchant_id: str):  # type: ignore[no-untyped-def]
        try:
            return real(self, merchant_id)
        finally:
            if merchant_id == "shop-02":
                second_done.set()

    monkeypatch.setattr(Accounts, "diagnose", diagnose)
    result = shops("status", "--all", "--workers", "4")
    assert result.exit_code == EXIT_OK, result.output
    assert _merchants(result.stdout) == SHOPS
    assert 2 <= seen["peak"] <= 4
    assert "checking" in result.stderr  # the progress bar is still there


def test_the_sandbox_latency_overlaps_with_the_default_workers_and_not_with_one(shops, monkeypatch):
    shops.sandbox.faults.latency = 0.02
    seen = _watch(monkeypatch)
    streamed = shops("--json", "diagnose", "--all")
    assert streamed.exit_code == EXIT_OK, streamed.output
    lines = [json.loads(line) for line in streamed.stdout.splitlines()]  # one JSON object a line
    assert [line["merchant_id"] for line in lines] == SHOPS
    assert all(line["state"] == "active" and line["next"] == [] for line in lines)
    assert 2 <= seen["peak"] <= DEFAULT_WORKERS
    seen["peak"] = 0
    one = shops("status", "--all", "--workers", "1")
    assert one.exit_code == EXIT_OK and _merchants(one.stdout) == SHOPS
    assert seen["peak"] == 1


@pytest.mark.parametrize("workers", ["0", "65", "many"])
def test_workers_out_of_range_are_a_usage_error(support, workers):
    result = support("status", "--all", "--workers", workers)
    assert result.exit_code == EXIT_USAGE
    assert "--workers" in result.stderr


def test_ctrl_c_starts_no_more_merchants_finishes_those_running_and_reports(shops, monkeypatch):
    started: list[str] = []

    def hook(merchant_id: str) -> None:
        started.append(merchant_id)
        if merchant_id == "shop-03":
            _thread.interrupt_main()  # Ctrl-C while shop-03 is being checked

    _watch(monkeypatch, hook)
    result = shops("status", "--all", "--workers", "1")
    assert result.exit_code == EXIT_INTERRUPTED, result.output
    assert started == SHOPS[:4]  # nothing started after the Ctrl-C
    assert _merchants(result.stdout) == SHOPS[:4]  # shop-03, in flight, was finished and shown
    assert "total" in result.stdout  # the summary of what was done
    assert "interrupted: 4 of 8 merchants done, the other 4 not started (from shop-04)" in result.stderr

    started.clear()
    streamed = shops("--json", "diagnose", "--all", "--workers", "1")
    assert streamed.exit_code == EXIT_INTERRUPTED
    assert [json.loads(line)["merchant_id"] for line in streamed.stdout.splitlines()] == SHOPS[:4]


def test_a_failure_of_the_store_ends_the_run_without_starting_more():
    started: list[str] = []

    def work(merchant_id: str) -> str:
        started.append(merchant_id)
        if merchant_id == "b":
            raise RuntimeError("store gone")
        return merchant_id

    emitted: list[str] = []
    with pytest.raises(RuntimeError), Bulk(list("abcdef"), work, 1, lambda m, r: emitted.append(r)) as bulk:
        bulk.run()
    assert started == ["a", "b"] and emitted == ["a"]


def test_exit_code_is_attention_when_one_of_many_needs_it(shops):
    shops.sandbox.place_hold("bulk-shop-5", "payment_hold")
    result = shops("status", "--all", "--workers", "3")
    assert result.exit_code == EXIT_ATTENTION
    assert _merchants(result.stdout) == SHOPS
