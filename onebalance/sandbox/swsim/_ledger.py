"""The postage ledger: every movement of an account's balance, and what purchases charge.

Every change to ``available_postage`` and ``control_total`` goes through :func:`post`, which
appends a :class:`LedgerEntry` and copies its running balance and control total onto the
account, so the ledger always explains the balance:

* ``available_postage == sum(credit) - sum(cost)`` over the ledger, and
  ``0 <= available_postage <= max_postage_balance``;
* the control total is the postage **consumed**: prints raise it, refunds lower it, purchases,
  credits and adjustments do not move it (an ``Adjustment`` may declare postage ``consumed``
  outside the ledger: that is how a seeded or ``set_balance`` control total is explained). So
  ``available_postage + control_total == purchased + credits + adjustments`` (adjustments
  counted as ``credit - cost + consumed``).

:func:`problems` checks all of it (``Sandbox.check_ledger``).

Entry types (the wire's TransactionType): ``Purchase`` (PurchasePostage, ``purchase_type``
"Manual", or the service-side auto-buy, "AutoBuy"), ``Credit`` (a credit from the provider),
``Print`` (postage printed), ``Adjustment`` (the provider corrects the balance; seeded balances
are opening adjustments) and ``Refund`` (a refunded print).

**Charges.** A purchase charges the default payment method (:func:`pay`); the account's
``charges`` list records amount, fee and total. The administrative fee is 3.5% of the amount,
rounded half-up to the cent, when the method is a credit card **and** the account has a
Mailstation device; ACH, Reserve Account (``EnterprisePaymentAccount``) and Purchase Power
(``OMAS``) pay none. A declined, expired or missing payment method is not charged: the purchase
is rejected (CustomerActionRequired) and a payment hold is placed.

**Service-side auto-buy** (:func:`auto_buy`) runs inside the call that debited the balance (a
print), so the balance that call reports already includes it. When auto-buy is enabled and the
balance is *below* TriggerAmount (strictly), it buys PurchaseAmount once with the default
payment method (purchase type "AutoBuy"). It is skipped, with the reason appended to the
debiting entry's ``memo``, when the account is on hold, may not buy postage (capability off or
invoiced), the purchase would exceed the maximum balance or the monthly limit, or the payment
method is declined (which also places a payment hold).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .._shared._vocabulary import CENT
from ._account_models import Charge, EntryType, Hold, LedgerEntry, PurchaseReplay, RejectionCode
from ._state import SandboxAccount, SandboxState

ZERO = Decimal("0.00")
MINIMUM_PURCHASE = Decimal("10.00")
MAILSTATION_FEE_RATE = Decimal("0.035")
BRAND = "Stamps.com"
#: IntegratorTxID results kept per account, and balance-history tokens; older ones are forgotten.
REPLAYS_KEPT = 1000
HISTORY_QUERIES_KEPT = 50
_FIRST_TRANSACTION_ID = 31000000


def keep_newest(entries: dict[str, Any], kept: int) -> None:
    """Forget the oldest of ``entries`` (insertion order) beyond the ``kept`` newest, without copying the rest."""
    while len(entries) > kept:
        del entries[next(iter(entries))]


def is_cents(amount: Decimal) -> bool:
    return amount.is_finite() and amount == amount.quantize(CENT)


def post(
    state: SandboxState,
    account: SandboxAccount,
    kind: EntryType,
    *,
    cost: Decimal = ZERO,
    credit: Decimal = ZERO,
    consumed: Decimal = ZERO,
    purchase_type: str | None = None,
    integrator_tx_id: str | None = None,
    transaction_id: int | None = None,
    memo: str = "",
) -> LedgerEntry:
    """Append an entry and move the account's balance and control total with it."""
    balance = account.available_postage + credit - cost
    control_total = account.control_total + consumed
    if kind == "Print":
        control_total += cost
    elif kind == "Refund":
        control_total -= credit
    entry = LedgerEntry(
        id=account.ledger[-1].id + 1 if account.ledger else 1,
        date=state.clock.now(),
        type=kind,
        cost=cost.quantize(CENT),
        credit=credit.quantize(CENT),
        balance=balance.quantize(CENT),
        control_total=control_total.quantize(CENT),
        consumed=consumed.quantize(CENT),
        brand=BRAND,
        purchase_type=purchase_type,
        integrator_tx_id=integrator_tx_id,
        transaction_id=transaction_id,
        memo=memo,
    )
    account.ledger.append(entry)
    account.available_postage = entry.balance
    account.control_total = entry.control_total
    state.touch(account)
    return entry


