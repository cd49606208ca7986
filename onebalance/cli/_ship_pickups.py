"""``ship pickup``: USPS carrier pickups for one merchant: ``check`` when USPS can come, ``book`` one,
``change`` or ``cancel`` it by its confirmation number, ``list`` those booked.

The pickup address is the merchant's One Balance account address unless ``--street`` (with
``--city``, ``--state``, ``--zip``) gives another; its person (``--name``, two words: first and last)
and ``--phone`` are who the carrier asks for. A day before today, a ZIP without carrier pickup, a
cancelled pickup or one whose day has come are refused, each with its own message (exit 2 for input
refused before anything is sent, 1 for what the service refused).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click

from onebalance.carriers import (
    PackageLocation,
    Pickup,
    PickupContact,
    PickupPackages,
    PickupRequest,
    UspsPickups,
)
from onebalance.core import ValidationError
from onebalance.shipments import Address

from ._common import SupportGroup, _Context, merchant_id_argument
from ._ship_options import out, run, shipping_of

_COUNTS = (
    ("priority_express", "priority_mail_express", "Priority Mail Express pieces."),
    ("priority", "priority_mail", "Priority Mail pieces."),
    ("ground_advantage", "ground_advantage", "Ground Advantage (and First-Class) pieces."),
    ("parcel_select", "parcel_select", "Parcel Select pieces."),
    ("international", "international", "International pieces."),
    ("other", "other", "Other pieces."),
)
T = TypeVar("T")
_LOCATIONS = click.Choice([location.value for location in PackageLocation])


def _address_options(fn: Any) -> Any:
    options = [
        click.option("--name", help="The person the carrier asks for, first and last name (default: the account's)."),
        click.option("--company", help="The company at the address."),
        click.option(
            "--street", multiple=True, help="A street line (repeat for a second line); default: the account's address."
        ),
        click.option("--city"),
        click.option("--state", help="Two-letter state code."),
        click.option("--zip", "zip_code", help="ZIP or ZIP+4."),
        click.option("--phone", help="The 10-digit phone the carrier calls (default: the account's)."),
        click.option("--email", help="An email for the pickup's confirmation."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _package_options(fn: Any) -> Any:
    options = [
        click.option(f"--{flag.replace('_', '-')}", flag, type=click.IntRange(0, 999), help=text)
        for flag, _, text in _COUNTS
    ]
    options += [
        click.option(
            "--weight", "weight_lb", type=click.IntRange(1, 9999), help="The total weight, whole pounds (round up)."
        ),
        click.option(
            "--location",
            type=_LOCATIONS,
            help="Where the packages are (default front_door; other needs --instructions).",
        ),
        click.option("--instructions", help="For the carrier, at most 75 characters (where the packages are)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


#: The option a refused field was typed in, for the message (``on: ...`` reads ``--date: ...``).
_OPTION_OF = {
    "on": "--date",
    "total_weight_lb": "--weight",
    "instructions": "--instructions",
    "location": "--location",
    "packages": "--priority/--ground-advantage/... (the pieces)",
    "street_lines": "--street",
    "postal_code": "--zip",
    "state": "--state",
    "city": "--city",
    "address.name": "--name",
    "address.phone": "--phone",
    "phone": "--phone",
}


def _run(fn: Callable[[], T]) -> T:
    """``run``, with a refused field named by its option."""

    def named() -> T:
        try:
            return fn()
        except ValidationError as exc:
            option = _OPTION_OF.get(exc.field or "")
            if option is None or not exc.message.startswith(f"{exc.field}: "):
                raise
            exc.message = f"{option}: {exc.message.removeprefix(f'{exc.field}: ')}"
            exc.args = (exc.message,)
            raise

    return run(named)


def _pickups(ctx: _Context, merchant_id: str) -> UspsPickups:
    shipping = shipping_of(ctx, merchant_id)
    return run(lambda: shipping.usps.pickups)


def _address(pickups: UspsPickups, values: dict[str, Any], *, booking: bool) -> Address:
    """The address the options give, or the account's (with --name, --phone, --email over it)."""
    if values["street"]:
        if booking and not (values["name"] and values["phone"]):
            raise ValidationError(
                "--name: with --street, give the --name and --phone the carrier asks for", field="name"
            )
        return Address(
            name=values["name"] or "Pickup",
            company=values["company"],
            street_lines=list(values["street"]),
            city=values["city"] or "",
            state=values["state"],
            postal_code=values["zip_code"],
            phone=values["phone"],
            email=values["email"],
        )
    if any(values[k] for k in ("city", "state", "zip_code")):
        raise ValidationError(
            "--street: give the street with --city, --state and --zip (or none of them)", field="street"
        )
    account = pickups.account_address()
    update = {k: values[k] for k in ("name", "company", "phone", "email") if values[k]}
    return Address.model_validate(account.model_dump() | update) if update else account


