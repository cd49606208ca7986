"""The base of every SDK error, the service it came from, and the errors of the SDK's own making or of
the exchange: configuration, input, stores, transport. (Import them from ``_errors``, the whole tree.)"""

from __future__ import annotations

import enum
from typing import Any, TypeVar

#: be megabytes long, and it would be as long in every log line and report that shows the error.
MAX_MESSAGE_CHARS = 2000


def clipped(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` if it is at most ``limit`` characters long; else its start and how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters not kept)"


E = TypeVar("E", bound="OneBalanceError")


class Service(str, enum.Enum):
    """The service an error came from: :attr:`OneBalanceError.source`."""

    ONEBALANCE = "onebalance"
    UPS = "ups"
    FEDEX = "fedex"


def from_service(error: E, service: Service) -> E:
    """``error`` marked as coming from ``service`` (for the one place per service that maps faults)."""
    error.source = service
    return error


class OneBalanceError(Exception):
    """Base of every SDK error.

    Attributes a support engineer needs: ``operation`` (the SWSIM operation or SDK action),
    ``code`` (the service's 8-hex-digit code, if any), ``http_status``, ``transaction_id``
    (the IntegratorTxID or other id of the attempt) and ``message`` (safe to show). ``message`` and
    ``faultstring`` keep at most :data:`MAX_MESSAGE_CHARS` characters.
    """

    default_message = "One Balance request failed"
    #: The service the error came from (``Service.ONEBALANCE``, ``Service.UPS``, ``Service.FEDEX``), or
    #: ``None`` for an error of the SDK's own (bad input or configuration refused before sending).
    source: Service | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        operation: str | None = None,
        code: str | None = None,
        http_status: int | None = None,
        transaction_id: str | None = None,
        faultstring: str | None = None,
        source: Service | None = None,
    ) -> None:
        if source is not None:
            self.source = Service(source)
        self.message = clipped(message or self.default_message)
        self.faultstring = clipped(faultstring) if faultstring is not None else None
        self.operation = operation
        self.code = code
        self.http_status = http_status
        self.transaction_id = transaction_id
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = [self.message]
        if self.code:
            parts.append(f"[code {self.code}]")
        if self.operation:
            parts.append(f"(operation {self.operation})")
        return " ".join(parts)

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{k}={v!r}"
            for k, v in (
                ("source", self.source.value if self.source is not None else None),
                ("message", self.message),
                ("operation", self.operation),
                ("code", self.code),
                ("http_status", self.http_status),
                ("transaction_id", self.transaction_id),
            )
            if v is not None
        )
        return f"{type(self).__name__}({fields})"


class ConfigurationError(OneBalanceError, ValueError):
    default_message = "Invalid configuration"


class ClientClosed(OneBalanceError):
    default_message = "The client was closed; make a new one"


class ValidationError(OneBalanceError, ValueError):
    """Bad input, refused before anything was sent. ``field`` names the offending input."""

    default_message = "Invalid input"

    def __init__(self, message: str | None = None, *, field: str | None = None, **kw: Any) -> None:
        self.field = field
        super().__init__(message, **kw)


class InvalidPassword(ValidationError):
    default_message = "The password does not meet the service's rules"


class InvalidCodewords(ValidationError):
    default_message = "The codeword questions or answers do not meet the service's rules"


class InvalidPaymentMethod(ValidationError):
    default_message = "The payment details are not valid"


class TermsNotAccepted(ValidationError):
    default_message = "The merchant must accept the terms of service before registering"


class PickupDateInPast(ValidationError):
    """A carrier pickup asked for a day before today (refused before anything is sent; the service's
    own refusal of a past day is this class too)."""

    default_message = "The pickup date is in the past"


class CredentialStoreError(OneBalanceError):
    default_message = "The credential store cannot be read or written"


class StoreError(OneBalanceError):
    """The shared store (its SQLite file or PostgreSQL database) cannot be read or written."""

    default_message = "The store cannot be read or written"


class RefillLockTimeout(StoreError):
    """Another worker held the merchant's auto-refill lock for longer than the lock timeout; nothing was bought."""

    default_message = "The merchant's auto-refill lock was not had in time; nothing was bought"


class InvalidAmount(ValidationError):
    default_message = "The postage amount is out of bounds"


class AmountBelowMinimum(InvalidAmount):
    default_message = "The minimum postage purchase is $10.00"


class BalanceLimitExceeded(ValidationError):
    default_message = "The purchase would take the postage balance above the account's maximum"


class MonthlyLimitExceeded(ValidationError):
    default_message = "The purchase would exceed the account's monthly postage purchase limit"


class CostAccountRequired(ValidationError):
    default_message = "This account must assign every purchase to a cost account"


class UnknownCostAccount(ValidationError):
    default_message = "No such cost account"


class InvalidAutoBuySettings(ValidationError):
    default_message = "The auto-refill settings are not valid"


class InvoicedAccount(ValidationError):
    default_message = "Invoiced accounts are billed later and do not buy postage"


class PermissionDenied(OneBalanceError):
    """The user lacks a right the account's administrator grants (buying postage: ``CanPurchasePostage``).

    The account itself is fine (it is not an :class:`AccountSuspended`): the account's
    administrator can do it, or give this user the right.
    """

    default_message = "This user may not do that (ask the account's administrator)"


class NotConnected(OneBalanceError):
    default_message = "No One Balance account is connected for this merchant"


class TransportError(OneBalanceError):
    default_message = "The request could not be completed"


class ConnectError(TransportError):
    default_message = "Could not connect to the One Balance service"


class RequestTimeout(TransportError):
    default_message = "The One Balance service did not answer in time"


class ProtocolError(TransportError):
    default_message = "The One Balance service sent an answer that is not a valid SOAP response"


class OutcomeUnknown(TransportError):
    """A call that moves money (a postage purchase, a label, a void) failed after the service may have
    acted on it, and the retries could not find out whether it did.

    ``idempotency_key`` is the key every attempt sent (the IntegratorTxID, or the carrier's
    transaction id): sending the same purchase again with the same key later is safe where the
    service recognises the key (SWSIM does) and answers with the first result. ``cause`` is the
    last transport error; ``attempts`` how many were made.
    """

    default_message = "The call failed after the service may have acted on it: whether money moved is unknown"

    def __init__(
        self,
        message: str | None = None,
        *,
        idempotency_key: str | None = None,
        cause: OneBalanceError | None = None,
        attempts: int = 1,
        **kw: Any,
    ) -> None:
        self.idempotency_key = idempotency_key
        self.cause = cause
        self.attempts = attempts
        if message is None:
            message = f"{self.default_message} ({attempts} attempt{'s' if attempts != 1 else ''}"
            message += f"; last: {cause.message})" if cause is not None else ")"
            if idempotency_key:
                message += f"; retry with the same key {idempotency_key} to find out"
        kw.setdefault("transaction_id", idempotency_key)
        if cause is not None:
            kw.setdefault("http_status", cause.http_status)
        super().__init__(message, **kw)
