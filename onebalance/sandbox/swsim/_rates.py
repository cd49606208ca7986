"""The sandbox's USPS price table (deterministic, not the real prices).

Domestic services (``US-GA``, USPS Ground Advantage, exists on the v135 wire only: v111's
ServiceType enumeration has no such value, so the sandbox leaves it out there; see "Retired
services" below for what that means for light parcels):

========  ===========  ==========  ==================  ==========
Service   base         per lb      weight limit        DeliverDays
========  ===========  ==========  ==================  ==========
US-FC     $4.50        $0.40       13 oz (flats only)  2-5
US-PM     $8.70        $1.10       70 lb               1-3
US-XM     $28.75       $2.60       70 lb               1-2
US-PS     $7.90        $0.75       70 lb               2-8  (Parcel Select, commercial)
US-GA     table        table       70 lb               2-5  (v135 only; parcels: ``Package``)
========  ===========  ==========  ==================  ==========

Package types ``Package`` and ``Large Envelope or Flat`` (at most 13 oz) are priced
``base + per_lb * ceil(lb) * zone factor`` (at least 1 lb; zone factor ``1 + 0.15 * (zone - 1)``),
rounded half-up to the cent. The flat-rate types exist for US-PM and US-XM only, at a fixed
price whatever the weight (up to 70 lb) and zone.

The zone is ``min(8, |first 3 digits of the From ZIP - those of the To ZIP| // 125 + 1)``. Without
a To ZIP the zone is 1 and ``MaxAmount`` carries the zone-8 price. A To address outside the US
(Country other than ``US``) has no rates.

Retired services. In July 2023 USPS folded First-Class Package Service and Retail Ground into
Ground Advantage (``US-GA``, not on the v111 wire). So the sandbox sells First-Class Mail
(``US-FC``) only for flats (``Large Envelope or Flat``), never for a parcel (``PARCELS``): a
light parcel gets Priority Mail, Priority Mail Express and Parcel Select rates. GetRates and
CreateIndicium asked for ``US-FC`` with a parcel package type, or for ``US-RG`` at all, answer
fault 002b0907 naming the retired service (``retired``), on both versions.

**USPS Ground Advantage** (v135; ``Package`` only, up to 70 lb) is priced from a table in the shape
of USPS's published one (Notice 123, the Price List, "USPS Ground Advantage - Commercial", in force
from July 9, 2023): rows by weight, "not over" 4, 8, 12 and 15.99 oz and then each pound up to 70 lb
(the weight is rounded up to the row), columns by zone, 1 & 2 together, then 3 to 8. The figures
are the sandbox's own, near the published commercial ones for light parcels but not copied from
them (they are not a price reference): ``GROUND_ADVANTAGE_OUNCES`` for the ounce rows, and for the
pound rows the 1 lb price of the zone plus its step for each pound above 1. Ground Advantage is
the cheapest USPS service for a parcel here (below Priority Mail and Parcel Select at every weight
and zone), as it is at USPS for the parcels most merchants ship.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
MAX_OUNCES = Decimal(70 * 16)
LETTER_FLAT_OUNCES = Decimal(13)


@dataclass(frozen=True)
class Service:
    code: str
    description: str
    base: Decimal
    per_lb: Decimal
    max_ounces: Decimal
    days: tuple[int, int]


SERVICES: dict[str, Service] = {
    s.code: s
    for s in (
        Service("US-FC", "USPS First-Class Mail", Decimal("4.50"), Decimal("0.40"), LETTER_FLAT_OUNCES, (2, 5)),
        Service("US-PM", "USPS Priority Mail", Decimal("8.70"), Decimal("1.10"), MAX_OUNCES, (1, 3)),
        Service("US-XM", "USPS Priority Mail Express", Decimal("28.75"), Decimal("2.60"), MAX_OUNCES, (1, 2)),
        Service("US-PS", "USPS Parcel Select", Decimal("7.90"), Decimal("0.75"), MAX_OUNCES, (2, 8)),
        Service("US-GA", "USPS Ground Advantage", Decimal("0"), Decimal("0"), MAX_OUNCES, (2, 5)),
    )
}
GROUND_ADVANTAGE = "US-GA"
#: Ground Advantage's ounce rows: (not over, oz) and the price in zones 1&2, 3, 4, 5, 6, 7, 8.
GROUND_ADVANTAGE_OUNCES: tuple[tuple[Decimal, tuple[Decimal, ...]], ...] = tuple(
    (Decimal(limit), tuple(Decimal(p) for p in prices.split()))
    for limit, prices in (
        ("4", "4.40 4.45 4.50 4.55 4.65 4.75 4.90"),
        ("8", "4.95 5.00 5.10 5.20 5.35 5.50 5.70"),
        ("12", "6.35 6.45 6.60 6.80 7.05 7.30 7.60"),
        ("15.99", "7.85 8.00 8.20 8.50 8.80 9.05 9.30"),
    )
)
#: Ground Advantage's pound rows: the 1 lb price in each zone column, and the step per pound above 1.
GROUND_ADVANTAGE_POUND = tuple(Decimal(p) for p in ["8.45", "8.70", "8.95", "9.05", "9.15", "9.25", "9.35"])
GROUND_ADVANTAGE_STEP = tuple(Decimal(p) for p in ["0.70", "0.90", "1.00", "1.10", "1.20", "1.30", "1.40"])
ZONED_PACKAGES = ("Package", "Large Envelope or Flat")

# -- retired services (USPS, July 2023: folded into Ground Advantage) --------------------------------
#: Package types that are parcels (PackageTypeV11), which First-Class Mail no longer carries.
PARCELS = frozenset({"Package", "Thick Envelope", "Large Package", "Oversized Package"})
#: Service -> the name of what USPS retired, for the services it no longer sells for parcels.
RETIRED_FOR_PARCELS = {"US-FC": "First-Class Package Service", "US-RG": "Retail Ground"}
#: Services USPS no longer sells at all (for any package type).
RETIRED = frozenset({"US-RG"})


def retired(service: str | None, package: str | None) -> str | None:
    """Why ``service`` is not sold for ``package`` (a message naming the retired service), or None."""
    name = RETIRED_FOR_PARCELS.get(service or "")
    if name is None or (service not in RETIRED and package not in PARCELS):
        return None
    return (
        f"USPS no longer sells {name} ({service}) for parcels: it became USPS Ground Advantage on "
        "July 9, 2023; buy Priority Mail (US-PM) or Ground Advantage (US-GA, SWSIM v135 and later)."
    )


FLAT_RATES: dict[str, dict[str, Decimal]] = {
    "US-PM": {
        "Flat Rate Envelope": Decimal("9.85"),
        "Flat Rate Padded Envelope": Decimal("10.40"),
        "Small Flat Rate Box": Decimal("10.40"),
        "Flat Rate Box": Decimal("17.05"),
        "Large Flat Rate Box": Decimal("22.80"),
    },
    "US-XM": {
        "Flat Rate Envelope": Decimal("30.45"),
        "Flat Rate Padded Envelope": Decimal("30.95"),
        "Small Flat Rate Box": Decimal("62.15"),
        "Flat Rate Box": Decimal("71.45"),
        "Large Flat Rate Box": Decimal("81.30"),
    },
}
_ZIP3 = re.compile(r"\s*(\d{3})")


def zone(from_zip: str | None, to_zip: str | None) -> int | None:
    """The zone 1-8, or None when either ZIP lacks its first 3 digits."""
    a, b = _ZIP3.match(from_zip or ""), _ZIP3.match(to_zip or "")
    if a is None or b is None:
        return None
    return min(8, abs(int(a.group(1)) - int(b.group(1))) // 125 + 1)


def ounces(rate: dict[str, Any]) -> Decimal:
    lb = Decimal(str(rate.get("WeightLb") or 0))
    oz = Decimal(str(rate.get("WeightOz") or 0))
    return lb * 16 + oz


def ground_advantage_price(weight_oz: Decimal, zone_: int) -> Decimal:
    """The table's price for ``weight_oz`` (0 < w <= 70 lb) in ``zone_`` (1-8)."""
    column = max(zone_, 2) - 2
    for limit, prices in GROUND_ADVANTAGE_OUNCES:
        if weight_oz <= limit:
            return prices[column]
    pounds = max(1, math.ceil(weight_oz / 16))
    return GROUND_ADVANTAGE_POUND[column] + GROUND_ADVANTAGE_STEP[column] * (pounds - 1)


