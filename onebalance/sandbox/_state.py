"""The sandbox's state: plain models behind one lock (moto-style).

An account carries what GetAccountInfo reports plus what the simulator needs: its password and
password history, the conditions that make up its status (locked, closed, holds, expired
password, unverified phone, terms not accepted), codewords, a password reset or phone
verification in progress, payment methods and live conversations, and its postage: the
ledger every balance is explained by, the charges to its payment methods, auto-buy settings,
cost codes, a purchase in progress, remembered purchase results (IntegratorTxID replays) and
balance-history queries. Everything here is JSON-serializable through pydantic so that
``--state FILE`` can keep it in SQLite.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from onebalance.swsim._rules import PASSWORD_HISTORY

#: A ready account every ``onebalance sandbox serve`` starts with. Fixed, documented, not secret.
DEMO_INTEGRATION_ID = "0b1ba1a2-7e57-4d3e-9a5d-5a4db0c0ffee"
DEMO_USERNAME = "demo-merchant"
DEMO_PASSWORD = "Demo-Passw0rd"  # noqa: S105 - documented demo account

#: Capabilities a new sandbox account has unless told otherwise (all others are false).
DEFAULT_CAPABILITIES = frozenset(
    {
        "CanPrintShipping",
        "CanUseCostCodes",
        "CanPrintMemoOnShippingLabel",
        "CanPrintInternational",
        "CanPurchasePostage",
        "CanEditCostCodes",
        "CanViewOnlineReports",
        "AllowAllMailClasses",
        "CanPrintReturnShippingLabel",
        "CanManageUsers",
        "CanEmailNotifications",
        "CanViewReports",
        "CanChangeServicePlan",
        "CanChangePhysicalAddress",
        "CanChangePaymentMethod",
        "CanChangeContactInfo",
        "CanPrintUPS",
        "CanPrintFX",
        "CanRateShop",
        "CanPurchaseUSPSInsurance",
        "CanExportPrintHistory",
    }
)
UNLIMITED_PER_PRINT = Decimal("922337203685477.5807")


class AccountStatus(str, enum.Enum):
    """An account's status; the value is what GetAccountInfo's ``AccountStatus`` says.

    The real values of that free string are undocumented (NOTES section 7); these are the
    sandbox's. An account can be in several conditions at once: it reports the first that
    applies, in this order.

    ========================  ==========================================================================
    Value                     Condition
    ========================  ==========================================================================
    ``Closed``                CancelAccount closed it. Logins answer 00550108.
    ``Locked``                5 consecutive failed logins, or ``lock()``. Logins answer 002b0607.
    ``AdminHold``             ``place_hold(.., "admin_hold")``; lifted only by the control API.
    ``ActivityBlocked``       ``place_hold(.., "activity_blocked")``; lifted only by the control API.
    ``PaymentHold``           ``place_hold(.., "payment_hold")`` or ``decline_payment_method()``; lifted
                              when a usable payment method becomes the default. GetAccountInfo's
                              ResubmitStatus is PAYMENT_RESUBMISSION meanwhile.
    ``PasswordExpired``       ``expire_password()``; calls other than GetAccountInfo and ChangePassword
                              answer 002b0608 until the password is changed.
    ``VerificationRequired``  The phone is not verified (accounts made by RegisterAccount).
    ``TermsRequired``         The general terms (Terms.TermsGP) are not accepted.
    ``Active``                None of the above.
    ========================  ==========================================================================
    """

    CLOSED = "Closed"
    LOCKED = "Locked"
    ADMIN_HOLD = "AdminHold"
    ACTIVITY_BLOCKED = "ActivityBlocked"
    PAYMENT_HOLD = "PaymentHold"
    PASSWORD_EXPIRED = "PasswordExpired"  # noqa: S105 - a status
    VERIFICATION_REQUIRED = "VerificationRequired"
    TERMS_REQUIRED = "TermsRequired"
    ACTIVE = "Active"


class Hold(str, enum.Enum):
    """Why an account may not buy or print (the values match ``onebalance.SuspensionReason``)."""

    PAYMENT_HOLD = "payment_hold"
    ADMIN_HOLD = "admin_hold"
    ACTIVITY_BLOCKED = "activity_blocked"


_HOLD_STATUS = {
    Hold.ADMIN_HOLD: AccountStatus.ADMIN_HOLD,
    Hold.ACTIVITY_BLOCKED: AccountStatus.ACTIVITY_BLOCKED,
    Hold.PAYMENT_HOLD: AccountStatus.PAYMENT_HOLD,
}
_STATUS_HOLD = {status: hold for hold, status in _HOLD_STATUS.items()}

#: Consecutive failed logins that lock an account.
LOCKOUT_AFTER = 5
#: Messages the outbox keeps (in memory and in the state file); older ones are dropped.
OUTBOX_KEPT = 1000


class Conversation(BaseModel):
    """One chain of rolling Authenticators. ``tokens[-1]`` is the one the next call must send."""

    model_config = ConfigDict(validate_assignment=False)

    id: str
    started_at: datetime
    seq: int = 0
    tokens: list[str] = Field(default_factory=list)
    superseded: bool = False
    via_login: bool = True


class Codewords(BaseModel):
    """The two security questions (CodewordType names) and their answers."""

    model_config = ConfigDict(extra="forbid")

    type1: str
    answer1: str
    type2: str
    answer2: str

    def matches(self, answer1: str, answer2: str) -> bool:
        """Answers are compared trimmed and without regard to case."""
        return _fold(answer1) == _fold(self.answer1) and _fold(answer2) == _fold(self.answer2)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


class PasswordReset(BaseModel):
    """A reset in progress: the temporary password that was emailed, and when."""

    model_config = ConfigDict(extra="forbid")

    temp_password: str
    started_at: datetime


class PendingVerification(BaseModel):
    """A phone verification in progress (StartAccountVerification)."""

    model_config = ConfigDict(extra="forbid")

    code: str
    phone: str
    extension: str | None = None
    channel: Literal["SMS", "Voice"] = "SMS"
    attempts: int = 0
    sent_at: datetime


#: How a payment method pays (the wire's BillingMethod). ``EnterprisePaymentAccount`` is what the
#: SDK calls a Reserve Account, ``OMAS`` is Purchase Power; neither carries an administrative fee.
BillingMethod = Literal["CreditCard", "ACH", "EnterprisePaymentAccount", "OMAS"]


class PaymentMethod(BaseModel):
    """A stored payment method. Only the last four digits of its number are kept."""

    model_config = ConfigDict(extra="forbid")

    id: str
    billing_method: BillingMethod = "CreditCard"
    card_type: str | None = None
    last4: str
    expires: date | None = None
    bank_name: str | None = None
    default: bool = False
    declined: bool = False

    def usable(self, today: date) -> bool:
        """Not declined and, for a card, not expired."""
        if self.declined:
            return False
        return self.expires is None or (self.expires.year, self.expires.month) >= (today.year, today.month)


#: What a ledger entry records (the wire's TransactionType, without ``All``).
EntryType = Literal["Purchase", "Credit", "Print", "Adjustment", "Refund"]
PurchaseStatus = Literal["Pending", "Processing", "Success", "Rejected"]
RejectionCode = Literal["CustomerActionRequired", "SystemFailure", "RejectedDueToFraud"]


class LedgerEntry(BaseModel):
    """One movement of an account's postage (see ``_ledger``). Amounts are whole cents, never negative.

    ``cost`` is debited and ``credit`` credited; ``balance`` and ``control_total`` are the
    account's after the entry. ``consumed`` is only ever set on an ``Adjustment``: postage
    declared consumed outside the ledger (how a seeded or ``set_balance`` control total is
    explained); it moves the control total, not the balance.
    """

    model_config = ConfigDict(extra="forbid")

    id: int
    date: datetime
    type: EntryType
    cost: Decimal = Decimal("0.00")
    credit: Decimal = Decimal("0.00")
    balance: Decimal
    control_total: Decimal
    consumed: Decimal = Decimal("0.00")
    brand: str = "Stamps.com"
    #: "Manual" (PurchasePostage) or "AutoBuy" for purchases; None for the other types.
    purchase_type: str | None = None
    integrator_tx_id: str | None = None
    #: The PurchasePostage TransactionID, for purchases.
    transaction_id: int | None = None
    memo: str = ""


class Charge(BaseModel):
    """What a purchase charged to a payment method: the postage, the administrative fee, the total."""

    model_config = ConfigDict(extra="forbid")

    transaction_id: int
    date: datetime
    amount: Decimal
    fee: Decimal
    total: Decimal
    payment_method_id: str
    billing_method: BillingMethod
    purchase_type: str


class AutoBuy(BaseModel):
    """The service's auto-refill (SetAutoBuy): buy ``purchase_amount`` when the balance falls below
    ``trigger_amount``."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool
    purchase_amount: Decimal = Decimal("0.00")
    trigger_amount: Decimal = Decimal("0.00")


