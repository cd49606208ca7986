"""All of UPS's HTTP: the REST base (:class:`~onebalance.carriers._rest.RestProxy`) set for UPS.

The token is fetched with HTTP Basic auth (``client_id:client_secret``) and the form
``grant_type=client_credentials``, and kept until ``REFRESH_MARGIN`` seconds before it expires.
A ship is retried only when it never reached UPS: UPS does not promise to recognise a repeated
``CustomerContext``/``transId``.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

from .._rest._proxy import RestProxy
from .._rest._request import RestMapping
from . import _mapping
from ._settings import UpsSettings

__all__ = ["REFRESH_MARGIN", "UpsProxy"]

#: Refresh the token this many seconds before UPS says it expires (UPS's tokens last 4 hours).
REFRESH_MARGIN = 60.0


class UpsProxy(RestProxy[UpsSettings]):
    """Sends UPS requests for one set of :class:`UpsSettings`; safe to share between threads.

    ``call(operation, method, path, payload=None, *, idempotency_key=None)`` sends one call (as
    FedEx's proxy does); ``token()`` is the current OAuth token; ``tokens_fetched`` counts them.
    """

    mapping: ClassVar[RestMapping] = _mapping
    refresh_margin = REFRESH_MARGIN

    @property
    def token_fetches(self) -> int:
        """Deprecated: :attr:`tokens_fetched` (the name FedEx's proxy always had)."""
        warnings.warn("UpsProxy.token_fetches is deprecated: use tokens_fetched", DeprecationWarning, stacklevel=2)
        return self.tokens_fetched
