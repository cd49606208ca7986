"""``ship rates``, ``buy``, ``void`` and ``track``: a rate shop across the merchant's carriers, one label
bought (from options or a saved ``rates --json``), and a label voided or tracked by its number."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from onebalance.carriers import Shipping
from onebalance.core import OneBalanceError
from onebalance.shipments import Carrier, Label, Rate, ShipmentRequest, TrackingStatus, VoidResult

from ._common import EXIT_FAILED, EXIT_USAGE, _Context, _fail, merchant_id_argument
from ._packages import document_files, label_files, package_lines, packages_json, void_subject
from ._ship_address import check_json, check_text
from ._ship_options import (
    CARRIER_CHOICE,
    CARRIER_OVERRIDE,
    FORMAT_CHOICE,
    REQUIRED_KEYS,
    SHIPMENT_KEYS,
    SIZE_CHOICE,
    as_carrier,
    dollars,
    label_json,
    needs_label_journal,
    out,
    pop_shipment,
    rate_json,
    run,
    shipment_from,
    shipment_options,
    shipment_options_or_rates,
    shipping_of,
)
from ._ship_refs import RatesFileError, find_carrier, rate_id, read_rates


@click.command("rates")
@merchant_id_argument()
@shipment_options
@click.option("--service", help="Only this service (a carrier's code: US-PM, 03, FEDEX_GROUND...).")
@click.option(
    "--check-address",
    is_flag=True,
    help="Check the recipient with USPS first (one CleanseAddress): every carrier rates the corrected address.",
)
@click.pass_obj
def rates(ctx: _Context, /, merchant_id: str, service: str | None, check_address: bool, **options: Any) -> None:
    """A rate shop across all the merchant's carriers; the cheapest and the fastest are marked.

    Save the --json output to buy one of its rates later: `ship buy MERCHANT_ID --from-rates FILE --rate ID`.
    """
    values = pop_shipment(options)
    shipment = shipment_from(values, service)
    saved = {k: v for k, v in values.items() if k != "ship_date"} | {
        "from_street": list(values["from_street"]),
        "to_street": list(values["to_street"]),
        "ship_date": shipment.ship_date.isoformat(),
        "to_country": shipment.recipient.country,
        "customs": shipment.customs.model_dump(mode="json") if shipment.customs else None,
    }
    shipping = shipping_of(ctx, merchant_id)
    shop = run(lambda: shipping.rates(shipment, check_address=check_address))
    check = shop.address_check
    if check is not None:
        click.echo(f"address check: {check_text(check, shipment.recipient)}", err=True)
        if shop.shipment is not None and shop.shipment.recipient != shipment.recipient:
            to = shop.shipment.recipient  # the rates are for the corrected address: --from-rates buys for it
            saved |= {
                "to_street": list(to.street_lines),
                "to_city": to.city,
                "to_state": to.state,
                "to_zip": to.postal_code,
            }
    for carrier, message in shop.error_messages.items():
        click.echo(f"warning: {carrier.display_name}: {message}", err=True)
    cheapest, fastest = shop.cheapest, shop.fastest
    if ctx.as_json:
        out(
            ctx,
            {
                "merchant_id": merchant_id,
                "shipment": saved,
                "rates": [rate_json(r) for r in shop.rates],
                "cheapest": rate_json(cheapest) if cheapest else None,
                "fastest": rate_json(fastest) if fastest else None,
                "errors": {c.value: message for c, message in shop.error_messages.items()},
                "address_check": check_json(check, shipment.recipient) if check is not None else None,
            },
            "",
        )
    else:
        click.echo(f"{'rate id':<26} {'days':>4} {'total':>10}  name")
        for r in shop.rates:
            marks = [m for m, chosen in (("cheapest", cheapest), ("fastest", fastest)) if chosen == r]
            days = str(r.delivery_days) if r.delivery_days is not None else "-"
            click.echo(
                f"{rate_id(r):<26} {days:>4} {dollars(r.total.amount):>10}  "
                f"{r.service_name}{'  <- ' + ', '.join(marks) if marks else ''}"
                + (f"  (not allowed: {r.restriction})" if r.restriction else "")
            )
        if shop.rates:
            click.echo(
                "to buy one later: save these with --json > rates.json, then `onebalance ship buy "
                f"{merchant_id} --from-rates rates.json --rate RATE_ID --idempotency-key KEY --label-out FILE`",
                err=True,
            )
    if not shop.rates:
        _fail(EXIT_FAILED, "no carrier offered a rate for this shipment")


@click.command("buy")
@merchant_id_argument()
@shipment_options_or_rates
@click.option("--carrier", type=CARRIER_CHOICE, help="The carrier (with the shipment options).")
@click.option("--service", help="The service to buy (its code, as `ship rates` shows it).")
@click.option(
    "--from-rates",
    "rates_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Instead of the shipment options, --carrier and --service: a saved `ship rates --json` output.",
)
@click.option(
    "--rate",
    "wanted_rate",
    help="With --from-rates: the rate id to buy (as `ship rates` shows it: usps:US-PM, ups:03...), or cheapest "
    "or fastest.",
)
@click.option(
    "--idempotency-key",
    required=True,
    help="Names this purchase: the same key again never buys a second label (1-64 of A-Z a-z 0-9 _ . -).",
)
@click.option(
    "--label-out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Write the label here."
)
@click.option("--cost-account", help="USPS: the One Balance cost account (id or name) to charge the print to.")
@click.option(
    "--format",
    "label_format",
    type=FORMAT_CHOICE,
    help="The label's format (default: the carrier's, PNG or GIF): PDF, PNG, GIF, ZPL (Zebra) or EPL (EPL2). "
    "One the carrier does not print is refused before anything is bought.",
)
@click.option(
    "--size", "label_size", type=SIZE_CHOICE, help="The label's size: 4x6 (default) or letter (a sheet: PDF, PNG, GIF)."
)
@click.pass_obj
def buy(
    ctx: _Context,
    /,
    merchant_id: str,
    carrier: str | None,
    service: str | None,
    rates_file: Path | None,
    wanted_rate: str | None,
    idempotency_key: str,
    label_out: Path,
    cost_account: str | None,
    label_format: str | None,
    label_size: str | None,
    **options: Any,
) -> None:
    """Buy one label and write it to --label-out; prints the tracking number, cost and who paid.

    --format and --size choose how it is printed (see the shipping guide for what each carrier prints).

    The shipment is either given by its options with --carrier and --service, or taken with the rate
    from an earlier `ship rates --json` output (--from-rates FILE --rate ID).
    """
    values = pop_shipment(options)
    if rates_file is not None:
        given = [f"--{k.replace('_', '-')}" for k, v in values.items() if v not in (None, ())]
        given += [o for o, v in (("--carrier", carrier), ("--service", service)) if v is not None]
        if given:
            _fail(EXIT_USAGE, f"--from-rates gives the shipment, carrier and service: drop {', '.join(given)}")
        if wanted_rate is None:
            _fail(EXIT_USAGE, "--from-rates needs --rate RATE_ID (as `ship rates` shows it), or cheapest or fastest")
        try:
            values, picked, service = read_rates(rates_file, merchant_id, wanted_rate)
            values.setdefault("parcels", None)  # saved before --parcels existed: one parcel
            values.setdefault("is_return", None)  # saved before --return existed: an outbound label
            values.setdefault("to_country", None)  # saved before --to-country existed: in the US
            values.setdefault("customs", None)
        except RatesFileError as exc:
            _fail(EXIT_USAGE, f"--from-rates: {exc}; nothing was bought")
        if set(values) != set(SHIPMENT_KEYS):
            _fail(
                EXIT_USAGE, f"--from-rates: the shipment in {rates_file} is incomplete or altered; nothing was bought"
            )
        carrier = picked.value
    else:
        if wanted_rate is not None:
            _fail(EXIT_USAGE, "--rate picks a rate of a saved `ship rates --json` output: give --from-rates FILE too")
        missing = [f"--{k.replace('_', '-')}" for k in REQUIRED_KEYS if values[k] in (None, ())]
        missing += [o for o, v in (("--carrier", carrier), ("--service", service)) if v is None]
        if missing:
            _fail(
                EXIT_USAGE,
                f"missing {', '.join(missing)} (or buy a saved rate: --from-rates FILE --rate RATE_ID); nothing "
                "was bought",
            )
    assert carrier is not None and service is not None
    chosen = as_carrier(carrier.lower())
    shipment = shipment_from(values, service)
    run(
        lambda: ShipmentRequest.model_validate(
            {**{n: getattr(shipment, n) for n in type(shipment).model_fields}, "idempotency_key": idempotency_key}
        )
    )
    if cost_account is not None and chosen is not Carrier.USPS:
        _fail(EXIT_USAGE, "--cost-account: cost accounts belong to the One Balance, so only USPS labels use them")
    directory = label_out.resolve().parent
    if not directory.is_dir() or not os.access(directory, os.W_OK):
        _fail(EXIT_USAGE, f"--label-out: cannot write in {directory}; nothing was bought")
    needs_label_journal(ctx, "ship buy")
    shipping = shipping_of(ctx, merchant_id)
    client = run(lambda: shipping.client(chosen))
    offered: list[Rate] = run(lambda: client.rates(shipment))
    matching = [r for r in offered if r.service_code.upper() == service.upper()]
    if not matching:
        codes = ", ".join(sorted({r.service_code for r in offered})) or "none"
        _fail(EXIT_USAGE, f"{chosen.display_name} offers no {service} rate for this shipment (offered: {codes})")
    rate = min(matching, key=lambda r: r.total.amount)
    cost: int | str | None = int(cost_account) if cost_account and cost_account.isdigit() else cost_account
    journal = ctx.accounts().labels
    earlier = run(lambda: journal.get(merchant_id, chosen, idempotency_key))
    replayed = earlier is not None and earlier.label is not None
    label: Label = run(
        lambda: shipping.buy(
            rate,
            shipment,
            idempotency_key=idempotency_key,
            cost_account=cost,
            label_format=label_format,
            label_size=label_size,
        )
    )
    files = label_files(label, label_out)
    documents = document_files(label, label_out)
    data = label_json(label) | {
        "idempotency_key": idempotency_key,
        "label_file": str(label_out),
        "replayed": replayed,
        "packages": packages_json(label, files),
        "documents": [
            {"kind": d.kind.value, "format": d.format, "bytes": len(d.data), "file": str(f)}
            for d, f in zip(label.documents, documents, strict=True)
        ],
    }
    lines = [
        f"{label.carrier.display_name} {label.service_code} {'return ' if label.is_return else ''}label "
        + ("already bought with this idempotency key: nothing was charged again" if replayed else "bought"),
        f"tracking number   {label.tracking_number or '(none for this mail class)'}",
        f"label id          {label.carrier_reference or '-'}",
        f"cost              {dollars(label.cost.amount)}",
        f"paid by           {label.paid_by.payer_description()}",
        *package_lines(label),
    ]
    if label.quoted_cost is not None and label.above_quote is not None:  # a surcharge or a re-rating: say so
        above, quoted = label.above_quote.amount, label.quoted_cost.amount
        lines.insert(-1, f"rate quoted       {dollars(quoted)} (charged {dollars(above)} more)")
    if label.carrier is Carrier.USPS:
        accounts = ctx.accounts()
        try:
            balance = accounts.postage(merchant_id).balance().available_postage
            data["one_balance"] = str(balance)
            lines.append(f"One Balance now   {dollars(balance)}")
        except OneBalanceError as exc:  # bought all the same: say so, do not fail
            lines.append(f"One Balance now   (could not be read: {type(exc).__name__})")
    written = label_out
    try:
        for written, package in zip(files, label.packages, strict=True):
            written.write_bytes(package.label_image)
            kind = f"{label.label_format} {label.label_size}" if label.label_size else label.label_format
            lines.append(f"label written to  {written} ({kind}, {len(package.label_image)} bytes)")
        for written, document in zip(documents, label.documents, strict=True):
            written.write_bytes(document.data)
            lines.append(f"{document.kind.value} written to {written} ({document.format}, {len(document.data)} bytes)")
    except OSError as exc:
        out(ctx, data, "\n".join(lines))
        _fail(
            EXIT_FAILED,
            f"bought, but the label or its documents could not be written to {written}: {exc.strerror}; run the "
            "same command again (same --idempotency-key) to get it without buying again",
        )
    out(ctx, data, "\n".join(lines))


def _carrier_for(ctx: _Context, shipping: Shipping, number: str, given: str | None) -> Carrier:
    if given is not None:
        return as_carrier(given.lower())
    found, _how = run(lambda: find_carrier(shipping, number))
    if found is None:
        _fail(
            EXIT_USAGE,
            f"cannot tell the carrier of {number}: it is not in the label journal of {ctx.records_place} and its "
            "form is not one carrier's (see the support guide); give --carrier usps, ups or fedex",
        )
    return found


@click.command("void")
@merchant_id_argument()
@click.argument("tracking_number", required=False)
@CARRIER_OVERRIDE
@click.option("--tracking-number", "tracking_option", hidden=True, help="The tracking number (the old spelling).")
@click.option("--label-id", help="Or the carrier's id of the label (USPS StampsTxID, UPS shipment number).")
@click.option(
    "--package",
    "package_only",
    is_flag=True,
    help="Void only the package of TRACKING_NUMBER; its shipment's other packages stay live.",
)
@click.pass_obj
def void(
    ctx: _Context,
    merchant_id: str,
    tracking_number: str | None,
    carrier: str | None,
    tracking_option: str | None,
    label_id: str | None,
    package_only: bool,
) -> None:
    """Void a label bought through `ship buy`, by its TRACKING_NUMBER (as `ship track` takes it) or
    --label-id: the whole shipment, every package of it, unless --package; says whether it was voided
    and what happens to the money."""
    numbers = [n for n in (tracking_number, tracking_option, label_id) if n is not None]
    if len(numbers) != 1:
        _fail(EXIT_USAGE, "give the label's TRACKING_NUMBER, or --label-id, once")
    if package_only and label_id is not None:
        _fail(EXIT_USAGE, "--package voids the package of TRACKING_NUMBER: give its tracking number, not --label-id")
    needs_label_journal(ctx, "ship void")
    shipping = shipping_of(ctx, merchant_id)
    number = numbers[0]
    chosen = _carrier_for(ctx, shipping, number, carrier)
    label = run(lambda: shipping.find_label(chosen, number))
    if label is None:
        _fail(
            EXIT_USAGE,
            f"no {chosen.display_name} label {number} in the label journal of {ctx.records_place} for {merchant_id}",
        )
    package = number if package_only else None
    result: VoidResult = run(lambda: shipping.void(label, package=package))
    if result.refund is not None:
        money = f"{dollars(result.refund.amount)} refund {result.refund_status.value}"
        if label.carrier is Carrier.USPS and result.refund_status.value == "pending":
            money += " (USPS credits the One Balance once the refund is approved, usually within days)"
    elif label.carrier is Carrier.USPS:
        money = "nothing to refund"
    else:
        money = f"nothing to refund: the merchant's {label.carrier.display_name} account is not billed for it"
    data = {
        "carrier": result.carrier.value,
        "tracking_number": result.tracking_number,
        "label_id": label.carrier_reference,
        "voided": result.voided,
        "refund": str(result.refund.amount) if result.refund else None,
        "refund_status": result.refund_status.value,
        "packages": list(result.packages),
    }
    out(
        ctx,
        data,
        f"{void_subject(label, result, package)} " + (f"voided: {money}" if result.voided else "was NOT voided"),
    )
    if not result.voided:
        raise SystemExit(EXIT_FAILED)


@click.command("track")
@merchant_id_argument()
@click.argument("tracking_number")
@CARRIER_OVERRIDE
@click.option(
    "--shipment", "whole", is_flag=True, help="Every package of the shipment this number belongs to (from the journal)."
)
@click.pass_obj
def track(ctx: _Context, merchant_id: str, tracking_number: str, carrier: str | None, whole: bool) -> None:
    """Where the parcel is: its status and every scan, newest first (with --shipment, every package's)."""
    shipping = shipping_of(ctx, merchant_id)
    chosen = _carrier_for(ctx, shipping, tracking_number, carrier)
    if whole:
        needs_label_journal(ctx, "ship track --shipment")
        label = run(lambda: shipping.find_label(chosen, tracking_number))
        if label is None:
            _fail(EXIT_USAGE, f"no {chosen.display_name} label {tracking_number} in the label journal of {merchant_id}")
        found = run(lambda: shipping.track_shipment(label))
    else:
        found = (run(lambda: shipping.track(chosen, tracking_number)),)
    lines: list[str] = []
    for one in found:
        lines += [""] if lines else []  # a blank line between the packages of a shipment
        lines.append(f"{one.carrier.display_name} {one.tracking_number}: {one.status.value}")
        if one.status is TrackingStatus.VOIDED:
            lines[-1] += " (the label was voided: nothing ships with it, and it must not be used)"
        if one.estimated_delivery:
            lines.append(f"estimated delivery {one.estimated_delivery.isoformat()}")
        for event in one.events:
            place = ", ".join(p for p in (event.city, event.state, event.postal_code) if p)
            lines.append(f"{event.occurred_at:%Y-%m-%d %H:%M %z}  {event.status.value:<16} {event.description} {place}")
    data: Any = [t.model_dump(mode="json") for t in found] if whole else found[0].model_dump(mode="json")
    out(ctx, data, "\n".join(lines))


__all__ = ["buy", "rates", "track", "void"]
