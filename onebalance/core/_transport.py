"""HTTP for every client: one connection pool per process, timeouts always set.

A ``requests.Session`` is shared by all clients in the process unless one is passed in, so
that thousands of merchants' clients reuse the same keep-alive connections. :func:`send` is
the one place where a ``requests`` failure becomes an SDK error (SWSIM, UPS and FedEx alike),
classified for the retry policy (``_retry``).

Only ``requests``' public API is used, and nothing is written into its objects: the body is read
through ``Response.iter_content`` (bounded) and handed back apart from the response
(:class:`HttpReply`); what is kept per session (the environment's settings) is kept here, in a
table keyed weakly by the session. The fast path of :func:`_request` lays a request out as
``Session.prepare_request`` of requests 2 does, with ``PreparedRequest``'s public ``prepare_*``
methods; ``pyproject.toml`` bounds requests below 3 for it, and
``tests/test_transport_env.py`` compares the two layouts, so that a release that lays requests out
otherwise fails there first.
"""

from __future__ import annotations

import http.client
import logging
import os
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import check_header_validity, get_netrc_auth, to_native_string
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from ._config import Timeout, check_tls, read_body
from ._deadline import DeadlineAdapter, Watch, call_ends_at, origin
from ._errors import ConnectError, ProtocolError, RequestTimeout, TransportError
from ._retry import Transient, retry_after_seconds

