"""Immutable results the SDK returns. Wire spellings live in ``_mapping``, not here."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from onebalance.core import OldName, ProtocolError, Renamed


def _reported(value: Decimal) -> Decimal:
    # A ProtocolError (not a ValueError) passes through pydantic as it is.
    if not value.is_finite() or value < 0:
        raise ProtocolError("The One Balance service reported a negative or non-finite postage amount")
    return value


#: A balance or limit the service reports: never negative (a negative one is a broken answer).
ReportedAmount = Annotated[Decimal, AfterValidator(_reported)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


#: The old names of the address fields (until the next release), in ``carriers.Address``'s spelling now.
ZIP_OLD_NAME = OldName("zip_code", "postal_code")
ADDRESS_OLD_NAMES = (OldName("address1", "street_lines", 0), OldName("address2", "street_lines", 1), ZIP_OLD_NAME)
#: ... and of the addressee's name, where the model has one (``carriers.Address.name``).
NAME_OLD_NAME = OldName("full_name", "name")


class PostalAddress(_Model, Renamed):
    """A postal address as the service keeps it (contact or meter address), spelled as ``carriers.Address``."""

    __old_names__: ClassVar[tuple[OldName, ...]] = (
        NAME_OLD_NAME,
        *ADDRESS_OLD_NAMES,
        OldName("zip_code_add_on", "zip4"),
    )

    name: str | None = None
    company: str | None = None
    street_lines: tuple[str, ...] = ()
    """One or two lines, as the service keeps them."""
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    """The ZIP code."""
    zip4: str | None = None
    """The ZIP+4 add-on (four digits), as ``carriers.Address.zip4``."""
    country: str | None = None
    phone: str | None = None
    email: str | None = None


class Capabilities(_Model):
    """What the account and user may do. ``flags`` keeps every flag the service sent, by wire name."""

    can_purchase_postage: bool
    can_print_shipping: bool
    can_print_international: bool
    can_use_cost_codes: bool
    must_use_cost_codes: bool
    can_edit_cost_codes: bool
    allow_all_mail_classes: bool
    can_manage_users: bool
    can_change_payment_method: bool
    can_use_invoicing: bool
    can_email_notifications: bool
    disable_conversation_token: bool
    can_print_ups: bool
    can_print_fedex: bool
    block_usps_print: bool = Field(
        default=False, description="SWSIM v135: USPS labels are blocked on this account (always False on v111)."
    )
    can_print_ups_ground_saver: bool = Field(default=False, description="SWSIM v135 (always False on v111).")
    per_print_limit: Decimal | None = Field(
        default=None, description="Most one label may cost; None when the service sets no limit."
    )
    flags: dict[str, bool] = Field(default_factory=dict)


#: The old names of the auto-buy's amount and threshold (until the next release), as ``AutoRefillSettings`` says.
AUTO_BUY_OLD_NAMES = (OldName("purchase_amount", "amount"), OldName("trigger_amount", "threshold"))


class AutoBuySettings(_Model, Renamed):
    """The service's own auto-refill setting (SetAutoBuy / AccountInfo.AutoBuySettings)."""

    __old_names__: ClassVar[tuple[OldName, ...]] = AUTO_BUY_OLD_NAMES

    enabled: bool
    amount: Decimal = Decimal("0")
    """The postage the service buys (its PurchaseAmount)."""
    threshold: Decimal = Decimal("0")
    """The balance below which it buys (its TriggerAmount)."""


class Terms(_Model):
    """Which terms of service the account has accepted."""

    general: bool = False
    ups: bool = False
    fedex: bool = False
    dhl_express: bool = False
    parcel_guard: bool = False


class Account(_Model):
    """A One Balance account as GetAccountInfo reports it."""

    customer_id: int
    meter_number: int
    user_id: int
    username: str
    available_postage: ReportedAmount
    control_total: ReportedAmount
    max_postage_balance: ReportedAmount
    monthly_postage_purchase_limit: int
    cost_code_limit: int
    max_users: int
    capabilities: Capabilities
    account_status: str | None = None
    plan_id: int
    pending_plan_id: int | None = None
    resubmit_status: str
    auto_buy: AutoBuySettings | None = None
    terms: Terms
    email: str | None = None
    address: PostalAddress
    meter_address: PostalAddress
    verification_phone: str | None = None
    branded_external_prints: bool | None = Field(
        default=None, description="SWSIM v135: labels carry the merchant's branding (None on v111)."
    )
    customer_group: str | None = Field(default=None, description="SWSIM v135: the account's customer group.")


class LoginInfo(_Model, Renamed):
    """What AuthenticateUser said about the user besides the token."""

    __old_names__: ClassVar[tuple[OldName, ...]] = (OldName("last_login_time", "last_login_at"),)

    last_login_at: datetime | None = None
    """The user's login before this one; None on a first login."""
    password_expired: bool = False
    codewords_set: bool = True
    banner_text: str = ""


class PaymentMethodInfo(_Model):
    """A payment method on file (ListPaymentMethods); never more than the last four digits."""

    id: str
    billing_method: str | None = None
    card_type: str | None = None
    last4: str | None = None
    bank_name: str | None = None
    default_for: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        return bool(self.default_for)


class PostageBalance(_Model):
    """The balance as the service last reported it."""

    available_postage: ReportedAmount
    control_total: ReportedAmount


class CostAccount(_Model):
    """A cost account (SWSIM cost code) purchases, refills and labels can be assigned to."""

    id: int
    name: str


class PurchaseResult(_Model):
    """What PurchasePostage answered. ``status``: Pending, Processing, Success or Rejected."""

    status: str
    transaction_id: int
    balance: PostageBalance
    integrator_tx_id: str
    rejection_code: str | None = Field(default=None, description="SWSIM v111 only: why it was rejected, as a code.")
    rejection_reason: str | None = None
    processor_transaction_id: str | None = Field(
        default=None, description="SWSIM v135: the payment processor's id of the charge, when the service gives it."
    )


class BalanceTransaction(_Model, Renamed):
    """One line of the service's balance history (GetBalanceHistory)."""

    __old_names__: ClassVar[tuple[OldName, ...]] = (OldName("date", "occurred_at"),)

    occurred_at: datetime
    """When the transaction happened."""
    type: str
    cost: Decimal
    credit: Decimal
    balance: Decimal
    brand: str = ""
    purchase_type: str | None = None
