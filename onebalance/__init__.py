"""onebalance: ship with several carriers from one postage account.

USPS postage is paid from a One Balance account over the SWSIM SOAP API; UPS and FedEx
labels are billed to the merchant's own carrier accounts. Import everything from here::

    from onebalance import OneBalance, TESTING_ENDPOINT
"""

from ._accounts import Accounts, Registration, RemedyReport, RemedyStep
from ._client import OneBalance
from ._config import PRODUCTION_ENDPOINT, TESTING_ENDPOINT, Timeout
from ._credentials import (
    CredentialStore,
    EncryptedFileCredentialStore,
    FedexAccount,
    InMemoryCredentialStore,
    StoredCredentials,
    UpsAccount,
)
from ._errors import (
    AccountClosed,
    AccountDisconnected,
    AccountLocked,
    AccountSuspended,
    ActivityBlocked,
    AddressError,
    AdminHold,
    AmountBelowMinimum,
    AuthenticationError,
    AuthenticationFailed,
    AuthenticatorExpired,
    BalanceLimitExceeded,
    CapabilityDisabled,
    ClientClosed,
    CodewordAnswersRefused,
    ConfigurationError,
    ConnectError,
    ConversationError,
    ConversationOutOfSync,
    ConversationSuperseded,
    CostAccountRequired,
    CredentialStoreError,
    InsufficientFunds,
    InvalidAmount,
    InvalidAuthenticator,
    InvalidAutoBuySettings,
    InvalidCodewords,
    InvalidIntegrationId,
    InvalidPassword,
    InvalidPaymentMethod,
    InvoicedAccount,
    LabelNotFound,
    MonthlyLimitExceeded,
    NotConnected,
    OneBalanceError,
    OutcomeUnknown,
    PasswordExpired,
    PasswordResetError,
    PasswordResetRequired,
    PaymentHold,
    PaymentMethodRefused,
    PermissionDenied,
    PlanRestriction,
    PrintLimitExceeded,
    ProtocolError,
    PurchaseInProgress,
    PurchaseRejected,
    RefillLockTimeout,
    RegistrationError,
    RequestTimeout,
    SchemaViolation,
    ServiceError,
    ServiceRetired,
    StaleControlTotal,
    StoreError,
    SuspensionReason,
    TemporaryPasswordRefused,
    TermsNotAccepted,
    TransportError,
    UnknownCostAccount,
    UnknownFault,
    UsernameTaken,
    ValidationError,
    VerificationFailed,
    VoidRefused,
)
from ._fees import PaymentKind
from ._inputs import BankAccount, Codewords, CreditCard, RegistrationForm, StoreProfile, generate_password
from ._keys import KeyRotation
from ._models import (
    Account,
    AutoBuySettings,
    BalanceTransaction,
    Capabilities,
    CostAccount,
    LoginInfo,
    PaymentMethodInfo,
    PostageBalance,
    PostalAddress,
    PurchaseResult,
    Terms,
)
from ._notify import (
    CallbackNotifier,
    EmailNotifier,
    LowBalanceEvent,
    Notifier,
    RefillEvent,
    RefillFailedEvent,
    RefillProposal,
)
from ._postage import Balance, History, HistoryEntry, Postage, Quote
from ._public import publish as _publish
from ._purchase_errors import ChargeAboveQuote, IdempotencyKeyReused, RateMismatch
from ._receipts import Receipt
from ._records import (
    AutoRefillSettings,
    FundingSettings,
    InMemoryPostageRecords,
    PostageRecords,
    SqlitePostageRecords,
)
from ._redact import install as _install_redaction
from ._refill_settle import RefillSettlement
from ._refills import (
    InMemoryRefillJournal,
    PostgresRefillJournal,
    RefillEntry,
    RefillJournal,
    SqliteRefillJournal,
)
from ._retry import RetryPolicy
from ._soap._versions import DEFAULT_VERSION as _DEFAULT_VERSION
from ._soap._versions import VERSIONS as _VERSIONS
from ._soap._versions import ApiVersion
from ._soap._zeep import zeep_service
from ._status import AccountState, Diagnosis, Finding, Remedy, RemedyAction, Restriction, SupportContact
from ._store import InMemoryStore, PostgresStore, SqliteStore, Store
from ._version import __version__

#: The SWSIM versions the SDK speaks (``api_version=``), and the default one.
API_VERSIONS: tuple[str, ...] = tuple(_VERSIONS)
DEFAULT_API_VERSION: str = _DEFAULT_VERSION.name

# Secrets are masked in every record of the SDK's loggers (and zeep's and urllib3's) from import on;
# only a filter is added: levels and handlers stay as the application configured them.
_install_redaction()

