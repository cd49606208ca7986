"""What every benchmark shares: CPU timing, the canned HTTP stack, the shipment, the result rows."""

from __future__ import annotations

import base64
import gc
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from carriers import Address, Parcel, ShipmentRequest, Weight

ROOT = Path(__file__).resolve().parent.parent
WSDL = ROOT / "onebalance" / "_soap" / "wsdl" / "swsim_v111.wsdl"
SHIPPER = Address(
    name="Acme Widgets",
    street_lines=["1990 E Grand Ave"],
    city="El Segundo",
    state="CA",
    postal_code="90245",
    phone="3105550142",
)
RECIPIENT = Address(
    name="Ada Lovelace",
    street_lines=["350 5th Ave"],
    city="New York",
    state="NY",
    postal_code="10118",
    phone="2125550100",
)


def shipment() -> ShipmentRequest:
    return ShipmentRequest(
        shipper=SHIPPER,
        recipient=RECIPIENT,
        parcels=[Parcel(weight=Weight(value="2", unit="lb"))],
        ship_date=date.today() + timedelta(days=1),
    )


@dataclass
class Row:
    """One line of the table: ``measured`` against ``target`` (``met`` None: no target, for information)."""

    item: str
    name: str
    measured: str
    reference: str
    target: str = ""
    met: bool | None = None


# -- timing ------------------------------------------------------------------------------------------
def cpu_per_call(fns: dict[str, Callable[[], object]], n: int, rounds: int) -> dict[str, float]:
    """CPU seconds per call of each function: the best of ``rounds`` rounds of ``n`` calls.

    The functions take turns within each round, so that a slow spell of the machine hits all of
    them alike; the garbage collector runs between runs, not during them.
    """
    best = dict.fromkeys(fns, float("inf"))
    for fn in fns.values():  # warm-up: caches, first-call costs
        for _ in range(max(3, n // 10)):
            fn()
    for _ in range(rounds):
        for name, fn in fns.items():
            gc.collect()
            gc.disable()
            try:
                start = time.process_time()
                for _ in range(n):
                    fn()
                best[name] = min(best[name], (time.process_time() - start) / n)
            finally:
                gc.enable()
    return best


# -- a requests stack without the network ------------------------------------------------------------
@dataclass(frozen=True)
class Sent:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes


Answer = Callable[[Sent], tuple[int, bytes, str]]


def _response(answer: Answer, sent: Sent) -> requests.Response:
    status, body, content_type = answer(sent)
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict({"Content-Type": content_type, "Content-Length": str(len(body))})
    response._content = body
    response._content_consumed = True  # read already: iter_content() (stream=True) yields it in slices
    response.encoding = None
    response.url = sent.url
    return response


def _bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, Mapping):
        return urlencode(body).encode()
    return body.encode() if isinstance(body, str) else bytes(body)


class CannedAdapter(HTTPAdapter):
    """A transport adapter that answers from ``answer`` instead of a socket.

    Everything ``requests`` does around the wire (preparing the request, the environment's proxy
    settings, hooks, cookies, the response object) still runs: only the network is taken out.
    """

    def __init__(self, answer: Answer) -> None:
        super().__init__()
        self.answer = answer

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        sent = Sent(request.method or "GET", request.url or "", request.headers, _bytes(request.body))
        response = _response(self.answer, sent)
        response.request = request
        response.connection = self
        return response


class BareSession(requests.Session):
    """A session whose ``request`` answers at once: no ``requests`` machinery at all (the codec alone)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__()
        self.answer = answer

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.get("headers") or {})
        if kwargs.get("auth"):
            user, password = kwargs["auth"]
            headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        sent = Sent(str(method), str(url), headers, _bytes(kwargs.get("data")))
        return _response(self.answer, sent)


def canned_session(answer: Answer) -> requests.Session:
    session = requests.Session()
    adapter = CannedAdapter(answer)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class Recorder:
    """Answers through a live in-process sandbox while recording, then replays the last answer per key."""

    def __init__(self, live: Answer, key: Callable[[Sent], str]) -> None:
        self.live = live
        self.key = key
        self.recorded: dict[str, tuple[int, bytes, str]] = {}
        self.replaying = False

    def __call__(self, sent: Sent) -> tuple[int, bytes, str]:
        key = self.key(sent)
        if self.replaying:
            return self.recorded[key]
        reply = self.live(sent)
        self.recorded[key] = reply
        return reply


def soap_action(sent: Sent) -> str:
    return str(sent.headers.get("SOAPAction", "")).strip('"')


def fmt_us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} us"


def fmt_bytes(n: float) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:,.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:,.1f} KiB"
    return f"{n:,.0f} B"
