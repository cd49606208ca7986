"""Funding the USPS postage balance: quotes, fees, purchases, receipts, auto-refill, notices and the
settling of refills cut off mid-way (``Postage``).

The room's face: other rooms import these names from here. Inside: ``_postage`` (``Postage``, which
composes the rest), ``_quotes`` (the rules and the price), ``_fees`` (the administrative fee),
``_purchase`` (the journalled purchase), ``_refill_settle`` (purchases cut off mid-way),
``_autorefill`` (the SDK's auto-refill: amount, back-off, lock), ``_history`` and ``_notify``.
"""

from ._autorefill import BACKOFF_FIRST, BACKOFF_LONGEST, RefillPlan, plan_refill, refill_due
from ._fees import PaymentKind
from ._history import History, HistoryEntry, HistoryType
from ._notify import (
    CallbackNotifier,
    EmailNotifier,
    LowBalanceEvent,
    Notifier,
    RefillEvent,
    RefillFailedEvent,
    RefillProposal,
)
from ._postage import Postage
from ._quotes import Balance, Quote, money
from ._refill_settle import SETTLE_AFTER, RefillSettlement

__all__ = [
    "BACKOFF_FIRST",
    "BACKOFF_LONGEST",
    "SETTLE_AFTER",
    "Balance",
    "CallbackNotifier",
    "EmailNotifier",
    "History",
    "HistoryEntry",
    "HistoryType",
    "LowBalanceEvent",
    "Notifier",
    "PaymentKind",
    "Postage",
    "Quote",
    "RefillEvent",
    "RefillFailedEvent",
    "RefillPlan",
    "RefillProposal",
    "RefillSettlement",
    "money",
    "plan_refill",
    "refill_due",
]

# The names other rooms use (they import them from here, not from the modules).
