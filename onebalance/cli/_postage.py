"""``onebalance postage``: balance, quotes, purchases, auto-refill and history for one merchant.

``pending`` and ``settle`` reconcile the purchases the refill journal still has as pending (a
purchase, manual or automatic, whose process died or whose answer was lost before it was
recorded): ``pending`` lists them, ``settle`` resolves them against the service by their
IntegratorTxID, making the receipt of each one bought and marking the others not bought. It
never buys. Both need the refill journal to outlive a command: the records file (``--records``
or ``ONEBALANCE_RECORDS``) or the PostgreSQL store (``--store-dsn``).

Exit codes as for ``onebalance account``: 0 done, 1 failed, 2 usage, 3 ``pending`` found
purchases to reconcile or ``settle`` left some pending, 4 configuration.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click

from onebalance.core import WITH_OLD_NAMES, ConfigurationError, CredentialStoreError, OneBalanceError, ValidationError
from onebalance.funding import SETTLE_AFTER, Postage, Quote, RefillSettlement, money
from onebalance.stores import AutoRefillSettings, RefillEntry
from onebalance.swsim import Receipt

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


@click.group(cls=SupportGroup)
@common_options
@records_option("receipts, funding settings and the refill journal")
@click.pass_context
def postage(
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
    """Fund merchants' USPS postage (One Balance)."""
    ctx.obj = _Context(store, key_file, endpoint, integration_id, as_json, store_dsn, store_schema, records_path)


def _postage(ctx: _Context, merchant_id: str) -> Postage:
    try:
        return ctx.accounts().postage(merchant_id)
    except (ConfigurationError, CredentialStoreError) as exc:
        _fail(EXIT_CONFIG, str(exc))
    except OneBalanceError as exc:
        _fail(EXIT_FAILED, error_line(exc))


def _out(ctx: _Context, data: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if ctx.as_json else text)


def _run(fn: Any) -> Any:
    try:
        return fn()
    except ValidationError as exc:
        _fail(EXIT_USAGE, error_line(exc))
    except (ConfigurationError, CredentialStoreError) as exc:
        _fail(EXIT_CONFIG, str(exc))
    except OneBalanceError as exc:
        _fail(EXIT_FAILED, error_line(exc))


@postage.command()
@merchant_id_argument()
@click.pass_obj
def balance(ctx: _Context, merchant_id: str) -> None:
    """The postage balance, its maximum, and the auto-refill settings."""
    funding = _postage(ctx, merchant_id)
    current = _run(funding.balance)
    settings = funding.settings
    text = (
        f"available postage  ${current.available_postage:,.2f}\n"
        f"maximum balance    ${current.max_postage_balance:,.2f} (room for ${current.room:,.2f})\n"
        f"control total      ${current.control_total:,.2f}"
    )
    if current.low:
        text += f"\nLOW: below the warning threshold of ${settings.low_balance_threshold:,.2f}"
    if settings.auto_refill and settings.auto_refill.enabled:
        text += (
            f"\nauto-refill        ${settings.auto_refill.amount:,.2f} when below "
            f"${settings.auto_refill.threshold:,.2f}"
        )
    _out(
        ctx,
        current.model_dump(mode="json", context=WITH_OLD_NAMES) | {"room": str(current.room), "low": current.low},
        text,
    )


def _amount_args(fn: Any) -> Any:
    fn = click.option("--cost-account", help="Cost account id or name.")(fn)
    fn = click.option("--default", "use_default", is_flag=True, help="The default refill amount.")(fn)
    fn = click.option("--last", "use_last", is_flag=True, help="The last refill amount.")(fn)
    fn = click.argument("amount", required=False)(fn)
    return merchant_id_argument()(fn)


def _quote(funding: Postage, amount: str | None, use_last: bool, use_default: bool, cost_account: str | None) -> Quote:
    if sum((amount is not None, use_last, use_default)) != 1:
        raise click.UsageError("give one of AMOUNT, --last or --default")
    preset = "last" if use_last else "default" if use_default else None
    cost: int | str | None = int(cost_account) if cost_account and cost_account.isdigit() else cost_account
    quote: Quote = _run(lambda: funding.quote(amount, preset=preset, cost_account=cost))  # type: ignore[arg-type]
    return quote


@postage.command()
@_amount_args
@click.pass_obj
def quote(
    ctx: _Context, merchant_id: str, amount: str | None, use_last: bool, use_default: bool, cost_account: str | None
) -> None:
    """Price a purchase and check it against every rule; nothing is bought."""
    result = _quote(_postage(ctx, merchant_id), amount, use_last, use_default, cost_account)
    _out(ctx, result.model_dump(mode="json", context=WITH_OLD_NAMES), result.text())


