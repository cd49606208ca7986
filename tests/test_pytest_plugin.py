"""The pytest11 plugin, as a user's project sees it: fixtures only, nothing imported from tests/."""

from __future__ import annotations

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


def test_plugin_fixtures_in_a_user_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # The point is the pytest11 entry point: make sure autoloading is not switched off.
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        [
            "*test_endpoint?inprocess? PASSED*",
            "*test_endpoint?server? PASSED*",
        ]
    )
    result.assert_outcomes(passed=7)
