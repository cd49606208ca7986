"""The One Balance service over SWSIM: the SOAP codec (``_soap``), one exchange (``_exchange``), the
fault mapping (``_faults``), the per-account client (``OneBalance`` in ``_client``, its conversation in
``_conversation``), the calls without a login (``Platform``), the version differences (``_dialect``),
the wire spellings (``_mapping``: accounts, payment methods, postage; ``_access_mapping``: credentials,
registration, passwords), the models, the input rules and the validated inputs.

The room's face: what other rooms use of it. The codec (``_soap``) is the sandbox's too, and is
imported from its modules.
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
from ._platform import Platform, RegistrationAnswer
from ._receipts import Receipt, RefillKind
from ._soap._versions import ApiVersion

__all__ = [
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
]
