"""Payment methods: ListPaymentMethods, AddUserPaymentMethod, ChangeDefaultPaymentMethod,
DeleteUserPaymentMethod, and the card / bank checks RegisterAccount shares.

* Cards are checked with ``_rules.card_problem`` (type, Luhn check digit, the type's number
  prefix, expiry, CVN length), bank accounts with ``_rules.bank_account_problem``; a bad one
  answers 002b0802 ("Creation of payment method failed") with the reason. PayPal (``PPL``) is
  not simulated and answers 002b0802 too.
* ``DECLINED_TEST_CARD`` (a valid Visa number) is always declined: 002b0802.
* The sandbox keeps one default payment method for every purpose: any
  ``DefaultPaymentMethodType`` / ``PaymentType`` makes the method the default, and
  ListPaymentMethods lists it with ``AllDefaultPaymentMethods``. An account's first method is
  its default.
* When a usable method (not declined, not expired) becomes the default, a payment hold is
  lifted. Admin holds and blocked activity are not: only the control API lifts them.
* An unknown or missing PaymentMethodID answers 002b0903, and deleting the default (which is
  also the only one) 002b0904; both codes are the sandbox's own.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from onebalance.swsim import _rules

from . import _errors as faults
from ._account_models import Hold, PaymentMethod
from ._dispatch import Call
from ._errors import SandboxFault
from ._state import SandboxAccount, SandboxState

#: A card number that passes every check but is always declined (a documented test card).
DECLINED_TEST_CARD = "4000000000000002"


def payment_method_from(request: dict[str, Any], today: date) -> PaymentMethod:
    """The payment method a request carries (CreditCard | AchAccount | PPL), checked; not yet stored.

    A declined card comes back with ``declined=True``: the caller refuses it with
    :func:`refuse_declined` once it would really be charged.
    """
    card = request.get("CreditCard")
    ach = request.get("AchAccount")
    if card is not None:
        number = card.get("AccountNumber") or ""
        problem = _rules.card_problem(
            card["CreditCardType"], number, card["ExpirationDate"].date(), card.get("CVN"), today
        )
        if problem:
            raise _failed(problem)
        expires = card["ExpirationDate"].date().replace(day=1)
        return PaymentMethod(
            id="",
            billing_method="CreditCard",
            card_type=card["CreditCardType"],
            last4=number[-4:],
            expires=expires,
            declined=number == DECLINED_TEST_CARD,
        )
    if ach is not None:
        number = ach.get("AccountNumber") or ""
        problem = _rules.bank_account_problem(ach.get("RouteID") or "", number)
        if problem:
            raise _failed(problem)
        return PaymentMethod(id="", billing_method="ACH", bank_name=ach.get("BankName") or "", last4=number[-4:])
    if request.get("PPL") is not None:
        raise _failed("PayPal is not available in the sandbox; give a CreditCard or an AchAccount.")
    raise _failed("A payment method (CreditCard or AchAccount) is required.")


def refuse_declined(method: PaymentMethod) -> None:
    if method.declined:
        raise _failed("The card was declined.")


def _failed(reason: str) -> SandboxFault:
    return SandboxFault(_rules.PAYMENT_METHOD_FAILED, f"Creation of payment method failed: {reason}")


def store(state: SandboxState, account: SandboxAccount, method: PaymentMethod, *, default: bool) -> None:
    """Give ``method`` an id and add it to the account; the first one is always the default."""
    method.id = str(state.next_id("payment_method", 700000))
    account.payment_methods.append(method)
    if default or account.default_payment_method is None:
        make_default(account, method, state.clock.now().date())


def make_default(account: SandboxAccount, method: PaymentMethod, today: date) -> None:
    """Make ``method`` the default; a usable one lifts a payment hold."""
    for other in account.payment_methods:
        other.default = other is method
    if method.usable(today):
        account.lift_hold(Hold.PAYMENT_HOLD)


def _find(account: SandboxAccount, method_id: str | None) -> PaymentMethod:
    method = account.payment_method(method_id) if method_id else None
    if method is None:
        raise SandboxFault(faults.NO_SUCH_PAYMENT_METHOD, f"No payment method with the id {method_id or ''!r}.")
    return method


def _on_wire(method: PaymentMethod) -> dict[str, Any]:
    return {
        "DefaultPayment": {"DefaultPaymentMethodTypeOptions": ["AllDefaultPaymentMethods"]} if method.default else None,
        "BillingMethod": method.billing_method,
        "BankName": method.bank_name,
        "CreditCardType": method.card_type,
        "Last4": method.last4,
        "PaymentMethodId": method.id,
    }


def list_payment_methods(call: Call) -> dict[str, Any]:
    """The account's payment methods; only the one asked for if PaymentMethodID is given."""
    wanted = call.request.get("PaymentMethodID")
    methods = [m for m in call.user.payment_methods if not wanted or m.id == wanted]
    return {"PaymentMethods": {"PaymentMethod": [_on_wire(m) for m in methods]}}


def add_user_payment_method(call: Call) -> dict[str, Any]:
    method = payment_method_from(call.request, call.state.clock.now().date())
    refuse_declined(method)
    store(call.state, call.user, method, default=call.request.get("DefaultPaymentMethodType") is not None)
    call.state.touch(call.user)
    return {"PaymentMethodID": method.id}


def change_default_payment_method(call: Call) -> dict[str, Any]:
    method = _find(call.user, call.request.get("PaymentMethodID"))
    make_default(call.user, method, call.state.clock.now().date())
    call.state.touch(call.user)
    return {}


def delete_user_payment_method(call: Call) -> dict[str, Any]:
    account = call.user
    method = _find(account, call.request.get("PaymentMethodID"))
    if method.default:
        raise SandboxFault(
            faults.DEFAULT_PAYMENT_METHOD,
            "The default payment method cannot be deleted: make another one the default first.",
        )
    account.payment_methods.remove(method)
    call.state.touch(account)
    return {}
