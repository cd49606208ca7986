"""``OneBalance``: one merchant's One Balance account over SWSIM.

The client logs in lazily, carries the rolling Authenticator from each response to the next
call and re-authenticates once, on its own, when the service refuses the token; how calls are
authenticated, shared between threads and retried (``concurrency=``, ``retry=``) is
``_conversation``'s. The operations here pass models and values; their wire spellings are
``_mapping``'s and ``_access_mapping``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal

import requests
from pydantic import SecretStr

from onebalance.core import (
    ClientClosed,
    ConfigurationError,
    OneBalanceError,
    RetryPolicy,
    Safety,
    Timeout,
    Transport,
    ValidationError,
    old_keywords,
    run,
)
from onebalance.swsim._soap._versions import ApiVersion
from onebalance.swsim._soap._views import Reads

from . import _access_mapping, _mapping
from ._conversation import Concurrency, Conversation
from ._endpoints import check_credentials
from ._exchange import Wire
from ._inputs import Codewords, PaymentMethod, check_password, ipv4
from ._models import (
    AUTO_BUY_OLD_NAMES,
    ZIP_OLD_NAME,
    Account,
    BalanceTransaction,
    CostAccount,
    LoginInfo,
    PaymentMethodInfo,
    PurchaseResult,
)
from ._rules import normalize_phone

__all__ = ["Concurrency", "OneBalance"]

_CONCURRENCY = ("auto", "conversation", "credentials")


class OneBalance(Conversation):
    """A client for one One Balance account.

    >>> client = OneBalance(integration_id=..., username=..., password=..., endpoint=TESTING_ENDPOINT)
    >>> client.account().available_postage
    Decimal('100.00')

    Safe to share between threads. With ``concurrency="auto"`` (the default) one thread at a
    time uses the rolling-token conversation and the others send Credentials meanwhile, so
    threads on one account run in parallel; ``"conversation"`` serializes the calls on the
    token, ``"credentials"`` sends Credentials on every call (see docs/reliability.md).
    ``retry`` is the :class:`RetryPolicy` (``RetryPolicy.none()``: no retries). Clients share
    the parsed WSDL and one connection pool per process, so a platform can hold thousands of them.

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

    __slots__ = ("api_version", "client_ip", "endpoint")

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
        super().__init__(
            Wire.shared(endpoint, timeout=timeout, session=session, retry=retry, version=api_version),
            integration_id=integration_id,
            username=username,
            password=password,
            concurrency=concurrency,
            credentials_verified=credentials_verified,
            on_credentials_refused=on_credentials_refused,
        )
        #: The SWSIM version this client speaks: ``"v135"`` (the default) or ``"v111"``.
        self.api_version: ApiVersion = self._wire.version.name
        self.endpoint = self._wire.endpoint
        self.client_ip = client_ip

    # -- session ---------------------------------------------------------------------------------
    @property
    def timeout(self) -> Timeout:
        return self._wire.transport.timeout

    @property
    def transport(self) -> Transport:
        """The HTTP transport the client sends with (its session and timeouts), for a related
        download such as a label image."""
        return self._wire.transport

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
        with self._lock or self._new_lock("_lock"):
            if self._closed:
                raise ClientClosed(operation="AuthenticateUser")
            return run(self.retry, "AuthenticateUser", lambda n: self._login(n), safety=Safety.READ)

    def close(self) -> None:
        """Forget the conversation; later calls raise :class:`ClientClosed`.

        The shared connection pool stays open for the process's other clients.
        """
        with self._lock or self._new_lock("_lock"):
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
    def account(self, *, with_credentials: bool = False) -> Account:
        """The account's balance, control total, limits, capabilities and status.

        ``with_credentials``: ask with Credentials, leaving the conversation alone (see
        :meth:`call_with_credentials`), as a look at an account someone else is using should.
        """
        if with_credentials:
            return _mapping.account_from_wire(self.call_with_credentials("GetAccountInfo", {}))
        return _mapping.account_from_wire(self.call("GetAccountInfo", {}))

    def start_phone_verification(self, method: Literal["SMS", "Voice"] = "SMS", phone: str | None = None) -> None:
        """Have the service send a verification code by text message or voice call."""
        if method not in ("SMS", "Voice"):
            raise ValidationError("method must be 'SMS' or 'Voice'", field="method")
        digits = None
        if phone is not None:
            digits = normalize_phone(phone)
            if digits is None:
                raise ValidationError("The phone number must be a 10-digit US number.", field="phone")
        self.call("StartAccountVerification", _access_mapping.start_verification_request(method, digits))

    def finish_phone_verification(self, code: str) -> None:
        """Send back the code the merchant received."""
        code = code.strip()
        if not code.isdigit() or not 4 <= len(code) <= 10:
            raise ValidationError("The verification code is the digits the merchant received.", field="code")
        self.call("FinishAccountVerification", _access_mapping.finish_verification_request(code), secrets=(code,))

    def set_codewords(self, codewords: Codewords) -> None:
        """Set the two security questions that unlock a password reset."""
        self.call(
            "SetCodeWords",
            _access_mapping.codewords_to_wire(codewords),
            secrets=(codewords.answer1.get_secret_value(), codewords.answer2.get_secret_value()),
        )

    def change_password(self, new_password: str) -> None:
        """Change the password (the service wants the current one too); the client then uses the new one."""
        check_password(new_password, field="new_password")
        # No call may send the old password while it changes (each would count as a failed login).
        with self._lock or self._new_lock("_lock"), self._gate_exclusive():
            if self._closed:
                raise ClientClosed(operation="ChangePassword")
            self._run(
                "ChangePassword",
                _access_mapping.change_password_request(self._password, new_password),
                conversation=not self._use_credentials,
                transaction_id=None,
                secrets=(new_password,),
            )
            self._password = new_password

    @property
    def password(self) -> SecretStr:
        """The password this client logs in with (for saving after a change)."""
        return SecretStr(self._password)

    def payment_methods(self) -> list[PaymentMethodInfo]:
        return _mapping.payment_methods_from_wire(self.call("ListPaymentMethods", {}))

    def add_payment_method(
        self, method: PaymentMethod, *, make_default: bool = True, client_ip: str | None = None
    ) -> str:
        """Add a card or bank account; with ``make_default`` it pays for everything. Returns its id.

        ``client_ip``: the merchant's IPv4 address for this change (default: the client's).
        """
        request = _mapping.add_payment_method_request(
            method, ipv4(client_ip or self.client_ip), make_default=make_default
        )
        secrets = _mapping.payment_secrets(_mapping.payment_to_wire(method))
        return _mapping.payment_method_id_from_wire(self.call("AddUserPaymentMethod", request, secrets=secrets))

    def set_default_payment_method(self, payment_method_id: str, *, client_ip: str | None = None) -> None:
        request = _mapping.default_payment_method_request(payment_method_id, ipv4(client_ip or self.client_ip))
        self.call("ChangeDefaultPaymentMethod", request)

    def delete_payment_method(self, payment_method_id: str) -> None:
        self.call("DeleteUserPaymentMethod", _mapping.payment_method_request(payment_method_id))

    # -- postage ---------------------------------------------------------------------------------
    def purchase_postage(
        self, amount: Decimal, control_total: Decimal, integrator_tx_id: str, *, send_email: bool | None = None
    ) -> PurchaseResult:
        """PurchasePostage as the service has it (no SDK rules: see :class:`~onebalance.Postage`).

        ``integrator_tx_id`` makes it idempotent: the service answers a repeat with the first result.
        """
        request = _mapping.purchase_request(amount, control_total, integrator_tx_id, send_email)
        response = self.call("PurchasePostage", request, transaction_id=integrator_tx_id)
        return _mapping.purchase_from_wire(response, integrator_tx_id, self.api_version)

    @old_keywords(*AUTO_BUY_OLD_NAMES)
    def set_auto_buy(self, enabled: bool, amount: Decimal | None = None, threshold: Decimal | None = None) -> None:
        """The service's own auto-refill (SetAutoBuy): buy ``amount`` when the balance falls below
        ``threshold``."""
        self.call("SetAutoBuy", _mapping.auto_buy_request(enabled, amount, threshold))

    def cost_accounts(self) -> list[CostAccount]:
        return _mapping.cost_accounts_from_wire(self.call("EnumCostCodes", {}))

    def balance_history(
        self, since: date, until: date | None = None, types: tuple[str, ...] = ("All",), *, page_size: int = 200
    ) -> list[BalanceTransaction]:
        """Every transaction between ``since`` and ``until`` (inclusive), newest first, all pages."""
        request = _mapping.balance_history_request(since, until, types, page_size)
        first = _mapping.history_page_from_wire(self.call("GetBalanceHistory", request))
        out, token = list(first.transactions), first.token
        for number in range(2, first.pages + 1):
            page = _mapping.history_page_from_wire(
                self.call("GetBalanceHistoryByToken", _mapping.history_page_request(token, number))
            )
            token = page.token or token
            out += page.transactions
        return out

    def page_url(
        self, page: str = "SetTermsGeneral", context: str = "onebalance", *, with_credentials: bool = False
    ) -> str:
        """A provider web page for the merchant (e.g. ``SetTermsGeneral`` to accept the terms).

        ``with_credentials``: as for :meth:`account`."""
        request = _access_mapping.page_request(page, context)
        if with_credentials:
            return _access_mapping.page_from_wire(self.call_with_credentials("GetURL", request))
        return _access_mapping.page_from_wire(self.call("GetURL", request))

    @old_keywords(ZIP_OLD_NAME)
    def cancel_account(self, *, address: str, city: str, state: str, postal_code: str) -> None:
        """Close the account. The service asks for the account's physical address as confirmation:
        ``address`` is its street line."""
        self.call("CancelAccount", _access_mapping.cancel_account_request(address, city, state, postal_code))
        with self._lock or self._new_lock("_lock"):
            self._token = None

    # -- engine ----------------------------------------------------------------------------------
    def call(
        self,
        operation: str,
        payload: dict[str, Any],
        *,
        transaction_id: str | None = None,
        secrets: tuple[str, ...] = (),
        reads: Reads | None = None,
    ) -> dict[str, Any]:
        """Run an authenticated SWSIM operation and return its decoded response.

        ``payload`` holds the request's fields other than the Authenticator or Credentials;
        ``transaction_id`` is the operation's idempotency key (IntegratorTxID), if it has one.
        ``reads`` (a :class:`~onebalance.swsim.Reads`) names the fields of the answer the caller
        uses: only those are decoded and checked, and the rest is passed over unread (the whole
        answer by default).
        The call goes over the conversation or with Credentials as ``concurrency`` says, and is
        retried as the retry policy and the operation's kind allow.
        """
        if self._closed:
            raise ClientClosed(operation=operation)
        if not self._established:
            with self._probe or self._new_lock("_probe"):
                if not self._established:
                    return self._routed(operation, payload, transaction_id, secrets, reads)
        return self._routed(operation, payload, transaction_id, secrets, reads)

    def call_with_credentials(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Run an operation authenticated with Credentials instead of the conversation token.

        It leaves the client's conversation alone (no new login supersedes it), which is what
        support tools want when they look at an account a platform is using.
        """
        if self._closed:
            raise ClientClosed(operation=operation)
        with self._gate_shared():
            return self._run(operation, payload, conversation=False, transaction_id=None, secrets=())
