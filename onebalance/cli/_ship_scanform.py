"""``ship scan-form``: the USPS SCAN form of a day, its PDF written to a file.

Without ``--tracking``, the form covers every USPS label of the day not on a form yet; with it, the
labels named. A label named that cannot go on the form (already on one, voided, of another ship
date) is left out and listed with the reason. Exit codes as the other ship commands: 0 the form was
made (even with labels left out), 1 the service made none (no label left that day, every label
named refused) or its PDF could not be fetched (the form exists: its URL is printed), 2 refused
input (a bad date or tracking number; nothing sent), 4 configuration.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from ._common import EXIT_FAILED, EXIT_USAGE, _Context, _fail, merchant_id_argument
from ._ship_options import out, run, shipping_of


@click.command("scan-form")
@merchant_id_argument()
@click.option(
    "--date",
    "ship_date",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The ship date of the labels (YYYY-MM-DD). Default: today.",
)
@click.option(
    "--tracking",
    "tracking_numbers",
    multiple=True,
    help="A USPS label to put on the form, by its tracking number (repeat). Default: every label of the day.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the form's PDF. Default: scan-form-<FORM_ID>.pdf in the current directory.",
)
@click.pass_obj
def scan_form(
    ctx: _Context,
    merchant_id: str,
    ship_date: datetime | None,
    tracking_numbers: tuple[str, ...],
    out_file: Path | None,
) -> None:
    """Close a USPS day: one SCAN form (PS Form 5630) for the day's labels, for the carrier to scan
    once; its PDF is written to a file. A label on a form can be voided until USPS
    accepts it."""
    if out_file is not None and out_file.exists() and not out_file.is_file():
        _fail(EXIT_USAGE, f"--out {out_file} is not a file")
    shipping = shipping_of(ctx, merchant_id)
    usps = run(lambda: shipping.usps)
    day = ship_date.date() if ship_date is not None else None
    form = run(lambda: usps.scan_form(list(tracking_numbers) if tracking_numbers else None, ship_date=day))
    written: Path | None = None
    if form.pdf is not None:
        written = out_file if out_file is not None else Path(f"scan-form-{form.form_id}.pdf")
        try:
            written.write_bytes(form.pdf)
        except OSError as exc:
            _fail(EXIT_FAILED, f"SCAN form {form.form_id} was made, but {written} could not be written: {exc}")
    covered = (
        "every USPS label of the day not on a form yet" if form.whole_day else f"{len(form.tracking_numbers)} label(s)"
    )
    lines = [f"SCAN form {form.form_id} for {form.ship_date.isoformat()}: {covered}"]
    lines += [f"  {number}" for number in form.tracking_numbers]
    if form.left_out:
        lines.append(f"left out ({len(form.left_out)}):")
        lines += [f"  {item.tracking_number}: {item.reason} [code {item.code}]" for item in form.left_out]
    lines.append(f"PDF written to {written}" if written else f"the PDF could not be fetched: it is at {form.url}")
    data = {
        "form_id": form.form_id,
        "ship_date": form.ship_date.isoformat(),
        "whole_day": form.whole_day,
        "tracking_numbers": list(form.tracking_numbers),
        "left_out": [item.model_dump() for item in form.left_out],
        "url": form.url,
        "pdf_file": str(written) if written else None,
    }
    out(ctx, data, "\n".join(lines))
    if written is None:
        raise SystemExit(EXIT_FAILED)


__all__ = ["scan_form"]
