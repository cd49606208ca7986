"""What a UPS client needs: the OAuth app's credentials, the shipper number it bills, and the host."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from onebalance.core._config import check_client_id, check_endpoint
from onebalance.core._errors import ConfigurationError
from onebalance.core._redact import register_secret
from onebalance.shipments._carrier import Carrier
from onebalance.shipments._payment import CarrierAccountPayment

__all__ = ["CIE_URL", "PRODUCTION_URL", "UpsSettings"]

#: UPS's Customer Integration Environment (its sandbox) and production hosts.
CIE_URL = "https://wwwcie.ups.com"
PRODUCTION_URL = "https://onlinetools.ups.com"
_SHIPPER_NUMBER = re.compile(r"[A-Z0-9]{6}")


class UpsSettings(BaseModel):
    """Credentials of a UPS OAuth app and the merchant's shipper number (6 letters or digits).

    ``client_secret`` is a :class:`pydantic.SecretStr`: it never shows in ``repr()`` or ``str()``.
    ``base_url`` is the host only (``https://wwwcie.ups.com``); plain http is accepted only for
    local hosts (a sandbox).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    client_id: str
    client_secret: SecretStr
    account_number: str
    base_url: str = CIE_URL

    def __init__(self, **data: Any) -> None:
        import pydantic

        error: ConfigurationError | None = None
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            original = (first.get("ctx") or {}).get("error")
            field = ".".join(str(p) for p in first["loc"])
            error = original if isinstance(original, ConfigurationError) else None
            error = error or ConfigurationError(f"UPS settings: {field}: {first['msg']}")
        if error is not None:
            raise error  # outside the except block: pydantic's error (with the secret) is not its __context__

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        if not value:
            raise ConfigurationError("UPS settings: client_id is required")
        return check_client_id(value, "UPS")

    @field_validator("client_secret")
    @classmethod
    def _client_secret(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ConfigurationError("UPS settings: client_secret is required")
        register_secret(value.get_secret_value())
        return value

    @field_validator("account_number", mode="before")
    @classmethod
    def _account_number(cls, value: Any) -> str:
        text = re.sub(r"[\s-]", "", str(value)).upper() if isinstance(value, (str, int)) else ""
        if not _SHIPPER_NUMBER.fullmatch(text):
            raise ConfigurationError("UPS settings: account_number must be a UPS shipper number (6 letters or digits)")
        return text

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_endpoint(value).rstrip("/")

    @property
    def payment(self) -> CarrierAccountPayment:
        """Who pays: the merchant's UPS account (``CarrierAccountPayment("ups", account_number)``)."""
        return CarrierAccountPayment(Carrier.UPS, self.account_number)

    @property
    def cache_key(self) -> str:
        """A key naming these credentials without carrying the secret (a SHA-256 digest of them)."""
        raw = "\0".join((self.base_url, self.client_id, self.client_secret.get_secret_value()))
        return hashlib.sha256(raw.encode()).hexdigest()

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield (name, f"****{self.account_number[-4:]}") if name == "account_number" else (name, value)
