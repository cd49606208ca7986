"""All of UPS's HTTP in one place: the OAuth token (cached, refreshed early), and every API call.

The token is fetched with HTTP Basic auth (``client_id:client_secret``) and the form
``grant_type=client_credentials``, kept until ``REFRESH_MARGIN`` seconds before it expires, and
shared by every call of the proxy (one fetch at a time, behind a lock). An API call answered
401 gets one retry with a freshly fetched token. Neither the secret nor the token is ever logged
or shown in a ``repr()``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from onebalance._config import Timeout
from onebalance._errors import ConnectError, ProtocolError, RequestTimeout, TransportError
from onebalance._transport import check_session, shared_session

from . import mapping
from ._settings import UpsSettings

__all__ = ["REFRESH_MARGIN", "UpsProxy"]

logger = logging.getLogger("onebalance")

#: Refresh the token this many seconds before UPS says it expires.
REFRESH_MARGIN = 60.0
#: UPS's ``transactionSrc`` header: who sends the request.
TRANSACTION_SRC = "onebalance"


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
    ) -> None:
        check_session(session)
        self.settings = settings
        self.timeout = timeout or Timeout()
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
        body = _json(response, "token")
        if response.status_code != 200:
            raise mapping.parse_error(response.status_code, body, operation="token")
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
    ) -> Any:
        """Send one API call with a bearer token; retry once with a fresh token on 401.

        Returns the decoded JSON; raises the SDK's typed error for UPS's error answers.
        """
        headers = {"transactionSrc": TRANSACTION_SRC, "transId": trans_id or mapping.trans_id(str(time.time_ns()))}
        token = self.token()
        for attempt in (1, 2):
            sent = dict(headers, Authorization=f"Bearer {token.access_token}")
            if body is not None:
                sent["Content-Type"] = "application/json"
            response = self._send(
                method,
                path,
                operation=operation,
                data=json.dumps(body).encode() if body is not None else None,
                headers=sent,
                attempt=attempt,
            )
            if response.status_code == 401 and attempt == 1:
                token = self.token(stale=token)
                continue
            decoded = _json(response, operation)
            if response.status_code >= 400:
                raise mapping.parse_error(
                    response.status_code, decoded, operation=operation, transaction_id=headers["transId"]
                )
            return decoded
        raise AssertionError("unreachable")  # pragma: no cover

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
    ) -> requests.Response:
        url = self.settings.base_url + path
        started = time.monotonic()
        if log_body and data is not None and logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "ups request operation=%s body=%s", operation, data.decode() if isinstance(data, bytes) else ""
            )
        try:
            response = self.session.request(
                method,
                url,
                data=data,
                headers=headers,
                auth=auth,
                timeout=self.timeout.as_tuple(),
                allow_redirects=False,
            )
            _ = response.content
        except requests.ConnectTimeout:
            raise ConnectError("Timed out connecting to UPS", operation=operation) from None
        except requests.ReadTimeout:
            raise RequestTimeout(f"No answer from UPS within {self.timeout.read:g} s", operation=operation) from None
        except requests.exceptions.SSLError:
            raise ConnectError("TLS verification of the UPS endpoint failed", operation=operation) from None
        except requests.ConnectionError as exc:
            raise ConnectError(f"Could not connect to UPS ({type(exc).__name__})", operation=operation) from None
        except requests.RequestException as exc:
            raise TransportError(f"The UPS request failed ({type(exc).__name__})", operation=operation) from None
        logger.info(
            "ups operation=%s method=%s path=%s status=%s duration_ms=%d attempt=%d",
            operation,
            method,
            path,
            response.status_code,
            (time.monotonic() - started) * 1000,
            attempt,
        )
        if log_body and logger.isEnabledFor(logging.DEBUG):
            logger.debug("ups response operation=%s body=%s", operation, response.text[:4000])
        return response


def _json(response: requests.Response, operation: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ProtocolError(
            f"UPS answered HTTP {response.status_code} with something that is not JSON",
            operation=operation,
            http_status=response.status_code,
        ) from None
