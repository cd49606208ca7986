"""USPS carrier pickups: CheckCarrierPickupAvailability, ScheduleCarrierPickup, ModifyCarrierPickup,
CancelCarrierPickup and GetCarrierPickupList, the same on v111 and v135; and their control methods.

The rules (docs/sandbox.md):

* **The day.** "Today" is the sandbox clock's date in UTC-11 (the last US time zone), as the SDK
  counts it. A pickup comes on the next pickup day: the first day after today that is not a Sunday.
  CheckCarrierPickupAvailability with a ``Date`` answers the first pickup day on or after it (and after
  today); a Date before today is refused (002b0c02). ScheduleCarrierPickup takes no day: it books the
  next pickup day.
* **Where.** A ZIP in ``state.no_pickup_zips`` (``set_pickup_service``), or one that is not 5 digits
  of a USPS state, has no pickup (002b0c01), for a check as for a booking.
* **What.** At least one piece, no count below 0, a total weight of at least 1 lb, and a
  SpecialInstruction when the PackageLocation is Other (002b0c06); a second pickup at the same
  address on the same day is refused while the first is booked (002b0c05, naming it).
* **States.** Scheduled, Modified (ModifyCarrierPickup), Cancelled (CancelCarrierPickup). A
  cancelled pickup, or one whose day has come (today or before), is neither changed nor cancelled
  (002b0c04); an unknown confirmation number, or another account's, is 002b0c03.
* **The list** holds the account's pickups not cancelled whose day is today or later, soonest first.
  Pickups are free: EstimatedAmount is 0.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from . import _errors as faults
from ._addresses import STATES
from ._dispatch import Call
from ._errors import SandboxFault
from ._pickup_state import SandboxPickup
from ._state import SandboxState

__all__ = [
    "PickupControls",
    "cancel_carrier_pickup",
    "check_carrier_pickup_availability",
    "get_carrier_pickup_list",
    "modify_carrier_pickup",
    "schedule_carrier_pickup",
]

_COUNTS = (
    "NumberOfExpressMailPieces",
    "NumberOfPriorityMailPieces",
    "NumberOfInternationalPieces",
    "NumberOfFirstClassPieces",
    "NumberOfParcelSelectPieces",
    "NumberOfOtherPieces",
)
_LAST_US_OFFSET = timedelta(hours=-11)
_FREE = Decimal("0.00")


# -- days ------------------------------------------------------------------------------------------
def today(state: SandboxState) -> date:
    """The sandbox's today for pickups: its clock's date in UTC-11."""
    return (state.clock.now().astimezone(timezone.utc) + _LAST_US_OFFSET).date()


def pickup_day(state: SandboxState, wanted: date | None = None) -> date:
    """The first pickup day (not a Sunday) after today, on or after ``wanted``."""
    day = max(today(state) + timedelta(days=1), wanted or date.min)
    return day + timedelta(days=1) if day.weekday() == 6 else day


def _asked_day(value: Any) -> date | None:
    """The request's Date (xs:date; its default 0001-01-01 means none)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value)[:10])
        except ValueError:
            raise SandboxFault.schema_violation(f"The 'Date' element is invalid: {str(value)[:20]!r}.") from None
    return value if value.year > 1 else None


# -- checks ----------------------------------------------------------------------------------------
def _served(state: SandboxState, address: dict[str, Any]) -> None:
    zip_code = str(address.get("ZIP") or "").strip()
    place = str(address.get("State") or "").strip().upper()
    if not (zip_code.isdigit() and len(zip_code) == 5 and zip_code != "00000" and place in STATES):
        raise SandboxFault(
            faults.PICKUP_UNAVAILABLE, f"No carrier pickup: {zip_code!r} is not a ZIP code of {place!r}."
        )
    if zip_code in state.no_pickup_zips:
        raise SandboxFault(faults.PICKUP_UNAVAILABLE, f"Carrier pickup is not available in ZIP code {zip_code}.")