@postage.command()
@_amount_args
@click.option("--yes", is_flag=True, help="Buy without asking for confirmation.")
@click.option("--receipt-pdf", type=click.Path(dir_okay=False, path_type=Path), help="Write the receipt as a PDF.")
@click.pass_obj
def add(
    ctx: _Context,
    merchant_id: str,
    amount: str | None,
    use_last: bool,
    use_default: bool,
    cost_account: str | None,
    yes: bool,
    receipt_pdf: Path | None,
) -> None:
    """Add postage: show the quote, confirm, buy once, print the receipt."""
    funding = _postage(ctx, merchant_id)
    offer = _quote(funding, amount, use_last, use_default, cost_account)
    click.echo(offer.text(), err=ctx.as_json)
    if not yes:
        try:
            confirmed = click.confirm("Buy it?", default=False, err=True)
        except click.Abort:
            confirmed = False
        if not confirmed:
            _fail(EXIT_USAGE, "not bought (confirm, or pass --yes)")
    receipt: Receipt = _run(lambda: funding.buy(offer))
    _out(
        ctx, receipt.model_dump(mode="json", context=WITH_OLD_NAMES), receipt.text()
    )  # the receipt first: the money has moved
    if receipt_pdf is not None:
        try:
            receipt_pdf.write_bytes(receipt.pdf())
        except OSError as exc:
            _fail(EXIT_FAILED, f"bought, but the PDF receipt could not be written to {receipt_pdf}: {exc.strerror}")


@postage.command("auto-refill")
@merchant_id_argument()
@click.option("--enable/--disable", default=None, help="Turn the SDK's auto-refill on or off.")
@click.option("--threshold", help="Refill when a label would take the balance below this.")
@click.option("--amount", help="How much to add each time (at least $10.00).")
@click.option("--cost-account", help="Cost account (id or name) to charge refills to.")
@click.option("--prompt/--no-prompt", "prompt", default=None, help="Ask before each refill.")
@click.option(
    "--cover-shortfall/--no-cover-shortfall",
    default=None,
    help="Buy more than --amount when that would not pay for the label.",
)
@click.option("--email", help="Email a notice after each refill.")
@click.option("--service", is_flag=True, help="Set the service's own auto-buy (SetAutoBuy) instead.")
@click.pass_obj
def auto_refill(
    ctx: _Context,
    merchant_id: str,
    enable: bool | None,
    threshold: str | None,
    amount: str | None,
    cost_account: str | None,
    prompt: bool | None,
    cover_shortfall: bool | None,
    email: str | None,
    service: bool,
) -> None:
    """Show or change auto-refill (the SDK's policy, or with --service the service's own)."""
    funding = _postage(ctx, merchant_id)
    if service:
        if enable is None:
            raise click.UsageError("--service needs --enable or --disable")
        result = _run(lambda: funding.set_auto_buy(enable, amount=amount, threshold=threshold))
        _out(
            ctx,
            result.model_dump(mode="json", context=WITH_OLD_NAMES),
            f"service auto-buy: on, ${result.amount:,.2f} below ${result.threshold:,.2f}"
            if result.enabled
            else "service auto-buy: off",
        )
        return
    current = funding.settings.auto_refill
    changes = (enable, cost_account, prompt, cover_shortfall)
    if threshold or amount or email or any(change is not None for change in changes):
        values: dict[str, Any] = current.model_dump() if current else {}
        values.update(
            {
                k: v
                for k, v in {
                    "enabled": enable,
                    "threshold": threshold and _run(lambda: money(threshold, "threshold")),
                    "amount": amount and _run(lambda: money(amount, "amount")),
                    "cost_account_id": cost_account and _run(lambda: funding.find_cost_account(cost_account)).id,
                    "prompt_before_refill": prompt,
                    "cover_shortfall": cover_shortfall,
                    "notify_email": email,
                }.items()
                if v is not None
            }
        )
        if "threshold" not in values or "amount" not in values:
            raise click.UsageError("a new auto-refill needs --threshold and --amount")
        new = _run(lambda: AutoRefillSettings(**values))
        _kept(ctx)
        funding.update_settings(auto_refill=new)
        current = new
    if current is None:
        _out(ctx, {"auto_refill": None}, "auto-refill: off (not set)")
        return
    charged = ""
    if current.cost_account_id is not None:
        names = {c.id: c.name for c in _run(funding.cost_accounts)}
        charged = f", charged to cost account {names.get(current.cost_account_id, '?')} ({current.cost_account_id})"
    _out(
        ctx,
        current.model_dump(mode="json", context=WITH_OLD_NAMES),
        f"auto-refill: {'on' if current.enabled else 'off'}, ${current.amount:,.2f} when a label would take the "
        f"balance below ${current.threshold:,.2f}"
        + charged
        + (", asks first" if current.prompt_before_refill else "")
        + (", covers a dearer label's shortfall" if current.cover_shortfall else "")
        + (f", notifies {current.notify_email}" if current.notify_email else ""),
    )


