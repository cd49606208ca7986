"""``onebalance demo``: the SDK's whole flow, on the embedded sandbox or any SWSIM endpoint."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

from .._client import OneBalance
from .._errors import AuthenticationFailed, OneBalanceError
from .._models import Account
from ..sandbox import Sandbox


def _step(title: str) -> None:
    click.echo()
    click.secho(f"== {title}", bold=True)


def account_summary(account: Account) -> str:
    caps = account.capabilities
    lines = [
        f"  username             {account.username}",
        f"  customer id          {account.customer_id}",
        f"  meter number         {account.meter_number}",
        f"  user id              {account.user_id}",
        f"  status               {account.account_status or 'not reported'}",
        f"  plan                 {account.plan_id}",
        f"  available postage    ${account.available_postage:,.2f}",
        f"  control total        ${account.control_total:,.2f}",
        f"  max postage balance  ${account.max_postage_balance:,.2f}",
        f"  may buy postage      {'yes' if caps.can_purchase_postage else 'no (admins only)'}",
        f"  must use cost codes  {'yes' if caps.must_use_cost_codes else 'no'}",
        f"  all mail classes     {'yes' if caps.allow_all_mail_classes else 'no (plan restricts services)'}",
    ]
    return "\n".join(lines)


@contextlib.contextmanager
def _embedded() -> Iterator[tuple[str, str, str, str, Sandbox]]:
    box = Sandbox()
    creds = box.create_demo_account()
    with box.serve() as server:
        yield server.url, creds.integration_id, creds.username, creds.password, box


@click.command()
@click.option(
    "--endpoint",
    envvar="ONEBALANCE_ENDPOINT",
    help="A SWSIM-compatible endpoint instead of the embedded sandbox (env ONEBALANCE_ENDPOINT).",
)
@click.option("--integration-id", envvar="ONEBALANCE_INTEGRATION_ID", help="env ONEBALANCE_INTEGRATION_ID")
@click.option("--username", envvar="ONEBALANCE_USERNAME", help="env ONEBALANCE_USERNAME")
@click.option(
    "--password",
    envvar="ONEBALANCE_PASSWORD",
    help="env ONEBALANCE_PASSWORD (prefer the variable: options show in the process list)",
)
def demo(endpoint: str | None, integration_id: str | None, username: str | None, password: str | None) -> None:
    """Walk through what the SDK does, on the embedded sandbox (or --endpoint)."""
    if endpoint:
        missing = [
            n
            for n, v in (("--integration-id", integration_id), ("--username", username), ("--password", password))
            if not v
        ]
        if missing:
            raise click.UsageError(f"--endpoint needs {', '.join(missing)} (or their ONEBALANCE_* variables)")
        assert integration_id and username and password
        _walk(endpoint, integration_id, username, password, None)
        return
    with _embedded() as (url, iid, user, pwd, box):
        click.echo(f"Started the embedded One Balance sandbox at {url}")
        _walk(url, iid, user, pwd, box)


def _walk(url: str, integration_id: str, username: str, password: str, box: Sandbox | None) -> None:
    try:
        client = OneBalance(integration_id=integration_id, username=username, password=password, endpoint=url)
        _step("1. Log in (AuthenticateUser starts a rolling conversation)")
        login = client.authenticate()
        click.echo(f"  logged in as {username}; password expired: {'yes' if login.password_expired else 'no'}")

        _step("2. Account summary (GetAccountInfo)")
        click.echo(account_summary(client.account()))

        _step("3. Another instance logs in as the same user; this client recovers on its own")
        other = OneBalance(integration_id=integration_id, username=username, password=password, endpoint=url)
        other.authenticate()
        click.echo("  a second login superseded the first conversation (the service answers 002b0203)")
        balance = client.account().available_postage
        click.echo(f"  the first client logged in again transparently and read the balance: ${balance:,.2f}")

        if box is not None:
            _step("4. A wrong password gives a typed error that names the problem and holds no secret")
            wrong = OneBalance(
                integration_id=integration_id,
                username=username,
                password="not-the-password1",  # noqa: S106
                endpoint=url,
            )
            try:
                wrong.account()
            except AuthenticationFailed as exc:
                click.echo(f"  {type(exc).__name__}: {exc}")
    except OneBalanceError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
    click.echo()
    click.secho("Demo finished.", fg="green")