def balance(account: SandboxAccount) -> tuple[Decimal, Decimal]:
    """(AvailablePostage, ControlTotal) as the ledger has them."""
    if account.ledger:
        return account.ledger[-1].balance, account.ledger[-1].control_total
    return account.available_postage, account.control_total


def open_ledger(state: SandboxState, account: SandboxAccount, memo: str) -> None:
    """Explain a balance and control total the account has without a ledger (seeded, or state
    saved before ledgers existed) with one opening Adjustment."""
    available, control_total = account.available_postage, account.control_total
    if account.ledger or (not available and not control_total):
        return
    account.available_postage = account.control_total = ZERO
    post(state, account, "Adjustment", credit=available, consumed=control_total, memo=memo)


def set_balance(
    state: SandboxState, account: SandboxAccount, available: Decimal, control_total: Decimal | None, memo: str
) -> LedgerEntry | None:
    """Move the balance (and control total) to the given values with one Adjustment (none if unchanged)."""
    delta = available - account.available_postage
    consumed = ZERO if control_total is None else control_total - account.control_total
    if not delta and not consumed:
        return None
    return post(
        state,
        account,
        "Adjustment",
        cost=-delta if delta < 0 else ZERO,
        credit=delta if delta > 0 else ZERO,
        consumed=consumed,
        memo=memo,
    )


def next_transaction_id(state: SandboxState) -> int:
    return state.next_id("purchase_transaction", _FIRST_TRANSACTION_ID)


def fee_for(account: SandboxAccount, billing_method: str, amount: Decimal) -> Decimal:
    """The administrative fee: 3.5% (half-up to the cent) for a credit card on a Mailstation account."""
    if billing_method == "CreditCard" and account.has_mailstation:
        return (amount * MAILSTATION_FEE_RATE).quantize(CENT, rounding=ROUND_HALF_UP)
    return ZERO


def month_to_date(account: SandboxAccount, now: datetime) -> Decimal:
    """Postage bought in ``now``'s calendar month (auto-buys included), plus a purchase in progress."""
    total = sum(
        (
            e.credit
            for e in account.ledger
            if e.type == "Purchase" and (e.date.year, e.date.month) == (now.year, now.month)
        ),
        ZERO,
    )
    if account.pending_purchase is not None:
        total += account.pending_purchase.amount
    return total


def committed(account: SandboxAccount) -> Decimal:
    """The balance plus a purchase in progress: what a new purchase must fit above, under the maximum."""
    pending = account.pending_purchase.amount if account.pending_purchase is not None else ZERO
    return account.available_postage + pending


@dataclass(frozen=True)
class Rejection:
    """A purchase the payment step refused; nothing was bought."""

    code: RejectionCode
    reason: str


def pay(
    state: SandboxState,
    account: SandboxAccount,
    amount: Decimal,
    *,
    transaction_id: int,
    purchase_type: str,
    integrator_tx_id: str | None = None,
    memo: str = "",
) -> LedgerEntry | Rejection:
    """Charge the default payment method and post the Purchase, or refuse (with a payment hold)."""
    amount = amount.quantize(CENT)
    method = account.default_payment_method
    now = state.clock.now()
    problem = None
    if method is None:
        problem = "There is no payment method on file."
    elif method.declined:
        problem = "The payment method was declined."
    elif not method.usable(now.date()):
        problem = "The payment method has expired."
    if problem is not None or method is None:
        account.place_hold(Hold.PAYMENT_HOLD)
        state.touch(account)
        return Rejection("CustomerActionRequired", problem or "")
    fee = fee_for(account, method.billing_method, amount)
    entry = post(
        state,
        account,
        "Purchase",
        credit=amount,
        purchase_type=purchase_type,
        integrator_tx_id=integrator_tx_id,
        transaction_id=transaction_id,
        memo=memo,
    )
    account.charges.append(
        Charge(
            transaction_id=transaction_id,
            date=now,
            amount=amount,
            fee=fee,
            total=amount + fee,
            payment_method_id=method.id,
            billing_method=method.billing_method,
            purchase_type=purchase_type,
        )
    )
    return entry


