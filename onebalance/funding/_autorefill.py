"""How much the SDK's auto-refill buys, and how long a failed refill waits before the next try.

The refill buys the amount the merchant configured ("Add this postage amount"), cut to what the
account's maximum balance leaves room for, and nothing when that room is under the $10.00
minimum. When that amount would not pay for the label, the refill is not made larger on the
quiet: :class:`RefillPlan` says what would pay for it (``covering``), which the SDK buys only
when the policy opts in (``cover_shortfall``), and otherwise proposes in the
:class:`~onebalance.InsufficientFunds` it raises.

A refill that fails does not stop a label the balance pays for (see
:meth:`Postage.ensure_funds`); the account's next refill then waits for the back-off: 5 minutes
after a failure, doubled after each failure in a row, at most an hour. A refill that is bought
ends it. The back-off is kept with the merchant's :class:`~onebalance.OneBalance` client, so it
holds for every label bought through that client in this process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from onebalance.core import InsufficientFunds, OneBalanceError, PerObject
from onebalance.stores import MINIMUM_PURCHASE, AutoRefillSettings
from onebalance.swsim import Account

from ._notify import Notifier, RefillFailedEvent, RefillProposal, deliver
from ._quotes import Quote

__all__ = [
    "BACKOFF_FIRST",
    "BACKOFF_LONGEST",
    "REFILL_ATTEMPTS",
    "RefillBackoff",
    "RefillPlan",
    "backoff_for",
    "plan_refill",
    "process_refill_lock",
    "proposal",
    "refill_due",
    "report_failure",
    "shortfall_error",
]

logger = logging.getLogger("onebalance")

#: Tries of an auto-refill whose purchase met a stale ControlTotal (labels printed meanwhile).
REFILL_ATTEMPTS = 3

#: Without a store: one lock per account for refills in this process, so racing label purchases
#: refill once. A :class:`~onebalance.Store` gives a lock shared by every process instead.
_refill_locks: dict[str, threading.Lock] = {}
_refill_locks_guard = threading.Lock()


def process_refill_lock(key: str) -> threading.Lock:
    """The refill lock of the account ``key`` names, in this process."""
    with _refill_locks_guard:
        return _refill_locks.setdefault(key, threading.Lock())


def refill_due(policy: AutoRefillSettings, account: Account, cost: Decimal) -> bool:
    """Whether paying ``cost`` would take the balance below the policy's threshold."""
    return policy.enabled and account.available_postage - cost < policy.threshold


def proposal(quote: Quote, account: Account, needed: Decimal, policy: AutoRefillSettings) -> RefillProposal:
    """The refill ``quote`` put to the prompt hook (or proposed by :class:`InsufficientFunds`)."""
    return RefillProposal(
        merchant_id=quote.merchant_id,
        amount=quote.amount,
        fee=quote.fee,
        total=quote.total,
        balance=account.available_postage,
        needed=needed,
        threshold=policy.threshold,
        cost_account=quote.cost_account.name if quote.cost_account else None,
    )


#: The wait after a first failed refill; each failure in a row doubles it, up to BACKOFF_LONGEST.
BACKOFF_FIRST = timedelta(minutes=5)
BACKOFF_LONGEST = timedelta(hours=1)


@dataclass(frozen=True)
class RefillPlan:
    """What a refill can buy now, for a label costing ``needed``.

    ``amount`` is the policy's amount within the room left under the maximum balance (None when
    that room is under the $10.00 minimum); ``enough`` whether it pays for the label. When it
    does not, ``covering`` is the smallest purchase that would (at least the minimum), or None
    when even the room left could not.
    """

    amount: Decimal | None
    enough: bool
    covering: Decimal | None = None


def plan_refill(configured: Decimal, available: Decimal, maximum: Decimal, needed: Decimal) -> RefillPlan:
    """The refill for a label of ``needed`` on a balance of ``available`` (at most ``maximum``)."""
    room = max(Decimal("0.00"), maximum - available)
    amount = min(configured, room) if room >= MINIMUM_PURCHASE else None
    if amount is not None and available + amount >= needed:
        return RefillPlan(amount, True)
    covering = max(needed - available, MINIMUM_PURCHASE)
    return RefillPlan(amount, False, covering if covering <= room else None)


class RefillBackoff:
    """The back-off of one account's auto-refill after failures. Thread-safe."""

    def __init__(self, first: timedelta = BACKOFF_FIRST, longest: timedelta = BACKOFF_LONGEST) -> None:
        self.first, self.longest = first, longest
        self._failures = 0
        self._until: datetime | None = None
        self._lock = threading.Lock()

    def waiting(self, now: datetime) -> datetime | None:
        """When the next refill may be tried, while that is still ahead of ``now``; else None."""
        with self._lock:
            return self._until if self._until is not None and now < self._until else None

    def failed(self, now: datetime) -> datetime:
        """Note a failed refill; returns when the next may be tried."""
        with self._lock:
            self._failures += 1
            wait = min(self.first * 2 ** min(self._failures - 1, 16), self.longest)
            self._until = now + wait
            return self._until

    def succeeded(self) -> None:
        with self._lock:
            self._failures, self._until = 0, None


#: The back-off of the account behind a client (a OneBalance), kept as long as the client is.
backoff_for: PerObject[object, RefillBackoff] = PerObject(lambda _client: RefillBackoff())


def shortfall_error(
    merchant_id: str, available: Decimal, needed: Decimal, plan: RefillPlan, proposal: RefillProposal | None
) -> InsufficientFunds:
    """The error for a label the policy's refill would not pay for; ``proposal`` is what would."""
    assert plan.amount is not None and plan.covering is not None
    logger.info(
        "event=auto_refill_short merchant=%s amount=%s covering=%s needed=%s",
        merchant_id,
        plan.amount,
        plan.covering,
        needed,
    )
    return InsufficientFunds(
        f"{InsufficientFunds.default_message}: ${needed:,.2f} needed, ${available:,.2f} available. The "
        f"auto-refill adds ${plan.amount:,.2f}, which would not pay for it; adding ${plan.covering:,.2f} would: "
        "buy it (Postage.add), or let the auto-refill cover shortfalls (cover_shortfall=True)",
        needed=needed,
        available=available,
        proposal=proposal,
        operation="ensure_funds",
    )


def report_failure(
    notifiers: Sequence[Notifier],
    merchant_id: str,
    error: OneBalanceError,
    policy: AutoRefillSettings,
    account: Account,
    needed: Decimal,
    retry_after: datetime,
) -> None:
    """A refill failed before a label the balance pays for: a WARNING, and a notice to the notifiers."""
    plan = plan_refill(policy.amount, account.available_postage, account.max_postage_balance, needed)
    logger.warning(
        "event=auto_refill_failed merchant=%s error=%s code=%s balance=%s needed=%s retry_after=%s reason=%s",
        merchant_id,
        type(error).__name__,
        error.code,
        account.available_postage,
        needed,
        retry_after.isoformat(),
        error.message,
    )
    deliver(
        notifiers,
        RefillFailedEvent(
            merchant_id=merchant_id,
            username=account.username,
            amount=plan.amount,
            balance=account.available_postage,
            needed=needed,
            threshold=policy.threshold,
            error=type(error).__name__,
            detail=error.message,
            code=error.code,
            retry_after=retry_after,
            notify_email=policy.notify_email,
        ),
    )
