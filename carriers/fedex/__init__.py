"""FedEx labels billed to the merchant's own FedEx account: the public name of
:mod:`onebalance.carriers.fedex` (this package only hands its names on)."""

from onebalance.carriers.fedex import (
    PRODUCTION_URL,
    SANDBOX_URL,
    FedexClient,
    FedexProxy,
    FedexSettings,
)

__all__ = ["PRODUCTION_URL", "SANDBOX_URL", "FedexClient", "FedexProxy", "FedexSettings"]
