"""A price for a shipment, from one carrier for one service, and the helpers that choose among them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from pydantic import Field, field_validator, model_validator

from onebalance.core import ValidationError

from ._base import CarrierModel, fail
from ._carrier import Carrier
from ._money import Money, non_negative
from ._payment import Payment, check_payer
from ._shipment import ShipmentRequest

__all__ = ["Charge", "Rate", "cheapest", "fastest"]


class Charge(CarrierModel):
    """One line of a price, e.g. ``Charge("Fuel surcharge", Money("1.20"))``; may be negative (a discount)."""

    name: str = Field(min_length=1, max_length=100)
    amount: Money

    def __init__(self, name: str, amount: Money, **data: Any) -> None:
        super().__init__(name=name, amount=amount, **data)


class Rate(CarrierModel):
    """What one service of one carrier would cost for a :class:`ShipmentRequest`.

    ``total`` is what the payer is charged; ``base`` and ``surcharges`` break it down when the
    carrier says how (they need not add up to the total: carriers leave out taxes and discounts).
    ``payment`` is who would pay: the One Balance for USPS, the merchant's account for UPS and
    FedEx. ``carrier_data`` keeps, as ``(name, value)`` pairs, what the carrier's mapping layer needs
    to buy exactly this rate later (for USPS, the rate's own fields); nothing else reads it.
    ``quoted_for`` is the shipment the rate was quoted for (every carrier client's ``rates`` sets
    it): buying the rate with another shipment is refused (:class:`~onebalance.RateMismatch`). A
    rate built by hand, without it, is not checked.

    ``restriction`` says why the merchant's plan forbids buying this rate (None: it may be bought).
    Such a rate is still listed, so the merchant sees it, but :func:`cheapest` and :func:`fastest`
    never choose it, and buying it is refused before anything is sent.
    """

    carrier: Carrier
    service_code: str = Field(min_length=1, max_length=64)
    service_name: str = Field(min_length=1, max_length=200)
    total: Money
    base: Money | None = None
    surcharges: tuple[Charge, ...] = ()
    delivery_days: int | None = Field(default=None, ge=0, le=365)
    estimated_delivery: date | None = None
    guaranteed: bool = False
    payment: Payment
    carrier_data: tuple[tuple[str, str], ...] = Field(default=(), repr=False)
    quoted_for: ShipmentRequest | None = Field(default=None, repr=False)
    restriction: str | None = Field(default=None, min_length=1, max_length=500)

    @property
    def allowed(self) -> bool:
        """Whether the merchant's plan allows buying this rate (it has no ``restriction``)."""
        return self.restriction is None

    @field_validator("surcharges", mode="before")
    @classmethod
    def _surcharges(cls, value: Any) -> Any:
        """Accept ``(name, Money)`` pairs as well as :class:`Charge` objects."""
        if isinstance(value, (list, tuple)):
            return tuple(
                Charge(item[0], item[1]) if isinstance(item, tuple) and len(item) == 2 else item for item in value
            )
        return value

    @field_validator("carrier_data", mode="before")
    @classmethod
    def _carrier_data(cls, value: Any) -> Any:
        pairs = list(value.items()) if isinstance(value, Mapping) else value
        if isinstance(pairs, (list, tuple)):
            names = [pair[0] for pair in pairs if isinstance(pair, (list, tuple)) and pair]
            if len(set(names)) != len(names):
                fail("carrier_data", "each name may appear once")
            return tuple(tuple(pair) if isinstance(pair, list) else pair for pair in pairs)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Rate:
        non_negative(self.total, "total")
        currency = self.total.currency
        if self.base is not None and self.base.currency != currency:
            fail("base", f"must be in {currency}, like the total")
        for index, charge in enumerate(self.surcharges):
            if charge.amount.currency != currency:
                fail(f"surcharges.{index}.amount", f"must be in {currency}, like the total")
        check_payer(self.carrier, self.payment, "payment")
        return self

    @property
    def breakdown(self) -> tuple[tuple[str, Money], ...]:
        """``("base", …)`` then each surcharge, as ``(name, Money)`` pairs."""
        lines = [("base", self.base)] if self.base is not None else []
        return tuple(lines + [(charge.name, charge.amount) for charge in self.surcharges])

    @property
    def data(self) -> dict[str, str]:
        """``carrier_data`` as a new dict."""
        return dict(self.carrier_data)


def _comparable(rates: Iterable[Rate]) -> list[Rate]:
    """The rates that may be bought, once they are known to be comparable."""
    items = list(rates)
    if not items:
        raise ValidationError("rates: there are no rates to choose from", field="rates")
    currencies = sorted({rate.total.currency for rate in items})
    if len(currencies) > 1:
        raise ValidationError(
            f"rates: rates in {', '.join(currencies)} cannot be compared; convert them first", field="rates"
        )
    allowed = [rate for rate in items if rate.restriction is None]
    if not allowed:
        raise ValidationError(
            f"rates: the merchant's plan forbids every one of them ({items[0].restriction})", field="rates"
        )
    return allowed


def cheapest(rates: Iterable[Rate]) -> Rate:
    """The rate with the lowest total; among equals, the fastest, then the first given.

    Rates the merchant's plan forbids (``rate.restriction``) are never chosen.
    """
    return min(
        _comparable(rates),
        key=lambda r: (r.total.amount, r.delivery_days is None, r.delivery_days or 0),
    )


def fastest(rates: Iterable[Rate]) -> Rate:
    """The rate with the fewest delivery days; among equals, the cheapest, then the first given.

    Rates that do not say how many days they take come last; rates the merchant's plan forbids
    (``rate.restriction``) are never chosen.
    """
    return min(
        _comparable(rates),
        key=lambda r: (r.delivery_days is None, r.delivery_days or 0, r.total.amount),
    )
