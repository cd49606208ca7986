"""One SOAP exchange: encode, post, decode, and turn faults into typed errors. No conversation state.

Both the per-account client and the platform-level calls that need no login (registration,
password reset, username recovery) go through :class:`Wire`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import requests

from ._config import Timeout, check_endpoint
from ._errors import OneBalanceError, ProtocolError, ValidationError, error_for_fault
from ._redact import redact_xml, scrub
from ._soap._envelope import MalformedResponse, SoapFault, build, read_response
from ._soap._schema import Schema, SchemaError, swsim_schema
from ._transport import Transport

logger = logging.getLogger("onebalance")


class WireFault(Exception):
    """A typed error plus the replacement token its fault carried (kept off the public error)."""

    def __init__(self, error: OneBalanceError, replacement_token: str | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.replacement_token = replacement_token


class Wire:
    def __init__(
        self, endpoint: str, *, timeout: Timeout | None = None, session: requests.Session | None = None
    ) -> None:
        self.endpoint = check_endpoint(endpoint)
        self.transport = Transport(session, timeout)
        self.schema: Schema = swsim_schema()

    def exchange(
        self,
        operation: str,
        payload: dict[str, Any],
        *,
        secrets: tuple[str, ...] = (),
        transaction_id: str | None = None,
        attempt: int = 1,
    ) -> dict[str, Any]:
        """Send ``operation`` with ``payload``; the decoded response, or :class:`WireFault` / an SDK error."""
        op = self.schema.operations[operation]
        try:
            body = build(self.schema, op, payload, response=False)
        except SchemaError as exc:
            raise ValidationError(scrub(str(exc), secrets), field=exc.element or None, operation=operation) from None
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("op=%s request=%s", operation, scrub(redact_xml(body.decode("utf-8", "replace")), secrets))
        started = time.perf_counter()
        reply = self.transport.post(self.endpoint, body, op.soap_action, operation=operation)
        logger.info(
            "op=%s endpoint=%s status=%s duration_ms=%.1f attempt=%d",
            operation,
            self.endpoint,
            reply.status,
            (time.perf_counter() - started) * 1000,
            attempt,
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "op=%s response=%s", operation, scrub(redact_xml(reply.body.decode("utf-8", "replace")), secrets)
            )
        try:
            if reply.status not in (200, 500):
                raise MalformedResponse(f"HTTP {reply.status}")
            return read_response(op, reply.body, strict=False)
        except SoapFault as fault:
            error = error_for_fault(
                code=fault.code,
                faultcode=fault.faultcode,
                faultstring=scrub(fault.faultstring, secrets),
                operation=operation,
                http_status=reply.status,
                transaction_id=transaction_id,
            )
            raise WireFault(error, fault.authenticator) from None
        except MalformedResponse as exc:
            raise ProtocolError(
                f"{ProtocolError.default_message} (HTTP {reply.status}: {scrub(str(exc), secrets)[:200]})",
                operation=operation,
                http_status=reply.status,
                transaction_id=transaction_id,
            ) from None

    def call(self, operation: str, payload: dict[str, Any], *, secrets: tuple[str, ...] = ()) -> dict[str, Any]:
        """An operation that needs no authentication; faults are raised as typed errors."""
        try:
            return self.exchange(operation, payload, secrets=secrets)
        except WireFault as fault:
            raise fault.error from None
