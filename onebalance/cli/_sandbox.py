"""``onebalance sandbox serve``: the simulated service as a local HTTP server."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from types import FrameType

import click

from ..sandbox import Sandbox, SandboxServer


@click.group()
def sandbox() -> None:
    """Run the One Balance sandbox."""


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=0,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep the sandbox's state in this SQLite file so that it survives a restart.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON line with the URL and demo credentials first, for test harnesses.",
)
def serve(host: str, port: int, state_path: Path | None, as_json: bool) -> None:
    """Serve the sandbox over HTTP, with a ready demo account."""
    try:
        box = Sandbox(state_path=state_path)
    except Exception as exc:  # a corrupt or unreadable state file
        raise click.ClickException(f"cannot open sandbox state {state_path}: {exc}") from None
    creds = box.create_demo_account()
    try:
        server = SandboxServer(box, host, port)
    except OSError as exc:
        box.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Before the ready line: a harness may send SIGTERM as soon as it has read it.
    signal.signal(signal.SIGTERM, stop)
    info = {
        "url": server.url,
        "integration_id": creds.integration_id,
        "username": creds.username,
        "password": creds.password,
    }
    try:
        _announce(info, server, state_path, as_json)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        box.close()


def _announce(info: dict[str, str], server: SandboxServer, state_path: Path | None, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(info))
    else:
        click.echo(f"One Balance sandbox listening on {server.url}")
        click.echo(f"  WSDL:           {server.wsdl_url}")
        click.echo(f"  integration id: {info['integration_id']}")
        click.echo(f"  username:       {info['username']}")
        click.echo(f"  password:       {info['password']}   (the documented demo account)")
        if state_path:
            click.echo(f"  state:          {state_path}")
        click.echo("Press Ctrl+C to stop.")
    sys.stdout.flush()
