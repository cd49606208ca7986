"""The retry policy: its defaults, what is retried (and what never is), and money that never moves twice.

Faults are injected by a small shim in front of the in-process sandboxes: it passes each request
to the sandbox (or not) and then loses the answer, cuts it short, or answers as a gateway would.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError

import onebalance.core._retry as retry_module
from carriers import cheapest
from carriers.fedex import FedexClient
from carriers.ups import UpsClient, UpsSettings
from onebalance import (
    ConfigurationError,
    ConnectError,
    OneBalance,
    OutcomeUnknown,
    ProtocolError,
    RequestTimeout,
    RetryPolicy,
    VoidRefused,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID, IN_PROCESS_URL, Sandbox
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

from . import _wire
from .test_fedex import shipment

FAST = RetryPolicy(attempts=4, backoff_base=0.001, backoff_max=0.01, deadline=5)


# -- the shim ------------------------------------------------------------------------------------
def _refused(url: str) -> requests.ConnectionError:
    return requests.ConnectionError(MaxRetryError(None, url, NewConnectionError(None, "Connection refused")))  # type: ignore[arg-type]


#: What the shim does with one request: pass it on ("ok"), or fail it before or after the service saw it.
STEPS = {
    "refuse": "no connection: the service never sees it",
    "throttle": "429 with Retry-After: the service never sees it",
    "html503": "a gateway's 503 page: the service never sees it, but the client cannot know",
    "lose": "the service acts on it, the answer is lost (read timeout)",
    "reset": "the service acts on it, the connection drops before the answer",
    "cut": "the service acts on it, the answer is cut short",
}


@dataclass
class Shim:
    """``plan[op]`` lists the steps for that operation's next requests (then: pass through)."""

    handle: Callable[[str, Any], tuple[int, dict[str, str], bytes]]
    plan: dict[str, list[str]] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    retry_after: str = "0"

    def __call__(self, request: Any, op: str) -> tuple[int, dict[str, str], bytes]:
        self.seen.append(op)
        steps = self.plan.get(op)
        step = steps.pop(0) if steps else "ok"
        if step == "refuse":
            raise _refused(request.url)
        if step == "throttle":
            return 429, {"Retry-After": self.retry_after, "Content-Type": "text/plain"}, b"slow down"
        if step == "html503":
            return 503, {"Content-Type": "text/html"}, b"<html><body>503 Service Unavailable</body></html>"
        status, headers, body = self.handle(op, request)
        if step == "lose":
            raise requests.ReadTimeout("read timed out")
        if step == "reset":
            raise requests.ConnectionError("Connection aborted.")
        if step == "cut":
            return status, headers, body[: len(body) // 2]
        return status, headers, body


@pytest.fixture
def swsim(sandbox: Sandbox) -> Iterator[Shim]:
    def handle(op: str, request: Any) -> tuple[int, dict[str, str], bytes]:
        reply = sandbox.handle(request.body, request.headers.get("SOAPAction"))
        return reply.status, {"Content-Type": reply.content_type}, reply.body

    shim = Shim(handle)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(
            responses.POST,
            IN_PROCESS_URL,
            callback=lambda r: shim(r, r.headers["SOAPAction"].strip('"').rsplit("/", 1)[-1]),
        )
        yield shim


@pytest.fixture
def demo_client(sandbox: Sandbox, client_for: Callable[..., OneBalance]) -> Callable[..., OneBalance]:
    creds = sandbox.create_demo_account()

    def make(**kw: Any) -> OneBalance:
        kw.setdefault("retry", FAST)
        return client_for(replace(creds, url=IN_PROCESS_URL), **kw)

    return make


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The retry loop's sleeps, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", slept.append)
    return slept


def _faults(wire_log: list[tuple[str, str | None, bytes]], code: str | None = None) -> list[bytes]:
    return [b for d, _, b in wire_log if d == "response" and b"Fault" in b and (code is None or code.encode() in b)]


# -- the defaults --------------------------------------------------------------------------------
def test_the_default_policy_is_pinned():
    policy = RetryPolicy()
    assert (policy.attempts, policy.backoff_base, policy.backoff_max, policy.deadline, policy.retry_after_max) == (
        4,
        0.5,
        8.0,
        60.0,
        30.0,
    )
    assert RetryPolicy.none().attempts == 1
    client = OneBalance(integration_id=DEMO_INTEGRATION_ID, username="u", password="p", endpoint=IN_PROCESS_URL)
    assert client.retry == RetryPolicy()
    assert client.concurrency == "auto"
    ups = UpsClient(UpsSettings(client_id="a", client_secret="b", account_number="A1B2C3"))
    assert ups.proxy.retry == RetryPolicy()


@pytest.mark.parametrize(
    "bad",
    [{"attempts": 0}, {"attempts": 1.5}, {"backoff_base": -1}, {"deadline": float("nan")}, {"backoff_max": 0.1}],
)
def test_a_nonsense_policy_is_a_configuration_error(bad):
    with pytest.raises(ConfigurationError):
        RetryPolicy(**bad)


def test_the_waits_grow_jittered_and_capped(swsim, demo_client, waits):
    policy = RetryPolicy(attempts=6, backoff_base=0.5, backoff_max=3.0, deadline=60)
    swsim.plan["AuthenticateUser"] = ["refuse"] * 5
    demo_client(retry=policy).account()
    assert len(waits) == 5
    for n, (wait, floor) in enumerate(zip(waits, [0.5, 1.0, 2.0, 3.0, 3.0], strict=True)):
        assert floor <= wait <= min(floor + 0.5, 3.0), (n, waits)


def test_no_wait_starts_that_would_end_past_the_deadline(swsim, demo_client, monkeypatch):
    import time

    client = demo_client(retry=RetryPolicy(attempts=10, backoff_base=0.1, backoff_max=1, deadline=0.5))
    client.account()
    swsim.plan["GetAccountInfo"] = ["html503"] * 10
    real_sleep, ends = time.sleep, []

    def sleep(seconds: float) -> None:
        ends.append(time.monotonic() - started + seconds)  # when this wait will end, from the first attempt
        real_sleep(seconds)

    monkeypatch.setattr("tenacity.nap.time.sleep", sleep)
    started = time.monotonic()
    with pytest.raises(ProtocolError):
        client.account()
    assert ends and max(ends) <= 0.5
    assert swsim.seen.count("GetAccountInfo") - 1 == len(ends) + 1 < 10


def test_the_deadline_counts_the_slow_first_attempt():
    """The first attempt runs before tenacity is built: its time still counts toward the deadline."""
    import time

    from onebalance.core._retry import Safety, Transient, run

    calls: list[int] = []

    def attempt(n: int) -> str:
        calls.append(n)
        if n == 1:
            time.sleep(0.2)  # a slow first failure (a read timeout)
        raise Transient(ConnectError("down"), "read_timeout", sent=True)

    policy = RetryPolicy(attempts=5, backoff_base=0.1, backoff_max=0.1, deadline=0.25)
    with pytest.raises(ConnectError):
        run(policy, "GetAccountInfo", attempt, safety=Safety.READ)
    assert calls == [1]  # 0.2 s spent + a 0.1 s wait would end past 0.25 s


def test_a_call_that_succeeds_at_once_builds_no_retry_machinery(monkeypatch, caplog):
    from onebalance.core._retry import Safety, Transient, run

    def no_tenacity(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("tenacity built for a call that needed no retry")

    monkeypatch.setattr(retry_module, "Retrying", no_tenacity)
    assert run(FAST, "GetAccountInfo", lambda n: f"ok {n}", safety=Safety.READ) == "ok 1"
    monkeypatch.undo()
    caplog.set_level(logging.INFO, logger="onebalance")
    answers = iter([Transient(ConnectError("down"), "connect", sent=False), "ok"])

    def flaky(n: int) -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return f"{answer} {n}"

    assert run(FAST, "GetAccountInfo", flaky, safety=Safety.READ) == "ok 2"
    assert [r.getMessage().split(" wait_s")[0] for r in caplog.records] == [
        "op=GetAccountInfo event=retry attempt=2 reason=connect"
    ]


def test_each_exchange_is_logged_at_info_and_its_bodies_at_debug(swsim, demo_client, caplog):
    client = demo_client()
    caplog.set_level(logging.WARNING, logger="onebalance")
    client.account()
    assert not [r for r in caplog.records if r.getMessage().startswith("op=GetAccountInfo")]
    caplog.set_level(logging.INFO, logger="onebalance")
    client.account()
    lines = [r.getMessage() for r in caplog.records]
    assert any(
        line.startswith("op=GetAccountInfo endpoint=") and "status=200 duration_ms=" in line and "attempt=1" in line
        for line in lines
    )
    assert not any(" request=" in line or " response=" in line for line in lines)
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="onebalance")
    client.account()
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("op=GetAccountInfo request=") for line in lines)
    assert any(line.startswith("op=GetAccountInfo response=") for line in lines)
    assert any(line.startswith("op=GetAccountInfo endpoint=") for line in lines)


