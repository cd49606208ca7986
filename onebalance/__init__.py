"""onebalance: ship with several carriers from one postage account.

USPS postage is paid from a One Balance account over the SWSIM SOAP API; UPS and FedEx
labels are billed to the merchant's own carrier accounts. Import everything from here::

    from onebalance import OneBalance, TESTING_ENDPOINT
"""

from ._client import OneBalance
from ._config import PRODUCTION_ENDPOINT, TESTING_ENDPOINT, Timeout
from ._errors import (
    AccountClosed,
    AccountLocked,
    AuthenticationError,
    AuthenticationFailed,
    AuthenticatorExpired,
    ClientClosed,
    ConfigurationError,
    ConnectError,
    ConversationError,
    ConversationOutOfSync,
    ConversationSuperseded,
    InvalidAuthenticator,
    InvalidIntegrationId,
    OneBalanceError,
    PasswordExpired,
    PasswordResetRequired,
    ProtocolError,
    RequestTimeout,
    SchemaViolation,
    ServiceError,
    TransportError,
    UnknownFault,
    ValidationError,
)
from ._models import Account, AutoBuySettings, Capabilities, LoginInfo, PostalAddress, Terms
from ._soap._zeep import zeep_service
from ._version import __version__

__all__ = [
    "PRODUCTION_ENDPOINT",
    "TESTING_ENDPOINT",
    "Account",
    "AccountClosed",
    "AccountLocked",
    "AuthenticationError",
    "AuthenticationFailed",
    "AuthenticatorExpired",
    "AutoBuySettings",
    "Capabilities",
    "ClientClosed",
    "ConfigurationError",
    "ConnectError",
    "ConversationError",
    "ConversationOutOfSync",
    "ConversationSuperseded",
    "InvalidAuthenticator",
    "InvalidIntegrationId",
    "LoginInfo",
    "OneBalance",
    "OneBalanceError",
    "PasswordExpired",
    "PasswordResetRequired",
    "PostalAddress",
    "ProtocolError",
    "RequestTimeout",
    "SchemaViolation",
    "ServiceError",
    "Terms",
    "Timeout",
    "TransportError",
    "UnknownFault",
    "ValidationError",
    "__version__",
    "zeep_service",
]
