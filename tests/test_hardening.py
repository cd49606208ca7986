"""Small holes found by attacking the SDK from outside, each closed at the boundary it came through.

A huge faultstring, a FedEx token that has already expired, a FedEx account number in DEBUG logs,
a merchant id refused only after a login, a base_url or client id no carrier would issue, and the
``http.client`` debug switch that prints credentials outside logging.
"""

from __future__ import annotations

import http.client
import logging
from typing import Any

import pytest
import responses
from click.testing import CliRunner

from carriers.fedex import FedexClient, FedexSettings
from carriers.ups import UpsSettings
from onebalance import (
    Accounts,
    ConfigurationError,
    EncryptedFileCredentialStore,
    OneBalance,
    OneBalanceError,
    ProtocolError,
    RetryPolicy,
    ValidationError,
)
from onebalance.cli import cli
from onebalance.sandbox import DEMO_INTEGRATION_ID, DEMO_PASSWORD, DEMO_USERNAME, IN_PROCESS_URL, Sandbox
from onebalance.sandbox.fedex import FedexSandbox

from ._soap import build_fault
from .test_fedex import shipment

FEDEX_URL = "https://apis-sandbox.fedex.test"


def _client(**kw: Any) -> OneBalance:
    return OneBalance(integration_id=DEMO_INTEGRATION_ID, username="someone", password="Secret-Passw0rd",
                      endpoint=IN_PROCESS_URL, concurrency="credentials", retry=RetryPolicy.none(), **kw)  # fmt: skip


# -- a 5 MB faultstring ---------------------------------------------------------------------------
def test_a_huge_faultstring_is_cut_in_the_error_and_in_the_logs(caplog):
    huge = "The service is unhappy. " * 220_000  # about 5 MB
    caplog.set_level(logging.DEBUG, logger="onebalance")
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, IN_PROCESS_URL, status=500, content_type="text/xml",
                 body=build_fault(huge + " [0x12345678]", code="12345678"))  # fmt: skip
        with pytest.raises(OneBalanceError) as info:
            _client().account()
    error = info.value
    assert error.code == "12345678"  # read before anything was cut
    assert len(error.message) < 2100 and len(error.faultstring or "") < 2100
    assert len(str(error)) < 2200 and len(repr(error)) < 2300
    assert "more characters not kept" in (error.faultstring or "")
    assert max(len(record.getMessage()) for record in caplog.records) < 70_000


# -- FedEx tokens ---------------------------------------------------------------------------------
@pytest.mark.parametrize("expires_in", [-1, "-1", -0.5, True, "inf", "NaN", None, "soon"])
def test_a_fedex_token_that_expires_in_the_past_or_never_is_refused(expires_in):
    settings = FedexSettings(client_id="key", client_secret="secret-value", account_number="740561073",
                             base_url=FEDEX_URL)  # fmt: skip
    with responses.RequestsMock() as mock:
        answer = {"access_token": "a-token-value-123", "token_type": "bearer", "expires_in": expires_in}
        mock.add(responses.POST, FEDEX_URL + "/oauth/token", json=answer)
        with pytest.raises(ProtocolError, match="expires_in"):
            FedexClient(settings, retry=RetryPolicy.none()).rates(shipment())
        assert len(mock.calls) == 1  # the rate was not sent with it


# -- the FedEx account number in DEBUG logs -------------------------------------------------------
def test_debug_logs_mask_the_fedex_account_number_as_reprs_do(caplog):
    box = FedexSandbox()
    creds = box.create_account(account_number="740561073")
    caplog.set_level(logging.DEBUG)
    with box.mock() as url, FedexClient(creds.settings(url)) as client:
        rate = client.rates(shipment())[0]
        client.buy(rate, shipment(), idempotency_key="debug-log-1")
        assert "740561073" not in repr(client)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "fedex operation=ship" in text and "****1073" in text
    assert "740561073" not in text


# -- a merchant id no store would keep ------------------------------------------------------------
BAD_IDS = ["shop\x1b[31m1", "x" * 300, ""]


