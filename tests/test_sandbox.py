"""The sandbox: control API, both mounts, strictness of the simulated service, persistence."""

from __future__ import annotations

import socket
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from onebalance import AccountClosed, AccountDisconnected, AccountLocked, AuthenticationFailed
from onebalance.sandbox import AccountStatus, Sandbox
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

from . import _wire
from ._soap import body_child, read_fault


def test_control_api_changes_what_the_client_sees(sandbox, client):
    sandbox.set_balance("demo-merchant", "42.50", control_total="157.50")
    sandbox.set_capability("demo-merchant", "CanPurchasePostage", False)
    account = client.account()
    assert (account.available_postage, account.control_total) == (Decimal("42.50"), Decimal("157.50"))
    assert account.capabilities.can_purchase_postage is False
    assert account.capabilities.flags["CanPurchasePostage"] is False


def test_seeded_accounts_get_their_own_identity(sandbox):
    a = sandbox.create_account("shop-a", "Passw0rd-a", balance="10")
    b = sandbox.create_account("shop-b", "Passw0rd-b", max_postage_balance="250")
    assert len({a.customer_id, b.customer_id}) == 2
    assert len({a.meter_number, b.meter_number}) == 2
    assert sandbox.account("SHOP-B").max_postage_balance == Decimal("250")
    with pytest.raises(ValueError, match="exists"):
        sandbox.create_account("shop-a", "x")
    with pytest.raises(KeyError):
        sandbox.account("nobody")


@pytest.mark.parametrize(
    ("status", "error"), [(AccountStatus.LOCKED, AccountLocked), (AccountStatus.CLOSED, AccountClosed)]
)
def test_locked_and_closed_accounts_cannot_log_in(sandbox, client, status, error):
    sandbox.set_status("demo-merchant", status)
    with pytest.raises(error):
        client.account()


def test_account_status_is_reported(sandbox, client):
    sandbox.set_status("demo-merchant", AccountStatus.PAYMENT_HOLD)
    assert client.account().account_status == "PaymentHold"


def test_password_changed_behind_the_platforms_back_is_a_disconnection(sandbox, client, client_for, endpoint):
    client.account()
    sandbox.set_password("demo-merchant", "Changed-elsewhere1")
    sandbox.advance_clock(timedelta(hours=25))
    with pytest.raises(AccountDisconnected) as info:
        client.account()
    assert info.value.code == "002b0601"
    assert not isinstance(info.value, AuthenticationFailed)
    # A password typed wrong at a first login is not a disconnection.
    with pytest.raises(AuthenticationFailed):
        client_for(endpoint, password="Typed-wrong1").account()
    # Credentials stored after a successful login are known to have worked.
    with pytest.raises(AccountDisconnected):
        client_for(endpoint, credentials_verified=True).account()


def test_wsdl_is_served_in_both_modes_pointing_at_the_endpoint(endpoint):
    """Each version's path serves that version's WSDL, its address pointing at that path."""
    assert endpoint.url.endswith("/swsim/swsimv135.asmx")
    for name in ("v135", "v111"):
        url = endpoint.url.replace("swsimv135", f"swsim{name}")
        text = requests.get(url + "?wsdl", timeout=5).text
        assert f'<soap:address location="{url}"/>' in text
        assert f'name="Swsim{name.upper()}Soap"' in text


def test_each_path_answers_its_own_version_only(endpoint):
    """The v135 path does not answer a v111 request (nor the v111 path a v135 one): the real service
    answers each version's SOAPActions at that version's path only."""
    from ._soap import VERSIONS

    for here, other in (("v135", "v111"), ("v111", "v135")):
        url = endpoint.url.replace("swsimv135", f"swsim{here}")
        action = f"{VERSIONS[other].namespace}/GetAccountInfo"
        body = (
            '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            f'<GetAccountInfo xmlns="{VERSIONS[other].namespace}"><Authenticator>x</Authenticator>'
            "</GetAccountInfo></soap:Body></soap:Envelope>"
        )
        reply = requests.post(
            url, data=body, headers={"SOAPAction": f'"{action}"', "Content-Type": "text/xml"}, timeout=5
        )
        assert reply.status_code == 500
        assert "did not recognize the value of HTTP Header SOAPAction" in reply.text


def test_unknown_soap_action_is_a_client_fault(sandbox):
    reply = sandbox.handle(
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        b'<GetAccountInfo xmlns="http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111">'
        b"<Authenticator>x</Authenticator></GetAccountInfo></soap:Body></soap:Envelope>",
        '"http://example.com/Nope"',
    )
    fault = read_fault(body_child(reply.body))
    assert reply.status == 500
    assert fault.faultcode == "soap:Client"
    assert "did not recognize the value of HTTP Header SOAPAction" in fault.faultstring


