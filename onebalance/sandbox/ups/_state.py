"""The UPS sandbox's state: plain objects behind one lock, on a movable clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from onebalance.carriers.ups import UpsSettings

from .._shared._clock import Clock

#: How long a sandbox token lives, like UPS's ``"14399"``.
TOKEN_LIFETIME = 14399


@dataclass
class UpsAccount:
    """An OAuth app's credentials and the shipper numbers it may bill."""

    client_id: str
    client_secret: str
    shipper_numbers: set[str]

    def settings(self, base_url: str, account_number: str | None = None) -> UpsSettings:
        """These credentials as :class:`carriers.ups.UpsSettings` for ``base_url``, billing
        ``account_number`` (by default the app's only shipper number; ValueError if it has several)."""
        if account_number is None:
            if len(self.shipper_numbers) != 1:
                raise ValueError("this app bills several shipper numbers: say which one (account_number=...)")
            (account_number,) = self.shipper_numbers
        return UpsSettings(
            client_id=self.client_id,
            client_secret=self.client_secret,
            account_number=account_number,
            base_url=base_url,
        )

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
    voided_at: datetime | None = None
    #: Packages voided one by one (``?trackingnumber=``), and when; the shipment is voided once all are.
    voided_packages: dict[str, datetime] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)
    #: A return shipment (``ReturnService``): voided whole only.
    is_return: bool = False

    @property
    def voided(self) -> bool:
        return self.voided_at is not None

    def package_voided_at(self, number: str) -> datetime | None:
        """When the package was voided (on its own, or with the whole shipment), or None."""
        return self.voided_packages.get(number) or self.voided_at


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
    #: Billed on every shipment from now on, above its rate (``UpsSandbox.set_surcharge``).
    surcharge: Decimal = Decimal("0.00")
