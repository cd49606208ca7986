"""USPS carrier pickups, in the SDK's words: where and when USPS comes for the parcels (:class:`PickupRequest`:
the address, who to ask for, :class:`PickupPackages`), what the service answered (:class:`Pickup`,
:class:`PickupAvailability`), and the day rule (:func:`pickup_today`). No wire spelling here: that is
:mod:`._mapping_pickups`'s."""

from __future__ import annotations

import enum
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from onebalance.core import publish as _publish
from onebalance.shipments import Address, CarrierModel, fail

__all__ = [
    "PackageLocation",
    "Pickup",
    "PickupAvailability",
    "PickupContact",
    "PickupPackages",
    "PickupRequest",
    "PickupStatus",
    "pickup_today",
]

#: The most pieces of one kind, and the heaviest total, a pickup takes (beyond: a freight pickup, not this).
MAX_PIECES = 999
MAX_TOTAL_WEIGHT_LB = 9999
INSTRUCTIONS_MAX = 75
NAME_MAX = 50
_PHONE = re.compile(r"\d{10}")
_EXTENSION = re.compile(r"\d{1,6}")
#: American Samoa (UTC-11) is the last US time zone to start a day: before its date, a day is past everywhere.
_LAST_US_OFFSET = timedelta(hours=-11)


def pickup_today(now: datetime | None = None) -> date:
    """Today for a pickup: the date in the last US time zone to start it (UTC-11). A day before it is past
    everywhere in the US, so refusing it never refuses a day that is still today somewhere there."""
    moment = now if now is not None else datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment.astimezone(timezone.utc) + _LAST_US_OFFSET).date()


class PackageLocation(str, enum.Enum):
    """Where the carrier finds the packages. ``OTHER`` needs the place in the pickup's ``instructions``."""

    FRONT_DOOR = "front_door"
    BACK_DOOR = "back_door"
    SIDE_DOOR = "side_door"
    KNOCK_ON_DOOR = "knock_on_door"  #: knock on the door or ring the bell
    MAIL_ROOM = "mail_room"
    OFFICE = "office"
    RECEPTION = "reception"
    MAILBOX = "mailbox"  #: in or at the mailbox
    OTHER = "other"


class PickupStatus(str, enum.Enum):
    """A pickup's state as the last call left it."""

    SCHEDULED = "scheduled"
    MODIFIED = "modified"
    CANCELLED = "cancelled"


def phone_digits(value: Any, field: str) -> str:
    """A US phone number as its 10 digits (punctuation and a leading +1 dropped)."""
    digits = re.sub(r"[\s().+-]", "", str(value or ""))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if not _PHONE.fullmatch(digits):
        fail(field, "must be a US phone number of 10 digits (the carrier calls it about the pickup)")
    return digits


class PickupContact(CarrierModel):
    """Who the carrier asks for. :meth:`from_address` takes it from the pickup address (its name and phone)."""

    first_name: str
    last_name: str
    phone: str
    phone_extension: str | None = None
    email: str | None = None

    @field_validator("first_name", "last_name", mode="before")
    @classmethod
    def _names(cls, value: Any, info: Any) -> str:
        text = " ".join(str(value or "").split())
        if not text:
            fail(str(info.field_name), "is required")
        if len(text) > NAME_MAX:
            fail(str(info.field_name), f"must be at most {NAME_MAX} characters")
        return text

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: Any) -> str:
        return phone_digits(value, "phone")

    @field_validator("phone_extension", mode="before")
    @classmethod
    def _extension(cls, value: Any) -> str | None:
        text = str(value or "").strip()
        if text and not _EXTENSION.fullmatch(text):
            fail("phone_extension", "must be 1 to 6 digits")
        return text or None

    @classmethod
    def from_address(cls, address: Address) -> PickupContact:
        """The address's person: its name as first and last name (the last word is the last name), its
        phone and email. :class:`ValidationError` (``address.name`` / ``address.phone``) when it has no
        last name or no US phone number."""
        words = address.name.split()
        if len(words) < 2:
            fail("address.name", "the carrier needs a first and a last name: give the contact, or a full name")
        if not address.phone:
            fail("address.phone", "the carrier needs a phone number: give the contact, or the address's phone")
        phone = phone_digits(address.phone, "address.phone")
        return cls(first_name=" ".join(words[:-1]), last_name=words[-1], phone=phone, email=address.email)