# -- reads ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("step", ["refuse", "throttle", "html503", "lose", "reset", "cut"])
def test_a_read_is_retried_on_every_transient_failure(swsim, demo_client, wire_log, step):
    client = demo_client()
    client.account()
    swsim.plan["GetAccountInfo"] = [step, step]
    assert client.account().available_postage == Decimal("100.00")
    assert swsim.seen.count("GetAccountInfo") == 4
    assert _faults(wire_log) == []  # a consumed token is never sent again: no out-of-sync


def test_retry_after_is_honoured_and_capped(swsim, demo_client, waits):
    swsim.retry_after = "7"
    swsim.plan["GetAccountInfo"] = ["throttle"]
    client = demo_client(retry=RetryPolicy(attempts=3, backoff_base=0.01, backoff_max=0.1, retry_after_max=10))
    client.account()
    assert waits == [7.0]
    swsim.retry_after = "120"
    swsim.plan["GetAccountInfo"] = ["throttle"]
    with pytest.raises(ProtocolError) as info:
        client.account()  # longer than retry_after_max: given up at once
    assert info.value.http_status == 429
    assert waits == [7.0]


def test_the_last_error_is_raised_when_the_attempts_run_out(swsim, demo_client):
    swsim.plan["AuthenticateUser"] = ["lose"] * 4
    with pytest.raises(RequestTimeout):
        demo_client().account()
    assert swsim.seen == ["AuthenticateUser"] * 4


