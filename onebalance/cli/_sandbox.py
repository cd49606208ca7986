"""``onebalance sandbox serve``: the simulated service as a local HTTP server."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import click

from onebalance.sandbox import FAULT_KINDS as KINDS
from onebalance.sandbox import REQUEST_TIMEOUT, Faults, Sandbox, SandboxServer
from onebalance.sandbox import fedex as fedex_sandbox
from onebalance.sandbox import ups as ups_sandbox
from onebalance.sandbox.fedex import FedexSandbox, FedexSandboxServer
from onebalance.sandbox.ups import UpsSandbox, UpsSandboxServer

from ._practice import practice


@click.group()
def sandbox() -> None:
    """Run the One Balance sandbox."""


sandbox.add_command(practice)


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
@click.option(
    "--latency-ms",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 60_000),
    help="Milliseconds added before every service call of the three sandboxes (for benchmarks).",
)
@click.option(
    "--fault-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Probability of a transport fault (reset, timeout, 5xx, truncated body...) on each service call.",
)
@click.option("--fault-seed", type=int, help="Seed of the random faults, to replay the same run.")
@click.option(
    "--fault-kinds",
    default=",".join(KINDS),
    show_default=True,
    help="Comma-separated fault kinds --fault-rate draws from.",
)
@click.option(
    "--fault-delay",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="Seconds a timeout fault holds the answer (set it above your client's read timeout).",
)
@click.option(
    "--request-timeout",
    default=REQUEST_TIMEOUT,
    show_default=True,
    type=click.FloatRange(0, 3600, min_open=True),
    help="Seconds a connection has to send each whole request; idle and slow connections are closed then.",
)
def serve(
    host: str,
    port: int,
    state_path: Path | None,
    as_json: bool,
    latency_ms: float,
    fault_rate: float,
    fault_seed: int | None,
    fault_kinds: str,
    fault_delay: float,
    request_timeout: float,
) -> None:
    """Serve the sandbox over HTTP, with a ready demo account.

    It answers SWSIM v135 (the default; the first URL) and v111, each at its own path, over the same
    accounts; --json gives ``url`` (v135) and ``urls`` (every version).

    --latency-ms and --fault-rate apply to One Balance, UPS and FedEx alike; faults can also be
    scripted at run time through each sandbox's control API (POST /sandbox/control/script_fault).
    """
    kinds = tuple(k.strip() for k in fault_kinds.split(",") if k.strip())
    try:
        _configure(Faults(), latency_ms, fault_rate, fault_seed, kinds, fault_delay)  # check before starting
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault-kinds") from None
    try:
        box = Sandbox(state_path=state_path)
    except Exception as exc:  # a corrupt or unreadable state file
        raise click.ClickException(f"cannot open sandbox state {state_path}: {exc}") from None
    creds = box.create_demo_account()
    try:
        server = SandboxServer(box, host, port, request_timeout=request_timeout)
        ups, fedex = _carrier_sandboxes(host, request_timeout)
        for faults in (box.faults, ups.sandbox.faults, fedex.sandbox.faults):
            _configure(faults, latency_ms, fault_rate, fault_seed, kinds, fault_delay)
    except OSError as exc:
        box.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Before the ready line: a harness may send SIGTERM as soon as it has read it.
    signal.signal(signal.SIGTERM, stop)
    info: dict[str, Any] = {
        "url": server.url,
        "urls": dict(server.urls),
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


def _configure(
    faults: Faults, latency_ms: float, rate: float, seed: int | None, kinds: tuple[str, ...], delay: float
) -> None:
    faults.latency = latency_ms / 1000
    if rate:
        faults.random(rate, seed, kinds=kinds, delay=delay)


#: Documented, fixed demo credentials of the UPS and FedEx sandboxes (not secret).
UPS_DEMO = (ups_sandbox.DEMO_CLIENT_ID, ups_sandbox.DEMO_CLIENT_SECRET, ups_sandbox.DEMO_SHIPPER_NUMBER)
FEDEX_DEMO = (fedex_sandbox.DEMO_CLIENT_ID, fedex_sandbox.DEMO_CLIENT_SECRET, fedex_sandbox.DEMO_ACCOUNT_NUMBER)


def _carrier_sandboxes(host: str, request_timeout: float) -> tuple[UpsSandboxServer, FedexSandboxServer]:
    """The UPS and FedEx sandboxes (in memory, on free ports) with their demo credentials."""
    ups_box = UpsSandbox()
    ups_box.create_demo_account()
    fedex_box = FedexSandbox()
    fedex_box.create_demo_account()
    ups = UpsSandboxServer(ups_box, host, 0, request_timeout=request_timeout).start()
    try:
        fedex = FedexSandboxServer(fedex_box, host, 0, request_timeout=request_timeout).start()
    except OSError:
        ups.stop()
        raise
    return ups, fedex


def _announce(info: dict[str, Any], server: SandboxServer, state_path: Path | None, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(info))
    else:
        click.echo(f"One Balance sandbox listening on {server.url}")
        for name, url in sorted(server.urls.items(), reverse=True):
            click.echo(f"  SWSIM {name}:     {url}  (WSDL: {url}?wsdl)")
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
