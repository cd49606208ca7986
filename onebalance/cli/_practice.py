"""``onebalance sandbox practice``: a practice merchant on a running ``sandbox serve``, with no Python.

It opens a One Balance account in the served sandbox (through its control API), makes a key file
and an encrypted credential store in a directory, connects the merchant there as a platform would,
and prints the exact commands to run next: a support agent practises the support guide's
walkthrough as written, against the sandbox.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import click

from onebalance.accounts import Accounts
from onebalance.core import OneBalanceError
from onebalance.sandbox import DEMO_INTEGRATION_ID, SandboxControl
from onebalance.stores import EncryptedFileCredentialStore

from ._common import error_line


def _key_file(path: Path) -> None:
    """A new key file (mode 0600), unless the directory has one already (its store stays readable)."""
    if path.exists():
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(EncryptedFileCredentialStore.generate_key() + "\n")


@click.command()
@click.option(
    "--endpoint",
    required=True,
    envvar="ONEBALANCE_ENDPOINT",
    help="The URL `onebalance sandbox serve` printed (env ONEBALANCE_ENDPOINT).",
)
@click.option("--merchant", "merchant_id", default="shop-practice", show_default=True, help="The merchant's id.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("onebalance-practice"),
    show_default=True,
    help="Where the key file, the credential store and the records file are made (again: reused).",
)
@click.option("--balance", default="100.00", show_default=True, help="A new practice account's postage balance.")
@click.option(
    "--username",
    help="Connect this existing sandbox account (the demo one, or one made with the control API's create_account) "
    "instead of opening a new one; with --password.",
)
@click.option("--password", help="The sandbox account's password (with --username; sandbox accounts only).")
@click.option("--json", "as_json", is_flag=True, help="Print the files and the variables as one JSON object.")
def practice(
    endpoint: str,
    merchant_id: str,
    directory: Path,
    balance: str,
    username: str | None,
    password: str | None,
    as_json: bool,
) -> None:
    """Connect a practice merchant to a running `onebalance sandbox serve` and make its key and store.

    Prints the variables to export and the commands to try next. Run it again with another --merchant
    to add a merchant to the same store.
    """
    if (username is None) != (password is None):
        raise click.UsageError("give --username and --password together (or neither, for a new practice account)")
    control = SandboxControl(endpoint)
    if not control.available():
        raise click.ClickException(
            f"no onebalance sandbox answers at {endpoint}: start one with `onebalance sandbox serve` and pass the "
            "URL it prints"
        )
    if username is None or password is None:
        username, password = f"practice-{merchant_id}"[:40], f"Practice-{secrets.token_hex(6)}9"
        try:
            control.call("create_account", username=username, password=password, balance=balance)
        except RuntimeError as exc:
            raise click.ClickException(f"the sandbox did not open the practice account: {exc}") from None
    directory.mkdir(parents=True, exist_ok=True)
    key_file, store_path, records = directory / "store.key", directory / "credentials.json", directory / "records.db"
    _key_file(key_file)
    try:
        store = EncryptedFileCredentialStore(store_path, key_file=key_file)
        accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=endpoint, store=store)
        diagnosis = accounts.connect(merchant_id, username=username, password=password)
    except OneBalanceError as exc:
        raise click.ClickException(error_line(exc)) from None
    variables = {
        "ONEBALANCE_CREDENTIALS_STORE": str(store_path.resolve()),
        "ONEBALANCE_CREDENTIALS_KEY_FILE": str(key_file.resolve()),
        "ONEBALANCE_RECORDS": str(records.resolve()),
        "ONEBALANCE_ENDPOINT": endpoint,
        "ONEBALANCE_INTEGRATION_ID": DEMO_INTEGRATION_ID,
    }
    steps = [
        f"onebalance account status {merchant_id}",
        f"onebalance account diagnose {merchant_id}",
        f"onebalance postage balance {merchant_id}",
        "onebalance account status --all",
    ]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "merchant_id": merchant_id,
                    "username": username,
                    "state": diagnosis.state.value,
                    "env": variables,
                    "next": steps,
                }
            )
        )
        return
    click.echo(f"practice merchant {merchant_id} connected (One Balance user {username}, {diagnosis.state.value})")
    click.echo(f"key file {key_file} (mode 0600), store {store_path}, records {records}")
    click.echo("next, in this shell:")
    for name, value in variables.items():
        click.echo(f"  export {name}={value}")
    for step in steps:
        click.echo(f"  {step}")


__all__ = ["practice"]
