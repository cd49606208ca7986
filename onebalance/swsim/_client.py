"""``OneBalance``: one merchant's One Balance account over SWSIM.

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

import ipaddress
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal

import requests
from pydantic import SecretStr

from onebalance.core._config import Timeout
from onebalance.core._errors import (
    AccountDisconnected,
    AuthenticationFailed,
    ClientClosed,
    ConfigurationError,
    ConversationError,
    ConversationSuperseded,
    OneBalanceError,
    OutcomeUnknown,
    PurchaseInProgress,
    ValidationError,
    VoidRefused,
)
from onebalance.core._retry import MONEY, RetryPolicy, Safety, Transient, run, swsim_safety
from onebalance.swsim._soap._versions import ApiVersion

from . import _dialect, _mapping
from ._endpoints import check_credentials
from ._exchange import Wire, WireFault
from ._inputs import Codewords, PaymentMethod, check_password
from ._models import (
    Account,
    BalanceTransaction,
    CostAccount,
    LoginInfo,
    PaymentMethodInfo,
    PostageBalance,
    PurchaseResult,
)
from ._rules import normalize_phone

logger = logging.getLogger("onebalance")

__all__ = ["Concurrency", "OneBalance"]

Concurrency = Literal["auto", "conversation", "credentials"]
_CONCURRENCY = ("auto", "conversation", "credentials")


class OneBalance:
    """A client for one One Balance account.

    >>> client = OneBalance(integration_id=..., username=..., password=..., endpoint=TESTING_ENDPOINT)
    >>> client.account().available_postage
    Decimal('100.00')

    Safe to share between threads. With ``concurrency="auto"`` (the default) one thread at a
    time uses the rolling-token conversation and the others send Credentials meanwhile, so
    threads on one account run in parallel; ``"conversation"`` serializes the calls on the
    token, ``"credentials"`` sends Credentials on every call (see the module docstring and
    docs/reliability.md). ``retry`` is the :class:`RetryPolicy` (``RetryPolicy.none()``: no
    retries). Clients share the parsed WSDL and one connection pool per process, so a platform
    can hold thousands of them.

    ``credentials_verified=True`` says these credentials have logged in before (the platform
    stored them after a successful login): if the service then refuses them, the error is
    :class:`AccountDisconnected` rather than :class:`AuthenticationFailed`.
    ``client_ip`` is the merchant's IPv4 address, which the service asks for (fraud checks)
    when payment methods change.

    Credentials the service refuses are not sent again by this client: every refusal counts
    towards the service's lockout (five in a row lock the account), so later calls raise the
    same error without sending anything. Make a new client with the new password.
    ``on_credentials_refused`` is called once when that happens.
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
        credentials_verified: bool = False,
        client_ip: str = "127.0.0.1",
        on_credentials_refused: Callable[[OneBalanceError], None] | None = None,
        retry: RetryPolicy | None = None,
        concurrency: Concurrency = "auto",
        api_version: ApiVersion | None = None,
    ) -> None:
        check_credentials(integration_id, username, password)
        if concurrency not in _CONCURRENCY:
            raise ConfigurationError("concurrency must be 'auto', 'conversation' or 'credentials'")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError("retry must be a RetryPolicy")
        self._wire = Wire(endpoint, timeout=timeout, session=session, retry=retry, version=api_version)
        #: The SWSIM version this client speaks: ``"v135"`` (the default) or ``"v111"``.
        self.api_version: ApiVersion = self._wire.version.name
        self.concurrency: Concurrency = concurrency
        self.endpoint = self._wire.endpoint
        self.integration_id = integration_id.strip()
        self.username = username
        self.client_ip = client_ip
        self._password = SecretStr(password)
        self._verified = credentials_verified
        self._refused: OneBalanceError | None = None
        self._on_refused = on_credentials_refused
        self._token: str | None = None
        #: Held by the one thread using the rolling token (and by password changes).
        self._lock = threading.RLock()
        #: Held by the first call(s), until one proves the credentials, so a wrong password goes out once.
        self._probe = threading.RLock()
        self._established = False
        #: Set in auto mode once the conversation was superseded: Credentials from then on.
        self._use_credentials = concurrency == "credentials"
        self._gate = _PasswordGate()
        self._closed = False
        self.login_info: LoginInfo | None = None

    # -- session ---------------------------------------------------------------------------------
    @property
    def timeout(self) -> Timeout:
        return self._wire.transport.timeout

    @property
    def retry(self) -> RetryPolicy:
        return self._wire.retry

    @property
    def uses_credentials(self) -> bool:
        """True when every call sends Credentials (``concurrency="credentials"``, or auto after a supersession)."""
        return self._use_credentials

    @property
    def credentials_verified(self) -> bool:
        """True once these credentials have logged in (or were stored after doing so)."""
        return self._verified

    def authenticate(self) -> LoginInfo:
        """Log in now (otherwise the first call does). Starts a new conversation."""
        with self._lock:
            if self._closed:
                raise ClientClosed(operation="AuthenticateUser")
            return run(self.retry, "AuthenticateUser", lambda n: self._login(n), safety=Safety.READ)

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
        return f"OneBalance(username={self.username!r}, endpoint={self.endpoint!r}, api_version={self.api_version!r})"

    # -- the account -----------------------------------------------------------------------------
    def account(self) -> Account:
        """The account's balance, control total, limits, capabilities and status."""
        return _mapping.account_from_wire(self.call("GetAccountInfo", {}))

    def start_phone_verification(self, method: Literal["SMS", "Voice"] = "SMS", phone: str | None = None) -> None:
        """Have the service send a verification code by text message or voice call."""
        if method not in ("SMS", "Voice"):
            raise ValidationError("method must be 'SMS' or 'Voice'", field="method")
        payload: dict[str, Any] = {"PhoneVerificationOption": method}
        if phone is not None:
            digits = normalize_phone(phone)
            if digits is None:
                raise ValidationError("The phone number must be a 10-digit US number.", field="phone")
            payload["PhoneNumber"] = digits
        self.call("StartAccountVerification", payload)

    def finish_phone_verification(self, code: str) -> None:
        """Send back the code the merchant received."""
        code = code.strip()
        if not code.isdigit() or not 4 <= len(code) <= 10:
            raise ValidationError("The verification code is the digits the merchant received.", field="code")
        self.call("FinishAccountVerification", {"PhoneVerificationCode": code}, secrets=(code,))

    def set_codewords(self, codewords: Codewords) -> None:
        """Set the two security questions that unlock a password reset."""
        self.call(
            "SetCodeWords",
            {
                "Codeword1Type": codewords.question1,
                "Codeword1": codewords.answer1.get_secret_value(),
                "Codeword2Type": codewords.question2,
                "Codeword2": codewords.answer2.get_secret_value(),
            },
            secrets=(codewords.answer1.get_secret_value(), codewords.answer2.get_secret_value()),
        )

    def change_password(self, new_password: str) -> None:
        """Change the password (the service wants the current one too); the client then uses the new one."""
        check_password(new_password, field="new_password")
        # No call may send the old password while it changes (each would count as a failed login).
        with self._lock, self._gate.exclusive():
            if self._closed:
                raise ClientClosed(operation="ChangePassword")
            self._run(
                "ChangePassword",
                {"OldPassword": self._password.get_secret_value(), "NewPassword": new_password},
                conversation=not self._use_credentials,
                transaction_id=None,
                secrets=(new_password,),
            )
            self._password = SecretStr(new_password)

    @property
    def password(self) -> SecretStr:
        """The password this client logs in with (for saving after a change)."""
        return self._password

    def payment_methods(self) -> list[PaymentMethodInfo]:
        return _mapping.payment_methods_from_wire(self.call("ListPaymentMethods", {}))

    def add_payment_method(
        self, method: PaymentMethod, *, make_default: bool = True, client_ip: str | None = None
    ) -> str:
        """Add a card or bank account; with ``make_default`` it pays for everything. Returns its id.

        ``client_ip``: the merchant's IPv4 address for this change (default: the client's).
        """
        payload: dict[str, Any] = {"MachineInfo": {"IPAddress": _ipv4(client_ip or self.client_ip)}}
        if make_default:
            payload["DefaultPaymentMethodType"] = "AllDefaultPaymentMethods"
        wire = _mapping.payment_to_wire(method)
        payload.update(wire)
        response = self.call("AddUserPaymentMethod", payload, secrets=_payment_secrets(wire))
        return str(response.get("PaymentMethodID") or "")

    def set_default_payment_method(self, payment_method_id: str, *, client_ip: str | None = None) -> None:
        self.call(
            "ChangeDefaultPaymentMethod",
            {
                "MachineInfo": {"IPAddress": _ipv4(client_ip or self.client_ip)},
                "PaymentType": "AllDefaultPaymentMethods",
                "PaymentMethodID": payment_method_id,
            },
        )

    def delete_payment_method(self, payment_method_id: str) -> None:
        self.call("DeleteUserPaymentMethod", {"PaymentMethodID": payment_method_id})

    # -- postage ---------------------------------------------------------------------------------
    def purchase_postage(
        self, amount: Decimal, control_total: Decimal, integrator_tx_id: str, *, send_email: bool | None = None
    ) -> PurchaseResult:
        """PurchasePostage as the service has it (no SDK rules: see :class:`~onebalance.Postage`).

        ``integrator_tx_id`` makes it idempotent: the service answers a repeat with the first result.
        """
        payload: dict[str, Any] = {
            "PurchaseAmount": amount,
            "ControlTotal": control_total,
            "IntegratorTxID": integrator_tx_id,
        }
        if send_email is not None:
            payload["SendEmail"] = send_email
        response = self.call("PurchasePostage", payload, transaction_id=integrator_tx_id)
        balance = response["PostageBalance"]
        status = response["PurchaseStatus"]
        return PurchaseResult(
            status=status,
            transaction_id=response["TransactionID"],
            balance=PostageBalance(
                available_postage=balance["AvailablePostage"], control_total=balance["ControlTotal"]
            ),
            integrator_tx_id=integrator_tx_id,
            rejection_reason=response.get("RejectionReason") if status == "Rejected" else None,
            **_dialect.purchase_fields(response, self.api_version),
        )

    def set_auto_buy(
        self, enabled: bool, purchase_amount: Decimal | None = None, trigger_amount: Decimal | None = None
    ) -> None:
        """The service's own auto-refill (SetAutoBuy): buy ``purchase_amount`` when the balance falls below
        ``trigger_amount``."""
        settings: dict[str, Any] = {"AutoBuyEnabled": enabled}
        if purchase_amount is not None:
            settings["PurchaseAmount"] = purchase_amount
        if trigger_amount is not None:
            settings["TriggerAmount"] = trigger_amount
        self.call("SetAutoBuy", {"AutoBuySettings": settings})

    def cost_accounts(self) -> list[CostAccount]:
        items = (self.call("EnumCostCodes", {}).get("CostCodes") or {}).get("CostCodes") or []
        return [CostAccount(id=i["id"], name=i["name"]) for i in items if i]

    def balance_history(
        self, since: date, until: date | None = None, types: tuple[str, ...] = ("All",), *, page_size: int = 200
    ) -> list[BalanceTransaction]:
        """Every transaction between ``since`` and ``until`` (inclusive), newest first, all pages."""
        payload: dict[str, Any] = {
            "TransactionsPerPage": page_size,
            "TransactionDateMin": since,
            "Filters": {"TransactionType": list(types)},
        }
        if until is not None:
            payload["TransactionDateMax"] = until
        first = self.call("GetBalanceHistory", payload)
        out = _mapping.transactions_from_wire(first)
        token = first.get("BalanceHistoryToken")
        for page in range(2, int(first.get("TotalPages") or 1) + 1):
            more = self.call("GetBalanceHistoryByToken", {"BalanceHistoryToken": token, "PageNumber": page})
            token = more.get("BalanceHistoryToken") or token
            out += _mapping.transactions_from_wire(more)
        return out

    def page_url(self, page: str = "SetTermsGeneral", context: str = "onebalance") -> str:
        """A provider web page for the merchant (e.g. ``SetTermsGeneral`` to accept the terms)."""
        return str(self.call("GetURL", {"URLType": page, "ApplicationContext": context}).get("URL") or "")

    def cancel_account(self, *, address: str, city: str, state: str, zip_code: str) -> None:
        """Close the account. The service asks for the account's physical address as confirmation."""
        self.call("CancelAccount", {"Address": address, "City": city, "State": state, "Zip": zip_code})
        with self._lock:
            self._token = None

    # -- engine ----------------------------------------------------------------------------------
    def call(
        self,
        operation: str,
        payload: dict[str, Any],
        *,
        transaction_id: str | None = None,
        secrets: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """Run an authenticated SWSIM operation and return its decoded response.

        ``payload`` holds the request's fields other than the Authenticator or Credentials;
        ``transaction_id`` is the operation's idempotency key (IntegratorTxID), if it has one.
        The call goes over the conversation or with Credentials as ``concurrency`` says, and is
        retried as the retry policy and the operation's kind allow.
        """
        if self._closed:
            raise ClientClosed(operation=operation)
        if not self._established:
            with self._probe:
                if not self._established:
                    return self._routed(operation, payload, transaction_id, secrets)
        return self._routed(operation, payload, transaction_id, secrets)

    def _routed(
        self, operation: str, payload: dict[str, Any], transaction_id: str | None, secrets: tuple[str, ...]
    ) -> dict[str, Any]:
        if not self._use_credentials:
            blocking = self.concurrency == "conversation" or not self._established
            if self._lock.acquire(blocking=blocking):
                try:
                    if not self._use_credentials:
                        if self._closed:
                            raise ClientClosed(operation=operation)
                        return self._run(
                            operation, payload, conversation=True, transaction_id=transaction_id, secrets=secrets
                        )
                finally:
                    self._lock.release()
        with self._gate.shared():
            return self._run(operation, payload, conversation=False, transaction_id=transaction_id, secrets=secrets)

    def _run(
        self,
        operation: str,
        payload: dict[str, Any],
        *,
        conversation: bool,
        transaction_id: str | None,
        secrets: tuple[str, ...],
    ) -> dict[str, Any]:
        """The retry loop around one operation; ``conversation``: on the rolling token (the lock is held)."""
        money = operation in MONEY
        maybe_done = False  # an earlier attempt may have reached the service

        def attempt(number: int) -> dict[str, Any]:
            nonlocal maybe_done
            try:
                if conversation and not self._use_credentials:
                    return self._conversation_attempt(operation, payload, transaction_id, secrets, number)
                return self._credentials_attempt(operation, payload, transaction_id, secrets, number)
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
                    {"Authenticator": self._token, **payload},
                    secrets=self._secrets() + secrets,
                    transaction_id=transaction_id,
                    attempt=number,
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
                    return self._credentials_attempt(operation, payload, transaction_id, secrets, number)
                logger.info(
                    "op=%s event=reauthenticate reason=%s code=%s",
                    operation,
                    type(fault.error).__name__,
                    fault.error.code,
                )
                continue
            self._token = response.pop("Authenticator", None)
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
    ) -> dict[str, Any]:
        self._check_not_refused(operation)
        try:
            response = self._wire.exchange(
                operation,
                {"Credentials": self._credentials(), **payload},
                secrets=self._secrets() + secrets,
                transaction_id=transaction_id,
                attempt=number,
            )
        except WireFault as fault:
            raise self._login_error(fault.error) from None
        response.pop("Authenticator", None)
        self._verified = True
        self._established = True
        return response

    def call_with_credentials(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Run an operation authenticated with Credentials instead of the conversation token.

        It leaves the client's conversation alone (no new login supersedes it), which is what
        support tools want when they look at an account a platform is using.
        """
        if self._closed:
            raise ClientClosed(operation=operation)
        with self._gate.shared():
            return self._run(operation, payload, conversation=False, transaction_id=None, secrets=())

    def _credentials(self) -> dict[str, str]:
        return {
            "IntegrationID": self.integration_id,
            "Username": self.username,
            "Password": self._password.get_secret_value(),
        }

    def _login(self, attempt: int = 1) -> LoginInfo:
        self._token = None
        self._check_not_refused("AuthenticateUser")
        try:
            response = self._wire.exchange(
                "AuthenticateUser", {"Credentials": self._credentials()}, secrets=self._secrets(), attempt=attempt
            )
        except WireFault as fault:
            raise self._login_error(fault.error) from None
        self._token = response["Authenticator"]
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
            if self._on_refused is not None:
                self._on_refused(error)
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
            )

    def _secrets(self) -> tuple[str, ...]:
        return (self._password.get_secret_value(), self._token or "")


class _PasswordGate:
    """Calls that send the password share the gate; a password change holds it alone."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._sharing = 0
        self._changing = False

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._changing)
            self._sharing += 1
        try:
            yield
        finally:
            with self._cond:
                self._sharing -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
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


def _ipv4(address: str) -> str:
    try:
        if ipaddress.ip_address(address).version == 4:
            return address
    except ValueError:
        pass
    raise ValidationError("client_ip must be the merchant's IPv4 address", field="client_ip")


def _payment_secrets(wire: dict[str, Any]) -> tuple[str, ...]:
    inner = next(iter(wire.values()))
    return tuple(str(inner[k]) for k in ("AccountNumber", "CVN", "RouteID") if inner.get(k))
