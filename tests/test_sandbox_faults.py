"""Transport fault injection in the three sandboxes (One Balance, UPS, FedEx), in-process and over HTTP.

For every fault kind: what the SDK's clients see (their typed errors), and whether the service
acted (reset_after / timeout_after / truncated: the state changed; every other kind: it did not).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from carriers import Address, Parcel, ShipmentRequest, Weight
from carriers.fedex import FedexClient
from carriers.ups import UpsClient, UpsSettings
from onebalance import (
    ConnectError,
    OneBalance,
    OneBalanceError,
    OutcomeUnknown,
    RequestTimeout,
    RetryPolicy,
    ServiceError,
    TransportError,
)
from onebalance.cli import cli
from onebalance.core._config import Timeout
from onebalance.sandbox import FAULT_KINDS as KINDS
from onebalance.sandbox import Faults, Sandbox, SandboxControl
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

from .test_cli import Served, serve  # noqa: F401 - the fixture that runs `onebalance sandbox serve`

#: The clients' read timeout, and how long a timeout fault holds the answer (longer).
READ = 0.2
DELAY = 0.6
SOAP_ACTION = '"http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111/PurchasePostage"'
STATUS = {"http_500": 500, "http_502": 502, "http_503": 503, "html": 502, "http_429": 429, "http_429_bare": 429}
#: Quick retries (the policy itself is tested in test_retry.py); Retry-After: 1 is longer than allowed here.
RETRY = RetryPolicy(attempts=2, backoff_base=0.01, backoff_max=0.05, retry_after_max=0.5)
#: The kinds after which a client cannot know whether the service acted (every other: it did not).
#: The kinds where the service runs the request before the fault hits (docs/sandbox.md, "Fault injection").
ACTING_KINDS = frozenset({"reset_after", "timeout_after", "truncated"})
MAYBE_ACTED = frozenset(KINDS) - {"refused", "http_429", "http_429_bare"}


@dataclass
class Target:
    """One sandbox, mounted one way, with an SDK client and a state-changing operation to fault."""

    name: str
    faults: Faults
    url: str
    #: The fault injection name of the operation ``act`` runs.
    operation: str
    #: One call of the operation through the SDK's client (a label bought, postage purchased).
    act: Callable[[], object]
    #: How many times the service has done it (server-side state).
    done: Callable[[], int]
    #: The operation's request sent with plain ``requests`` (what the network answers).
    raw: Callable[[], requests.Response]
    mode: str = "in_process"


def _shipment() -> ShipmentRequest:
    return ShipmentRequest(
        shipper=Address(name="Ann Shipper", street_lines=["1 Main St"], city="Springfield", state="IL",
                        postal_code="62701", phone="2175550100"),
        recipient=Address(name="Jane Doe", street_lines="9 Elm St", city="Austin", state="TX", postal_code="78701",
                          phone="5125550199"),
        parcels=[Parcel(weight=Weight("2.5", "lb"))],
        ship_date=date.today(),
    )  # fmt: skip


def _mounted(box: Any, mode: str) -> Any:
    """``box.mock()`` or ``box.serve()``; either way a context manager giving the base URL."""
    import contextlib

    @contextlib.contextmanager
    def mounted() -> Iterator[str]:
        if mode == "in_process":
            with box.mock() as url:
                yield url
        else:
            with box.serve() as server:
                yield server.url

    return mounted()


def _onebalance(box: Sandbox, url: str) -> Target:
    creds = box.create_demo_account()
    client = OneBalance(
        integration_id=creds.integration_id,
        username=creds.username,
        password=creds.password,
        endpoint=url,
        timeout=Timeout(connect=2, read=READ),
        retry=RETRY,
    )
    client.authenticate()

    def act() -> object:
        total = box.account(creds.username).control_total
        return client.purchase_postage(Decimal("10.00"), total, uuid.uuid4().hex)

    def raw() -> requests.Response:
        headers = {"SOAPAction": SOAP_ACTION, "Content-Type": "text/xml; charset=utf-8"}
        return requests.post(url, data=b"<not-soap/>", headers=headers, timeout=(2, READ))

    purchases = lambda: sum(1 for e in box.ledger(creds.username) if e.type == "Purchase")  # noqa: E731
    return Target("onebalance", box.faults, url, "PurchasePostage", act, purchases, raw)


def _ups(box: UpsSandbox, url: str) -> Target:
    box.create_account("fault-client", "fault-secret", ["A1B2C3"])
    settings = UpsSettings(client_id="fault-client", client_secret="fault-secret", account_number="A1B2C3",
                           base_url=url)  # fmt: skip
    client = UpsClient(settings, Timeout(connect=2, read=READ), clock=lambda: box.clock.now().timestamp(), retry=RETRY)
    shipment = _shipment()
    rate = client.rates(shipment)[0]

    def raw() -> requests.Response:
        return requests.post(url + "/api/shipments/v2409/ship", json={}, timeout=(2, READ))

    return Target("ups", box.faults, url, "ship", lambda: client.buy(rate, shipment), lambda: len(box.shipments()), raw)


def _fedex(box: FedexSandbox, url: str) -> Target:
    creds = box.create_account(account_number="740561073")
    client = FedexClient(creds.settings(url), Timeout(connect=2, read=READ), retry=RETRY)
    shipment = _shipment()
    rate = client.rates(shipment)[0]

    def raw() -> requests.Response:
        return requests.post(url + "/ship/v1/shipments", json={}, timeout=(2, READ))

    return Target(
        "fedex", box.faults, url, "ship", lambda: client.buy(rate, shipment), lambda: len(box.shipments()), raw
    )


#: sandbox name -> the Target maker.
MAKERS: dict[str, Callable[[Any, str], Target]] = {"onebalance": _onebalance, "ups": _ups, "fedex": _fedex}


def _boxes(make_sandbox: Callable[..., Sandbox]) -> dict[str, Callable[[], Any]]:
    return {"onebalance": make_sandbox, "ups": UpsSandbox, "fedex": FedexSandbox}


@pytest.fixture(
    params=[(s, m) for s in ("onebalance", "ups", "fedex") for m in ("in_process", "server")],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def target(request: pytest.FixtureRequest, make_sandbox: Callable[..., Sandbox]) -> Iterator[Target]:
    name, mode = request.param
    box: Any = _boxes(make_sandbox)[name]()
    make = MAKERS[name]
    with _mounted(box, mode) as url:
        target = make(box, url)
        target.mode = mode
        yield target
        box.faults.clear()  # cuts short the delays of timeout faults still holding a server thread


# -- every kind, in both modes, in every sandbox ----------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_every_fault_kind_gives_a_typed_error_and_changes_state_only_if_the_service_acted(
    target: Target, kind: str
) -> None:
    # Every call of the operation is faulted (times=None), so a client that retries meets the fault again.
    target.faults.script(target.operation, kind, times=None, delay=DELAY)
    before = target.done()
    with pytest.raises(OneBalanceError) as caught:
        target.act()
    error = caught.value
    # Each operation moves money: a failure after which the service may have acted is OutcomeUnknown
    # (carrying the last transport error); one the service provably never saw is that error itself.
    # (Over HTTP, ``refused`` resets a connection already made: to the client, the same as reset_before.)
    assert isinstance(error, OutcomeUnknown) == (kind in MAYBE_ACTED or (kind, target.mode) == ("refused", "server"))
    if isinstance(error, OutcomeUnknown):
        assert error.cause is not None and error.idempotency_key
        error = error.cause
    if kind in ("refused", "reset_before", "reset_after"):
        assert isinstance(error, ConnectError)
    elif kind in ("timeout_before", "timeout_after"):
        assert isinstance(error, RequestTimeout)
    elif kind == "truncated":
        assert isinstance(error, TransportError)  # the answer was cut short: not a service error
    else:  # 5xx, an HTML page, 429: the status reaches the caller on a typed error
        assert isinstance(error, (TransportError, ServiceError))
        assert error.http_status == STATUS[kind]
    assert error.operation
    fired = target.faults.fired
    assert fired and {(f.operation, f.kind) for f in fired} == {(target.operation, kind)}
    if kind in ACTING_KINDS:
        assert target.done() > before, "the service acted although the client saw a failure"
        assert all(f.acted for f in fired)
    else:
        assert target.done() == before, "the request must not have reached the service"
        assert not any(f.acted for f in fired)
    # Once the fault is gone, the same client works again (a fresh connection, a new login if needed).
    target.faults.clear()
    done = target.done()
    target.act()
    assert target.done() == done + 1
    assert target.faults.fired == []
    if not kind.startswith("timeout"):
        _network_answer(target, kind)


def _network_answer(target: Target, kind: str) -> None:
    """The failure plain ``requests`` meets: the same as on a real network, in both modes."""
    target.faults.script(target.operation, kind)
    if kind in ("refused", "reset_before", "reset_after"):
        with pytest.raises(requests.ConnectionError):
            target.raw()
    elif kind == "truncated":
        with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
            target.raw()
    else:
        response = target.raw()
        assert response.status_code == STATUS[kind]
        content_type = response.headers["Content-Type"]
        if kind == "html":
            assert content_type.startswith("text/html") and b"<title>502 Bad Gateway</title>" in response.content
        else:
            assert content_type.startswith("text/plain") and response.text.startswith(str(STATUS[kind]))
        assert response.headers.get("Retry-After") == ("1" if kind == "http_429" else None)
    # times=1: the next call goes through to the service
    assert target.faults.pending == 0
    assert target.raw().status_code in (200, 400, 401, 500)


def test_scripts_fire_in_order_per_operation_then_stop(target: Target) -> None:
    faults = target.faults
    faults.script("no-such-operation", "http_503")
    faults.script(target.operation, "http_502", times=2)
    faults.script("*", "http_429", retry_after=7)
    answers = [target.raw() for _ in range(4)]
    assert [r.status_code for r in answers[:3]] == [502, 502, 429]
    assert answers[2].headers["Retry-After"] == "7"
    assert answers[3].status_code not in (429, 502, 503)
    assert [f.kind for f in faults.fired] == ["http_502", "http_502", "http_429"]
    assert faults.pending == 1 and faults.active  # the script for another operation is still waiting
    faults.clear()
    assert not faults.active and faults.pending == 0


def test_random_faults_are_reproducible_with_a_seed(target: Target) -> None:
    faults = target.faults

    def run(seed: int) -> list[object]:
        faults.clear()
        faults.random(0.5, seed, kinds=("http_503", "html", "http_429_bare"), operations=[target.operation])
        return [target.raw().status_code for _ in range(10)] + [(f.kind, f.source) for f in faults.fired]

    first = run(6)
    assert first == run(6)
    assert first != run(9)
    statuses = first[:10]
    assert {503, 502, 429} & set(statuses) and any(s not in (429, 502, 503) for s in statuses)
    # operations=... limits the draws to those operations
    faults.clear()
    faults.random(1.0, 1, kinds=("http_503",), operations=["another"])
    assert target.raw().status_code != 503


# -- control API, latency, validation ---------------------------------------------------------------
def _control(target: Target, action: str, **args: Any) -> requests.Response:
    base = "/".join(target.url.split("/", 3)[:3])
    return requests.post(f"{base}/sandbox/control/{action}", json=args, timeout=5)


def test_the_control_api_drives_faults_out_of_process(target: Target) -> None:
    answer = _control(target, "script_fault", operation=target.operation, kind="reset_before")
    assert answer.status_code == 200 and answer.json() == {"ok": True, "result": {"pending": 1}}
    before = target.done()
    if target.name == "onebalance":
        target.act()  # PurchasePostage is sent again with the same IntegratorTxID: bought once
        assert target.done() == before + 1
    else:
        with pytest.raises(OutcomeUnknown) as caught:  # a ship is never sent twice by the client
            target.act()
        assert isinstance(caught.value.cause, ConnectError)
        assert target.done() == before
    fired = _control(target, "fired_faults").json()["result"]
    assert fired == [{"operation": target.operation, "kind": "reset_before", "acted": False, "source": "script"}]
    bad = _control(target, "script_fault", operation=target.operation, kind="meteor")
    assert bad.status_code == 400 and "no fault kind 'meteor'" in bad.json()["error"]
    assert _control(target, "random_faults", rate=1, seed=3, kinds=["http_503"]).json()["ok"]
    assert target.raw().status_code == 503
    assert _control(target, "clear_faults").json() == {"ok": True, "result": None}
    assert _control(target, "fired_faults").json()["result"] == []
    assert _control(target, "set_latency", seconds=0).json()["result"] == {"latency": 0.0}
    assert not target.faults.active
    base = "/".join(target.url.split("/", 3)[:3])
    assert requests.get(f"{base}/sandbox/control/clear_faults", timeout=5).status_code == 405


def test_the_onebalance_control_client_lists_the_fault_actions(make_sandbox: Callable[..., Sandbox]) -> None:
    box = make_sandbox()
    with box.serve() as server:
        control = SandboxControl(server.url)
        control.call("script_fault", operation="PurchasePostage", kind="http_503", times=2)
        assert box.faults.pending == 2
        ping = requests.get("/".join(server.url.split("/", 3)[:3]) + "/sandbox/control/ping", timeout=5).json()
        assert {"script_fault", "random_faults", "clear_faults", "fired_faults", "set_latency"} <= set(
            ping["result"]["actions"]
        )


@pytest.mark.parametrize("name", ["onebalance", "ups", "fedex"])
def test_added_latency_delays_every_service_call_but_not_the_control_api(
    name: str, make_sandbox: Callable[..., Sandbox]
) -> None:
    box: Any = _boxes(make_sandbox)[name]()
    with box.serve(latency=0.03) as server:
        target = MAKERS[name](box, server.url)
        assert box.faults.active and box.faults.latency == 0.03
        started = time.perf_counter()
        target.act()
        assert time.perf_counter() - started >= 0.03
        box.faults.latency = 30  # a control call that waited for it would time out the test, not pass
        started = time.perf_counter()
        assert _control(target, "fired_faults").status_code == 200
        assert time.perf_counter() - started < 10
        box.faults.latency = 0
        assert not box.faults.active
        assert box.faults.fired == []  # latency is not a fault


def test_bad_fault_settings_are_refused_and_change_nothing() -> None:
    faults = Faults()
    calls: list[Callable[[], None]] = [
        lambda: faults.script("ship", "meteor"),
        lambda: faults.script("ship", "html", times=0),
        lambda: faults.script("", "html"),
        lambda: faults.script("ship", "timeout_after", delay=-1),
        lambda: faults.random(1.5, 1),
        lambda: faults.random(0.5, 1, kinds=()),
        lambda: faults.random(0.5, 1, operations="ship"),
    ]
    for call in calls:
        with pytest.raises(ValueError):
            call()
    with pytest.raises(ValueError):
        faults.latency = -0.1
    assert not faults.active and faults.pending == 0 and faults.fired == []


def test_a_stopped_server_refuses_connections_for_real() -> None:
    """A true ECONNREFUSED (the ``refused`` fault cannot refuse one operation: see _chaos)."""
    box = FedexSandbox()
    creds = box.create_account()
    server = box.serve()
    url = server.url
    server.stop()
    with pytest.raises(ConnectError):
        FedexClient(creds.settings(url), Timeout(connect=2, read=READ), retry=RETRY).rates(_shipment())


# -- onebalance sandbox serve -----------------------------------------------------------------------
def test_serve_fault_and_latency_options_apply_to_the_three_sandboxes(
    serve: Callable[..., Served],  # noqa: F811 - the fixture imported from test_cli
) -> None:
    served = serve("--fault-rate", "1", "--fault-kinds", "http_503", "--fault-seed", "5", "--latency-ms", "20")
    info: dict[str, Any] = served.info
    soap = requests.post(info["url"], data=b"<x/>", headers={"SOAPAction": SOAP_ACTION}, timeout=5)
    assert soap.status_code == 503
    for carrier, token_path in (("ups", "/security/v1/oauth/token"), ("fedex", "/oauth/token")):
        base = info[carrier]["url"]
        started = time.perf_counter()
        assert requests.post(base + token_path, data={}, timeout=5).status_code == 503
        assert time.perf_counter() - started >= 0.02
        fired = requests.post(base + "/sandbox/control/fired_faults", json={}, timeout=5).json()["result"]
        assert fired == [{"operation": "oauth", "kind": "http_503", "acted": False, "source": "random"}]


def test_serve_refuses_an_unknown_fault_kind() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--fault-rate", "0.5", "--fault-kinds", "html,meteor"])
    assert result.exit_code == 2 and "no fault kind 'meteor'" in result.output
