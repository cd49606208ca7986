"""The conversation under :class:`~onebalance.OneBalance`: the rolling token, Credentials, the retries.

The client logs in lazily, carries the rolling Authenticator from each response to the next
call (including the replacement token a fault may carry) and re-authenticates once, on its own,
when the service refuses the token as expired, out of sync or unknown.

Concurrency (``concurrency=``). A rolling token is valid for exactly one call, and a user may
have one conversation: a second AuthenticateUser of the same user supersedes the first
(002b0203), and a token sent twice is out of sync (002b0204). So one conversation can serve one
thread at a time. Every call may instead carry ``Credentials`` (integration id, username,
password): stateless, any number in parallel, but the password travels on every call and the
service authenticates each one.

* ``"conversation"``: every call uses the conversation, one at a time (threads queue).
* ``"credentials"``: every call sends Credentials (what ShipWorks' newest client does); no login.
* ``"auto"`` (the default): a thread uses the conversation when it is free and sends
  Credentials when another thread holds it, so many threads on one account run in parallel and
  never share a token. The first call proves the credentials before any call runs in parallel
  (a wrong password is sent once, not by every thread: five refusals lock the account).
  When the conversation is superseded (another client or process of the same user logged in),
  the client does **not** log in again: it sends Credentials from then on. Logging in again
  would supersede the other client, which would log in again in turn, forever; with the
  fall-back, two clients of one user settle after at most one supersession each, and the
  survivor keeps its conversation. (Expired, out-of-sync and unknown tokens are this client's
  own matter: it logs in again, once per call.)

Retries (``retry=``, a :class:`~onebalance.RetryPolicy`) follow ``_retry``: reads are retried
on transient failures; PurchasePostage, CreateIndicium and CancelIndicium are retried with the
same IntegratorTxID (and ControlTotal); other writes only when the request never reached the
service. After a failure in which the request may have reached the service the token may have
been consumed, so the next attempt logs in again (or sends Credentials) rather than reuse it:
the service answers a repeated IntegratorTxID with the first result, so nothing is bought twice.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from onebalance.core import (
    MONEY,
    AccountDisconnected,
    AuthenticationFailed,
    ClientClosed,
    ConversationError,
    ConversationSuperseded,
    OneBalanceError,
    OutcomeUnknown,
    PurchaseInProgress,
    RetryPolicy,
    Transient,
    VoidRefused,
    run,
    swsim_safety,
)

from . import _access_mapping, _mapping
from ._exchange import Wire, WireFault
from ._models import LoginInfo
from ._soap._views import Reads

logger = logging.getLogger("onebalance")

__all__ = ["Concurrency", "Conversation"]

Concurrency = Literal["auto", "conversation", "credentials"]


#: Held while a client creates one of its locks, the first time it needs it (see ``_new_lock``).
_CREATING = threading.Lock()


def _after_fork_in_child() -> None:
    global _CREATING
    _CREATING = threading.Lock()  # a parent thread may have held it when the process forked


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


#: The conditions the password gates wait on, shared round-robin: a condition with its lock costs
#: about 1.2 KiB, which each of a platform's thousands of clients used to hold. A gate's state is its
#: own; the condition's lock is held only to count, never across a call, and it is notified only when
#: a password change is waiting or has ended.
_CONDITIONS = tuple(threading.Condition() for _ in range(64))
_NEXT_CONDITION = itertools.count()


class _PasswordGate:
    """Calls that send the password share the gate; a password change holds it alone. A client
    is its own gate (its base class: three slots of its own rather than an object each)."""

    __slots__ = ("_changing", "_cond", "_sharing")

    def __init__(self) -> None:
        self._cond = _CONDITIONS[next(_NEXT_CONDITION) % len(_CONDITIONS)]
        self._sharing = 0
        self._changing = False

    @contextmanager
    def _gate_shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._changing)
            self._sharing += 1
        try:
            yield
        finally:
            with self._cond:
                self._sharing -= 1
                if self._changing:  # a password change waits for the calls sharing the gate
                    self._cond.notify_all()

    @contextmanager
    def _gate_exclusive(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._changing)
            self._changing = True
            self._cond.wait_for(lambda: self._sharing == 0)
        try:
            yield
        finally:
            with self._cond:
                self._changing = False
                self._cond.notify_all()


class Conversation(_PasswordGate):
    """One account's conversation with the service: how each call is authenticated (the rolling
    token or Credentials), sent and retried. :class:`~onebalance.OneBalance` adds the operations.

    Its fields are slots, and its two locks are made the first time they are needed: a platform
    holds thousands of clients, most of them idle (docs/performance.md). A lock is read as
    ``self._lock or self._new_lock("_lock")``: one attribute read on every call, as before.
    """

    __slots__ = (
        "__weakref__",
        "_closed",
        "_established",
        "_lock",
        "_password",
        "_probe",
        "_refused",
        "_token",
        "_use_credentials",
        "_verified",
        "_wire",
        "concurrency",
        "integration_id",
        "login_info",
        "on_credentials_refused",
        "username",
    )

    def __init__(
        self,
        wire: Wire,
        *,
        integration_id: str,
        username: str,
        password: str,
        concurrency: Concurrency,
        credentials_verified: bool,
        on_credentials_refused: Callable[[OneBalanceError], None] | None,
    ) -> None:
        super().__init__()
        self._wire = wire
        self.concurrency: Concurrency = concurrency
        self.integration_id = integration_id.strip()
        self.username = username
        #: The password as given: a slot, not a ``SecretStr`` of its own (80 bytes a client); the
        #: client's repr leaves it out, ``password`` hands it out as a ``SecretStr``.
        self._password = password
        self._verified = credentials_verified
        self._refused: OneBalanceError | None = None
        #: Called once when the service refuses these credentials (they are not sent again).
        self.on_credentials_refused = on_credentials_refused
        self._token: str | None = None
        #: Held by the one thread using the rolling token (and by password changes); made on first use.
        self._lock: threading.RLock | None = None
        #: Held by the first call(s), until one proves the credentials, so a wrong password goes out
        #: once; made on first use.
        self._probe: threading.RLock | None = None
        self._established = False
        #: Set in auto mode once the conversation was superseded: Credentials from then on.
        self._use_credentials = concurrency == "credentials"
        self._closed = False
        self.login_info: LoginInfo | None = None

    @property
    def retry(self) -> RetryPolicy:
        return self._wire.retry

    def _new_lock(self, name: str) -> threading.RLock:
        """The lock in slot ``name`` (``"_lock"`` or ``"_probe"``), made if it is not yet: under
        ``_CREATING``, so that two threads needing it first get the same one."""
        with _CREATING:
            lock: threading.RLock | None = getattr(self, name)
            if lock is None:
                lock = threading.RLock()
                setattr(self, name, lock)
            return lock

    def _routed(
        self,
        operation: str,
        payload: dict[str, Any],
        transaction_id: str | None,
        secrets: tuple[str, ...],
        reads: Reads | None = None,
    ) -> dict[str, Any]:
        if not self._use_credentials:
            blocking = self.concurrency == "conversation" or not self._established
            lock = self._lock or self._new_lock("_lock")
            if lock.acquire(blocking=blocking):
                try:
                    if not self._use_credentials:
                        if self._closed:
                            raise ClientClosed(operation=operation)
                        return self._run(
                            operation,
                            payload,
                            conversation=True,
                            transaction_id=transaction_id,
                            secrets=secrets,
                            reads=reads,
                        )
                finally:
                    lock.release()
        with self._gate_shared():
            return self._run(
                operation, payload, conversation=False, transaction_id=transaction_id, secrets=secrets, reads=reads
            )

    def _run(
        self,
        operation: str,
        payload: dict[str, Any],
        *,
        conversation: bool,
        transaction_id: str | None,
        secrets: tuple[str, ...],
        reads: Reads | None = None,
    ) -> dict[str, Any]:
        """The retry loop around one operation; ``conversation``: on the rolling token (the lock is held);
        ``reads``: the fields of the answer to read (all by default)."""
        money = operation in MONEY
        maybe_done = False  # an earlier attempt may have reached the service

        def attempt(number: int) -> dict[str, Any]:
            nonlocal maybe_done
            try:
                if conversation and not self._use_credentials:
                    return self._conversation_attempt(operation, payload, transaction_id, secrets, number, reads)
                return self._credentials_attempt(operation, payload, transaction_id, secrets, number, reads)
            except Transient as exc:
                maybe_done = maybe_done or exc.sent
                raise
            except PurchaseInProgress as exc:
                if money and maybe_done:
                    # The first attempt is still being processed: ask again with the same key.
                    raise Transient(exc, "in_progress", sent=True) from None
                raise
            except VoidRefused as exc:
                if operation == "CancelIndicium" and maybe_done:
                    # Refused now, perhaps because the lost attempt already voided the label.
                    raise OutcomeUnknown(
                        operation=operation, idempotency_key=transaction_id, cause=exc, attempts=number
                    ) from None
                raise

        return run(self.retry, operation, attempt, safety=swsim_safety(operation), key=transaction_id, money=money)

    def _conversation_attempt(
        self,
        operation: str,
        payload: dict[str, Any],
        transaction_id: str | None,
        secrets: tuple[str, ...],
        number: int,
        reads: Reads | None = None,
    ) -> dict[str, Any]:
        for reauthenticated in (False, True):
            if self._token is None:
                try:
                    self._login(number)
                except Transient as exc:
                    # Only the login failed: the operation itself was not sent.
                    raise Transient(exc.error, f"login_{exc.reason}", sent=False, retry_after=exc.retry_after) from None
            assert self._token is not None
            try:
                response = self._wire.exchange(
                    operation,
                    _access_mapping.with_authenticator(self._token, payload),
                    secrets=self._secrets() + secrets,
                    transaction_id=transaction_id,
                    attempt=number,
                    reads=reads,
                )
            except Transient as exc:
                if exc.sent:
                    # The service may have used the token and answered with one that was lost:
                    # the next attempt starts a new conversation instead of tripping out-of-sync.
                    self._token = None
                raise
            except WireFault as fault:
                # The service may have moved the conversation on before failing.
                self._token = fault.replacement_token
                if not isinstance(fault.error, ConversationError) or reauthenticated:
                    raise fault.error from None
                self._token = None
                if isinstance(fault.error, ConversationSuperseded) and self.concurrency == "auto":
                    logger.info("op=%s event=use_credentials reason=ConversationSuperseded", operation)
                    self._use_credentials = True
                    return self._credentials_attempt(operation, payload, transaction_id, secrets, number, reads)
                logger.info(
                    "op=%s event=reauthenticate reason=%s code=%s",
                    operation,
                    type(fault.error).__name__,
                    fault.error.code,
                )
                continue
            self._token = _access_mapping.authenticator_from_wire(response)
            self._established = True
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _credentials_attempt(
        self,
        operation: str,
        payload: dict[str, Any],
        transaction_id: str | None,
        secrets: tuple[str, ...],
        number: int,
        reads: Reads | None = None,
    ) -> dict[str, Any]:
        self._check_not_refused(operation)
        try:
            response = self._wire.exchange(
                operation,
                _access_mapping.with_credentials(self._credentials(), payload),
                secrets=self._secrets() + secrets,
                transaction_id=transaction_id,
                attempt=number,
                reads=reads,
            )
        except WireFault as fault:
            raise self._login_error(fault.error) from None
        _access_mapping.authenticator_from_wire(response)
        self._verified = True
        self._established = True
        return response

    def _credentials(self) -> dict[str, str]:
        return _access_mapping.credentials_to_wire(self.integration_id, self.username, self._password)

    def _login(self, attempt: int = 1) -> LoginInfo:
        self._token = None
        self._check_not_refused("AuthenticateUser")
        try:
            response = self._wire.exchange(
                "AuthenticateUser",
                _access_mapping.with_credentials(self._credentials(), {}),
                secrets=self._secrets(),
                attempt=attempt,
            )
        except WireFault as fault:
            raise self._login_error(fault.error) from None
        self._token = _access_mapping.authenticator_from_wire(response)
        self._verified = True
        self._established = True
        self.login_info = _mapping.login_from_wire(response)
        return self.login_info

    def _login_error(self, error: OneBalanceError) -> OneBalanceError:
        if isinstance(error, AuthenticationFailed) and self._verified:
            error = AccountDisconnected(
                operation=error.operation, code=error.code, http_status=error.http_status, faultstring=error.faultstring
            )
        if isinstance(error, (AuthenticationFailed, AccountDisconnected)):
            self._refused = error
            if self.on_credentials_refused is not None:
                self.on_credentials_refused(error)
        return error

    def _check_not_refused(self, operation: str) -> None:
        refused = self._refused
        if refused is not None:
            raise type(refused)(
                f"{refused.message} (not sent again: each refusal counts towards a lockout; "
                "use a new client with the new password)",
                operation=operation,
                code=refused.code,
                faultstring=refused.faultstring,
                source=refused.source,
            )

    def _secrets(self) -> tuple[str, ...]:
        return (self._password, self._token or "")
