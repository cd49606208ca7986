"""``onebalance ship``: rate shop, buy, void and track labels for one merchant, and connect its carriers.

USPS labels are paid from the merchant's One Balance; UPS and FedEx labels are billed to the
merchant's own accounts, stored with ``ship connect-ups`` / ``ship connect-fedex``. ``buy`` and
``void`` need a label journal that outlives the command: the records file (``--records`` or
``ONEBALANCE_RECORDS``) or the PostgreSQL store (``--store-dsn`` or ``ONEBALANCE_STORE_DSN``); it
is what makes ``--idempotency-key`` hold from one command to the next (and, with PostgreSQL, from
one machine to the next).

Exit codes as for ``onebalance account``: 0 done, 1 failed, 2 usage or refused input (nothing
sent), 4 configuration.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click

from carriers import (
    Address,
    Carrier,
    Dimensions,
    Label,
    Parcel,
    Rate,
    ShipmentRequest,
    Tracking,
    VoidResult,
    Weight,
)

from .._errors import ConfigurationError, CredentialStoreError, OneBalanceError, ValidationError
from .._shipping import Shipping
from ._common import EXIT_CONFIG, EXIT_FAILED, EXIT_USAGE, _Context, _fail, common_options, records_option

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_CARRIER = click.Choice(["usps", "ups", "fedex"], case_sensitive=False)


@click.group()
@common_options
@records_option("receipts, funding settings and the label journal")
@click.pass_context
def ship(
    ctx: click.Context,
    store: Path | None,
    store_dsn: str | None,
    store_schema: str | None,
    key_file: Path | None,
    endpoint: str | None,
    integration_id: str | None,
    as_json: bool,
    records_path: Path | None,
) -> None:
    """Labels: USPS paid from the One Balance, UPS and FedEx billed to the merchant's own accounts."""
    ctx.obj = _Context(store, key_file, endpoint, integration_id, as_json, store_dsn, store_schema, records_path)


