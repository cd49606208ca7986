"""UPS labels billed to the merchant's own UPS account: the public name of
:mod:`onebalance.carriers.ups` (this package only hands its names on)."""

from onebalance.carriers.ups import (
    CIE_URL,
    PRODUCTION_URL,
    UpsClient,
    UpsProxy,
    UpsSettings,
    mapping,
)

__all__ = ["CIE_URL", "PRODUCTION_URL", "UpsClient", "UpsProxy", "UpsSettings", "mapping"]
