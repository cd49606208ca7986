"""What a postage purchase costs the merchant beyond the postage itself.

The rule (from the provider's help pages): on an account with a Mailstation device, paying for
postage by credit card adds a 3.5% administrative fee; a Reserve Account or Purchase Power adds
none. The service does not report the fee, so the SDK computes it, and quotes and receipts show
amount, fee and total charged.
"""

from __future__ import annotations

import enum
from decimal import ROUND_HALF_UP, Decimal

from onebalance.swsim import PaymentMethodInfo, billing_kind

CARD_FEE_RATE = Decimal("0.035")
CENT = Decimal("0.01")


class PaymentKind(str, enum.Enum):
    CREDIT_CARD = "credit_card"
    BANK_ACCOUNT = "bank_account"
    RESERVE_ACCOUNT = "reserve_account"
    PURCHASE_POWER = "purchase_power"
    INVOICE = "invoice"
    UNKNOWN = "unknown"


def payment_kind(method: PaymentMethodInfo | None) -> PaymentKind:
    """What kind of payment ``method`` is (its SWSIM BillingMethod, read by the mapping)."""
    return PaymentKind(billing_kind(method))


def administrative_fee(amount: Decimal, kind: PaymentKind, *, has_mailstation: bool) -> Decimal:
    """3.5% of ``amount`` (rounded half up to the cent) for a card on a Mailstation account, else 0."""
    if has_mailstation and kind is PaymentKind.CREDIT_CARD:
        return (amount * CARD_FEE_RATE).quantize(CENT, rounding=ROUND_HALF_UP)
    return Decimal("0.00")
