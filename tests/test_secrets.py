"""No password or token ever shows in logs, reprs or error texts."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from onebalance import AuthenticationFailed

_TOKEN = re.compile(rb"<(?:\w+:)?[Aa]uthenticator(?:\s[^>]*)?>([^<]+)<")


def _tokens(wire_log) -> set[str]:
    return {m.decode() for _, _, body in wire_log for m in _TOKEN.findall(body)}


def test_debug_logs_hold_no_password_or_token(sandbox, endpoint, client_for, wire_log, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_for(endpoint)
    client.account()
    sandbox.advance_clock(timedelta(hours=25))  # forces a transparent re-login
    client.account()
    with pytest.raises(AuthenticationFailed):
        client_for(endpoint, password="Wrong-passw0rd").account()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "op=GetAccountInfo" in text
    assert "request=" in text  # bodies are logged at DEBUG, redacted
    secrets = {endpoint.password, "Wrong-passw0rd"} | _tokens(wire_log)
    assert len(secrets) > 3
    leaked = [s for s in secrets if s in text]
    assert not leaked


def test_reprs_and_errors_hold_no_secret(endpoint, client_for):
    client = client_for(endpoint)
    client.account()
    assert endpoint.password not in repr(client)
    assert client._token not in repr(client)
    assert "password='***'" in repr(endpoint)
    with pytest.raises(AuthenticationFailed) as info:
        client_for(endpoint, password="Wrong-passw0rd").account()
    for text in (str(info.value), repr(info.value), str(info.value.args)):
        assert "Wrong-passw0rd" not in text
        assert "wrong" in text.lower()  # it names the problem