def _checked_packages(packages: dict[str, Any]) -> dict[str, Any]:
    counts = [int(packages.get(name) or 0) for name in _COUNTS]
    if any(count < 0 for count in counts):
        raise SandboxFault(faults.PICKUP_PACKAGES_INVALID, "A number of pieces may not be negative.")
    if sum(counts) < 1:
        raise SandboxFault(faults.PICKUP_PACKAGES_INVALID, "A pickup needs at least one piece.")
    if int(packages.get("TotalWeightOfPackagesLbs") or 0) < 1:
        raise SandboxFault(faults.PICKUP_PACKAGES_INVALID, "TotalWeightOfPackagesLbs must be at least 1.")
    if packages.get("PackageLocation") == "Other" and not str(packages.get("SpecialInstruction") or "").strip():
        raise SandboxFault(
            faults.PICKUP_PACKAGES_INVALID,
            "SpecialInstruction must say where the packages are when the location is Other.",
        )
    return {k: v for k, v in packages.items() if v is not None}


def _place_key(address: dict[str, Any]) -> tuple[str, ...]:
    return tuple(" ".join(str(address.get(n) or "").upper().split()) for n in ("Address", "Address2", "City", "ZIP"))


def _find(call: Call) -> SandboxPickup:
    number = str(call.request.get("ConfirmationNumber") or "").strip().upper()
    found = next((p for p in call.user.pickups if p.confirmation_number == number), None)
    if found is None:
        raise SandboxFault(faults.NO_SUCH_PICKUP)
    if found.cancelled:
        raise SandboxFault(faults.PICKUP_NOT_CHANGEABLE, f"Pickup {found.confirmation_number} is cancelled already.")
    if found.pickup_date <= today(call.state):
        raise SandboxFault(
            faults.PICKUP_NOT_CHANGEABLE,
            f"Pickup {found.confirmation_number} was for {found.pickup_date.isoformat()}: its day has come.",
        )
    return found


def _day_answer(day: date) -> dict[str, Any]:
    return {"PickupDate": day.isoformat(), "PickUpDayOfWeek": day.strftime("%A")}


# -- the operations --------------------------------------------------------------------------------
def check_carrier_pickup_availability(call: Call) -> dict[str, Any]:
    asked = _asked_day(call.request.get("Date"))
    if asked is not None and asked < today(call.state):
        raise SandboxFault(faults.PICKUP_DATE_PAST, f"The date {asked.isoformat()} is in the past.")
    _served(call.state, call.request["Address"])
    return _day_answer(pickup_day(call.state, asked)) | {"EstimatedAmount": _FREE}


def schedule_carrier_pickup(call: Call) -> dict[str, Any]:
    account, state, request = call.user, call.state, call.request
    address = {k: v for k, v in request["Address"].items() if v is not None}
    _served(state, address)
    packages = _checked_packages(request["PackageInformation"])
    day = pickup_day(state)
    for other in account.pickups:
        if not other.cancelled and other.pickup_date == day and _place_key(other.address) == _place_key(address):
            raise SandboxFault(
                faults.PICKUP_EXISTS,
                f"Pickup {other.confirmation_number} is booked at this address on {day.isoformat()}: "
                "modify it instead.",
            )
    pickup = SandboxPickup(
        confirmation_number=f"WTC{state.next_id('pickup', 10000000)}",
        pickup_date=day,
        contact={k: v for k, v in request["ContactInformation"].items() if v is not None},
        address=address,
        packages=packages,
        earliest=request.get("PickupTimeEarliest") or "",
        latest=request.get("PickupTimeLatest") or "",
        booked_at=state.clock.now(),
    )
    account.pickups.append(pickup)
    state.touch(account)
    answer = _day_answer(day) | {"ConfirmationNumber": pickup.confirmation_number}
    if pickup.earliest or pickup.latest:
        answer |= {"PickupTimeEarliest": pickup.earliest, "PickupTimeLatest": pickup.latest}
    return answer | {"EstimatedAmount": _FREE}


