"""Plumbing shared by the support commands: the credential store, its key, the endpoint, exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from .._accounts import Accounts
from .._credentials import EncryptedFileCredentialStore
from .._errors import ConfigurationError, CredentialStoreError
from .._records import PostageRecords, SqlitePostageRecords

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ATTENTION, EXIT_CONFIG = 0, 1, 2, 3, 4


class _Context:
    def __init__(
        self, store: Path | None, key_file: Path | None, endpoint: str | None, integration_id: str | None, as_json: bool
    ) -> None:
        self.store_path, self.key_file, self.endpoint, self.integration_id = store, key_file, endpoint, integration_id
        self.as_json = as_json
        self.records_path: Path | None = None
        self._accounts: Accounts | None = None

    def accounts(self) -> Accounts:
        if self._accounts is None:
            if self.store_path is None:
                _fail(EXIT_CONFIG, "no credential store: pass --store PATH or set ONEBALANCE_CREDENTIALS_STORE")
            if not self.endpoint or not self.integration_id:
                _fail(
                    EXIT_CONFIG,
                    "pass --endpoint and --integration-id (or ONEBALANCE_ENDPOINT and ONEBALANCE_INTEGRATION_ID)",
                )
            assert self.store_path is not None
            try:
                store = EncryptedFileCredentialStore(self.store_path, key_file=self.key_file)
                records: PostageRecords | None = None
                if self.records_path is not None:
                    records = SqlitePostageRecords(self.records_path)
                self._accounts = Accounts(
                    integration_id=self.integration_id or "",
                    endpoint=self.endpoint or "",
                    store=store,
                    records=records,
                )
            except (ConfigurationError, CredentialStoreError) as exc:
                _fail(EXIT_CONFIG, str(exc))
        assert self._accounts is not None
        return self._accounts


def _fail(code: int, message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


F = TypeVar("F", bound=Callable[..., Any])


def common_options(fn: F) -> F:
    """--store, --key-file, --endpoint, --integration-id, --json (the context is built from them)."""
    options = [
        click.option(
            "--store",
            type=click.Path(dir_okay=False, path_type=Path),
            envvar="ONEBALANCE_CREDENTIALS_STORE",
            help="The encrypted credential store (env ONEBALANCE_CREDENTIALS_STORE).",
        ),
        click.option(
            "--key-file",
            type=click.Path(dir_okay=False, exists=True, path_type=Path),
            help="A file with the store's key(s); otherwise ONEBALANCE_CREDENTIALS_KEY(_FILE).",
        ),
        click.option("--endpoint", envvar="ONEBALANCE_ENDPOINT", help="The SWSIM endpoint (env ONEBALANCE_ENDPOINT)."),
        click.option("--integration-id", envvar="ONEBALANCE_INTEGRATION_ID", help="env ONEBALANCE_INTEGRATION_ID"),
        click.option("--json", "as_json", is_flag=True, help="Machine-readable output for scripts."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn
