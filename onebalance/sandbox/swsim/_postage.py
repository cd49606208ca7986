"""Postage operations: PurchasePostage, SetAutoBuy, EnumCostCodes, GetBalanceHistory(+ByToken).

The balance they move is kept in the account's ledger (see ``_ledger``).

**PurchasePostage** is synchronous, as in v111. A repeat of an IntegratorTxID answers the first
result again without processing anything (a success: its TransactionID and the PostageBalance
of then; a fault: the same fault). Results are kept per account, the last 1000: an account
belongs to one integration, so this is the (integration id, IntegratorTxID) key scoped to one
merchant, and a repeat never shows another merchant's balance. Otherwise, in this order:

==================================================  ===================================================
Check                                               Answer
==================================================  ===================================================
a purchase answered Pending/Processing is open      fault 8004041b (also for a repeat of its own
                                                    IntegratorTxID, until it completes)
payment hold / admin hold / activity blocked        fault 00450190 / 00450191 / 00560201
capability CanUseInvoicing                          fault 00560106
capability CanPurchasePostage false                 fault 8004800b
PurchaseAmount < $10.00, or not whole cents         fault 00560103
ControlTotal is not the account's                   fault 00450116 (nothing is bought)
balance (+ an open purchase) + amount > maximum     fault 00560104 (the text quotes the maximum)
month-to-date purchases + amount > monthly limit    fault 80040c58 (calendar month of the sandbox
                                                    clock, UTC; auto-buys count)
the next-outcome knob says Rejected                 Rejected with the knob's RejectionCode
the knob says Pending / Processing                  that status; nothing bought yet (see below)
the default payment method is declined, expired     Rejected, CustomerActionRequired, "The payment
or missing                                          method was declined." (or why); a payment hold
                                                    is placed; nothing bought
otherwise                                           Success: a new TransactionID, a Purchase entry,
                                                    the charge recorded, the new PostageBalance
==================================================  ===================================================

Every answer carries a TransactionID (a rejected attempt gets one too, with nothing posted).
On v111 ``RejectionCode`` is ``minOccurs=1 nillable=true``: the sandbox sends it
``xsi:nil="true"`` unless the status is Rejected, so that no code is ever claimed for a purchase
that was not rejected. v135 has no RejectionCode; a Success carries a ``ProcessorTransactionID``
(``pp_`` and the TransactionID in 12 digits, the same on a replay). ``RejectionReason`` is sent
only when Rejected. ``MIRequired`` is false.
``SendEmail=true`` emails a receipt (to the outbox) on success.

**Pending / Processing** (only through ``Sandbox.set_next_purchase_outcome``): the purchase is
answered with that status and a TransactionID, and completes on the account's **next
GetAccountInfo**, before that call reports the balance: the Purchase entry is posted and the
method charged then (see ``_ledger.settle_pending``). Until then every PurchasePostage answers
8004041b; afterwards a repeat of its IntegratorTxID answers the completed result.

**SetAutoBuy** checks, in order: payment hold 00450190, admin hold 00450191, activity blocked
00560201, CanPurchasePostage false 0045018c, CanUseInvoicing 0045018b, not an administrator
(capability CanManageUsers false) 0045018a; and when enabling: TriggerAmount <= 0 0045018d,
PurchaseAmount < $10.00 (or not whole cents) 0045018e, TriggerAmount + PurchaseAmount > MaxPostageBalance 0045018f.
The settings are stored as sent (omitted amounts are 0.00) and reported in GetAccountInfo's
``AccountInfo.AutoBuySettings`` from then on. Setting them buys nothing: the refill happens in
the call that next debits the balance (``_ledger.auto_buy``).

**GetBalanceHistory** lists ledger entries dated (UTC) from TransactionDateMin to
TransactionDateMax (inclusive; no end if omitted) of the types in Filters (``All``, or no type at
all, means every type), newest first, TransactionsPerPage per page (50 if omitted, at most 500;
values outside 1..500 are clamped). It answers the first page, TotalTransactions, TotalPages (0
when there are none) and a BalanceHistoryToken that remembers the query and a snapshot of the
ledger (its newest entry then); ``Transactions`` is omitted when the page is empty.
**GetBalanceHistoryByToken** answers page PageNumber (default 1; pages below 1 are page 1, past
the end are empty) of that snapshot. An unknown token answers 002b0905 (the sandbox's code).

**EnumCostCodes** lists the account's cost codes (``Sandbox.set_cost_codes``).
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from decimal import Decimal
from typing import Any

from onebalance.swsim import SwsimVersion

from .._shared._vocabulary import CENT
from . import _errors as faults
from . import _ledger
from ._account_models import AutoBuy, EntryType, HistoryQuery, Hold, LedgerEntry, PendingPurchase, PurchaseReplay
from ._dispatch import Call
from ._errors import SandboxFault
from ._state import SandboxAccount, SandboxState

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
ENTRY_TYPES: tuple[EntryType, ...] = ("Purchase", "Credit", "Print", "Adjustment", "Refund")
_REJECTION_REASONS = {
    "CustomerActionRequired": "The payment could not be completed: the customer must update the payment method.",
    "SystemFailure": "The payment system failed; try again later.",
    "RejectedDueToFraud": "The purchase was rejected by fraud screening.",
}
_XS_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?")


# -- PurchasePostage -------------------------------------------------------------------------------
def purchase_postage(call: Call) -> dict[str, Any]:
    """Buy postage with the default payment method (see the module docstring for every rule)."""
    account, request = call.user, call.request
    tx_id: str | None = request.get("IntegratorTxID")
    if tx_id is not None and tx_id in account.purchase_replays:
        return _replayed(account.purchase_replays[tx_id], call.version)
    if account.pending_purchase is not None:
        raise SandboxFault(faults.PURCHASE_PENDING)
    try:
        replay = _purchase(call.state, account, request["PurchaseAmount"], request["ControlTotal"], tx_id)
    except SandboxFault as fault:
        if tx_id is not None:
            _ledger.remember(account, tx_id, PurchaseReplay(fault_code=fault.code, fault_message=fault.message))
            call.state.touch(account)
        raise
    if tx_id is not None and replay.status in ("Success", "Rejected"):
        _ledger.remember(account, tx_id, replay)
    if replay.status == "Success" and request.get("SendEmail"):
        call.state.send(
            "email",
            account,
            account.email,
            "Your postage purchase",
            f"${account.ledger[-1].credit:,.2f} of postage was added to {account.username} "
            f"(transaction {replay.transaction_id}). Your balance is ${replay.available_postage:,.2f}.",
        )
    call.state.touch(account)
    return _response(replay, call.version)


def _purchase(
    state: SandboxState, account: SandboxAccount, amount: Decimal, control_total: Decimal, tx_id: str | None
) -> PurchaseReplay:
    check_may_purchase(account)
    if amount < _ledger.MINIMUM_PURCHASE or not _ledger.is_cents(amount):
        raise SandboxFault(
            faults.PURCHASE_AMOUNT_OUT_OF_BOUNDS,
            f"Purchase postage amount out of bounds: {amount} (the minimum is $10.00, in whole cents).",
        )
    amount = amount.quantize(CENT)
    if control_total != account.control_total:
        raise SandboxFault(
            faults.PURCHASE_STALE_CONTROL_TOTAL,
            "Purchase stale control total: postage was printed or bought since the balance was read.",
        )
    if _ledger.committed(account) + amount > account.max_postage_balance:
        raise SandboxFault(
            faults.ABOVE_MAX_POSTAGE_BALANCE,
            f"The purchase cannot exceed the maximum postage balance of ${account.max_postage_balance:,.2f}.",
        )
    now = state.clock.now()
    limit = account.monthly_postage_purchase_limit
    if limit > 0 and _ledger.month_to_date(account, now) + amount > limit:  # 0: no monthly limit
        raise SandboxFault(faults.MONTHLY_LIMIT_EXCEEDED, f"Monthly meter purchase limit of ${limit:,} exceeded.")
    transaction_id = _ledger.next_transaction_id(state)
    available, current_total = _ledger.balance(account)
    outcome = account.next_purchase_outcome
    account.next_purchase_outcome = None
    if outcome is not None and outcome.status == "Rejected":
        code = outcome.rejection_code or "CustomerActionRequired"
        return PurchaseReplay(
            status="Rejected",
            transaction_id=transaction_id,
            available_postage=available,
            control_total=current_total,
            rejection_reason=_REJECTION_REASONS[code],
            rejection_code=code,
        )
    if outcome is not None:
        account.pending_purchase = PendingPurchase(
            transaction_id=transaction_id,
            amount=amount,
            status=outcome.status,
            integrator_tx_id=tx_id,
            requested_at=now,
        )
        return PurchaseReplay(
            status=outcome.status,
            transaction_id=transaction_id,
            available_postage=available,
            control_total=current_total,
        )
    result = _ledger.pay(
        state, account, amount, transaction_id=transaction_id, purchase_type="Manual", integrator_tx_id=tx_id
    )
    return _ledger.replay_of(account, transaction_id, result)


def check_may_purchase(account: SandboxAccount) -> None:
    """Holds, invoicing and the purchase capability, in the service's order."""
    _check_holds(account)
    if account.capabilities.get("CanUseInvoicing", False):
        raise SandboxFault(faults.INVOICED_ACCOUNT)
    if not account.capabilities.get("CanPurchasePostage", False):
        raise SandboxFault(faults.PURCHASE_DISABLED)