def test_none_means_one_attempt(swsim, demo_client):
    swsim.plan["AuthenticateUser"] = ["refuse"]
    with pytest.raises(ConnectError):
        demo_client(retry=RetryPolicy.none()).account()
    assert swsim.seen == ["AuthenticateUser"]


def test_every_retry_is_logged_without_secrets(swsim, demo_client, caplog):
    caplog.set_level(logging.INFO, logger="onebalance")
    client = demo_client()
    client.account()
    token = client._token
    swsim.plan["GetAccountInfo"] = ["html503", "lose"]
    client.account()
    retries = [r.getMessage() for r in caplog.records if "event=retry" in r.getMessage()]
    assert [re.sub(r"wait_s=[0-9.]+", "wait_s=W", m) for m in retries] == [
        "op=GetAccountInfo event=retry attempt=2 reason=http_503 wait_s=W",
        "op=GetAccountInfo event=retry attempt=3 reason=read_timeout wait_s=W",
    ]
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert client.password.get_secret_value() not in text
    assert token and token not in text


# -- writes that move money ----------------------------------------------------------------------
def _purchase(client: OneBalance, tx: str = "tx-1") -> Any:
    control = client.account().control_total
    return client.purchase_postage(Decimal("25.00"), control, tx)


@pytest.mark.parametrize("step", ["lose", "reset", "cut", "html503", "refuse"])
def test_a_purchase_whose_answer_is_lost_is_bought_once(swsim, demo_client, sandbox, wire_log, step):
    client = demo_client()
    swsim.plan["PurchasePostage"] = [step]
    result = _purchase(client)
    assert result.status == "Success"
    assert sandbox.account("demo-merchant").available_postage == Decimal("125.00")
    assert len([e for e in sandbox.ledger("demo-merchant") if e.type == "Purchase"]) == 1
    assert len(sandbox.charges("demo-merchant")) == 1
    assert swsim.seen.count("PurchasePostage") == 2
    assert _faults(wire_log) == []  # the retry logged in again rather than reuse the consumed token
    if step in ("lose", "reset", "cut"):
        assert swsim.seen[-2:] == ["AuthenticateUser", "PurchasePostage"]