def purchase_obstacle(account: SandboxAccount, amount: Decimal, now: datetime) -> str | None:
    """Why the service may not buy ``amount`` for the account on its own (auto-buy), if it may not."""
    if account.holds:
        return f"the account is on hold ({', '.join(h.value for h in account.holds)})"
    if not account.capabilities.get("CanPurchasePostage", False):
        return "the account may not buy postage"
    if account.capabilities.get("CanUseInvoicing", False):
        return "the account is invoiced"
    if committed(account) + amount > account.max_postage_balance:
        return f"the balance would exceed its maximum of ${account.max_postage_balance:,.2f}"
    if 0 < account.monthly_postage_purchase_limit < month_to_date(account, now) + amount:
        return f"the monthly purchase limit of ${account.monthly_postage_purchase_limit:,} would be exceeded"
    return None


def auto_buy(state: SandboxState, account: SandboxAccount, debit: LedgerEntry) -> LedgerEntry | None:
    """The service-side auto-buy after ``debit`` (see the module docstring)."""
    settings = account.auto_buy
    if settings is None or not settings.enabled or account.available_postage >= settings.trigger_amount:
        return None
    amount = settings.purchase_amount
    obstacle = purchase_obstacle(account, amount, state.clock.now())
    if obstacle is None:
        result = pay(
            state,
            account,
            amount,
            transaction_id=next_transaction_id(state),
            purchase_type="AutoBuy",
            memo=f"auto-buy: the balance fell below ${settings.trigger_amount:,.2f}",
        )
        if isinstance(result, LedgerEntry):
            return result
        obstacle = result.reason[:1].lower() + result.reason[1:].rstrip(".")
    debit.memo = "; ".join(m for m in (debit.memo, f"auto-buy of ${amount:,.2f} skipped: {obstacle}") if m)
    state.touch(account)
    return None


def debit_for_print(state: SandboxState, account: SandboxAccount, amount: Decimal, memo: str) -> list[LedgerEntry]:
    """Postage printed: the Print entry, then the service-side auto-buy. ValueError if the balance is short."""
    if amount <= 0:
        raise ValueError(f"a print costs a positive amount, not {amount}")
    if amount > account.available_postage:
        raise ValueError(f"insufficient postage: ${amount:,.2f} needed, ${account.available_postage:,.2f} available")
    entry = post(state, account, "Print", cost=amount, memo=memo)
    bought = auto_buy(state, account, entry)
    return [entry] if bought is None else [entry, bought]


def remember(account: SandboxAccount, integrator_tx_id: str, replay: PurchaseReplay) -> None:
    account.purchase_replays.pop(integrator_tx_id, None)
    account.purchase_replays[integrator_tx_id] = replay
    keep_newest(account.purchase_replays, REPLAYS_KEPT)


def settle_pending(state: SandboxState, account: SandboxAccount) -> None:
    """Complete a purchase answered Pending or Processing (on the account's next GetAccountInfo).

    It pays like any purchase (same TransactionID); if the amount no longer fits under the
    maximum balance it is rejected (SystemFailure) instead. A repeat of its IntegratorTxID
    then answers the completed result.
    """
    pending = account.pending_purchase
    if pending is None:
        return
    account.pending_purchase = None
    state.touch(account)
    result: LedgerEntry | Rejection
    if account.available_postage + pending.amount > account.max_postage_balance:
        result = Rejection(
            "SystemFailure",
            f"The purchase would take the balance above its maximum of ${account.max_postage_balance:,.2f}.",
        )
    else:
        result = pay(
            state,
            account,
            pending.amount,
            transaction_id=pending.transaction_id,
            purchase_type="Manual",
            integrator_tx_id=pending.integrator_tx_id,
            memo=f"completed a purchase answered {pending.status}",
        )
    if pending.integrator_tx_id is not None:
        remember(account, pending.integrator_tx_id, replay_of(account, pending.transaction_id, result))