def _check_holds(account: SandboxAccount) -> None:
    for hold, code in (
        (Hold.PAYMENT_HOLD, faults.PAYMENT_HOLD),
        (Hold.ADMIN_HOLD, faults.ADMIN_HOLD),
        (Hold.ACTIVITY_BLOCKED, faults.ACTIVITY_BLOCKED),
    ):
        if hold in account.holds:
            raise SandboxFault(code)


def _replayed(replay: PurchaseReplay, version: SwsimVersion) -> dict[str, Any]:
    if replay.fault_code is not None:
        raise SandboxFault(replay.fault_code, replay.fault_message)
    return _response(replay, version)


def _response(replay: PurchaseReplay, version: SwsimVersion) -> dict[str, Any]:
    result: dict[str, Any] = {
        "PurchaseStatus": replay.status,
        "TransactionID": replay.transaction_id,
        "PostageBalance": {"AvailablePostage": replay.available_postage, "ControlTotal": replay.control_total},
    }
    if replay.status == "Rejected":
        result["RejectionReason"] = replay.rejection_reason
    result["MIRequired"] = False
    if version.purchase_rejection_code:
        # v111: minOccurs=1 nillable, xsi:nil unless the purchase was rejected (see the module docstring).
        result["RejectionCode"] = replay.rejection_code if replay.status == "Rejected" else None
    elif replay.status == "Success" and replay.transaction_id is not None:
        result["ProcessorTransactionID"] = processor_transaction_id(replay.transaction_id)
    return result


