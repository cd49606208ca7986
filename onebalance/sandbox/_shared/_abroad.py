"""Borders as the UPS and FedEx sandboxes see them: what is domestic, and how far abroad a country is.

The US and the territories in the ZIP code system are one country (UPS calls US to PR a "qualified
domestic shipment"; FedEx ships it with its domestic services). Abroad, the sandboxes price by a
zone of the destination: the neighbours (Canada, Mexico), Europe, and the rest of the world.
"""

from __future__ import annotations

__all__ = ["EU", "EUROPE", "NEIGHBOURS", "ZIP_SYSTEM", "domestic", "through_customs", "zone"]

#: The countries in the US ZIP code system.
ZIP_SYSTEM = frozenset({"US", "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW"})
NEIGHBOURS = frozenset({"CA", "MX"})
EUROPE = frozenset(
    {"AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR", "HU", "IE",
     "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"}
)  # fmt: skip


#: The European Union: one customs territory (UPS calls a shipment inside it "qualified domestic").
EU = EUROPE - {"CH", "GB", "IS", "LI", "MC", "NO"}


def through_customs(origin_country: str, destination_country: str) -> bool:
    """Whether a shipment goes through customs: abroad, but not from one EU country to another."""
    both_eu = origin_country in EU and destination_country in EU
    return not domestic(origin_country, destination_country) and not both_eu


def domestic(origin_country: str, destination_country: str) -> bool:
    """Whether a shipment between the two countries stays inside one (the ZIP system is one)."""
    if origin_country in ZIP_SYSTEM and destination_country in ZIP_SYSTEM:
        return True
    return origin_country == destination_country


def zone(destination_country: str) -> int:
    """The price zone abroad: 3 for the neighbours, 5 for Europe, 8 for the rest of the world."""
    if destination_country in NEIGHBOURS:
        return 3
    return 5 if destination_country in EUROPE else 8