def _packages(values: dict[str, Any], *, required: bool) -> PickupPackages | None:
    given = {field: values[flag] for flag, field, _ in _COUNTS if values[flag] is not None}
    extra = {k: values[k] for k in ("weight_lb", "location", "instructions") if values[k] is not None}
    if not given and not extra and not required:
        return None
    if values["weight_lb"] is None:
        raise ValidationError("--weight: the total weight in whole pounds is required", field="total_weight_lb")
    return PickupPackages(
        **given,
        total_weight_lb=values["weight_lb"],
        location=PackageLocation(values["location"] or "front_door"),
        instructions=values["instructions"],
    )


def _pickup_json(pickup: Pickup) -> dict[str, Any]:
    data = pickup.model_dump(mode="json")
    if pickup.packages is not None:
        data["pieces"] = pickup.packages.count
    return data


def _line(pickup: Pickup) -> str:
    day = f"{pickup.day_of_week or ''} {pickup.pickup_date.isoformat()}".strip() if pickup.pickup_date else "-"
    what = ""
    if pickup.packages is not None:
        packages = pickup.packages
        what = f"  {packages.count} piece(s), {packages.total_weight_lb} lb, {packages.location.value}"
    where = f"  at {pickup.address}" if pickup.address is not None else ""
    return f"{pickup.confirmation_number}  {pickup.status.value:<9} {day}{what}{where}"


@click.group("pickup", cls=SupportGroup)
def pickup() -> None:
    """USPS carrier pickups: check when USPS can come, book, change, cancel and list them."""


@pickup.command("check")
@merchant_id_argument()
@_address_options
@click.option(
    "--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="From this day (YYYY-MM-DD; default: the next pickup day)."
)
@click.pass_obj
def check(ctx: _Context, /, merchant_id: str, day: datetime | None, **values: Any) -> None:
    """When USPS can pick up at the address (the account's unless --street is given), and what it costs."""
    pickups = _pickups(ctx, merchant_id)
    found = _run(lambda: pickups.available(_address(pickups, values, booking=False), day.date() if day else None))
    cost = "free" if found.estimated_cost == 0 else f"${found.estimated_cost:,.2f}"
    out(
        ctx,
        found.model_dump(mode="json"),
        f"USPS can pick up at {found.address} on {found.day_of_week} {found.pickup_date.isoformat()} ({cost})",
    )


@pickup.command("book")
@merchant_id_argument()
@_address_options
@_package_options
@click.pass_obj
def book(ctx: _Context, /, merchant_id: str, **values: Any) -> None:
    """Book a pickup for the next pickup day: the pieces by service, their total --weight, where they are."""
    pickups = _pickups(ctx, merchant_id)

    def booked() -> Pickup:
        packages = _packages(values, required=True)
        assert packages is not None
        return pickups.schedule(PickupRequest(address=_address(pickups, values, booking=True), packages=packages))

    found = _run(booked)
    out(
        ctx,
        _pickup_json(found),
        f"pickup {found.confirmation_number} booked for {found.day_of_week} {found.pickup_date} at {found.address} "
        f"(keep the confirmation number to change or cancel it)",
    )


@pickup.command("change")
@merchant_id_argument()
@click.argument("confirmation_number")
@_package_options
@click.option("--name", help="The new contact, first and last name (with --phone).")
@click.option("--phone", help="The new contact's 10-digit phone (with --name).")
@click.pass_obj
def change(ctx: _Context, /, merchant_id: str, confirmation_number: str, name: str | None, phone: str | None,
           **values: Any) -> None:  # fmt: skip
    """Change a booked pickup: its packages (give them all again: the counts and --weight) and/or its contact."""
    pickups = _pickups(ctx, merchant_id)

    def changed() -> Pickup:
        contact = None
        if name or phone:
            words = (name or "").split()
            if len(words) < 2 or not phone:
                raise ValidationError(
                    "--name: give the new contact's first and last name, and --phone", field="contact"
                )
            contact = PickupContact(first_name=" ".join(words[:-1]), last_name=words[-1], phone=phone)
        return pickups.modify(confirmation_number, packages=_packages(values, required=False), contact=contact)

    found = _run(changed)
    out(
        ctx, _pickup_json(found), f"pickup {found.confirmation_number} changed: {found.day_of_week} {found.pickup_date}"
    )


@pickup.command("cancel")
@merchant_id_argument()
@click.argument("confirmation_number")
@click.pass_obj
def cancel(ctx: _Context, merchant_id: str, confirmation_number: str) -> None:
    """Cancel a booked pickup (not once its day has come)."""
    pickups = _pickups(ctx, merchant_id)
    found = _run(lambda: pickups.cancel(confirmation_number))
    out(ctx, _pickup_json(found), f"pickup {found.confirmation_number} cancelled")


@pickup.command("list")
@merchant_id_argument()
@click.pass_obj
def list_(ctx: _Context, merchant_id: str) -> None:
    """The pickups booked and not cancelled, soonest first."""
    pickups = _pickups(ctx, merchant_id)
    found = _run(pickups.list)
    out(ctx, [_pickup_json(p) for p in found], "\n".join(_line(p) for p in found) or "no pickups booked")


__all__ = ["pickup"]
