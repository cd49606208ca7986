"""The ground floor: errors, endpoints and timeouts, the retry policy, the HTTP transport, JSON, redaction.

Every other room builds on these; they import nothing else of the SDK.
"""

# The names other rooms use (they import them from here, not from the modules).
from typing import TYPE_CHECKING, Any

from ._config import Timeout as Timeout
from ._config import check_client_id as check_client_id
from ._config import check_endpoint as check_endpoint
from ._config import decode_json as decode_json
from ._errors import AccountClosed as AccountClosed
from ._errors import AccountDisconnected as AccountDisconnected
from ._errors import AccountLocked as AccountLocked
from ._errors import AccountSuspended as AccountSuspended
from ._errors import ActivityBlocked as ActivityBlocked
from ._errors import AddressError as AddressError
from ._errors import AddressNotFound as AddressNotFound
from ._errors import AdminHold as AdminHold
from ._errors import AmountBelowMinimum as AmountBelowMinimum
from ._errors import AuthenticationError as AuthenticationError
from ._errors import AuthenticationFailed as AuthenticationFailed
from ._errors import AuthenticatorExpired as AuthenticatorExpired
from ._errors import BalanceLimitExceeded as BalanceLimitExceeded
from ._errors import CapabilityDisabled as CapabilityDisabled
from ._errors import ClientClosed as ClientClosed
from ._errors import CodewordAnswersRefused as CodewordAnswersRefused
from ._errors import ConfigurationError as ConfigurationError
from ._errors import ConnectError as ConnectError
from ._errors import ConversationError as ConversationError
from ._errors import ConversationOutOfSync as ConversationOutOfSync
from ._errors import ConversationSuperseded as ConversationSuperseded
from ._errors import CostAccountRequired as CostAccountRequired
from ._errors import CredentialStoreError as CredentialStoreError
from ._errors import FaultDetail as FaultDetail
from ._errors import InsufficientFunds as InsufficientFunds
from ._errors import InvalidAmount as InvalidAmount
from ._errors import InvalidAuthenticator as InvalidAuthenticator
from ._errors import InvalidAutoBuySettings as InvalidAutoBuySettings
from ._errors import InvalidCodewords as InvalidCodewords
from ._errors import InvalidIntegrationId as InvalidIntegrationId
from ._errors import InvalidPassword as InvalidPassword
from ._errors import InvalidPaymentMethod as InvalidPaymentMethod
from ._errors import InvoicedAccount as InvoicedAccount
from ._errors import LabelNotFound as LabelNotFound
from ._errors import MonthlyLimitExceeded as MonthlyLimitExceeded
from ._errors import NotConnected as NotConnected
from ._errors import OneBalanceError as OneBalanceError
from ._errors import OutcomeUnknown as OutcomeUnknown
from ._errors import PasswordExpired as PasswordExpired
from ._errors import PasswordResetError as PasswordResetError
from ._errors import PasswordResetRequired as PasswordResetRequired
from ._errors import PaymentHold as PaymentHold
from ._errors import PaymentMethodRefused as PaymentMethodRefused
from ._errors import PermissionDenied as PermissionDenied
from ._errors import PickupDateInPast as PickupDateInPast
from ._errors import PickupNotFound as PickupNotFound
from ._errors import PickupRefused as PickupRefused
from ._errors import PickupUnavailable as PickupUnavailable
from ._errors import PlanRestriction as PlanRestriction
from ._errors import PrintLimitExceeded as PrintLimitExceeded
from ._errors import ProtocolError as ProtocolError
from ._errors import PurchaseInProgress as PurchaseInProgress
from ._errors import PurchaseRejected as PurchaseRejected
from ._errors import RefillLockTimeout as RefillLockTimeout
from ._errors import RegistrationError as RegistrationError
from ._errors import ReprintRefused as ReprintRefused
from ._errors import RequestTimeout as RequestTimeout
from ._errors import ScanFormRefused as ScanFormRefused
from ._errors import SchemaViolation as SchemaViolation
from ._errors import Service as Service
from ._errors import ServiceError as ServiceError
from ._errors import ServiceRetired as ServiceRetired
from ._errors import StaleControlTotal as StaleControlTotal
from ._errors import StoreError as StoreError
from ._errors import SuspensionReason as SuspensionReason
from ._errors import TemporaryPasswordRefused as TemporaryPasswordRefused
from ._errors import TermsNotAccepted as TermsNotAccepted
from ._errors import TransportError as TransportError
from ._errors import UnknownCostAccount as UnknownCostAccount
from ._errors import UnknownFault as UnknownFault
from ._errors import UsernameTaken as UsernameTaken
from ._errors import ValidationError as ValidationError
from ._errors import VerificationFailed as VerificationFailed
from ._errors import VoidRefused as VoidRefused
from ._errors import clipped as clipped
from ._errors import from_service as from_service
from ._json import dumps as dumps
from ._json import loads as loads
from ._per_object import PerObject as PerObject
from ._public import publish as publish
from ._redact import MAX_LOGGED_BODY as MAX_LOGGED_BODY
from ._redact import install as install
from ._redact import redact_xml as redact_xml
from ._redact import register_secret as register_secret
from ._redact import scrub as scrub
from ._retry import MONEY as MONEY
from ._retry import RetryPolicy as RetryPolicy
from ._retry import Safety as Safety
from ._retry import Transient as Transient
from ._retry import run as run
from ._retry import swsim_safety as swsim_safety
from ._text import one_line as one_line
from ._transport import POOL_SIZE as POOL_SIZE
from ._transport import HttpReply as HttpReply
from ._transport import Transport as Transport
from ._transport import check_session as check_session
from ._transport import send as send
from ._transport import shared_session as shared_session

if TYPE_CHECKING:  # loaded on first use (``__getattr__``): pydantic, which ``import onebalance`` leaves out
    from ._renames import STORED as STORED
    from ._renames import WITH_OLD_NAMES as WITH_OLD_NAMES
    from ._renames import OldName as OldName
    from ._renames import Renamed as Renamed
    from ._renames import old_keywords as old_keywords

#: The names of ``_renames`` (a pydantic mixin for the models): imported with it the first time one
#: is used, which the rooms with models do when they are imported. ``import onebalance`` imports this
#: room only, and pydantic costs more to import than this room's other modules together (issue 19).
_ON_FIRST_USE = frozenset(("STORED", "WITH_OLD_NAMES", "OldName", "Renamed", "old_keywords"))


def __getattr__(name: str) -> Any:
    """``Renamed`` and its companions, imported from ``_renames`` on first use (PEP 562)."""
    if name in _ON_FIRST_USE:
        import onebalance.core._renames as renames  # deferred for start-up: tests/test_architecture.py

        value = getattr(renames, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'onebalance.core' has no attribute {name!r}")
