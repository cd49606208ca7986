"""``ship list`` and ``ship reprint``: the USPS labels a merchant printed (GetShipmentList), and one of
them printed again (ReprintIndicium), at the end of the day.

``list`` prints a line per label; ``--json`` one JSON array of records (like every ``--json`` of the
CLI, a single document: ``jq '.[]'`` walks it), ``--csv`` a header and a row per label, written as the
pages arrive. ``reprint`` writes the image to ``--out`` and charges nothing; a label the label journal
knows was voided is refused before anything is sent (exit 2), as is a label of another carrier.
"""

from __future__ import annotations

import csv
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import click

from onebalance.shipments import Carrier, LabelSpec, ShipmentRecord, ShipmentStatus
from onebalance.stores import JournalEntry

from ._common import EXIT_FAILED, EXIT_USAGE, _Context, _fail, merchant_id_argument
from ._ship_options import FORMAT_CHOICE, SIZE_CHOICE, dollars, label_json, out, run, shipping_of

__all__ = ["reprint", "shipment_list"]

STATUS_CHOICE = click.Choice([s.value for s in ShipmentStatus], case_sensitive=False)
CSV_COLUMNS = (
    "tracking_number",
    "label_id",
    "service",
    "status",
    "refund_status",
    "printed_at",
    "ship_date",
    "delivered_at",
    "cost",
    "currency",
    "recipient_name",
    "recipient_city",
    "recipient_state",
    "recipient_postal_code",
    "recipient_country",
)


def record_json(record: ShipmentRecord) -> dict[str, Any]:
    """One record as ``--json`` and ``--csv`` show it (flat: the recipient's parts in columns)."""
    to = record.recipient
    return {
        "tracking_number": record.tracking_number,
        "label_id": record.carrier_reference,
        "service": record.service_code,
        "status": record.status.value,
        "refund_status": record.refund_status.value,
        "printed_at": record.printed_at.isoformat(),
        "ship_date": record.ship_date.isoformat() if record.ship_date else None,
        "delivered_at": record.delivered_at.isoformat() if record.delivered_at else None,
        "cost": str(record.cost.amount) if record.cost else None,
        "currency": record.cost.currency if record.cost else None,
        "recipient_name": to.name if to else None,
        "recipient_city": to.city if to else None,
        "recipient_state": to.state if to else None,
        "recipient_postal_code": to.postal_code if to else None,
        "recipient_country": to.country if to else None,
    }


def _line(record: ShipmentRecord) -> str:
    cost = dollars(record.cost.amount) if record.cost else "-"
    to = record.recipient
    where = f"{to.name}, {to.city} {to.state or ''}".strip() if to else "-"
    return (
        f"{record.printed_at:%Y-%m-%d %H:%M}  {record.tracking_number or '-':<24} {record.service_code or '-':<7}"
        f" {record.status.value:<16} {cost:>9}  {where}"
    )


@click.command("list")
@merchant_id_argument()
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First print date (default: today, UTC).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last print date (default: up to now).")
@click.option(
    "--status", "statuses", type=STATUS_CHOICE, multiple=True, help="Only labels in this status (repeatable)."
)
@click.option("--tracking", "tracking", help="Only the label with this tracking number.")
@click.option("--page-size", type=click.IntRange(1, 500), default=100, show_default=True, help="Labels per page.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout: a header, then a row per label.")
@click.pass_obj
def shipment_list(
    ctx: _Context,
    merchant_id: str,
    start: datetime | None,
    end: datetime | None,
    statuses: tuple[str, ...],
    tracking: str | None,
    page_size: int,
    as_csv: bool,
) -> None:
    """The merchant's USPS labels printed from --from to --to, newest first: tracking number, service,
    status (printed, in_transit, delivered, voided, refunded...), cost and recipient."""
    if as_csv and ctx.as_json:
        _fail(EXIT_USAGE, "give --json or --csv, not both")
    first = start.date() if start else datetime.now(timezone.utc).date()
    last: date | None = end.date() if end else None
    usps = run(lambda: shipping_of(ctx, merchant_id).usps)
    found = run(
        lambda: usps.shipments(first, last, status=statuses or None, tracking_number=tracking, page_size=page_size)
    )
    records: list[ShipmentRecord] = []
    writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n") if as_csv else None
    if writer is not None:
        writer.writeheader()
    pages = iter(found)
    while (record := run(lambda: next(pages, None))) is not None:  # a later page fetched here fails as any call
        if writer is not None:
            writer.writerow(record_json(record))
        records.append(record)
    if writer is not None:
        return
    span = f"{first.isoformat()} to {last.isoformat() if last else 'now'}"
    lines = [_line(r) for r in records] + [f"{len(records)} USPS label(s) printed {span}"]
    out(ctx, [record_json(r) for r in records], "\n".join(lines))


