"""The rolling Authenticator: the service's rules (sandbox) and the client's handling of them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import responses

from onebalance import (
    AuthenticationFailed,
    AuthenticatorExpired,
    ConversationOutOfSync,
    ConversationSuperseded,
    InsufficientFunds,
    InvalidAuthenticator,
    InvalidIntegrationId,
)
from onebalance.sandbox import IN_PROCESS_URL

from . import _wire
from ._soap import build, build_fault, swsim_schema


@pytest.fixture
def demo(sandbox):
    return sandbox.create_demo_account()


# -- the service's rules --------------------------------------------------------------------------
def test_each_response_carries_a_new_token_valid_for_the_next_call_only(sandbox, demo):
    first = _wire.login(sandbox, demo)
    second = _wire.call(sandbox, "GetAccountInfo", {"Authenticator": first})["Authenticator"]
    third = _wire.call(sandbox, "GetAccountInfo", {"Authenticator": second})["Authenticator"]
    assert len({first, second, third}) == 3


def test_reusing_an_older_token_is_out_of_sync(sandbox, demo):
    first = _wire.login(sandbox, demo)
    _wire.call(sandbox, "GetAccountInfo", {"Authenticator": first})
    assert _wire.fault_code(sandbox, "GetAccountInfo", {"Authenticator": first}) == "002b0204"


def test_a_newer_login_supersedes_the_conversation(sandbox, demo):
    old = _wire.login(sandbox, demo)
    _wire.login(sandbox, demo)
    assert _wire.fault_code(sandbox, "GetAccountInfo", {"Authenticator": old}) == "002b0203"


def test_a_token_older_than_24_hours_has_expired(sandbox, demo):
    token = _wire.login(sandbox, demo)
    sandbox.advance_clock(timedelta(hours=23, minutes=59))
    token = _wire.call(sandbox, "GetAccountInfo", {"Authenticator": token})["Authenticator"]
    sandbox.advance_clock(timedelta(minutes=2))
    assert _wire.fault_code(sandbox, "GetAccountInfo", {"Authenticator": token}) == "002b0202"


def test_a_garbage_token_is_invalid(sandbox, demo):
    assert _wire.fault_code(sandbox, "GetAccountInfo", {"Authenticator": "not-a-token"}) == "002b0201"


@pytest.mark.parametrize(("field", "value"), [("Password", "wrong-password1"), ("Username", "nobody-here")])
def test_wrong_username_or_password_fails_authentication(sandbox, demo, field, value):
    creds = _wire.credentials(demo) | {field: value}
    assert _wire.fault_code(sandbox, "AuthenticateUser", {"Credentials": creds}) == "002b0601"


def test_unknown_integration_id_is_refused(sandbox, demo):
    creds = _wire.credentials(demo) | {"IntegrationID": "11111111-2222-3333-4444-555555555555"}
    assert _wire.fault_code(sandbox, "AuthenticateUser", {"Credentials": creds}) == "002b0207"


def test_any_call_may_send_credentials_instead_of_a_token(sandbox, demo):
    token = _wire.login(sandbox, demo)
    result = _wire.call(sandbox, "GetAccountInfo", {"Credentials": _wire.credentials(demo)})
    assert result["AccountInfo"]["Username"] == "demo-merchant"
    # A Credentials call is no second login: the running conversation goes on.
    _wire.call(sandbox, "GetAccountInfo", {"Authenticator": token})
    assert _wire.fault_code(sandbox, "GetAccountInfo", {"Credentials": _wire.credentials(demo, "bad-pass1")}) == (
        "002b0601"
    )


def test_a_refused_token_does_not_advance_the_conversation(sandbox, demo):
    token = _wire.login(sandbox, demo)
    assert _wire.fault_code(sandbox, "GetAccountInfo", {"Authenticator": "garbage"}) == "002b0201"
    _wire.call(sandbox, "GetAccountInfo", {"Authenticator": token})


# -- the client -----------------------------------------------------------------------------------
def _reauth_count(wire_log) -> int:
    return sum(1 for direction, op, _ in wire_log if direction == "request" and op == "AuthenticateUser")


def test_client_logs_in_lazily_once_and_rolls_the_token(client, wire_log):
    assert _reauth_count(wire_log) == 0
    for _ in range(3):
        client.account()
    assert _reauth_count(wire_log) == 1


@pytest.mark.parametrize("cause", ["expired", "superseded", "out_of_sync", "invalid"])
def test_client_reauthenticates_once_transparently(sandbox, endpoint, client_for, wire_log, cause):
    client = client_for(endpoint)
    client.account()
    if cause == "expired":
        sandbox.advance_clock(timedelta(hours=25))
    elif cause == "superseded":
        client_for(endpoint).authenticate()
    elif cause == "out_of_sync":
        _wire.call(sandbox, "GetAccountInfo", {"Authenticator": client._token})  # another holder used it
    else:
        client._token = "forgotten-by-the-service"
    assert client.account().username == "demo-merchant"
    # Superseded by another login of the same user: the default (auto) client sends Credentials from
    # then on instead of logging in again (which would supersede the other one in turn).
    assert _reauth_count(wire_log) == 2
    assert client.uses_credentials == (cause == "superseded")


def _soap(op_name: str, payload: dict) -> bytes:
    schema = swsim_schema()
    return build(schema, schema.operations[op_name], payload, response=True)


def _fault(code: str, text: str, authenticator: str | None = None) -> bytes:
    return build_fault(f"{text} [0x{code}]", code=code, authenticator=authenticator)


def test_client_gives_up_after_one_reauthentication(client_for, demo):
    demo_at = replace(demo, url=IN_PROCESS_URL)
    with responses.RequestsMock() as mock:
        login = {
            "Authenticator": "t1",
            "ClearCredential": False,
            "LoginBannerText": "",
            "PasswordExpired": False,
            "CodewordsSet": True,
        }
        mock.add(responses.POST, IN_PROCESS_URL, body=_soap("AuthenticateUser", login))
        mock.add(responses.POST, IN_PROCESS_URL, status=500, body=_fault("002b0203", "Invalid conversation token."))
        mock.add(responses.POST, IN_PROCESS_URL, body=_soap("AuthenticateUser", login | {"Authenticator": "t2"}))
        mock.add(responses.POST, IN_PROCESS_URL, status=500, body=_fault("002b0203", "Invalid conversation token."))
        with pytest.raises(ConversationSuperseded) as info:
            client_for(demo_at, concurrency="conversation").account()
        assert info.value.code == "002b0203"
        assert len(mock.calls) == 4


def test_client_sends_the_replacement_token_from_a_fault(client_for, demo):
    """A fault may carry the token the service moved on to; the next call must send it."""
    demo_at = replace(demo, url=IN_PROCESS_URL)
    with responses.RequestsMock() as mock:
        login = {
            "Authenticator": "t1",
            "ClearCredential": False,
            "LoginBannerText": "",
            "PasswordExpired": False,
            "CodewordsSet": True,
        }
        mock.add(responses.POST, IN_PROCESS_URL, body=_soap("AuthenticateUser", login))
        mock.add(
            responses.POST,
            IN_PROCESS_URL,
            status=500,
            body=_fault("80040414", "Insufficient Postage", authenticator="replacement-token"),
        )
        mock.add(responses.POST, IN_PROCESS_URL, status=500, body=_fault("80040414", "Insufficient Postage"))
        client = client_for(demo_at)
        with pytest.raises(InsufficientFunds):
            client.account()
        with pytest.raises(InsufficientFunds):
            client.account()
        assert b"<Authenticator>replacement-token</Authenticator>" in mock.calls[2].request.body


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("002b0201", InvalidAuthenticator),
        ("002b0202", AuthenticatorExpired),
        ("002b0203", ConversationSuperseded),
        ("002b0204", ConversationOutOfSync),
        ("002b0601", AuthenticationFailed),
        ("002b0207", InvalidIntegrationId),
    ],
)
def test_conversation_and_login_faults_are_typed(code, error):
    from onebalance.swsim._faults import error_for_fault

    assert (
        type(error_for_fault(code=code, faultcode="soap:Server", faultstring="x", operation="Op", http_status=500))
        is error
    )