def test_a_purchase_that_cannot_be_resolved_is_outcome_unknown_and_safe_to_repeat(swsim, demo_client, sandbox):
    client = demo_client()
    swsim.plan["PurchasePostage"] = ["lose"] * 4
    with pytest.raises(OutcomeUnknown) as info:
        _purchase(client, "tx-lost")
    error = info.value
    assert error.idempotency_key == "tx-lost" == error.transaction_id
    assert error.operation == "PurchasePostage" and error.attempts == 4
    assert isinstance(error.cause, RequestTimeout)
    assert "tx-lost" in str(error)
    # The service bought it once (the first attempt); asking again with the same key tells which.
    assert sandbox.account("demo-merchant").available_postage == Decimal("125.00")
    again = client.purchase_postage(Decimal("25.00"), Decimal("0"), "tx-lost")
    assert again.status == "Success"
    assert sandbox.account("demo-merchant").available_postage == Decimal("125.00")
    assert len(sandbox.charges("demo-merchant")) == 1


def test_a_purchase_never_sent_is_a_plain_connect_error(swsim, demo_client, sandbox):
    swsim.plan["PurchasePostage"] = ["refuse"] * 4
    with pytest.raises(ConnectError):
        _purchase(demo_client())
    assert sandbox.account("demo-merchant").available_postage == Decimal("100.00")


def test_a_purchase_still_in_progress_is_asked_about_again(swsim, demo_client, sandbox):
    client = demo_client()
    control = client.account().control_total
    sandbox.set_next_purchase_outcome("demo-merchant", "Pending")
    assert client.purchase_postage(Decimal("25.00"), control, "tx-pending").status == "Pending"
    # Asked again: the first answer is lost, the second is 8004041b (still being processed); before
    # the third the purchase completes (the sandbox settles it on the account's next GetAccountInfo).
    swsim.plan["PurchasePostage"] = ["lose"]
    forward = swsim.handle

    def handle(op: str, request: Any) -> tuple[int, dict[str, str], bytes]:
        if op == "PurchasePostage" and swsim.seen.count("PurchasePostage") == 4:
            _wire.call(sandbox, "GetAccountInfo", {"Credentials": _wire.credentials(sandbox_creds)})
        return forward(op, request)

    sandbox_creds = sandbox.create_demo_account()
    swsim.handle = handle
    result = client.purchase_postage(Decimal("25.00"), control, "tx-pending")
    assert result.status == "Success"
    assert swsim.seen.count("PurchasePostage") == 4
    assert len(sandbox.charges("demo-merchant")) == 1
    assert sandbox.account("demo-merchant").available_postage == Decimal("125.00")


def test_an_unsafe_write_is_not_repeated_once_it_may_have_reached_the_service(swsim, demo_client, sandbox):
    client = demo_client()
    client.account()
    swsim.plan["SetAutoBuy"] = ["lose"]
    with pytest.raises(RequestTimeout):
        client.set_auto_buy(False)
    assert swsim.seen.count("SetAutoBuy") == 1
    swsim.plan["SetAutoBuy"] = ["refuse", "throttle"]
    client.set_auto_buy(False)  # never reached the service: sent again
    assert swsim.seen.count("SetAutoBuy") == 4


# -- UPS and FedEx -------------------------------------------------------------------------------
@pytest.fixture
def ups() -> Iterator[tuple[Shim, UpsSandbox, Callable[..., UpsClient]]]:
    sandbox = UpsSandbox()
    sandbox.create_account("app", "s3cret-value-1", ["A1B2C3"])
    url = "https://ups.example.test"

    def handle(op: str, request: Any) -> tuple[int, dict[str, str], bytes]:
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        reply = sandbox.handle(request.method, request.url[len(url) :], dict(request.headers), body)
        return reply.status, reply.headers, reply.body

    shim = Shim(handle)

    def make(**kw: Any) -> UpsClient:
        kw.setdefault("retry", FAST)
        settings = UpsSettings(client_id="app", client_secret="s3cret-value-1", account_number="A1B2C3", base_url=url)
        return UpsClient(settings, **kw)

    def operation(request: Any) -> str:
        path = request.url[len(url) :]
        return "token" if "oauth" in path else "ship" if "/ship" in path else "void" if "void" in path else "other"

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in (responses.GET, responses.POST, responses.DELETE):
            mock.add_callback(method, re.compile(re.escape(url) + "/.*"), callback=lambda r: shim(r, operation(r)))
        yield shim, sandbox, make


