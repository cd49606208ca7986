"""UPS labels billed to the merchant's own UPS account: the public name of
:mod:`onebalance.carriers.ups` (this package only hands its names on; ``carriers.ups.mapping``, the
old public mapping, still imports for one release, with a ``DeprecationWarning``)."""

from onebalance.carriers.ups import (
    CIE_URL,
    PRODUCTION_URL,
    UpsClient,
    UpsProxy,
    UpsSettings,
)

__all__ = ["CIE_URL", "PRODUCTION_URL", "UpsClient", "UpsProxy", "UpsSettings"]