@pytest.mark.parametrize(
    "inner",
    [
        b"<Authenticator>a</Authenticator><Authenticator>b</Authenticator>",  # repeated
        b"<Bogus>x</Bogus>",  # unknown element
        b"<Credentials><Username>u</Username><IntegrationID>0b1ba1a2-7e57-4d3e-9a5d-5a4db0c0ffee</IntegrationID>"
        b"<Password>p</Password></Credentials>",  # out of order
        b"<Credentials><IntegrationID>not-a-guid</IntegrationID><Username>u</Username><Password>p</Password>"
        b"</Credentials>",  # pattern
    ],
    ids=["repeated", "unknown", "out-of-order", "bad-guid"],
)
def test_requests_that_break_the_schema_get_00490102(sandbox, inner):
    body = (
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        b'<GetAccountInfo xmlns="http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111">'
        + inner
        + b"</GetAccountInfo></soap:Body></soap:Envelope>"
    )
    reply = sandbox.handle(body, "http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111/GetAccountInfo")
    fault = read_fault(body_child(reply.body))
    assert (reply.status, fault.faultcode, fault.code) == (500, "soap:Client", "00490102")


def test_a_call_with_neither_token_nor_credentials_is_refused_as_unauthenticated(sandbox):
    """The schema lets the Authenticator|Credentials choice be empty (both are minOccurs=0)."""
    assert _wire.fault_code(sandbox, "GetAccountInfo", {}) == "002b0201"


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<GetAccountInfo xmlns="http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111"><Authenticator>&xxe;</Authenticator>
</GetAccountInfo></soap:Body></soap:Envelope>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<GetAccountInfo xmlns="http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111"><Authenticator>&lol3;</Authenticator>
</GetAccountInfo></soap:Body></soap:Envelope>"""


@pytest.mark.parametrize("payload", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_sandbox_refuses_dtds_and_entities(sandbox, payload):
    reply = sandbox.handle(payload, "http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111/GetAccountInfo")
    assert reply.status == 500
    assert b"root:" not in reply.body
    assert read_fault(body_child(reply.body)).code == "00490102"


@pytest.mark.parametrize("payload", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_client_refuses_dtds_and_entities_in_responses(client_for, sandbox, payload):
    import responses

    from onebalance import ProtocolError
    from onebalance.sandbox import IN_PROCESS_URL

    creds = sandbox.create_demo_account()
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, IN_PROCESS_URL, body=payload)
        with pytest.raises(ProtocolError, match="DTD"):
            client_for(replace(creds, url=IN_PROCESS_URL)).authenticate()


def test_state_file_keeps_accounts_tokens_and_clock_across_restarts(tmp_path, make_sandbox):
    path = tmp_path / "sandbox.sqlite"
    first = make_sandbox(state_path=path)
    creds = first.create_demo_account()
    first.set_balance("demo-merchant", "77.70")
    token = _wire.login(first, creds)
    first.advance_clock(timedelta(hours=3))
    first.close()

    second = make_sandbox(state_path=path)
    assert second.account("demo-merchant").available_postage == Decimal("77.70")
    assert second.clock.offset >= timedelta(hours=3)
    result = _wire.call(second, "GetAccountInfo", {"Authenticator": token})
    assert result["AccountInfo"]["PostageBalance"]["AvailablePostage"] == Decimal("77.70")
    new = second.create_account("later", "Passw0rd-1")
    assert new.customer_id != second.account("demo-merchant").customer_id


def test_sandbox_without_state_file_starts_empty():
    box = Sandbox()
    assert box.state.accounts == {}


def test_control_api_refuses_unknown_account_fields(sandbox):
    with pytest.raises(ValueError, match="emial"):
        sandbox.create_account("typo", "Passw0rd-1", emial="x@example.com")


def test_integrations_survive_a_restart(tmp_path, make_sandbox):
    first = make_sandbox(state_path=tmp_path / "s.sqlite")
    first.add_integration("11111111-2222-3333-4444-555555555555")
    first.close()
    second = make_sandbox(state_path=tmp_path / "s.sqlite")
    assert "11111111-2222-3333-4444-555555555555" in second.state.integrations


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize("kind", ["swsim", "ups", "fedex"])
def test_a_wildcard_bind_announces_a_reachable_url_and_ipv6_hosts_are_served(kind):
    box: Any = {"swsim": Sandbox, "ups": UpsSandbox, "fedex": FedexSandbox}[kind]()
    with box.serve(host="0.0.0.0") as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert requests.get(server.url.split("/swsim/")[0] + "/sandbox/control/ping", timeout=5).status_code == 200
    if not _ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    with box.serve(host="::1") as server:
        assert server.url.startswith("http://[::1]:")
        assert requests.get(server.url.split("/swsim/")[0] + "/sandbox/control/ping", timeout=5).status_code == 200
    if kind == "swsim":
        box.close()
