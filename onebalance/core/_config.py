"""Timeouts, endpoint checks, bounded response bodies and TLS checks, for every service the SDK calls."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import unicodedata
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import _json
from ._errors import ConfigurationError, ProtocolError

if TYPE_CHECKING:
    import requests

logger = logging.getLogger("onebalance")

_LOCAL_SUFFIXES = (".test", ".localhost")
#: The longest endpoint or base_url accepted.
MAX_URL_CHARS = 2048


@dataclass(frozen=True, slots=True)
class Timeout:
    """Seconds to wait: ``connect`` for the TCP/TLS connection, ``read`` between bytes of the answer,
    ``total`` for a whole attempt (connecting, sending, and reading the whole answer).

    The retry policy's ``deadline`` bounds the whole call as well: no attempt runs past it.
    """

    connect: float = 5.0
    read: float = 30.0
    total: float = 60.0

    def __post_init__(self) -> None:
        for name in ("connect", "read", "total"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < float("inf"):
                raise ConfigurationError(f"timeout {name} must be a positive number of seconds")

    def as_tuple(self) -> tuple[float, float]:
        return (self.connect, self.read)


def is_local_host(host: str) -> bool:
    """Loopback addresses, ``localhost`` and reserved test domains: plain http is allowed there."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str) -> str:
    """Refuse endpoints that are not http(s) URLs, and plain http to anything not local."""
    if not isinstance(url, str) or not url:
        raise ConfigurationError("endpoint must be a URL such as https://host/path")
    if len(url) > MAX_URL_CHARS or any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in url):
        # urlsplit would quietly drop a CR, LF or tab, and the URL would be sent with them
        raise ConfigurationError(
            f"endpoint must be a URL of at most {MAX_URL_CHARS} characters without spaces or control characters"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("endpoint must be an http(s) URL such as https://host/path")
    if parts.username or parts.password:
        raise ConfigurationError("endpoint must not carry credentials in the URL")
    if parts.scheme == "http" and not is_local_host(parts.hostname):
        raise ConfigurationError(
            f"endpoint {parts.scheme}://{parts.hostname} must use https: only local endpoints may use plain http"
        )
    return url


#: The largest response body the SDK reads from any service (32 MiB). SWSIM answers, UPS and FedEx
#: JSON (label images included) are far smaller; anything bigger is refused as a ProtocolError
#: instead of being held in memory.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
_CHUNK = 64 * 1024


def read_body(response: requests.Response, *, operation: str, service: str, limit: int = MAX_RESPONSE_BYTES) -> bytes:
    """The body of ``response``, read at most ``limit`` bytes; :class:`ProtocolError` past that.

    Call it on a response fetched with ``stream=True`` so that a huge body is never read whole:
    a declared ``Content-Length`` over the limit is refused before reading, and the read stops at
    the first chunk past it. (On a response already read, only its length is checked.)
    """
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise _too_big(response, service, operation, limit)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_CHUNK):
        size += len(chunk)
        if size > limit:
            response.close()
            raise _too_big(response, service, operation, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_big(response: requests.Response, service: str, operation: str, limit: int) -> ProtocolError:
    return ProtocolError(
        f"{service} sent a response larger than {limit} bytes; it was not read",
        operation=operation,
        http_status=response.status_code,
    )


def decode_json(content: bytes, *, service: str, operation: str, status: int | None = None) -> Any:
    """Decode a JSON answer; anything that is not JSON (XML, HTML, bad UTF-8, nesting deep enough to
    exhaust the stack, ``NaN``) raises :class:`ProtocolError` instead of a raw exception.

    orjson decodes it, the standard library whatever orjson refuses (see ``onebalance.core._json``)."""
    try:
        return _json.loads(content, constants=False)
    except (ValueError, RecursionError, TypeError):
        raise ProtocolError(
            f"{service} answered HTTP {status} with something that is not JSON",
            operation=operation,
            http_status=status,
        ) from None


#: The sessions whose private CA bundle was logged (once each; a session's entry goes with it).
_CA_WARNED: weakref.WeakSet[requests.Session] = weakref.WeakSet()


def check_tls(session: requests.Session, *, service: str = "onebalance") -> None:
    """Refuse a session that would not verify TLS certificates; say so loudly when it uses a private CA.

    ``session.verify`` must be ``True`` (the system's trust store, or ``REQUESTS_CA_BUNDLE``) or the
    path of an existing CA bundle. ``False``, ``None``, ``""`` or ``0`` all switch verification
    off in ``requests`` and are refused with :class:`ConfigurationError`. A CA bundle path is an
    explicit opt-in: it is logged at WARNING once per session.
    """
    verify = session.verify
    if verify is True:
        return
    if isinstance(verify, str) and verify:
        if not os.path.exists(verify):
            raise ConfigurationError(f"{service}: the CA bundle {verify!r} given as session.verify does not exist")
        if session not in _CA_WARNED:
            logger.warning(
                "TLS: %s verifies certificates against the private CA bundle %s, not the system trust store",
                service,
                verify,
            )
            with contextlib.suppress(TypeError):  # a session that cannot be weakly referenced: warned each time
                _CA_WARNED.add(session)
        return
    raise ConfigurationError(
        f"{service}: TLS verification is switched off on the session passed in (verify={verify!r}); "
        "onebalance will not send credentials without it (set session.verify to a CA bundle path instead)"
    )


def check_client_id(value: str, carrier: str) -> str:
    """An OAuth client id (an API key): 1 to 128 printable characters, no spaces."""
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= 128
        or any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in value)
    ):
        raise ConfigurationError(f"{carrier} settings: client_id must be 1 to 128 characters without spaces")
    return value
