"""HTTP for every client: one connection pool per process, timeouts always set.

A ``requests.Session`` is shared by all clients in the process unless one is passed in, so
that thousands of merchants' clients reuse the same keep-alive connections. :func:`send` is
the one place where a ``requests`` failure becomes an SDK error (SWSIM, UPS and FedEx alike),
classified for the retry policy (``_retry``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from ._config import Timeout, check_tls, read_body
from ._errors import ConnectError, ProtocolError, RequestTimeout, TransportError
from ._retry import Transient, retry_after_seconds

_shared: requests.Session | None = None
_shared_lock = threading.Lock()
POOL_SIZE = 64


def shared_session() -> requests.Session:
    """The process-wide session (created on first use)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                session = requests.Session()
                # urllib3 retries nothing (requests' default): every retry is decided in ``_retry``.
                adapter = HTTPAdapter(pool_connections=16, pool_maxsize=POOL_SIZE)
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                session.headers["User-Agent"] = "onebalance-python"
                _shared = session
    return _shared


def check_session(session: requests.Session | None, *, service: str = "onebalance") -> requests.Session | None:
    """Refuse a caller's session that would not verify TLS (``verify`` False, None, "" or 0); a CA
    bundle path is an explicit opt-in, logged once (:func:`~onebalance._config.check_tls`)."""
    if session is not None:
        check_tls(session, service=service)
    return session


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    body: bytes
    content_type: str
    retry_after: float | None = None


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    service: str,
    operation: str,
    timeout: Timeout,
    **kwargs: Any,
) -> requests.Response:
    """One HTTP request with ``timeout``, never following redirects; the body is read before returning,
    at most :data:`~onebalance._config.MAX_RESPONSE_BYTES` of it (a larger one is :class:`ProtocolError`).

    A failure another attempt may not meet raises :class:`~onebalance._retry.Transient` (its
    ``sent`` says whether the request may have reached ``service``); a TLS verification failure
    or a malformed request raises the SDK's error at once. Raw ``requests`` errors never escape.
    """
    try:
        response = session.request(
            method, url, timeout=timeout.as_tuple(), allow_redirects=False, stream=True, **kwargs
        )
        body = read_body(response, operation=operation, service=service)
        # requests' own cache of the body, so that ``response.content`` is the capped read.
        response._content = body
        response._content_consumed = True  # type: ignore[attr-defined]
    except requests.ConnectTimeout:
        raise Transient(
            ConnectError(f"Timed out connecting to {service}", operation=operation), "connect_timeout", sent=False
        ) from None
    except requests.ReadTimeout:
        raise Transient(
            RequestTimeout(f"No answer from {service} within {timeout.read:g} s", operation=operation),
            "read_timeout",
            sent=True,
        ) from None
    except requests.exceptions.SSLError:
        raise ConnectError(f"TLS verification failed for {service}", operation=operation) from None
    except requests.ConnectionError as exc:
        sent = not _never_connected(exc)
        raise Transient(
            ConnectError(f"Could not connect to {service} ({type(exc).__name__})", operation=operation),
            "connection_lost" if sent else "connect",
            sent=sent,
        ) from None
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
        raise Transient(
            ProtocolError(f"The answer from {service} was cut short ({type(exc).__name__})", operation=operation),
            "truncated",
            sent=True,
        ) from None
    except requests.RequestException as exc:
        raise TransportError(f"The request to {service} failed ({type(exc).__name__})", operation=operation) from None
    return response


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when no connection was made, so the request cannot have reached the service."""
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


class Transport:
    """Posts SOAP envelopes; maps every ``requests`` failure to the SDK's errors."""

    def __init__(self, session: requests.Session | None = None, timeout: Timeout | None = None) -> None:
        self._session = check_session(session)
        self.timeout = timeout or Timeout()

    @property
    def session(self) -> requests.Session:
        return self._session if self._session is not None else shared_session()

    def post(self, url: str, body: bytes, soap_action: str, *, operation: str) -> HttpReply:
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{soap_action}"'}
        response = send(
            self.session,
            "POST",
            url,
            service="the One Balance service",
            operation=operation,
            timeout=self.timeout,
            data=body,
            headers=headers,
        )
        return HttpReply(
            response.status_code,
            response.content,
            response.headers.get("Content-Type", ""),
            retry_after_seconds(response.headers),
        )
