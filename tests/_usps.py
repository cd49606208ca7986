"""A merchant connected to a sandbox One Balance account, on a given SWSIM version, for the USPS tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from onebalance import Accounts, InMemoryCredentialStore
from onebalance.sandbox import Sandbox


@contextmanager
def usps_merchant(
    sandbox: Sandbox, username: str, password: str, version: str, balance: str = "100.00"
) -> Iterator[tuple[Accounts, str]]:
    """``Accounts`` with merchant ``m`` connected to a new sandbox account (``balance``), the sandbox
    mounted in-process on ``version``; and the mounted endpoint's URL."""
    sandbox.create_account(username, password, balance=balance)
    with sandbox.mock() as url:
        creds = sandbox.create_demo_account()
        accounts = Accounts(
            integration_id=creds.integration_id, endpoint=url, store=InMemoryCredentialStore(), api_version=version
        )
        accounts.connect("m", username=username, password=password)
        yield accounts, url
