"""The control API over HTTP drives a served sandbox (and the in-process one) from any language."""

from __future__ import annotations

import pytest
import requests

from onebalance import Accounts, AccountState, InMemoryCredentialStore
from onebalance.sandbox import DEMO_INTEGRATION_ID, SandboxControl


def test_control_over_http_changes_what_clients_see(sandbox, endpoint, client_for):
    control = SandboxControl(endpoint.url)
    assert control.available()
    control.call("set_balance", username="demo-merchant", available="12.34")
    control.call("place_hold", username="demo-merchant", reason="payment_hold")
    accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=endpoint.url, store=InMemoryCredentialStore())
    diagnosis = accounts.connect("shop", username="demo-merchant", password=endpoint.password)
    assert diagnosis.state is AccountState.PAYMENT_HOLD
    assert str(diagnosis.account.available_postage) == "12.34"
    control.call("advance_clock", delta=3600)
    assert control.call("account", username="demo-merchant")["available_postage"] == "12.34"


def test_control_reads_the_outbox(sandbox, endpoint, client_for):
    client_for(endpoint).start_phone_verification("SMS", "3105550199")
    control = SandboxControl(endpoint.url)
    code = control.call("verification_code", username="demo-merchant")
    assert code == sandbox.verification_code("demo-merchant")
    assert control.call("messages", channel="sms")[-1]["to"] == "3105550199"


def test_bad_control_requests_are_refused_with_json(sandbox):
    with sandbox.serve() as server:
        base = server.url.rsplit("/swsim/", 1)[0]
        unknown = requests.post(base + "/sandbox/control/drop_tables", json={}, timeout=5)
        assert unknown.status_code == 404
        assert unknown.json()["ok"] is False
        bad = requests.post(base + "/sandbox/control/set_balance", json={"nobody": 1}, timeout=5)
        assert bad.status_code == 400
        with pytest.raises(RuntimeError, match="no sandbox account"):
            SandboxControl(server.url).call("place_hold", username="ghost", reason="payment_hold")


def test_a_real_service_is_not_taken_for_a_sandbox():
    assert SandboxControl("http://127.0.0.1:9/swsim/swsimv111.asmx", timeout=0.5).available() is False
