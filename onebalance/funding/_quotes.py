"""Quotes: a postage purchase checked against every rule and priced before anything is bought.

The rules: the $10 minimum, invoiced accounts (they buy no postage), the user's right to buy, the
account's maximum balance and its monthly purchase limit; the price adds the administrative fee
(``_fees``) of the payment method that pays for postage.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from onebalance.core import (
    AmountBelowMinimum,
    BalanceLimitExceeded,
    InvalidAmount,
    InvoicedAccount,
    MonthlyLimitExceeded,
    OldName,
    PermissionDenied,
    Renamed,
)
from onebalance.stores import MINIMUM_PURCHASE, RefillEntry
from onebalance.swsim import (
    Account,
    CostAccount,
    PaymentMethodInfo,
    RefillKind,
    describe_payment_method,
    postage_payment_method,
)

from ._fees import administrative_fee, payment_kind

__all__ = [
    "CENT",
    "Balance",
    "Quote",
    "balance_of",
    "check_monthly_limit",
    "check_purchase",
    "check_room",
    "money",
    "new_quote",
]

CENT = Decimal("0.01")


def money(value: Decimal | int | str, field: str = "amount") -> Decimal:
    """A positive amount of dollars with at most two decimals, or :class:`InvalidAmount`."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidAmount(f"{field} must be an amount of dollars such as 25.00", field=field) from None
    try:
        valid = amount.is_finite() and amount > 0 and amount == amount.quantize(CENT)
    except InvalidOperation:  # too many digits to quantize (1e999)
        valid = False
    if not valid:
        raise InvalidAmount(f"{field} must be a positive amount of dollars with at most two decimals", field=field)
    return amount.quantize(CENT)


class Balance(BaseModel):
    model_config = ConfigDict(frozen=True)

    available_postage: Decimal
    control_total: Decimal
    max_postage_balance: Decimal
    low_balance_threshold: Decimal | None = None

    @property
    def low(self) -> bool:
        return self.low_balance_threshold is not None and self.available_postage < self.low_balance_threshold

    @property
    def room(self) -> Decimal:
        """How much postage can still be added before the maximum."""
        return max(Decimal("0.00"), self.max_postage_balance - self.available_postage)


class Quote(Renamed):
    """A purchase ready to confirm: what will be added, the fee, the total charged, and the checks passed."""

    model_config = ConfigDict(frozen=True)
    __old_names__: ClassVar[tuple[OldName, ...]] = (OldName("total_charged", "total"),)

    quote_id: str
    merchant_id: str
    username: str
    kind: RefillKind
    amount: Decimal
    fee: Decimal
    total: Decimal
    """The amount plus the fee: what the payment method is charged."""
    payment_method: str
    payment_kind: str
    cost_account: CostAccount | None = None
    balance_before: Decimal
    balance_after: Decimal
    control_total: Decimal
    max_postage_balance: Decimal
    created_at: datetime

    @property
    def integrator_tx_id(self) -> str:
        return f"onebalance-{self.quote_id}"

    def refill_entry(self, started_at: datetime) -> RefillEntry:
        """The purchase as the refill journal writes it down before sending it."""
        return RefillEntry(
            merchant_id=self.merchant_id,
            integrator_tx_id=self.integrator_tx_id,
            receipt_id=f"R-{self.quote_id[:12].upper()}",
            username=self.username,
            kind=self.kind,
            amount=self.amount,
            fee=self.fee,
            total=self.total,
            payment_method=self.payment_method,
            payment_kind=self.payment_kind,
            cost_account=self.cost_account.name if self.cost_account else None,
            control_total=self.control_total,
            started_at=started_at,
        )

    def text(self) -> str:
        lines = [
            f"Add ${self.amount:,.2f} of postage to {self.username}",
            f"  fee            ${self.fee:,.2f}",
            f"  total charged  ${self.total:,.2f} to {self.payment_method}",
            f"  balance        ${self.balance_before:,.2f} -> ${self.balance_after:,.2f} "
            f"(maximum ${self.max_postage_balance:,.2f})",
        ]
        if self.cost_account:
            lines.append(f"  cost account   {self.cost_account.name}")
        return "\n".join(lines)


def balance_of(account: Account, low_balance_threshold: Decimal | None) -> Balance:
    return Balance(
        available_postage=account.available_postage,
        control_total=account.control_total,
        max_postage_balance=account.max_postage_balance,
        low_balance_threshold=low_balance_threshold,
    )


def check_purchase(amount: Decimal, account: Account) -> None:
    """The minimum, and whether this user may buy postage on this account at all."""
    if amount < MINIMUM_PURCHASE:
        raise AmountBelowMinimum(
            f"The minimum postage purchase is ${MINIMUM_PURCHASE}; ${amount} was asked for", field="amount"
        )
    caps = account.capabilities
    if caps.can_use_invoicing:
        raise InvoicedAccount()
    if not caps.can_purchase_postage:
        raise PermissionDenied(
            f"{account.username} may not buy postage (CanPurchasePostage is off for this user): ask the "
            "account's administrator to add it, or to give this user the right"
        )


def check_room(amount: Decimal, account: Account, balance: Balance) -> None:
    """The account's maximum balance."""
    if amount > balance.room:
        raise BalanceLimitExceeded(
            f"Adding ${amount:,.2f} would take the balance to ${account.available_postage + amount:,.2f}, above "
            f"the account's maximum of ${account.max_postage_balance:,.2f}; at most ${balance.room:,.2f} can "
            "be added now",
            field="amount",
        )


def check_monthly_limit(amount: Decimal, bought: Decimal, limit: Decimal) -> None:
    """The monthly purchase limit, with ``bought`` this month already."""
    if bought + amount > limit:
        raise MonthlyLimitExceeded(
            f"${bought:,.2f} bought this month; ${amount:,.2f} more would pass the monthly limit of ${limit:,.2f}",
            field="amount",
        )


def new_quote(
    merchant_id: str,
    account: Account,
    amount: Decimal,
    *,
    kind: RefillKind,
    cost_account: CostAccount | None,
    methods: Sequence[PaymentMethodInfo],
    has_mailstation: bool,
    now: datetime,
) -> Quote:
    """The quote of a checked purchase, priced for the method that pays for postage among ``methods``."""
    method = postage_payment_method(methods)
    kind_of_payment = payment_kind(method)
    fee = administrative_fee(amount, kind_of_payment, has_mailstation=has_mailstation)
    return Quote(
        quote_id=uuid.uuid4().hex,
        merchant_id=merchant_id,
        username=account.username,
        kind=kind,
        amount=amount,
        fee=fee,
        total=amount + fee,
        payment_method=describe_payment_method(method),
        payment_kind=kind_of_payment.value,
        cost_account=cost_account,
        balance_before=account.available_postage,
        balance_after=account.available_postage + amount,
        control_total=account.control_total,
        max_postage_balance=account.max_postage_balance,
        created_at=now,
    )
