"""Round trips per label and per rate shop, for each carrier, and a USPS label's latency (issue 19, item 2).

    python benchmarks/run.py --only 6          # or: python benchmarks/roundtrips.py [--quick]

**Counts** (in-process: the three sandboxes mounted on one ``responses`` mock, every request seen
by name): a platform's common case, ``accounts.shipping(merchant)`` built anew for each request on
the merchant's cached clients, after one warm-up label (the logins, the first account read and the
OAuth tokens are once per client, not per label): the rate shop, the label of a recipient checked
before (by an earlier label, ``check_address`` or ``rates(check_address=True)``), the label of a
recipient not checked before, and the rate shop that checks the address. SWSIM operations for
USPS, HTTP requests for UPS and FedEx.

**Latency** (the sandbox server in its own process, ``_serve.py --latency``: every SOAP call waits
50 ms, then 150 ms, as a network round trip would): a USPS label alone, and a rate shown then
bought, each timed with the SDK as it is and with the calls the SDK made before issue 19 (a
GetAccountInfo after GetRates and before each label, and a CleanseAddress before each label),
replayed through the same client. The server counts the calls (``CallCounter``) to check each
flow makes the calls it says.

Targets (issue 19, item 3): a USPS label in the common case in 1 round trip, 2 at most when its
address has not been checked before.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import responses
from _common import Row, Stable, shipment, until_stable
from latency import _counter, _merchant, _priority
from sandbox_speed import server

from carriers import ShipmentRequest
from onebalance import Accounts, InMemoryCredentialStore, UspsShipping
from onebalance.sandbox import Sandbox
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

#: What each step cost before issue 19 (main at f0e97e2, counted the same way): the USPS client read
#: the account after GetRates (the plan) and before every label (the funds), and cleansed every
#: recipient. UPS and FedEx are unchanged.
_LABEL_BEFORE = "SWSIM 3 (GetAccountInfo, CleanseAddress, CreateIndicium)"
BEFORE = {
    "rate shop": "SWSIM 2 (GetRates, GetAccountInfo), UPS 1, FedEx 1",
    "USPS label (address checked)": _LABEL_BEFORE,
    "USPS label (address not checked)": _LABEL_BEFORE,
    "rate shop, check_address=True": "(new)",
    "USPS label after it": _LABEL_BEFORE,
    "UPS label": "UPS 1",
    "FedEx label": "FedEx 1",
}
LATENCIES = (0.05, 0.15)
PASSWORD = "Trips-passw0rd"


def _to(number: int) -> ShipmentRequest:
    """The benchmark's shipment to a recipient of its own (``number``: a street number)."""
    base = shipment()
    recipient = base.recipient.model_copy(update={"street_lines": (f"{number} 5th Ave",)})
    return base.model_copy(update={"recipient": recipient})


# -- counts --------------------------------------------------------------------------------------------
@dataclass
class Trips:
    """The requests each carrier answered during one step."""

    usps: list[str]
    ups: int
    fedex: int


