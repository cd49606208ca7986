"""``ship connect-ups``, ``connect-fedex``, ``disconnect`` and ``carriers``: the merchant's own carrier
accounts (UPS and FedEx labels are billed to them; USPS is paid from the One Balance)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from onebalance.shipments import Carrier

from ._common import _Context, merchant_id_argument
from ._ship_options import as_carrier, out, run, shipping_of

F = TypeVar("F", bound=Callable[..., Any])


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
    out(
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


def _connect_command(carrier: Carrier, secret_env: str, number_help: str) -> click.Command:
    """``ship connect-ups`` / ``ship connect-fedex``: store the merchant's own account of ``carrier``."""

    @click.command(
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
        account = run(
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

    return connect


connect_ups = _connect_command(Carrier.UPS, "ONEBALANCE_UPS_CLIENT_SECRET", "The 6-character UPS shipper number.")
connect_fedex = _connect_command(Carrier.FEDEX, "ONEBALANCE_FEDEX_CLIENT_SECRET", "The 9-digit FedEx account number.")


@click.command("disconnect")
@merchant_id_argument()
@click.option("--carrier", type=click.Choice(["ups", "fedex"], case_sensitive=False), required=True)
@click.pass_obj
def disconnect(ctx: _Context, merchant_id: str, carrier: str) -> None:
    """Forget the merchant's UPS or FedEx account (the One Balance stays connected)."""
    accounts = ctx.accounts()
    forget = accounts.disconnect_ups if carrier.lower() == "ups" else accounts.disconnect_fedex
    had = run(lambda: forget(merchant_id))
    name = as_carrier(carrier).display_name
    out(
        ctx,
        {"merchant_id": merchant_id, "carrier": carrier.lower(), "disconnected": had},
        f"{name} account disconnected for {merchant_id}" if had else f"{merchant_id} had no {name} account",
    )


@click.command("carriers")
@merchant_id_argument()
@click.pass_obj
def carriers(ctx: _Context, merchant_id: str) -> None:
    """The merchant's carriers and who pays for each one's labels."""
    accounts = ctx.accounts()
    shipping_of(ctx, merchant_id)  # the One Balance must be connected
    stored = run(lambda: accounts.credentials(merchant_id))
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
    out(ctx, {"merchant_id": merchant_id, "carriers": rows}, text)


__all__ = ["carriers", "connect_fedex", "connect_ups", "disconnect"]
