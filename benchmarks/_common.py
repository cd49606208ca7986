"""What every benchmark shares: CPU timing, the canned HTTP stack, the shipment, the result rows."""

from __future__ import annotations

import base64
import gc
import io
import os
import time
from collections.abc import Callable, Iterable, Mapping
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
WSDL = ROOT / "onebalance" / "swsim" / "_soap" / "wsdl" / "swsim_v135.wsdl"
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


def pooled_session(pool: int) -> requests.Session:
    """A ``requests.Session`` keeping ``pool`` connections per host (one per thread of item 3)."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


@dataclass
class Row:
    """One line of the table: ``measured`` against ``target`` (``met`` None: no target, for information)."""

    item: str
    name: str
    measured: str
    reference: str
    target: str = ""
    met: bool | None = None
    spread: str = ""  # how well the repeats agreed (see :class:`Stable`); "" where not repeated


# -- repeating until the figures agree ---------------------------------------------------------------
#: The spread under which repeated measurements are taken to agree (issue 19, item 4).
SPREAD = 0.10
#: How many of the best repeats must agree.
AGREE = 3


@dataclass(frozen=True)
class Stable:
    """A measurement repeated until its ``AGREE`` best samples agree within ``SPREAD``, or given up.

    ``value`` is the median of those best samples (the lowest times, or the highest rates: the
    ones the rest of the machine disturbed least); ``spread`` is how far apart they are, relative
    to the best one; ``repeats`` how many samples were taken.
    """

    value: float
    spread: float
    repeats: int

    @property
    def stable(self) -> bool:
        return self.spread < SPREAD

    def note(self) -> str:
        verdict = "" if self.stable else f", NOT under {SPREAD:.0%}"
        return f"{self.spread:.1%} ({self.repeats} runs{verdict})"

    @classmethod
    def of(cls, samples: list[float], higher_is_better: bool = False) -> Stable:
        """The stability of ``samples`` so far (see the class)."""
        best = sorted(samples, reverse=higher_is_better)[:AGREE]
        low, high = min(best), max(best)
        spread = (high - low) / (high if higher_is_better else low) if low > 0 else 0.0
        return cls(best[len(best) // 2], spread, len(samples))


def until_stable(
    sample: Callable[[], float], max_repeats: int, higher_is_better: bool = False, min_repeats: int = AGREE
) -> Stable:
    """Call ``sample`` until its best ``AGREE`` results agree within ``SPREAD`` (at least
    ``min_repeats`` times, at most ``max_repeats``)."""
    samples: list[float] = []
    while True:
        samples.append(sample())
        result = Stable.of(samples, higher_is_better)
        if len(samples) >= max_repeats or (len(samples) >= min_repeats and result.stable):
            return result


def worst(stables: Iterable[Stable]) -> str:
    """The note of the least stable of several measurements that make one figure."""
    return max(stables, key=lambda s: (not s.stable, s.spread)).note()


def load_average() -> float:
    """The machine's load average over the last minute (0 where the system does not say)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


# -- timing ------------------------------------------------------------------------------------------
def cpu_per_call(fns: dict[str, Callable[[], object]], n: int, max_rounds: int) -> dict[str, Stable]:
    """CPU seconds per call of each function, from rounds of ``n`` calls repeated until every
    function's best rounds agree (:class:`Stable`), ``max_rounds`` at most.

    The functions take turns within each round, so that a slow spell of the machine hits all of
    them alike; the garbage collector runs between runs, not during them.
    """
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():  # warm-up: caches, first-call costs
        for _ in range(max(3, n // 10)):
            fn()
    while True:
        for name, fn in fns.items():
            gc.collect()
            gc.disable()
            try:
                start = time.process_time()
                for _ in range(n):
                    fn()
                samples[name].append((time.process_time() - start) / n)
            finally:
                gc.enable()
        result = {name: Stable.of(times) for name, times in samples.items()}
        rounds = len(samples[next(iter(fns))])
        if rounds >= max_rounds or (rounds >= AGREE and all(r.stable for r in result.values())):
            return result


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
    response.raw = io.BytesIO(body)  # read as a socket's body is: iter_content() (stream=True) reads it in chunks
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
