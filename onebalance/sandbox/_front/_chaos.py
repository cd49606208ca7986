"""Transport-level fault injection, one design for the three sandboxes (One Balance, UPS, FedEx).

Each sandbox has a :class:`Faults` as ``sandbox.faults``. Faults are scripted per operation
(``faults.script("PurchasePostage", "reset_after")``) or drawn at random with a seed
(``faults.random(rate=0.1, seed=7)``); ``faults.fired`` records every fault injected, with
whether the service acted on the request (its state changed) before the fault hit.

The same fault is injected for real over HTTP (sockets closed with an RST, answers cut short,
delays) and in-process (the exception ``requests`` would raise, or the same bytes). See
``KINDS`` for what each kind does in each mode, and docs/sandbox.md ("Fault injection").

When nothing is configured (no fault, no latency), the front costs one attribute check:
``faults.active``. How a fault is injected is ``_inject``'s.
"""

from __future__ import annotations

import random as _random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["ACTING_KINDS", "DEFAULT_DELAY", "KINDS", "Answer", "FaultSpec", "Faults", "FiredFault"]

#: Every fault kind. "Acts" says whether the service runs the request (its state changes).
#:
#: ============== ===== ==================================================== ==========================================
#: kind           acts  over HTTP                                            in-process (``responses``)
#: ============== ===== ==================================================== ==========================================
#: refused        no    RST before the request is read (see below)           ConnectionError (ECONNREFUSED)
#: reset_before   no    request read, then RST (SO_LINGER 0 close)           ConnectionError (ECONNRESET)
#: reset_after    yes   request run, then RST instead of the answer          ConnectionError (ECONNRESET)
#: timeout_before no    ``delay`` s of silence, then a 504 HTML page         ReadTimeout if the client's read timeout
#:                                                                           < ``delay``; else sleep, 504 page
#: timeout_after  yes   request run, the answer sent ``delay`` s later       ReadTimeout if the client's read timeout
#:                                                                           < ``delay``; else sleep, the answer
#: http_500       no    500 with a plain-text body                           the same answer
#: http_502       no    502 with a plain-text body                           the same answer
#: http_503       no    503 with a plain-text body                           the same answer
#: truncated      yes   request run, Content-Length of the whole answer,     the same answer: ``requests`` raises
#:                      half of its bytes, then the connection is closed     ChunkedEncodingError (IncompleteRead)
#: html           no    502 with a load balancer's HTML error page           the same answer
#: http_429       no    429 with ``Retry-After: <retry_after>``              the same answer
#: http_429_bare  no    429 without Retry-After                              the same answer
#: ============== ===== ==================================================== ==========================================
#:
#: A connection cannot be refused per operation: the kernel accepts it before the server knows
#: which operation it carries. Over HTTP, ``refused`` resets the connection as soon as the request
#: line and headers are read (the body is never read), so the client sees a ConnectionError as it
#: would for a refusal; a true ECONNREFUSED is what a stopped server gives (``server.stop()``).
KINDS = (
    "refused",
    "reset_before",
    "reset_after",
    "timeout_before",
    "timeout_after",
    "http_500",
    "http_502",
    "http_503",
    "truncated",
    "html",
    "http_429",
    "http_429_bare",
)
#: The kinds where the service runs the request before the fault hits (the client cannot tell).
ACTING_KINDS = frozenset({"reset_after", "timeout_after", "truncated"})
#: Seconds a ``timeout_*`` fault holds the answer unless told otherwise: longer than the SDK's
#: default read timeout (30 s). Pass ``delay`` just above your client's read timeout in tests.
DEFAULT_DELAY = 60.0
#: Any operation (in ``script``).
ANY = "*"

#: (status, headers without Content-Length, body)
Answer = tuple[int, Mapping[str, str], bytes]

_PLAIN = {"Content-Type": "text/plain; charset=utf-8"}
_HTML = {"Content-Type": "text/html"}
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Time-out"}


def _html_page(status: int) -> bytes:
    title = f"{status} {_REASONS.get(status, 'Error')}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    ).encode()


@dataclass(frozen=True)
class FaultSpec:
    """One fault to inject: what, and its parameters."""

    kind: str
    delay: float = DEFAULT_DELAY
    retry_after: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"no fault kind {self.kind!r}; the kinds are {', '.join(KINDS)}")
        if isinstance(self.delay, bool) or not isinstance(self.delay, (int, float)) or self.delay < 0:
            raise ValueError("delay must be a number of seconds (>= 0)")
        if isinstance(self.retry_after, bool) or not isinstance(self.retry_after, int) or self.retry_after < 0:
            raise ValueError("retry_after must be a whole number of seconds (>= 0)")

    @property
    def acts(self) -> bool:
        """Whether the service runs the request before the fault hits."""
        return self.kind in ACTING_KINDS

    def answer(self) -> Answer:
        """The answer of the kinds that answer without running the request."""
        kind = self.kind
        if kind.startswith("http_5"):
            status = int(kind[5:])
            return status, _PLAIN, f"{status} {_REASONS[status]}\n".encode()
        if kind == "html":
            return 502, _HTML, _html_page(502)
        if kind == "timeout_before":
            return 504, _HTML, _html_page(504)
        if kind == "http_429":
            return 429, {**_PLAIN, "Retry-After": str(self.retry_after)}, b"429 Too Many Requests\n"
        if kind == "http_429_bare":
            return 429, _PLAIN, b"429 Too Many Requests\n"
        raise AssertionError(kind)  # pragma: no cover - only called for the answering kinds


