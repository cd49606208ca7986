"""The carrier-neutral face of FedEx: rates, buy, void, track (the REST base's, with FedEx's mapping)."""

from __future__ import annotations

from .._rest._client import RestClient
from . import _mapping, _mapping_tracking
from ._proxy import FedexProxy
from ._settings import FedexSettings

__all__ = ["FedexClient"]


class FedexClient(RestClient[FedexSettings, FedexProxy]):
    """One merchant's FedEx account, billed as the sender (paymentType SENDER).

    The idempotency key of a purchase travels to FedEx as ``x-customer-transaction-id``; a void
    cancels the shipment (FedEx bills only the packages that are used). ``proxy`` is the
    :class:`FedexProxy` that does its HTTP. See :class:`~onebalance.carriers._rest.RestClient` for
    the rest: the idempotency keys kept, the retry policy, :class:`~onebalance.OutcomeUnknown`.
    """

    proxy_type = FedexProxy
    mapping = _mapping
    tracking = _mapping_tracking
