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
    │   ├── LabelFormatUnavailable          a label format or size the carrier does not print
    │   ├── PickupDateInPast                a carrier pickup asked for a day before today (002b0c02)
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
        │   └── AddressNotFound             (CleanseAddress matched nothing) USPS could not find the address
        ├── LabelNotFound                   00450202 no such label on this account
        ├── VoidRefused                     00450201 too old, 00450205 refund not allowed
        ├── PickupUnavailable               002b0c01 no USPS carrier pickup at the address
        ├── PickupNotFound                  002b0c03 no such carrier pickup on this account
        ├── PickupRefused                   002b0c04, 002b0c05 cancelled already, its day has come, booked there already
        ├── ReprintRefused                  002b0920 voided, 002b0921 past its ship date: no reprint
        ├── ScanFormRefused                 00450d02 already on a form, 002b0910-002b0912 (carries ``details``)
        ├── PrintLimitExceeded              002b0a01, 8004043e, 80040442 over the per-print limit
        ├── VerificationFailed              the phone verification code was refused
        ├── PasswordResetError              002b0501 not in reset, 002b060c codewords never set
        ├── SchemaViolation                 00490102 or a soap:Client fault
        └── UnknownFault                    any other code, kept in ``code``

Every message is safe to show a person: no password, token, card number or envelope. ``source`` says
which service an error came from (:class:`Service`; ``None`` for the SDK's own refusals).

Import them from here. The classes live by family: the base and the SDK's own or the exchange's errors
in ``_error_base``, what a service refused (``ServiceError``) in ``_service_errors``; the label
purchase errors (IdempotencyKeyReused, RateMismatch, ChargeAboveQuote) in
``onebalance.shipments._purchase_errors``, LabelFormatUnavailable in ``onebalance.shipments._label_spec``.
Which fault code is which class is each service's own
mapping's: ``onebalance.swsim._faults`` for the One Balance, the carriers' mapping modules for UPS
and FedEx.
"""

from __future__ import annotations

from ._error_base import (
    MAX_MESSAGE_CHARS,
    AmountBelowMinimum,
    BalanceLimitExceeded,
    ClientClosed,
    ConfigurationError,
    ConnectError,
    CostAccountRequired,
    CredentialStoreError,
    InvalidAmount,
    InvalidAutoBuySettings,
    InvalidCodewords,
    InvalidPassword,
    InvalidPaymentMethod,
    InvoicedAccount,
    MonthlyLimitExceeded,
    NotConnected,
    OneBalanceError,
    OutcomeUnknown,
    PermissionDenied,
    PickupDateInPast,
    ProtocolError,
    RefillLockTimeout,
    RequestTimeout,
    Service,
    StoreError,
    TermsNotAccepted,
    TransportError,
    UnknownCostAccount,
    ValidationError,
    clipped,
    from_service,
)
from ._service_errors import (
    AccountClosed,
    AccountDisconnected,
    AccountLocked,
    AccountSuspended,
    ActivityBlocked,
    AddressError,
    AddressNotFound,
    AdminHold,
    AuthenticationError,
    AuthenticationFailed,
    AuthenticatorExpired,
    CapabilityDisabled,
    CodewordAnswersRefused,
    ConversationError,
    ConversationOutOfSync,
    ConversationSuperseded,
    FaultDetail,
    InsufficientFunds,
    InvalidAuthenticator,
    InvalidIntegrationId,
    LabelNotFound,
    PasswordExpired,
    PasswordResetError,
    PasswordResetRequired,
    PaymentHold,
    PaymentMethodRefused,
    PickupNotFound,
    PickupRefused,
    PickupUnavailable,
    PlanRestriction,
    PrintLimitExceeded,
    PurchaseInProgress,
    PurchaseRejected,
    RegistrationError,
    ReprintRefused,
    ScanFormRefused,
    SchemaViolation,
    ServiceError,
    ServiceRetired,
    StaleControlTotal,
    SuspensionReason,
    TemporaryPasswordRefused,
    UnknownFault,
    UsernameTaken,
    VerificationFailed,
    VoidRefused,
)

__all__ = [
    "MAX_MESSAGE_CHARS",
    "clipped",
    "Service",
    "from_service",
    "AccountClosed",
    "AccountDisconnected",
    "AccountLocked",
    "AccountSuspended",
    "ActivityBlocked",
    "AddressError",
    "AddressNotFound",
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
    "FaultDetail",
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
    "PickupDateInPast",
    "PickupNotFound",
    "PickupRefused",
    "PickupUnavailable",
    "PlanRestriction",
    "PrintLimitExceeded",
    "ProtocolError",
    "PurchaseInProgress",
    "PurchaseRejected",
    "RegistrationError",
    "ReprintRefused",
    "RequestTimeout",
    "ScanFormRefused",
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
]
