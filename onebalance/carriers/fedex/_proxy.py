"""The one place that does FedEx HTTP: OAuth token cache, JSON calls, error mapping, logging.

The token is fetched with the client credentials (form body), cached, and fetched again shortly
before it expires; a call answered 401 gets a fresh token and is sent once more. Nothing secret
(the client secret, the token, a label's bytes) is ever logged or put in an error.

Transient failures (no connection, a timeout, 429, 5xx, a body that is not JSON) are retried by
the SDK's one policy (``onebalance.core._retry``): rate, track and OAuth always; cancel always (a
shipment is cancelled once however often it is asked); ship only when the request never reached
FedEx (no connection, 429), since FedEx only echoes ``x-customer-transaction-id`` and does not
promise to recognise a repeat: any other failure of a ship raises
:class:`~onebalance.OutcomeUnknown` with the idempotency key rather than risk a second shipment.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import requests

from onebalance.core import _json
from onebalance.core._config import Timeout, decode_json
from onebalance.core._errors import OneBalanceError, OutcomeUnknown, ProtocolError, clipped
from onebalance.core._redact import MAX_LOGGED_BODY
from onebalance.core._retry import RetryPolicy, Safety, Transient, run
from onebalance.core._transport import check_session, send, shared_session

from . import _mapping
from ._settings import FedexSettings

__all__ = ["FedexProxy"]

log = logging.getLogger("onebalance.carriers.fedex")

TOKEN_PATH = "/oauth/token"  # noqa: S105 - a URL path, not a password
#: Fetch a new token this long before the old one expires (FedEx tokens last 60 minutes), or after
#: half its life when it is short.
REFRESH_MARGIN = 300.0
#: How each operation may be retried (anything else: only when the request never reached FedEx).
SAFETY = {"rate": Safety.READ, "track": Safety.READ, "oauth": Safety.READ, "cancel": Safety.KEYED}
#: Operations that move money: an unresolved failure is OutcomeUnknown.
MONEY = frozenset({"ship", "cancel"})
_SECRET_KEYS = frozenset({"access_token", "client_secret", "client_id", "encodedLabel", "authorization"})


def redact(value: Any) -> Any:
    """A copy of a JSON value with secrets and label images replaced, for DEBUG logs."""
    if isinstance(value, Mapping):
        return {k: ("<redacted>" if k in _SECRET_KEYS else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


class FedexProxy:
    """HTTP to FedEx for one :class:`FedexSettings`. Thread-safe; the token is shared by all threads."""

    def __init__(
        self,
        settings: FedexSettings,
        timeout: Timeout | None = None,
        session: requests.Session | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        retry: RetryPolicy | None = None,
    ) -> None:
        check_session(session, service="FedEx")
        self.settings = settings
        self.timeout = timeout or Timeout()
        self.retry = retry if retry is not None else RetryPolicy()
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        self.tokens_fetched = 0

    def __repr__(self) -> str:
        return f"FedexProxy(base_url={self.settings.base_url!r}, has_token={self._token is not None})"

    @property
    def session(self) -> requests.Session:
        return self._session if self._session is not None else shared_session()

    # -- token ---------------------------------------------------------------------------------
    def token(self, *, stale: str | None = None) -> str:
        """A valid token; a new one if none is cached, it is near expiry, or it is ``stale``."""
        with self._lock:
            if self._token is not None and self._token != stale and self._clock() < self._refresh_at:
                return self._token
            form = _mapping.token_request(self.settings.client_id, self.settings.client_secret.get_secret_value())
            status, body = self._exchange("oauth", "POST", TOKEN_PATH, form=form)
            if status != 200:
                raise _mapping.error_for(status, body, "oauth")
            token, expires_in = _mapping.parse_token_response(body)
            self._token = token
            self._refresh_at = self._clock() + max(expires_in - min(REFRESH_MARGIN, expires_in / 2), 0)
            self.tokens_fetched += 1
            log.info("fedex operation=oauth expires_in=%s", expires_in)
            return token

    def forget_token(self) -> None:
        with self._lock:
            self._token = None

    # -- calls ---------------------------------------------------------------------------------
    def call(
        self,
        operation: str,
        method: str,
        path: str,
        payload: Mapping[str, Any],
        *,
        transaction_id: str | None = None,
        repeat_refused: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """Send ``payload`` as JSON with a bearer token, retried as the policy and the operation allow.

        A call answered 401 is sent once more with a new token; every attempt sends the same
        ``x-customer-transaction-id``. ``repeat_refused`` recognises an answer that an earlier
        attempt may explain (a cancel answered "already cancelled"): after an attempt that may
        have reached FedEx, such an answer is :class:`~onebalance.OutcomeUnknown`.
        """
        transaction_id = transaction_id or uuid.uuid4().hex
        maybe_done = False

        def attempt(number: int) -> dict[str, Any]:
            nonlocal maybe_done
            try:
                body = one(number)
            except Transient as exc:
                maybe_done = maybe_done or exc.sent
                raise
            if maybe_done and repeat_refused is not None and repeat_refused(body):
                raise OutcomeUnknown(
                    f"{OutcomeUnknown.default_message}: FedEx refused the repeat of a {operation} whose first "
                    "answer was lost (perhaps because the first one went through)",
                    operation=operation,
                    idempotency_key=transaction_id,
                    attempts=number,
                )
            return body

        def one(number: int) -> dict[str, Any]:
            token = self._token_for(operation)
            for refreshed in (False, True):
                headers = {
                    "Authorization": f"Bearer {token}",
                    "x-customer-transaction-id": transaction_id,
                    "x-locale": "en_US",
                }
                status, body = self._exchange(
                    operation, method, path, json_body=payload, headers=headers, attempt=number
                )
                if status == 401 and not refreshed:
                    token = self._token_for(operation, stale=token)
                    continue
                if 200 <= status < 300:
                    return body
                raise _mapping.error_for(status, body, operation)
            raise AssertionError("unreachable")  # pragma: no cover

        return run(
            self.retry,
            operation,
            attempt,
            safety=SAFETY.get(operation, Safety.UNSAFE),
            key=transaction_id,
            money=operation in MONEY,
        )

    def _token_for(self, operation: str, *, stale: str | None = None) -> str:
        try:
            return self.token(stale=stale)
        except Transient as exc:
            # Only the token fetch failed: the operation itself was not sent.
            raise Transient(exc.error, f"token_{exc.reason}", sent=False, retry_after=exc.retry_after) from None

    def _for_log(self, body: Mapping[str, Any]) -> str:
        """``body`` for a DEBUG line: secrets redacted, the account number masked as in reprs (``****1073``)."""
        account = self.settings.account_number
        return clipped(json.dumps(redact(body)).replace(account, f"****{account[-4:]}"), MAX_LOGGED_BODY)

    def _exchange(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        form: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        attempt: int = 1,
    ) -> tuple[int, dict[str, Any]]:
        url = self.settings.base_url + path
        sent = dict(headers or {})
        sent["Accept"] = "application/json"
        if json_body is not None:
            sent["Content-Type"] = "application/json"
            data: Any = _json.dumps(json_body)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("fedex operation=%s request=%s", operation, self._for_log(json_body))
        else:
            data = dict(form or {})
        started = time.perf_counter()
        response = send(
            self.session,
            method,
            url,
            service="FedEx",
            operation=operation,
            timeout=self.timeout,
            data=data,
            headers=sent,
        )
        content = response.body
        status = response.status
        if log.isEnabledFor(logging.INFO):  # the arguments are not worked out for nothing
            log.info(
                "fedex operation=%s method=%s path=%s status=%s duration_ms=%.0f attempt=%s",
                operation, method, path, status, (time.perf_counter() - started) * 1000, attempt,
            )  # fmt: skip
        try:
            body = decode_json(content, service="FedEx", operation=operation, status=status) if content else {}
        except ProtocolError:
            body = None
        error: OneBalanceError | None = None
        if not isinstance(body, dict):
            error = ProtocolError(
                f"FedEx answered HTTP {status} with a body that is not a JSON object",
                operation=operation,
                http_status=status,
            )
        if status == 429 or status >= 500:
            error = error or _mapping.error_for(status, body, operation)
            retry_after = response.retry_after
            if status == 429:
                raise Transient(error, "throttled", sent=False, retry_after=retry_after)
            raise Transient(error, f"http_{status}", sent=True, retry_after=retry_after)
        if error is not None:
            if 200 <= status < 300:
                raise Transient(error, "bad_body", sent=True)
            raise error
        assert isinstance(body, dict)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("fedex operation=%s status=%s response=%s", operation, status, self._for_log(body))
        return status, body
