"""Deterministic FedEx prices: by service, billable pounds and a zone from the ZIP codes."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

__all__ = ["SERVICES", "delivery_days", "price", "zone"]

#: service → (name, base, per pound, per zone step, days or None for by-zone ground, max lb).
SERVICES: dict[str, tuple[str, Decimal, Decimal, Decimal, int | None, Decimal]] = {
    "FEDEX_GROUND": ("FedEx Ground", Decimal("9.25"), Decimal("0.85"), Decimal("0.60"), None, Decimal(150)),
    "FEDEX_2_DAY": ("FedEx 2Day", Decimal("21.40"), Decimal("2.10"), Decimal("1.75"), 2, Decimal(150)),
    "STANDARD_OVERNIGHT": (
        "FedEx Standard Overnight",
        Decimal("38.60"),
        Decimal("3.40"),
        Decimal("2.90"),
        1,
        Decimal(150),
    ),
    "PRIORITY_OVERNIGHT": (
        "FedEx Priority Overnight",
        Decimal("52.15"),
        Decimal("4.05"),
        Decimal("3.35"),
        1,
        Decimal(150),
    ),
    # abroad (``_international``: which go where; the zone is the destination's, ``_abroad.zone``)
    "INTERNATIONAL_ECONOMY": (
        "FedEx International Economy",
        Decimal("48.00"),
        Decimal("3.90"),
        Decimal("2.70"),
        5,
        Decimal(150),
    ),
    "FEDEX_INTERNATIONAL_PRIORITY": (
        "FedEx International Priority",
        Decimal("62.00"),
        Decimal("4.80"),
        Decimal("3.20"),
        3,
        Decimal(150),
    ),
}
FUEL_PERCENT = Decimal("0.12")
CENT = Decimal("0.01")


def zone(origin_postal: str, destination_postal: str) -> int:
    """FedEx zones 2 to 8, from how far apart the first ZIP digits are (5 when either is not a ZIP code)."""
    a, b = origin_postal[:1], destination_postal[:1]
    if not (a.isdigit() and b.isdigit()):
        return 5
    return 2 + min(6, abs(int(a) - int(b)))


def delivery_days(service: str, zone_number: int) -> int:
    days = SERVICES[service][4]
    return days if days is not None else min(5, 1 + zone_number // 2)


def price(service: str, pounds: Decimal, zone_number: int) -> tuple[Decimal, Decimal, Decimal]:
    """``(base, fuel surcharge, total)`` for ``pounds`` (rounded up to whole pounds)."""
    _, base, per_lb, per_zone, _, _ = SERVICES[service]
    billable = max(Decimal(1), pounds.to_integral_value(ROUND_CEILING))
    base_charge = (base + per_lb * (billable - 1) + per_zone * (zone_number - 2)).quantize(CENT)
    fuel = (base_charge * FUEL_PERCENT).quantize(CENT, rounding=ROUND_HALF_UP)
    return base_charge, fuel, base_charge + fuel
