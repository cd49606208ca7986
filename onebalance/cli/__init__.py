"""The ``onebalance`` command: support tooling, the sandbox server and the demo.

Each command group's module is imported when that group runs (or when ``--help`` lists them),
so ``onebalance account status`` does not pay for importing the sandboxes and the demo: support
scripts call the command once per merchant.
"""

from __future__ import annotations

import importlib

import click

from onebalance._version import __version__

#: Each command: the module and the name of its click object.
_COMMANDS = {
    "account": ("onebalance.cli._account", "account"),
    "demo": ("onebalance.cli._demo", "demo"),
    "postage": ("onebalance.cli._postage", "postage"),
    "sandbox": ("onebalance.cli._sandbox", "sandbox"),
    "ship": ("onebalance.cli._ship", "ship"),
}


class _Commands(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = _COMMANDS.get(cmd_name)
        if found is None:
            return None
        command = getattr(importlib.import_module(found[0]), found[1])
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="onebalance")
def cli() -> None:
    """One Balance: USPS postage from one account, UPS and FedEx billed to carrier accounts."""


def main() -> None:
    cli(prog_name="onebalance")


__all__ = ["cli", "main"]
