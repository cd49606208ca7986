"""The sandbox's state: plain models behind one lock (moto-style).

An account carries what GetAccountInfo reports plus what the simulator needs: its password,
status and live conversations. Everything here is JSON-serializable through pydantic so that
``--state FILE`` can keep it in SQLite.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

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
    """The sandbox's account states; the value is what GetAccountInfo's AccountStatus says."""

    ACTIVE = "Active"
    LOCKED = "Locked"
    CLOSED = "Closed"
    PAYMENT_HOLD = "PaymentHold"
    ADMIN_HOLD = "AdminHold"


class Conversation(BaseModel):
    """One chain of rolling Authenticators. ``tokens[-1]`` is the one the next call must send."""

    model_config = ConfigDict(validate_assignment=False)

    id: str
    started_at: datetime
    seq: int = 0
    tokens: list[str] = Field(default_factory=list)
    superseded: bool = False
    via_login: bool = True


class SandboxAccount(BaseModel):
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
    status: AccountStatus = AccountStatus.ACTIVE
    plan_id: int = 1
    email: str = "merchant@example.com"
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
    verification_phone: str | None = None
    last_login: datetime | None = None
    conversations: list[Conversation] = Field(default_factory=list)

    @property
    def key(self) -> str:
        return self.username.lower()