@dataclass(frozen=True)
class FiredFault:
    """A fault that was injected: into which operation, which kind, and whether the service acted."""

    operation: str
    kind: str
    #: True when the service ran the request (its state may have changed) before the fault hit.
    acted: bool
    #: "script" or "random".
    source: str


@dataclass
class _Script:
    operation: str
    spec: FaultSpec
    remaining: int | None  # None: every matching call


@dataclass
class _Random:
    rate: float
    rng: _random.Random
    kinds: tuple[str, ...]
    operations: frozenset[str] | None
    delay: float
    retry_after: int


class Faults:
    """The faults (and added latency) of one sandbox; thread-safe. See the module docstring.

    Operation names: One Balance uses the SWSIM operation (``"PurchasePostage"``, taken from the
    request's SOAPAction); UPS and FedEx use ``"oauth"``, ``"rate"``, ``"ship"``, ``"void"`` and
    ``"track"``. The control API is never faulted.
    """

    def __init__(self) -> None:
        #: Whether anything is configured: the mounts check this one attribute.
        self.active = False
        self._lock = threading.Lock()
        self._scripts: list[_Script] = []
        self._random: _Random | None = None
        self._fired: list[FiredFault] = []
        self._latency = 0.0
        self._wake = threading.Event()

    # -- configuration ---------------------------------------------------------------------------
    @property
    def latency(self) -> float:
        """Seconds added before every service call (0: none), e.g. 0.05 for throughput benchmarks."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 60:
            raise ValueError("latency must be a number of seconds in [0, 60]")
        with self._lock:
            self._latency = float(seconds)
            self._update()

    def script(
        self,
        operation: str,
        kind: str,
        *,
        times: int | None = 1,
        delay: float = DEFAULT_DELAY,
        retry_after: int = 1,
    ) -> None:
        """Inject ``kind`` into the next ``times`` calls of ``operation`` (``"*"``: any; ``times=None``:
        every call until ``clear()``). Scripts are used in the order given, before random faults."""
        spec = FaultSpec(kind, delay, retry_after)
        if not isinstance(operation, str) or not operation:
            raise ValueError("operation must be an operation name, or '*' for any")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise ValueError("times must be a positive whole number, or None for every call")
        with self._lock:
            self._scripts.append(_Script(operation, spec, times))
            self._update()

    def random(
        self,
        rate: float,
        seed: int | None = None,
        *,
        kinds: Iterable[str] = KINDS,
        operations: Iterable[str] | None = None,
        delay: float = DEFAULT_DELAY,
        retry_after: int = 1,
    ) -> None:
        """Inject a fault into each call (of ``operations``, or all) with probability ``rate``, its kind
        drawn from ``kinds``. The same ``seed`` and the same sequence of calls give the same faults
        (calls made concurrently arrive in no fixed order). Replaces any earlier ``random``."""
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError("rate must be a probability in [0, 1]")
        chosen = tuple(kinds)
        if not chosen:
            raise ValueError("kinds must name at least one fault kind")
        for kind in chosen:
            FaultSpec(kind, delay, retry_after)  # validates
        if isinstance(operations, str):
            raise ValueError("operations must be a list of operation names")
        ops = None if operations is None else frozenset(operations)
        with self._lock:
            self._random = _Random(float(rate), _random.Random(seed), chosen, ops, float(delay), retry_after)  # noqa: S311 - reproducible, not secret
            self._update()

    def clear(self) -> None:
        """Remove every scripted and random fault, forget ``fired`` and cut short any delay in
        progress. The latency stays (set ``latency = 0`` to remove it)."""
        with self._lock:
            self._scripts.clear()
            self._random = None
            self._fired.clear()
            self._update()
        self._wake.set()
        self._wake.clear()

    @property
    def fired(self) -> list[FiredFault]:
        """The faults injected since the last ``clear()``, oldest first."""
        with self._lock:
            return list(self._fired)

    @property
    def pending(self) -> int:
        """How many scripted faults are still to fire (a script with ``times=None`` counts once)."""
        with self._lock:
            return sum(s.remaining or 1 for s in self._scripts)

    def _update(self) -> None:
        self.active = bool(self._scripts or self._random is not None or self._latency)

    # -- injection -------------------------------------------------------------------------------
    def take(self, operation: str | None) -> FaultSpec | None:
        """The fault to inject into this call of ``operation`` (None: not faultable), recorded in
        ``fired``; None when the call goes through. Sleeps the latency first."""
        if operation is None:
            return None
        if self._latency:
            self.wait(self._latency)
        with self._lock:
            for script in self._scripts:
                if script.operation in (operation, ANY):
                    if script.remaining is not None:
                        script.remaining -= 1
                        if script.remaining == 0:
                            self._scripts.remove(script)
                    self._fired.append(FiredFault(operation, script.spec.kind, script.spec.acts, "script"))
                    self._update()
                    return script.spec
            chance = self._random
            if chance is None or (chance.operations is not None and operation not in chance.operations):
                return None
            if chance.rng.random() >= chance.rate:
                return None
            spec = FaultSpec(chance.rng.choice(chance.kinds), chance.delay, chance.retry_after)
            self._fired.append(FiredFault(operation, spec.kind, spec.acts, "random"))
            return spec

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, cut short by ``clear()``."""
        if seconds > 0:
            self._wake.wait(seconds)
