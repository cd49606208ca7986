"""The ``onebalance`` command: support tooling, the sandbox server and the demo."""

from __future__ import annotations

import click

from .._version import __version__
from ._account import account
from ._demo import demo
from ._postage import postage
from ._sandbox import sandbox
from ._ship import ship


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="onebalance")
def cli() -> None:
    """One Balance: USPS postage from one account, UPS and FedEx billed to carrier accounts."""


cli.add_command(account)
cli.add_command(demo)
cli.add_command(postage)
cli.add_command(sandbox)
cli.add_command(ship)


def main() -> None:
    cli(prog_name="onebalance")


__all__ = ["cli", "main"]
