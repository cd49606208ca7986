"""UPS: labels billed to the merchant's own UPS account, over UPS's REST APIs (OAuth, Rating v2409,
Shipping v2409, Tracking v1).

Laid out as FedEx is, karrio-style: :class:`UpsSettings` (credentials and the shipper number), a
pure mapping layer (``_mapping``: ``rate_request`` / ``parse_rates``, ``ship_request`` /
``parse_label``, ``void_request`` / ``parse_void``, ``parse_error``; ``_mapping_tracking``:
``track_request`` / ``parse_tracking``; no I/O), one proxy that does all HTTP (:class:`UpsProxy`,
on the REST base shared with FedEx: the OAuth token, its cache and the single retry on 401), and
:class:`UpsClient`, the carrier-neutral face::

    from carriers.ups import UpsClient, UpsSettings

    settings = UpsSettings(client_id="...", client_secret="...", account_number="A1B2C3")
    with UpsClient(settings) as ups:
        rates = ups.rates(shipment)
        label = ups.buy(cheapest(rates), shipment, idempotency_key="order-1042")

``onebalance.carriers.ups.mapping`` (the mapping under its old public name) is deprecated.
"""

import importlib
from typing import Any

from ._client import UpsClient
from ._proxy import UpsProxy
from ._settings import CIE_URL, PRODUCTION_URL, UpsSettings

__all__ = ["CIE_URL", "PRODUCTION_URL", "UpsClient", "UpsProxy", "UpsSettings"]


def __getattr__(name: str) -> Any:
    if name == "mapping":  # deprecated: importing it warns once
        return importlib.import_module(f"{__name__}.mapping")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