class CostCode(BaseModel):
    """A cost account (EnumCostCodes' cost_code_info_v1)."""

    model_config = ConfigDict(extra="forbid")

    id: int
    name: str


class PurchaseOutcome(BaseModel):
    """What the next PurchasePostage answers instead of paying (``Sandbox.set_next_purchase_outcome``)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["Pending", "Processing", "Rejected"]
    rejection_code: RejectionCode | None = None


class PendingPurchase(BaseModel):
    """A purchase answered Pending or Processing; it completes on the account's next GetAccountInfo."""

    model_config = ConfigDict(extra="forbid")

    transaction_id: int
    amount: Decimal
    status: Literal["Pending", "Processing"]
    integrator_tx_id: str | None = None
    requested_at: datetime


class PurchaseReplay(BaseModel):
    """The remembered result of a PurchasePostage with an IntegratorTxID: a response or a fault."""

    model_config = ConfigDict(extra="forbid")

    status: PurchaseStatus | None = None
    transaction_id: int | None = None
    available_postage: Decimal | None = None
    control_total: Decimal | None = None
    rejection_reason: str | None = None
    rejection_code: RejectionCode | None = None
    fault_code: str | None = None
    fault_message: str | None = None


class Label(BaseModel):
    """A label CreateIndicium printed (see ``_usps``). ``refund_status``: "" while valid,
    "pending" once voided (the refund not credited yet), "approved" once credited, "none" for a
    voided sample label (nothing to refund)."""

    model_config = ConfigDict(extra="forbid")

    id: int
    stamps_tx_id: str
    tracking_number: str
    integrator_tx_id: str
    amount: Decimal
    service_type: str
    package_type: str | None = None
    deliver_days: int = 3
    created_at: datetime
    sample: bool = False
    voided_at: datetime | None = None
    refund_status: Literal["", "pending", "approved", "none"] = ""
    refunded_at: datetime | None = None
    cost_code_id: int | None = None
    #: The response's Rate, the addresses and what the response said then (for replays).
    rate: dict[str, Any] = Field(default_factory=dict)
    from_address: dict[str, Any] = Field(default_factory=dict)
    to_address: dict[str, Any] = Field(default_factory=dict)
    url: str = ""
    image_data: bool = False
    image_type: str = "Auto"  # CreateIndicium's ImageType: the format of the label's image
    available_after: Decimal = Decimal("0.00")
    control_total_after: Decimal = Decimal("0.00")

    @property
    def voided(self) -> bool:
        return self.voided_at is not None


