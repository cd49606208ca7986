"""What a FedEx client needs to know: the API key pair, the account it bills, and where FedEx is."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from onebalance.core import ConfigurationError
from onebalance.shipments import Carrier

from .._rest._settings import RestSettings

__all__ = ["PRODUCTION_URL", "SANDBOX_URL", "FedexSettings"]

#: FedEx's own test host (CARRIERS.md §2.1).
SANDBOX_URL = "https://apis-sandbox.fedex.com"
PRODUCTION_URL = "https://apis.fedex.com"

_ACCOUNT = re.compile(r"\d{9}")


class FedexSettings(RestSettings):
    """Credentials and account of one merchant's FedEx project, e.g.
    ``FedexSettings(client_id="l7...", client_secret="...", account_number="740561073")``.

    ``client_secret`` is a :class:`pydantic.SecretStr`: ``repr()`` and ``str()`` show ``**********``.
    The account number is shown masked (``****1073``).
    """

    carrier: ClassVar[Carrier] = Carrier.FEDEX
    label: ClassVar[str] = "FedEx"

    base_url: str = SANDBOX_URL

    @classmethod
    def account(cls, value: Any) -> str:
        """A FedEx account number: 9 digits (spaces and dashes dropped)."""
        text = re.sub(r"[\s-]", "", value) if isinstance(value, str) else ""
        if not _ACCOUNT.fullmatch(text):
            raise ConfigurationError("FedEx settings: account_number: a FedEx account number is 9 digits")
        return text
