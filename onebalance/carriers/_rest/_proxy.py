"""All of a REST carrier's HTTP in one place: the OAuth token, JSON, the retry policy, logging, errors.

The token (:mod:`._token`) is shared by every call of the proxy; a call answered 401 gets one
retry with a freshly fetched token. Neither the secret nor the token is ever logged or shown in a
``repr()``; request and answer bodies are logged at DEBUG with secrets and label images redacted
and the account number masked as reprs show it (``****1073``), at most
:data:`~onebalance.core._redact.MAX_LOGGED_BODY` characters of them.

Transient failures (no connection, a timeout, 429, 5xx, a 2xx body that is not a JSON object) are
retried by the SDK's one policy (``onebalance.core._retry``, a :class:`~onebalance.RetryPolicy`)
as far as the carrier's ``safety`` table allows: rates, tracking and the token always; a void
always (a shipment is voided once however often it is asked); a purchase only when the request
never reached the carrier (no connection, 429), since neither UPS nor FedEx promises to recognise a
repeated transaction id: any other failure of a purchase raises :class:`~onebalance.OutcomeUnknown`
with the idempotency key rather than risk a second shipment.

Every error by which the carrier refused a call carries the carrier as its ``source``
(:meth:`RestProxy.answering`), so that a UPS 401 is told apart from a One Balance wrong password;
a connection that failed or an answer that could not be read (:class:`~onebalance.TransportError`)
has none, as the SDK's own refusals have none.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Generic, TypeVar

import requests

from onebalance.core import (
    MAX_LOGGED_BODY,
    HttpReply,
    OneBalanceError,
    OutcomeUnknown,
    ProtocolError,
    RetryPolicy,
    Safety,
    Service,
    Timeout,
    Transient,
    TransportError,
    _json,
    check_session,
    clipped,
    decode_json,
    from_service,
    run,
    send,
    shared_session,
)

from ._request import Request, RestMapping
from ._settings import RestSettings
from ._token import Token, TokenCache, read_token

__all__ = ["REDACTED", "RestProxy", "refused_by"]

S = TypeVar("S", bound=RestSettings)

#: JSON keys every REST carrier's DEBUG lines redact, beside its mapping's own (label images).
REDACTED = frozenset({"access_token", "client_secret", "client_id", "authorization"})


def redact(value: Any, keys: frozenset[str]) -> Any:
    """A copy of a JSON value with the values of ``keys`` replaced, for DEBUG logs."""
    if isinstance(value, Mapping):
        return {k: ("<redacted>" if k in keys else redact(v, keys)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, keys) for v in value]
    return value


class _Answering:
    """:meth:`RestProxy.answering`'s context manager: the errors leaving it, but the SDK's own
    transport errors, name ``service`` as their source. Stateless, so one serves every call."""

    __slots__ = ("service",)

    def __init__(self, service: Service) -> None:
        self.service = service

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        if isinstance(exc, OneBalanceError):
            refused_by(exc, self.service)  # and the error goes on


def refused_by(error: OneBalanceError, service: Service) -> None:
    """Mark ``error`` as ``service``'s (its ``source``), unless it is the SDK's own transport error:
    what :meth:`RestProxy.answering` does to the errors leaving it, for a caller's ``except``."""
    if not isinstance(error, TransportError):
        from_service(error, service)


