"""HTTP for every client: one connection pool per process, timeouts always set.

A ``requests.Session`` is shared by all clients in the process unless one is passed in, so
that thousands of merchants' clients reuse the same keep-alive connections. :func:`send` is
the one place where a ``requests`` failure becomes an SDK error (SWSIM, UPS and FedEx alike),
classified for the retry policy (``_retry``).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
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


def _after_fork_in_child() -> None:
    # A forked worker (a pre-fork server, multiprocessing) must not share the parent's keep-alive
    # connections, nor a lock a parent thread held at the fork: it starts a session of its own.
    global _shared, _shared_lock
    _shared = None
    _shared_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


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
        response = _request(session, method, url, timeout.as_tuple(), kwargs)
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


#: ``send`` keywords that go into the request itself (the rest would change how it is sent).
_REQUEST_KEYWORDS = frozenset({"headers", "data", "json", "params", "auth", "cookies", "files", "hooks"})
#: At most this many origins' settings are kept per session.
_ENV_CACHE_SIZE = 64


def _request(
    session: requests.Session, method: str, url: str, timeout: tuple[float, float], kwargs: dict[str, Any]
) -> requests.Response:
    """``session.request(...)``, with what ``requests`` reads from the environment read once per origin.

    ``requests.Session.request`` looks up the proxy settings (``HTTPS_PROXY``, ``NO_PROXY``...,
    walking the whole environment twice) and the CA bundle (``REQUESTS_CA_BUNDLE``,
    ``CURL_CA_BUNDLE``) on every call. Here ``merge_environment_settings`` runs once per session
    and origin (scheme, host and port), and again whenever the session's own ``proxies``,
    ``verify``, ``cert`` or ``trust_env`` change; the request is then prepared and sent as
    ``Session.request`` would. The environment is thus read at the first call to each origin:
    variables set later are not seen by that session. A session whose ``request`` is overridden
    (instrumented, or a test double) is called as is.
    """
    if type(session).request is not requests.Session.request or not _REQUEST_KEYWORDS.issuperset(kwargs):
        return session.request(method, url, timeout=timeout, allow_redirects=False, stream=True, **kwargs)
    slash = url.find("/", url.find("://") + 3)
    origin = url if slash < 0 else url[:slash]
    proxies = session.proxies
    key: Any = (
        origin,
        session.trust_env,
        session.verify,
        session.cert,
        tuple(proxies.items()) if proxies else (),
    )
    cache: dict[Any, Any] | None = session.__dict__.get("_onebalance_env")
    if cache is None:
        cache = session.__dict__.setdefault("_onebalance_env", {})
    prepared = _prepare_plain(session, method, url, kwargs) if session is _shared else None
    if prepared is None:
        prepared = _prepare(session, method, url, kwargs)
    try:
        settings = cache.get(key)
    except TypeError:  # an unhashable setting (a cert given as a list...): no cache
        settings = None
        key = None
    if settings is None:
        settings = session.merge_environment_settings(prepared.url, {}, True, None, None)
        if key is not None:
            if len(cache) >= _ENV_CACHE_SIZE:
                cache.clear()
            cache[key] = settings
    return session.send(
        prepared,
        timeout=timeout,
        allow_redirects=False,
        proxies=dict(settings["proxies"]),
        stream=True,
        verify=settings["verify"],
        cert=settings["cert"],
    )


#: url -> the url as ``requests`` prepares it (IDNA, quoting), for :func:`_prepare_plain`.
_PREPARED_URLS: dict[str, str] = {}


def _prepare_plain(
    session: requests.Session, method: str, url: str, kwargs: dict[str, Any]
) -> requests.PreparedRequest | None:
    """The request of the SDK's own session, prepared without ``Session.prepare_request``.

    That one merges cookies, params, auth and hooks and looks for a ``~/.netrc`` entry on every
    call (two ``stat`` calls and a file read): a fifth of a call's CPU. The SDK's own session has
    none of these, so a request with only headers and a bytes body (or none), other keywords
    ``None``, is laid out directly, with the session's headers, exactly as ``prepare_request``
    would lay it out. Anything else (cookies the service set, a body that is not bytes, other
    keywords with a value): ``None`` here, and the full path.
    """
    data = kwargs.get("data")
    if (
        session.cookies
        or session.auth is not None
        or session.params
        or any(session.hooks.values())
        or not (data is None or isinstance(data, bytes))
        or any(value is not None for name, value in kwargs.items() if name not in ("headers", "data"))
    ):
        return None
    prepared_url = _PREPARED_URLS.get(url)
    if prepared_url is None:
        probe = requests.PreparedRequest()
        probe.prepare_url(url, None)
        prepared_url = probe.url or url
        if len(_PREPARED_URLS) < 256:
            _PREPARED_URLS[url] = prepared_url
    prepared = requests.PreparedRequest()
    prepared.method = method.upper()
    prepared.url = prepared_url
    headers: CaseInsensitiveDict[Any] = CaseInsensitiveDict(session.headers)
    headers.update(kwargs.get("headers") or {})
    prepared.prepare_headers({k: v for k, v in headers.items() if v is not None})  # None removes, as in requests
    if data:
        prepared.headers["Content-Length"] = str(len(data))
        prepared.body = data
    else:  # no body (a GET, a DELETE...): requests sends a zero length unless the method takes none
        prepared.body = None
        if prepared.method not in ("GET", "HEAD") and prepared.headers.get("Content-Length") is None:
            prepared.headers["Content-Length"] = "0"
    return prepared


def _prepare(session: requests.Session, method: str, url: str, kwargs: dict[str, Any]) -> requests.PreparedRequest:
    return session.prepare_request(
        requests.Request(
            method=method.upper(),
            url=url,
            headers=kwargs.get("headers"),
            files=kwargs.get("files"),
            data=kwargs.get("data") or {},
            json=kwargs.get("json"),
            params=kwargs.get("params") or {},
            auth=kwargs.get("auth"),
            cookies=kwargs.get("cookies"),
            hooks=kwargs.get("hooks"),
        )
    )


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
