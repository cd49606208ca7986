"""Borders as the UPS and FedEx sandboxes see them: what is domestic, and how far abroad a country is.

The US and the territories in the ZIP code system are one country (UPS calls US to PR a "qualified
domestic shipment"; FedEx ships it with its domestic services). Abroad, the sandboxes price by a
zone of the destination: the neighbours (Canada, Mexico), Europe, and the rest of the world.
"""

from __future__ import annotations

__all__ = ["EUROPE", "NEIGHBOURS", "ZIP_SYSTEM", "domestic", "zone"]

#: The countries in the US ZIP code system.
ZIP_SYSTEM = frozenset({"US", "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW"})
NEIGHBOURS = frozenset({"CA", "MX"})
EUROPE = frozenset(
    {"AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR", "HU", "IE",
     "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"}
)  # fmt: skip


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