@postage.command()
@merchant_id_argument()
@click.option("--mailstation/--no-mailstation", default=None, help="The store has a Mailstation (3.5% card fee).")
@click.option("--default-amount", help="The default refill amount.")
@click.option("--low-threshold", help="Warn when the balance is below this.")
@click.pass_obj
def settings(
    ctx: _Context, merchant_id: str, mailstation: bool | None, default_amount: str | None, low_threshold: str | None
) -> None:
    """Show or change the merchant's funding settings (kept in --records)."""
    funding = _postage(ctx, merchant_id)
    changes: dict[str, Any] = {}
    if mailstation is not None:
        changes["has_mailstation"] = mailstation
    if default_amount is not None:
        changes["default_refill_amount"] = _run(lambda: money(default_amount, "default_amount"))
    if low_threshold is not None:
        changes["low_balance_threshold"] = _run(lambda: money(low_threshold, "low_threshold"))
    if changes:
        _kept(ctx)
        current = _run(lambda: funding.update_settings(**changes))
    else:
        current = funding.settings
    _out(
        ctx,
        current.model_dump(mode="json", context=WITH_OLD_NAMES),
        f"mailstation        {'yes' if current.has_mailstation else 'no'}\n"
        f"default refill     ${current.default_refill_amount:,.2f}\n"
        f"low-balance alert  " + (f"${current.low_balance_threshold:,.2f}" if current.low_balance_threshold else "off"),
    )


def _kept(ctx: _Context) -> None:
    if not ctx.keeps_records:
        click.echo(
            "warning: no --records file (or ONEBALANCE_RECORDS) nor --store-dsn: this change lasts only for this "
            "command",
            err=True,
        )


@postage.command()
@merchant_id_argument()
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: 30 days ago).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: no end).")
@click.option(
    "--type",
    "types",
    multiple=True,
    type=click.Choice(["Purchase", "Credit", "Print", "Adjustment", "Refund"]),
    help="Only these types.",
)
@click.option("--cost-account", help="Only entries charged to this cost account (id or name).")
@click.option("--csv", "csv_path", help="Write CSV to this file ('-' for standard output).")
@click.pass_obj
def history(
    ctx: _Context,
    merchant_id: str,
    since: Any,
    until: Any,
    types: tuple[str, ...],
    cost_account: str | None,
    csv_path: str | None,
) -> None:
    """Purchases, prints, refunds and adjustments with the running balance."""
    funding = _postage(ctx, merchant_id)
    start: date | None = since.date() if since else None
    end: date | None = until.date() if until else None
    cost: int | str | None = int(cost_account) if cost_account and cost_account.isdigit() else cost_account
    found = _run(lambda: funding.history(start, end, types=list(types) or None, cost_account=cost))  # type: ignore[arg-type]
    if csv_path == "-":
        sys.stdout.write(found.csv())
        return
    if csv_path:
        Path(csv_path).write_text(found.csv())
    if ctx.as_json:
        click.echo(json.dumps(found.model_dump(mode="json", context=WITH_OLD_NAMES), indent=2))
        return
    click.echo(f"{'date':<16} {'type':<11} {'cost':>9} {'credit':>9} {'balance':>9}  receipt")
    for e in found.entries:
        click.echo(
            f"{e.occurred_at:%Y-%m-%d %H:%M} {e.type:<11} {e.cost:>9.2f} {e.credit:>9.2f} {e.balance:>9.2f}  "
            f"{e.receipt_id or ''}{' (' + e.cost_account + ')' if e.cost_account else ''}"
        )


# -- reconciling purchases cut off mid-way -------------------------------------------------------------
def _needs_journal(ctx: _Context, what: str) -> None:
    needs_journal(ctx, what, "its refill journal is where each purchase is written down before it is sent")


def _refill_json(entry: RefillEntry, now: datetime) -> dict[str, Any]:
    return {
        "merchant_id": entry.merchant_id,
        "integrator_tx_id": entry.integrator_tx_id,
        "kind": entry.kind,
        "amount": f"{entry.amount:.2f}",
        "total": f"{entry.total:.2f}",
        "total_charged": f"{entry.total:.2f}",  # the old key of total, for one release (as WITH_OLD_NAMES)
        "started_at": entry.started_at.isoformat(),
        "age_minutes": minutes_since(entry.started_at, now),
        "state": entry.state,
    }


