"""One SOAP exchange: encode, post, decode, and turn faults into typed errors. No conversation state.

Both the per-account client and the platform-level calls that need no login (registration,
password reset, username recovery) go through :class:`Wire`. :meth:`Wire.exchange` is one
attempt: a failure another attempt may not meet (no connection, a timeout, HTTP 429, a 5xx that
is not a SOAP fault, an HTML or truncated body) is raised as :class:`~onebalance.core._retry.Transient`
for the caller's retry loop (``_retry.run``); :meth:`Wire.call` runs that loop itself.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Any

import requests

from onebalance.core import (
    MAX_LOGGED_BODY,
    MONEY,
    OneBalanceError,
    ProtocolError,
    RetryPolicy,
    Timeout,
    Transient,
    Transport,
    ValidationError,
    check_endpoint,
    check_session,
    clipped,
    redact_xml,
    run,
    scrub,
    swsim_safety,
)
from onebalance.swsim._soap._envelope import MalformedResponse, SoapFault, build, read_response
from onebalance.swsim._soap._schema import Schema, SchemaError, swsim_schema
from onebalance.swsim._soap._versions import SwsimVersion, swsim_version
from onebalance.swsim._soap._views import Reads
from onebalance.swsim._soap._xml import UnsafeXML

from ._endpoints import versioned_endpoint
from ._faults import error_for_fault

logger = logging.getLogger("onebalance")


def _garbled(exc: MalformedResponse, output: str) -> bool:
    """True for a body cut short or not XML (another attempt may do better); False for a well-formed
    answer that is wrong (another operation's, outside the schema) or unsafe XML (a DTD, entities)."""
    if isinstance(exc.__context__, UnsafeXML):
        return str(exc).startswith("malformed XML")  # cut short or not XML; a DTD or entities: refused
    return not str(exc).startswith(("expected ", f"{output} does not fit"))


#: The Wires in use, by their settings (:meth:`Wire.shared`); one goes with its last client. The Wire
#: keeps the session and the policy it was keyed by alive, so their ``id`` cannot be reused meanwhile.
_SHARED: weakref.WeakValueDictionary[tuple[object, ...], Wire] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


class WireFault(Exception):
    """A typed error plus the replacement token its fault carried (kept off the public error)."""

    def __init__(self, error: OneBalanceError, replacement_token: str | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.replacement_token = replacement_token


class Wire:
    def __init__(
        self,
        endpoint: str,
        *,
        timeout: Timeout | None = None,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        version: str | SwsimVersion | None = None,
    ) -> None:
        #: The SWSIM version spoken (v135 by default): its contract, and its path on the endpoint.
        self.version = swsim_version(version)
        self.endpoint = versioned_endpoint(check_endpoint(endpoint), self.version)
        self.transport = Transport(session, timeout)
        self.schema: Schema = swsim_schema(self.version)
        self.retry = retry if retry is not None else RetryPolicy()

    @classmethod
    def shared(
        cls,
        endpoint: str,
        *,
        timeout: Timeout | None = None,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        version: str | SwsimVersion | None = None,
    ) -> Wire:
        """The Wire of these settings, one for every client made with them while any of them lives.

        A Wire holds nothing of an account (the endpoint, the version's compiled schema, the transport,
        the retry policy), so the thousands of merchants of a platform share one, as zeep users share
        one service. A caller's session is checked (TLS) every time, and keys the Wire by identity.
        """
        check_session(session)
        if not isinstance(endpoint, str):
            check_endpoint(endpoint)  # ConfigurationError, before an unhashable endpoint reaches the key
        key: tuple[object, ...] = (endpoint, swsim_version(version).name, timeout, id(session), session is None, retry)
        try:
            hash(key)
        except TypeError:  # a RetryPolicy holding something unhashable: one Wire per policy object
            key = (*key[:-1], id(retry))
        with _SHARED_LOCK:
            wire = _SHARED.get(key)
            if wire is None:
                wire = _SHARED[key] = cls(endpoint, timeout=timeout, session=session, retry=retry, version=version)
            return wire

    def exchange(
        self,
        operation: str,
        payload: dict[str, Any],
        *,
        secrets: tuple[str, ...] = (),
        transaction_id: str | None = None,
        attempt: int = 1,
        reads: Reads | None = None,
    ) -> dict[str, Any]:
        """Send ``operation`` with ``payload``; the decoded response (``reads``: only those fields of it),
        or :class:`WireFault` / an SDK error."""
        op = self.schema.operations[operation]
        if reads is not None:
            # Reads naming what the answer lacks are refused now, before anything is sent (a purchase
            # would otherwise be paid for and its answer left unread).
            try:
                reads.view(op.output.type)  # type: ignore[arg-type]  # an operation's answer is a Complex
            except ValueError as exc:
                unreadable = str(exc)
            else:
                unreadable = ""
            if unreadable:
                raise ValidationError(f"reads: {unreadable}", field="reads", operation=operation)
        # Errors are raised after the ``except`` blocks, never inside them: the caught exception would
        # ride along as ``__context__`` with unscrubbed text (a secret from the payload or the fault).
        refused: SchemaError | None = None
        try:
            body = build(self.schema, op, payload, response=False)
        except SchemaError as exc:
            refused = exc
        if refused is not None:
            raise ValidationError(scrub(str(refused), secrets), field=refused.element or None, operation=operation)
        # The logger is asked once: with INFO off (the usual case), DEBUG is off too and nothing is timed.
        info = logger.isEnabledFor(logging.INFO)
        debug = info and logger.isEnabledFor(logging.DEBUG)
        if debug:
            text = scrub(redact_xml(body.decode("utf-8", "replace")), secrets)
            logger.debug("op=%s request=%s", operation, clipped(text, MAX_LOGGED_BODY))
        started = time.perf_counter() if info else 0.0
        reply = self.transport.post(self.endpoint, body, op.soap_action, operation=operation)
        if info:
            logger.info(
                "op=%s endpoint=%s status=%s duration_ms=%.1f attempt=%d",
                operation,
                self.endpoint,
                reply.status,
                (time.perf_counter() - started) * 1000,
                attempt,
            )
        if debug:
            text = scrub(redact_xml(reply.body.decode("utf-8", "replace")), secrets)
            logger.debug("op=%s response=%s", operation, clipped(text, MAX_LOGGED_BODY))
        if reply.status == 429:
            raise Transient(
                ProtocolError(
                    f"{ProtocolError.default_message} (HTTP 429: too many requests)",
                    operation=operation,
                    http_status=429,
                    transaction_id=transaction_id,
                ),
                "throttled",
                sent=False,
                retry_after=reply.retry_after,
            )
        fault: SoapFault | None = None
        malformed: MalformedResponse | None = None
        try:
            if reply.status not in (200, 500):
                raise MalformedResponse(f"HTTP {reply.status}")
            return read_response(op, reply.body, strict=False, reads=reads)
        except SoapFault as exc:
            fault = exc
        except MalformedResponse as exc:
            malformed = exc
        if fault is not None:
            error: OneBalanceError = error_for_fault(
                code=fault.code,
                faultcode=fault.faultcode,
                faultstring=scrub(fault.faultstring, secrets),
                operation=operation,
                http_status=reply.status,
                transaction_id=transaction_id,
                details=tuple((c, ctx, scrub(text, secrets)) for c, ctx, text in fault.details),
            )
            raise WireFault(error, fault.authenticator)
        assert malformed is not None
        garbled = _garbled(malformed, op.output.name)
        error = ProtocolError(
            f"{ProtocolError.default_message} (HTTP {reply.status}: {scrub(str(malformed), secrets)[:200]})",
            operation=operation,
            http_status=reply.status,
            transaction_id=transaction_id,
        )
        if (reply.status == 200 and garbled) or reply.status >= 500:
            # A gateway's error page, or a body cut short: the service may have acted on the request.
            reason = "bad_body" if reply.status == 200 else f"http_{reply.status}"
            raise Transient(error, reason, sent=True, retry_after=reply.retry_after)
        raise error

    def call(self, operation: str, payload: dict[str, Any], *, secrets: tuple[str, ...] = ()) -> dict[str, Any]:
        """An operation that needs no authentication, retried as its kind allows; faults are raised as typed errors."""

        def attempt(number: int) -> dict[str, Any]:
            try:
                return self.exchange(operation, payload, secrets=secrets, attempt=number)
            except WireFault as fault:
                raise fault.error from None

        return run(self.retry, operation, attempt, safety=swsim_safety(operation), money=operation in MONEY)
