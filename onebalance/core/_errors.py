"""Every error the SDK raises. Raw ``requests``, ``zeep`` or ``lxml`` exceptions never reach callers.

::

    OneBalanceError
    ├── ConfigurationError          bad endpoint, credentials or options (nothing was sent)
    ├── ClientClosed                the client was closed
    ├── ValidationError             bad input, refused before anything was sent (or by the service, same code)
    │   ├── InvalidPassword                 002b0401-002b0406, 0045014f
    │   ├── InvalidCodewords                002b0502
    │   ├── InvalidPaymentMethod            card or bank details (Luhn, expiry, routing number)
    │   ├── TermsNotAccepted                registration without the merchant accepting the terms
    │   ├── InvalidAmount                   00560103 a postage amount out of bounds
    │   │   └── AmountBelowMinimum          less than the $10.00 minimum purchase
    │   ├── BalanceLimitExceeded            00560104, 80040c54 the balance would exceed its maximum
    │   ├── MonthlyLimitExceeded            80040c58 the monthly purchase limit would be exceeded
    │   ├── CostAccountRequired             the account must assign purchases to a cost account
    │   ├── UnknownCostAccount              no such cost account
    │   ├── IdempotencyKeyReused            a label's idempotency key already named another purchase
    │   ├── RateMismatch                    a rate bought for another shipment than it was quoted for
    │   ├── InvalidAutoBuySettings          0045018d, 0045018e, 0045018f
    │   └── InvoicedAccount                 0045018b, 00560106 invoiced accounts do not buy postage
    ├── PermissionDenied            8004800b, 0045018a, 0045018c the user lacks the right: ask the administrator
    ├── NotConnected                no credentials stored for the merchant
    ├── CredentialStoreError        the credential store cannot be read or written (wrong key, tampering)
    ├── StoreError                  the shared store (SQLite file, PostgreSQL) cannot be read or written
    │   └── RefillLockTimeout       the merchant's refill lock was not had in time
    ├── ChargeAboveQuote            a label cost more than its rate, past the tolerance (it was voided)
    ├── TransportError              the exchange itself failed
    │   ├── ConnectError            no connection, or it was lost (refused, DNS, TLS, reset)
    │   ├── RequestTimeout          no answer within the read timeout, or by the deadline
    │   ├── ProtocolError           an answer that is not the expected SOAP (HTML page, truncated body)
    │   └── OutcomeUnknown          a call that moves money failed so that whether it happened is unknown
    └── ServiceError                a SOAP fault from the service (``code`` = 8 hex digits)
        ├── AuthenticationError
        │   ├── AuthenticationFailed        002b0601 wrong username or password
        │   │   ├── CodewordAnswersRefused          002b0601 from StartPasswordReset: wrong codeword answers
        │   │   └── TemporaryPasswordRefused        002b0601 from FinishPasswordReset: wrong temporary password
        │   ├── AccountDisconnected         002b0601 for stored credentials that used to work
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
        ├── AccountSuspended                carries ``reason`` (a SuspensionReason)
        │   ├── PaymentHold                 00450190
        │   ├── AdminHold                   00450191, 002b0a0c
        │   ├── ActivityBlocked             00560201
        │   └── CapabilityDisabled          80048008, 80048011 printing or logging in is off for the account
        ├── RegistrationError               the service refused a registration
        │   └── UsernameTaken               RegistrationStatus=Fail (carries suggested_username)
        ├── PaymentMethodRefused            002b0802, 80040427
        ├── StaleControlTotal               00450116 and older codes (carries the refreshed balance)
        ├── PurchaseRejected                PurchaseStatus=Rejected (carries rejection_code)
        ├── PurchaseInProgress              8004041b, 00450203 a purchase is still being processed
        ├── InsufficientFunds               00560101, 80040414 (carries needed and available)
        ├── PlanRestriction                 00450208 the account's plan does not allow the service
        ├── ServiceRetired                  002b0907 USPS no longer sells the service (carries ``service``)
        ├── AddressError                    00450140, 00450163, 00450121 the destination address is not valid
        ├── LabelNotFound                   00450202 no such label on this account
        ├── VoidRefused                     00450201 too old, 00450205 refund not allowed
        ├── PrintLimitExceeded              002b0a01, 8004043e, 80040442 over the per-print limit
        ├── VerificationFailed              the phone verification code was refused
        ├── PasswordResetError              002b0501 not in reset, 002b060c codewords never set
        ├── SchemaViolation                 00490102 or a soap:Client fault
        └── UnknownFault                    any other code, kept in ``code``

Every message is safe to show a person: no password, token, card number or envelope. The label
purchase errors (IdempotencyKeyReused, RateMismatch, ChargeAboveQuote) are in ``_purchase_errors``.
"""

from __future__ import annotations

import enum
import re
from typing import Any, TypeVar

__all__ = [
    "Service",
    "from_service",
    "AccountClosed",
    "AccountDisconnected",
    "AccountLocked",
    "AccountSuspended",
    "ActivityBlocked",
    "AddressError",
    "AdminHold",
    "AmountBelowMinimum",
    "AuthenticationError",
    "AuthenticationFailed",
    "AuthenticatorExpired",
    "BalanceLimitExceeded",
    "CapabilityDisabled",
    "ClientClosed",
    "CodewordAnswersRefused",
    "ConfigurationError",
    "ConnectError",
    "ConversationError",
    "ConversationOutOfSync",
    "ConversationSuperseded",
    "CostAccountRequired",
    "CredentialStoreError",
    "RefillLockTimeout",
    "StoreError",
    "InsufficientFunds",
    "InvalidAmount",
    "InvalidAuthenticator",
    "InvalidAutoBuySettings",
    "InvalidCodewords",
    "InvalidIntegrationId",
    "InvalidPassword",
    "InvalidPaymentMethod",
    "InvoicedAccount",
    "LabelNotFound",
    "MonthlyLimitExceeded",
    "NotConnected",
    "OutcomeUnknown",
    "OneBalanceError",
    "PasswordExpired",
    "PasswordResetError",
    "PasswordResetRequired",
    "PaymentHold",
    "PaymentMethodRefused",
    "PermissionDenied",
    "PlanRestriction",
    "PrintLimitExceeded",
    "ProtocolError",
    "PurchaseInProgress",
    "PurchaseRejected",
    "RegistrationError",
    "RequestTimeout",
    "SchemaViolation",
    "ServiceRetired",
    "ServiceError",
    "StaleControlTotal",
    "SuspensionReason",
    "TemporaryPasswordRefused",
    "TermsNotAccepted",
    "TransportError",
    "UnknownCostAccount",
    "UnknownFault",
    "UsernameTaken",
    "ValidationError",
    "VerificationFailed",
    "VoidRefused",
    "error_for_fault",
    "register_fault",
]


#: The most characters of a message (or a service's faultstring) an error keeps: a service's text can
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


class ServiceError(OneBalanceError):
    """A SOAP fault from the service. ``faultstring`` is the service's own text (safe to show)."""

    default_message = "The One Balance service refused the request"


class AuthenticationError(ServiceError):
    default_message = "Authentication with the One Balance service failed"


class AuthenticationFailed(AuthenticationError):
    default_message = "Authentication failed: the username or password is wrong"


class CodewordAnswersRefused(AuthenticationFailed):
    """The answers to the codeword questions do not match the merchant's (the service compares them
    trimmed and without regard to case): the password reset did not start and nothing was emailed."""

    default_message = (
        "The codeword answers are wrong: they do not match the answers the merchant set, so the password "
        "reset did not start"
    )


class TemporaryPasswordRefused(AuthenticationFailed):
    """The temporary password does not match the one emailed for the reset under way."""

    default_message = (
        "The temporary password is wrong: it does not match the one emailed to the merchant for this reset"
    )


class InvalidIntegrationId(AuthenticationError):
    default_message = "Authentication failed: the integration id is not known to the service"


class AccountDisconnected(AuthenticationError):
    """Stored credentials that used to work were refused: the password was changed outside the platform."""

    default_message = (
        "The One Balance account is disconnected: its stored credentials were refused "
        "(the password was probably changed outside the platform)"
    )


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


class SuspensionReason(str, enum.Enum):
    """Why an account may not buy or print."""

    PAYMENT_HOLD = "payment_hold"
    ADMIN_HOLD = "admin_hold"
    ACTIVITY_BLOCKED = "activity_blocked"
    CAPABILITY_DISABLED = "capability_disabled"


class AccountSuspended(ServiceError):
    """The account may not buy or print; ``reason`` says why (a :class:`SuspensionReason`)."""

    default_message = "The One Balance account is suspended"
    reason: SuspensionReason = SuspensionReason.ACTIVITY_BLOCKED

    def __init__(self, message: str | None = None, *, reason: SuspensionReason | None = None, **kw: Any) -> None:
        if reason is not None:
            self.reason = reason
        super().__init__(message or f"{self.default_message} ({_REASON_TEXT[self.reason]})", **kw)


class PaymentHold(AccountSuspended):
    reason = SuspensionReason.PAYMENT_HOLD


class AdminHold(AccountSuspended):
    reason = SuspensionReason.ADMIN_HOLD


class ActivityBlocked(AccountSuspended):
    reason = SuspensionReason.ACTIVITY_BLOCKED


class CapabilityDisabled(AccountSuspended):
    """Printing (80048011) or logging in (80048008) is switched off for the account.

    A user who may not buy postage (8004800b) gets :class:`PermissionDenied` instead: the
    account is not suspended, its administrator can buy or grant the right.
    """

    reason = SuspensionReason.CAPABILITY_DISABLED


_REASON_TEXT = {
    SuspensionReason.PAYMENT_HOLD: "payment hold: the payment method was declined",
    SuspensionReason.ADMIN_HOLD: "administrative hold placed by the provider",
    SuspensionReason.ACTIVITY_BLOCKED: "activity blocked because of the account's status",
    SuspensionReason.CAPABILITY_DISABLED: "the capability needed is switched off for this account",
}


class RegistrationError(ServiceError):
    default_message = "The service refused the registration"


class UsernameTaken(RegistrationError):
    """The username is taken; ``suggested_username`` is the service's alternative."""

    default_message = "The username is taken"

    def __init__(self, message: str | None = None, *, suggested_username: str | None = None, **kw: Any) -> None:
        self.suggested_username = suggested_username
        if message is None and suggested_username:
            message = f"{self.default_message}; the service suggests {suggested_username!r}"
        super().__init__(message, **kw)


class PaymentMethodRefused(ServiceError):
    default_message = "The payment method was refused by the service"


class StaleControlTotal(ServiceError):
    """The ControlTotal sent is stale: postage was printed or bought elsewhere since it was read.

    Nothing was bought. ``available_postage`` and ``control_total`` hold the refreshed balance;
    show it to the person and let them decide whether to buy again.
    """

    default_message = "Postage was printed or bought elsewhere since the balance was read; nothing was bought"

    def __init__(
        self, message: str | None = None, *, available_postage: Any = None, control_total: Any = None, **kw: Any
    ) -> None:
        self.available_postage = available_postage
        self.control_total = control_total
        super().__init__(message, **kw)


