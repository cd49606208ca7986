"""``ship pending`` and ``ship settle``: the label purchases whose outcome is unknown (a UPS or FedEx
purchase cut off before its answer), listed, and a key freed once support has found no shipment."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import click

from onebalance.shipments import Carrier
from onebalance.stores import JournalEntry

from ._common import EXIT_ATTENTION, EXIT_FAILED, EXIT_USAGE, _Context, _fail, minutes_since
from ._ship_options import CARRIER_CHOICE, as_carrier, needs_label_journal, out, run

#: ``settle`` refuses a purchase younger than this: it may still be waiting for the carrier's answer
#: (the carrier clients give up long before), and freeing its key then could buy a second label.
SETTLE_AFTER = timedelta(minutes=5)


def _age(started_at: datetime, now: datetime) -> str:
    minutes = minutes_since(started_at, now)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return f"{days}d {hours}h" if days else f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def _entry_json(entry: JournalEntry, now: datetime) -> dict[str, Any]:
    return {
        "merchant_id": entry.merchant_id,
        "carrier": entry.carrier.value,
        "idempotency_key": entry.idempotency_key,
        "service": entry.service_code,
        "started_at": entry.started_at.isoformat(),
        "age_minutes": minutes_since(entry.started_at, now),
    }


@click.command("pending")
@click.option("--merchant", "merchant_id", help="One merchant's pending purchases.")
@click.option("--all", "all_", is_flag=True, help="Every merchant's pending purchases.")
@click.option(
    "--older-than",
    type=click.IntRange(min=0),
    metavar="MINUTES",
    help="Only purchases started more than MINUTES ago (a younger one may still be running).",
)
@click.pass_obj
def pending(ctx: _Context, merchant_id: str | None, all_: bool, older_than: int | None) -> None:
    """List the label purchases whose outcome is unknown (oldest first): exit 3 when there are any."""
    if bool(merchant_id) == all_:
        _fail(EXIT_USAGE, "give one of --merchant MERCHANT_ID or --all")
    needs_label_journal(ctx, "ship pending")
    journal = ctx.accounts().labels
    now = datetime.now(timezone.utc)
    cutoff = now - timedelta(minutes=older_than) if older_than is not None else None
    found = run(lambda: journal.pending(merchant_id, started_before=cutoff))
    rows = [_entry_json(e, now) for e in found]
    if not found:
        text = "no pending label purchases" + (f" for {merchant_id}" if merchant_id else "")
    else:
        lines = [
            f"{'merchant':<16} {'carrier':<7} {'idempotency key':<24} {'service':<20} {'started at (UTC)':<19} age"
        ]
        for e in found:
            lines.append(
                f"{e.merchant_id:<16} {e.carrier.display_name:<7} {e.idempotency_key:<24} {e.service_code:<20} "
                f"{e.started_at.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} {_age(e.started_at, now)}"
            )
        lines.append(
            f"{len(found)} pending: check each one in the carrier account, then `onebalance ship settle` "
            "(USPS: buy again with the same key)"
        )
        text = "\n".join(lines)
    out(ctx, {"pending": rows, "count": len(rows)}, text)
    if found:
        raise SystemExit(EXIT_ATTENTION)


@click.command("settle")
@click.option("--merchant", "merchant_id", required=True, help="The merchant whose purchase it is.")
@click.option("--carrier", type=CARRIER_CHOICE, required=True)
@click.option("--key", "idempotency_key", required=True, help="The purchase's idempotency key.")
@click.option(
    "--not-shipped",
    is_flag=True,
    help="The carrier account has no live shipment from this purchase: free the key so it can buy again.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def settle(ctx: _Context, merchant_id: str, carrier: str, idempotency_key: str, not_shipped: bool, yes: bool) -> None:
    """Settle a pending UPS or FedEx purchase after checking the merchant's carrier account."""
    chosen = as_carrier(carrier.lower())
    if chosen is Carrier.USPS:
        _fail(
            EXIT_USAGE,
            "USPS purchases need no settling: USPS recognises a repeated purchase by its idempotency key "
            "(IntegratorTxID), so buy again with the same key: it returns the label if it was bought, or buys "
            "it once if it was not; nothing changed",
        )
    if not not_shipped:
        _fail(
            EXIT_USAGE,
            f"give --not-shipped once the merchant's {chosen.display_name} account shows no shipment from this "
            "purchase; nothing changed",
        )
    needs_label_journal(ctx, "ship settle")
    journal = ctx.accounts().labels
    entry = run(lambda: journal.get(merchant_id, chosen, idempotency_key))
    where = f"in the label journal of {ctx.records_place}"
    if entry is None:
        _fail(
            EXIT_USAGE,
            f"no {chosen.display_name} purchase with key {idempotency_key} for {merchant_id} {where}; nothing changed",
        )
    if entry.label is not None:
        number = entry.label.tracking_number or entry.label.carrier_reference
        _fail(
            EXIT_USAGE,
            f"the {chosen.display_name} purchase with key {idempotency_key} is complete (label {number}): "
            "nothing to settle (void the label with `ship void` if it is not wanted); nothing changed",
        )
    now = datetime.now(timezone.utc)
    if now - entry.started_at < SETTLE_AFTER:
        _fail(
            EXIT_USAGE,
            f"the purchase started {_age(entry.started_at, now)} ago and may still be running; settle it once it is "
            f"{int(SETTLE_AFTER.total_seconds() // 60)} minutes old; nothing changed",
        )
    click.echo(
        f"{chosen.display_name} {entry.service_code} purchase {idempotency_key} of {merchant_id}, started "
        f"{entry.started_at.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC ({_age(entry.started_at, now)} ago), "
        "outcome unknown",
        err=ctx.as_json,
    )
    if not yes:
        try:
            confirmed = click.confirm(
                f"The merchant's {chosen.display_name} account has no shipment from it (none made, or voided there)? "
                "Freeing the key lets the platform buy with it again",
                default=False,
                err=True,
            )
        except click.Abort:
            confirmed = False
        if not confirmed:
            _fail(EXIT_USAGE, "not settled (confirm, or pass --yes); nothing changed")
    run(lambda: journal.abandon(merchant_id, chosen, idempotency_key))
    after = run(lambda: journal.get(merchant_id, chosen, idempotency_key))
    if after is not None and after.label is not None:  # the purchase's answer came in meanwhile
        _fail(
            EXIT_FAILED,
            f"not settled: the purchase completed meanwhile (label "
            f"{after.label.tracking_number or after.label.carrier_reference}); the key keeps that label",
        )
    out(
        ctx,
        _entry_json(entry, now) | {"settled": "not_shipped", "key_freed": True},
        f"settled: key {idempotency_key} is free; buying with it again buys one {chosen.display_name} label",
    )


__all__ = ["SETTLE_AFTER", "pending", "settle"]
