"""USPS carrier pickups through SWSIM (CheckCarrierPickupAvailability, ScheduleCarrierPickup,
ModifyCarrierPickup, CancelCarrierPickup, GetCarrierPickupList): the pickup models to request dicts and
the answers back. No I/O; the wire spellings of pickups live here only.

The five operations are the same on v111 and v135 (only the ``Carrier`` enumeration grew, which the
SDK leaves at its default, USPS). ScheduleCarrierPickup takes no day: the service books the next pickup
day and says which (``PickupDate``, a string: read as ISO ``2026-12-08`` or US ``12/08/2026``);
only the availability check takes a ``Date``. Ground Advantage pieces go as ``NumberOfFirstClassPieces``
(the First-Class Package Service it replaced).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from onebalance.core import OneBalanceError, ProtocolError
from onebalance.shipments import Address, Carrier, Label

from ._pickup_models import (
    PackageLocation,
    Pickup,
    PickupAvailability,
    PickupContact,
    PickupPackages,
    PickupRequest,
    PickupStatus,
)

__all__ = [
    "CANCEL",
    "CHECK",
    "LIST",
    "MODIFY",
    "SCHEDULE",
    "availability_request",
    "cancel_request",
    "modify_request",
    "parse_availability",
    "parse_cancel",
    "parse_list",
    "parse_modify",
    "parse_schedule",
    "schedule_request",
]

CHECK = "CheckCarrierPickupAvailability"
SCHEDULE = "ScheduleCarrierPickup"
MODIFY = "ModifyCarrierPickup"
CANCEL = "CancelCarrierPickup"
LIST = "GetCarrierPickupList"

#: CarrierPickupLocationV1, by location.
LOCATIONS: dict[PackageLocation, str] = {
    PackageLocation.FRONT_DOOR: "FrontDoor",
    PackageLocation.BACK_DOOR: "BackDoor",
    PackageLocation.SIDE_DOOR: "SideDoor",
    PackageLocation.KNOCK_ON_DOOR: "KnockOnDoorOrRingBell",
    PackageLocation.MAIL_ROOM: "MailRoom",
    PackageLocation.OFFICE: "Office",
    PackageLocation.RECEPTION: "Reception",
    PackageLocation.MAILBOX: "InOrAtMailbox",
    PackageLocation.OTHER: "Other",
}
_LOCATION_OF = {wire: location for location, wire in LOCATIONS.items()}
#: CarrierPickupPackageInformation's counts, by PickupPackages field.
COUNTS: dict[str, str] = {
    "priority_mail_express": "NumberOfExpressMailPieces",
    "priority_mail": "NumberOfPriorityMailPieces",
    "international": "NumberOfInternationalPieces",
    "ground_advantage": "NumberOfFirstClassPieces",
    "parcel_select": "NumberOfParcelSelectPieces",
    "other": "NumberOfOtherPieces",
}


#: The PickupPackages count a USPS label's service goes in (any other service: ``other``).
PIECES_BY_SERVICE: dict[str, str] = {
    "US-XM": "priority_mail_express",
    "US-PM": "priority_mail",
    "US-GA": "ground_advantage",
    "US-FC": "ground_advantage",
    "US-PS": "parcel_select",
    "US-EMI": "international",
    "US-PMI": "international",
    "US-FCI": "international",
}


def pieces_of(labels: Iterable[Label]) -> dict[str, int]:
    """The PickupPackages counts of ``labels``: each USPS label not voided is one piece of its service
    (labels of other carriers, and voided ones, are not USPS's to pick up)."""
    counts: dict[str, int] = {}
    for label in labels:
        if label.carrier is Carrier.USPS and not label.voided:
            field = PIECES_BY_SERVICE.get(label.service_code, "other")
            counts[field] = counts.get(field, 0) + 1
    return counts


# -- requests ----------------------------------------------------------------------------------------
def _place(address: Address) -> dict[str, Any]:
    """The parts every pickup address shares: company, first street line, city, state, ZIP."""
    wire: dict[str, Any] = {}
    if address.company:
        wire["Company"] = address.company
    wire["Address"] = address.street_lines[0]
    return wire


def _zip(address: Address) -> dict[str, Any]:
    wire: dict[str, Any] = {"City": address.city, "State": address.state, "ZIP": address.zip5}
    if address.zip4:
        wire["ZIP4"] = address.zip4
    return wire


def availability_request(address: Address, day: date | None) -> dict[str, Any]:
    """CheckCarrierPickupAvailability for ``address`` (a CarrierPickupAddress: the second street line is
    its SuiteOrApt), from ``day`` when given."""
    wire = _place(address)
    if len(address.street_lines) > 1:
        wire["SuiteOrApt"] = address.street_lines[1]
    request: dict[str, Any] = {"Date": day.isoformat()} if day is not None else {}
    request["Address"] = wire | _zip(address)
    return request


def _contact(contact: PickupContact, *, email: bool) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "FirstName": contact.first_name,
        "LastName": contact.last_name,
        "PhoneNumber": contact.phone,
    }
    if contact.phone_extension:
        wire["PhoneExt"] = contact.phone_extension
    if email and contact.email:
        wire["Email"] = contact.email
    return wire