# -- plumbing ----------------------------------------------------------------------------------------
def _run(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except ValidationError as exc:
        _fail(EXIT_USAGE, f"{type(exc).__name__}: {exc}")
    except (ConfigurationError, CredentialStoreError) as exc:
        _fail(EXIT_CONFIG, str(exc))
    except OneBalanceError as exc:
        _fail(EXIT_FAILED, f"{type(exc).__name__}: {exc}")


def _out(ctx: _Context, data: Any, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if ctx.as_json else text)


def _shipping(ctx: _Context, merchant_id: str) -> Shipping:
    accounts = ctx.accounts()
    return _run(lambda: accounts.shipping(merchant_id))


def _needs_journal(ctx: _Context, what: str) -> None:
    if not ctx.keeps_records:
        _fail(
            EXIT_CONFIG,
            f"{what} needs the records file (--records FILE or ONEBALANCE_RECORDS) or the PostgreSQL store "
            "(--store-dsn or ONEBALANCE_STORE_DSN): its label journal is what makes an idempotency key hold "
            "from one command to the next",
        )


def _carrier(value: str) -> Carrier:
    return Carrier(value)


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


# -- the shipment from options -------------------------------------------------------------------------
def _address_options(side: str, who: str) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        options = [
            click.option(f"--{side}-name", required=True, help=f"The {who}'s name."),
            click.option(f"--{side}-company", help=f"The {who}'s company."),
            click.option(
                f"--{side}-street", multiple=True, required=True, help="A street line (repeat for a second line)."
            ),
            click.option(f"--{side}-city", required=True),
            click.option(f"--{side}-state", required=True, help="Two-letter state code."),
            click.option(f"--{side}-zip", required=True, help="ZIP or ZIP+4."),
            click.option(
                f"--{side}-phone",
                help=f"The {who}'s phone" + (" (UPS and FedEx want one)." if side == "from" else "."),
            ),
        ]
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


def _shipment_options(fn: F) -> F:
    fn = click.option("--ship-date", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")(fn)
    fn = click.option("--height", help="Inches.")(fn)
    fn = click.option("--width", help="Inches.")(fn)
    fn = click.option("--length", help="Inches (give all three dimensions, or none).")(fn)
    fn = click.option("--weight-lb", help="Weight in pounds (or --weight-oz).")(fn)
    fn = click.option("--weight-oz", help="Weight in ounces (or --weight-lb).")(fn)
    fn = _address_options("to", "recipient")(fn)
    return _address_options("from", "shipper")(fn)


_SHIPMENT_KEYS = (
    *(f"{side}_{part}" for side in ("from", "to") for part in ("name", "company", "street", "city", "state", "zip")),
    "from_phone",
    "to_phone",
    *("weight_oz", "weight_lb", "length", "width", "height", "ship_date"),
)


def _pop_shipment(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: kwargs.pop(k) for k in _SHIPMENT_KEYS}


def _shipment(values: dict[str, Any], service: str | None = None) -> ShipmentRequest:
    """The shipment the options describe; bad input is a usage error (exit 2) before anything is sent."""

    def address(side: str) -> Address:
        try:
            return _address(side)
        except ValidationError as exc:
            field = (exc.field or "").split(".")[0]
            option = {"street_lines": "street", "postal_code": "zip"}.get(field, field)
            who = "shipper" if side == "from" else "recipient"
            text = exc.message.split(": ", 1)[-1]
            raise ValidationError(f"--{side}-{option}: {text}", field=f"{who}.{field}") from None

    def _address(side: str) -> Address:
        return Address(
            name=values[f"{side}_name"],
            company=values[f"{side}_company"],
            street_lines=list(values[f"{side}_street"]),
            city=values[f"{side}_city"],
            state=values[f"{side}_state"],
            postal_code=values[f"{side}_zip"],
            phone=values[f"{side}_phone"],
        )

    def build() -> ShipmentRequest:
        oz, lb = values["weight_oz"], values["weight_lb"]
        if (oz is None) == (lb is None):
            raise ValidationError("weight: give one of --weight-oz or --weight-lb", field="weight")
        weight = Weight(oz, "oz") if oz is not None else Weight(lb, "lb")
        sides = [values["length"], values["width"], values["height"]]
        if any(side is not None for side in sides) and not all(side is not None for side in sides):
            raise ValidationError("dimensions: give --length, --width and --height together", field="dimensions")
        dimensions = Dimensions(*sides) if sides[0] is not None else None
        ship_date = values["ship_date"].date() if values["ship_date"] else date.today()
        shipment = ShipmentRequest(
            shipper=address("from"),
            recipient=address("to"),
            parcels=[Parcel(weight=weight, dimensions=dimensions)],
            ship_date=ship_date,
            service=service,
        )
        if shipment.is_international:
            raise ValidationError("recipient.country: only domestic shipments are supported", field="recipient")
        return shipment.check(today=date.today())

    return _run(build)


def _rate_json(rate: Rate) -> dict[str, Any]:
    return {
        "carrier": rate.carrier.value,
        "service": rate.service_code,
        "name": rate.service_name,
        "total": str(rate.total.amount),
        "currency": rate.total.currency,
        "delivery_days": rate.delivery_days,
        "estimated_delivery": rate.estimated_delivery.isoformat() if rate.estimated_delivery else None,
        "guaranteed": rate.guaranteed,
        "paid_by": rate.payment.payer_description(),
    }


def _label_json(label: Label) -> dict[str, Any]:
    return {
        "carrier": label.carrier.value,
        "service": label.service_code,
        "tracking_number": label.tracking_number,
        "label_id": label.carrier_reference,
        "cost": str(label.cost.amount),
        "currency": label.cost.currency,
        "paid_by": label.paid_by.payer_description(),
        "label_format": label.label_format,
        "created_at": label.created_at.isoformat(),
        "cost_account_id": label.cost_account_id,
    }


# -- carriers ------------------------------------------------------------------------------------------
def _connect_options(carrier: str, secret_env: str, number_help: str) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        options = [
            click.argument("merchant_id"),
            click.option("--client-id", required=True, help=f"The {carrier} API app's client id."),
            click.option(
                "--client-secret",
                envvar=secret_env,
                prompt=True,
                hide_input=True,
                help=f"The app's client secret (asked for when not given; env {secret_env}).",
            ),
            click.option("--account-number", required=True, help=number_help),
            click.option("--base-url", help=f"The {carrier} API host (default: {carrier}'s test host)."),
            click.option("--no-verify", is_flag=True, help="Store without fetching a token first."),
        ]
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


def _connected(ctx: _Context, merchant_id: str, carrier: Carrier, account: Any) -> None:
    masked = f"****{account.account_number[-4:]}"
    _out(
        ctx,
        {
            "merchant_id": merchant_id,
            "carrier": carrier.value,
            "account_number": masked,
            "base_url": account.base_url,
            "connected_at": account.connected_at.isoformat(),
        },
        f"{carrier.display_name} account {masked} connected for {merchant_id} ({account.base_url})",
    )


def _connect_command(carrier: Carrier, secret_env: str, number_help: str) -> None:
    """``ship connect-ups`` / ``ship connect-fedex``: store the merchant's own account of ``carrier``."""

    @ship.command(
        f"connect-{carrier.value}",
        help=f"Store the merchant's own {carrier.display_name} account (its labels are billed to it).",
    )
    @_connect_options(carrier.display_name, secret_env, number_help)
    @click.pass_obj
    def connect(
        ctx: _Context,
        merchant_id: str,
        client_id: str,
        client_secret: str,
        account_number: str,
        base_url: str | None,
        no_verify: bool,
    ) -> None:
        accounts = ctx.accounts()
        store = accounts.connect_ups if carrier is Carrier.UPS else accounts.connect_fedex
        account = _run(
            lambda: store(
                merchant_id,
                client_id=client_id,
                client_secret=client_secret,
                account_number=account_number,
                base_url=base_url,
                verify=not no_verify,
            )
        )
        _connected(ctx, merchant_id, carrier, account)


_connect_command(Carrier.UPS, "ONEBALANCE_UPS_CLIENT_SECRET", "The 6-character UPS shipper number.")
_connect_command(Carrier.FEDEX, "ONEBALANCE_FEDEX_CLIENT_SECRET", "The 9-digit FedEx account number.")


@ship.command()
@click.argument("merchant_id")
@click.option("--carrier", type=click.Choice(["ups", "fedex"], case_sensitive=False), required=True)
@click.pass_obj
def disconnect(ctx: _Context, merchant_id: str, carrier: str) -> None:
    """Forget the merchant's UPS or FedEx account (the One Balance stays connected)."""
    accounts = ctx.accounts()
    forget = accounts.disconnect_ups if carrier.lower() == "ups" else accounts.disconnect_fedex
    had = _run(lambda: forget(merchant_id))
    name = _carrier(carrier).display_name
    _out(
        ctx,
        {"merchant_id": merchant_id, "carrier": carrier.lower(), "disconnected": had},
        f"{name} account disconnected for {merchant_id}" if had else f"{merchant_id} had no {name} account",
    )


@ship.command()
@click.argument("merchant_id")
@click.pass_obj
def carriers(ctx: _Context, merchant_id: str) -> None:
    """The merchant's carriers and who pays for each one's labels."""
    accounts = ctx.accounts()
    _shipping(ctx, merchant_id)  # the One Balance must be connected
    stored = _run(lambda: accounts._stored(merchant_id))
    rows: list[dict[str, Any]] = [{"carrier": "usps", "paid_by": "the One Balance", "account_number": None}]
    for name in ("ups", "fedex"):
        account = getattr(stored, name)
        if account is not None:
            rows.append(
                {
                    "carrier": name,
                    "paid_by": f"the merchant's {Carrier(name).display_name} account",
                    "account_number": f"****{account.account_number[-4:]}",
                    "base_url": account.base_url,
                }
            )
    text = "\n".join(
        f"{Carrier(r['carrier']).display_name:<6} paid by {r['paid_by']}"
        + (f" {r['account_number']} ({r['base_url']})" if r["account_number"] else "")
        for r in rows
    )
    _out(ctx, {"merchant_id": merchant_id, "carriers": rows}, text)


# -- rates, buy, void, track ---------------------------------------------------------------------------
@ship.command()
@click.argument("merchant_id")
@_shipment_options
@click.option("--service", help="Only this service (a carrier's code: US-PM, 03, FEDEX_GROUND...).")
@click.pass_obj
def rates(ctx: _Context, /, merchant_id: str, service: str | None, **options: Any) -> None:
    """A rate shop across all the merchant's carriers; the cheapest and the fastest are marked."""
    shipment = _shipment(_pop_shipment(options), service)
    shipping = _shipping(ctx, merchant_id)
    shop = _run(lambda: shipping.rates(shipment))
    for carrier, error in shop.errors.items():
        click.echo(f"warning: {carrier.display_name}: {error}", err=True)
    cheapest, fastest = shop.cheapest, shop.fastest
    if ctx.as_json:
        _out(
            ctx,
            {
                "rates": [_rate_json(r) for r in shop.rates],
                "cheapest": _rate_json(cheapest) if cheapest else None,
                "fastest": _rate_json(fastest) if fastest else None,
                "errors": {c.value: e for c, e in shop.errors.items()},
            },
            "",
        )
    else:
        click.echo(f"{'carrier':<7} {'service':<22} {'days':>4} {'total':>10}  name")
        for r in shop.rates:
            marks = [m for m, chosen in (("cheapest", cheapest), ("fastest", fastest)) if chosen == r]
            days = str(r.delivery_days) if r.delivery_days is not None else "-"
            click.echo(
                f"{r.carrier.display_name:<7} {r.service_code:<22} {days:>4} {_money(r.total.amount):>10}  "
                f"{r.service_name}{'  <- ' + ', '.join(marks) if marks else ''}"
            )
    if not shop.rates:
        _fail(EXIT_FAILED, "no carrier offered a rate for this shipment")


@ship.command()
@click.argument("merchant_id")
@_shipment_options
@click.option("--carrier", type=_CARRIER, required=True)
@click.option("--service", required=True, help="The service to buy (its code, as `ship rates` shows it).")
@click.option(
    "--idempotency-key",
    required=True,
    help="Names this purchase: the same key again never buys a second label (1-64 of A-Z a-z 0-9 _ . -).",
)
@click.option(
    "--label-out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Write the label here."
)
@click.option("--cost-account", help="USPS: the One Balance cost account (id or name) to charge the print to.")
@click.pass_obj
def buy(
    ctx: _Context,
    /,
    merchant_id: str,
    carrier: str,
    service: str,
    idempotency_key: str,
    label_out: Path,
    cost_account: str | None,
    **options: Any,
) -> None:
    """Buy one label and write it to --label-out; prints the tracking number, cost and who paid."""
    chosen = _carrier(carrier)
    shipment = _shipment(_pop_shipment(options), service)
    _run(
        lambda: ShipmentRequest.model_validate(
            {**{n: getattr(shipment, n) for n in type(shipment).model_fields}, "idempotency_key": idempotency_key}
        )
    )
    if cost_account is not None and chosen is not Carrier.USPS:
        _fail(EXIT_USAGE, "--cost-account: cost accounts belong to the One Balance, so only USPS labels use them")
    directory = label_out.resolve().parent
    if not directory.is_dir() or not os.access(directory, os.W_OK):
        _fail(EXIT_USAGE, f"--label-out: cannot write in {directory}; nothing was bought")
    _needs_journal(ctx, "ship buy")
    shipping = _shipping(ctx, merchant_id)
    client = _run(lambda: shipping.client(chosen))
    offered: list[Rate] = _run(lambda: client.rates(shipment))
    matching = [r for r in offered if r.service_code.upper() == service.upper()]
    if not matching:
        codes = ", ".join(sorted({r.service_code for r in offered})) or "none"
        _fail(EXIT_USAGE, f"{chosen.display_name} offers no {service} rate for this shipment (offered: {codes})")
    rate = min(matching, key=lambda r: r.total.amount)
    cost: int | str | None = int(cost_account) if cost_account and cost_account.isdigit() else cost_account
    journal = ctx.accounts().labels
    earlier = _run(lambda: journal.get(merchant_id, chosen, idempotency_key))
    replayed = earlier is not None and earlier.label is not None
    label: Label = _run(lambda: shipping.buy(rate, shipment, idempotency_key=idempotency_key, cost_account=cost))
    data = _label_json(label) | {
        "idempotency_key": idempotency_key,
        "label_file": str(label_out),
        "replayed": replayed,
    }
    lines = [
        f"{label.carrier.display_name} {label.service_code} label "
        + ("already bought with this idempotency key: nothing was charged again" if replayed else "bought"),
        f"tracking number   {label.tracking_number or '(none for this mail class)'}",
        f"label id          {label.carrier_reference or '-'}",
        f"cost              {_money(label.cost.amount)}",
        f"paid by           {label.paid_by.payer_description()}",
    ]
    if label.carrier is Carrier.USPS:
        accounts = ctx.accounts()
        try:
            balance = accounts.postage(merchant_id).balance().available_postage
            data["one_balance"] = str(balance)
            lines.append(f"One Balance now   {_money(balance)}")
        except OneBalanceError as exc:  # bought all the same: say so, do not fail
            lines.append(f"One Balance now   (could not be read: {type(exc).__name__})")
    try:
        label_out.write_bytes(label.label_image)
        lines.append(f"label written to  {label_out} ({label.label_format}, {len(label.label_image)} bytes)")
    except OSError as exc:
        _out(ctx, data, "\n".join(lines))
        _fail(
            EXIT_FAILED,
            f"bought, but the label could not be written to {label_out}: {exc.strerror}; run the same command "
            "again (same --idempotency-key) to get it without buying again",
        )
    _out(ctx, data, "\n".join(lines))


@ship.command()
@click.argument("merchant_id")
@click.option("--carrier", type=_CARRIER, required=True)
@click.option("--tracking-number", help="The label's tracking number.")
@click.option("--label-id", help="Or the carrier's id of the label (USPS StampsTxID, UPS shipment number).")
@click.pass_obj
def void(ctx: _Context, merchant_id: str, carrier: str, tracking_number: str | None, label_id: str | None) -> None:
    """Void a label bought through `ship buy`; says whether it was voided and what happens to the money."""
    if (tracking_number is None) == (label_id is None):
        _fail(EXIT_USAGE, "give one of --tracking-number or --label-id")
    chosen = _carrier(carrier)
    _needs_journal(ctx, "ship void")
    shipping = _shipping(ctx, merchant_id)
    number = tracking_number or label_id or ""
    label = _run(lambda: shipping.find_label(chosen, number))
    if label is None:
        _fail(
            EXIT_USAGE,
            f"no {chosen.display_name} label {number} in the label journal of {ctx.records_place} for {merchant_id}",
        )
    result: VoidResult = _run(lambda: shipping.void(label))
    if result.refund is not None:
        money = f"{_money(result.refund.amount)} refund {result.refund_status.value}"
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
    }
    _out(
        ctx,
        data,
        f"{label.carrier.display_name} label {result.tracking_number or label.carrier_reference} "
        + (f"voided: {money}" if result.voided else "was NOT voided"),
    )
    if not result.voided:
        raise SystemExit(EXIT_FAILED)


@ship.command()
@click.argument("merchant_id")
@click.argument("tracking_number")
@click.option("--carrier", type=_CARRIER, required=True)
@click.pass_obj
def track(ctx: _Context, merchant_id: str, tracking_number: str, carrier: str) -> None:
    """Where the parcel is: its status and every scan, newest first."""
    shipping = _shipping(ctx, merchant_id)
    found: Tracking = _run(lambda: shipping.track(_carrier(carrier), tracking_number))
    lines = [f"{found.carrier.display_name} {found.tracking_number}: {found.status.value}"]
    if found.estimated_delivery:
        lines.append(f"estimated delivery {found.estimated_delivery.isoformat()}")
    for event in found.events:
        place = ", ".join(p for p in (event.city, event.state, event.postal_code) if p)
        lines.append(f"{event.occurred_at:%Y-%m-%d %H:%M %z}  {event.status.value:<16} {event.description} {place}")
    _out(ctx, found.model_dump(mode="json"), "\n".join(lines))


__all__ = ["ship"]
