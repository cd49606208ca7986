"""The one retry policy of the SDK (SWSIM, UPS and FedEx), built on tenacity.

Every network call goes through :func:`run`. An attempt either returns, raises a final error
(a service fault, bad input...), or raises :class:`Transient`: a failure another attempt may
not meet (no connection, a timeout, HTTP 429, a 5xx that is not a service answer, an HTML or
truncated body). What happens to a :class:`Transient` depends on the operation's
:class:`Safety`:

``READ``
    Nothing changes on the service (GetAccountInfo, GetRates, TrackShipment, EnumCostCodes,
    GetBalanceHistory, UPS/FedEx rate, track and OAuth, AuthenticateUser...): retried on every
    transient failure.
``KEYED``
    Moves money, but every attempt carries the same idempotency key, which the service
    recognises and answers with the first result (PurchasePostage: the same IntegratorTxID and
    the same ControlTotal; CreateIndicium: the same IntegratorTxID; CancelIndicium: a label is
    refunded once however often it is voided). Retried on every transient failure. When the
    attempts run out after the service may have received one of them, :class:`OutcomeUnknown`
    is raised with the key: whether money moved is unknown, and the same key may be sent
    again later to find out.
``UNSAFE``
    A write the service does not promise to recognise when repeated (UPS and FedEx ship on the
    real APIs, AddUserPaymentMethod, ChangePassword, RegisterAccount, ...): retried only when
    the request provably never reached the service (no connection was made, or HTTP 429). Any
    other failure is raised at once; for an operation that moves money it is
    :class:`OutcomeUnknown`.

Waits are jittered exponential (``backoff_base`` doubling, at most ``backoff_max``); a
``Retry-After`` is honoured when it is no longer than ``retry_after_max`` (longer: no retry);
no wait starts that would end past ``deadline`` seconds after the first attempt, and no attempt
runs past it (``_deadline``). Every retry
is logged on the ``onebalance`` logger at INFO: ``op``, ``attempt``, ``reason``, ``wait_s``;
never a body, a password or a token.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)
from tenacity.stop import stop_base

from ._deadline import begin_call, end_call
from ._errors import ConfigurationError, OneBalanceError, OutcomeUnknown

logger = logging.getLogger("onebalance")

__all__ = ["RetryPolicy", "Safety", "Transient", "retry_after_seconds", "run", "swsim_safety"]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a failed call.

    ``attempts`` counts the first one (1 = no retry); waits grow from ``backoff_base`` seconds,
    doubling, jittered, up to ``backoff_max``; the whole call, every attempt and wait included,
    ends by ``deadline`` seconds after it starts (an attempt still running then is cut); a
    ``Retry-After`` up to ``retry_after_max`` seconds is waited out (a longer one ends the retries).
    ``RetryPolicy.none()`` never retries.
    """

    attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    deadline: float = 60.0
    retry_after_max: float = 30.0

    def __post_init__(self) -> None:
        if not isinstance(self.attempts, int) or isinstance(self.attempts, bool) or self.attempts < 1:
            raise ConfigurationError("RetryPolicy.attempts must be a whole number of at least 1")
        for name in ("backoff_base", "backoff_max", "deadline", "retry_after_max"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < float("inf"):
                raise ConfigurationError(f"RetryPolicy.{name} must be a number of seconds (0 or more)")
        if self.deadline <= 0:
            raise ConfigurationError("RetryPolicy.deadline must be more than 0 seconds: it bounds the whole call")
        if self.backoff_max < self.backoff_base:
            raise ConfigurationError("RetryPolicy.backoff_max must not be below backoff_base")

    @classmethod
    def none(cls) -> RetryPolicy:
        """One attempt, no retry."""
        return cls(attempts=1)


class Safety(enum.Enum):
    READ = "read"
    KEYED = "keyed"
    UNSAFE = "unsafe"


class Transient(Exception):
    """One attempt failed in a way a later attempt may not; ``error`` is what the caller sees if none succeeds.

    ``sent`` is False only when the service provably did not act on the request (no connection
    was made, or it answered 429); ``retry_after`` is the service's ``Retry-After`` in seconds.
    """

    def __init__(self, error: OneBalanceError, reason: str, *, sent: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason
        self.sent = sent
        self.retry_after = retry_after


#: SWSIM operations that only read, or that the service recognises when repeated (the rest are UNSAFE).
_SWSIM: dict[str, Safety] = {
    **dict.fromkeys(
        (
            "AuthenticateUser",
            "GetAccountInfo",
            "GetRates",
            "CleanseAddress",
            "TrackShipment",
            "EnumCostCodes",
            "EnumCodeWordTypes",
            "GetBalanceHistory",
            "GetBalanceHistoryByToken",
            "ListPaymentMethods",
            "GetURL",
            "GetCodewordQuestions",
            "GetSupportedCountries",
            "CheckCarrierPickupAvailability",
            "GetCarrierPickupList",
            "ReprintIndicium",  # prints the same label again, charges nothing
            "GetShipmentList",
            "GetShipmentListByToken",
        ),
        Safety.READ,
    ),
    **dict.fromkeys(("PurchasePostage", "CreateIndicium", "CancelIndicium"), Safety.KEYED),
}
#: SWSIM operations that move money: an unresolved failure is OutcomeUnknown, never a bare transport error.
MONEY = frozenset({"PurchasePostage", "CreateIndicium", "CancelIndicium"})


def swsim_safety(operation: str) -> Safety:
    return _SWSIM.get(operation, Safety.UNSAFE)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The ``Retry-After`` header in seconds (delta-seconds or an HTTP date), or None."""
    value = headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


class _StopBeforeDeadline(stop_base):
    """tenacity's ``stop_before_delay``, counted from the first attempt (made before tenacity starts)."""

    def __init__(self, started: float, deadline: float) -> None:
        self.started = started
        self.deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        ended = retry_state.outcome_timestamp
        if ended is None:
            ended = time.monotonic()
        return ended - self.started + retry_state.upcoming_sleep >= self.deadline


def run(
    policy: RetryPolicy,
    operation: str,
    attempt: Callable[[int], T],
    *,
    safety: Safety,
    key: str | None = None,
    money: bool = False,
) -> T:
    """Call ``attempt(n)`` (n = 1, 2, ...) until it returns, as ``policy`` and ``safety`` allow.

    ``key`` is the idempotency key every attempt sends (IntegratorTxID, transaction id), carried
    by :class:`OutcomeUnknown`. ``money``: the operation moves money.
    """
    token = begin_call(policy.deadline)  # call_deadline's work, without a generator (every call runs this)
    started = time.monotonic()
    try:
        try:
            # The fast path: the first attempt is called directly; the tenacity machinery (``_again``)
            # is built only after a transient failure (most calls succeed at once).
            return attempt(1)
        except Transient as exc:
            first = exc
        # Outside the ``except``: what the retries raise must not carry this failure as its context.
        return _again(policy, operation, attempt, first, started, safety=safety, key=key, money=money)
    finally:
        end_call(token)


def _again(
    policy: RetryPolicy,
    operation: str,
    attempt: Callable[[int], T],
    first: Transient,
    started: float,
    *,
    safety: Safety,
    key: str | None,
    money: bool,
) -> T:
    """The attempts after a first one (made at ``started``) failed with ``first``."""
    made = 1
    received = first.sent  # whether the service may have acted on one of the attempts

    def retryable(exc: BaseException) -> bool:
        if not isinstance(exc, Transient):
            return False
        if exc.retry_after is not None and exc.retry_after > policy.retry_after_max:
            return False
        return safety is not Safety.UNSAFE or not exc.sent

    # backoff_base, 2x, 4x... plus up to backoff_base of jitter, capped (tenacity's own pieces, 8.2+).
    backoff_wait = wait_exponential(multiplier=policy.backoff_base, max=policy.backoff_max) + wait_random(
        0, policy.backoff_base
    )

    def wait(state: RetryCallState) -> float:
        backoff = min(backoff_wait(state), policy.backoff_max)
        failure = state.outcome.exception() if state.outcome is not None else None
        if isinstance(failure, Transient) and failure.retry_after is not None:
            return max(backoff, failure.retry_after)
        return backoff

    def log_retry(state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome is not None else None
        reason = failure.reason if isinstance(failure, Transient) else "unknown"
        logger.info(
            "op=%s event=retry attempt=%d reason=%s wait_s=%.2f",
            operation,
            state.attempt_number + 1,
            reason,
            state.upcoming_sleep,
        )

    replayed = False

    def one() -> T:
        nonlocal received, made, replayed
        if not replayed:  # tenacity's attempt 1 is the failure the fast path met
            replayed = True
            raise first
        made += 1
        try:
            return attempt(made)
        except Transient as exc:
            received = received or exc.sent
            raise

    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts) | _StopBeforeDeadline(started, policy.deadline),
        wait=wait,
        retry=retry_if_exception(retryable),
        before_sleep=log_retry,
        reraise=True,
    )
    try:
        return retrying(one)
    except Transient as exc:
        if money and (received or exc.sent):
            raise OutcomeUnknown(
                operation=operation,
                idempotency_key=key,
                cause=exc.error,
                attempts=made,
            ) from None
        raise exc.error from None
