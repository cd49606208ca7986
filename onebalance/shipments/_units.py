"""Weights and dimensions, in Decimal, with exact conversions.

The factors are the exact legal definitions: 1 lb = 453.59237 g, 1 oz = 1/16 lb = 28.349523125 g,
1 in = 2.54 cm. A conversion that is a multiplication by those factors (lb→oz, lb→kg, in→cm, …)
is exact; one that divides by them (kg→lb, cm→in) is rounded to 28 significant digits, so a round
trip comes back equal to within one unit in the 28th digit.

Two weights (or two sets of dimensions) are equal when they are the same physical size:
``Weight(16, "oz") == Weight(1, "lb")``. They order the same way.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal

from pydantic import ValidationInfo, field_validator, model_validator

from ._base import CarrierModel, fail, to_decimal

__all__ = ["DimensionUnit", "Dimensions", "Weight", "WeightUnit", "total_weight"]

WeightUnit = Literal["lb", "oz", "kg", "g"]
DimensionUnit = Literal["in", "cm"]

#: Grams in one of each unit (exact by definition).
_GRAMS: dict[str, Decimal] = {
    "g": Decimal(1),
    "kg": Decimal(1000),
    "lb": Decimal("453.59237"),
    "oz": Decimal("28.349523125"),
}
#: Centimetres in one of each unit (exact by definition).
_CM: dict[str, Decimal] = {"cm": Decimal(1), "in": Decimal("2.54")}

#: Precision of a conversion that divides (28 significant digits, Decimal's default).
_DIVIDE = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)
#: Wide enough that a product of two inputs is never rounded.
_EXACT = decimal.Context(prec=100)

#: The largest side accepted, in inches: SWSIM takes rate dimensions up to 999.
MAX_SIDE_INCHES = Decimal(999)


def _tidy(value: Decimal) -> Decimal:
    """``value`` without trailing zeros, and never in exponent form (``1E+3`` → ``1000``)."""
    value = value.normalize(_EXACT)
    exponent = value.as_tuple().exponent
    return value.quantize(Decimal(1), context=_EXACT) if isinstance(exponent, int) and exponent > 0 else value


def _convert(value: Decimal, factor_from: Decimal, factor_to: Decimal) -> Decimal:
    base = _EXACT.multiply(value, factor_from)
    return _tidy(_DIVIDE.divide(base, factor_to))


def _measure(value: Any, field: str) -> Decimal:
    """A positive Decimal of sane size for ``field``."""
    number = to_decimal(value, field)
    if number <= 0:
        fail(field, "must be greater than zero")
    if number.adjusted() > 9 or len(number.as_tuple().digits) > 28:
        fail(field, "is too large or too precise (at most 28 digits)")
    return number


def _unit(value: Any, allowed: dict[str, Decimal], field: str) -> str:
    unit = value.strip().lower() if isinstance(value, str) else ""
    unit = {"lbs": "lb", "pound": "lb", "pounds": "lb", "ounce": "oz", "ounces": "oz"}.get(unit, unit)
    if unit not in allowed:
        fail(field, f"must be one of {', '.join(repr(u) for u in allowed)}")
    return unit


class Weight(CarrierModel):
    """A positive weight, e.g. ``Weight(2, "lb")`` or ``Weight("12.5", "oz")``."""

    value: Decimal
    unit: WeightUnit = "lb"

    def __init__(self, value: Decimal | int | str | float, unit: WeightUnit | str = "lb") -> None:
        super().__init__(value=value, unit=unit)

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, value: Any) -> Decimal:
        return _measure(value, "value")

    @field_validator("unit", mode="before")
    @classmethod
    def _unit(cls, value: Any) -> str:
        return _unit(value, _GRAMS, "unit")

    # -- conversions ---------------------------------------------------------------------------
    def to(self, unit: WeightUnit) -> Weight:
        """The same weight in ``unit`` (exact, or rounded to 28 significant digits; see the module)."""
        if unit == self.unit:
            return self
        return Weight(_convert(self.value, _GRAMS[self.unit], _GRAMS[_unit(unit, _GRAMS, "unit")]), unit)

    @property
    def grams(self) -> Decimal:
        """Exact: every unit is a whole or terminating number of grams."""
        return _tidy(_EXACT.multiply(self.value, _GRAMS[self.unit]))

    @property
    def ounces(self) -> Decimal:
        return self.to("oz").value

    @property
    def pounds(self) -> Decimal:
        return self.to("lb").value

    @property
    def kilograms(self) -> Decimal:
        return self.to("kg").value

    def as_lb_oz(self, ounce_places: int = 1) -> tuple[int, Decimal]:
        """Whole pounds and the remaining ounces, as USPS rates ask for them.

        The ounces are rounded **up** to ``ounce_places`` decimals (postage is never
        under-declared); 15.96 oz becomes a whole extra pound rather than ``16.0`` ounces.
        """
        if not 0 <= ounce_places <= 6:
            fail("ounce_places", "must be between 0 and 6")
        step = Decimal(1).scaleb(-ounce_places)
        total = self.ounces.quantize(step, rounding=ROUND_CEILING)
        pounds, ounces = divmod(total, 16)
        return int(pounds), ounces.quantize(step)

    # -- physical equality and ordering --------------------------------------------------------
    def _sizes(self, other: Weight) -> tuple[Decimal, Decimal]:
        """Numbers that compare as the two weights do: their values in one unit, else their grams as the
        products come (the same numbers as ``grams``, which only tidies how they are written)."""
        if self.unit == other.unit:
            return self.value, other.value
        return _EXACT.multiply(self.value, _GRAMS[self.unit]), _EXACT.multiply(other.value, _GRAMS[other.unit])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Weight):
            return NotImplemented
        mine, theirs = self._sizes(other)
        return mine == theirs

    def __hash__(self) -> int:
        return hash(_EXACT.multiply(self.value, _GRAMS[self.unit]))  # a Decimal's hash is its number's

    def __lt__(self, other: Weight) -> bool:
        mine, theirs = self._sizes(other)
        return mine < theirs

    def __le__(self, other: Weight) -> bool:
        mine, theirs = self._sizes(other)
        return mine <= theirs

    def __gt__(self, other: Weight) -> bool:
        mine, theirs = self._sizes(other)
        return mine > theirs

    def __ge__(self, other: Weight) -> bool:
        mine, theirs = self._sizes(other)
        return mine >= theirs

    def __add__(self, other: Weight) -> Weight:
        """The sum, in this weight's unit."""
        grams = _EXACT.add(self.grams, other.grams)
        return Weight(_tidy(_DIVIDE.divide(grams, _GRAMS[self.unit])), self.unit)

    def __str__(self) -> str:
        return f"{self.value} {self.unit}"