class Platform:
    """Merchant 'm' with USPS (One Balance), UPS and FedEx, in-process, counting what each is sent."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.ops: list[str] = []
        self.swsim = Sandbox(observers=[self._seen])
        self.ups, self.fedex = UpsSandbox(), FedexSandbox()
        self.swsim.create_account("trips", PASSWORD, balance="500.00")
        self.ups.create_account("ups-id", "ups-secret", ["A1B2C3"])
        fx = self.fedex.create_account("fx-id", "fx-secret", "700000001")
        self.mock = mock
        url, ups_url, fedex_url = self.swsim.mount(mock), self.ups.mount(mock), self.fedex.mount(mock)
        self.hosts = {"ups": ups_url, "fedex": fedex_url}
        integration_id = self.swsim.create_demo_account().integration_id
        self.accounts = Accounts(integration_id=integration_id, endpoint=url, store=InMemoryCredentialStore())
        self.accounts.connect("m", username="trips", password=PASSWORD)
        self.accounts.connect_ups(
            "m", client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3", base_url=ups_url
        )
        self.accounts.connect_fedex(
            "m", client_id="fx-id", client_secret=fx.client_secret, account_number="700000001", base_url=fedex_url
        )

    def _seen(self, direction: str, op: str | None, body: bytes) -> None:
        if direction == "request" and op is not None and op != "AuthenticateUser":
            self.ops.append(op)

    def _sent(self, carrier: str) -> int:
        return sum(1 for call in self.mock.calls if str(call.request.url).startswith(self.hosts[carrier]))

    def step(self, fn: Callable[[], Any]) -> tuple[Any, Trips]:
        del self.ops[:]
        ups, fedex = self._sent("ups"), self._sent("fedex")
        result = fn()
        return result, Trips(list(self.ops), self._sent("ups") - ups, self._sent("fedex") - fedex)


@contextmanager
def platform() -> Iterator[Platform]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield Platform(mock)


def counts() -> dict[str, Trips]:
    """Each step of the common case, and what it cost each carrier."""
    found: dict[str, Trips] = {}
    with platform() as p:
        shipping = p.accounts.shipping

        def buy(carrier: str, shop: Any, ship: ShipmentRequest, key: str) -> Trips:
            rate = next(r for r in shop.rates if r.carrier.value == carrier)
            return p.step(lambda: shipping("m").buy(rate, ship, idempotency_key=key))[1]

        warm = shipping("m").rates(_to(1))
        for carrier in ("usps", "ups", "fedex"):
            buy(carrier, warm, _to(1), f"warm-{carrier}")
        shop, found["rate shop"] = p.step(lambda: shipping("m").rates(_to(1)))
        found["USPS label (address checked)"] = buy("usps", shop, _to(1), "checked")
        found["UPS label"] = buy("ups", shop, _to(1), "ups")
        found["FedEx label"] = buy("fedex", shop, _to(1), "fedex")
        shop = shipping("m").rates(_to(2))
        found["USPS label (address not checked)"] = buy("usps", shop, _to(2), "unchecked")
        checked, trips = p.step(lambda: shipping("m").rates(_to(3), check_address=True))
        found["rate shop, check_address=True"] = trips
        found["USPS label after it"] = buy("usps", checked, checked.shipment, "after-check")
        p.swsim.check_ledger("trips")
    return found


# -- latency -------------------------------------------------------------------------------------------
def _flows(usps: UspsShipping) -> dict[str, Callable[[int], object]]:
    """The timed flows, each given a fresh number (its idempotency key; its recipient where new)."""
    client = usps.proxy.client

    def label(n: int) -> object:
        return usps.buy(RATE[0], shipment(), idempotency_key=f"l-{n}")

    def label_before(n: int) -> object:
        client.account()  # the GetAccountInfo before every label, and the CleanseAddress
        usps.cleanse(shipment().recipient)
        return usps.buy(RATE[0], shipment(), idempotency_key=f"lb-{n}")

    def shown_then_bought(n: int) -> object:
        ship = _to(100 + n)
        rate = next(r for r in usps.rates(ship) if r.service_code == "US-PM")
        return usps.buy(rate, ship, idempotency_key=f"s-{n}")

    def shown_then_bought_before(n: int) -> object:
        ship = _to(10_000 + n)
        rate = next(r for r in usps.rates(ship) if r.service_code == "US-PM")
        client.account()  # the GetAccountInfo after GetRates (the plan check), then before the label
        client.account()
        return usps.buy(rate, ship, idempotency_key=f"sb-{n}")

    return {
        "label (address checked, balance known)": label,
        "label, the calls made before issue 19": label_before,
        "rate shown, then bought (address not checked)": shown_then_bought,
        "rate shown, then bought, the calls made before": shown_then_bought_before,
    }


RATE: list[Any] = []


def latencies(quick: bool) -> list[tuple[float, str, int, Stable]]:
    """(latency, flow, round trips counted at the server, seconds) for each flow and latency."""
    out = []
    for latency in LATENCIES:
        with server("--latency", str(latency), "--accounts", "1") as info:
            counter = _counter(info)
            usps = _merchant(info, info["usernames"][0])
            usps.postage.update_settings(auto_refill=None)
            RATE[:] = [_priority(usps)]
            usps.buy(RATE[0], shipment(), idempotency_key="warm")
            number = iter(range(1_000_000))
            for name, flow in _flows(usps).items():
                before, _ = counter.read()
                flow(next(number))
                trips = counter.read()[0] - before

                def timed(flow: Callable[[int], object] = flow, number: Iterator[int] = number) -> float:
                    started = time.perf_counter()
                    flow(next(number))
                    return time.perf_counter() - started

                stable = until_stable(timed, max_repeats=4 if quick else 7)
                out.append((latency, name, trips, stable))
    return out


def run(quick: bool) -> list[Row]:
    rows: list[Row] = []
    found = counts()
    for step, trips in found.items():
        parts = [f"SWSIM {len(trips.usps)} ({', '.join(trips.usps) or '-'})"]
        parts += [f"UPS {trips.ups}", f"FedEx {trips.fedex}"]
        target, met = "", None
        if step == "USPS label (address checked)":
            target, met = "1", len(trips.usps) == 1
        elif step == "USPS label (address not checked)":
            target, met = "<= 2", len(trips.usps) <= 2
        rows.append(Row("6", f"round trips: {step}", ", ".join(parts), f"before: {BEFORE[step]}", target, met))
    for latency, name, trips, stable in latencies(quick):
        ideal = trips * latency
        rows.append(
            Row(
                "6",
                f"USPS {name} at {latency * 1000:.0f} ms a round trip",
                f"{stable.value * 1000:,.0f} ms ({trips} round trip{'s' if trips != 1 else ''})",
                f"{trips} x {latency * 1000:.0f} ms = {ideal * 1000:,.0f} ms; the rest is the SDK and the server",
                spread=stable.note(),
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for row in run(args.quick):
        print(f"{row.name:<72} {row.measured:<60} {row.target or '-':>5} {row.reference}")


if __name__ == "__main__":
    main()
