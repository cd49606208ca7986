"""Buying a quoted purchase exactly once, written down in the refill journal before it is sent.

A purchase cut off mid-way (a crash, a lost answer) stays pending in the journal, for
``_refill_settle`` to resolve, instead of being lost with the process; a pending purchase is asked
about again with the same IntegratorTxID, which the service answers with its current state, so
nothing is bought twice. Only an answer that certainly bought nothing marks it not bought.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from onebalance.core import OneBalanceError, PurchaseRejected, StaleControlTotal
from onebalance.stores import PostageRecords, RefillJournal
from onebalance.swsim import OneBalance, Receipt

from ._quotes import Quote
from ._refill_settle import not_bought

__all__ = ["purchase"]

logger = logging.getLogger("onebalance")


def purchase(
    client: OneBalance,
    records: PostageRecords,
    refills: RefillJournal,
    quote: Quote,
    now: Callable[[], datetime],
) -> Receipt:
    """Buy ``quote`` (not bought before): journal, send, then the receipt and the journal's outcome.

    A stale ControlTotal is raised with the account's fresh balance; a rejection as
    :class:`PurchaseRejected`. A Pending or Processing answer leaves the purchase pending.
    """
    # Written down before it is sent: a purchase cut off mid-way (a crash, a lost answer) stays
    # pending in the journal, for settle() to resolve, instead of being lost with this process.
    entry = refills.start(quote.refill_entry(now()))
    # A pending purchase is asked about again with the same IntegratorTxID: the service answers
    # with its current state, and never buys twice.
    try:
        result = client.purchase_postage(quote.amount, quote.control_total, quote.integrator_tx_id)
    except StaleControlTotal as exc:
        refills.finish(entry.integrator_tx_id, "not_bought", now(), f"{type(exc).__name__}: {exc}")
        fresh = client.account()
        raise StaleControlTotal(
            f"{StaleControlTotal.default_message}. The balance is now ${fresh.available_postage:,.2f}: "
            "quote again to buy",
            available_postage=fresh.available_postage,
            control_total=fresh.control_total,
            operation=exc.operation,
            code=exc.code,
            http_status=exc.http_status,
            faultstring=exc.faultstring,
            transaction_id=quote.integrator_tx_id,
        ) from None
    except OneBalanceError as exc:
        if not_bought(exc):  # refused, or never sent; anything else may have bought: it stays pending
            refills.finish(entry.integrator_tx_id, "not_bought", now(), f"{type(exc).__name__}: {exc}")
        raise
    if result.status == "Rejected":
        reason = result.rejection_reason or result.rejection_code or "no reason given"
        refills.finish(entry.integrator_tx_id, "not_bought", now(), f"rejected: {reason}")
        raise PurchaseRejected(
            rejection_code=result.rejection_code,
            rejection_reason=result.rejection_reason,
            operation="PurchasePostage",
            transaction_id=quote.integrator_tx_id,
        )
    receipt = records.add_receipt(
        entry.receipt(
            status=result.status,
            transaction_id=result.transaction_id,
            balance_after=result.balance.available_postage,
            control_total_after=result.balance.control_total,
            created_at=now(),
            processor_transaction_id=result.processor_transaction_id,
        )
    )
    if receipt.status == "Success":  # Pending / Processing: still pending, until bought again or settled
        refills.finish(entry.integrator_tx_id, "bought", now())
    logger.info(
        "op=add_postage merchant=%s amount=%s status=%s transaction=%s",
        quote.merchant_id,
        quote.amount,
        result.status,
        result.transaction_id,
    )
    return receipt