class Dimensions(CarrierModel):
    """Outside dimensions of a parcel, e.g. ``Dimensions(12, 10, 4, "in")``.

    Each side is above zero and at most 999 inches (2537.46 cm): SWSIM's own limit, far above what
    any carrier carries; each carrier's mapping layer checks its own size limits.
    """

    length: Decimal
    width: Decimal
    height: Decimal
    unit: DimensionUnit = "in"

    def __init__(
        self,
        length: Decimal | int | str | float,
        width: Decimal | int | str | float,
        height: Decimal | int | str | float,
        unit: DimensionUnit | str = "in",
    ) -> None:
        super().__init__(length=length, width=width, height=height, unit=unit)

    @field_validator("length", "width", "height", mode="before")
    @classmethod
    def _side(cls, value: Any, info: ValidationInfo) -> Decimal:
        return _measure(value, str(info.field_name))

    @field_validator("unit", mode="before")
    @classmethod
    def _unit(cls, value: Any) -> str:
        return _unit(value, _CM, "unit")

    @model_validator(mode="after")
    def _sides_fit(self) -> Dimensions:
        limit = _EXACT.multiply(MAX_SIDE_INCHES, _CM["in"])
        for name in ("length", "width", "height"):
            if _EXACT.multiply(getattr(self, name), _CM[self.unit]) > limit:
                fail(name, f"must be at most {MAX_SIDE_INCHES} in ({_tidy(limit)} cm)")
        return self

    def to(self, unit: DimensionUnit) -> Dimensions:
        """The same box measured in ``unit``."""
        if unit == self.unit:
            return self
        target = _CM[_unit(unit, _CM, "unit")]
        here = _CM[self.unit]
        return Dimensions(
            _convert(self.length, here, target),
            _convert(self.width, here, target),
            _convert(self.height, here, target),
            unit,
        )

    @property
    def sides(self) -> tuple[Decimal, Decimal, Decimal]:
        """The three sides, longest first."""
        a, b, c = sorted((self.length, self.width, self.height), reverse=True)
        return a, b, c

    @property
    def longest(self) -> Decimal:
        return self.sides[0]

    @property
    def girth(self) -> Decimal:
        """Twice the sum of the two shorter sides (the carriers measure length as the longest side)."""
        _, b, c = self.sides
        return _tidy(_EXACT.multiply(2, _EXACT.add(b, c)))

    @property
    def length_plus_girth(self) -> Decimal:
        return _tidy(_EXACT.add(self.longest, self.girth))

    @property
    def volume(self) -> Decimal:
        return _tidy(_EXACT.multiply(_EXACT.multiply(self.length, self.width), self.height))

    def _centimetres(self) -> tuple[Decimal, ...]:
        return tuple(_EXACT.multiply(side, _CM[self.unit]) for side in (self.length, self.width, self.height))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dimensions):
            return NotImplemented
        return self._centimetres() == other._centimetres()

    def __hash__(self) -> int:
        return hash(self._centimetres())

    def __str__(self) -> str:
        return f"{self.length} x {self.width} x {self.height} {self.unit}"


def total_weight(weights: Iterable[Weight]) -> Weight:
    """The weights together (at least one), in the first one's unit."""
    items = iter(weights)
    total = next(items)
    for weight in items:
        total = total + weight
    return total
