"""All of UPS's HTTP in one place: the OAuth token (cached, refreshed early), and every API call.

The token is fetched with HTTP Basic auth (``client_id:client_secret``) and the form
``grant_type=client_credentials``, kept until ``REFRESH_MARGIN`` seconds before it expires, and
shared by every call of the proxy (one fetch at a time, behind a lock). An API call answered
401 gets one retry with a freshly fetched token. Neither the secret nor the token is ever logged
or shown in a ``repr()``.

Transient failures (no connection, a timeout, 429, 5xx, a body that is not JSON) are retried by
the SDK's one policy (``onebalance.core._retry``, a :class:`~onebalance.RetryPolicy`): rate, track
and the token always; void always (a shipment is refunded once however often it is voided);
ship only when the request never reached UPS (no connection, 429), because UPS does not promise
to recognise a repeated ``CustomerContext``/``transId``: any other failure of a ship raises
:class:`~onebalance.OutcomeUnknown` with the idempotency key rather than risk a second shipment.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from onebalance.core import _json
from onebalance.core._config import Timeout, decode_json
from onebalance.core._errors import OneBalanceError, ProtocolError
from onebalance.core._retry import RetryPolicy, Safety, Transient, run
from onebalance.core._transport import HttpReply, check_session, send, shared_session

from . import mapping
from ._settings import UpsSettings

__all__ = ["REFRESH_MARGIN", "UpsProxy"]

logger = logging.getLogger("onebalance")

#: Refresh the token this many seconds before UPS says it expires.
REFRESH_MARGIN = 60.0
#: UPS's ``transactionSrc`` header: who sends the request.
TRANSACTION_SRC = "onebalance"
#: How each operation may be retried (anything else: only when the request never reached UPS).
SAFETY = {"rate": Safety.READ, "track": Safety.READ, "token": Safety.READ, "void": Safety.KEYED}
#: Operations that move money: an unresolved failure is OutcomeUnknown.
MONEY = frozenset({"ship", "void"})


class UpsProxy:
    """Sends UPS requests for one set of :class:`UpsSettings`; safe to share between threads.

    ``clock`` returns seconds since the epoch (``time.time`` by default); tests pass the sandbox's.
    """

    def __init__(
        self,
        settings: UpsSettings,
        *,
        timeout: Timeout | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        retry: RetryPolicy | None = None,
    ) -> None:
        check_session(session, service="UPS")
        self.settings = settings
        self.timeout = timeout or Timeout()
        self.retry = retry if retry is not None else RetryPolicy()
        self._session = session
        self._clock = clock
        self._token: mapping.Token | None = None
        self._token_lock = threading.Lock()
        self.token_fetches = 0

    def __repr__(self) -> str:
        return f"UpsProxy(base_url={self.settings.base_url!r}, client_id={self.settings.client_id!r})"

    @property
    def session(self) -> requests.Session:
        return self._session if self._session is not None else shared_session()

    # -- token -----------------------------------------------------------------------------------
    def token(self, *, stale: mapping.Token | None = None) -> mapping.Token:
        """A token valid for at least ``REFRESH_MARGIN`` more seconds; fetched when needed.

        ``stale`` is a token UPS just refused: it is replaced even if it looks valid.
        """
        current = self._token  # the usual case, without the lock: a token still good for a while
        if stale is None and current is not None and current.expires_at - REFRESH_MARGIN > self._clock():
            return current
        with self._token_lock:
            current = self._token
            if current is not None and current is not stale and current.expires_at - REFRESH_MARGIN > self._clock():
                return current
            self._token = self._fetch_token()
            return self._token

    def _fetch_token(self) -> mapping.Token:
        settings = self.settings
        auth = (settings.client_id, settings.client_secret.get_secret_value())
        response = self._send(
            "POST",
            mapping.TOKEN_PATH,
            operation="token",
            data=mapping.token_form(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "x-merchant-id": settings.account_number},
            auth=auth,
            log_body=False,
        )
        self.token_fetches += 1
        body = _decode(response, "token")
        return mapping.parse_token_response(body, self._clock())

    # -- API calls -------------------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        body: Mapping[str, Any] | None = None,
        trans_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send one API call with a bearer token, retried as the policy and the operation allow.

        A call answered 401 is sent once more with a fresh token. Every attempt sends the same
        ``transId``. Returns the decoded JSON; raises the SDK's typed error for UPS's error
        answers, :class:`~onebalance.OutcomeUnknown` when a ship or void may have happened.
        """
        headers = {"transactionSrc": TRANSACTION_SRC, "transId": trans_id or mapping.trans_id(str(time.time_ns()))}
        data = _json.dumps(body) if body is not None else None

        def attempt(number: int) -> Any:
            token = self._token_for(operation)
            for refreshed in (False, True):
                sent = dict(headers, Authorization=f"Bearer {token.access_token}")
                if body is not None:
                    sent["Content-Type"] = "application/json"
                response = self._send(method, path, operation=operation, data=data, headers=sent, attempt=number)
                if response.status == 401 and not refreshed:
                    token = self._token_for(operation, stale=token)
                    continue
                return _decode(response, operation, transaction_id=headers["transId"])
            raise AssertionError("unreachable")  # pragma: no cover

        return run(
            self.retry,
            operation,
            attempt,
            safety=SAFETY.get(operation, Safety.UNSAFE),
            key=idempotency_key or headers["transId"],
            money=operation in MONEY,
        )

    def _token_for(self, operation: str, *, stale: mapping.Token | None = None) -> mapping.Token:
        try:
            return self.token(stale=stale)
        except Transient as exc:
            # Only the token fetch failed: the operation itself was not sent.
            raise Transient(exc.error, f"token_{exc.reason}", sent=False, retry_after=exc.retry_after) from None

    def _send(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        data: Any,
        headers: dict[str, str],
        auth: tuple[str, str] | None = None,
        attempt: int = 1,
        log_body: bool = True,
    ) -> HttpReply:
        url = self.settings.base_url + path
        started = time.monotonic()
        if log_body and data is not None and logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "ups request operation=%s body=%s", operation, data.decode() if isinstance(data, bytes) else ""
            )
        response = send(
            self.session,
            method,
            url,
            service="UPS",
            operation=operation,
            timeout=self.timeout,
            data=data,
            headers=headers,
            auth=auth,
        )
        if logger.isEnabledFor(logging.INFO):  # the arguments are not worked out for nothing
            logger.info(
                "ups operation=%s method=%s path=%s status=%s duration_ms=%d attempt=%d",
                operation,
                method,
                path,
                response.status,
                (time.monotonic() - started) * 1000,
                attempt,
            )
        if log_body and logger.isEnabledFor(logging.DEBUG):
            logger.debug("ups response operation=%s body=%s", operation, response.text[:4000])
        return response


def _decode(response: HttpReply, operation: str, *, transaction_id: str | None = None) -> Any:
    """UPS's JSON answer, its typed error, or :class:`Transient` for 429, 5xx and a 2xx that is not JSON."""
    status = response.status
    try:
        decoded = decode_json(response.body, service="UPS", operation=operation, status=status)
    except ProtocolError:
        decoded = None
    if 200 <= status < 300 and decoded is not None:
        return decoded
    error: OneBalanceError
    if decoded is None:
        error = ProtocolError(
            f"UPS answered HTTP {status} with something that is not JSON",
            operation=operation,
            http_status=status,
            transaction_id=transaction_id,
        )
    else:
        error = mapping.parse_error(status, decoded, operation=operation, transaction_id=transaction_id)
    if status == 429:
        raise Transient(error, "throttled", sent=False, retry_after=response.retry_after)
    if status >= 500:
        raise Transient(error, f"http_{status}", sent=True, retry_after=response.retry_after)
    if 200 <= status < 300:
        raise Transient(error, "bad_body", sent=True)
    raise error