def price(service: Service, package: str, weight_oz: Decimal, zone_: int) -> Decimal | None:
    """The price, or None when the service has no such package or the weight is out of bounds."""
    if weight_oz < 0 or weight_oz > service.max_ounces:
        return None
    if service.code == GROUND_ADVANTAGE:
        return ground_advantage_price(weight_oz, zone_) if package == "Package" and weight_oz > 0 else None
    flat = FLAT_RATES.get(service.code, {}).get(package)
    if flat is not None:
        return flat
    if package not in ZONED_PACKAGES or (package == "Large Envelope or Flat" and weight_oz > LETTER_FLAT_OUNCES):
        return None
    pounds = max(1, math.ceil(weight_oz / 16))
    factor = Decimal(1) + Decimal("0.15") * (zone_ - 1)
    return (service.base + service.per_lb * pounds * factor).quantize(CENT, rounding=ROUND_HALF_UP)


def rates(request: dict[str, Any], offered: frozenset[str]) -> list[dict[str, Any]]:
    """Every rate matching the request's Rate (ServiceType/PackageType Unknown or omitted: all) among the
    ``offered`` services (those of the version's ServiceType enumeration)."""
    to = request.get("To") or {}
    if (to.get("Country") or "US").upper() != "US":
        return []
    wanted_service = request.get("ServiceType")
    wanted_package = request.get("PackageType")
    services = [s for code, s in SERVICES.items() if code in offered and wanted_service in (None, "Unknown", code)]
    weight = ounces(request)
    from_zip = (request.get("From") or {}).get("ZIPCode")
    z = zone(from_zip, to.get("ZIPCode"))
    out: list[dict[str, Any]] = []
    for service in services:
        packages = [*ZONED_PACKAGES, *FLAT_RATES.get(service.code, {})]
        for package in [p for p in packages if retired(service.code, p) is None]:
            if wanted_package not in (None, "Unknown", package):
                continue
            amount = price(service, package, weight, z or 1)
            if amount is None:
                continue
            zoned = z is None and package not in FLAT_RATES.get(service.code, {})
            rate = rate_entry(request, service, package, amount, price(service, package, weight, 8) if zoned else None)
            rate["Zone"] = z or 1
            out.append(rate)
    return out


