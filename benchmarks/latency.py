"""Item 3 (and 5): label purchases per second from 32 threads when every call takes 50 ms.

The sandbox server runs in its own process (``_serve.py --latency 0.05``): every SOAP call
sleeps 50 ms before it is dispatched, outside the sandbox's lock, as a distant service would.
A purchase is ``UspsShipping.buy`` (public API only): after its first label the client knows the
account, the balance (from the last answer) and the recipient's address check, so a label is one
CreateIndicium; it makes ``calls_per_purchase`` SOAP calls (counted in the same run). The ideal is
every thread always waiting on exactly one call: ``threads / (calls_per_purchase x latency)``
purchases per second. Every client's rate is its purchases (the server's calls over that client's
own calls per purchase, counted the same way), against that one ideal.
The calls are counted at the server (``_serve.CallCounter``), so the clients are built exactly as
a platform builds them: ``OneBalance`` with no session passed in, over the SDK's own shared pool.

* **(a) 32 accounts**: each thread buys for its own merchant (its own client, the shared pool);
* **(b) one account**: the 32 threads buy through one merchant's ``UspsShipping``.

Beside each, zeep by hand (naive): a zeep client and a session per merchant making the three
calls a label takes without the SDK's knowledge (GetAccountInfo, CleanseAddress, CreateIndicium)
with the rolling Authenticator; on one account its threads take turns on the one conversation.
And zeep used well, with the SDK's tactics (``_zeep.ZeepAccount``): one parsed Document, one
service and one session (a pool of 32 connections) for all merchants, the account read and the
address checked once, then one CreateIndicium a label; on one account the thread that gets the
conversation uses its Authenticator and the others send Credentials at once.

Every window is repeated (consecutive windows of the same run) until the best windows agree
within 10 % (:func:`_common.until_stable`), or the row says they did not.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _zeep
import requests
from _common import WSDL, Row, Stable, shipment, until_stable
from _floor_client import FloorClient
from _serve import CallCounter
from sandbox_speed import server

from carriers import Rate
from onebalance import InMemoryPostageRecords, OneBalance, Postage, UspsShipping
from onebalance.carriers.usps import _mapping as usps_mapping

LATENCY = 0.05
THREADS = 32
TARGET = 0.85
NS = "http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135"


def _counter(info: dict[str, Any]) -> CallCounter:
    """The server's count of the SOAP calls it answered (so the clients run uninstrumented)."""
    return CallCounter(info["counter"])


def _merchant(info: dict[str, Any], username: str) -> UspsShipping:
    """A merchant's ``UspsShipping`` as a platform builds it: the SDK's own shared HTTP session."""
    client = OneBalance(
        integration_id=info["integration_id"], username=username, password=info["password"], endpoint=info["url"]
    )
    return UspsShipping(Postage(username, client, InMemoryPostageRecords()))


def _priority(usps: UspsShipping) -> Rate:
    return next(r for r in usps.rates(shipment()) if r.service_code == "US-PM")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far; 0 where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Drive:
    rate: float  # purchases per second
    client_cpu: float  # cores this process used during the window
    server_cpu: float  # cores the server process used
    load: float  # the machine's load average after the window
    server_ms: float = 0.0  # mean time the server took to answer one call (its 50 ms included)
    stable: Stable | None = None  # how well the windows agreed
    load_before: float = 0.0  # the machine's load average before the run


