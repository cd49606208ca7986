"""The credentials a store keeps for each merchant, and the interface every credential store has.

:class:`StoredCredentials` is one merchant's One Balance credentials, with its own UPS and FedEx
accounts (:class:`UpsAccount`, :class:`FedexAccount`) when connected; :class:`CredentialStore` is
what keeps them, keyed by the platform's merchant id. The stores themselves are in
``_credential_stores`` (in memory, an encrypted file) and ``_credential_tables`` (SQLite,
PostgreSQL); the keys that encrypt them in ``_keys``.
"""

from __future__ import annotations

import abc
import unicodedata
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError

from onebalance.core import ValidationError

__all__ = [
    "CarrierAccount",
    "CredentialStore",
    "FedexAccount",
    "StoredCredentials",
    "UpsAccount",
    "utc_now",
    "valid_credentials",
    "valid_merchant_id",
]

_MAX_MERCHANT_ID = 200


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


_MASK = "**********"


class CarrierAccount(BaseModel):
    """A merchant's own UPS or FedEx account: the API app's credentials, the account billed, the host.

    ``client_secret`` is a :class:`~pydantic.SecretStr`: ``repr``, ``str`` and ``model_dump_json`` mask
    it, and so do error messages (``hide_input_in_errors``). The formats are checked by
    :class:`~onebalance.Accounts` (``connect_ups`` / ``connect_fedex``) through the carriers' own
    settings before anything is stored.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    client_id: str = Field(min_length=1, max_length=128)
    client_secret: SecretStr
    account_number: str = Field(min_length=1, max_length=16)
    base_url: str = Field(min_length=1, max_length=500, description="The carrier's API host (or a sandbox's).")
    connected_at: datetime = Field(default_factory=utc_now)

    @field_validator("client_secret")
    @classmethod
    def _real_secret(cls, value: SecretStr) -> SecretStr:
        # A record serialized with model_dump(mode="json") holds the mask, not the secret: refuse it
        # loudly rather than send "**********" to the carrier (use StoredCredentials.to_record()).
        if not value.get_secret_value() or value.get_secret_value() == _MASK:
            raise ValueError("client_secret is missing (a record written without its secret)")
        return value

    def secret_value(self) -> str:
        """The client secret itself, for the carrier's OAuth call only. Never log or show it."""
        return self.client_secret.get_secret_value()

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield (name, f"****{self.account_number[-4:]}") if name == "account_number" else (name, value)

    if not TYPE_CHECKING:

        def __setattr__(self, name: str, value: Any) -> None:
            # As for StoredCredentials: pydantic's frozen-instance error would quote the new secret.
            raise PydanticValidationError.from_exception_data(
                type(self).__name__, [{"type": "frozen_instance", "loc": (name,), "input": "**********"}]
            )


class UpsAccount(CarrierAccount):
    """The merchant's UPS account: an OAuth app's client id and secret and the 6-character shipper number."""


class FedexAccount(CarrierAccount):
    """The merchant's FedEx account: an API key and secret and the 9-digit account number."""


class StoredCredentials(BaseModel):
    """One merchant's One Balance credentials, and optionally its own UPS and FedEx accounts.

    ``repr``, ``str`` and ``model_dump_json`` mask the password and the carriers' client secrets; a
    store persists :meth:`to_record` (everything, secrets in clear) and reads it back with
    ``model_validate``. Records written before ``ups`` and ``fedex`` existed load with both None.
    """

    # hide_input_in_errors: a refused field must not put the password into pydantic's error text.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    integration_id: str
    username: str
    password: SecretStr
    endpoint: str
    verified_at: datetime | None = Field(
        default=None, description="When these credentials last logged in successfully; None = never."
    )
    status: Literal["connected", "pending_verification", "disconnected"] = Field(
        default="connected",
        description="'disconnected': the service refused these credentials; the SDK does not send them "
        "again on its own (each refusal counts towards a lockout) until they are replaced or reconnect "
        "is asked for.",
    )
    refused_at: datetime | None = Field(default=None, description="When the service refused these credentials.")
    updated_at: datetime = Field(default_factory=utc_now)
    ups: UpsAccount | None = Field(default=None, description="The merchant's own UPS account, if connected.")
    fedex: FedexAccount | None = Field(default=None, description="The merchant's own FedEx account, if connected.")

    def password_value(self) -> str:
        """The password itself, for the SDK's login call only. Never log or show it."""
        return self.password.get_secret_value()

    def to_record(self) -> dict[str, Any]:
        """Everything a store must keep, as JSON-ready data with every secret in clear.

        ``StoredCredentials.model_validate(record)`` gives these credentials back. Only a store
        (which encrypts or otherwise protects it) should call this; never log the result.
        """
        data = self.model_dump(mode="json")
        data["password"] = self.password_value()
        for name in ("ups", "fedex"):
            account: CarrierAccount | None = getattr(self, name)
            if account is not None:
                data[name]["client_secret"] = account.secret_value()
        return data

    if not TYPE_CHECKING:  # type checkers already refuse assignment to a frozen model

        def __setattr__(self, name: str, value: Any) -> None:
            # pydantic's own frozen-instance error quotes the assigned value whatever hide_input_in_errors
            # says, so ``credentials.password = new_password`` would put the new password into the error.
            raise PydanticValidationError.from_exception_data(
                type(self).__name__, [{"type": "frozen_instance", "loc": (name,), "input": "**********"}]
            )


def valid_merchant_id(merchant_id: object) -> str:
    if (
        not isinstance(merchant_id, str)
        or not merchant_id
        or len(merchant_id) > _MAX_MERCHANT_ID
        or any(unicodedata.category(ch) == "Cc" for ch in merchant_id)
    ):
        raise ValidationError(
            f"merchant_id must be a non-empty string of at most {_MAX_MERCHANT_ID} characters "
            "without control characters",
            field="merchant_id",
        )
    return merchant_id


def valid_credentials(credentials: object) -> StoredCredentials:
    if not isinstance(credentials, StoredCredentials):
        raise ValidationError("credentials must be a StoredCredentials", field="credentials")
    return credentials


class CredentialStore(abc.ABC):
    """Each merchant's credentials, keyed by the platform's merchant id.

    A merchant id is a non-empty string of at most 200 characters without control characters;
    anything else raises :class:`~onebalance.ValidationError` (``field="merchant_id"``).
    Implementations call :meth:`check_merchant_id` on every id they are given.
    """

    @staticmethod
    def check_merchant_id(merchant_id: object) -> str:
        """Return ``merchant_id`` if it is valid, else raise ``ValidationError(field="merchant_id")``."""
        return valid_merchant_id(merchant_id)

    @abc.abstractmethod
    def get(self, merchant_id: str) -> StoredCredentials | None:
        """The merchant's credentials, or None if none are stored."""

    @abc.abstractmethod
    def put(self, merchant_id: str, credentials: StoredCredentials) -> None:
        """Store (or replace) the merchant's credentials."""

    @abc.abstractmethod
    def delete(self, merchant_id: str) -> bool:
        """Forget the merchant's credentials; True if there were any."""

    @abc.abstractmethod
    def merchant_ids(self) -> list[str]:
        """Every merchant with stored credentials, sorted."""
