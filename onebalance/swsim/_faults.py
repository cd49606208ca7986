"""SWSIM faults to typed errors: the One Balance's fault-code table, in one place.

A fault's code (8 hex digits, from its ``detail`` or its faultstring) picks the class, a few codes
mean something narrower from one operation, and a code the table does not know is an
:class:`~onebalance.UnknownFault` (a ``soap:Client`` fault without one, a
:class:`~onebalance.SchemaViolation`). Every error made here has ``source`` ``Service.ONEBALANCE``.
The error classes themselves are ``onebalance.core``'s; the docs' code table (docs/errors.md) is
this table.
"""

from __future__ import annotations

import re

from onebalance.core import (
    AccountClosed,
    AccountLocked,
    ActivityBlocked,
    AddressError,
    AdminHold,
    AuthenticationFailed,
    AuthenticatorExpired,
    BalanceLimitExceeded,
    CapabilityDisabled,
    CodewordAnswersRefused,
    ConversationOutOfSync,
    ConversationSuperseded,
    FaultDetail,
    InsufficientFunds,
    InvalidAmount,
    InvalidAuthenticator,
    InvalidAutoBuySettings,
    InvalidCodewords,
    InvalidIntegrationId,
    InvalidPassword,
    InvoicedAccount,
    LabelNotFound,
    MonthlyLimitExceeded,
    OneBalanceError,
    PasswordExpired,
    PasswordResetError,
    PasswordResetRequired,
    PaymentHold,
    PaymentMethodRefused,
    PermissionDenied,
    PickupDateInPast,
    PickupNotFound,
    PickupRefused,
    PickupUnavailable,
    PlanRestriction,
    PrintLimitExceeded,
    PurchaseInProgress,
    RegistrationError,
    ReprintRefused,
    ScanFormRefused,
    SchemaViolation,
    Service,
    ServiceRetired,
    StaleControlTotal,
    TemporaryPasswordRefused,
    UnknownFault,
    ValidationError,
    VerificationFailed,
    VoidRefused,
)

__all__ = ["error_for_fault"]

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
    "002b0920": ReprintRefused,  # ReprintIndicium: the label was voided (the sandbox's code)
    "002b0921": ReprintRefused,  # ReprintIndicium: the label's ship date has passed (the sandbox's code)
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
    "002b0909": ValidationError,  # CreateIndicium: a return label USPS does not sell (the sandbox's code)
    "002b090a": ValidationError,  # CreateIndicium abroad: Customs missing or incomplete (the sandbox's code)
    "002b0922": ValidationError,  # GetShipmentListByToken: unknown or forgotten token (the sandbox's code)
    "002b090b": ValidationError,  # GetRates/CreateIndicium: a service that does not go there (the sandbox's code)
    # Carrier pickups: the sandbox's codes (the real service's are not public).
    "002b0c01": PickupUnavailable,  # no carrier pickup at the address
    "002b0c02": PickupDateInPast,  # CheckCarrierPickupAvailability: a Date before today
    "002b0c03": PickupNotFound,  # no pickup with that ConfirmationNumber on the account
    "002b0c04": PickupRefused,  # cancelled already, or its day has come
    "002b0c05": PickupRefused,  # a pickup is booked at the address that day already
    "002b0c06": ValidationError,  # no pieces, no weight, or Other without SpecialInstruction
    # CreateManifest (SCAN forms): 00450d02 is the service's; the others are the sandbox's codes.
    "00450d02": ScanFormRefused,  # a label already on a SCAN form
    "002b0910": ScanFormRefused,  # no label of that ship date left to put on a form
    "002b0911": ScanFormRefused,  # a voided (or sample) label
    "002b0912": ScanFormRefused,  # a label of another ship date
    "002b0913": VoidRefused,  # CancelIndicium: the label is on a SCAN form (the sandbox's code)
}


#: Codes that mean something narrower from one operation: a password reset answers 002b0601 (the
#: login code) for its own wrong secrets, where "the username or password is wrong" would mislead.
_BY_OPERATION_CODE: dict[tuple[str, str], type[OneBalanceError]] = {
    ("StartPasswordReset", "002b0601"): CodewordAnswersRefused,
    ("FinishPasswordReset", "002b0601"): TemporaryPasswordRefused,
    # CreateManifest lists each label it cannot find among the labels it refuses, one error each.
    ("CreateManifest", "00450202"): ScanFormRefused,
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
    PickupUnavailable,
    PickupRefused,
    ReprintRefused,
    ScanFormRefused,
)


def error_for_fault(
    *,
    code: str | None,
    faultcode: str,
    faultstring: str,
    operation: str | None,
    http_status: int | None,
    transaction_id: str | None = None,
    details: tuple[tuple[str, str | None, str], ...] = (),
) -> OneBalanceError:
    """The one place where a SWSIM fault becomes a typed error, marked as the One Balance's (``source``).

    ``details``: the errors a fault lists one by one ((code, context, text) each, CreateManifest's
    refused labels); a :class:`ScanFormRefused` carries them as :class:`FaultDetail`."""
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
    error = cls(
        message,
        source=Service.ONEBALANCE,
        faultstring=faultstring,
        operation=operation,
        code=code,
        http_status=http_status,
        transaction_id=transaction_id,
    )
    if isinstance(error, ScanFormRefused):
        error.details = tuple(FaultDetail(c, context, text) for c, context, text in details if context)
    return error
