"""HTTP for every client: one connection pool per process, timeouts always set.

A ``requests.Session`` is shared by all clients in the process unless one is passed in, so
that thousands of merchants' clients reuse the same keep-alive connections.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter

from ._config import Timeout
from ._errors import ConfigurationError, ConnectError, RequestTimeout, TransportError

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
                adapter = HTTPAdapter(pool_connections=16, pool_maxsize=POOL_SIZE, max_retries=0)
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                session.headers["User-Agent"] = "onebalance-python"
                _shared = session
    return _shared


def check_session(session: requests.Session | None) -> requests.Session | None:
    """Refuse a caller's session with TLS verification switched off (a CA bundle path is fine)."""
    if session is not None and session.verify is False:
        raise ConfigurationError(
            "TLS verification is switched off on the session passed in; onebalance will not send "
            "credentials without it (set session.verify to a CA bundle path instead)"
        )
    return session


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    body: bytes
    content_type: str


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
        try:
            response = self.session.post(
                url,
                data=body,
                headers=headers,
                timeout=self.timeout.as_tuple(),
                allow_redirects=False,
            )
            content = response.content
        except requests.ConnectTimeout:
            raise ConnectError("Timed out connecting to the One Balance service", operation=operation) from None
        except requests.ReadTimeout:
            raise RequestTimeout(
                f"No answer from the One Balance service within {self.timeout.read:g} s", operation=operation
            ) from None
        except requests.exceptions.SSLError:
            raise ConnectError("TLS verification of the One Balance endpoint failed", operation=operation) from None
        except requests.ConnectionError as exc:
            raise ConnectError(f"{ConnectError.default_message} ({type(exc).__name__})", operation=operation) from None
        except requests.RequestException as exc:
            raise TransportError(
                f"{TransportError.default_message} ({type(exc).__name__})", operation=operation
            ) from None
        return HttpReply(response.status_code, content, response.headers.get("Content-Type", ""))
