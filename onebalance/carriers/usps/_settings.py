"""What a USPS client is configured with.

USPS labels are bought through the merchant's One Balance, so the endpoint, the credentials, the
timeouts and the retry policy are its One Balance client's (:class:`~onebalance.OneBalance`), and
the postage is its :class:`~onebalance.Postage`'s. What is left to USPS is whose labels these are
and which SWSIM version the mapping writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from onebalance.swsim import Version

__all__ = ["UspsSettings"]


@dataclass(frozen=True)
class UspsSettings:
    """``merchant_id``: the merchant whose One Balance pays (it salts each purchase's IntegratorTxID);
    ``version``: the SWSIM version of its client (``"v135"`` or ``"v111"``)."""

    merchant_id: str
    version: Version