def replay_of(account: SandboxAccount, transaction_id: int, result: LedgerEntry | Rejection) -> PurchaseReplay:
    available, control_total = balance(account)
    if isinstance(result, Rejection):
        return PurchaseReplay(
            status="Rejected",
            transaction_id=transaction_id,
            available_postage=available,
            control_total=control_total,
            rejection_reason=result.reason,
            rejection_code=result.code,
        )
    return PurchaseReplay(
        status="Success",
        transaction_id=transaction_id,
        available_postage=result.balance,
        control_total=result.control_total,
    )


def problems(account: SandboxAccount) -> list[str]:
    """Everything wrong with the account's ledger and charges (empty when the invariants hold)."""
    out: list[str] = []
    available = control_total = ZERO
    funded = consumed = ZERO
    last_id = 0
    purchases: dict[int, LedgerEntry] = {}
    for e in account.ledger:
        where = f"entry {e.id} ({e.type})"
        if e.id <= last_id:
            out.append(f"{where}: id not after {last_id}")
        last_id = e.id
        for name, value in (("cost", e.cost), ("credit", e.credit)):
            if value < 0 or not is_cents(value):
                out.append(f"{where}: {name} {value} is not a non-negative amount in cents")
        if e.consumed and e.type != "Adjustment":
            out.append(f"{where}: only an Adjustment may declare postage consumed")
        if e.type in ("Purchase", "Credit", "Refund") and (e.cost or e.credit <= 0):
            out.append(f"{where}: must credit a positive amount and cost nothing")
        if e.type == "Print" and (e.credit or e.cost <= 0):
            out.append(f"{where}: must cost a positive amount and credit nothing")
        if e.type == "Purchase":
            if e.transaction_id is None or e.purchase_type not in ("Manual", "AutoBuy"):
                out.append(f"{where}: a purchase needs a TransactionID and a purchase type")
            elif e.transaction_id in purchases:
                out.append(f"{where}: TransactionID {e.transaction_id} used twice")
            else:
                purchases[e.transaction_id] = e
        available += e.credit - e.cost
        control_total += (
            e.consumed + (e.cost if e.type == "Print" else ZERO) - (e.credit if e.type == "Refund" else ZERO)
        )
        if e.type in ("Purchase", "Credit", "Adjustment"):
            funded += e.credit - e.cost + e.consumed
        if e.type == "Print":
            consumed += e.cost
        if e.type == "Refund":
            consumed -= e.credit
        if (e.balance, e.control_total) != (available, control_total):
            out.append(
                f"{where}: records balance {e.balance} / control total {e.control_total}, "
                f"the entries before it give {available} / {control_total}"
            )
        if available < 0:
            out.append(f"{where}: the balance went negative ({available})")
    if (account.available_postage, account.control_total) != (available, control_total):
        out.append(
            f"the account says {account.available_postage} / {account.control_total}, "
            f"the ledger gives {available} / {control_total}"
        )
    if not ZERO <= account.available_postage <= account.max_postage_balance:
        out.append(f"the balance {account.available_postage} is outside [0, {account.max_postage_balance}]")
    if account.available_postage + account.control_total != funded:
        out.append(
            f"balance + control total = {account.available_postage + account.control_total}, but purchases, "
            f"credits and adjustments add up to {funded}"
        )
    if control_total < 0 or consumed < 0:
        out.append(f"more postage refunded than printed (control total {control_total})")
    charged: set[int] = set()
    for c in account.charges:
        entry = purchases.get(c.transaction_id)
        if entry is None or c.transaction_id in charged:
            out.append(f"charge of transaction {c.transaction_id}: no purchase, or charged twice")
        elif c.amount != entry.credit or c.total != c.amount + c.fee or c.fee not in _fees(c.billing_method, c.amount):
            out.append(f"charge of transaction {c.transaction_id}: amount/fee/total do not add up")
        charged.add(c.transaction_id)
    for tx in purchases.keys() - charged:
        out.append(f"purchase transaction {tx} was never charged")
    return out


def _fees(billing_method: str, amount: Decimal) -> tuple[Decimal, ...]:
    """The fees a charge may carry (whether the account had a Mailstation then is not recorded)."""
    if billing_method != "CreditCard":
        return (ZERO,)
    return ZERO, (amount * MAILSTATION_FEE_RATE).quantize(CENT, rounding=ROUND_HALF_UP)
