"""``onebalance ship``: rate shop, buy, void and track labels for one merchant, and connect its carriers.

USPS labels are paid from the merchant's One Balance; UPS and FedEx labels are billed to the
merchant's own accounts, stored with ``ship connect-ups`` / ``ship connect-fedex``. ``buy`` and
``void`` need a label journal that outlives the command: the records file (``--records`` or
``ONEBALANCE_RECORDS``) or the PostgreSQL store (``--store-dsn`` or ``ONEBALANCE_STORE_DSN``); it
is what makes ``--idempotency-key`` hold from one command to the next (and, with PostgreSQL, from
one machine to the next).

``pending`` and ``settle`` reconcile the purchases the journal still has as pending (a UPS or
FedEx purchase cut off before its answer): ``pending`` lists them, ``settle --not-shipped`` frees a
key once support has checked the carrier account and found no shipment.

Exit codes as for ``onebalance account``: 0 done, 1 failed, 2 usage or refused input (nothing
sent), 3 ``pending`` found purchases to reconcile, 4 configuration.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click

from onebalance.carriers import Shipping
from onebalance.core._errors import ConfigurationError, CredentialStoreError, OneBalanceError, ValidationError
from onebalance.shipments import (
    Address,
    Carrier,
    Dimensions,
    Label,
    Parcel,
    Rate,
    ShipmentRequest,
    TrackingStatus,
    VoidResult,
    Weight,
)
from onebalance.shipments._shipment import MAX_PARCELS
from onebalance.stores import JournalEntry

from ._common import (
    EXIT_ATTENTION,
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_USAGE,
    SupportGroup,
    _Context,
    _fail,
    common_options,
    error_line,
    merchant_id_argument,
    minutes_since,
    needs_journal,
    records_option,
)
from ._packages import label_files, package_lines, packages_json, void_subject
from ._ship_refs import RatesFileError, find_carrier, rate_id, read_rates

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_CARRIER = click.Choice(["usps", "ups", "fedex"], case_sensitive=False)


@click.group(cls=SupportGroup)
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
        _fail(EXIT_USAGE, error_line(exc))
    except (ConfigurationError, CredentialStoreError) as exc:
        _fail(EXIT_CONFIG, str(exc))
    except OneBalanceError as exc:
        _fail(EXIT_FAILED, error_line(exc))


def _out(ctx: _Context, data: Any, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if ctx.as_json else text)


def _shipping(ctx: _Context, merchant_id: str) -> Shipping:
    accounts = ctx.accounts()
    return _run(lambda: accounts.shipping(merchant_id))


def _needs_journal(ctx: _Context, what: str) -> None:
    needs_journal(ctx, what, "its label journal is what makes an idempotency key hold from one command to the next")


def _carrier(value: str) -> Carrier:
    return Carrier(value)


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


# -- the shipment from options -------------------------------------------------------------------------
def _address_options(side: str, who: str, required: bool) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        options = [
            click.option(f"--{side}-name", required=required, help=f"The {who}'s name."),
            click.option(f"--{side}-company", help=f"The {who}'s company."),
            click.option(
                f"--{side}-street", multiple=True, required=required, help="A street line (repeat for a second line)."
            ),
            click.option(f"--{side}-city", required=required),
            click.option(f"--{side}-state", required=required, help="Two-letter state code."),
            click.option(f"--{side}-zip", required=required, help="ZIP or ZIP+4."),
            click.option(
                f"--{side}-phone",
                help=f"The {who}'s phone" + (" (UPS and FedEx want one)." if side == "from" else "."),
            ),
        ]
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


def _shipment_options(fn: F, required: bool = True) -> F:
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


def _shipment_options_or_rates(fn: F) -> F:
    """The shipment options, required unless ``--from-rates`` gives the shipment."""
    return _shipment_options(fn, required=False)


#: The options a shipment cannot do without (``buy`` checks them itself, as ``--from-rates`` replaces them).
_REQUIRED_KEYS = tuple(
    f"{side}_{part}" for side in ("from", "to") for part in ("name", "street", "city", "state", "zip")
)


_SHIPMENT_KEYS = (
    *(f"{side}_{part}" for side in ("from", "to") for part in ("name", "company", "street", "city", "state", "zip")),
    "from_phone",
    "to_phone",
    *("weight_oz", "weight_lb", "length", "width", "height", "ship_date", "parcels"),
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
            parcels=[Parcel(weight=weight, dimensions=dimensions)] * (values.get("parcels") or 1),
            ship_date=ship_date,
            service=service,
        )
        if shipment.is_international:
            raise ValidationError("recipient.country: only domestic shipments are supported", field="recipient")
        return shipment.check(today=date.today())

    return _run(build)


def _rate_json(rate: Rate) -> dict[str, Any]:
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


def _label_json(label: Label) -> dict[str, Any]:
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
        "created_at": label.created_at.isoformat(),
        "cost_account_id": label.cost_account_id,
    }


# -- carriers ------------------------------------------------------------------------------------------
def _connect_options(carrier: str, secret_env: str, number_help: str) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        options = [
            merchant_id_argument(),
            click.option("--client-id", required=True, help=f"The {carrier} API app's client id."),
            click.option(
                "--client-secret",
                envvar=secret_env,
                help=f"The app's client secret (env {secret_env}); prefer --client-secret-stdin, since a "
                "secret on the command line stays in the shell history. Asked for at a terminal when not given.",
            ),
            click.option(
                "--client-secret-stdin",
                is_flag=True,
                help="Read the app's client secret from standard input (one line), as a pipe gives it.",
            ),
            click.option("--account-number", required=True, help=number_help),
            click.option("--base-url", help=f"The {carrier} API host (default: {carrier}'s test host)."),
            click.option("--no-verify", is_flag=True, help="Store without fetching a token first."),
        ]
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


def _client_secret(given: str | None, from_stdin: bool, secret_env: str) -> str:
    """The secret from standard input (``--client-secret-stdin``), the option or its variable, or asked for at a
    terminal; a pipe without the flag is refused rather than read with an echo warning."""
    source = click.get_current_context().get_parameter_source("client_secret")
    if from_stdin and source is click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError("give one of --client-secret or --client-secret-stdin")
    if from_stdin or given is None:
        if sys.stdin.isatty():
            given = click.prompt("Client secret", hide_input=True, err=True)
        elif from_stdin:
            given = sys.stdin.readline().rstrip("\r\n")
        else:
            raise click.UsageError(f"no client secret: pipe it with --client-secret-stdin, or set {secret_env}")
    if not given:
        raise click.UsageError("the client secret is empty" + (" (nothing on standard input)" if from_stdin else ""))
    return given


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
        client_secret: str | None,
        client_secret_stdin: bool,
        account_number: str,
        base_url: str | None,
        no_verify: bool,
    ) -> None:
        client_secret = _client_secret(client_secret, client_secret_stdin, secret_env)
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
@merchant_id_argument()
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
@merchant_id_argument()
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
@merchant_id_argument()
@_shipment_options
@click.option("--service", help="Only this service (a carrier's code: US-PM, 03, FEDEX_GROUND...).")
@click.pass_obj
def rates(ctx: _Context, /, merchant_id: str, service: str | None, **options: Any) -> None:
    """A rate shop across all the merchant's carriers; the cheapest and the fastest are marked.

    Save the --json output to buy one of its rates later: `ship buy MERCHANT_ID --from-rates FILE --rate ID`.
    """
    values = _pop_shipment(options)
    shipment = _shipment(values, service)
    saved = {k: v for k, v in values.items() if k != "ship_date"} | {
        "from_street": list(values["from_street"]),
        "to_street": list(values["to_street"]),
        "ship_date": shipment.ship_date.isoformat(),
    }
    shipping = _shipping(ctx, merchant_id)
    shop = _run(lambda: shipping.rates(shipment))
    for carrier, message in shop.error_messages.items():
        click.echo(f"warning: {carrier.display_name}: {message}", err=True)
    cheapest, fastest = shop.cheapest, shop.fastest
    if ctx.as_json:
        _out(
            ctx,
            {
                "merchant_id": merchant_id,
                "shipment": saved,
                "rates": [_rate_json(r) for r in shop.rates],
                "cheapest": _rate_json(cheapest) if cheapest else None,
                "fastest": _rate_json(fastest) if fastest else None,
                "errors": {c.value: message for c, message in shop.error_messages.items()},
            },
            "",
        )
    else:
        click.echo(f"{'rate id':<26} {'days':>4} {'total':>10}  name")
        for r in shop.rates:
            marks = [m for m, chosen in (("cheapest", cheapest), ("fastest", fastest)) if chosen == r]
            days = str(r.delivery_days) if r.delivery_days is not None else "-"
            click.echo(
                f"{rate_id(r):<26} {days:>4} {_money(r.total.amount):>10}  "
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


@ship.command()
@merchant_id_argument()
@_shipment_options_or_rates
@click.option("--carrier", type=_CARRIER, help="The carrier (with the shipment options).")
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
    **options: Any,
) -> None:
    """Buy one label and write it to --label-out; prints the tracking number, cost and who paid.

    The shipment is either given by its options with --carrier and --service, or taken with the rate
    from an earlier `ship rates --json` output (--from-rates FILE --rate ID).
    """
    values = _pop_shipment(options)
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
        except RatesFileError as exc:
            _fail(EXIT_USAGE, f"--from-rates: {exc}; nothing was bought")
        if set(values) != set(_SHIPMENT_KEYS):
            _fail(
                EXIT_USAGE, f"--from-rates: the shipment in {rates_file} is incomplete or altered; nothing was bought"
            )
        carrier = picked.value
    else:
        if wanted_rate is not None:
            _fail(EXIT_USAGE, "--rate picks a rate of a saved `ship rates --json` output: give --from-rates FILE too")
        missing = [f"--{k.replace('_', '-')}" for k in _REQUIRED_KEYS if values[k] in (None, ())]
        missing += [o for o, v in (("--carrier", carrier), ("--service", service)) if v is None]
        if missing:
            _fail(
                EXIT_USAGE,
                f"missing {', '.join(missing)} (or buy a saved rate: --from-rates FILE --rate RATE_ID); nothing "
                "was bought",
            )
    assert carrier is not None and service is not None
    chosen = _carrier(carrier.lower())
    shipment = _shipment(values, service)
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
    files = label_files(label, label_out)
    data = _label_json(label) | {
        "idempotency_key": idempotency_key,
        "label_file": str(label_out),
        "replayed": replayed,
        "packages": packages_json(label, files),
    }
    lines = [
        f"{label.carrier.display_name} {label.service_code} label "
        + ("already bought with this idempotency key: nothing was charged again" if replayed else "bought"),
        f"tracking number   {label.tracking_number or '(none for this mail class)'}",
        f"label id          {label.carrier_reference or '-'}",
        f"cost              {_money(label.cost.amount)}",
        f"paid by           {label.paid_by.payer_description()}",
        *package_lines(label),
    ]
    if label.quoted_cost is not None and label.above_quote is not None:  # a surcharge or a re-rating: say so
        above, quoted = label.above_quote.amount, label.quoted_cost.amount
        lines.insert(-1, f"rate quoted       {_money(quoted)} (charged {_money(above)} more)")
    if label.carrier is Carrier.USPS:
        accounts = ctx.accounts()
        try:
            balance = accounts.postage(merchant_id).balance().available_postage
            data["one_balance"] = str(balance)
            lines.append(f"One Balance now   {_money(balance)}")
        except OneBalanceError as exc:  # bought all the same: say so, do not fail
            lines.append(f"One Balance now   (could not be read: {type(exc).__name__})")
    written = label_out
    try:
        for written, package in zip(files, label.packages, strict=True):
            written.write_bytes(package.label_image)
            lines.append(f"label written to  {written} ({label.label_format}, {len(package.label_image)} bytes)")
    except OSError as exc:
        _out(ctx, data, "\n".join(lines))
        _fail(
            EXIT_FAILED,
            f"bought, but the label could not be written to {written}: {exc.strerror}; run the same command "
            "again (same --idempotency-key) to get it without buying again",
        )
    _out(ctx, data, "\n".join(lines))


_CARRIER_OVERRIDE = click.option(
    "--carrier",
    type=_CARRIER,
    help="Only to override: the carrier is found from the label journal, else from the tracking number's form.",
)


def _carrier_for(ctx: _Context, shipping: Shipping, number: str, given: str | None) -> Carrier:
    if given is not None:
        return _carrier(given.lower())
    found, _how = _run(lambda: find_carrier(shipping, number))
    if found is None:
        _fail(
            EXIT_USAGE,
            f"cannot tell the carrier of {number}: it is not in the label journal of {ctx.records_place} and its "
            "form is not one carrier's (see the support guide); give --carrier usps, ups or fedex",
        )
    return found


@ship.command()
@merchant_id_argument()
@click.argument("tracking_number", required=False)
@_CARRIER_OVERRIDE
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
    _needs_journal(ctx, "ship void")
    shipping = _shipping(ctx, merchant_id)
    number = numbers[0]
    chosen = _carrier_for(ctx, shipping, number, carrier)
    label = _run(lambda: shipping.find_label(chosen, number))
    if label is None:
        _fail(
            EXIT_USAGE,
            f"no {chosen.display_name} label {number} in the label journal of {ctx.records_place} for {merchant_id}",
        )
    package = number if package_only else None
    result: VoidResult = _run(lambda: shipping.void(label, package=package))
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
        "packages": list(result.packages),
    }
    _out(
        ctx,
        data,
        f"{void_subject(label, result, package)} " + (f"voided: {money}" if result.voided else "was NOT voided"),
    )
    if not result.voided:
        raise SystemExit(EXIT_FAILED)


@ship.command()
@merchant_id_argument()
@click.argument("tracking_number")
@_CARRIER_OVERRIDE
@click.option(
    "--shipment", "whole", is_flag=True, help="Every package of the shipment this number belongs to (from the journal)."
)
@click.pass_obj
def track(ctx: _Context, merchant_id: str, tracking_number: str, carrier: str | None, whole: bool) -> None:
    """Where the parcel is: its status and every scan, newest first (with --shipment, every package's)."""
    shipping = _shipping(ctx, merchant_id)
    chosen = _carrier_for(ctx, shipping, tracking_number, carrier)
    if whole:
        _needs_journal(ctx, "ship track --shipment")
        label = _run(lambda: shipping.find_label(chosen, tracking_number))
        if label is None:
            _fail(EXIT_USAGE, f"no {chosen.display_name} label {tracking_number} in the label journal of {merchant_id}")
        found = _run(lambda: shipping.track_shipment(label))
    else:
        found = (_run(lambda: shipping.track(chosen, tracking_number)),)
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
    _out(ctx, data, "\n".join(lines))


# -- reconciling purchases whose outcome is unknown ----------------------------------------------------
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


@ship.command()
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
    _needs_journal(ctx, "ship pending")
    journal = ctx.accounts().labels
    now = datetime.now(timezone.utc)
    cutoff = now - timedelta(minutes=older_than) if older_than is not None else None
    found = _run(lambda: journal.pending(merchant_id, started_before=cutoff))
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
    _out(ctx, {"pending": rows, "count": len(rows)}, text)
    if found:
        raise SystemExit(EXIT_ATTENTION)


@ship.command()
@click.option("--merchant", "merchant_id", required=True, help="The merchant whose purchase it is.")
@click.option("--carrier", type=_CARRIER, required=True)
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
    chosen = _carrier(carrier.lower())
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
    _needs_journal(ctx, "ship settle")
    journal = ctx.accounts().labels
    entry = _run(lambda: journal.get(merchant_id, chosen, idempotency_key))
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
    _run(lambda: journal.abandon(merchant_id, chosen, idempotency_key))
    after = _run(lambda: journal.get(merchant_id, chosen, idempotency_key))
    if after is not None and after.label is not None:  # the purchase's answer came in meanwhile
        _fail(
            EXIT_FAILED,
            f"not settled: the purchase completed meanwhile (label "
            f"{after.label.tracking_number or after.label.carrier_reference}); the key keeps that label",
        )
    _out(
        ctx,
        _entry_json(entry, now) | {"settled": "not_shipped", "key_freed": True},
        f"settled: key {idempotency_key} is free; buying with it again buys one {chosen.display_name} label",
    )


__all__ = ["ship"]
