"""What the sandbox keeps of a carrier pickup (:class:`SandboxPickup`, on its account) and where USPS
has no pickup (:data:`NO_PICKUP_ZIPS`, the default of ``SandboxState.no_pickup_zips``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

#: ZIP codes without carrier pickup in a new sandbox (``Sandbox.set_pickup_service`` changes them): the
#: remote Alaska and Pacific ZIPs of docs/sandbox.md.
NO_PICKUP_ZIPS = frozenset({"99950", "96799", "96960"})

PickupState = Literal["Scheduled", "Modified", "Cancelled"]


class SandboxPickup(BaseModel):
    """One pickup booked with ScheduleCarrierPickup, as the service keeps it (its wire parts as sent)."""

    model_config = ConfigDict(extra="forbid")

    confirmation_number: str
    state: PickupState = "Scheduled"
    pickup_date: date
    #: CarrierPickupContactInformationV2, CarrierPickupAddressV3 and CarrierPickupPackageInformation as sent.
    contact: dict[str, Any]
    address: dict[str, Any]
    packages: dict[str, Any]
    earliest: str = ""
    latest: str = ""
    booked_at: datetime
    changed_at: datetime | None = None

    @property
    def cancelled(self) -> bool:
        return self.state == "Cancelled"