def processor_transaction_id(transaction_id: int) -> str:
    """v135's ProcessorTransactionID of a successful purchase: derived from its TransactionID, so a replay
    answers the same one."""
    return f"pp_{transaction_id:012d}"


# -- SetAutoBuy ------------------------------------------------------------------------------------
def set_auto_buy(call: Call) -> dict[str, Any]:
    account = call.user
    settings = call.request["AutoBuySettings"]
    _check_holds(account)
    if not account.capabilities.get("CanPurchasePostage", False):
        raise SandboxFault(faults.AUTO_BUY_NO_PURCHASE_PERMISSION)
    if account.capabilities.get("CanUseInvoicing", False):
        raise SandboxFault(faults.AUTO_BUY_INVOICED)
    if not account.capabilities.get("CanManageUsers", False):
        raise SandboxFault(faults.AUTO_BUY_NOT_ADMIN)
    auto = AutoBuy(
        enabled=settings["AutoBuyEnabled"],
        purchase_amount=settings.get("PurchaseAmount") or Decimal("0.00"),
        trigger_amount=settings.get("TriggerAmount") or Decimal("0.00"),
    )
    problem = auto_buy_problem(auto, account.max_postage_balance)
    if problem is not None:
        raise SandboxFault(*problem)
    account.auto_buy = auto
    call.state.touch(account)
    return {}


def auto_buy_problem(auto: AutoBuy, maximum: Decimal) -> tuple[str, str] | None:
    """The code and text refusing enabled settings, or None (disabled settings are always fine)."""
    if not auto.enabled:
        return None
    if auto.trigger_amount <= 0:
        return faults.AUTO_BUY_TRIGGER_NOT_POSITIVE, faults.MESSAGES[faults.AUTO_BUY_TRIGGER_NOT_POSITIVE]
    if auto.purchase_amount < _ledger.MINIMUM_PURCHASE or not _ledger.is_cents(auto.purchase_amount):
        return faults.AUTO_BUY_AMOUNT_BELOW_MINIMUM, faults.MESSAGES[faults.AUTO_BUY_AMOUNT_BELOW_MINIMUM]
    if auto.trigger_amount + auto.purchase_amount > maximum:
        return (
            faults.AUTO_BUY_ABOVE_MAXIMUM,
            f"The auto-buy TriggerAmount plus PurchaseAmount may not exceed the maximum postage balance "
            f"of ${maximum:,.2f}.",
        )
    return None


