"""Many threads on one account: one rolling-token conversation plus Credentials calls beside it.

Overlap is measured where it matters, in the service: the sandbox server's handler counts the
requests in flight (each held for a few milliseconds, as a real service would take), not wall time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from carriers import Address, Parcel, ShipmentRequest, Weight
from onebalance import (
    Codewords,
    ConfigurationError,
    CreditCard,
    InMemoryPostageRecords,
    OneBalance,
    Postage,
    UspsShipping,
)
from onebalance.sandbox import Sandbox, SandboxCredentials

from . import _wire

THREADS = 32


@dataclass
class Served:
    creds: SandboxCredentials
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def served(sandbox: Sandbox) -> Iterator[Served]:
    """The sandbox over HTTP; every SOAP request is held 5 ms while counted as in flight."""
    forward = sandbox.handle
    state = Served(sandbox.create_demo_account())

    def handle(body: bytes, soap_action: str | None, **kwargs: Any) -> Any:
        with state.lock:
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            time.sleep(0.005)
            return forward(body, soap_action, **kwargs)
        finally:
            with state.lock:
                state.in_flight -= 1

    sandbox.handle = handle  # type: ignore[method-assign]
    with sandbox.serve() as server:
        state.creds = replace(state.creds, url=server.url)
        yield state


def _requests(wire_log: list[tuple[str, str | None, bytes]], op: str) -> list[bytes]:
    return [body for d, o, body in wire_log if d == "request" and o == op]


def _faults(wire_log: list[tuple[str, str | None, bytes]]) -> list[bytes]:
    return [body for d, _, body in wire_log if d == "response" and b"Fault>" in body]


def _hammer(client: OneBalance, calls: int = 3 * THREADS) -> list[Decimal]:
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda _: client.account().available_postage, range(calls)))


def test_threads_on_one_account_run_in_parallel_without_tripping_the_token(served, client_for, wire_log):
    client = client_for(served.creds)
    assert _hammer(client) == [Decimal("100.00")] * (3 * THREADS)
    assert _faults(wire_log) == []  # not one out-of-sync (or any other) fault
    assert len(_requests(wire_log, "AuthenticateUser")) == 1
    assert served.max_in_flight >= THREADS // 4, served.max_in_flight
    bodies = _requests(wire_log, "GetAccountInfo")
    on_token = [b for b in bodies if b"Authenticator>" in b]
    assert on_token and len(on_token) < len(bodies)  # the conversation served some, Credentials the rest


def test_the_conversation_alone_serves_one_thread_at_a_time(served, client_for, wire_log):
    client = client_for(served.creds, concurrency="conversation")
    assert _hammer(client, THREADS) == [Decimal("100.00")] * THREADS
    assert served.max_in_flight == 1
    assert _faults(wire_log) == []
    assert all(b"Authenticator>" in b for b in _requests(wire_log, "GetAccountInfo"))


def test_credentials_mode_never_logs_in(served, client_for, wire_log):
    client = client_for(served.creds, concurrency="credentials")
    assert _hammer(client) == [Decimal("100.00")] * (3 * THREADS)
    assert _requests(wire_log, "AuthenticateUser") == []
    assert served.max_in_flight >= THREADS // 4
    assert client.uses_credentials


def test_a_wrong_password_is_sent_once_not_by_every_thread(served, client_for, wire_log, sandbox):
    from onebalance import AuthenticationFailed

    client = client_for(served.creds, password="Wrong-passw0rd")
    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(lambda _: _outcome(client.account), range(THREADS)))
    assert set(outcomes) == {AuthenticationFailed}
    assert len(_requests(wire_log, "AuthenticateUser")) + len(_requests(wire_log, "GetAccountInfo")) == 1
    assert not sandbox.account("demo-merchant").locked


def _outcome(fn: Callable[[], object]) -> type:
    try:
        fn()
    except Exception as exc:  # the test looks at which error each thread got
        return type(exc)
    return type(None)


def test_two_clients_of_one_user_both_keep_working(served, client_for, wire_log):
    first, second = client_for(served.creds), client_for(served.creds)

    def both(_: int) -> tuple[Decimal, Decimal]:
        return first.account().available_postage, second.account().available_postage

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(both, range(60)))
    assert results == [(Decimal("100.00"), Decimal("100.00"))] * 60
    # One login each; the first client, superseded once, sends Credentials from then on.
    assert len(_requests(wire_log, "AuthenticateUser")) == 2
    assert [b for b in _faults(wire_log) if b"002b0203" not in b] == []
    assert len(_faults(wire_log)) <= 1
    assert first.uses_credentials != second.uses_credentials


def test_two_conversation_only_clients_of_one_user_supersede_each_other_at_every_turn(served, client_for, wire_log):
    first = client_for(served.creds, concurrency="conversation")
    second = client_for(served.creds, concurrency="conversation")
    for _ in range(10):
        first.account()
        second.account()
    assert len(_requests(wire_log, "AuthenticateUser")) >= 19  # why auto mode falls back to Credentials


def test_the_concurrency_mode_is_checked():
    with pytest.raises(ConfigurationError):
        OneBalance(integration_id="00000000-0000-0000-0000-000000000000", username="u", password="p",
                   endpoint="https://swsim.testing.stamps.com/swsim/swsimv111.asmx", concurrency="pool")  # type: ignore[arg-type]  # fmt: skip


# -- the sandbox ---------------------------------------------------------------------------------
def test_credentials_calls_never_push_out_the_live_conversation(sandbox):
    creds = sandbox.create_demo_account()
    token = _wire.login(sandbox, creds)
    older = token
    token = _wire.call(sandbox, "GetAccountInfo", {"Authenticator": token})["Authenticator"]
    for _ in range(40):
        _wire.call(sandbox, "GetAccountInfo", {"Credentials": _wire.credentials(creds)})
    token = _wire.call(sandbox, "GetAccountInfo", {"Authenticator": token})["Authenticator"]
    assert _wire.fault_code(sandbox, "GetAccountInfo", {"Authenticator": older}) == "002b0204"
    assert _wire.call(sandbox, "GetAccountInfo", {"Authenticator": token})["Authenticator"]


def test_only_authenticate_user_refuses_credentials_alone():
    from onebalance.sandbox.swsim._dispatch import Auth
    from onebalance.sandbox.swsim._handlers import HANDLERS

    # Every other operation is either unauthenticated or takes an Authenticator or Credentials.
    assert [name for name, handler in HANDLERS.items() if handler.auth is Auth.LOGIN] == ["AuthenticateUser"]


def test_every_operation_works_with_credentials(sandbox, client_for, wire_log):
    """A credentials-only client runs the whole account and USPS flow; nothing asks for a login."""
    creds = sandbox.create_demo_account()
    with sandbox.mock() as url:
        client = client_for(replace(creds, url=url), concurrency="credentials")
        account = client.account()
        assert client.payment_methods()
        client.cost_accounts()
        client.set_auto_buy(False)
        client.page_url()
        client.start_phone_verification("SMS", "5125550100")
        client.finish_phone_verification(sandbox.verification_code(creds.username))
        client.purchase_postage(Decimal("10.00"), account.control_total, "tx-credentials")
        assert client.balance_history(date(2000, 1, 1))
        usps = UspsShipping(Postage("m1", client, InMemoryPostageRecords()))
        shipment = ShipmentRequest(
            shipper=Address(name="Acme", street_lines=["1990 E Grand Ave"], city="El Segundo", state="CA",
                            postal_code="90245", phone="3105550142"),
            recipient=Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY",
                              postal_code="10118", phone="2125550100"),
            parcels=[Parcel(weight=Weight(value="2", unit="lb"))],
            ship_date=date.today(),
        )  # fmt: skip
        rate = next(r for r in usps.rates(shipment) if r.service_code == "US-PM")
        label = usps.buy(rate, shipment, idempotency_key="order-c1")
        assert usps.track(label.tracking_number or "").tracking_number
        assert usps.void(label).voided
        client.set_codewords(Codewords(question1="PetsName", answer1="Rex the dog", question2="BirthCity",
                                       answer2="Springfield"))  # fmt: skip
        card = CreditCard(number="4111 1111 1111 1111", expiration_month=12, expiration_year=2031, cvn="737")
        added = client.add_payment_method(card, make_default=False)
        client.set_default_payment_method(added)
        client.change_password("Brand-new-passw0rd")
        assert client.account().username == creds.username
        client.cancel_account(address="1990 E Grand Ave", city="El Segundo", state="CA", postal_code="90245")
    assert sandbox.account(creds.username).closed
    assert _requests(wire_log, "AuthenticateUser") == []
    assert _faults(wire_log) == []
    assert not [b for d, o, b in wire_log if d == "request" and o != "AuthenticateUser" and b"Authenticator>" in b]


def test_the_password_gate_waits_for_the_calls_sharing_it_and_only_those():
    """A password change waits for the calls that send the password (on the same client), and those
    wait for the change; gates share their conditions (issue 19: memory per client), not their state."""
    import threading

    from onebalance.swsim._conversation import _CONDITIONS, _PasswordGate

    gates = [_PasswordGate() for _ in range(len(_CONDITIONS) + 1)]
    gate, neighbour = gates[0], gates[-1]
    assert gate._cond is neighbour._cond  # the same condition, round-robin
    sharing, changing, changed, neighbour_done = (threading.Event() for _ in range(4))
    release = threading.Event()

    def call() -> None:
        with gate._gate_shared():
            sharing.set()
            release.wait(10)

    def change() -> None:
        with gate._gate_exclusive():
            changing.set()
        changed.set()

    def neighbour_call() -> None:
        with neighbour._gate_shared():
            neighbour_done.set()

    threading.Thread(target=call).start()
    assert sharing.wait(10)
    changer = threading.Thread(target=change)
    changer.start()
    for _ in range(10_000):  # until the change has begun waiting (it holds the gate's flag)
        if gate._changing:
            break
        release.wait(0.001)
    assert gate._changing
    other = threading.Thread(target=neighbour_call)
    other.start()
    assert neighbour_done.wait(10)  # another client's gate is not held up by this one's change
    assert not changing.is_set()  # the change waits for the call sharing the gate
    release.set()
    changer.join(10)
    assert changing.is_set() and changed.is_set()
    with gate._gate_shared():  # and the gate is open again
        pass


def test_a_clients_locks_are_made_on_first_use_once_for_all_threads(served: Served) -> None:
    """Issue 19 (memory per merchant): an idle client holds no lock; the threads that need one
    first all get the same one, so the conversation is still used by one thread at a time."""
    creds = served.creds
    client = OneBalance(
        integration_id=creds.integration_id, username=creds.username, password=creds.password, endpoint=creds.url
    )
    assert client._lock is None and client._probe is None
    assert creds.password not in repr(client)
    assert client.password.get_secret_value() == creds.password
    start = threading.Barrier(THREADS)

    def first_use(name: str) -> Any:
        start.wait(10)
        return client._new_lock(name)

    for name in ("_lock", "_probe"):
        with ThreadPoolExecutor(THREADS) as pool:
            locks = list(pool.map(first_use, [name] * THREADS))
        assert all(lock is locks[0] for lock in locks)
        assert getattr(client, name) is locks[0]
    assert client.account().available_postage >= 0