def rate_entry(
    request: dict[str, Any], service: Service, package: str, amount: Decimal, max_amount: Decimal | None = None
) -> dict[str, Any]:
    """One rate of GetRates' answer: ``service`` for ``package`` at ``amount``, echoing the request's
    addresses, weight, dimensions and ship date."""
    rate: dict[str, Any] = {"From": request.get("From") or {}, "To": request.get("To") or {}, "Amount": amount}
    if max_amount is not None:
        rate["MaxAmount"] = max_amount
    rate.update(
        {
            "ServiceType": service.code,
            "ServiceDescription": f"{service.description} - {package}",
            "DeliverDays": f"{service.days[0]}-{service.days[1]}",
            "WeightLb": request.get("WeightLb") if request.get("WeightLb") is not None else 0.0,
            "WeightOz": request.get("WeightOz") if request.get("WeightOz") is not None else 0.0,
            "PackageType": package,
        }
    )
    for echoed in ("Length", "Width", "Height", "ShipDate"):
        if request.get(echoed) is not None:
            rate[echoed] = request[echoed]
    rate["EffectiveWeightInOunces"] = math.ceil(ounces(request))
    return rate


def deliver_days(service_type: str) -> int:
    """The upper bound of the service's DeliverDays."""
    return SERVICES[service_type].days[1]