def test_ups_rates_are_retried_and_a_ship_that_may_have_happened_is_outcome_unknown(ups):
    shim, sandbox, make = ups
    client = make()
    shim.plan["other"] = ["html503", "reset"]
    rate = cheapest(client.rates(shipment()))
    shim.plan["ship"] = ["lose"]
    with pytest.raises(OutcomeUnknown) as info:
        client.buy(rate, shipment(), "order-7")
    assert info.value.idempotency_key == "order-7"
    assert shim.seen.count("ship") == 1  # never sent again on the client's own
    assert len(sandbox.shipments()) == 1
    # Sent again by the caller with the same key: the sandbox recognises it (CustomerContext).
    label = client.buy(rate, shipment(), "order-7")
    assert len(sandbox.shipments()) == 1 and label.tracking_number


def test_ups_ship_is_retried_when_it_never_reached_ups(ups):
    shim, sandbox, make = ups
    client = make()
    rate = cheapest(client.rates(shipment()))
    shim.plan["ship"] = ["refuse", "throttle"]
    client.buy(rate, shipment(), "order-8")
    assert shim.seen.count("ship") == 3
    assert len(sandbox.shipments()) == 1


def test_ups_token_failures_are_retried_before_the_call(ups):
    shim, _, make = ups
    shim.plan["token"] = ["html503", "refuse"]
    assert make().rates(shipment())
    assert shim.seen.count("token") == 3


@pytest.fixture
def fedex() -> Iterator[tuple[Shim, FedexSandbox, FedexClient]]:
    sandbox = FedexSandbox()
    creds = sandbox.create_account(account_number="740561073")
    url = "https://fedex.example.test"

    def handle(op: str, request: Any) -> tuple[int, dict[str, str], bytes]:
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        target = request.url[len(url) :]
        reply = sandbox.handle(request.method, target, dict(request.headers), body)
        return reply.status, reply.headers, reply.body

    shim = Shim(handle)

    def operation(request: Any) -> str:
        path = request.url[len(url) :]
        if "oauth" in path or "cancel" in path:
            return "oauth" if "oauth" in path else "cancel"
        return "ship" if "shipments" in path else "other"

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in (responses.GET, responses.POST, responses.PUT):
            mock.add_callback(method, re.compile(re.escape(url) + "/.*"), callback=lambda r: shim(r, operation(r)))
        yield shim, sandbox, FedexClient(creds.settings(url), retry=FAST)


def test_fedex_reads_and_voids_are_retried_and_ship_is_not_after_it_may_have_happened(fedex):
    shim, sandbox, client = fedex
    shim.plan["other"] = ["throttle", "cut"]
    rate = client.rates(shipment())[0]
    shim.plan["ship"] = ["html503"]
    with pytest.raises(OutcomeUnknown) as info:
        client.buy(rate, shipment(), "order-9")
    assert info.value.idempotency_key == "order-9"
    assert shim.seen.count("ship") == 1
    shim.plan["ship"] = ["refuse"]
    label = client.buy(rate, shipment(), "order-10")
    assert shim.seen.count("ship") == 3
    shim.plan["cancel"] = ["html503"]
    assert client.void(label).voided  # the gateway's 503 stood in front of FedEx: the repeat cancels
    assert shim.seen.count("cancel") == 2
    other = client.buy(rate, shipment(), "order-11")
    shim.plan["cancel"] = ["lose"]
    with pytest.raises(OutcomeUnknown) as info:
        client.void(other)  # the lost attempt cancelled it; the repeat is told "already cancelled"
    assert info.value.operation == "cancel"
    assert sandbox.state.shipments[other.tracking_number or ""].cancelled_at is not None


