"""The settings of a REST carrier: an OAuth app's client id and secret, the account it bills, the host.

``client_secret`` is a :class:`pydantic.SecretStr` (``repr()`` and ``str()`` show ``**********``),
registered for masking in logs; the account number shows masked (``****6789``). A carrier's
subclass says how its account numbers are written (:meth:`RestSettings.account`) and where its
host is (``base_url``'s default).
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

import pydantic
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from onebalance.core import ConfigurationError, check_client_id, check_endpoint, register_secret
from onebalance.shipments import Carrier, CarrierAccountPayment

__all__ = ["RestSettings"]


class RestSettings(BaseModel):
    """Credentials of a carrier's OAuth app and the merchant's account number it bills."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    #: The carrier, and its name in messages ("UPS", "FedEx").
    carrier: ClassVar[Carrier]
    label: ClassVar[str]

    client_id: str
    client_secret: SecretStr
    account_number: str
    base_url: str

    def __init__(self, **data: Any) -> None:
        error: ConfigurationError | None = None
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:  # never leak the values
            first = exc.errors(include_url=False, include_input=False)[0]
            original = (first.get("ctx") or {}).get("error")
            field = ".".join(str(p) for p in first["loc"])
            error = original if isinstance(original, ConfigurationError) else None
            error = error or ConfigurationError(f"{self.label} settings: {field}: {first['msg']}")
        if error is not None:
            raise error  # outside the except block: pydantic's error (with the secret) is not its __context__

    @classmethod
    def account(cls, value: Any) -> str:
        """``value`` as the carrier writes an account number; :class:`ConfigurationError` if it is none."""
        raise NotImplementedError

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        return check_client_id(value, cls.label)

    @field_validator("client_secret")
    @classmethod
    def _client_secret(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ConfigurationError(f"{cls.label} settings: client_secret is required")
        register_secret(value.get_secret_value())
        return value

    @field_validator("account_number", mode="before")
    @classmethod
    def _account_number(cls, value: Any) -> str:
        return cls.account(value)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_endpoint(value).rstrip("/")

    @property
    def payment(self) -> CarrierAccountPayment:
        """Who pays: the merchant's account with the carrier (``CarrierAccountPayment("ups", ...)``)."""
        return CarrierAccountPayment(self.carrier, self.account_number)

    @property
    def cache_key(self) -> str:
        """A key naming these credentials without carrying the secret (a SHA-256 digest of them)."""
        raw = "\0".join((self.base_url, self.client_id, self.client_secret.get_secret_value()))
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def masked_account(self) -> str:
        """The account number as reprs and logs show it: ``****`` and its last four characters."""
        return f"****{self.account_number[-4:]}"

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield (name, self.masked_account) if name == "account_number" else (name, value)
