"""What a UPS client needs: the OAuth app's credentials, the shipper number it bills, and the host."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from onebalance.core import ConfigurationError
from onebalance.shipments import Carrier

from .._rest._settings import RestSettings

__all__ = ["CIE_URL", "PRODUCTION_URL", "UpsSettings"]

#: UPS's Customer Integration Environment (its sandbox) and production hosts.
CIE_URL = "https://wwwcie.ups.com"
PRODUCTION_URL = "https://onlinetools.ups.com"
_SHIPPER_NUMBER = re.compile(r"[A-Z0-9]{6}")


class UpsSettings(RestSettings):
    """Credentials of a UPS OAuth app and the merchant's shipper number (6 letters or digits).

    ``client_secret`` is a :class:`pydantic.SecretStr`: it never shows in ``repr()`` or ``str()``.
    ``base_url`` is the host only (``https://wwwcie.ups.com``); plain http is accepted only for
    local hosts (a sandbox).
    """

    carrier: ClassVar[Carrier] = Carrier.UPS
    label: ClassVar[str] = "UPS"

    base_url: str = CIE_URL

    @classmethod
    def account(cls, value: Any) -> str:
        """A shipper number: 6 letters or digits, kept upper-case (spaces and dashes dropped)."""
        text = re.sub(r"[\s-]", "", str(value)).upper() if isinstance(value, (str, int)) else ""
        if not _SHIPPER_NUMBER.fullmatch(text):
            raise ConfigurationError("UPS settings: account_number must be a UPS shipper number (6 letters or digits)")
        return text
