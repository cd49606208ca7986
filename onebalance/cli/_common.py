"""Plumbing shared by the support commands: the credential store, its key, the endpoint, exit codes.

The merchants' data is either in files (``--store`` for the encrypted credentials, ``--records``
for the receipts, settings and label journal) or all in PostgreSQL (``--store-dsn``: a
:class:`~onebalance.PostgresStore`, credentials encrypted under the same key options).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from onebalance.accounts import Accounts
from onebalance.core import (
    ConfigurationError,
    CredentialStoreError,
    OneBalanceError,
    Service,
    StoreError,
    ValidationError,
)
from onebalance.stores import KEY_HELP as _KEY_HELP
from onebalance.stores import EncryptedFileCredentialStore, PostageRecords, PostgresStore, SqlitePostageRecords
from onebalance.swsim import DEFAULT_VERSION, VERSIONS

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ATTENTION, EXIT_CONFIG = 0, 1, 2, 3, 4
#: Where ``--api-version`` leaves its value in the click context (read by ``_Context``).
_API_VERSION = "onebalance.api_version"


class _Context:
    def __init__(
        self,
        store: Path | None,
        key_file: Path | None,
        endpoint: str | None,
        integration_id: str | None,
        as_json: bool,
        store_dsn: str | None = None,
        store_schema: str | None = None,
        records_path: Path | None = None,
    ) -> None:
        self.store_path, self.key_file, self.endpoint, self.integration_id = store, key_file, endpoint, integration_id
        self.as_json = as_json
        self.store_dsn = store_dsn or None
        self.store_schema = store_schema or "onebalance"
        self.records_path = records_path
        self._accounts: Accounts | None = None
        click_context = click.get_current_context(silent=True)
        #: The SWSIM version of every One Balance call (``--api-version``; v135 by default).
        self.api_version = (click_context.meta.get(_API_VERSION) if click_context else None) or DEFAULT_VERSION.name

    @property
    def keeps_records(self) -> bool:
        """Whether receipts, settings and the label journal outlive this command (a file or PostgreSQL)."""
        return self.records_path is not None or self.store_dsn is not None

    @property
    def records_place(self) -> str:
        """Where the receipts, settings and label journal are, for messages (never the DSN's password)."""
        if self.store_dsn is not None:
            return "the PostgreSQL store (--store-dsn)"
        return str(self.records_path) if self.records_path is not None else "memory"

    def accounts(self) -> Accounts:
        if self._accounts is None:
            if self.store_dsn is not None and self.store_path is not None:
                _fail(EXIT_CONFIG, "pass one of --store (a credential file) or --store-dsn (PostgreSQL), not both")
            if self.store_dsn is not None and self.records_path is not None:
                _fail(
                    EXIT_CONFIG,
                    "--records is not used with --store-dsn: the receipts, settings and label journal are kept in "
                    "PostgreSQL (unset ONEBALANCE_RECORDS or ONEBALANCE_STORE_DSN)",
                )
            if self.store_path is None and self.store_dsn is None:
                _fail(
                    EXIT_CONFIG,
                    "no credential store: pass --store PATH (or ONEBALANCE_CREDENTIALS_STORE) or "
                    "--store-dsn postgresql://... (or ONEBALANCE_STORE_DSN)",
                )
            if self.store_path is not None and not self.store_path.exists():
                # A mistyped path would otherwise be an empty store: "total 0", exit 0, a stray .lock file.
                _fail(
                    EXIT_USAGE,
                    f"the credential store {self.store_path} does not exist (check --store or "
                    "ONEBALANCE_CREDENTIALS_STORE); nothing was read or created",
                )
            if not self.endpoint or not self.integration_id:
                _fail(
                    EXIT_CONFIG,
                    "pass --endpoint and --integration-id (or ONEBALANCE_ENDPOINT and ONEBALANCE_INTEGRATION_ID)",
                )
            try:
                self._accounts = self._open()
            except (ConfigurationError, CredentialStoreError, StoreError) as exc:
                _fail(EXIT_CONFIG, for_the_command_line(str(exc)))
        assert self._accounts is not None
        return self._accounts

    def _open(self) -> Accounts:
        integration_id, endpoint = self.integration_id or "", self.endpoint or ""
        if self.store_dsn is not None:
            shared = PostgresStore(self.store_dsn, key_file=self.key_file, schema=self.store_schema)
            click_context = click.get_current_context(silent=True)
            if click_context is not None:  # the pool's connections end with the command
                click_context.call_on_close(shared.close)
            try:
                return Accounts(
                    integration_id=integration_id, endpoint=endpoint, store=shared, api_version=self.api_version
                )
            except BaseException:
                shared.close()
                raise
        assert self.store_path is not None
        store = EncryptedFileCredentialStore(self.store_path, key_file=self.key_file)
        records: PostageRecords | None = None
        if self.records_path is not None:
            records = SqlitePostageRecords(self.records_path)
        return Accounts(
            integration_id=integration_id, endpoint=endpoint, store=store, records=records, api_version=self.api_version
        )


#: What the SDK's key messages tell a Python caller, and what they tell a person at the command line.
_KEY_HELP_CLI = (
    "pass --key-file FILE (one key a line, mode 0600) or set ONEBALANCE_CREDENTIALS_KEY (keys separated by "
    "commas) or ONEBALANCE_CREDENTIALS_KEY_FILE (a key file): the platform's key for this store (see Setup in "
    "the support guide)"
)


def needs_journal(ctx: _Context, what: str, why: str) -> None:
    """Exit 4 unless the command has a store that keeps journals (``why``: what the journal is for)."""
    if not ctx.keeps_records:
        _fail(
            EXIT_CONFIG,
            f"{what} needs the records file (--records FILE or ONEBALANCE_RECORDS) or the PostgreSQL store "
            f"(--store-dsn or ONEBALANCE_STORE_DSN): {why}",
        )


def minutes_since(started_at: datetime, now: datetime) -> int:
    """Whole minutes from ``started_at`` to ``now`` (never negative), for the pending lists."""
    return max(0, int((now - started_at).total_seconds() // 60))


def for_the_command_line(message: str) -> str:
    """An SDK configuration message in the command's words: options and environment variables, not
    Python arguments; every command reads the store first, so a missing key is one to decrypt it."""
    return message.replace("no key to encrypt the credential store", "no key to decrypt the credential store").replace(
        _KEY_HELP, _KEY_HELP_CLI
    )


#: How an error line names the service that refused (``OneBalanceError.source``).
SERVICE_NAMES = {Service.ONEBALANCE: "One Balance", Service.UPS: "UPS", Service.FEDEX: "FedEx"}


def error_line(exc: OneBalanceError) -> str:
    """``exc`` for an error line: the service that refused first (``One Balance: AccountLocked: ...``), then
    the error's class and message; an error of the SDK's own (bad input, no connection) names no service."""
    said = f"{type(exc).__name__}: {exc}"
    return f"{SERVICE_NAMES[exc.source]}: {said}" if exc.source is not None else said


def _fail(code: int, message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


F = TypeVar("F", bound=Callable[..., Any])


def _json_after_the_command(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    found = ctx.find_object(_Context)
    if value and found is not None:
        found.as_json = True


class SupportGroup(click.Group):
    """A command group whose commands take ``--json`` after their name too: ``account status shop-1 --json``
    as well as ``account --json status shop-1``, since people type it both ways."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any(isinstance(p, click.Option) and "--json" in p.opts for p in cmd.params):
            cmd.params.append(
                click.Option(
                    ["--json"],
                    is_flag=True,
                    expose_value=False,
                    callback=_json_after_the_command,
                    help="Machine-readable output for scripts (before or after the command name).",
                )
            )
        super().add_command(cmd, name)


def common_options(fn: F) -> F:
    """--store, --store-dsn, --store-schema, --key-file, --endpoint, --integration-id, --json (the context
    is built from them)."""
    options = [
        click.option(
            "--store",
            type=click.Path(dir_okay=False, path_type=Path),
            envvar="ONEBALANCE_CREDENTIALS_STORE",
            help="The encrypted credential store (env ONEBALANCE_CREDENTIALS_STORE).",
        ),
        click.option(
            "--store-dsn",
            envvar="ONEBALANCE_STORE_DSN",
            metavar="postgresql://...",
            help="Keep everything (credentials encrypted, receipts, settings, label journal) in PostgreSQL "
            "instead of --store and --records (env ONEBALANCE_STORE_DSN).",
        ),
        click.option(
            "--store-schema",
            envvar="ONEBALANCE_STORE_SCHEMA",
            help="With --store-dsn: the PostgreSQL schema of the tables (default onebalance; env "
            "ONEBALANCE_STORE_SCHEMA).",
        ),
        click.option(
            "--key-file",
            type=click.Path(dir_okay=False, exists=True, path_type=Path),
            help="A file with the store's key(s); otherwise ONEBALANCE_CREDENTIALS_KEY(_FILE).",
        ),
        click.option("--endpoint", envvar="ONEBALANCE_ENDPOINT", help="The SWSIM endpoint (env ONEBALANCE_ENDPOINT)."),
        click.option("--integration-id", envvar="ONEBALANCE_INTEGRATION_ID", help="env ONEBALANCE_INTEGRATION_ID"),
        api_version_option(),
        click.option("--json", "as_json", is_flag=True, help="Machine-readable output for scripts."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _merchant_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return EncryptedFileCredentialStore.check_merchant_id(value)
    except ValidationError as exc:
        raise click.BadParameter(exc.message) from None


def merchant_id_argument(*, required: bool = True) -> Callable[[F], F]:
    """The ``MERCHANT_ID`` argument: one that no store would accept is a usage error (exit 2), refused
    before the store is opened or anything is sent."""
    return click.argument("merchant_id", required=required, callback=_merchant_id)


def api_version_option(*, expose_value: bool = False) -> Callable[[F], F]:
    """``--api-version v135|v111`` (env ONEBALANCE_API_VERSION): the SWSIM version spoken, v135 by default.

    Not passed to the command (unless ``expose_value``): ``_Context`` reads it from the click context.
    """

    def remember(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is not None:
            ctx.meta[_API_VERSION] = value
        return value

    return click.option(
        "--api-version",
        type=click.Choice(list(VERSIONS), case_sensitive=False),
        envvar="ONEBALANCE_API_VERSION",
        expose_value=expose_value,
        callback=remember,
        help=f"The SWSIM version to speak (default {DEFAULT_VERSION.name}; env ONEBALANCE_API_VERSION). "
        "The endpoint's path follows it.",
    )


def records_option(kept: str) -> Callable[[F], F]:
    """``--records FILE`` (env ONEBALANCE_RECORDS): the SQLite file of ``kept``."""
    return click.option(
        "--records",
        "records_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="ONEBALANCE_RECORDS",
        help=f"SQLite file of {kept} (env ONEBALANCE_RECORDS).",
    )
