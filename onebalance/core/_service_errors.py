"""What a service refused: :class:`ServiceError` and its family (authentication, the conversation token,
suspensions, purchases, labels). Which code becomes which class is each service's mapping's to say (for
the One Balance: ``onebalance.swsim._faults``). (Import them from ``_errors``, the whole tree.)"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from ._error_base import OneBalanceError, Service


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
    #: Only the One Balance gives it: it says so whichever module raises it again.
    source = Service.ONEBALANCE


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
    #: Only the One Balance gives it: it says so whichever module raises it again.
    source = Service.ONEBALANCE

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
    #: Only the One Balance gives it: it says so whichever module raises it again.
    source = Service.ONEBALANCE

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
    #: Only the One Balance gives it: it says so whichever module raises it again.
    source = Service.ONEBALANCE

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


class AddressNotFound(AddressError):
    """USPS found no address like the one checked (CleanseAddress matched nothing and suggested
    nothing). ``city_state_zip_ok`` says whether at least the city, state and ZIP agree."""

    default_message = "USPS could not find the address"

    def __init__(self, message: str | None = None, *, city_state_zip_ok: bool = False, **kw: Any) -> None:
        self.city_state_zip_ok = city_state_zip_ok
        super().__init__(message, **kw)


class LabelNotFound(ServiceError):
    default_message = "No such label on this account"


class VoidRefused(ServiceError):
    default_message = "The label cannot be voided"


class PickupUnavailable(ServiceError):
    """USPS has no carrier pickup at this address: book none there (take the parcels to a Post Office)."""

    default_message = "USPS carrier pickup is not available at this address"


class PickupNotFound(ServiceError):
    """No carrier pickup with this confirmation number on this account."""

    default_message = "No such carrier pickup on this account"


class PickupRefused(ServiceError):
    """The carrier pickup cannot be booked, changed or cancelled: it was cancelled already, its day has come,
    or another pickup is booked at the address that day (change that one). The service's text says which."""

    default_message = "The carrier pickup was refused"


class ReprintRefused(ServiceError):
    """The label cannot be printed again: it was voided, or its ship date has passed."""

    default_message = "The label cannot be printed again"


@dataclass(frozen=True)
class FaultDetail:
    """One of several errors a fault lists: its ``code``, what it is about (``context``: the StampsTxID
    or tracking number of a label) and the service's ``message``."""

    code: str
    context: str
    message: str


class ScanFormRefused(ServiceError):
    """USPS made no SCAN form. ``details`` lists each label it refused (already on a form, voided, of
    another ship date) with the reason; with no details, there was no label to put on a form."""

    default_message = "USPS made no SCAN form"

    def __init__(self, message: str | None = None, *, details: tuple[FaultDetail, ...] = (), **kw: Any) -> None:
        self.details = tuple(details)
        super().__init__(message, **kw)


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
