"""The FedEx sandbox's state: plain objects behind one lock, timed by a movable clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .._shared._clock import Clock

__all__ = ["FedexState", "Project", "Shipment", "Token"]


@dataclass
class Project:
    """A FedEx developer project: an API key pair bound to one 9-digit account."""

    client_id: str
    client_secret: str = field(repr=False)
    account_number: str


@dataclass
class Token:
    client_id: str
    expires_at: datetime


@dataclass
class Shipment:
    """A shipment bought in the sandbox: ``tracking_number`` is the master's, ``package_numbers`` every
    package's (the master first); packages cancelled one by one are in ``cancelled_packages``."""

    tracking_number: str
    account_number: str
    service_type: str
    packaging_type: str
    created_at: datetime
    ship_date: date
    delivery_days: int
    total: Decimal
    shipper: dict[str, Any]
    recipient: dict[str, Any]
    customer_transaction_id: str | None
    response: dict[str, Any] = field(repr=False)
    cancelled_at: datetime | None = None
    package_numbers: list[str] = field(default_factory=list)
    cancelled_packages: dict[str, datetime] = field(default_factory=dict)
    #: A return shipment (special service RETURN_SHIPMENT, a printed return label).
    is_return: bool = False

    def cancelled(self, number: str) -> datetime | None:
        """When the package was cancelled (on its own or with the whole shipment), or None."""
        return self.cancelled_packages.get(number) or self.cancelled_at


@dataclass
class FedexState:
    clock: Clock = field(default_factory=Clock)
    lock: threading.RLock = field(default_factory=threading.RLock)
    projects: dict[str, Project] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    shipments: dict[str, Shipment] = field(default_factory=dict)
    #: every package's tracking number → its shipment's master tracking number.
    packages: dict[str, str] = field(default_factory=dict)
    #: (account, x-customer-transaction-id) → tracking number of the shipment it made.
    idempotency: dict[tuple[str, str], str] = field(default_factory=dict)
    token_lifetime: int = 3600
    next_tracking: int = 794_600_000_000
    requests: list[tuple[str, str]] = field(default_factory=list)
    #: Billed on every shipment from now on, above its rate (``FedexSandbox.set_surcharge``).
    surcharge: Decimal = Decimal("0.00")