def auto_buy_on_wire(account: SandboxAccount) -> dict[str, Any] | None:
    """GetAccountInfo's AutoBuySettings (None until SetAutoBuy or the control API set them)."""
    if account.auto_buy is None:
        return None
    return {
        "AutoBuyEnabled": account.auto_buy.enabled,
        "PurchaseAmount": account.auto_buy.purchase_amount,
        "TriggerAmount": account.auto_buy.trigger_amount,
    }


# -- EnumCostCodes ---------------------------------------------------------------------------------
def enum_cost_codes(call: Call) -> dict[str, Any]:
    return {"CostCodes": {"CostCodes": [{"id": c.id, "name": c.name} for c in call.user.cost_codes]}}


# -- GetBalanceHistory -----------------------------------------------------------------------------
def get_balance_history(call: Call) -> dict[str, Any]:
    account, request = call.user, call.request
    per_page = request.get("TransactionsPerPage")
    date_max = request.get("TransactionDateMax")
    wanted = set((request.get("Filters") or {}).get("TransactionType") or [])
    query = HistoryQuery(
        per_page=DEFAULT_PER_PAGE if per_page is None else min(max(per_page, 1), MAX_PER_PAGE),
        date_min=_date(request["TransactionDateMin"], "TransactionDateMin"),
        date_max=None if date_max is None else _date(date_max, "TransactionDateMax"),
        types=list(ENTRY_TYPES) if not wanted or "All" in wanted else [t for t in ENTRY_TYPES if t in wanted],
        last_entry_id=account.ledger[-1].id if account.ledger else 0,
        created_at=call.state.clock.now(),
    )
    token = secrets.token_urlsafe(18)
    account.history_queries[token] = query
    _ledger.keep_newest(account.history_queries, _ledger.HISTORY_QUERIES_KEPT)
    call.state.touch(account)
    entries = _matching(account, query)
    pages = -(-len(entries) // query.per_page)
    return {
        "BalanceHistoryToken": token,
        "TotalTransactions": len(entries),
        "TotalPages": pages,
        **_page(entries, 1, query.per_page),
    }


def get_balance_history_by_token(call: Call) -> dict[str, Any]:
    account, request = call.user, call.request
    token = request["BalanceHistoryToken"]
    query = account.history_queries.get(token)
    if query is None:
        raise SandboxFault(faults.UNKNOWN_HISTORY_TOKEN)
    entries = _matching(account, query)
    page = request.get("PageNumber")
    return {
        "BalanceHistoryToken": token,
        "TransactionsPerPage": query.per_page,
        "TotalTransactions": len(entries),
        **_page(entries, max(page or 1, 1), query.per_page),
    }


def _date(text: str, name: str) -> date:
    m = _XS_DATE.fullmatch(text.strip())
    try:
        if m is None:
            raise ValueError(text)
        return date.fromisoformat(m.group(1))
    except ValueError:
        raise SandboxFault.schema_violation(
            f"The '{name}' element is invalid - The value '{text[:40]}' is invalid according to its datatype 'date'."
        ) from None


def _matching(account: SandboxAccount, query: HistoryQuery) -> list[LedgerEntry]:
    """The query's entries, newest first."""
    return [
        e
        for e in reversed(account.ledger)
        if e.id <= query.last_entry_id
        and e.type in query.types
        and query.date_min <= e.date.date()
        and (query.date_max is None or e.date.date() <= query.date_max)
    ]


def _page(entries: list[LedgerEntry], number: int, per_page: int) -> dict[str, Any]:
    chosen = entries[(number - 1) * per_page : number * per_page]
    if not chosen:
        return {}
    return {"Transactions": {"Transaction": [_transaction(e) for e in chosen]}}


def _transaction(entry: LedgerEntry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "Date": entry.date,
        "Cost": entry.cost,
        "Credit": entry.credit,
        "Balance": entry.balance,
        "Type": entry.type,
        "Brand": entry.brand,
    }
    if entry.purchase_type is not None:
        item["PurchaseType"] = entry.purchase_type
    return item
