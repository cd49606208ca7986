"""The sandbox's models: what an account is made of (moto-style plain models).

An account (``_state.SandboxAccount``) carries what GetAccountInfo reports plus what the
simulator needs: its password and password history, the conditions that make up its status
(locked, closed, holds, expired password, unverified phone, terms not accepted), codewords, a password reset or phone
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

from pydantic import BaseModel, ConfigDict, Field

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


HOLD_STATUS = {
    Hold.ADMIN_HOLD: AccountStatus.ADMIN_HOLD,
    Hold.ACTIVITY_BLOCKED: AccountStatus.ACTIVITY_BLOCKED,
    Hold.PAYMENT_HOLD: AccountStatus.PAYMENT_HOLD,
}
STATUS_HOLD = {status: hold for hold, status in HOLD_STATUS.items()}

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


class Reprint(BaseModel):
    """A label printed again by ReprintIndicium (see ``_reprints``): in what, and when. Its image is at
    ``<site>/sandbox/reprints/<StampsTxID>/<number>.<ext>``, ``number`` counting from 1."""

    model_config = ConfigDict(extra="forbid")

    image_type: str
    paper_size: str = "Default"
    printed_at: datetime


class ShipmentListQuery(BaseModel):
    """A GetShipmentList query behind a ShipmentListToken (see ``_listing``): the labels it found
    then (their ids, newest first), shown as they are when a page is asked for."""

    model_config = ConfigDict(extra="forbid")

    per_page: int
    label_ids: list[int]
    #: IncludeFields: the fields of each shipment asked for (empty: every field).
    include: list[str] = Field(default_factory=list)
    created_at: datetime


class Label(BaseModel):
    """A label CreateIndicium printed (see ``_labels``). ``refund_status``: "" while valid,
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
    #: The customs form's URL (labels abroad: CreateIndicium's FormURL), "" for a domestic label.
    form_url: str = ""
    image_data: bool = False
    image_type: str = "Auto"  # CreateIndicium's ImageType: the format of the label's image
    paper_size: str = "Default"  # CreateIndicium's PaperSize: a PDF on Letter85x11 is a letter page
    available_after: Decimal = Decimal("0.00")
    control_total_after: Decimal = Decimal("0.00")
    #: ReprintIndicium's prints of it, oldest first.
    reprints: list[Reprint] = Field(default_factory=list)
    #: The SCAN form the label is on (``_manifests``), None while it is on none.
    scan_form_id: str | None = None

    @property
    def voided(self) -> bool:
        return self.voided_at is not None


class ScanFormRecord(BaseModel):
    """A SCAN form CreateManifest made (see ``_manifests``): the labels it covers, by StampsTxID."""

    model_config = ConfigDict(extra="forbid")

    id: str
    ship_date: date
    created_at: datetime
    integrator_tx_id: str | None = None
    stamps_tx_ids: list[str] = Field(default_factory=list)
    tracking_numbers: list[str] = Field(default_factory=list)
    from_address: dict[str, Any] = Field(default_factory=dict)


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