logger = logging.getLogger("onebalance")
#: The class whose ``debuglevel`` makes http.client print every request (looked at on every call).
_HTTPConnection = http.client.HTTPConnection

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
                # Its connections show their socket to the attempt's deadline watch (``_deadline``).
                adapter = DeadlineAdapter(pool_connections=16, pool_maxsize=POOL_SIZE)
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
    bundle path is an explicit opt-in, logged once (:func:`~onebalance.core._config.check_tls`)."""
    if session is not None:
        check_tls(session, service=service)
    return session


@dataclass(frozen=True, slots=True)
class HttpReply:
    """A whole answer: its status, its body (read, at most ``MAX_RESPONSE_BYTES``) and its headers."""

    status: int
    body: bytes
    headers: Mapping[str, str]

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def retry_after(self) -> float | None:
        return retry_after_seconds(self.headers)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    service: str,
    operation: str,
    timeout: Timeout,
    **kwargs: Any,
) -> HttpReply:
    """One HTTP request with ``timeout``, never following redirects; the whole answer, its body read
    (at most :data:`~onebalance.core._config.MAX_RESPONSE_BYTES` of it: a larger one is :class:`ProtocolError`).

    The attempt ends by ``timeout.total`` seconds from now, and by the end of the current call
    (the retry policy's ``deadline``, see ``_deadline``), however slowly the answer trickles in. A
    redirect (HTTP 3xx) is :class:`ProtocolError`: the SDK sends credentials and money to the
    endpoint it was given, nowhere else.

    A failure another attempt may not meet raises :class:`~onebalance.core._retry.Transient` (its
    ``sent`` says whether the request may have reached ``service``); a TLS verification failure
    or a malformed request raises the SDK's error at once. Raw ``requests`` errors never escape.
    """
    if _HTTPConnection.debuglevel > 0:
        _warn_debuglevel()
    now = time.monotonic()
    ends = now + timeout.total
    call_ends = call_ends_at()
    if call_ends is not None and call_ends < ends:
        ends = call_ends
    left = ends - now
    connect, read = timeout.connect, timeout.read
    if left < connect or left < read:
        if left <= 0:
            raise Transient(
                RequestTimeout(f"No time left for {service} within the call's deadline", operation=operation),
                "deadline",
                sent=False,
            )
        connect, read = min(connect, left), min(read, left)
    failure: requests.RequestException | None = None
    with Watch(ends) as watched:
        try:
            response = _request(session, method, url, (connect, read), kwargs)
            if watched.sock is None:  # a session passed in: its socket is known once the headers are in
                watched.attach(_socket_of(response))
            if 300 <= response.status_code < 400:  # a session whose own ``request`` dropped the hook
                response.close()
                raise _Redirected(response.status_code, response.headers.get("Location", ""))
            body = read_body(response, operation=operation, service=service)
        except requests.RequestException as exc:
            failure = exc
        except _Redirected as exc:
            raise _redirected(exc, service, operation) from None
    # The timeouts are cut to the time left, so a read timeout at the end is the deadline's too.
    if watched.fired or (isinstance(failure, requests.Timeout) and time.monotonic() >= ends - 0.005):
        raise Transient(
            RequestTimeout(
                f"No complete answer from {service} within {ends - now:.3g} s (the attempt's deadline)",
                operation=operation,
            ),
            "deadline",
            sent=not isinstance(failure, requests.ConnectTimeout)
            and not (isinstance(failure, requests.ConnectionError) and _never_connected(failure)),
        )
    if failure is not None:
        raise _transient(failure, service, operation, timeout) from None
    return HttpReply(response.status_code, body, response.headers)


_debuglevel_warned = False


def _warn_debuglevel() -> None:
    """Once per process: http.client's debug output is printed outside logging, so nothing redacts it."""
    global _debuglevel_warned
    if not _debuglevel_warned:
        _debuglevel_warned = True
        logger.warning(
            "http.client.HTTPConnection.debuglevel is %s: every request is printed to stdout as sent, outside "
            "logging and its redaction (passwords, card numbers, Authenticators, OAuth secrets and tokens); set it "
            "back to 0 and use the onebalance logger at DEBUG to see the wire (docs: security.md)",
            http.client.HTTPConnection.debuglevel,
        )


def _socket_of(response: requests.Response) -> Any:
    """The socket under ``response`` (urllib3 2's ``HTTPResponse.connection``), or None (a test double...)."""
    connection = getattr(response.raw, "connection", None)
    return getattr(connection, "sock", None)


def _redirected(redirect: _Redirected, service: str, operation: str) -> ProtocolError:
    parts = urlsplit(redirect.location)
    # the target without its query: it is named to help find a wrong endpoint, never to leak a token
    target = f" to {parts.scheme}://{parts.netloc}{parts.path}" if parts.scheme and parts.netloc else ""
    return ProtocolError(
        f"{service} answered HTTP {redirect.status}, a redirect{target}; onebalance does not follow "
        "redirects: check the endpoint (or base_url) it was given",
        operation=operation,
        http_status=redirect.status,
    )


def _transient(exc: requests.RequestException, service: str, operation: str, timeout: Timeout) -> Exception:
    """The SDK's error for a ``requests`` failure: a :class:`Transient` when another attempt may succeed."""
    if isinstance(exc, requests.ConnectTimeout):
        return Transient(
            ConnectError(f"Timed out connecting to {service}", operation=operation), "connect_timeout", sent=False
        )
    if isinstance(exc, requests.ReadTimeout):
        return Transient(
            RequestTimeout(f"No answer from {service} within {timeout.read:g} s", operation=operation),
            "read_timeout",
            sent=True,
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return ConnectError(f"TLS verification failed for {service}", operation=operation)
    if isinstance(exc, requests.ConnectionError):
        sent = not _never_connected(exc)
        return Transient(
            ConnectError(f"Could not connect to {service} ({type(exc).__name__})", operation=operation),
            "connection_lost" if sent else "connect",
            sent=sent,
        )
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return Transient(
            ProtocolError(f"The answer from {service} was cut short ({type(exc).__name__})", operation=operation),
            "truncated",
            sent=True,
        )
    return TransportError(f"The request to {service} failed ({type(exc).__name__})", operation=operation)


#: ``send`` keywords that go into the request itself (the rest would change how it is sent).
_REQUEST_KEYWORDS = frozenset({"headers", "data", "json", "params", "auth", "cookies", "files", "hooks"})
#: At most this many origins' settings are kept per session.
_ENV_CACHE_SIZE = 64
#: Each session's environment settings by origin (see :func:`_request`); a session's go with it.
_ENV_SETTINGS: weakref.WeakKeyDictionary[requests.Session, dict[Any, Any]] = weakref.WeakKeyDictionary()


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
    variables set later are not seen by that session. So is ``~/.netrc``: from a session's second
    request to an origin for which it holds no login, the request is laid out directly
    (:func:`_prepare_plain`) as on the SDK's own session. A session whose ``request`` is
    overridden (instrumented, or a test double) is called as is; one whose ``prepare_request`` is
    overridden has every request prepared by it.
    """
    if type(session).request is not requests.Session.request or not _REQUEST_KEYWORDS.issuperset(kwargs):
        hooks = {"response": [*session.hooks.get("response", []), _refuse_redirect]}
        return session.request(method, url, timeout=timeout, allow_redirects=False, stream=True, hooks=hooks, **kwargs)
    proxies = session.proxies
    key: Any = (
        origin(url),
        session.trust_env,
        session.verify,
        session.cert,
        tuple(proxies.items()) if proxies else (),
    )
    cache = _ENV_SETTINGS.get(session)
    if cache is None:
        cache = _ENV_SETTINGS.setdefault(session, {})
    try:
        known = cache.get(key)
    except TypeError:  # an unhashable setting (a cert given as a list...): no cache
        known = None
        key = None
    # The request laid out directly (``_prepare_plain``) on the SDK's own session, and on a session
    # passed in once its first request to the origin showed that ``~/.netrc`` adds nothing to it.
    plain = session is _shared or (known is not None and known[1])
    prepared = _prepare_plain(session, method, url, kwargs) if plain else None
    if prepared is None:
        prepared = _prepare(session, method, url, kwargs)
    if known is None:
        settings = session.merge_environment_settings(prepared.url, {}, True, None, None)
        known = (settings, _plain_is_enough(session, prepared.url or url))
        if key is not None:
            if len(cache) >= _ENV_CACHE_SIZE:
                cache.clear()
            cache[key] = known
    settings = known[0]
    prepared.hooks["response"].append(_refuse_redirect)  # what register_hook does, without its isinstance(Callable)
    return session.send(
        prepared,
        timeout=timeout,
        allow_redirects=False,
        proxies=dict(settings["proxies"]),
        stream=True,
        verify=settings["verify"],
        cert=settings["cert"],
    )


def _plain_is_enough(session: requests.Session, url: str) -> bool:
    """Whether ``session``'s requests to ``url``'s origin may be laid out by ``_prepare_plain``: its
    class prepares as ``requests.Session`` does, and ``~/.netrc`` (read when the session trusts
    the environment) holds no login for the host. Read once per origin, as the environment is."""
    if type(session).prepare_request is not requests.Session.prepare_request:
        return False
    return not (session.trust_env and get_netrc_auth(url))


class _Redirected(Exception):
    def __init__(self, status: int, location: str) -> None:
        super().__init__(status)
        self.status = status
        self.location = location


def _refuse_redirect(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """A response hook: a 3xx ends the request here, before ``requests``' redirect bookkeeping, which
    runs even with ``allow_redirects=False``: it would read the whole body past the size cap to find
    the next request (and fails on a request prepared without a cookie jar)."""
    if 300 <= response.status_code < 400:
        response.close()
        raise _Redirected(response.status_code, response.headers.get("Location", ""))


#: The keywords a request laid out directly (:func:`_prepare_plain`) may carry with a value.
_PLAIN_KEYWORDS = frozenset({"headers", "data"})
#: url -> the url as ``requests`` prepares it (IDNA, quoting), for :func:`_prepare_plain`.
_PREPARED_URLS: dict[str, str] = {}


def _prepare_plain(
    session: requests.Session, method: str, url: str, kwargs: dict[str, Any]
) -> requests.PreparedRequest | None:
    """The request of a plain session, prepared without ``Session.prepare_request``.

    That one merges cookies, params, auth and hooks and looks for a ``~/.netrc`` entry on every
    call (two ``stat`` calls and a file read): a fifth of a call's CPU. The SDK's own session has
    none of these (nor, once its first request to an origin showed no ``~/.netrc`` login, does a
    plain session passed in: :func:`_request`), so a request with only headers and a bytes body
    (or none), other keywords ``None``, is laid out directly, with the session's headers, exactly
    as ``prepare_request`` would lay it out. Anything else (cookies the service set, a body that is not bytes, other
    keywords with a value): ``None`` here, and the full path.
    """
    data = kwargs.get("data")
    if (
        session.cookies
        or session.auth is not None
        or session.params
        or any(session.hooks.values())
        or not (data is None or isinstance(data, bytes))
        or (
            not _PLAIN_KEYWORDS.issuperset(kwargs)  # the usual case: only headers and data, nothing to look at
            and any(value is not None for name, value in kwargs.items() if name not in _PLAIN_KEYWORDS)
        )
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
    merged = {**session.headers, **(kwargs.get("headers") or {})}
    if None in merged.values():  # None removes a header, as in requests: merged without case, then dropped
        headers: CaseInsensitiveDict[Any] = CaseInsensitiveDict(session.headers)
        headers.update(kwargs.get("headers") or {})
        merged = {k: v for k, v in headers.items() if v is not None}
    # Without a None, the plain merge is what requests' merge gives: prepare_headers keys the headers without
    # case, so a request header spelt otherwise than the session's replaces it in place, as update() does.
    prepared.headers = _headers_of(merged)
    if data:
        prepared.headers["Content-Length"] = str(len(data))
        prepared.body = data
    else:  # no body (a GET, a DELETE...): requests sends a zero length unless the method takes none
        prepared.body = None
        if prepared.method not in ("GET", "HEAD") and prepared.headers.get("Content-Length") is None:
            prepared.headers["Content-Length"] = "0"
    return prepared


#: Header (name, value) pairs ``requests`` found valid; cleared when it holds ``_VALID_KEPT`` (a header
#: that changes on every call, such as UPS's transId, must not make it grow).
_VALID_HEADERS: set[tuple[Any, Any]] = set()
_VALID_KEPT = 1024


def _headers_of(merged: Mapping[str, Any]) -> CaseInsensitiveDict[Any]:
    """What ``PreparedRequest.prepare_headers(merged)`` makes, with ``requests``' own check of each
    header (``check_header_validity``: two regular expressions, a third of a request's preparation)
    run once per (name, value) rather than on every request: the same headers, the same refusals."""
    headers: CaseInsensitiveDict[Any] = CaseInsensitiveDict()
    valid = _VALID_HEADERS
    for header in merged.items():
        try:
            known = header in valid
        except TypeError:  # an unhashable value: requests refuses it below
            known = False
        if not known:
            check_header_validity(header)
            if len(valid) >= _VALID_KEPT:
                valid.clear()
            valid.add(header)
        headers[to_native_string(header[0])] = header[1]  # type: ignore[no-untyped-call]
    return headers


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
        return send(
            self.session,
            "POST",
            url,
            service="the One Balance service",
            operation=operation,
            timeout=self.timeout,
            data=body,
            headers=headers,
        )