class IndiciumReplay(BaseModel):
    """The remembered result of a CreateIndicium: the label it made, or its fault."""

    model_config = ConfigDict(extra="forbid")

    stamps_tx_id: str | None = None
    fault_code: str | None = None
    fault_message: str | None = None


class HistoryQuery(BaseModel):
    """A GetBalanceHistory query behind a BalanceHistoryToken.

    ``last_entry_id`` is the newest ledger entry when the query was made: later pages come from
    the same snapshot, so that entries added meanwhile do not shift them.
    """

    model_config = ConfigDict(extra="forbid")

    per_page: int
    date_min: date
    date_max: date | None = None
    types: list[EntryType]
    last_entry_id: int
    created_at: datetime


class SandboxMessage(BaseModel):
    """An SMS, voice call or email the sandbox "sent" (see ``Sandbox.outbox``).

    ``code`` is the verification code or temporary password it carries, if any.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Literal["sms", "voice", "email"]
    to: str
    username: str
    subject: str
    body: str
    code: str | None = None
    sent_at: datetime


class SandboxAccount(BaseModel):
    """One simulated account. ``status`` is derived from its conditions (see :class:`AccountStatus`).

    ``status=`` is accepted when an account is made, and turns into the matching condition
    (``PAYMENT_HOLD`` into a payment hold, ``LOCKED`` into ``locked``, ...).
    """

    model_config = ConfigDict(validate_assignment=False, extra="forbid")

    integration_id: str
    username: str
    password: str
    customer_id: int
    meter_number: int
    user_id: int
    available_postage: Decimal = Decimal("0.00")
    control_total: Decimal = Decimal("0.00")
    max_postage_balance: Decimal = Decimal("500.00")
    monthly_postage_purchase_limit: int = 10000
    cost_code_limit: int = 10
    max_users: int = 1
    capabilities: dict[str, bool] = Field(default_factory=lambda: dict.fromkeys(DEFAULT_CAPABILITIES, True))
    per_print_limit: Decimal = UNLIMITED_PER_PRINT
    plan_id: int = 1
    email: str = "merchant@example.com"
    account_type: str = "OfficeBasedBusiness"
    #: The physical address (GetAccountInfo's Address and MeterPhysicalAddress).
    address: dict[str, Any] = Field(
        default_factory=lambda: {
            "FullName": "Demo Merchant",
            "Company": "Demo Store",
            "Address1": "1990 E Grand Ave",
            "City": "El Segundo",
            "State": "CA",
            "ZIPCode": "90245",
            "Country": "US",
            "PhoneNumber": "3105551234",
        }
    )
    mailing_address: dict[str, Any] | None = None
    # -- status conditions -------------------------------------------------------------------
    closed: bool = False
    locked: bool = False
    holds: list[Hold] = Field(default_factory=list)
    password_expired: bool = False
    phone_verified: bool = True
    terms_accepted: bool = True
    failed_logins: int = 0
    # -- security --------------------------------------------------------------------------
    #: The last passwords, the current one last (a new password may not be one of them).
    password_history: list[str] = Field(default_factory=list)
    codewords: Codewords | None = None
    reset: PasswordReset | None = None
    verification: PendingVerification | None = None
    verification_phone: str | None = None
    verification_extension: str | None = None
    # -- payment ---------------------------------------------------------------------------
    payment_methods: list[PaymentMethod] = Field(default_factory=list)
    #: A SendPro Mailstation device: a credit card then pays a 3.5% administrative fee on purchases.
    has_mailstation: bool = False
    # -- postage ---------------------------------------------------------------------------
    #: Every movement of the balance, oldest first; ``available_postage`` and ``control_total``
    #: always equal the last entry's (see ``_ledger``).
    ledger: list[LedgerEntry] = Field(default_factory=list)
    #: What each purchase charged to a payment method, oldest first.
    charges: list[Charge] = Field(default_factory=list)
    auto_buy: AutoBuy | None = None
    cost_codes: list[CostCode] = Field(default_factory=list)
    next_purchase_outcome: PurchaseOutcome | None = None
    pending_purchase: PendingPurchase | None = None
    #: PurchasePostage results by IntegratorTxID (an account belongs to one integration), oldest first.
    purchase_replays: dict[str, PurchaseReplay] = Field(default_factory=dict)
    #: Labels CreateIndicium printed, oldest first, and its results by IntegratorTxID.
    labels: list[Label] = Field(default_factory=list)
    #: Added to the postage of every label printed (a re-rating at print time): ``set_label_surcharge``.
    label_surcharge: Decimal = Decimal("0.00")
    indicium_replays: dict[str, IndiciumReplay] = Field(default_factory=dict)
    #: GetBalanceHistory queries by BalanceHistoryToken, oldest first.
    history_queries: dict[str, HistoryQuery] = Field(default_factory=dict)
    #: Opaque id of the account in the sandbox's web pages (GetURL).
    page_id: str | None = None
    last_login: datetime | None = None
    conversations: list[Conversation] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _status_to_conditions(cls, data: Any) -> Any:
        """Accept ``status=`` (and state saved before the conditions existed)."""
        if isinstance(data, dict) and "status" in data:
            data = dict(data)
            status = AccountStatus(data.pop("status"))
            if status in _STATUS_HOLD:
                data["holds"] = [*data.get("holds", ()), _STATUS_HOLD[status]]
            else:
                data.update(_STATUS_FIELDS.get(status, {}))
        return data

    @model_validator(mode="after")
    def _history_has_the_password(self) -> SandboxAccount:
        if not self.password_history or self.password_history[-1] != self.password:
            self.password_history = [*self.password_history, self.password][-PASSWORD_HISTORY:]
        return self

    @property
    def key(self) -> str:
        return self.username.lower()

    @property
    def status(self) -> AccountStatus:
        """What GetAccountInfo reports: the first condition that applies (see :class:`AccountStatus`)."""
        if self.closed:
            return AccountStatus.CLOSED
        if self.locked:
            return AccountStatus.LOCKED
        for hold, status in _HOLD_STATUS.items():
            if hold in self.holds:
                return status
        if self.password_expired:
            return AccountStatus.PASSWORD_EXPIRED
        if not self.phone_verified:
            return AccountStatus.VERIFICATION_REQUIRED
        if not self.terms_accepted:
            return AccountStatus.TERMS_REQUIRED
        return AccountStatus.ACTIVE

    def set_status(self, status: AccountStatus) -> None:
        """Put the account in ``status``'s condition; ``ACTIVE`` clears every condition."""
        status = AccountStatus(status)
        if status is AccountStatus.ACTIVE:
            self.closed = self.locked = self.password_expired = False
            self.phone_verified = self.terms_accepted = True
            self.holds = []
            self.failed_logins = 0
        elif status in _STATUS_HOLD:
            self.place_hold(_STATUS_HOLD[status])
        else:
            for name, value in _STATUS_FIELDS[status].items():
                setattr(self, name, value)

    def place_hold(self, hold: Hold | str) -> None:
        hold = Hold(hold)
        if hold not in self.holds:
            self.holds.append(hold)

    def lift_hold(self, hold: Hold | str) -> None:
        hold = Hold(hold)
        self.holds = [h for h in self.holds if h is not hold]

    def change_password(self, password: str) -> None:
        """A new password, remembered in the history; it ends an expiry and a reset in progress."""
        self.password = password
        self.password_history = [*self.password_history, password][-PASSWORD_HISTORY:]
        self.password_expired = False
        self.reset = None

    @property
    def default_payment_method(self) -> PaymentMethod | None:
        return next((m for m in self.payment_methods if m.default), None)

    def payment_method(self, method_id: str) -> PaymentMethod | None:
        return next((m for m in self.payment_methods if m.id == method_id), None)


_STATUS_FIELDS: dict[AccountStatus, dict[str, Any]] = {
    AccountStatus.ACTIVE: {},
    AccountStatus.CLOSED: {"closed": True},
    AccountStatus.LOCKED: {"locked": True},
    AccountStatus.PASSWORD_EXPIRED: {"password_expired": True},
    AccountStatus.VERIFICATION_REQUIRED: {"phone_verified": False},
    AccountStatus.TERMS_REQUIRED: {"terms_accepted": False},
}
