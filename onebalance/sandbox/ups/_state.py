"""The UPS sandbox's state: plain objects behind one lock, on a movable clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .._clock import Clock

#: How long a sandbox token lives, like UPS's ``"14399"``.
TOKEN_LIFETIME = 14399


@dataclass
class UpsAccount:
    """An OAuth app's credentials and the shipper numbers it may bill."""

    client_id: str
    client_secret: str
    shipper_numbers: set[str]

    def __repr__(self) -> str:
        return (
            f"UpsAccount(client_id={self.client_id!r}, client_secret='***', shipper_numbers={self.shipper_numbers!r})"
        )


@dataclass
class UpsToken:
    client_id: str
    issued_at: datetime
    expires_at: datetime


@dataclass
class UpsShipment:
    """A shipment bought in the sandbox."""

    identification_number: str
    tracking_numbers: list[str]
    client_id: str
    shipper_number: str
    service_code: str
    total: Decimal
    created_at: datetime
    delivery_days: int
    destination: dict[str, str]
    origin: dict[str, str]
    label_format: str
    context: str | None = None
    voided: bool = False
    response: dict[str, Any] = field(default_factory=dict)


@dataclass
class UpsState:
    clock: Clock
    lock: threading.RLock = field(default_factory=threading.RLock)
    accounts: dict[str, UpsAccount] = field(default_factory=dict)
    tokens: dict[str, UpsToken] = field(default_factory=dict)
    shipments: dict[str, UpsShipment] = field(default_factory=dict)
    by_tracking: dict[str, str] = field(default_factory=dict)
    by_context: dict[tuple[str, str, str], str] = field(default_factory=dict)
    sequence: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)