@postage.command()
@merchant_id_argument(required=False)
@click.option("--all", "all_", is_flag=True, help="Every merchant's pending purchases.")
@click.option(
    "--older-than",
    type=click.IntRange(min=0),
    metavar="MINUTES",
    help="Only purchases sent more than MINUTES ago (a younger one may still be waiting for its answer).",
)
@click.pass_obj
def pending(ctx: _Context, merchant_id: str | None, all_: bool, older_than: int | None) -> None:
    """List the postage purchases whose outcome is unknown (oldest first): exit 3 when there are any."""
    if bool(merchant_id) == all_:
        _fail(EXIT_USAGE, "give one of MERCHANT_ID or --all")
    _needs_journal(ctx, "postage pending")
    journal = ctx.accounts().refills
    now = datetime.now(timezone.utc)
    cutoff = now - timedelta(minutes=older_than) if older_than is not None else None
    found: list[RefillEntry] = _run(lambda: journal.pending(merchant_id, started_before=cutoff))
    if not found:
        text = "no pending postage purchases" + (f" for {merchant_id}" if merchant_id else "")
    else:
        lines = [f"{'merchant':<16} {'integrator tx id':<43} {'kind':<11} {'amount':>9}  {'sent at (UTC)':<19} age"]
        for e in found:
            lines.append(
                f"{e.merchant_id:<16} {e.integrator_tx_id:<43} {e.kind:<11} {e.amount:>9.2f}  "
                f"{e.started_at.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} {minutes_since(e.started_at, now)}m"
            )
        lines.append(
            f"{len(found)} pending: `onebalance postage settle MERCHANT_ID` asks the service about each one "
            "(it buys nothing)"
        )
        text = "\n".join(lines)
    _out(ctx, {"pending": [_refill_json(e, now) for e in found], "count": len(found)}, text)
    if found:
        raise SystemExit(EXIT_ATTENTION)


def _settled_line(result: RefillSettlement) -> str:
    entry = result.entry
    what = f"{entry.integrator_tx_id} (${entry.amount:,.2f}, {entry.kind}, sent {entry.started_at:%Y-%m-%d %H:%M} UTC)"
    if result.outcome == "bought":
        receipt = f", receipt {result.receipt.receipt_id}" if result.receipt else ""
        return f"bought      {what}: {result.detail}{receipt}"
    if result.outcome == "not_bought":
        return f"not bought  {what}: {result.detail}"
    return f"pending     {what}: {result.detail}"


@postage.command()
@merchant_id_argument()
@click.option("--key", "integrator_tx_id", help="Only the purchase with this IntegratorTxID (see `postage pending`).")
@click.option(
    "--older-than",
    type=click.IntRange(min=0),
    default=int(SETTLE_AFTER.total_seconds() // 60),
    show_default=True,
    metavar="MINUTES",
    help="Settle only purchases sent more than MINUTES ago: a younger one may still be waiting for its answer.",
)
@click.pass_obj
def settle(ctx: _Context, merchant_id: str, integrator_tx_id: str | None, older_than: int) -> None:
    """Resolve the merchant's pending postage purchases against the service; buys nothing.

    Each one the service had gets its receipt; each one it did not is marked not bought (buy the
    postage again with `postage add` if it is still wanted). Exit 3 when some stay pending.
    """
    _needs_journal(ctx, "postage settle")
    funding = _postage(ctx, merchant_id)
    if integrator_tx_id is not None:
        entry = _run(lambda: funding.refills.get(integrator_tx_id))
        if entry is None or entry.merchant_id != merchant_id:
            _fail(
                EXIT_USAGE,
                f"no postage purchase {integrator_tx_id} of {merchant_id} in the refill journal of "
                f"{ctx.records_place}; nothing changed",
            )
        if not entry.pending:
            _fail(
                EXIT_USAGE,
                f"the purchase {integrator_tx_id} is settled already ({entry.state.replace('_', ' ')}); nothing "
                "changed",
            )
    results: list[RefillSettlement] = _run(
        lambda: funding.settle(integrator_tx_id, older_than=timedelta(minutes=older_than))
    )
    left = [r for r in results if r.outcome == "pending"]
    now = datetime.now(timezone.utc)
    lines = [_settled_line(r) for r in results] or [f"no pending postage purchases for {merchant_id}"]
    if any(r.outcome == "not_bought" for r in results):
        lines.append(f"nothing was bought for the ones not bought: `onebalance postage add {merchant_id} AMOUNT` buys")
    if left:
        lines.append(f"{len(left)} still pending: settle again later")
    rows = [
        _refill_json(r.entry, now)
        | {"outcome": r.outcome, "detail": r.detail, "receipt_id": r.receipt.receipt_id if r.receipt else None}
        for r in results
    ]
    _out(ctx, {"settled": rows, "pending": len(left)}, "\n".join(lines))
    if left:
        raise SystemExit(EXIT_ATTENTION)