@pytest.fixture
def usps(sandbox: Sandbox, swsim: Shim, waits: list[float]) -> Any:
    from onebalance import Accounts, InMemoryCredentialStore

    sandbox.create_account("shipper", "Ship-passw0rd", balance="100.00")
    accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=IN_PROCESS_URL, store=InMemoryCredentialStore(),
                        now=sandbox.clock.now)  # fmt: skip
    accounts.connect("m1", username="shipper", password="Ship-passw0rd")
    return accounts.usps("m1")


def _usps_shipment() -> Any:
    from carriers import Address, Parcel, ShipmentRequest, Weight

    return ShipmentRequest(
        shipper=Address(name="Acme", street_lines=["1990 E Grand Ave"], city="El Segundo", state="CA",
                        postal_code="90245", phone="3105550142"),
        recipient=Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY",
                          postal_code="10118", phone="2125550100"),
        parcels=[Parcel(weight=Weight(value="2", unit="lb"))],
        ship_date=date.today(),
    )  # fmt: skip


def test_a_usps_label_whose_answer_is_lost_is_printed_and_paid_once(usps, swsim, sandbox, wire_log):
    shipment = _usps_shipment()
    rate = next(r for r in usps.rates(shipment) if r.service_code == "US-PM")
    swsim.plan["CreateIndicium"] = ["lose", "cut"]
    label = usps.buy(rate, shipment, idempotency_key="order-42")
    assert swsim.seen.count("CreateIndicium") == 3
    assert len([e for e in sandbox.ledger("shipper") if e.type == "Print"]) == 1
    assert sandbox.account("shipper").available_postage == Decimal("100.00") - label.cost.amount
    assert _faults(wire_log) == []


def test_a_usps_void_whose_answer_was_lost_and_is_then_refused_is_outcome_unknown(usps, swsim, sandbox):
    shipment = _usps_shipment()
    rate = next(r for r in usps.rates(shipment) if r.service_code == "US-PM")
    label = usps.buy(rate, shipment, idempotency_key="order-43")
    swsim.plan["CancelIndicium"] = ["lose"]
    with pytest.raises(OutcomeUnknown) as info:
        usps.void(label)  # the lost attempt voided it; the repeat is refused as already voided
    assert info.value.operation == "CancelIndicium"
    assert isinstance(info.value.cause, VoidRefused)
    assert info.value.idempotency_key == label.carrier_reference
    assert sandbox.label("shipper", label.carrier_reference).voided


def test_the_transient_classification_is_one_table():
    assert retry_module.swsim_safety("GetAccountInfo") is retry_module.Safety.READ
    assert retry_module.swsim_safety("PurchasePostage") is retry_module.Safety.KEYED
    assert retry_module.swsim_safety("CreateIndicium") is retry_module.Safety.KEYED
    assert retry_module.swsim_safety("AddUserPaymentMethod") is retry_module.Safety.UNSAFE
    assert retry_module.swsim_safety("ChangePassword") is retry_module.Safety.UNSAFE


# -- over real sockets, with the sandbox's own fault injection -----------------------------------
@pytest.mark.parametrize("kind", ["reset_after", "timeout_after", "truncated"])
def test_a_purchase_over_http_whose_answer_is_lost_is_bought_once(sandbox, client_for, wire_log, kind):
    from onebalance import Timeout

    creds = sandbox.create_demo_account()
    with sandbox.serve() as server:
        client = client_for(replace(creds, url=server.url), retry=FAST, timeout=Timeout(connect=2, read=0.5))
        control = client.account().control_total
        sandbox.faults.script("PurchasePostage", kind, times=1, delay=1.0)
        result = client.purchase_postage(Decimal("25.00"), control, "tx-http")
        fired = [(f.kind, f.acted) for f in sandbox.faults.fired]
        sandbox.faults.clear()
    assert result.status == "Success"
    assert fired == [(kind, True)]  # the service bought it, the client never saw the answer
    assert sandbox.account("demo-merchant").available_postage == Decimal("125.00")
    assert len(sandbox.charges("demo-merchant")) == 1
    assert _faults(wire_log) == []