def _packages(packages: PickupPackages) -> dict[str, Any]:
    wire: dict[str, Any] = {name: getattr(packages, field) for field, name in COUNTS.items()}
    wire["TotalWeightOfPackagesLbs"] = packages.total_weight_lb
    wire["PackageLocation"] = LOCATIONS[packages.location]
    if packages.instructions:
        wire["SpecialInstruction"] = packages.instructions
    return wire


def schedule_request(request: PickupRequest) -> dict[str, Any]:
    """ScheduleCarrierPickup for ``request`` (a CarrierPickupAddressV3: street lines 2 and 3 as Address2/3)."""
    address = request.address
    wire = _place(address) | _zip(address)
    for index, line in enumerate(address.street_lines[1:], start=2):
        wire[f"Address{index}"] = line
    return {
        "ContactInformation": _contact(request.who, email=True),
        "Address": wire,
        "PackageInformation": _packages(request.packages),
    }


def modify_request(
    confirmation_number: str, packages: PickupPackages | None, contact: PickupContact | None
) -> dict[str, Any]:
    """ModifyCarrierPickup: the new packages and/or contact (v1 contact: no email) of the pickup."""
    request: dict[str, Any] = {}
    if contact is not None:
        request["ContactInformation"] = _contact(contact, email=False)
    if packages is not None:
        request["PackageInformation"] = _packages(packages)
    request["ConfirmationNumber"] = confirmation_number
    return request


def cancel_request(confirmation_number: str) -> dict[str, Any]:
    return {"ConfirmationNumber": confirmation_number}


# -- answers -----------------------------------------------------------------------------------------
def pickup_day(value: Any) -> date | None:
    """A PickupDate: ISO (``2026-12-08``, or a date-time), or US (``12/08/2026``); None when unreadable."""
    if isinstance(value, datetime):
        return value.date() if value.year > 1 else None
    text = str(value or "").strip()
    found: date | None = None
    try:
        found = date.fromisoformat(text[:10])
    except ValueError:
        try:
            found = datetime.strptime(text.split(" ")[0], "%m/%d/%Y").date()
        except ValueError:
            return None
    return found if found.year > 1 else None