def drive(
    buys: list[Callable[[int], object]],
    counter: CallCounter,
    calls: int,
    seconds: float,
    server_pid: int,
    max_windows: int = 5,
) -> Drive:
    """Purchases per second while each of ``buys`` runs in its own thread: the SOAP calls the
    server answered per second during a window (after a warm-up), over ``calls`` per purchase.

    Windows of ``seconds / 2`` follow one another until the best of them agree within 10 % (at
    most ``max_windows``); the rate is their median (:class:`_common.Stable`). Counting calls, not
    finished purchases, measures the steady state even when one purchase takes longer than the
    window (32 threads taking turns on one conversation)."""
    stop = threading.Event()
    errors: list[BaseException] = []
    start = threading.Barrier(len(buys) + 1)

    def worker(i: int) -> None:
        start.wait()
        n = itertools.count()
        try:
            while not stop.is_set():
                buys[i](next(n))
        except BaseException as exc:  # reported after the run
            errors.append(exc)
            stop.set()

    load_before = os.getloadavg()[0]
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(buys))]
    for t in threads:
        t.start()
    start.wait()
    time.sleep(min(2.0, seconds / 3))
    window = seconds / 2
    began, (first, timed_first) = time.perf_counter(), counter.read()
    cpu, server_cpu = time.process_time(), cpu_seconds(server_pid)

    def one_window() -> float:
        if stop.is_set():  # a worker failed: no more windows
            return 0.0
        started, (before, _) = time.perf_counter(), counter.read()
        time.sleep(window)
        return (counter.read()[0] - before) / (time.perf_counter() - started) / calls

    try:
        stable = until_stable(one_window, max_windows, higher_is_better=True, min_repeats=2)
    finally:
        elapsed, (after, timed_after) = time.perf_counter() - began, counter.read()
        cpu, server_cpu = time.process_time() - cpu, cpu_seconds(server_pid) - server_cpu
        stop.set()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    made = max(after - first, 1)
    return Drive(
        stable.value,
        cpu / elapsed,
        server_cpu / elapsed,
        os.getloadavg()[0],
        (timed_after - timed_first) / made * 1000,
        stable,
        load_before,
    )


# -- several worker processes (a variant, not the headline) ------------------------------------------
#: The variant's worker processes, each with THREADS // PROCESSES threads and its own interpreter lock.
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "4"))


def _process_worker(
    info: dict[str, Any], usernames: list[str], shared: bool, calls: int, seconds: float, go: Any, results: Any
) -> None:
    """One worker process of a platform: its threads buy for ``usernames`` (or all through one
    merchant's ``UspsShipping`` when ``shared``); puts its :class:`Drive` on ``results``."""
    threads = len(usernames)
    if shared:
        one = _merchant(info, usernames[0])
        rate = _priority(one)
        buys = [
            (lambda n, i=i: one.buy(rate, shipment(), idempotency_key=f"pb-{os.getpid()}-{i}-{n}"))
            for i in range(threads)
        ]
    else:
        merchants = [_merchant(info, name) for name in usernames]
        rates = [_priority(m) for m in merchants]
        buys = [
            (lambda n, m=m, r=r, i=i: m.buy(r, shipment(), idempotency_key=f"pa-{os.getpid()}-{i}-{n}"))
            for i, (m, r) in enumerate(zip(merchants, rates, strict=True))
        ]
    buys[0](-1)  # warm: log in, compile
    go.wait()
    results.put(drive(buys, _counter(info), calls, seconds, info["pid"]))


