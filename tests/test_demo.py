"""`onebalance demo` shows the whole flow and never prints a secret."""

from __future__ import annotations

import re

import pytest
import responses
from click.testing import CliRunner

from onebalance.cli import cli

SECRETS = (
    "Widgets-2026",
    "4111111111111111",
    "4111 1111 1111 1111",
    "5555555555554444",
    "5555 5555 5555 4444",
    "cvn",
    "Springfield",
    "Demo-Passw0rd",
)


@pytest.fixture
def codes(monkeypatch) -> list[str]:
    """The verification codes the demo read from the sandbox (to check that none is printed)."""
    from onebalance.sandbox import SandboxControl

    seen: list[str] = []
    original = SandboxControl.call

    def call(self, action, **args):
        result = original(self, action, **args)
        if action == "verification_code":
            seen.append(result)
        return result

    monkeypatch.setattr(SandboxControl, "call", call)
    return seen


def _check(output: str, codes: list[str]) -> None:
    for step in range(1, 17):
        assert f"== {step}." in output, step
    assert "total charged  $51.75" in output  # a 3.5% fee on the $50.00 default refill
    assert "notice sent: Postage refilled: $100.00" in output
    assert output.count("receipt R-") >= 3  # the history links both refills to their receipts
    assert "cheapest:" in output
    assert "(only the USPS label debited it)" in output
    abroad = output.split("== 15.", 1)[1].split("== 16.")[0]  # one label abroad per carrier, its customs document kept
    assert [line.split()[0] for line in abroad.splitlines() if "$" in line] == ["USPS", "UPS", "FEDEX"]
    assert abroad.count("kept with the label: customs form, PDF") == 1
    assert abroad.count("kept with the label: commercial invoice, PDF") == 2
    assert "paid by one balance" in output
    assert output.count("paid by carrier account") == 4
    assert "demo-ups-secret" not in output
    assert "demo-fedex-secret" not in output
    assert "state:   payment_hold" in output
    assert "-> active" in output
    assert "acmewidgets: Active" in output
    assert "Demo finished." in output
    leaked = [s for s in SECRETS if s in output]
    assert not leaked
    assert codes
    assert not [c for c in codes if c in output]


def test_demo_on_the_embedded_sandbox(codes):
    result = CliRunner().invoke(cli, ["demo"], env={"ONEBALANCE_ENDPOINT": None, "ONEBALANCE_API_VERSION": None})
    assert result.exit_code == 0, result.output
    _check(result.output, codes)
    assert "(speaking SWSIM v135)" in result.output
    [usps_label] = [line for line in result.output.split("== 15.")[0].splitlines() if "paid by one balance" in line]
    assert "USPS Ground Advantage" in usps_label  # the cheapest USPS service for the parcel, on v135
    assert "return label: USPS" in result.output  # the customer sends a parcel back, paid from the One Balance
    end_of_day = result.output.split("== 16.")[1]
    assert re.search(r"SCAN form SF\d+ for \d{4}-\d\d-\d\d: .*\(PDF [\d,]+ bytes\)", end_of_day)
    assert re.search(r"pickup WTC\d+ booked for \w+ \d{4}-\d\d-\d\d: 3 USPS piece", end_of_day)
    assert "reprinted 94" in end_of_day and "(ZPL," in end_of_day
    before, after = re.search(r"One Balance: \$([\d.,]+) -> \$([\d.,]+)", end_of_day).groups()  # type: ignore[union-attr]
    assert before == after  # a reprint, the list, the form and the pickup charge nothing


def test_demo_on_v111_still_runs(codes):
    result = CliRunner().invoke(cli, ["demo", "--api-version", "v111"], env={"ONEBALANCE_ENDPOINT": None})
    assert result.exit_code == 0, result.output
    _check(result.output, codes)
    assert "(speaking SWSIM v111)" in result.output
    [usps_label] = [line for line in result.output.split("== 15.")[0].splitlines() if "paid by one balance" in line]
    assert "Ground Advantage" not in usps_label and "USPS" in usps_label


def test_demo_against_a_served_sandbox_twice_uses_the_suggested_username(sandbox):
    creds = sandbox.create_demo_account()
    with sandbox.serve() as server:
        env = {
            "ONEBALANCE_ENDPOINT": server.url,
            "ONEBALANCE_INTEGRATION_ID": creds.integration_id,
            "ONEBALANCE_USERNAME": creds.username,
            "ONEBALANCE_PASSWORD": creds.password,
        }
        first = CliRunner().invoke(cli, ["demo"], env=env)
        second = CliRunner().invoke(cli, ["demo"], env=env)
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "is taken; the service suggests 'acmewidgets2'" in second.output
    assert "registered acmewidgets2" in second.output


def test_demo_against_an_endpoint_that_is_not_a_sandbox_does_only_safe_steps(sandbox):
    creds = sandbox.create_demo_account()
    url = "https://swsim.example.test/swsim/swsimv135.asmx"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:

        def soap(request):
            reply = sandbox.handle(request.body, request.headers.get("SOAPAction"))
            return reply.status, {"Content-Type": reply.content_type}, reply.body

        mock.add_callback(responses.POST, url, callback=soap)
        env = {
            "ONEBALANCE_ENDPOINT": url,
            "ONEBALANCE_INTEGRATION_ID": creds.integration_id,
            "ONEBALANCE_USERNAME": creds.username,
            "ONEBALANCE_PASSWORD": creds.password,
        }
        result = CliRunner().invoke(cli, ["demo"], env=env)
    assert result.exit_code == 0, result.output
    assert "== 3." in result.output
    assert "== 4." not in result.output  # no wrong password sent to a real account
    assert "== 5." not in result.output  # no registration on a real service
    assert "shown only against a onebalance sandbox" in result.output
    assert sandbox.account("demo-merchant").failed_logins == 0


@pytest.mark.parametrize("missing", ["ONEBALANCE_USERNAME", "ONEBALANCE_PASSWORD"])
def test_demo_endpoint_needs_credentials(missing):
    env = {
        "ONEBALANCE_ENDPOINT": "https://swsim.example.test/x",
        "ONEBALANCE_INTEGRATION_ID": "x",
        "ONEBALANCE_USERNAME": "u",
        "ONEBALANCE_PASSWORD": "p",
        missing: None,
    }
    result = CliRunner().invoke(cli, ["demo"], env=env)
    assert result.exit_code == 2