def _money(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None and str(value).strip() else None
    except InvalidOperation:
        return None


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def parse_availability(response: Mapping[str, Any], address: Address) -> PickupAvailability:
    """CheckCarrierPickupAvailability's answer: the first pickup day and its estimated cost."""
    day = pickup_day(response.get("PickupDate"))
    if day is None:
        raise ProtocolError("The service's pickup availability had no readable PickupDate", operation=CHECK)
    return PickupAvailability(
        address=address,
        pickup_date=day,
        day_of_week=_text(response.get("PickUpDayOfWeek")) or day.strftime("%A"),
        estimated_cost=_money(response.get("EstimatedAmount")) or Decimal("0.00"),
    )


def parse_schedule(response: Mapping[str, Any], request: PickupRequest) -> Pickup:
    """ScheduleCarrierPickup's answer, with what was booked."""
    day = pickup_day(response.get("PickupDate"))
    return Pickup(
        confirmation_number=str(response.get("ConfirmationNumber") or ""),
        status=PickupStatus.SCHEDULED,
        pickup_date=day,
        day_of_week=_text(response.get("PickUpDayOfWeek")),
        address=request.address,
        contact=request.who,
        packages=request.packages,
        earliest=_text(response.get("PickupTimeEarliest")),
        latest=_text(response.get("PickupTimeLatest")),
        estimated_cost=_money(response.get("EstimatedAmount")),
    )


def parse_modify(
    response: Mapping[str, Any],
    confirmation_number: str,
    packages: PickupPackages | None,
    contact: PickupContact | None,
) -> Pickup:
    """ModifyCarrierPickup's answer (the service may give the pickup a new confirmation number)."""
    return Pickup(
        confirmation_number=str(response.get("ConfirmationNumber") or confirmation_number),
        status=PickupStatus.MODIFIED,
        pickup_date=pickup_day(response.get("PickupDate")),
        day_of_week=_text(response.get("PickUpDayOfWeek")),
        contact=contact,
        packages=packages,
    )


def parse_cancel(confirmation_number: str) -> Pickup:
    """CancelCarrierPickup answered (its PickupStatus is free text): the pickup is cancelled."""
    return Pickup(confirmation_number=confirmation_number, status=PickupStatus.CANCELLED)


def parse_list(response: Mapping[str, Any]) -> list[Pickup]:
    """GetCarrierPickupList: the account's USPS pickups booked and not cancelled, by day."""
    pickups = [
        _listed(item)
        for item in (response.get("Pickups") or {}).get("CarrierPickupInformation", [])
        if item and item.get("Carrier", "USPS") == "USPS"
    ]
    return sorted(pickups, key=lambda p: (p.pickup_date or date.max, p.confirmation_number))


def _listed(item: Mapping[str, Any]) -> Pickup:
    contact = _read(lambda: _contact_from(item.get("ContactInformation") or {}))
    return Pickup(
        confirmation_number=str(item.get("ConfirmationNumber") or ""),
        status=PickupStatus.SCHEDULED,
        pickup_date=pickup_day(item.get("PickupDate")),
        day_of_week=_text(item.get("PickUpDayOfWeek")),
        address=_read(lambda: _address_from(item.get("Address") or {}, contact)),
        contact=contact,
        packages=_read(lambda: _packages_from(item.get("PackageInformation") or {})),
        earliest=_text(item.get("PickupTimeEarliest")),
        latest=_text(item.get("PickupTimeLatest")),
        estimated_cost=_money(item.get("EstimatedAmount")),
    )


T = TypeVar("T")


def _read(build: Callable[[], T]) -> T | None:
    """What ``build`` makes of the service's words, or None when the models cannot hold them."""
    try:
        return build()
    except OneBalanceError:
        return None


def _contact_from(wire: Mapping[str, Any]) -> PickupContact:
    return PickupContact(
        first_name=wire.get("FirstName"),
        last_name=wire.get("LastName"),
        phone=wire.get("PhoneNumber"),
        phone_extension=wire.get("PhoneExt") or None,
        email=wire.get("Email") or None,
    )


def _address_from(wire: Mapping[str, Any], contact: PickupContact | None) -> Address:
    lines = [wire.get(n) for n in ("Address", "SuiteOrApt", "Address2", "Address3")]
    zip_code = str(wire.get("ZIP") or "") + (f"-{wire['ZIP4']}" if wire.get("ZIP4") else "")
    return Address(
        name=f"{contact.first_name} {contact.last_name}" if contact else (wire.get("Company") or "Pickup"),
        company=wire.get("Company") or None,
        street_lines=[line for line in lines if line],
        city=wire.get("City"),
        state=wire.get("State"),
        postal_code=zip_code,
        phone=contact.phone if contact else None,
        email=contact.email if contact else None,
    )


def _packages_from(wire: Mapping[str, Any]) -> PickupPackages:
    counts = {field: int(wire.get(name) or 0) for field, name in COUNTS.items()}
    return PickupPackages(
        **counts,
        total_weight_lb=int(wire.get("TotalWeightOfPackagesLbs") or 0),
        location=_LOCATION_OF.get(str(wire.get("PackageLocation")), PackageLocation.OTHER),
        instructions=wire.get("SpecialInstruction") or None,
    )
