"""Settling postage purchases cut off mid-way: :meth:`Postage.settle <onebalance.Postage.settle>`.

A purchase the refill journal (``_refills``) still has as pending was sent, or about to be, when
its process died or its connection broke: the service may have bought it, with no receipt in
the SDK. It is resolved against the service through its IntegratorTxID, which the service
keeps: a PurchasePostage carrying an IntegratorTxID it has seen is answered with the first
call's result, without processing anything (SWSIM's replay, which the sandbox keeps too).

A plain repeat would buy the postage if the first call never arrived, and settling must never
buy. So the repeat sent to settle (the *probe*) carries a ControlTotal the account does not
have: the one the purchase was sent with when prints have moved the account's since, else
that one plus one cent. The service then either replays the first answer (it had the
purchase: a receipt is made from that answer) or treats the probe as a new purchase and
refuses it for the stale ControlTotal (or an earlier check): nothing was bought under that
IntegratorTxID, and nothing can be any more, since the service now answers it with that
refusal, even to a first call still on its way. The entry is marked not bought; buying the
postage then takes a new purchase (a new quote), asked for by the user.

What the probe's answer means:

======================================================  ======================================
answer                                                  the refill is
======================================================  ======================================
Success                                                 bought: its receipt is made (dated
                                                        when the purchase was sent, so the
                                                        history matches it)
Rejected; a fault refusing a purchase (stale            not bought
ControlTotal, amount, maximum balance, monthly limit,
invoiced, holds, capability, payment)
Pending / Processing; PurchaseInProgress                still pending (the service is working
                                                        on it): settle again later
another fault (schema, unknown): the service did not    still pending, with the fault
answer for the purchase
no answer (transport), a login refused                  raised: nothing was concluded
======================================================  ======================================

A purchase younger than ``older_than`` (5 minutes by default) is left alone: its worker may
still be waiting for the answer (the probe would then turn that live purchase into a refusal).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from onebalance.core import (
    AccountSuspended,
    AuthenticationError,
    BalanceLimitExceeded,
    ConnectError,
    ConversationError,
    InvalidAmount,
    InvoicedAccount,
    MonthlyLimitExceeded,
    OneBalanceError,
    PaymentMethodRefused,
    PermissionDenied,
    PurchaseInProgress,
    PurchaseRejected,
    ServiceError,
    StaleControlTotal,
    ValidationError,
)
from onebalance.stores import PostageRecords, RefillEntry, RefillJournal
from onebalance.swsim import OneBalance, Receipt

__all__ = ["SETTLE_AFTER", "RefillSettlement", "not_bought", "settle"]

#: A pending refill younger than this is not settled: its worker may still be waiting for the answer.
SETTLE_AFTER = timedelta(minutes=5)
CENT = Decimal("0.01")

#: PurchasePostage's refusals: the service answered for the purchase, and bought nothing.
_REFUSALS: tuple[type[OneBalanceError], ...] = (
    StaleControlTotal,
    PurchaseRejected,
    InvalidAmount,
    BalanceLimitExceeded,
    MonthlyLimitExceeded,
    InvoicedAccount,
    PermissionDenied,
    PaymentMethodRefused,
    AccountSuspended,  # payment hold, admin hold, activity blocked, capability disabled
)


def not_bought(exc: BaseException) -> bool:
    """Whether a failed PurchasePostage certainly bought nothing: the service refused it, or it never
    reached the service (no connection was made, on any attempt). Anything else may have bought."""
    return isinstance(exc, _REFUSALS) or type(exc) is ConnectError


class RefillSettlement(BaseModel):
    """What settling found for one refill: ``bought`` (with its ``receipt``), ``not_bought``, or still
    ``pending`` (``detail`` says why: too young, or the service is still processing it)."""

    model_config = ConfigDict(frozen=True)

    entry: RefillEntry
    outcome: Literal["bought", "not_bought", "pending"]
    receipt: Receipt | None = None
    detail: str


def settle(
    client: OneBalance,
    records: PostageRecords,
    journal: RefillJournal,
    merchant_id: str,
    integrator_tx_id: str | None,
    *,
    older_than: timedelta,
    now: datetime,
) -> list[RefillSettlement]:
    """Settle the merchant's pending refills (or the one with ``integrator_tx_id``); see the module."""
    if older_than < timedelta(0):
        raise ValidationError("older_than must not be negative", field="older_than")
    if integrator_tx_id is None:
        entries = journal.pending(merchant_id)
    else:
        found = journal.get(integrator_tx_id)
        if found is None or found.merchant_id != merchant_id:
            raise ValidationError(
                f"no postage purchase {integrator_tx_id!r} of merchant {merchant_id!r} in the refill journal",
                field="integrator_tx_id",
            )
        if not found.pending:
            receipt = records.receipt_for(found.integrator_tx_id) if found.state == "bought" else None
            return [RefillSettlement(entry=found, outcome=found.state, receipt=receipt, detail="settled already")]
        entries = [found]
    settled = []
    for entry in entries:
        if now - entry.started_at < older_than:
            age = int((now - entry.started_at).total_seconds() // 60)
            detail = (
                f"sent {age} min ago: it may still be waiting for its answer; settle it once it is "
                f"{int(older_than.total_seconds() // 60)} min old"
            )
            settled.append(RefillSettlement(entry=entry, outcome="pending", detail=detail))
        else:
            settled.append(_settle_one(client, records, journal, entry, now))
    return settled


def _settle_one(
    client: OneBalance, records: PostageRecords, journal: RefillJournal, entry: RefillEntry, now: datetime
) -> RefillSettlement:
    kept = records.receipt_for(entry.integrator_tx_id)
    if kept is not None and kept.status == "Success":  # the receipt was made; only the journal missed it
        return _bought(journal, entry, kept, now)
    account = client.account()
    probe = entry.control_total if entry.control_total != account.control_total else entry.control_total + CENT
    try:
        result = client.purchase_postage(entry.amount, probe, entry.integrator_tx_id)
    except PurchaseInProgress:
        return RefillSettlement(
            entry=entry, outcome="pending", detail="the service is still processing a purchase: settle again later"
        )
    except OneBalanceError as exc:
        if isinstance(exc, _REFUSALS):
            reason = f"the service has no purchase under its IntegratorTxID ({type(exc).__name__}: {exc.message})"
            return _not_bought(journal, entry, reason, now)
        if isinstance(exc, ServiceError) and not isinstance(exc, (AuthenticationError, ConversationError)):
            return RefillSettlement(
                entry=entry,
                outcome="pending",
                detail=f"the service did not answer for the purchase ({type(exc).__name__}: {exc})",
            )
        raise  # no answer, or the login was refused: nothing is known
    if result.status == "Rejected":
        reason = f"the service rejected it ({result.rejection_reason or result.rejection_code or 'no reason given'})"
        return _not_bought(journal, entry, reason, now)
    if result.status != "Success":
        return RefillSettlement(
            entry=entry, outcome="pending", detail=f"the service is still processing it ({result.status})"
        )
    receipt = records.add_receipt(
        entry.receipt(
            status=result.status,
            transaction_id=result.transaction_id,
            balance_after=result.balance.available_postage,
            control_total_after=result.balance.control_total,
            created_at=entry.started_at,  # when it was bought, near enough: the balance history matches it
        )
    )
    return _bought(journal, entry, receipt, now)


def _bought(journal: RefillJournal, entry: RefillEntry, receipt: Receipt, now: datetime) -> RefillSettlement:
    after = journal.finish(entry.integrator_tx_id, "bought", now) or entry
    return RefillSettlement(
        entry=after,
        outcome="bought",
        receipt=receipt,
        detail=f"the service had it: transaction {receipt.transaction_id}",
    )


def _not_bought(journal: RefillJournal, entry: RefillEntry, reason: str, now: datetime) -> RefillSettlement:
    after = journal.finish(entry.integrator_tx_id, "not_bought", now, reason) or entry
    if after.state == "bought":  # its worker recorded the purchase meanwhile
        return RefillSettlement(entry=after, outcome="bought", detail="bought (recorded meanwhile by its worker)")
    return RefillSettlement(entry=after, outcome="not_bought", detail=reason)
