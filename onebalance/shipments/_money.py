"""Money: a Decimal amount of whole cents and an ISO 4217 currency code.

Amounts are never floats: a float is refused (``InvalidAmount``), so ``0.1 + 0.2`` cannot slip in
as a price. An amount with a fraction of a cent is refused too; a mapping layer that receives one
from a carrier rounds it on purpose with :meth:`Money.rounded`. Amounts may be negative (a
discount line); the models that hold a price or a refund refuse a negative one.

Arithmetic and ordering work only between amounts of the same currency; mixing them raises
``ValidationError`` naming ``currency`` instead of comparing dollars with euros.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import field_validator

from onebalance.core import InvalidAmount, ValidationError

from ._base import CarrierModel, fail, fill, to_decimal

__all__ = ["Money"]

CENT = Decimal("0.01")
#: Far beyond any postage or freight bill; keeps every amount exact in Decimal's default context.
_LIMIT = Decimal("1000000000000")
_ZERO = Decimal("0.00")
_CURRENCY = re.compile(r"[A-Z]{3}")


class Money(CarrierModel):
    """An amount in one currency, e.g. ``Money("9.45")`` or ``Money("12.00", "CAD")``."""

    amount: Decimal
    currency: str = "USD"

    def __init__(self, amount: Decimal | int | str, currency: str = "USD") -> None:
        # A finite Decimal of whole cents in range, in US dollars (what the mappings and the sums give):
        # nothing for validation to convert or refuse, so the fields are set as validation sets them.
        if (
            type(amount) is Decimal
            and amount.is_finite()
            and -_LIMIT < amount < _LIMIT
            and currency == "USD"
            and type(currency) is str
            and type(self) is Money
        ):
            cents = amount.quantize(CENT)
            if amount == cents:
                fill(self, {"amount": cents, "currency": "USD"}, {"amount", "currency"})
                return
        super().__init__(amount=amount, currency=currency)

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Decimal:
        # A finite Decimal (what the mappings give) needs none of to_decimal's conversions.
        is_decimal = type(value) is Decimal and value.is_finite()
        amount = value if is_decimal else to_decimal(value, "amount", InvalidAmount, floats=False)
        if not -_LIMIT < amount < _LIMIT:  # compared, not abs(): abs() of 1E1000000 overflows the context
            fail("amount", "is too large", InvalidAmount)
        cents = amount.quantize(CENT)
        if amount != cents:
            fail("amount", "must be whole cents (at most two decimals)", InvalidAmount)
        return cents

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> str:
        if value == "USD" and type(value) is str:  # the default, already a code
            return value
        code = str(value).strip().upper() if isinstance(value, str) else ""
        if not _CURRENCY.fullmatch(code):
            fail("currency", "must be a three-letter ISO 4217 code such as USD")
        return code

    # -- construction helpers ------------------------------------------------------------------
    @classmethod
    def rounded(cls, amount: Decimal | int | str, currency: str = "USD") -> Money:
        """Money from an amount that may carry fractions of a cent, rounded half up to the cent."""
        # A finite Decimal (what the mappings hold) needs none of to_decimal's conversions; rounded, it
        # takes Money's own way for whole cents.
        if type(amount) is Decimal and amount.is_finite():
            value = amount
        else:
            value = to_decimal(amount, "amount", InvalidAmount, floats=False)
        return cls(value.quantize(CENT, rounding=ROUND_HALF_UP) if -_LIMIT < value < _LIMIT else value, currency)

    @classmethod
    def zero(cls, currency: str = "USD") -> Money:
        return cls(Decimal("0.00"), currency)

    @classmethod
    def total(cls, amounts: Iterable[Money], currency: str = "USD") -> Money:
        """The sum of ``amounts`` (all in one currency); ``zero(currency)`` when there are none."""
        items = list(amounts)
        if not items:
            return cls.zero(currency)
        if len(items) == 1:
            only = items[0]
            # One amount is its own sum (whole cents, in range: what its own validation made sure of),
            # and a Money cannot change: the same one, but for a negative zero (0.00 + -0.00 is 0.00).
            if type(only) is Money and not only.amount.is_signed():
                return only
        # One Money for the sum rather than one per addition (a label's cost is a total), when
        # nothing on the way would refuse: the same currency throughout, every partial sum in range.
        first = items[0]
        amount = _ZERO
        for item in items:
            if not isinstance(item, Money) or item.currency != first.currency:
                break
            amount += item.amount
            if not -_LIMIT < amount < _LIMIT:
                break
        else:
            return Money(amount, first.currency)
        result = cls.zero(first.currency)
        for item in items:  # what each addition refuses, as it always did
            result = result + item
        return result

    # -- arithmetic and ordering (same currency only) ------------------------------------------
    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValidationError(
                f"currency: cannot combine {self.currency} with {other.currency}; convert first",
                field="currency",
            )

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.amount >= other.amount

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def non_negative(value: Money | None, field: str) -> Money | None:
    """``value`` unchanged, or ``InvalidAmount`` naming ``field`` if it is below zero."""
    if value is not None and value.is_negative:
        fail(field, "must not be negative", InvalidAmount)
    return value
