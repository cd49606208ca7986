"""``OneBalance``: one merchant's One Balance account over SWSIM.

The client logs in lazily, carries the rolling Authenticator from each response to the next
call (including the replacement token a fault may carry) and re-authenticates once, on its own,
when the service refuses the token as expired, superseded, out of sync or unknown.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal

import requests
from pydantic import SecretStr

from . import _mapping
from ._config import Timeout, check_credentials
from ._errors import (
    AccountDisconnected,
    AuthenticationFailed,
    ClientClosed,
    ConversationError,
    OneBalanceError,
    ValidationError,
)
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
from ._wire import Wire, WireFault

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
    ) -> None:
        check_credentials(integration_id, username, password)
        self._wire = Wire(endpoint, timeout=timeout, session=session)
        self.endpoint = self._wire.endpoint
        self.integration_id = integration_id.strip()
        self.username = username
        self.client_ip = client_ip
        self._password = SecretStr(password)
        self._verified = credentials_verified
        self._refused: OneBalanceError | None = None
        self._on_refused = on_credentials_refused
        self._token: str | None = None
        self._lock = threading.RLock()
        self._closed = False
        self.login_info: LoginInfo | None = None

    # -- session ---------------------------------------------------------------------------------
    @property
    def timeout(self) -> Timeout:
        return self._wire.transport.timeout

    @property
    def credentials_verified(self) -> bool:
        """True once these credentials have logged in (or were stored after doing so)."""
        return self._verified

    def authenticate(self) -> LoginInfo:
        """Log in now (otherwise the first call does). Starts a new conversation."""
        with self._lock:
            if self._closed:
                raise ClientClosed(operation="AuthenticateUser")
            return self._login()

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
        with self._lock:
            self.call(
                "ChangePassword",
                {"OldPassword": self._password.get_secret_value(), "NewPassword": new_password},
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
            rejection_code=response.get("RejectionCode") if status == "Rejected" else None,
            rejection_reason=response.get("RejectionReason") if status == "Rejected" else None,
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
        with self._lock:
            self.call("CancelAccount", {"Address": address, "City": city, "State": state, "Zip": zip_code})
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
                    response = self._wire.exchange(
                        operation,
                        {"Authenticator": self._token, **payload},
                        secrets=self._secrets() + secrets,
                        transaction_id=transaction_id,
                        attempt=attempt,
                    )
                except WireFault as fault:
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
                self._token = response.pop("Authenticator", None)
                return response
        raise AssertionError("unreachable")  # pragma: no cover

    def call_with_credentials(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Run an operation authenticated with Credentials instead of the conversation token.

        It leaves the client's conversation alone (no new login supersedes it), which is what
        support tools want when they look at an account a platform is using.
        """
        if self._closed:
            raise ClientClosed(operation=operation)
        self._check_not_refused(operation)
        try:
            response = self._wire.exchange(
                operation, {"Credentials": self._credentials(), **payload}, secrets=self._secrets()
            )
        except WireFault as fault:
            raise self._login_error(fault.error) from None
        response.pop("Authenticator", None)
        self._verified = True
        return response

    def _credentials(self) -> dict[str, str]:
        return {
            "IntegrationID": self.integration_id,
            "Username": self.username,
            "Password": self._password.get_secret_value(),
        }

    def _login(self) -> LoginInfo:
        self._token = None
        self._check_not_refused("AuthenticateUser")
        try:
            response = self._wire.exchange(
                "AuthenticateUser", {"Credentials": self._credentials()}, secrets=self._secrets()
            )
        except WireFault as fault:
            raise self._login_error(fault.error) from None
        self._token = response["Authenticator"]
        self._verified = True
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
