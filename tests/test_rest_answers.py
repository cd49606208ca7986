"""The REST proxy reads the usual answer (a 2xx JSON object) in place, and leaves every other one to
``_decode``, the careful way: for any status and body, an attempt gives what ``_decode`` gives, the
same object or the same error (type, message, status, code, retry reason)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carriers.fedex import FedexClient, FedexSettings
from carriers.ups import UpsClient, UpsSettings
from onebalance import OneBalanceError
from onebalance.carriers._rest import _proxy
from onebalance.carriers._rest._request import Request
from onebalance.carriers._rest._token import Token
from onebalance.core import HttpReply, Transient

UPS = UpsClient(UpsSettings(client_id="app", client_secret="secret", account_number="A1B2C3")).proxy
FEDEX = FedexClient(FedexSettings(client_id="app", client_secret="secret", account_number="123456789")).proxy
for proxy in (UPS, FEDEX):  # a token good for ever: no fetch
    proxy._tokens._held = (Token("token", float("inf"), 3600.0), float("inf"))

BODIES = [
    b'{"ShipmentResponse": {"ShipmentResults": {}}}',
    b"{}",
    b'{"a": [1, 2.5, "x", null, true]}',
    b"[1, 2]",
    b'"text"',
    b"1e999",
    b"",
    b"not json",
    b"<html>502</html>",
    b"NaN",
    b'{"x": NaN}',
    b'{"x": Infinity}',
    b"\xff\xfe",
    b"[" * 5000 + b"]" * 5000,
    b'{"response": {"errors": [{"code": "250002", "message": "Invalid token"}]}}',
    b'{"response": {"errors": {"code": "120100", "message": "Missing"}}}',
    b'{"errors": [{"code": "NOT.FOUND.ERROR", "message": "No such shipment"}]}',
]
STATUSES = [200, 201, 202, 204, 299, 300, 400, 403, 404, 409, 422, 429, 500, 502, 503]


def _outcome(call: Any) -> Any:
    try:
        return ("answer", call())
    except Transient as exc:
        return ("transient", exc.reason, exc.sent, exc.retry_after, *_error(exc.error))
    except OneBalanceError as exc:
        return ("error", *_error(exc))


def _error(exc: BaseException) -> tuple[Any, ...]:
    return (type(exc).__name__, str(exc), getattr(exc, "http_status", None), getattr(exc, "code", None))


@settings(max_examples=300, deadline=None)
@given(
    proxy=st.sampled_from([UPS, FEDEX]),
    status=st.sampled_from(STATUSES),
    body=st.sampled_from(BODIES) | st.binary(max_size=40),
    retry_after=st.sampled_from([None, "3", "soon"]),
)
def test_an_attempt_reads_every_answer_as_decode_does(
    proxy: Any, status: int, body: bytes, retry_after: str | None
) -> None:
    headers = {"Content-Type": "application/json"} | ({"Retry-After": retry_after} if retry_after else {})
    reply = HttpReply(status, body, headers)
    with pytest.MonkeyPatch.context() as patch:  # undone after each example
        patch.setattr(_proxy, "send", lambda *args, **kwargs: reply)
        request = Request("rate", "POST", "/x", {"a": 1})
        fast = _outcome(lambda: proxy._authorized(request, "https://x/x", b"{}", {}, "tx-1", 1, False, False))
    careful = _outcome(lambda: proxy._decode(reply, "rate", "tx-1"))
    assert fast == careful
    if fast[0] == "answer":
        assert fast[1] == json.loads(body)
