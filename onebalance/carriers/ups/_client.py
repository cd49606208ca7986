"""The carrier-neutral face of UPS: rates, buy, void, track (the REST base's, with UPS's mapping)."""

from __future__ import annotations

from .._rest._client import RestClient
from . import _mapping, _mapping_tracking
from ._proxy import UpsProxy
from ._settings import UpsSettings

__all__ = ["UpsClient"]


class UpsClient(RestClient[UpsSettings, UpsProxy]):
    """UPS labels billed to the merchant's own account (``settings.account_number``, BillShipper).

    Rates are a Shop request (every service). The idempotency key of a purchase travels to UPS as
    the transaction reference (``CustomerContext``) and, digested, as ``transId``. ``proxy`` is the
    :class:`UpsProxy` that does its HTTP. See :class:`~onebalance.carriers._rest.RestClient` for the
    rest: the idempotency keys kept, the retry policy, :class:`~onebalance.OutcomeUnknown`.
    """

    proxy_type = UpsProxy
    mapping = _mapping
    tracking = _mapping_tracking