class RestProxy(Generic[S]):
    """Sends one carrier's calls for one set of settings; safe to share between threads.

    A carrier's subclass names its mapping (``mapping``: the token request, headers, how each
    operation may be retried, ``parse_error``) and how long before expiry a token is replaced
    (``refresh_margin``); the settings name the carrier. ``clock`` reads seconds
    (``time.monotonic`` by default) for the token's expiry only.
    """

    mapping: ClassVar[RestMapping]
    refresh_margin: ClassVar[float]

    def __init__(
        self,
        settings: S,
        timeout: Timeout | None = None,
        session: requests.Session | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        retry: RetryPolicy | None = None,
    ) -> None:
        #: The carrier, as errors (``source``) and messages name it.
        self.service = Service(settings.carrier.value)
        self.label = settings.label
        check_session(session, service=self.label)
        self.settings = settings
        self.timeout = timeout or Timeout()
        self.retry = retry if retry is not None else RetryPolicy()
        self._session = session
        self._clock = clock
        self._tokens = TokenCache(self._fetch_token, clock, self.refresh_margin)
        self._log = logging.getLogger(f"onebalance.carriers.{self.service.value}")
        self._name = self.service.value  # the first word of each log line: "ups", "fedex"
        self._answering = _Answering(self.service)  # one object: a generator per call cost a tenth of send

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.settings.base_url!r}, client_id={self.settings.client_id!r}, "
            f"has_token={self._tokens.held})"
        )

    @property
    def session(self) -> requests.Session:
        return self._session if self._session is not None else shared_session()

    @property
    def tokens_fetched(self) -> int:
        """How many OAuth tokens this proxy has fetched (for monitoring the token cache)."""
        return self._tokens.fetched

    def answering(self) -> AbstractContextManager[None]:
        """Marks the errors raised inside by which the carrier refused (its error answers, its refusals
        inside a 200 such as an unknown tracking number) as coming from it (``error.source``); a
        :class:`~onebalance.TransportError` (no connection, no readable answer, an outcome unknown)
        is the SDK's own and names none, as for the One Balance."""
        return self._answering

    # -- token -----------------------------------------------------------------------------------
    def token(self, *, stale: Token | None = None) -> Token:
        """A token valid for a while yet, fetched when needed; ``stale`` (one the carrier just
        refused) is replaced even if it looks valid."""
        with self._answering:
            return self._tokens.get(stale=stale)

    def forget_token(self) -> None:
        self._tokens.forget()

    def _fetch_token(self) -> Token:
        request = self.mapping.token_request(self.settings)
        headers = {**request.headers, "Accept": "application/json"}
        reply = self._send(request, data=dict(request.form or {}), headers=headers, auth=request.auth)
        body = self._decode(reply, request.operation, None, log=False)
        return read_token(body, service=self.label, operation=request.operation, now=self._clock())

    # -- API calls -------------------------------------------------------------------------------
    def send(self, request: Request, *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Send the request the mapping built (its JSON ``payload``) with a bearer token, retried as
        the policy and the operation allow.

        A call answered 401 is sent once more with a fresh token; every attempt sends the same
        transaction id (derived from ``idempotency_key``, else a new one). Returns the decoded JSON
        object; raises the SDK's typed error for the carrier's error answers,
        :class:`~onebalance.OutcomeUnknown` when a purchase or void may have happened.
        """
        operation, payload, repeat_refused = request.operation, request.payload, request.repeat_refused
        key = idempotency_key or uuid.uuid4().hex
        mapping = self.mapping
        transaction_id = mapping.transaction_id(key)
        # What every attempt sends but the token, worked out once per call: the headers, the body,
        # the URL, and whether the log lines are wanted (off, the usual case: nothing else is asked).
        headers = {**mapping.headers(transaction_id), "Accept": "application/json"}
        data = None
        if payload is not None:
            headers["Content-Type"] = "application/json"
            data = _json.dumps(payload)
        url = self.settings.base_url + request.path
        info = self._log.isEnabledFor(logging.INFO)
        debug = info and self._log.isEnabledFor(logging.DEBUG)  # off with INFO off: one question asked
        maybe_done = False

        def attempt(number: int) -> dict[str, Any]:
            nonlocal maybe_done
            try:
                body = self._authorized(request, url, data, headers, transaction_id, number, info, debug)
            except Transient as exc:
                maybe_done = maybe_done or exc.sent
                raise
            if maybe_done and repeat_refused is not None and repeat_refused(body):
                raise OutcomeUnknown(
                    f"{OutcomeUnknown.default_message}: {self.label} refused the repeat of a {operation} whose "
                    "first answer was lost (perhaps because the first one went through)",
                    operation=operation,
                    idempotency_key=key,
                    attempts=number,
                )
            return body

        try:
            return run(
                self.retry,
                operation,
                attempt,
                safety=mapping.SAFETY.get(operation, Safety.UNSAFE),
                key=key,
                money=operation in mapping.MONEY,
            )
        except OneBalanceError as exc:  # what answering() does, without a context manager's two calls
            refused_by(exc, self.service)
            raise

    def call(
        self,
        operation: str,
        method: str,
        path: str,
        payload: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        repeat_refused: Callable[[Any], bool] | None = None,
    ) -> dict[str, Any]:
        """:meth:`send` for a request given by its parts."""
        request = Request(operation, method, path, payload, repeat_refused=repeat_refused)
        return self.send(request, idempotency_key=idempotency_key)

    def _authorized(
        self,
        request: Request,
        url: str,
        data: bytes | None,
        headers: dict[str, str],
        transaction_id: str,
        number: int,
        info: bool,
        debug: bool,
    ) -> dict[str, Any]:
        """One attempt, sent again once with a fresh token if the carrier refuses the token; ``info``
        and ``debug``: whether those log lines are wanted."""
        operation = request.operation
        stale: Token | None = None
        for refreshed in (False, True):
            try:
                token = self._tokens.get(stale=stale)
            except Transient as exc:
                # Only the token fetch failed: the operation itself was not sent.
                raise Transient(exc.error, f"token_{exc.reason}", sent=False, retry_after=exc.retry_after) from None
            sent = {**headers, "Authorization": f"Bearer {token.access_token}"}
            reply = self._send(request, data=data, headers=sent, attempt=number, url=url, info=info, debug=debug)
            status = reply.status
            if status == 401 and not refreshed:
                stale = token
                continue
            if 200 <= status < 300 and not debug:
                # The usual answer, read here; anything else (an error, a body that is not a JSON
                # object, a DEBUG line to write) is read again the careful way, by _decode.
                try:
                    decoded = _json.loads(reply.body, constants=False)
                except (ValueError, RecursionError, TypeError):
                    decoded = None
                if type(decoded) is dict:
                    return decoded
            return self._decode(reply, operation, transaction_id)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- the wire ---------------------------------------------------------------------------------
    def _send(
        self,
        request: Request,
        *,
        data: Any,
        headers: dict[str, str],
        auth: tuple[str, str] | None = None,
        attempt: int = 1,
        url: str | None = None,
        info: bool | None = None,
        debug: bool = False,
    ) -> HttpReply:
        """One HTTP exchange of ``request``, logged; ``url``, ``info`` and ``debug`` (whether those log
        lines are wanted) as a call worked them out, else worked out here."""
        log, operation = self._log, request.operation
        if info is None:
            info = log.isEnabledFor(logging.INFO)  # off (the usual case): DEBUG is off too, one question asked
            debug = info and log.isEnabledFor(logging.DEBUG)
        if debug and request.payload is not None:
            log.debug("%s operation=%s request=%s", self._name, operation, self._for_log(request.payload))
        extra: dict[str, Any] = {"auth": auth} if auth is not None else {}
        started = time.monotonic()
        session = self._session
        reply = send(
            session if session is not None else shared_session(),
            request.method,
            url or self.settings.base_url + request.path,
            service=self.label,
            operation=operation,
            timeout=self.timeout,
            data=data,
            headers=headers,
            **extra,
        )
        if info:  # the arguments are not worked out for nothing
            log.info(
                "%s operation=%s method=%s path=%s status=%s duration_ms=%.0f attempt=%d",
                self._name, operation, request.method, request.path, reply.status,
                (time.monotonic() - started) * 1000, attempt,
            )  # fmt: skip
        return reply

    def _decode(
        self, reply: HttpReply, operation: str, transaction_id: str | None, *, log: bool = True
    ) -> dict[str, Any]:
        """The answer's JSON object; the carrier's typed error (``parse_error``); :class:`Transient`
        for 429, 5xx and a 2xx that is not a JSON object."""
        status = reply.status
        try:
            decoded = decode_json(reply.body, service=self.label, operation=operation, status=status)
        except ProtocolError:
            decoded = None
        body: dict[str, Any] | None = decoded if isinstance(decoded, dict) else None
        if log and self._log.isEnabledFor(logging.DEBUG):
            shown = self._for_log(body) if body is not None else clipped(reply.text, MAX_LOGGED_BODY)
            self._log.debug("%s operation=%s status=%s response=%s", self._name, operation, status, shown)
        if 200 <= status < 300 and body is not None:
            return body
        error: OneBalanceError
        if body is None:
            error = ProtocolError(
                f"{self.label} answered HTTP {status} with a body that is not a JSON object",
                operation=operation,
                http_status=status,
                transaction_id=transaction_id,
            )
        else:
            error = self.mapping.parse_error(status, body, operation, transaction_id)
        if status == 429:
            raise Transient(error, "throttled", sent=False, retry_after=reply.retry_after)
        if status >= 500:
            raise Transient(error, f"http_{status}", sent=True, retry_after=reply.retry_after)
        if 200 <= status < 300:
            raise Transient(error, "bad_body", sent=True)
        raise error

    def _for_log(self, body: Any) -> str:
        """``body`` for a DEBUG line: secrets and label images redacted, the account number masked."""
        keys = REDACTED | self.mapping.REDACTED_KEYS
        text = _json.dumps(redact(body, keys)).decode()
        settings = self.settings
        return clipped(text.replace(settings.account_number, settings.masked_account), MAX_LOGGED_BODY)
