"""``OneBalance``: one merchant's One Balance account over SWSIM.

The client logs in lazily, carries the rolling Authenticator from each response to the next
call (including the replacement token a fault may carry) and re-authenticates once, on its own,
when the service refuses the token as expired, superseded, out of sync or unknown.
"""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType
from typing import Any

import requests
from pydantic import SecretStr

from . import _mapping
from ._config import Timeout, check_credentials, check_endpoint
from ._errors import (
    ClientClosed,
    ConversationError,
    OneBalanceError,
    ProtocolError,
    ValidationError,
    error_for_fault,
)
from ._models import Account, LoginInfo
from ._redact import redact_xml, scrub
from ._soap._envelope import MalformedResponse, SoapFault, build, read_response
from ._soap._schema import Schema, SchemaError, swsim_schema
from ._transport import Transport

logger = logging.getLogger("onebalance")

__all__ = ["OneBalance"]


class OneBalance:
    """A client for one One Balance account.

    >>> client = OneBalance(integration_id=..., username=..., password=..., endpoint=TESTING_ENDPOINT)
    >>> client.account().available_postage
    Decimal('100.00')

    Safe to share between threads: calls on one client are serialized, because each rolling
    token is valid for exactly one call. Clients share the parsed WSDL and one connection pool
    per process, so a platform can hold thousands of them.
    """

    def __init__(
        self,
        *,
        integration_id: str,
        username: str,
        password: str,
        endpoint: str,
        timeout: Timeout | None = None,
        session: requests.Session | None = None,
    ) -> None:
        check_credentials(integration_id, username, password)
        self.endpoint = check_endpoint(endpoint)
        self.integration_id = integration_id.strip()
        self.username = username
        self._password = SecretStr(password)
        self._transport = Transport(session, timeout)
        self._schema: Schema = swsim_schema()
        self._token: str | None = None
        self._lock = threading.RLock()
        self._closed = False
        self.login_info: LoginInfo | None = None

    # -- public API ------------------------------------------------------------------------------
    @property
    def timeout(self) -> Timeout:
        return self._transport.timeout

    def authenticate(self) -> LoginInfo:
        """Log in now (otherwise the first call does). Starts a new conversation."""
        with self._lock:
            if self._closed:
                raise ClientClosed(operation="AuthenticateUser")
            return self._login()

    def account(self) -> Account:
        """The account's balance, control total, limits, capabilities and status."""
        return _mapping.account_from_wire(self.call("GetAccountInfo", {}))

    def close(self) -> None:
        """Forget the conversation; later calls raise :class:`ClientClosed`.

        The shared connection pool stays open for the process's other clients.
        """
        with self._lock:
            self._token = None
            self._closed = True

    def __enter__(self) -> OneBalance:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OneBalance(username={self.username!r}, endpoint={self.endpoint!r})"

    # -- engine ----------------------------------------------------------------------------------
    def call(self, operation: str, payload: dict[str, Any], *, transaction_id: str | None = None) -> dict[str, Any]:
        """Run an authenticated SWSIM operation and return its decoded response.

        ``payload`` holds the request's fields other than the Authenticator. On a conversation
        error the client logs in again and repeats the call once.
        """
        with self._lock:
            if self._closed:
                raise ClientClosed(operation=operation)
            for attempt in (1, 2):
                if self._token is None:
                    self._login()
                assert self._token is not None
                try:
                    response = self._exchange(
                        operation,
                        {"Authenticator": self._token, **payload},
                        transaction_id=transaction_id,
                        attempt=attempt,
                    )
                except _Fault as fault:
                    # The service may have moved the conversation on before failing.
                    self._token = fault.replacement_token
                    if isinstance(fault.error, ConversationError) and attempt == 1:
                        logger.info(
                            "op=%s event=reauthenticate reason=%s code=%s",
                            operation,
                            type(fault.error).__name__,
                            fault.error.code,
                        )
                        self._token = None
                        continue
                    raise fault.error from None
                self._token = response.pop("Authenticator")
                return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _login(self) -> LoginInfo:
        credentials = {
            "IntegrationID": self.integration_id,
            "Username": self.username,
            "Password": self._password.get_secret_value(),
        }
        self._token = None
        try:
            response = self._exchange("AuthenticateUser", {"Credentials": credentials})
        except _Fault as fault:
            raise fault.error from None
        self._token = response["Authenticator"]
        self.login_info = _mapping.login_from_wire(response)
        return self.login_info

    def _secrets(self) -> tuple[str, ...]:
        return (self._password.get_secret_value(), self._token or "")

    def _exchange(
        self, operation: str, payload: dict[str, Any], *, transaction_id: str | None = None, attempt: int = 1
    ) -> dict[str, Any]:
        op = self._schema.operations[operation]
        try:
            body = build(self._schema, op, payload, response=False)
        except SchemaError as exc:
            raise ValidationError(
                scrub(str(exc), self._secrets()), field=exc.element or None, operation=operation
            ) from None
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("op=%s request=%s", operation, redact_xml(body.decode("utf-8", "replace")))
        started = time.perf_counter()
        reply = self._transport.post(self.endpoint, body, op.soap_action, operation=operation)
        duration_ms = (time.perf_counter() - started) * 1000
        logger.info(
            "op=%s endpoint=%s status=%s duration_ms=%.1f attempt=%d",
            operation,
            self.endpoint,
            reply.status,
            duration_ms,
            attempt,
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("op=%s response=%s", operation, redact_xml(reply.body.decode("utf-8", "replace")))
        try:
            if reply.status not in (200, 500):
                raise MalformedResponse(f"HTTP {reply.status}")
            return read_response(op, reply.body, strict=False)
        except SoapFault as fault:
            error = error_for_fault(
                code=fault.code,
                faultcode=fault.faultcode,
                faultstring=scrub(fault.faultstring, self._secrets()),
                operation=operation,
                http_status=reply.status,
                transaction_id=transaction_id,
            )
            raise _Fault(error, fault.authenticator) from None
        except MalformedResponse as exc:
            raise ProtocolError(
                f"{ProtocolError.default_message} (HTTP {reply.status}: {scrub(str(exc), self._secrets())[:200]})",
                operation=operation,
                http_status=reply.status,
                transaction_id=transaction_id,
            ) from None


class _Fault(Exception):
    """A typed service error plus the replacement token its fault carried (kept off the error)."""

    def __init__(self, error: OneBalanceError, replacement_token: str | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.replacement_token = replacement_token
