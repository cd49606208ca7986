"""``onebalance sandbox serve``: the simulated service as a local HTTP server."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import click

from ..sandbox import Sandbox, SandboxServer
from ..sandbox.fedex import FedexSandbox, FedexSandboxServer
from ..sandbox.ups import UpsSandbox, UpsSandboxServer


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
        ups, fedex = _carrier_sandboxes(host)
    except OSError as exc:
        box.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Before the ready line: a harness may send SIGTERM as soon as it has read it.
    signal.signal(signal.SIGTERM, stop)
    info: dict[str, Any] = {
        "url": server.url,
        "integration_id": creds.integration_id,
        "username": creds.username,
        "password": creds.password,
        "ups": {"url": ups.url, "client_id": UPS_DEMO[0], "client_secret": UPS_DEMO[1], "account_number": UPS_DEMO[2]},
        "fedex": {
            "url": fedex.url,
            "client_id": FEDEX_DEMO[0],
            "client_secret": FEDEX_DEMO[1],
            "account_number": FEDEX_DEMO[2],
        },
    }
    try:
        _announce(info, server, state_path, as_json)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        ups.stop()
        fedex.stop()
        box.close()


#: Documented, fixed demo credentials of the UPS and FedEx sandboxes (not secret).
UPS_DEMO = ("demo-ups-client", "demo-ups-secret", "A1B2C3")
FEDEX_DEMO = ("demo-fedex-client", "demo-fedex-secret", "700000001")


def _carrier_sandboxes(host: str) -> tuple[UpsSandboxServer, FedexSandboxServer]:
    """The UPS and FedEx sandboxes (in memory, on free ports) with their demo credentials."""
    ups_box = UpsSandbox()
    ups_box.add_account(*UPS_DEMO)
    fedex_box = FedexSandbox()
    fedex_box.create_credentials(*FEDEX_DEMO)
    ups = UpsSandboxServer(ups_box, host, 0).start()
    try:
        fedex = FedexSandboxServer(fedex_box, host, 0).start()
    except OSError:
        ups.stop()
        raise
    return ups, fedex


def _announce(info: dict[str, Any], server: SandboxServer, state_path: Path | None, as_json: bool) -> None:
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
        for carrier in ("ups", "fedex"):
            c = info[carrier]
            click.echo(
                f"{carrier.upper()} sandbox at {c['url']} (client id {c['client_id']}, secret "
                f"{c['client_secret']}, account {c['account_number']}; in memory)"
            )
        click.echo("Press Ctrl+C to stop.")
    sys.stdout.flush()
