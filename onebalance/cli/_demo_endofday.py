"""The demo's last step: the end of a USPS day (a reprint, the day's shipment list, a SCAN form and a
carrier pickup), on the labels the earlier steps bought. Kept apart from ``_demo`` so that each
module stays one story."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import click

from onebalance.carriers import PackageLocation, PickupRequest, Shipping
from onebalance.shipments import Carrier, Label, LabelSpec, ShipmentRequest

from ._demo_steps import step

__all__ = ["end_of_day_steps"]


def end_of_day_steps(shipping: Shipping, shipment: ShipmentRequest, balance_of: Callable[[], Decimal]) -> None:
    """Step 16. ``shipment`` is the domestic one the demo shipped; ``balance_of()`` reads the One
    Balance (to show that a reprint and a SCAN form charge nothing)."""
    usps = shipping.usps
    step("16. The end of the day: a reprint, the day's USPS labels, a SCAN form and a carrier pickup")
    before = balance_of()
    todays = [label for label in shipping.labels(Carrier.USPS) if not label.voided]
    first = todays[0]
    thermal = LabelSpec(format="ZPL", size="4x6")
    again = usps.reprint(first, thermal)
    click.echo(
        f"  reprinted {again.tracking_number} for a thermal printer ({again.label_format}, "
        f"{len(again.label_image):,} bytes): no new charge"
    )
    records = list(usps.shipments(date.today()))
    click.echo(f"  today's USPS labels (GetShipmentList): {len(records)}")
    for record in records:
        cost = f"${record.cost.amount:,.2f}" if record.cost is not None else "-"
        click.echo(f"    {record.tracking_number}  {record.service_code or '-':<8} {record.status.value:<8} {cost}")
    form = usps.scan_form()  # every label of the day not voided and not on a form yet
    pdf = f"PDF {len(form.pdf):,} bytes" if form.pdf is not None else f"PDF at {form.url}"
    click.echo(f"  SCAN form {form.form_id} for {form.ship_date}: one barcode for the day's parcels ({pdf})")
    for left in form.left_out:
        click.echo(f"    left out {left.tracking_number}: {left.reason}")
    pickups = usps.pickups
    ship_from = shipment.shipper.model_copy(update={"name": "Ada Lovelace"})  # who the carrier asks for
    packages = pickups.packages_for(todays, total_weight_lb=_pounds(todays), location=PackageLocation.SIDE_DOOR)
    pickup = pickups.schedule(PickupRequest(address=ship_from, packages=packages))
    click.echo(
        f"  pickup {pickup.confirmation_number} booked for {pickup.day_of_week} {pickup.pickup_date}: "
        f"{packages.count} USPS piece(s), {packages.total_weight_lb} lb at the side door"
    )
    after = balance_of()
    click.echo(f"  One Balance: ${before:,.2f} -> ${after:,.2f} (the end of the day charges nothing)")


def _pounds(labels: list[Label]) -> int:
    """The demo's parcels weigh 2 lb each (the labels do not carry the parcels' weight)."""
    return 2 * len(labels)