class PickupPackages(CarrierModel):
    """What the carrier picks up: the pieces by service (USPS plans the truck with them; ``ground_advantage``
    counts First-Class pieces too, the service it replaced), their total
    weight in whole pounds (round up), where they are, and instructions for the carrier (required when
    the location is ``OTHER``: say where). At least one piece."""

    priority_mail_express: int = 0
    priority_mail: int = 0
    ground_advantage: int = 0
    parcel_select: int = 0
    international: int = 0
    other: int = 0
    total_weight_lb: int
    location: PackageLocation = PackageLocation.FRONT_DOOR
    instructions: str | None = None

    @field_validator(
        "priority_mail_express",
        "priority_mail",
        "ground_advantage",
        "parcel_select",
        "international",
        "other",
        mode="before",
    )
    @classmethod
    def _count(cls, value: Any, info: Any) -> int:
        field = str(info.field_name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PIECES:
            fail(field, f"must be a whole number of pieces from 0 to {MAX_PIECES}")
        return value

    @field_validator("total_weight_lb", mode="before")
    @classmethod
    def _weight(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TOTAL_WEIGHT_LB:
            fail(
                "total_weight_lb", f"must be the total weight in whole pounds (rounded up), 1 to {MAX_TOTAL_WEIGHT_LB}"
            )
        return value

    @field_validator("instructions", mode="before")
    @classmethod
    def _instructions(cls, value: Any) -> str | None:
        text = " ".join(str(value or "").split())
        if len(text) > INSTRUCTIONS_MAX:
            fail("instructions", f"must be at most {INSTRUCTIONS_MAX} characters")
        return text or None

    @model_validator(mode="after")
    def _whole(self) -> PickupPackages:
        if self.count == 0:
            fail("packages", "a pickup is for at least one piece: give the count of each service's pieces")
        if self.location is PackageLocation.OTHER and not self.instructions:
            fail("instructions", "say where the packages are when the location is 'other'")
        return self

    @property
    def count(self) -> int:
        """Every piece, whatever its service."""
        return (
            self.priority_mail_express
            + self.priority_mail
            + self.ground_advantage
            + self.parcel_select
            + self.international
            + self.other
        )


class PickupRequest(CarrierModel):
    """A carrier pickup to book: at ``address`` (a US address with a 5-digit ZIP, usually the ship-from
    address), for ``packages``; ``contact`` defaults to the address's person (:meth:`PickupContact.from_address`)."""

    address: Address
    packages: PickupPackages
    contact: PickupContact | None = None

    @model_validator(mode="after")
    def _contact(self) -> PickupRequest:
        if not self.address.uses_zip_codes or not self.address.zip5:
            fail("address.country", "USPS picks up at US addresses with a ZIP code only")
        if self.contact is None:
            object.__setattr__(self, "contact", PickupContact.from_address(self.address))
        return self

    @property
    def who(self) -> PickupContact:
        """The contact (always set once the request is built)."""
        assert self.contact is not None
        return self.contact


class PickupAvailability(BaseModel):
    """When USPS can come to ``address``: the first pickup day on or after the day asked (``pickup_date``,
    ``day_of_week`` as the service names it) and what it would cost (``estimated_cost``; 0 for the free
    carrier pickup)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: Address
    pickup_date: date
    day_of_week: str
    estimated_cost: Decimal = Decimal("0.00")


class Pickup(BaseModel):
    """A carrier pickup as the service answered: its ``confirmation_number`` (what :meth:`modify` and
    :meth:`cancel` take), its ``status``, its day (None when the answer did not say: a cancellation),
    and, when known, where, who and what. ``earliest`` / ``latest``: the pickup window, when given."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    confirmation_number: str
    status: PickupStatus
    pickup_date: date | None = None
    day_of_week: str | None = None
    address: Address | None = None
    contact: PickupContact | None = None
    packages: PickupPackages | None = None
    earliest: str | None = None
    latest: str | None = None
    estimated_cost: Decimal | None = None


_publish(
    globals(),
    "onebalance",
    (
        "PackageLocation",
        "Pickup",
        "PickupAvailability",
        "PickupContact",
        "PickupPackages",
        "PickupRequest",
        "PickupStatus",
    ),
)  # re-exported by onebalance
