"""What a FedEx client needs to know: the API key pair, the account it bills, and where FedEx is.

``client_secret`` is a :class:`pydantic.SecretStr`: ``repr()`` and ``str()`` show ``**********``.
The account number is shown masked (``****6789``).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from onebalance.core._config import check_client_id, check_endpoint
from onebalance.core._errors import ConfigurationError
from onebalance.core._redact import register_secret

__all__ = ["PRODUCTION_URL", "SANDBOX_URL", "FedexSettings"]

#: FedEx's own test host (CARRIERS.md §2.1).
SANDBOX_URL = "https://apis-sandbox.fedex.com"
PRODUCTION_URL = "https://apis.fedex.com"

_ACCOUNT = re.compile(r"\d{9}")


class FedexSettings(BaseModel):
    """Credentials and account of one merchant's FedEx project, e.g.
    ``FedexSettings(client_id="l7...", client_secret="...", account_number="740561073")``."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    client_id: str
    client_secret: SecretStr
    account_number: str
    base_url: str = SANDBOX_URL

    def __init__(self, **data: Any) -> None:
        error: ConfigurationError | None = None
        try:
            super().__init__(**data)
        except ConfigurationError:
            raise
        except Exception as exc:  # pydantic's ValidationError: never leak the values
            error = ConfigurationError(f"FedEx settings are not valid ({_first_field(exc)})")
        if error is not None:
            raise error  # outside the except block: pydantic's error (with the secret) is not its __context__

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        return check_client_id(value, "FedEx")

    @field_validator("client_secret")
    @classmethod
    def _client_secret(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ConfigurationError("client_secret must not be empty")
        register_secret(value.get_secret_value())
        return value

    @field_validator("account_number", mode="before")
    @classmethod
    def _account(cls, value: Any) -> str:
        text = re.sub(r"[\s-]", "", value) if isinstance(value, str) else ""
        if not _ACCOUNT.fullmatch(text):
            raise ConfigurationError("account_number: a FedEx account number is 9 digits")
        return text

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_endpoint(value).rstrip("/")

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield (name, f"****{value[-4:]}") if name == "account_number" else (name, value)


def _first_field(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors(include_url=False, include_input=False)[0]
        original = (first.get("ctx") or {}).get("error")
        if isinstance(original, ConfigurationError):
            return original.message
        return ".".join(str(p) for p in first["loc"]) + ": " + str(first["msg"])
    return type(exc).__name__
