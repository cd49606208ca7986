"""The One Balance service over SWSIM: the SOAP codec (``_soap``), one exchange (``_exchange``), the
fault mapping (``_faults``), the per-account client (``OneBalance`` in ``_client``, its conversation in
``_conversation``), the calls without a login (``Platform``), the version differences (``_dialect``),
the wire spellings (``_mapping``: accounts, payment methods, postage; ``_access_mapping``: credentials,
registration, passwords), the models, the input rules and the validated inputs.

The room's face: what other rooms use of it, the codec (``_soap``) included, which the sandbox
speaks SWSIM with too.
"""

from ._client import Concurrency, OneBalance
from ._endpoints import PRODUCTION_ENDPOINT, TESTING_ENDPOINT, check_credentials
from ._inputs import (
    BankAccount,
    Codewords,
    CreditCard,
    PaymentMethod,
    RegistrationForm,
    StoreProfile,
    check_password,
    generate_password,
    ipv4,
)
from ._mapping import account_state, billing_kind, describe_payment_method, in_resubmission, postage_payment_method
from ._mapping import address_to_wire as postal_address_to_wire
from ._models import (
    AUTO_BUY_OLD_NAMES,
    ZIP_OLD_NAME,
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
from ._platform import Platform, RegistrationAnswer
from ._receipts import Receipt, RefillKind
from ._soap._versions import ApiVersion
from ._soap._views import Reads

__all__ = [
    "AUTO_BUY_OLD_NAMES",
    "ZIP_OLD_NAME",
    "PRODUCTION_ENDPOINT",
    "TESTING_ENDPOINT",
    "Account",
    "ApiVersion",
    "AutoBuySettings",
    "BalanceTransaction",
    "BankAccount",
    "Capabilities",
    "Codewords",
    "Concurrency",
    "CostAccount",
    "CreditCard",
    "LoginInfo",
    "OneBalance",
    "PaymentMethod",
    "PaymentMethodInfo",
    "Platform",
    "PostageBalance",
    "PostalAddress",
    "PurchaseResult",
    "Receipt",
    "RefillKind",
    "RegistrationAnswer",
    "Reads",
    "RegistrationForm",
    "StoreProfile",
    "Terms",
    "account_state",
    "billing_kind",
    "check_credentials",
    "check_password",
    "describe_payment_method",
    "generate_password",
    "in_resubmission",
    "ipv4",
    "postage_payment_method",
    "postal_address_to_wire",
]

# The names other rooms use (they import them from here, not from the modules).
from ._dialect import Version as Version
from ._rules import PASSWORD_HISTORY as PASSWORD_HISTORY
from ._soap._envelope import MalformedResponse as MalformedResponse
from ._soap._envelope import build as build
from ._soap._envelope import build_fault as build_fault
from ._soap._envelope import read_request as read_request
from ._soap._schema import Complex as Complex
from ._soap._schema import Operation as Operation
from ._soap._schema import Schema as Schema
from ._soap._schema import SchemaError as SchemaError
from ._soap._schema import swsim_schema as swsim_schema
from ._soap._schema import wsdl_bytes as wsdl_bytes
from ._soap._versions import DEFAULT_VERSION as DEFAULT_VERSION
from ._soap._versions import VERSIONS as VERSIONS
from ._soap._versions import SwsimVersion as SwsimVersion
from ._soap._versions import swsim_version as swsim_version
from ._soap._zeep import zeep_service as zeep_service

# The names other rooms use (they import them from here, not from the modules).