def _journal_entry(ctx: _Context, merchant_id: str, number: str) -> JournalEntry | None:
    """The label journal's USPS purchase of ``number`` (None without a journal or when not in it); a
    UPS or FedEx label there is refused (exit 2): reprints are USPS's."""
    if not ctx.keeps_records:
        return None
    journal = ctx.accounts().labels
    for carrier in (Carrier.USPS, Carrier.UPS, Carrier.FEDEX):
        entry: JournalEntry | None = run(lambda c=carrier: journal.find(merchant_id, c, number))  # type: ignore[misc]
        if entry is not None and carrier is not Carrier.USPS:
            _fail(EXIT_USAGE, f"{number} is a {carrier.display_name} label: only USPS labels are reprinted here")
        if entry is not None:
            return entry
    return None


@click.command("reprint")
@merchant_id_argument()
@click.argument("tracking_number")
@click.option("--format", "label_format", type=FORMAT_CHOICE, help="Print it as (default: as it was bought).")
@click.option("--size", "label_size", type=SIZE_CHOICE, help="On a 4x6 label or a letter sheet (default: as bought).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), help="Write it here.")
@click.pass_obj
def reprint(
    ctx: _Context,
    merchant_id: str,
    tracking_number: str,
    label_format: str | None,
    label_size: str | None,
    out_path: Path | None,
) -> None:
    """Print a USPS label again (a printer jammed, a label was lost) without a new charge, by its
    TRACKING_NUMBER or label id; writes the image to --out (default: TRACKING_NUMBER.<format>)."""
    shipping = shipping_of(ctx, merchant_id)
    usps = run(lambda: shipping.usps)
    entry = _journal_entry(ctx, merchant_id, tracking_number)
    if entry is not None and entry.voided_at is not None:
        _fail(
            EXIT_USAGE,
            f"{tracking_number} was voided on {entry.voided_at:%Y-%m-%d}: a voided label cannot be printed again "
            "(nothing was sent)",
        )
    label = entry.label if entry is not None else None
    spec = LabelSpec(format=label_format, size=label_size) if label_format or label_size else None
    if label is not None and spec is not None:
        spec = spec.over(LabelSpec(format=label.label_format, size=label.label_size))
    printed = run(lambda: usps.reprint(label if label is not None else tracking_number, spec))
    target = out_path or Path(f"{printed.tracking_number or tracking_number}.{printed.label_format.lower()}")
    try:
        target.write_bytes(printed.label_image)
    except OSError as exc:
        _fail(
            EXIT_FAILED,
            f"printed again, but the label could not be written to {target}: {exc.strerror}; reprint again "
            "(it is free)",
        )
    kind = f"{printed.label_format} {printed.label_size}" if printed.label_size else printed.label_format
    data = label_json(printed) | {"label_file": str(target), "charged": "0.00"}
    lines = [
        f"USPS {printed.service_code} label printed again: nothing was charged",
        f"tracking number   {printed.tracking_number or '-'}",
        f"label id          {printed.carrier_reference or '-'}",
        f"label written to  {target} ({kind}, {len(printed.label_image)} bytes)",
    ]
    out(ctx, data, "\n".join(lines))