def drive_processes(info: dict[str, Any], usernames: list[str], shared: bool, calls: int, seconds: float) -> Drive:
    """:func:`drive` with the threads spread over :data:`PROCESSES` spawned worker processes."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    go = context.Barrier(PROCESSES)
    results = context.Queue()
    per = THREADS // PROCESSES
    workers = [
        context.Process(
            target=_process_worker,
            args=(
                info,
                usernames[i * per : (i + 1) * per] if not shared else [usernames[0]] * per,
                shared,
                calls,
                seconds,
                go,
                results,
            ),
        )
        for i in range(PROCESSES)
    ]
    for w in workers:
        w.start()
    drives = [results.get(timeout=3 * seconds + 120) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    # Every worker counted all the server's calls over (nearly) the same window: the rate is their
    # mean, not their sum; the clients' CPU adds up.
    return Drive(
        sum(d.rate for d in drives) / len(drives),
        sum(d.client_cpu for d in drives),
        sum(d.server_cpu for d in drives) / len(drives),
        max(d.load for d in drives),
        sum(d.server_ms for d in drives) / len(drives),
        max((d.stable for d in drives if d.stable), key=lambda s: s.spread, default=None),
        min(d.load_before for d in drives),
    )


# -- zeep by hand ----------------------------------------------------------------------------------------
class ZeepMerchant:
    """A hand-written zeep client for one merchant: its own session, its own conversation."""

    def __init__(self, info: dict[str, Any], username: str, rate: Rate) -> None:
        import zeep
        from zeep.transports import Transport

        self.session = requests.Session()
        client = zeep.Client(str(WSDL), transport=Transport(session=self.session, operation_timeout=30))
        self.service = client.create_service(f"{{{NS}}}SwsimV135Soap", info["url"])
        self.credentials = {"IntegrationID": info["integration_id"], "Username": username, "Password": info["password"]}
        self.rate = rate
        self.username = username
        self.token = self.service.AuthenticateUser(Credentials=self.credentials).Authenticator
        self.lock = threading.Lock()

    def buy(self, n: int, thread: int = 0) -> object:
        ship = shipment()
        with self.lock:  # one rolling token: calls on one conversation take turns
            info = self.service.GetAccountInfo(Authenticator=self.token)
            self.token = info.Authenticator
            cleansed = self.service.CleanseAddress(
                Authenticator=self.token, **usps_mapping.cleanse_request(ship.recipient)
            )
            self.token = cleansed.Authenticator
            tx = f"zeep-{self.username}-{thread}-{n}"
            payload = usps_mapping.ship_request(
                self.rate, ship, tx, to_cleanse_hash=cleansed.Address.CleanseHash, version="v135"
            )
            label = self.service.CreateIndicium(Authenticator=self.token, **payload)
            self.token = label.Authenticator
            return label


def _calls_per(counter: Any, buy: Callable[[], object]) -> int:
    """The SOAP calls one purchase makes, as the server counted them."""
    before, _ = counter.read()
    buy()
    return int(counter.read()[0] - before)


def zeep_accounts(info: dict[str, Any]) -> list[_zeep.ZeepAccount]:
    """zeep used well: one service over one session for every merchant, an account each."""
    service = _zeep.shared_service(info["url"])
    return [_zeep.ZeepAccount(service, info["integration_id"], name, info["password"]) for name in info["usernames"]]


def _note(d: Drive) -> str:
    return d.stable.note() if d.stable else ""


def run(quick: bool) -> list[Row]:
    seconds = 4.0 if quick else 15.0
    with server("--latency", str(LATENCY), "--accounts", str(THREADS)) as info:
        pid, counter = info["pid"], _counter(info)
        merchants = [_merchant(info, name) for name in info["usernames"]]
        rates = [_priority(m) for m in merchants]
        merchants[0].buy(rates[0], shipment(), idempotency_key="probe-warm")
        before, _ = counter.read()
        merchants[0].buy(rates[0], shipment(), idempotency_key="probe")
        calls = counter.read()[0] - before
        ideal = THREADS / (calls * LATENCY)

        many = [
            (lambda n, m=m, r=r, i=i: m.buy(r, shipment(), idempotency_key=f"a-{i}-{n}"))
            for i, (m, r) in enumerate(zip(merchants, rates, strict=True))
        ]
        one, rate = merchants[0], rates[0]
        shared = [(lambda n, i=i: one.buy(rate, shipment(), idempotency_key=f"b-{i}-{n}")) for i in range(THREADS)]
        sdk_many = drive(many, counter, calls, seconds, pid)
        sdk_one = drive(shared, counter, calls, seconds, pid)
        procs_many = drive_processes(info, info["usernames"], False, calls, seconds)
        procs_one = drive_processes(info, info["usernames"], True, calls, seconds)

        # Each client's purchases are its own calls answered over its own calls per purchase (counted
        # here as the SDK's were): a client that needs three calls a label buys a third as many.
        zeeps = [ZeepMerchant(info, name, rate) for name in info["usernames"]]
        naive_calls = _calls_per(counter, lambda: zeeps[0].buy(-1))
        zeep_many = drive([(lambda n, z=z: z.buy(n)) for z in zeeps], counter, naive_calls, seconds, pid)
        zeep_one = drive(
            [(lambda n, i=i: zeeps[0].buy(n, i)) for i in range(THREADS)], counter, naive_calls, seconds, pid
        )

        accounts = zeep_accounts(info)
        for i, account in enumerate(accounts):  # the first label of each: the account and the address checked
            account.buy(rate, f"zw-warm-{i}")
        well_calls = _calls_per(counter, lambda: accounts[0].buy(rate, "zw-probe"))
        well_many = drive(
            [(lambda n, a=a, i=i: a.buy(rate, f"zw-a-{i}-{n}")) for i, a in enumerate(accounts)],
            counter,
            well_calls,
            seconds,
            pid,
        )
        well_one = drive(
            [(lambda n, i=i: accounts[0].buy(rate, f"zw-b-{i}-{n}")) for i in range(THREADS)],
            counter,
            well_calls,
            seconds,
            pid,
        )

        # The floor: the cheapest correct client over requests, Credentials in every call.
        floor = FloorClient(info["url"], rate, shipment(), one.cleanse(shipment().recipient).cleanse_hash)
        logins = [
            {"IntegrationID": info["integration_id"], "Username": name, "Password": info["password"]}
            for name in info["usernames"]
        ]
        floor_calls = _calls_per(counter, lambda: floor.buy(logins[0], "floor-probe"))
        floor_many = drive(
            [(lambda n, i=i: floor.buy(logins[i], f"fl-a-{i}-{n}")) for i in range(THREADS)],
            counter,
            floor_calls,
            seconds,
            pid,
        )
        floor_one = drive(
            [(lambda n, i=i: floor.buy(logins[0], f"fl-b-{i}-{n}")) for i in range(THREADS)],
            counter,
            floor_calls,
            seconds,
            pid,
        )

    rows = []
    for label, sdk, naive, well, procs, bare in (
        ("(a) 32 accounts", sdk_many, zeep_many, well_many, procs_many, floor_many),
        ("(b) one account", sdk_one, zeep_one, well_one, procs_one, floor_one),
    ):
        ratio = sdk.rate / ideal
        # A thread's cycle: its calls (as long as the server took to answer them) and everything else:
        # the network stack, waiting for the interpreter lock, the SDK's own work.
        cycle_ms = THREADS / sdk.rate * 1000 if sdk.rate else 0.0
        rows.append(
            Row(
                "3",
                f"{label}: label purchases/s / ideal",
                f"{ratio:.2f} ({sdk.rate:,.1f}/s)",
                f"ideal {ideal:,.1f}/s = {THREADS} threads / ({calls} calls x {LATENCY * 1000:.0f} ms); "
                f"the floor (text, requests, {floor_calls} call(s) a label) {bare.rate:,.1f}/s = "
                f"{bare.rate / ideal:.2f} (client {bare.client_cpu:.2f} core, spread {_note(bare)}), the sdk = "
                f"{sdk.rate / bare.rate if bare.rate else 0:.2f}x the floor; "
                f"zeep used well (one service, the SDK's tactics, {well_calls} call(s) a label) {well.rate:,.1f}/s "
                f"= {well.rate / ideal:.2f} (spread {_note(well)}); naive zeep ({naive_calls} calls a label) "
                f"{naive.rate:,.1f}/s = {naive.rate / ideal:.2f}; "
                f"CPU: client {sdk.client_cpu:.2f} core (zeep used well {well.client_cpu:.2f}, naive "
                f"{naive.client_cpu:.2f}), server {sdk.server_cpu:.2f}; a purchase {cycle_ms:.0f} ms "
                f"a thread, of which the server answering its {calls} calls {calls * sdk.server_ms:.0f} ms; "
                f"load average {sdk.load_before:.1f} before, {sdk.load:.1f} after",
                f">= {TARGET}",
                ratio >= TARGET,
                _note(sdk),
            )
        )
        rows.append(
            Row(
                "3",
                f"  variant, {PROCESSES} processes x {THREADS // PROCESSES} threads: {label[4:]}, / ideal",
                f"{procs.rate / ideal:.2f} ({procs.rate:,.1f}/s)",
                f"the same 32 threads in {PROCESSES} worker processes (not the headline); CPU: clients "
                f"{procs.client_cpu:.2f} core in all, server {procs.server_cpu:.2f}; the server answering a call "
                f"{procs.server_ms:.1f} ms; load average {procs.load_before:.1f} before, {procs.load:.1f} after",
                "-",
                None,
                _note(procs),
            )
        )
    return rows
