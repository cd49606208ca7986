"""Every error the SDK raises. Raw ``requests``, ``zeep`` or ``lxml`` exceptions never reach callers.

::

    OneBalanceError
    ├── ConfigurationError          bad endpoint, credentials or options (nothing was sent)
    ├── ClientClosed                the client was closed
    ├── ValidationError             bad input refused before anything was sent
    ├── TransportError              the exchange itself failed
    │   ├── ConnectError            no connection (refused, DNS, TLS, reset before sending)
    │   ├── RequestTimeout          no answer within the read timeout
    │   └── ProtocolError           an answer that is not the expected SOAP (HTML page, truncated body)
    └── ServiceError                a SOAP fault from the service (``code`` = 8 hex digits)
        ├── AuthenticationError
        │   ├── AuthenticationFailed        002b0601 wrong username or password
        │   ├── InvalidIntegrationId        002b0207
        │   ├── AccountLocked               002b0607, 0055010c
        │   ├── PasswordExpired             002b0608
        │   ├── PasswordResetRequired       002b0605 (a temporary password was used)
        │   └── AccountClosed               00550108
        ├── ConversationError               the rolling Authenticator was refused
        │   ├── InvalidAuthenticator        002b0201
        │   ├── AuthenticatorExpired        002b0202 (older than 24 h)
        │   ├── ConversationSuperseded      002b0203 (a newer AuthenticateUser replaced it)
        │   └── ConversationOutOfSync       002b0204 (an older token was reused)
        ├── SchemaViolation                 00490102 or a soap:Client fault
        └── UnknownFault                    any other code, kept in ``code``

Every message is safe to show a person: no password, token, card number or envelope.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AccountClosed",
    "AccountLocked",
    "AuthenticationError",
    "AuthenticationFailed",
    "AuthenticatorExpired",
    "ClientClosed",
    "ConfigurationError",
    "ConnectError",
    "ConversationError",
    "ConversationOutOfSync",
    "ConversationSuperseded",
    "InvalidAuthenticator",
    "InvalidIntegrationId",
    "OneBalanceError",
    "PasswordExpired",
    "PasswordResetRequired",
    "ProtocolError",
    "RequestTimeout",
    "SchemaViolation",
    "ServiceError",
    "TransportError",
    "UnknownFault",
    "ValidationError",
    "error_for_fault",
]


class OneBalanceError(Exception):
    """Base of every SDK error.

    Attributes a support engineer needs: ``operation`` (the SWSIM operation or SDK action),
    ``code`` (the service's 8-hex-digit code, if any), ``http_status``, ``transaction_id``
    (the IntegratorTxID or other id of the attempt) and ``message`` (safe to show).
    """

    default_message = "One Balance request failed"

    def __init__(
        self,
        message: str | None = None,
        *,
        operation: str | None = None,
        code: str | None = None,
        http_status: int | None = None,
        transaction_id: str | None = None,
    ) -> None:
        self.message = message or self.default_message
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


class TransportError(OneBalanceError):
    default_message = "The request could not be completed"


class ConnectError(TransportError):
    default_message = "Could not connect to the One Balance service"


class RequestTimeout(TransportError):
    default_message = "The One Balance service did not answer in time"


class ProtocolError(TransportError):
    default_message = "The One Balance service sent an answer that is not a valid SOAP response"


class ServiceError(OneBalanceError):
    """A SOAP fault from the service. ``faultstring`` is the service's own text (safe to show)."""

    default_message = "The One Balance service refused the request"

    def __init__(self, message: str | None = None, *, faultstring: str | None = None, **kw: Any) -> None:
        self.faultstring = faultstring
        super().__init__(message, **kw)


class AuthenticationError(ServiceError):
    default_message = "Authentication with the One Balance service failed"


class AuthenticationFailed(AuthenticationError):
    default_message = "Authentication failed: the username or password is wrong"


class InvalidIntegrationId(AuthenticationError):
    default_message = "Authentication failed: the integration id is not known to the service"


class AccountLocked(AuthenticationError):
    default_message = "The One Balance account is locked"


class PasswordExpired(AuthenticationError):
    default_message = "The One Balance password has expired and must be changed"


class PasswordResetRequired(AuthenticationError):
    default_message = "The account is in password reset: finish the reset with the temporary password"


class AccountClosed(AuthenticationError):
    default_message = "The One Balance account is closed"


class ConversationError(ServiceError):
    """The rolling Authenticator was refused; the client re-authenticates once on its own."""

    default_message = "The conversation token was refused"


class InvalidAuthenticator(ConversationError):
    default_message = "The conversation token is not valid"


class AuthenticatorExpired(ConversationError):
    default_message = "The conversation token has expired (older than 24 hours)"


class ConversationSuperseded(ConversationError):
    default_message = "The conversation was replaced by a newer login of the same user"


class ConversationOutOfSync(ConversationError):
    default_message = "Conversation out of sync: an older token was reused"


class SchemaViolation(ServiceError):
    default_message = "The service rejected the request as malformed"


class UnknownFault(ServiceError):
    default_message = "The One Balance service returned an error"


_BY_CODE: dict[str, type[ServiceError]] = {
    "002b0601": AuthenticationFailed,
    "002b0207": InvalidIntegrationId,
    "002b0607": AccountLocked,
    "0055010c": AccountLocked,
    "002b0608": PasswordExpired,
    "002b0605": PasswordResetRequired,
    "00550108": AccountClosed,
    "002b0201": InvalidAuthenticator,
    "002b0202": AuthenticatorExpired,
    "004c0105": AuthenticatorExpired,
    "00500102": AuthenticatorExpired,
    "8004e112": AuthenticatorExpired,
    "8004e111": InvalidAuthenticator,
    "002b0203": ConversationSuperseded,
    "8004e113": ConversationSuperseded,
    "002b0204": ConversationOutOfSync,
    "8004e114": ConversationOutOfSync,
    "00490102": SchemaViolation,
}


def register_fault(code: str, cls: type[ServiceError]) -> None:
    """Map a SWSIM code to an error class (used by the modules that own each area)."""
    _BY_CODE[code.lower()] = cls


def error_for_fault(
    *,
    code: str | None,
    faultcode: str,
    faultstring: str,
    operation: str | None,
    http_status: int | None,
    transaction_id: str | None = None,
) -> ServiceError:
    """The one place where a SOAP fault becomes a typed error."""
    cls: type[ServiceError]
    if code is not None and code.lower() in _BY_CODE:
        cls = _BY_CODE[code.lower()]
    elif faultcode.endswith("Client"):
        cls = SchemaViolation
    else:
        cls = UnknownFault
    message = f"{cls.default_message}: {faultstring}" if cls is UnknownFault and faultstring else None
    return cls(
        message,
        faultstring=faultstring,
        operation=operation,
        code=code,
        http_status=http_status,
        transaction_id=transaction_id,
    )
