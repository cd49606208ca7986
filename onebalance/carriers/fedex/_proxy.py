"""All of FedEx's HTTP: the REST base (:class:`~onebalance.carriers._rest.RestProxy`) set for FedEx.

The token is fetched with the client credentials in the form body, and kept until
``REFRESH_MARGIN`` seconds before it expires (or half its life, when that is shorter). A ship is
retried only when it never reached FedEx: FedEx only echoes ``x-customer-transaction-id`` and does
not promise to recognise a repeat.
"""

from __future__ import annotations

from typing import ClassVar

from .._rest._proxy import RestProxy
from .._rest._request import RestMapping
from . import _mapping
from ._settings import FedexSettings

__all__ = ["REFRESH_MARGIN", "FedexProxy"]

#: Fetch a new token this long before the old one expires (FedEx's tokens last 60 minutes).
REFRESH_MARGIN = 300.0


class FedexProxy(RestProxy[FedexSettings]):
    """HTTP to FedEx for one :class:`FedexSettings`. Thread-safe; the token is shared by all threads."""

    mapping: ClassVar[RestMapping] = _mapping
    refresh_margin = REFRESH_MARGIN
