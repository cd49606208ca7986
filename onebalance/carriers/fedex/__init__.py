"""FedEx over REST: labels billed to the merchant's own FedEx account (paymentType SENDER).

::

    from carriers.fedex import FedexClient, FedexSettings

    settings = FedexSettings(client_id="...", client_secret="...", account_number="740561073")
    with FedexClient(settings) as fedex:
        rate = cheapest(fedex.rates(shipment))
        label = fedex.buy(rate, shipment, idempotency_key="order-1042")

Laid out as UPS is, karrio-style: :class:`FedexSettings` (credentials and account), a pure
mapping layer (``_mapping``: ``rate_request`` / ``parse_rates``, ``ship_request`` /
``parse_label``, ``void_request`` / ``parse_void``, ``parse_error``; ``_mapping_tracking``:
``track_request`` / ``parse_tracking``; no I/O), one proxy that does all HTTP
(:class:`FedexProxy`, on the REST base shared with UPS: the OAuth token cache), and
:class:`FedexClient`, the carrier-neutral face.
"""

from ._client import FedexClient
from ._proxy import FedexProxy
from ._settings import PRODUCTION_URL, SANDBOX_URL, FedexSettings

__all__ = ["PRODUCTION_URL", "SANDBOX_URL", "FedexClient", "FedexProxy", "FedexSettings"]