__all__ = [
    "Account",
    "AccountClosed",
    "AccountDisconnected",
    "AccountLocked",
    "Accounts",
    "AccountState",
    "AccountSuspended",
    "ApiVersion",
    "ActivityBlocked",
    "AddressError",
    "AdminHold",
    "AmountBelowMinimum",
    "AuthenticationError",
    "AuthenticationFailed",
    "AuthenticatorExpired",
    "AutoBuySettings",
    "AutoRefillSettings",
    "Balance",
    "BalanceLimitExceeded",
    "BalanceTransaction",
    "BankAccount",
    "CallbackNotifier",
    "Capabilities",
    "CapabilityDisabled",
    "ChargeAboveQuote",
    "CleansedAddress",
    "ClientClosed",
    "CodewordAnswersRefused",
    "Codewords",
    "ConfigurationError",
    "ConnectError",
    "ConversationError",
    "ConversationOutOfSync",
    "ConversationSuperseded",
    "CostAccount",
    "CostAccountRequired",
    "CredentialStore",
    "CredentialStoreError",
    "CreditCard",
    "Diagnosis",
    "EmailNotifier",
    "EncryptedFileCredentialStore",
    "FedexAccount",
    "Finding",
    "FundingSettings",
    "generate_password",
    "History",
    "HistoryEntry",
    "IdempotencyKeyReused",
    "InMemoryCredentialStore",
    "InMemoryLabelJournal",
    "InMemoryPostageRecords",
    "InMemoryRefillJournal",
    "InMemoryStore",
    "InsufficientFunds",
    "InvalidAmount",
    "InvalidAuthenticator",
    "InvalidAutoBuySettings",
    "InvalidCodewords",
    "InvalidIntegrationId",
    "InvalidPassword",
    "InvalidPaymentMethod",
    "InvoicedAccount",
    "JournalEntry",
    "KeyRotation",
    "LabelJournal",
    "LabelVoid",
    "LabelNotFound",
    "LoginInfo",
    "LowBalanceEvent",
    "MonthlyLimitExceeded",
    "NotConnected",
    "OutcomeUnknown",
    "Notifier",
    "OneBalance",
    "OneBalanceError",
    "PasswordExpired",
    "PasswordResetError",
    "PasswordResetRequired",
    "PaymentHold",
    "PaymentKind",
    "PaymentMethodInfo",
    "PaymentMethodRefused",
    "PermissionDenied",
    "PlanRestriction",
    "ServiceRetired",
    "Postage",
    "PostageBalance",
    "PostageRecords",
    "PostalAddress",
    "PostgresLabelJournal",
    "PostgresRefillJournal",
    "PostgresStore",
    "PrintLimitExceeded",
    "API_VERSIONS",
    "DEFAULT_API_VERSION",
    "PRODUCTION_ENDPOINT",
    "ProtocolError",
    "PurchaseInProgress",
    "PurchaseRejected",
    "PurchaseResult",
    "Quote",
    "RetryPolicy",
    "RateMismatch",
    "RateShop",
    "Receipt",
    "RefillEntry",
    "RefillEvent",
    "RefillFailedEvent",
    "RefillJournal",
    "RefillLockTimeout",
    "RefillProposal",
    "RefillSettlement",
    "Restriction",
    "Registration",
    "RegistrationError",
    "RegistrationForm",
    "Remedy",
    "RemedyAction",
    "RemedyReport",
    "RemedyStep",
    "RequestTimeout",
    "SchemaViolation",
    "ServiceError",
    "Shipping",
    "SqliteLabelJournal",
    "SqlitePostageRecords",
    "SqliteRefillJournal",
    "SqliteStore",
    "StaleControlTotal",
    "Store",
    "StoreError",
    "StoredCredentials",
    "StoreProfile",
    "SupportContact",
    "SuspensionReason",
    "TemporaryPasswordRefused",
    "Terms",
    "TermsNotAccepted",
    "TESTING_ENDPOINT",
    "Timeout",
    "TransportError",
    "UnknownCostAccount",
    "UnknownFault",
    "UpsAccount",
    "UsernameTaken",
    "UspsShipping",
    "ValidationError",
    "VerificationFailed",
    "VoidRefused",
    "zeep_service",
    "__version__",
]

# Tracebacks and reprs show onebalance.LabelNotFound, the name to import and catch. The names loaded
# on first use (below) are published by their own modules.
_publish(globals(), "onebalance", __all__)


def __getattr__(name: str) -> object:
    # Loaded on first use: ``carriers`` imports ``onebalance._errors``, so importing the USPS layer
    # (which imports ``carriers``) while this package initialises would be circular.
    if name in ("UspsShipping", "CleansedAddress", "LabelVoid"):
        from . import _usps_service

        return getattr(_usps_service, name)
    if name in ("Shipping", "RateShop"):
        from . import _shipping

        return getattr(_shipping, name)
    if name in ("LabelJournal", "InMemoryLabelJournal", "SqliteLabelJournal", "PostgresLabelJournal", "JournalEntry"):
        from . import _labels

        return getattr(_labels, name)
    raise AttributeError(f"module 'onebalance' has no attribute {name!r}")