def modify_carrier_pickup(call: Call) -> dict[str, Any]:
    request = call.request
    contact, packages = request.get("ContactInformation"), request.get("PackageInformation")
    if not contact and not packages:
        raise SandboxFault(
            faults.PICKUP_PACKAGES_INVALID, "Give the ContactInformation or PackageInformation to change."
        )
    pickup = _find(call)
    if packages:
        pickup.packages = _checked_packages(packages)
    if contact:
        # The contact of a change has no Email: the booked one is kept.
        pickup.contact = {k: v for k, v in contact.items() if v is not None} | (
            {"Email": pickup.contact["Email"]} if pickup.contact.get("Email") else {}
        )
    pickup.state, pickup.changed_at = "Modified", call.state.clock.now()
    call.state.touch(call.user)
    return _day_answer(pickup.pickup_date) | {
        "ConfirmationNumber": pickup.confirmation_number,
        "PickupStatus": "Modified",
    }


def cancel_carrier_pickup(call: Call) -> dict[str, Any]:
    pickup = _find(call)
    pickup.state, pickup.changed_at = "Cancelled", call.state.clock.now()
    call.state.touch(call.user)
    return {"PickupStatus": "Cancelled"}


def get_carrier_pickup_list(call: Call) -> dict[str, Any]:
    first = today(call.state)
    booked = sorted(
        (p for p in call.user.pickups if not p.cancelled and p.pickup_date >= first),
        key=lambda p: (p.pickup_date, p.confirmation_number),
    )
    return {"Pickups": {"CarrierPickupInformation": [_listed(p) for p in booked]}}


def _listed(pickup: SandboxPickup) -> dict[str, Any]:
    address = dict(pickup.address)
    item: dict[str, Any] = {
        "ConfirmationNumber": pickup.confirmation_number,
        "Carrier": "USPS",
        "PickupDate": datetime.combine(pickup.pickup_date, time()),
        "PickUpDayOfWeek": pickup.pickup_date.strftime("%A"),
        "ContactInformation": pickup.contact,
        # CarrierPickupAddressV2: the V3 address's parts in V2's order (Address2/3 after ZIP4).
        "Address": {n: address[n] for n in ("Company", "Address", "City", "State", "ZIP", "ZIP4") if n in address}
        | {n: address[n] for n in ("Address2", "Address3") if n in address},
        "PackageInformation": pickup.packages,
    }
    if pickup.earliest or pickup.latest:
        item |= {"PickupTimeEarliest": pickup.earliest, "PickupTimeLatest": pickup.latest}
    return item | {"EstimatedAmount": _FREE, "PickupType": "Default"}


# -- control methods -------------------------------------------------------------------------------
class PickupControls:
    """The control methods of carrier pickups (a part of :class:`Sandbox`)."""

    state: SandboxState

    def set_pickup_service(self, zip_code: str, available: bool) -> None:
        """Give ``zip_code`` carrier pickup (``available=True``) or take it away (docs/sandbox.md lists the
        ZIP codes without it in a new sandbox). ValueError unless it is 5 digits."""
        code = str(zip_code).strip()
        if not (code.isdigit() and len(code) == 5):
            raise ValueError(f"a ZIP code is 5 digits, not {zip_code!r}")
        with self.state.lock:
            if available:
                self.state.no_pickup_zips.discard(code)
            else:
                self.state.no_pickup_zips.add(code)
            if self.state.store is not None:
                self.state.store.save(self.state, [])

    def pickup_zips_without_service(self) -> list[str]:
        """The ZIP codes where USPS has no carrier pickup in this sandbox, sorted."""
        with self.state.lock:
            return sorted(self.state.no_pickup_zips)

    def pickups(self, username: str) -> list[SandboxPickup]:
        """Copies of every pickup the account booked, oldest first (cancelled and past ones too)."""
        with self.state.lock:
            account = self.state.accounts.get(username.lower())
            if account is None:
                raise KeyError(f"no sandbox account {username!r}")
            return [p.model_copy(deep=True) for p in account.pickups]