class PurchaseRejected(ServiceError):
    """The service rejected the purchase (``rejection_code``: CustomerActionRequired, SystemFailure,
    RejectedDueToFraud; ``rejection_reason`` is its text). Nothing was bought."""

    default_message = "The postage purchase was rejected"

    def __init__(
        self,
        message: str | None = None,
        *,
        rejection_code: str | None = None,
        rejection_reason: str | None = None,
        **kw: Any,
    ) -> None:
        self.rejection_code = rejection_code
        self.rejection_reason = rejection_reason
        super().__init__(message or f"{self.default_message}: {rejection_reason or rejection_code}", **kw)


class PurchaseInProgress(ServiceError):
    default_message = "A purchase is still being processed on this account; check the balance before buying again"


class InsufficientFunds(ServiceError):
    """Not enough postage. ``needed`` and ``available`` are set when the SDK knows them.

    ``proposal`` (a :class:`~onebalance.RefillProposal`) is set when the auto-refill's configured
    amount would not pay for the label: it is the purchase that would, for the platform to offer.
    """

    default_message = "Not enough postage in the One Balance account"

    def __init__(
        self,
        message: str | None = None,
        *,
        needed: Any = None,
        available: Any = None,
        proposal: Any = None,
        **kw: Any,
    ) -> None:
        self.needed = needed
        self.available = available
        self.proposal = proposal
        if message is None and needed is not None and available is not None:
            message = f"{self.default_message}: ${needed:,.2f} needed, ${available:,.2f} available"
        super().__init__(message, **kw)


class PlanRestriction(ServiceError):
    """The account's plan does not allow this mail service (e.g. only Priority and Priority Express)."""

    default_message = "The account's plan does not allow this mail service"


