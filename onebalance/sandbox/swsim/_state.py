"""The sandbox's state (moto-style): every account behind one lock, on a movable clock.

:class:`SandboxState` holds the accounts, the integrations, the live tokens, the counters, the
outbox and the HMAC key; :class:`SandboxAccount` is one account (its parts are in ``_account_models``).
With ``--state FILE`` a :class:`StateStore` (``_persistence``) keeps it across restarts.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from onebalance.swsim import PASSWORD_HISTORY

from .._shared._clock import Clock
from ._account_models import (
    DEFAULT_CAPABILITIES,
    HOLD_STATUS,
    OUTBOX_KEPT,
    STATUS_HOLD,
    UNLIMITED_PER_PRINT,
    AccountStatus,
    AutoBuy,
    Charge,
    Codewords,
    Conversation,
    CostCode,
    HistoryQuery,
    Hold,
    IndiciumReplay,
    Label,
    LedgerEntry,
    PasswordReset,
    PaymentMethod,
    PendingPurchase,
    PendingVerification,
    PurchaseOutcome,
    PurchaseReplay,
    SandboxMessage,
    ScanFormRecord,
    ShipmentListQuery,
)
from ._pickup_state import NO_PICKUP_ZIPS, SandboxPickup


class StateStore(Protocol):
    """Where ``--state`` keeps the state (``_persistence.SqliteStore``)."""

    def save(self, state: SandboxState, accounts: Iterable[SandboxAccount]) -> None: ...

    def close(self) -> None: ...


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
    #: Carrier pickups ScheduleCarrierPickup booked, oldest first (cancelled and past ones kept).
    pickups: list[SandboxPickup] = Field(default_factory=list)
    #: The SCAN forms CreateManifest made, oldest first (each label on one knows its form too).
    scan_forms: list[ScanFormRecord] = Field(default_factory=list)
    #: GetBalanceHistory queries by BalanceHistoryToken, oldest first.
    history_queries: dict[str, HistoryQuery] = Field(default_factory=dict)
    #: GetShipmentList queries by ShipmentListToken, oldest first.
    shipment_queries: dict[str, ShipmentListQuery] = Field(default_factory=dict)
    #: Opaque id of the account in the sandbox's web pages (GetURL).
    page_id: str | None = None
    last_login: datetime | None = None
    conversations: list[Conversation] = Field(default_factory=list)
    #: The labels whose refund is pending, by StampsTxID, in the order they were voided; ``None`` until
    #: first needed (one scan of ``labels``), then kept by :meth:`refund_pending`. Every authenticated
    #: call looks for refunds come due: without this, a scan of every label the account ever printed.
    _pending_refunds: dict[str, Label] | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _status_to_conditions(cls, data: Any) -> Any:
        """Accept ``status=`` (and state saved before the conditions existed)."""
        if isinstance(data, dict) and "status" in data:
            data = dict(data)
            status = AccountStatus(data.pop("status"))
            if status in STATUS_HOLD:
                data["holds"] = [*data.get("holds", ()), STATUS_HOLD[status]]
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

    def pending_refunds(self) -> list[Label]:
        """The labels whose refund is pending (voided, not yet credited)."""
        if self._pending_refunds is None:
            self._pending_refunds = {lb.stamps_tx_id: lb for lb in self.labels if lb.refund_status == "pending"}
        return list(self._pending_refunds.values())

    def refund_pending(self, label: Label, status: Literal["pending", "approved", "none"]) -> None:
        """Set ``label``'s refund status, keeping :meth:`pending_refunds` true."""
        label.refund_status = status
        if self._pending_refunds is not None:
            if status == "pending":
                self._pending_refunds[label.stamps_tx_id] = label
            else:
                self._pending_refunds.pop(label.stamps_tx_id, None)

    @property
    def status(self) -> AccountStatus:
        """What GetAccountInfo reports: the first condition that applies (see :class:`AccountStatus`)."""
        if self.closed:
            return AccountStatus.CLOSED
        if self.locked:
            return AccountStatus.LOCKED
        for hold, status in HOLD_STATUS.items():
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
        elif status in STATUS_HOLD:
            self.place_hold(STATUS_HOLD[status])
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


@dataclass
class SandboxState:
    clock: Clock
    accounts: dict[str, SandboxAccount] = field(default_factory=dict)
    integrations: set[str] = field(default_factory=set)
    tokens: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    store: StateStore | None = None
    dirty: set[str] = field(default_factory=set)
    #: Every message sent (the last ``OUTBOX_KEPT``), oldest first; see ``send``.
    outbox: list[SandboxMessage] = field(default_factory=list)
    unsaved_messages: list[SandboxMessage] = field(default_factory=list)
    #: The key of the sandbox's HMACs (CleanseHash, Mac); kept with ``--state``.
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    #: ZIP codes where USPS has no carrier pickup (``Sandbox.set_pickup_service``); kept with ``--state``.
    no_pickup_zips: set[str] = field(default_factory=lambda: set(NO_PICKUP_ZIPS))

    def touch(self, account: SandboxAccount) -> None:
        self.dirty.add(account.key)

    def send(
        self,
        channel: Literal["sms", "voice", "email"],
        account: SandboxAccount,
        to: str,
        subject: str,
        body: str,
        code: str | None = None,
    ) -> SandboxMessage:
        """Send an SMS, voice call or email the sandbox way: it only lands in the outbox (``Sandbox.outbox``)."""
        message = SandboxMessage(
            channel=channel,
            to=to,
            username=account.username,
            subject=subject,
            body=body,
            code=code,
            sent_at=self.clock.now(),
        )
        self.outbox.append(message)
        del self.outbox[:-OUTBOX_KEPT]
        self.unsaved_messages.append(message)
        return message

    def add_account(self, **fields: Any) -> SandboxAccount:
        """A new account with fresh customer, meter and user ids (``fields`` as for SandboxAccount)."""
        account = SandboxAccount(
            customer_id=self.next_id("customer", 100000),
            meter_number=self.next_id("meter", 4000000),
            user_id=self.next_id("user", 500000),
            **fields,
        )
        self.accounts[account.key] = account
        self.touch(account)
        return account

    def next_id(self, name: str, start: int) -> int:
        value = self.counters.get(name, start) + 1
        self.counters[name] = value
        return value

    def flush(self) -> None:
        if self.store is not None and (self.dirty or self.unsaved_messages):
            self.store.save(self, [self.accounts[k] for k in self.dirty if k in self.accounts])
        self.dirty.clear()
        self.unsaved_messages.clear()
