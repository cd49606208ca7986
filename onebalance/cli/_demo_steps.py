"""What every step of ``onebalance demo`` prints first: its title."""

from __future__ import annotations

import click

__all__ = ["step"]


def step(title: str) -> None:
    """A blank line, then the step's title in bold."""
    click.echo()
    click.secho(f"== {title}", bold=True)
