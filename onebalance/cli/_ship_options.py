"""What the ``ship`` commands share: their plumbing (errors to exit codes, output, the merchant's
``Shipping``) and the shipment as options (``--from-*``, ``--to-*``, weight, size, date), with the
JSON of a rate and of a label."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, get_args

import click

from onebalance.carriers import Shipping
from onebalance.core import ConfigurationError, CredentialStoreError, OneBalanceError, ValidationError
from onebalance.shipments import (
    MAX_PARCELS,
    Address,
    Carrier,
    Customs,
    Dimensions,
    Label,
    LabelFormat,
    LabelSize,
    Parcel,
    Rate,
    ShipmentRequest,
    Weight,
)

from ._common import EXIT_CONFIG, EXIT_FAILED, EXIT_USAGE, _Context, _fail, error_line, needs_journal
from ._ship_refs import rate_id

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

CARRIER_CHOICE = click.Choice(["usps", "ups", "fedex"], case_sensitive=False)
#: ``--format`` and ``--size`` of ``ship buy``: the label formats and sizes of ``carriers.LabelSpec``.
FORMAT_CHOICE = click.Choice(get_args(LabelFormat), case_sensitive=False)
SIZE_CHOICE = click.Choice(get_args(LabelSize), case_sensitive=False)
CARRIER_OVERRIDE = click.option(
    "--carrier",
    type=CARRIER_CHOICE,
    help="Only to override: the carrier is found from the label journal, else from the tracking number's form.",
)


# -- plumbing ----------------------------------------------------------------------------------------
def run(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except ValidationError as exc:
        _fail(EXIT_USAGE, error_line(exc))
    except (ConfigurationError, CredentialStoreError) as exc:
        _fail(EXIT_CONFIG, str(exc))
    except OneBalanceError as exc:
        _fail(EXIT_FAILED, error_line(exc))


def out(ctx: _Context, data: Any, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if ctx.as_json else text)


def shipping_of(ctx: _Context, merchant_id: str) -> Shipping:
    accounts = ctx.accounts()
    return run(lambda: accounts.shipping(merchant_id))


def needs_label_journal(ctx: _Context, what: str) -> None:
    needs_journal(ctx, what, "its label journal is what makes an idempotency key hold from one command to the next")


def as_carrier(value: str) -> Carrier:
    return Carrier(value)


def dollars(amount: Decimal) -> str:
    return f"${amount:,.2f}"


# -- the shipment from options -------------------------------------------------------------------------
def _address_options(side: str, who: str, required: bool) -> Callable[[F], F]:
    abroad = side == "to"  # the recipient may be abroad: state and postal code as its country has them

    def decorate(fn: F) -> F:
        options = [
            click.option(f"--{side}-name", required=required, help=f"The {who}'s name."),
            click.option(f"--{side}-company", help=f"The {who}'s company."),
            click.option(
                f"--{side}-street", multiple=True, required=required, help="A street line (repeat for a second line)."
            ),
            click.option(f"--{side}-city", required=required),
            click.option(
                f"--{side}-state",
                required=required and not abroad,
                help="Two-letter state code" + (" (abroad: the province or region, if any)." if abroad else "."),
            ),
            click.option(
                f"--{side}-zip",
                required=required and not abroad,
                help="ZIP or ZIP+4" + (" (abroad: the postal code, free-form; Canada A1A 1A1)." if abroad else "."),
            ),
            click.option(
                f"--{side}-phone",
                help=f"The {who}'s phone" + (" (UPS and FedEx want one)." if side == "from" else "."),
            ),
        ]
        if abroad:
            options.append(
                click.option(
                    "--to-country", help="The recipient's country, ISO 3166-1 alpha-2 (GB, CA, DE...; default US)."
                )
            )
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


def shipment_options(fn: F, required: bool = True) -> F:
    fn = click.option(
        "--return",
        "is_return",
        is_flag=True,
        default=None,
        help="A return label: --from-* is the customer sending the parcel back, --to-* the merchant receiving it "
        "(paid as any label: USPS from the One Balance, UPS and FedEx billed to the merchant's account).",
    )(fn)
    fn = click.option(
        "--customs",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Abroad: a JSON file holding the customs data (a carriers.Customs: contents_type, lines, "
        "invoice_total...; see the support guide). Required where the parcel goes through customs.",
    )(fn)
    fn = click.option("--ship-date", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")(fn)
    fn = click.option("--height", help="Inches.")(fn)
    fn = click.option("--width", help="Inches.")(fn)
    fn = click.option("--length", help="Inches (give all three dimensions, or none).")(fn)
    fn = click.option("--weight-lb", help="Weight in pounds (or --weight-oz).")(fn)
    fn = click.option("--weight-oz", help="Weight in ounces (or --weight-lb).")(fn)
    fn = click.option(
        "--parcels",
        type=click.IntRange(1, MAX_PARCELS),
        help="How many parcels of this weight and size (default 1; UPS and FedEx: one label per package).",
    )(fn)
    fn = _address_options("to", "recipient", required)(fn)
    return _address_options("from", "shipper", required)(fn)


def shipment_options_or_rates(fn: F) -> F:
    """The shipment options, required unless ``--from-rates`` gives the shipment."""
    return shipment_options(fn, required=False)


#: The options a shipment cannot do without (``buy`` checks them itself, as ``--from-rates`` replaces them).
REQUIRED_KEYS = (
    *(f"from_{part}" for part in ("name", "street", "city", "state", "zip")),
    *(f"to_{part}" for part in ("name", "street", "city")),
)


SHIPMENT_KEYS = (
    *(f"{side}_{part}" for side in ("from", "to") for part in ("name", "company", "street", "city", "state", "zip")),
    "from_phone",
    "to_phone",
    "to_country",
    "customs",
    *("weight_oz", "weight_lb", "length", "width", "height", "ship_date", "parcels", "is_return"),
)


def pop_shipment(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: kwargs.pop(k) for k in SHIPMENT_KEYS}


def shipment_from(values: dict[str, Any], service: str | None = None) -> ShipmentRequest:
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
            country=values.get(f"{side}_country") or "US",
            phone=values[f"{side}_phone"],
        )

    def customs() -> Customs | None:
        given = values.get("customs")
        if given is None or isinstance(given, dict):  # a saved rates file holds the customs as JSON
            return None if given is None else Customs.model_validate(given)
        try:
            return Customs.model_validate_json(Path(given).read_bytes())
        except OSError as exc:
            raise ValidationError(f"--customs: cannot read {given}: {exc.strerror}", field="customs") from None
        except ValidationError as exc:
            field = f"customs.{exc.field}" if exc.field else "customs"
            raise ValidationError(f"--customs {given}: {exc.message}", field=field) from None

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
        declared = customs()
        try:
            shipment = ShipmentRequest(
                shipper=address("from"),
                recipient=address("to"),
                parcels=[Parcel(weight=weight, dimensions=dimensions)] * (values.get("parcels") or 1),
                ship_date=ship_date,
                service=service,
                is_return=bool(values.get("is_return")),
                customs=declared,
            )
        except ValidationError as exc:
            if exc.field != "customs":
                raise
            raise ValidationError(f"--customs: {exc.message.split(': ', 1)[-1]}", field="customs") from None
        return shipment.check(today=date.today())

    return run(build)


def rate_json(rate: Rate) -> dict[str, Any]:
    return {
        "rate_id": rate_id(rate),
        "carrier": rate.carrier.value,
        "service": rate.service_code,
        "name": rate.service_name,
        "total": str(rate.total.amount),
        "currency": rate.total.currency,
        "delivery_days": rate.delivery_days,
        "estimated_delivery": rate.estimated_delivery.isoformat() if rate.estimated_delivery else None,
        "guaranteed": rate.guaranteed,
        "paid_by": rate.payment.payer_description(),
        "restriction": rate.restriction,
    }


def label_json(label: Label) -> dict[str, Any]:
    return {
        "carrier": label.carrier.value,
        "service": label.service_code,
        "tracking_number": label.tracking_number,
        "label_id": label.carrier_reference,
        "cost": str(label.cost.amount),
        "quoted_cost": str(label.quoted_cost.amount) if label.quoted_cost is not None else None,
        "currency": label.cost.currency,
        "paid_by": label.paid_by.payer_description(),
        "label_format": label.label_format,
        "label_size": label.label_size,
        "created_at": label.created_at.isoformat(),
        "cost_account_id": label.cost_account_id,
        "is_return": label.is_return,
    }
