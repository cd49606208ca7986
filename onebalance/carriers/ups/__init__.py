"""UPS: labels billed to the merchant's own UPS account, over UPS's REST APIs (OAuth, Rating v2409,
Shipping v2409, Tracking v1).

Laid out like a karrio carrier: :class:`UpsSettings` (credentials and the shipper number), a pure
mapping layer (:mod:`onebalance.carriers.ups.mapping`: ``rate_request`` / ``parse_rate_response`` pairs, no I/O),
one proxy that does all HTTP (:class:`UpsProxy`: the OAuth token, its cache and the single retry on
401), and :class:`UpsClient`, the carrier-neutral face::

    from carriers.ups import UpsClient, UpsSettings

    settings = UpsSettings(client_id="...", client_secret="...", account_number="A1B2C3")
    with UpsClient(settings) as ups:
        rates = ups.rates(shipment)
        label = ups.buy(cheapest(rates), shipment, idempotency_key="order-1042")
"""

from . import mapping
from ._client import UpsClient
from ._proxy import UpsProxy
from ._settings import CIE_URL, PRODUCTION_URL, UpsSettings

__all__ = ["CIE_URL", "PRODUCTION_URL", "UpsClient", "UpsProxy", "UpsSettings", "mapping"]
