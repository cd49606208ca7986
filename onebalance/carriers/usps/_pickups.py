"""``UspsShipping.pickups``: USPS carrier pickups for one merchant (check, book, change, cancel, list).

The rules before anything is sent: the address is a US one with a ZIP code, a day asked for is not
before today (:class:`PickupDateInPast`), a confirmation number is given, a change changes something.
What the service refuses comes back typed: :class:`PickupUnavailable` (no pickup at the address),
:class:`PickupNotFound`, :class:`PickupRefused` (cancelled already, its day has come, one booked there
that day already). Availability and the list are reads, retried like any read; booking, changing and
cancelling are sent once: after an error on the way back, :meth:`UspsPickups.list` says whether it was
booked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date, datetime

from onebalance.core import PickupDateInPast, ValidationError
from onebalance.core import publish as _publish
from onebalance.shipments import Address, Label

from . import _mapping_pickups as _mapping
from ._pickup_models import (
    PackageLocation,
    Pickup,
    PickupAvailability,
    PickupContact,
    PickupPackages,
    PickupRequest,
    pickup_today,
)
from ._proxy import UspsProxy

logger = logging.getLogger("onebalance")

__all__ = ["UspsPickups"]

_CONFIRMATION = re.compile(r"[A-Za-z0-9-]{1,64}")


def confirmation(number: str) -> str:
    """A confirmation number as sent: spaces dropped; :class:`ValidationError` when there is none."""
    text = re.sub(r"\s", "", number or "") if isinstance(number, str) else ""
    if not _CONFIRMATION.fullmatch(text):
        raise ValidationError(
            "confirmation_number: is required (the pickup's confirmation number: letters, digits and dashes)",
            field="confirmation_number",
        )
    return text


class UspsPickups:
    """USPS carrier pickups of one merchant (``usps.pickups``, ``shipping.usps.pickups``)::

    availability = usps.pickups.available(ship_from)
    pickup = usps.pickups.schedule(
        PickupRequest(address=ship_from, packages=PickupPackages(priority_mail=3, total_weight_lb=12))
    )
    usps.pickups.cancel(pickup.confirmation_number)
    """

    def __init__(self, proxy: UspsProxy) -> None:
        self.proxy = proxy

    def __repr__(self) -> str:
        return f"UspsPickups(merchant_id={self.proxy.settings.merchant_id!r})"

    def packages_for(
        self,
        labels: Iterable[Label],
        *,
        total_weight_lb: int,
        location: PackageLocation | str = PackageLocation.FRONT_DOOR,
        instructions: str | None = None,
    ) -> PickupPackages:
        """The :class:`PickupPackages` for the parcels of ``labels`` (the day's, say): one piece per USPS label
        not voided, counted by its service (other carriers' labels are left out); the labels do not know
        the parcels' weight, so ``total_weight_lb`` is the caller's (whole pounds, rounded up).
        :class:`ValidationError` (``packages``) when no USPS label is left to pick up."""
        return PickupPackages(
            **_mapping.pieces_of(labels),
            total_weight_lb=total_weight_lb,
            location=PackageLocation(location),
            instructions=instructions,
        )

    def account_address(self) -> Address:
        """The One Balance account's own address (GetAccountInfo's), the usual place for a pickup.
        :class:`ValidationError` (``address``) when the account's address is not a full US one."""
        kept = self.proxy.account().address
        try:
            return Address(
                name=kept.name or kept.company or "",
                company=kept.company or None,
                street_lines=list(kept.street_lines),
                city=kept.city or "",
                state=kept.state,
                postal_code=f"{kept.postal_code}-{kept.zip4}" if kept.postal_code and kept.zip4 else kept.postal_code,
                country=kept.country or "US",
                phone=kept.phone or None,
                email=kept.email or None,
            )
        except ValidationError as exc:
            raise ValidationError(
                f"address: the account's address cannot be used for a pickup ({exc.message}): give the address",
                field="address",
            ) from None

    def available(self, address: Address, on: date | None = None) -> PickupAvailability:
        """The first day USPS can pick up at ``address``, from ``on`` (default: the next pickup day).

        :class:`PickupDateInPast` for a day before today, before anything is sent;
        :class:`PickupUnavailable` when USPS has no pickup at the address.
        """
        if not isinstance(address, Address):
            raise ValidationError("address: must be a carriers.Address", field="address")
        if not address.uses_zip_codes or not address.zip5:
            raise ValidationError(
                "address.country: USPS picks up at US addresses with a ZIP code only", field="address"
            )
        day = on.date() if isinstance(on, datetime) else on
        if day is not None and not isinstance(day, date):
            raise ValidationError("on: must be a date", field="on")
        today = pickup_today()
        if day is not None and day < today:
            raise PickupDateInPast(
                f"on: {day.isoformat()} is before today ({today.isoformat()}): ask for today or a later day", field="on"
            )
        response = self.proxy.call(_mapping.CHECK, _mapping.availability_request(address, day))
        return _mapping.parse_availability(response, address)

    def schedule(self, request: PickupRequest) -> Pickup:
        """Book a pickup: USPS comes on the next pickup day (the service says which: ``pickup_date``).

        :class:`PickupUnavailable` when USPS has no pickup at the address, :class:`PickupRefused` when a
        pickup is booked there for that day already (change that one instead).
        """
        if not isinstance(request, PickupRequest):
            raise ValidationError("request: must be a PickupRequest", field="request")
        response = self.proxy.call(_mapping.SCHEDULE, _mapping.schedule_request(request))
        pickup = _mapping.parse_schedule(response, request)
        logger.info(
            "event=usps_pickup_scheduled merchant=%s confirmation=%s day=%s pieces=%d",
            self.proxy.settings.merchant_id,
            pickup.confirmation_number,
            pickup.pickup_date,
            request.packages.count,
        )
        return pickup

    def modify(
        self,
        confirmation_number: str,
        *,
        packages: PickupPackages | None = None,
        contact: PickupContact | None = None,
    ) -> Pickup:
        """Change a booked pickup's packages (all of them: counts, weight, location, instructions) and/or
        its contact. :class:`PickupNotFound`, or :class:`PickupRefused` (cancelled, or its day has come)."""
        number = confirmation(confirmation_number)
        if packages is None and contact is None:
            raise ValidationError(
                "packages: give the new packages or the new contact (nothing to change)", field="packages"
            )
        response = self.proxy.call(_mapping.MODIFY, _mapping.modify_request(number, packages, contact))
        pickup = _mapping.parse_modify(response, number, packages, contact)
        logger.info("event=usps_pickup_modified merchant=%s confirmation=%s", self.proxy.settings.merchant_id, number)
        return pickup

    def cancel(self, confirmation_number: str) -> Pickup:
        """Cancel a booked pickup. :class:`PickupNotFound`, or :class:`PickupRefused` (cancelled already, or
        its day has come)."""
        number = confirmation(confirmation_number)
        self.proxy.call(_mapping.CANCEL, _mapping.cancel_request(number))
        logger.info("event=usps_pickup_cancelled merchant=%s confirmation=%s", self.proxy.settings.merchant_id, number)
        return _mapping.parse_cancel(number)

    def list(self) -> list[Pickup]:
        """The merchant's USPS pickups booked and not cancelled, soonest first."""
        return _mapping.parse_list(self.proxy.call(_mapping.LIST, {}))


_publish(globals(), "onebalance", ("UspsPickups",))  # re-exported by onebalance
