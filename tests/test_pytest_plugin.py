"""The pytest11 plugin, as a user's project sees it: fixtures only, nothing imported from tests/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
from decimal import Decimal

from onebalance import OneBalance
from onebalance.sandbox import IN_PROCESS_URL, Sandbox, SandboxCredentials


def client(creds: SandboxCredentials) -> OneBalance:
    return OneBalance(
        integration_id=creds.integration_id,
        username=creds.username,
        password=creds.password,
        endpoint=creds.url,
    )


def test_loaded_through_the_entry_point(request):
    # Entry-point plugins are registered under their entry point's name.
    plugin = request.config.pluginmanager.get_plugin("onebalance")
    assert plugin is not None
    assert plugin.__name__ == "onebalance.testing.pytest_plugin"


def test_endpoint(onebalance_endpoint):
    assert isinstance(onebalance_endpoint, SandboxCredentials)
    account = client(onebalance_endpoint).account()
    assert account.username == "demo-merchant"
    assert account.available_postage == Decimal("100.00")


def test_sandbox_control_reaches_the_client(onebalance_sandbox, onebalance_inprocess):
    assert isinstance(onebalance_sandbox, Sandbox)
    onebalance_sandbox.set_balance("demo-merchant", "42.50")
    assert client(onebalance_inprocess).account().available_postage == Decimal("42.50")


def test_server(onebalance_server):
    assert onebalance_server.url.startswith("http://127.0.0.1")
    assert client(onebalance_server).account().available_postage == Decimal("100.00")


def test_inprocess(onebalance_inprocess):
    assert onebalance_inprocess.url == IN_PROCESS_URL
    assert onebalance_inprocess.url.startswith("https://swsim.sandbox.onebalance.test/")
    assert client(onebalance_inprocess).account().available_postage == Decimal("100.00")


def test_each_test_gets_a_fresh_sandbox(onebalance_sandbox):
    # test_sandbox_control_reaches_the_client changed the balance of its own sandbox only.
    assert onebalance_sandbox.account("demo-merchant").available_postage == Decimal("100.00")
"""


CARRIER_TESTS = """
from datetime import date
from decimal import Decimal

from carriers import Address, Parcel, ShipmentRequest, Weight
from carriers.fedex import FedexClient, FedexSettings
from carriers.ups import UpsClient, UpsSettings
from onebalance import OneBalance
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

SHIPMENT = ShipmentRequest(
    shipper=Address(name="Acme", street_lines=["1 Main St"], city="Springfield", state="IL",
                    postal_code="62701", phone="2175550100"),
    recipient=Address(name="Jane Doe", street_lines=["9 Elm St"], city="Austin", state="TX",
                      postal_code="78701", phone="5125550199"),
    parcels=[Parcel(weight=Weight("2", "lb"))],
    ship_date=date.today(),
)


def test_ups_endpoint(ups_endpoint):
    assert isinstance(ups_endpoint, UpsSettings) and ups_endpoint.account_number == "A1B2C3"
    assert UpsClient(ups_endpoint).rates(SHIPMENT)


def test_fedex_endpoint(fedex_endpoint):
    assert isinstance(fedex_endpoint, FedexSettings) and fedex_endpoint.account_number == "700000001"
    assert FedexClient(fedex_endpoint).rates(SHIPMENT)


def test_ups_control_reaches_the_client(ups_sandbox, ups_inprocess):
    assert isinstance(ups_sandbox, UpsSandbox)
    client = UpsClient(ups_inprocess)
    label = client.buy(min(client.rates(SHIPMENT), key=lambda r: r.total), SHIPMENT, "order-1")
    assert [s.tracking_numbers for s in ups_sandbox.shipments()] == [[label.tracking_number]]


def test_fedex_served(fedex_sandbox, fedex_server):
    assert isinstance(fedex_sandbox, FedexSandbox)
    assert fedex_server.base_url.startswith("http://127.0.0.1")
    FedexClient(fedex_server).rates(SHIPMENT)
    assert fedex_sandbox.tokens_issued == 1


def test_the_three_in_process_at_once(onebalance_inprocess, ups_inprocess, fedex_inprocess):
    one = OneBalance(integration_id=onebalance_inprocess.integration_id, username=onebalance_inprocess.username,
                     password=onebalance_inprocess.password, endpoint=onebalance_inprocess.url)
    assert one.account().available_postage == Decimal("100.00")
    assert UpsClient(ups_inprocess).rates(SHIPMENT) and FedexClient(fedex_inprocess).rates(SHIPMENT)


def test_each_test_gets_fresh_carrier_sandboxes(ups_sandbox, fedex_sandbox):
    assert ups_sandbox.shipments() == [] and fedex_sandbox.tokens_issued == 0
"""


def test_plugin_fixtures_in_a_user_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # The point is the pytest11 entry point: make sure autoloading is not switched off.
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    guide = (Path(__file__).resolve().parent.parent / "docs" / "sandbox.md").read_text()
    fixtures_section = guide.split("\n## pytest fixtures\n", 1)[1].split("\n## ", 1)[0]
    (documented,) = re.findall(r"```python\n(.*?)```", fixtures_section, re.S)
    pytester.makepyfile(test_user=USER_TESTS, test_user_carriers=CARRIER_TESTS, test_user_docs=documented)
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        [
            "*test_endpoint?inprocess? PASSED*",
            "*test_endpoint?server? PASSED*",
            "*test_ups_endpoint?inprocess? PASSED*",
            "*test_ups_endpoint?server? PASSED*",
            "*test_fedex_endpoint?inprocess? PASSED*",
            "*test_fedex_endpoint?server? PASSED*",
            "*test_the_three_in_process_at_once PASSED*",
        ],
        consecutive=False,
    )
    result.assert_outcomes(passed=21)  # 7 + 8 + the guide's 6