class ServiceRetired(ServiceError):
    """USPS no longer sells this mail service for this package: First-Class Package Service (US-FC)
    for a parcel, and Retail Ground (US-RG), became Ground Advantage in July 2023. ``service`` is
    the retired service's code as the answer named it (``US-FC``), or None."""

    default_message = "USPS no longer sells this mail service"

    def __init__(self, message: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        named = re.search(r"\b(US-[A-Z]{2,4})\b", self.faultstring or self.message)
        self.service = named.group(1) if named else None


class AddressError(ServiceError):
    default_message = "The destination address is not valid for USPS"


class LabelNotFound(ServiceError):
    default_message = "No such label on this account"


class VoidRefused(ServiceError):
    default_message = "The label cannot be voided"


class PrintLimitExceeded(ServiceError):
    default_message = "The label costs more than the account's per-print limit"


class VerificationFailed(ServiceError):
    default_message = "The phone verification code was refused"


class PasswordResetError(ServiceError):
    default_message = "The password reset could not go on"


class SchemaViolation(ServiceError):
    default_message = "The service rejected the request as malformed"


class UnknownFault(ServiceError):
    default_message = "The One Balance service returned an error"


_BY_CODE: dict[str, type[OneBalanceError]] = {
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
    "00450190": PaymentHold,
    "00450191": AdminHold,
    "002b0a0c": AdminHold,
    "00560201": ActivityBlocked,
    "8004800b": PermissionDenied,  # CanPurchasePostage is off for this user: a right, not a suspension
    "80048008": CapabilityDisabled,
    "80048011": CapabilityDisabled,
    "002b0401": InvalidPassword,
    "002b0402": InvalidPassword,
    "002b0403": InvalidPassword,
    "002b0404": InvalidPassword,
    "002b0405": InvalidPassword,
    "002b0406": InvalidPassword,
    "0045014f": InvalidPassword,
    "002b0502": InvalidCodewords,
    "002b0802": PaymentMethodRefused,
    "80040427": PaymentMethodRefused,
    "00560103": InvalidAmount,
    "00560104": BalanceLimitExceeded,
    "80040c54": BalanceLimitExceeded,
    "80040c58": MonthlyLimitExceeded,
    "00560106": InvoicedAccount,
    "0045018b": InvoicedAccount,
    "0045018a": PermissionDenied,
    "0045018c": PermissionDenied,
    "0045018d": InvalidAutoBuySettings,
    "0045018e": InvalidAutoBuySettings,
    "0045018f": InvalidAutoBuySettings,
    "00450116": StaleControlTotal,
    "00560105": StaleControlTotal,
    "00560301": StaleControlTotal,
    "80040c59": StaleControlTotal,
    "80040435": StaleControlTotal,
    "8004041b": PurchaseInProgress,
    "00450203": PurchaseInProgress,
    "00600103": PurchaseInProgress,
    "00560101": InsufficientFunds,
    "80040414": InsufficientFunds,
    "00450208": PlanRestriction,
    "002b0907": ServiceRetired,  # the code is the sandbox's: the real service's is not public
    "00450140": AddressError,
    "00450163": AddressError,
    "00450104": AddressError,
    "00450121": AddressError,
    "00450202": LabelNotFound,
    "003c0103": LabelNotFound,
    "00450201": VoidRefused,
    "003c0102": VoidRefused,
    "00450205": VoidRefused,
    "003c0101": VoidRefused,
    "80040810": VoidRefused,
    "8004043b": VoidRefused,
    "002b0a01": PrintLimitExceeded,
    "8004043e": PrintLimitExceeded,
    "80040442": PrintLimitExceeded,
    "002b0808": RegistrationError,
    "00450122": RegistrationError,
    "00450123": RegistrationError,
    "8004043c": RegistrationError,
    "002b0501": PasswordResetError,
    "002b060c": PasswordResetError,
    "002b060d": InvalidCodewords,
    # Codes the public record does not give; the sandbox uses these and documents them.
    "002b0901": VerificationFailed,
    "002b0902": ValidationError,  # CancelAccount: the confirmation address does not match
    "002b0903": ValidationError,  # no such payment method
    "002b0904": ValidationError,  # the default (only) payment method cannot be deleted
    "002b0905": ValidationError,  # GetBalanceHistoryByToken: unknown or forgotten token
    "002b0906": ValidationError,  # GetRates/CreateIndicium: no rate for that service and package
    "002b0908": ValidationError,  # CreateIndicium: an add-on the rate does not offer (the sandbox's code)
}


#: Codes that mean something narrower from one operation: a password reset answers 002b0601 (the
#: login code) for its own wrong secrets, where "the username or password is wrong" would mislead.
_BY_OPERATION_CODE: dict[tuple[str, str], type[OneBalanceError]] = {
    ("StartPasswordReset", "002b0601"): CodewordAnswersRefused,
    ("FinishPasswordReset", "002b0601"): TemporaryPasswordRefused,
}


#: For these the service's own text says what is wrong (which rule, which field); it goes into the message.
_SERVICE_TEXT_MATTERS = (
    UnknownFault,
    ValidationError,
    RegistrationError,
    VerificationFailed,
    PasswordResetError,
    PaymentMethodRefused,
    PermissionDenied,
    PlanRestriction,
    ServiceRetired,
    AddressError,
    VoidRefused,
)


def register_fault(code: str, cls: type[OneBalanceError]) -> None:
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
) -> OneBalanceError:
    """The one place where a SOAP fault becomes a typed error."""
    cls: type[OneBalanceError]
    if code is not None and (operation or "", code.lower()) in _BY_OPERATION_CODE:
        cls = _BY_OPERATION_CODE[(operation or "", code.lower())]
    elif code is not None and code.lower() in _BY_CODE:
        cls = _BY_CODE[code.lower()]
    elif faultcode.endswith("Client"):
        cls = SchemaViolation
    else:
        cls = UnknownFault
    detail = re.sub(r"\s*\[0x[0-9a-fA-F]{8}\]\s*$", "", faultstring or "").strip()
    message = f"{cls.default_message}: {detail}" if detail and issubclass(cls, _SERVICE_TEXT_MATTERS) else None
    return cls(
        message,
        faultstring=faultstring,
        operation=operation,
        code=code,
        http_status=http_status,
        transaction_id=transaction_id,
    )
