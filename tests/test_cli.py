"""The ``onebalance`` command: ``sandbox serve`` as a real process, ``demo`` through CliRunner."""

from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import click
import pytest
import requests
from click.testing import CliRunner

import onebalance
from onebalance import OneBalance
from onebalance.cli import cli
from onebalance.sandbox import DEMO_INTEGRATION_ID, DEMO_PASSWORD, DEMO_USERNAME, SOAP_PATH, Sandbox

READY_TIMEOUT = 30.0  # seconds to wait for the JSON line (a hang bound: start-up is ~1 s idle, 10+ s loaded)
STOP_TIMEOUT = 15.0  # seconds a SIGTERM'd server gets to exit

#: Environment variables the demo reads; unset them so the caller's shell cannot leak in.
DEMO_ENV_UNSET: dict[str, str | None] = {
    "ONEBALANCE_ENDPOINT": None,
    "ONEBALANCE_INTEGRATION_ID": None,
    "ONEBALANCE_USERNAME": None,
    "ONEBALANCE_PASSWORD": None,
}

GET_ACCOUNT_INFO_ACTION = "http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111/GetAccountInfo"


def get_account_info_envelope(token: str) -> bytes:
    """A hand-written GetAccountInfo request, so the client's own re-login cannot hide a lost token."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        '<GetAccountInfo xmlns="http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111">'
        f"<Authenticator>{token}</Authenticator>"
        "</GetAccountInfo></soap:Body></soap:Envelope>"
    ).encode()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client_from(info: dict[str, str]) -> OneBalance:
    return OneBalance(
        integration_id=info["integration_id"],
        username=info["username"],
        password=info["password"],
        endpoint=info["url"],
    )


class Served:
    """A running ``onebalance sandbox serve --json`` process and the JSON line it printed."""

    def __init__(self, proc: subprocess.Popen[str], info: dict[str, str]) -> None:
        self.proc = proc
        self.info = info
        self.url = info["url"]
        self.stopped = False

    def wait_ready(self) -> None:
        """Block until the server answers HTTP.

        ``serve`` prints its line *before* installing its SIGTERM handler, so a SIGTERM sent
        right after the line can kill it with -15 (see the report). A request that gets an
        answer proves ``serve_forever`` is running, hence the handler is in place.
        """
        assert requests.get(self.url + "?wsdl", timeout=5).status_code == 200

    def stop(self) -> None:
        """SIGTERM; it must exit 0 within a few seconds, with nothing on stderr (no traceback)."""
        if self.stopped:
            return
        self.stopped = True
        if self.proc.poll() is None:
            self.wait_ready()
            self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            pytest.fail(f"sandbox serve did not exit within {STOP_TIMEOUT}s of SIGTERM")
        assert self.proc.returncode == 0, f"exit code {self.proc.returncode}; stderr:\n{err}"
        assert err == ""


def _read_first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The first stdout line, or a test failure (not a hang) if none comes in time."""
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"no line from sandbox serve within {timeout}s; stderr:\n{err}")
    if not line:
        _, err = proc.communicate(timeout=STOP_TIMEOUT)
        pytest.fail(f"sandbox serve exited ({proc.returncode}) without a line; stderr:\n{err}")
    return line


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """Start ``onebalance sandbox serve --json [args]``; every process is SIGTERM'd at teardown."""
    started: list[Served] = []
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> Served:
        proc = subprocess.Popen(
            [sys.executable, "-m", "onebalance", "sandbox", "serve", "--json", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        served = Served(proc, json.loads(_read_first_line(proc, READY_TIMEOUT)))
        started.append(served)
        return served

    try:
        yield start
    finally:
        for proc in procs:  # a process that never printed its line: just make sure it is gone
            if proc.poll() is None and not any(s.proc is proc for s in started):
                proc.kill()
                proc.communicate()
        for served in started:
            served.stop()


# -- sandbox serve -------------------------------------------------------------------------------


def test_serve_json_line_is_a_working_endpoint(serve: Callable[..., Served]) -> None:
    served = serve()
    info = served.info
    assert set(info) == {"url", "urls", "integration_id", "username", "password", "ups", "fedex"}
    assert info["url"].startswith("http://127.0.0.1:")
    assert info["url"].endswith("/swsim/swsimv135.asmx")  # the default version
    assert info["urls"] == {"v135": info["url"], "v111": info["url"].replace("swsimv135", "swsimv111")}
    assert (info["integration_id"], info["username"], info["password"]) == (
        DEMO_INTEGRATION_ID,
        DEMO_USERNAME,
        DEMO_PASSWORD,
    )

    account = client_from(info).account()
    assert account.username == "demo-merchant"
    assert account.available_postage == Decimal("100.00")

    for name, url in info["urls"].items():
        wsdl = requests.get(url + "?wsdl", timeout=5)
        assert wsdl.status_code == 200
        assert f'<soap:address location="{url}"' in wsdl.text
        assert f"/swsim/Swsim{name.upper()}" in wsdl.text  # each path serves its own version's contract
    old = OneBalance(
        integration_id=info["integration_id"],
        username=info["username"],
        password=info["password"],
        endpoint=info["urls"]["v111"],
        api_version="v111",
    )
    assert old.account().available_postage == Decimal("100.00")  # the same account on v111


def test_serve_json_line_gives_working_ups_and_fedex_sandboxes(serve: Callable[..., Served]) -> None:
    from datetime import date

    from carriers import Address, Parcel, ShipmentRequest, Weight
    from carriers.fedex import FedexClient, FedexSettings
    from carriers.ups import UpsClient, UpsSettings

    info = serve().info
    shipper = Address(
        name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701", phone="5125550100"
    )
    recipient = Address(
        name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118", phone="2125550100"
    )
    shipment = ShipmentRequest(
        shipper=shipper,
        recipient=recipient,
        parcels=[Parcel(weight=Weight(value="2", unit="lb"))],
        ship_date=date.today(),
    )
    ups, fedex = info["ups"], info["fedex"]
    assert set(ups) == set(fedex) == {"url", "client_id", "client_secret", "account_number"}
    ups_client = UpsClient(
        UpsSettings(
            client_id=ups["client_id"],
            client_secret=ups["client_secret"],
            account_number=ups["account_number"],
            base_url=ups["url"],
        )
    )
    fedex_client = FedexClient(
        FedexSettings(
            client_id=fedex["client_id"],
            client_secret=fedex["client_secret"],
            account_number=fedex["account_number"],
            base_url=fedex["url"],
        )
    )
    assert ups_client.rates(shipment)
    assert fedex_client.rates(shipment)


def test_serve_honours_port(serve: Callable[..., Served]) -> None:
    port = free_port()
    served = serve("--port", str(port))
    assert served.url == f"http://127.0.0.1:{port}{SOAP_PATH}"
    assert client_from(served.info).account().available_postage == Decimal("100.00")


def test_serve_state_survives_restarts(serve: Callable[..., Served], tmp_path: Path) -> None:
    state = tmp_path / "sandbox.sqlite"
    first = serve("--state", str(state))
    assert client_from(first.info).account().available_postage == Decimal("100.00")
    first.stop()

    box = Sandbox(state_path=state)
    try:
        box.set_balance("demo-merchant", "123.45")
    finally:
        box.close()

    second = serve("--state", str(state))
    assert client_from(second.info).account().available_postage == Decimal("123.45")


def test_conversation_token_survives_a_restart(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    state = tmp_path / "sandbox.sqlite"
    before = make_sandbox(state_path=state)
    creds = before.create_demo_account()
    with before.serve() as server:
        client = OneBalance(
            integration_id=creds.integration_id, username=creds.username, password=creds.password, endpoint=server.url
        )
        client.account()
        # Private, on purpose: the client would silently log in again on 002b0201, so only the
        # raw token can show whether the conversation itself survived the restart.
        token = client._token
    before.close()
    assert token

    after = make_sandbox(state_path=state)
    with after.serve() as server:
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{GET_ACCOUNT_INFO_ACTION}"'}
        # A v111 request with the token a v135 client was given: both versions share the conversations.
        ok = requests.post(server.urls["v111"], data=get_account_info_envelope(token), headers=headers, timeout=5)
        assert ok.status_code == 200, ok.text
        assert "002b0201" not in ok.text
        assert "<AvailablePostage>100" in ok.text
        # Control: a token the sandbox never issued is refused, so the check above has teeth.
        bad = requests.post(
            server.urls["v111"], data=get_account_info_envelope("never-issued"), headers=headers, timeout=5
        )
        assert bad.status_code == 500
        assert "002b0201" in bad.text


def test_serve_on_a_taken_port_fails_cleanly() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "onebalance", "sandbox", "serve", "--json", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=15,
        )
    assert result.returncode != 0
    assert result.stdout == ""  # no JSON line for a server that is not listening
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


# -- demo ----------------------------------------------------------------------------------------


def test_demo_on_the_embedded_sandbox() -> None:
    result = CliRunner().invoke(cli, ["demo"], env=DEMO_ENV_UNSET)
    assert result.exit_code == 0, result.output
    for expected in ("available postage", "$100.00", "AuthenticationFailed", "Demo finished"):
        assert expected in result.output
    assert DEMO_PASSWORD not in result.output
    assert "Demo-Passw0rd" not in result.output
    assert "not-the-password1" not in result.output


def test_demo_against_an_endpoint_from_the_environment(sandbox: Sandbox) -> None:
    creds = sandbox.create_demo_account()
    with sandbox.serve() as server:
        env = {
            **DEMO_ENV_UNSET,
            "ONEBALANCE_INTEGRATION_ID": creds.integration_id,
            "ONEBALANCE_USERNAME": creds.username,
            "ONEBALANCE_PASSWORD": creds.password,
        }
        result = CliRunner().invoke(cli, ["demo", "--endpoint", server.url], env=env)
    assert result.exit_code == 0, result.output
    assert "available postage" in result.output
    assert "$100.00" in result.output
    assert "Demo finished" in result.output
    assert creds.password not in result.output


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, ["--integration-id", "--username", "--password"]),
        ({"ONEBALANCE_INTEGRATION_ID": DEMO_INTEGRATION_ID, "ONEBALANCE_PASSWORD": DEMO_PASSWORD}, ["--username"]),
    ],
)
def test_demo_endpoint_without_credentials_is_a_usage_error(given: dict[str, str], missing: list[str]) -> None:
    endpoint = "http://127.0.0.1:9/swsim/swsimv111.asmx"  # never contacted: the options are checked first
    result = CliRunner().invoke(cli, ["demo", "--endpoint", endpoint], env={**DEMO_ENV_UNSET, **given})
    assert result.exit_code == 2, result.output
    for option in ("--integration-id", "--username", "--password"):
        assert (option in result.output) == (option in missing), result.output
    assert "Traceback" not in result.output


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"onebalance, version {onebalance.__version__}"


@pytest.mark.parametrize("group", ["account", "postage", "ship"])
def test_every_support_command_takes_json_after_its_name(group: str) -> None:
    """``onebalance account status shop-1 --json`` as well as ``onebalance account --json status shop-1``."""
    command = cli.get_command(click_context(), group)
    assert isinstance(command, click.Group)
    assert any("--json" in p.opts for p in command.params if isinstance(p, click.Option))
    for name, sub in command.commands.items():
        assert any("--json" in p.opts for p in sub.params if isinstance(p, click.Option)), f"{group} {name}"
        help_text = CliRunner().invoke(cli, [group, name, "--help"]).output
        assert "--json" in help_text, f"{group} {name}"


def click_context() -> click.Context:
    return click.Context(cli)