@pytest.mark.parametrize("merchant_id", BAD_IDS, ids=["escape", "long", "empty"])
def test_connect_refuses_a_bad_merchant_id_before_logging_in(sandbox: Sandbox, tmp_path, merchant_id):
    store = EncryptedFileCredentialStore(tmp_path / "store.json", keys=[EncryptedFileCredentialStore.generate_key()])
    with sandbox.mock() as url:
        accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=store)
        before = sandbox.account(DEMO_USERNAME).last_login
        with pytest.raises(ValidationError) as info:
            accounts.connect(merchant_id, username=DEMO_USERNAME, password=DEMO_PASSWORD)
    assert info.value.field == "merchant_id"
    assert sandbox.account(DEMO_USERNAME).last_login == before  # no login was sent
    assert not (tmp_path / "store.json").exists()


@pytest.mark.parametrize(
    "args",
    [["account", "status", BAD_IDS[0]], ["account", "diagnose", BAD_IDS[1]], ["postage", "balance", BAD_IDS[0]],
     ["ship", "carriers", BAD_IDS[1]], ["account", "close", BAD_IDS[0], "--address", "a", "--city", "b",
                                        "--state", "CA", "--zip", "90001", "--yes"]],
    ids=["status", "diagnose", "postage", "ship", "close"],
)  # fmt: skip
def test_the_cli_refuses_a_bad_merchant_id_as_a_usage_error(tmp_path, args):
    """Exit 2 before the store is opened: the same store, key and endpoint would otherwise be used."""
    env = {"ONEBALANCE_CREDENTIALS_STORE": str(tmp_path / "missing.json"), "ONEBALANCE_CREDENTIALS_KEY": "x",
           "ONEBALANCE_ENDPOINT": IN_PROCESS_URL, "ONEBALANCE_INTEGRATION_ID": DEMO_INTEGRATION_ID}  # fmt: skip
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 2, result.output
    assert "merchant_id must be a non-empty string" in result.output
    assert "Traceback" not in result.output


# -- what a carrier's settings may hold -----------------------------------------------------------
@pytest.mark.parametrize(
    "base_url",
    ["https://wwwcie.ups.com\r\nX-Injected: 1", "https://wwwcie.ups.com/\nfoo", "https://wwwcie.\tups.com",
     "https://wwwcie.ups.com/" + "a" * 3000, "https://wwwcie.ups.com/\x00"],
    ids=["crlf", "lf", "tab", "long", "nul"],
)  # fmt: skip
def test_a_base_url_with_control_characters_or_too_long_is_refused(base_url):
    with pytest.raises(ConfigurationError, match="endpoint"):
        UpsSettings(client_id="c", client_secret="s", account_number="A1B2C3", base_url=base_url)
    with pytest.raises(ConfigurationError, match="endpoint"):
        FedexSettings(client_id="c", client_secret="s", account_number="740561073", base_url=base_url)
    with pytest.raises(ConfigurationError, match="endpoint"):
        OneBalance(integration_id=DEMO_INTEGRATION_ID, username="u", password="p", endpoint=base_url)


@pytest.mark.parametrize("client_id", ["c" * 10_000, "c" * 129, "two words", "tab\tid", "new\nline", "\x7f"])
def test_a_client_id_no_carrier_issues_is_refused(client_id):
    with pytest.raises(ConfigurationError, match="client_id"):
        UpsSettings(client_id=client_id, client_secret="s", account_number="A1B2C3")
    with pytest.raises(ConfigurationError, match="client_id"):
        FedexSettings(client_id=client_id, client_secret="s", account_number="740561073")
    assert UpsSettings(client_id="c" * 128, client_secret="s", account_number="A1B2C3").client_id == "c" * 128


# -- the http.client debug switch -----------------------------------------------------------------
def test_the_http_client_debug_switch_is_warned_about_once(sandbox: Sandbox, monkeypatch, caplog):
    """``HTTPConnection.debuglevel = 1`` prints every request (credentials included) to stdout, outside
    logging: the SDK cannot redact it, so it says so, once, on the onebalance logger."""
    from onebalance.core import _transport

    monkeypatch.setattr(http.client.HTTPConnection, "debuglevel", 1)
    monkeypatch.setattr(_transport, "_debuglevel_warned", False)
    caplog.set_level(logging.WARNING, logger="onebalance")
    with sandbox.mock() as url:
        client = OneBalance(integration_id=DEMO_INTEGRATION_ID, username=DEMO_USERNAME, password=DEMO_PASSWORD,
                            endpoint=url)  # fmt: skip
        client.account()
        client.account()
    warnings = [r.getMessage() for r in caplog.records if "debuglevel" in r.getMessage()]
    assert len(warnings) == 1
    assert "outside logging and its redaction" in warnings[0] and "security.md" in warnings[0]
