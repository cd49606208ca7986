"""FedEx over REST: labels billed to the merchant's own FedEx account (paymentType SENDER).

::

    from carriers.fedex import FedexClient, FedexSettings

    settings = FedexSettings(client_id="...", client_secret="...", account_number="740561073")
    with FedexClient(settings) as fedex:
        rate = cheapest(fedex.rates(shipment))
        label = fedex.buy(rate, shipment, idempotency_key="order-1042")

Karrio's layout: :mod:`._settings` (credentials and account), :mod:`._mapping` (pure
request/parse pairs, no I/O), :mod:`._proxy` (all HTTP, the OAuth token cache), and the client.
"""

from ._client import FedexClient
from ._settings import PRODUCTION_URL, SANDBOX_URL, FedexSettings

__all__ = ["PRODUCTION_URL", "SANDBOX_URL", "FedexClient", "FedexSettings"]
