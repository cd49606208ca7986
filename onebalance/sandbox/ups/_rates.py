"""Deterministic UPS prices: by service, billable weight and a zone from the ZIP codes."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

#: service code → (name, base, per billable lb, per zone step, business days or None for "by zone")
SERVICES: dict[str, tuple[str, Decimal, Decimal, Decimal, int | None]] = {
    "03": ("UPS Ground", Decimal("9.00"), Decimal("1.10"), Decimal("0.85"), None),
    "12": ("UPS 3 Day Select", Decimal("18.00"), Decimal("1.80"), Decimal("1.40"), 3),
    "02": ("UPS 2nd Day Air", Decimal("24.00"), Decimal("2.40"), Decimal("1.90"), 2),
    "01": ("UPS Next Day Air", Decimal("42.00"), Decimal("3.90"), Decimal("2.80"), 1),
    # abroad (``_international``: which go where; the zone is the destination's, ``_abroad.zone``)
    "11": ("UPS Standard", Decimal("19.50"), Decimal("1.60"), Decimal("1.20"), None),
    "08": ("UPS Worldwide Expedited", Decimal("46.00"), Decimal("3.70"), Decimal("2.60"), 4),
    "65": ("UPS Worldwide Saver", Decimal("54.00"), Decimal("4.30"), Decimal("2.90"), 3),
    "07": ("UPS Worldwide Express", Decimal("58.00"), Decimal("4.60"), Decimal("3.10"), 2),
    "54": ("UPS Worldwide Express Plus", Decimal("88.00"), Decimal("5.20"), Decimal("3.40"), 1),
}
FUEL_RATE = Decimal("0.125")
FUEL_CODE = "375"
#: The itemized charge a shipment is billed above its rate with (``UpsSandbox.set_surcharge``).
HANDLING_CODE = "100"
_POUNDS = {"LBS": Decimal(1), "KGS": Decimal("2.20462262185"), "OZS": Decimal("0.0625")}
_INCHES = {"IN": Decimal(1), "CM": Decimal("0.393700787")}
CENT = Decimal("0.01")


def zone(origin_zip: str, destination_zip: str) -> int:
    """2 to 8 by the distance between the ZIP codes' first digits (other postal codes: zone 8)."""
    if origin_zip[:1].isdigit() and destination_zip[:1].isdigit():
        return min(8, 2 + abs(int(origin_zip[0]) - int(destination_zip[0])))
    return 8


def billable_pounds(weight: Decimal, unit: str, dims: tuple[Decimal, Decimal, Decimal] | None, dim_unit: str) -> int:
    """Whole pounds, rounded up: the larger of the actual and the dimensional weight (LxWxH / 139)."""
    pounds = weight * _POUNDS.get(unit, Decimal(1))
    if dims is not None:
        inches = [side * _INCHES.get(dim_unit, Decimal(1)) for side in dims]
        pounds = max(pounds, inches[0] * inches[1] * inches[2] / 139)
    return max(1, int(pounds.to_integral_value(rounding=ROUND_CEILING)))


def price(service: str, pounds: int, zone_number: int) -> tuple[Decimal, Decimal]:
    """(base charge, fuel surcharge) for one package."""
    _name, base, per_lb, per_zone, _days = SERVICES[service]
    charge = base + per_lb * (pounds - 1) + per_zone * (zone_number - 2)
    charge = charge.quantize(CENT, rounding=ROUND_HALF_UP)
    return charge, (charge * FUEL_RATE).quantize(CENT, rounding=ROUND_HALF_UP)


def days(service: str, zone_number: int) -> int:
    fixed = SERVICES[service][4]
    return fixed if fixed is not None else min(5, 1 + zone_number // 2)
