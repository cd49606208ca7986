"""The One Balance's wire spellings, in one place: wire dicts (as decoded by the schema codec) to
public models, and the SDK's inputs to request dicts. Pure: no I/O.

Every SWSIM element name the account and funding code needs is written here (and the version
differences in ``_dialect``); the client, the accounts and the funding code pass models and
plain values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from . import _dialect
from ._inputs import CreditCard, PaymentMethod
from ._models import (
    Account,
    AutoBuySettings,
    BalanceTransaction,
    Capabilities,
    CostAccount,
    LoginInfo,
    PaymentMethodInfo,
    PostalAddress,
    PurchaseResult,
    Terms,
)
from ._soap._versions import SwsimVersion

# The service's "no limit" sentinel for PerPrintLimit (decimal.MaxValue of .NET money).
_UNLIMITED = Decimal("922337203685477.5807")

_CAPABILITY_FIELDS = {
    "can_purchase_postage": "CanPurchasePostage",
    "can_print_shipping": "CanPrintShipping",
    "can_print_international": "CanPrintInternational",
    "can_use_cost_codes": "CanUseCostCodes",
    "must_use_cost_codes": "MustUseCostCodes",
    "can_edit_cost_codes": "CanEditCostCodes",
    "allow_all_mail_classes": "AllowAllMailClasses",
    "can_manage_users": "CanManageUsers",
    "can_change_payment_method": "CanChangePaymentMethod",
    "can_use_invoicing": "CanUseInvoicing",
    "can_email_notifications": "CanEmailNotifications",
    "disable_conversation_token": "DisableConversationToken",
    "can_print_ups": "CanPrintUPS",
    "can_print_fedex": "CanPrintFX",
    "block_usps_print": "BlockUSPSPrint",  # v135
    "can_print_ups_ground_saver": "CanPrintUPSGroundSaver",  # v135
}


def address_from_wire(wire: dict[str, Any] | None) -> PostalAddress:
    wire = wire or {}
    first, second = wire.get("Address1"), wire.get("Address2")
    return PostalAddress(
        name=wire.get("FullName"),
        company=wire.get("Company"),
        # The lines that are not empty, in order (without a generator's frame: two lines at most).
        street_lines=((first, second) if second else (first,)) if first else ((second,) if second else ()),
        city=wire.get("City"),
        state=wire.get("State"),
        postal_code=wire.get("ZIPCode"),
        zip4=wire.get("ZIPCodeAddOn"),
        country=wire.get("Country"),
        phone=wire.get("PhoneNumber"),
        email=wire.get("EmailAddress"),
    )


def capabilities_from_wire(wire: dict[str, Any]) -> Capabilities:
    limit = wire.get("PerPrintLimit")
    return Capabilities(
        **{name: bool(wire.get(wire_name, False)) for name, wire_name in _CAPABILITY_FIELDS.items()},
        per_print_limit=None if limit is None or limit >= _UNLIMITED else limit,
        flags=_flags(wire),
    )


#: What ``_flags`` asks of the values left: that each is a bool.
_ONLY_BOOLS = {bool}


def _flags(wire: dict[str, Any]) -> dict[str, bool]:
    """Every value of ``wire`` that is a bool, in order: the flags but PerPrintLimit, as a copy when
    each is (as the service sends them; told in C, not by a test of each of some 120 in Python)."""
    flags = dict(wire)
    limit = flags.pop("PerPrintLimit", None)
    if limit is True or limit is False or not set(map(type, flags.values())) <= _ONLY_BOOLS:
        flags = {k: v for k, v in wire.items() if v is True or v is False}  # a flag sent nil (None)...
    return flags


def account_from_wire(wire: dict[str, Any]) -> Account:
    info = wire["AccountInfo"]
    balance = info["PostageBalance"]
    auto = info.get("AutoBuySettings")
    terms = info.get("Terms") or {}
    return Account(
        customer_id=info["CustomerID"],
        meter_number=info["MeterNumber"],
        user_id=info["UserID"],
        username=info["Username"],
        available_postage=balance["AvailablePostage"],
        control_total=balance["ControlTotal"],
        max_postage_balance=info["MaxPostageBalance"],
        monthly_postage_purchase_limit=info["MonthlyPostagePurchaseLimit"],
        cost_code_limit=info["CostCodeLimit"],
        max_users=info["MaxUsers"],
        capabilities=capabilities_from_wire(info["Capabilities"]),
        account_status=wire.get("AccountStatus"),
        plan_id=info["PlanID"],
        pending_plan_id=info.get("PendingPlanId"),
        resubmit_status=info["ResubmitStatus"],
        auto_buy=None
        if auto is None
        else AutoBuySettings(
            enabled=auto["AutoBuyEnabled"],
            amount=auto.get("PurchaseAmount", Decimal("0")),
            threshold=auto.get("TriggerAmount", Decimal("0")),
        ),
        terms=Terms(
            general=terms.get("TermsGP", False),
            ups=terms.get("TermsUPS", False),
            fedex=terms.get("TermsFX", False),
            dhl_express=terms.get("TermsDX", False),
            parcel_guard=terms.get("TermsParcelGuard", False),
        ),
        email=wire.get("CustomerEmail") or None,
        address=address_from_wire(wire.get("Address")),
        meter_address=address_from_wire(info.get("MeterPhysicalAddress")),
        verification_phone=wire.get("VerificationPhoneNumber"),
        branded_external_prints=info.get("BrandedExternalPrints"),  # v135
        customer_group=info.get("CustomerGroup") or None,  # v135
    )


#: AccountStatus values are not documented. These (compared without case, spaces, dashes or
#: underscores) are read as account states (``AccountState`` values); any other value than
#: "active" is reported as "unknown" so that a person looks at it, rather than taken for an active
#: account.
_STATUS_VALUES = {
    "active": "active",
    "closed": "closed",
    "cancelled": "closed",
    "locked": "locked",
    "lockedout": "locked",
    "adminhold": "admin_hold",
    "accountinadminhold": "admin_hold",
    "paymenthold": "payment_hold",
    "accountonpaymenthold": "payment_hold",
    "activityblocked": "activity_blocked",
    "blocked": "activity_blocked",
    "suspended": "activity_blocked",
    "passwordexpired": "password_expired",
    "passwordreset": "password_reset",
    "verificationrequired": "verification_required",
    "termsrequired": "terms_not_accepted",
}


def account_state(account_status: str | None) -> str | None:
    """The account state (an ``AccountState`` value) an AccountStatus reports; None when it reports none."""
    status = (account_status or "").replace(" ", "").replace("_", "").replace("-", "").lower()
    if not status:
        return None
    return _STATUS_VALUES.get(status, "unknown")


def in_resubmission(resubmit_status: str) -> bool:
    """Whether a ResubmitStatus says a payment is being resubmitted (a payment hold)."""
    return resubmit_status != "NOT_IN_RESUBMISSION"


def login_from_wire(wire: dict[str, Any]) -> LoginInfo:
    return LoginInfo(
        last_login_at=wire.get("LastLoginTime"),
        password_expired=wire.get("PasswordExpired", False),
        codewords_set=wire.get("CodewordsSet", True),
        banner_text=wire.get("LoginBannerText", ""),
    )


def street_line(lines: tuple[str, ...], index: int) -> str | None:
    """``Address1`` (index 0) or ``Address2`` (1) of an address's street lines."""
    return lines[index] if len(lines) > index else None


def address_to_wire(address: PostalAddress) -> dict[str, Any]:
    wire = {
        "FullName": address.name,
        "Company": address.company,
        "Address1": street_line(address.street_lines, 0),
        "Address2": street_line(address.street_lines, 1),
        "City": address.city,
        "State": address.state,
        "ZIPCode": address.postal_code,
        "ZIPCodeAddOn": address.zip4,
        "Country": address.country,
        "PhoneNumber": address.phone,
        "EmailAddress": address.email,
    }
    return {k: v for k, v in wire.items() if v is not None}


def payment_to_wire(method: PaymentMethod) -> dict[str, Any]:
    """``CreditCard`` or ``BankAccount`` (from ``_inputs``) as the request's payment choice."""
    if isinstance(method, CreditCard):
        card: dict[str, Any] = {
            "CreditCardType": method.card_type,
            "AccountNumber": method.number.get_secret_value(),
            "ExpirationDate": datetime(method.expiration_year, method.expiration_month, 1),
        }
        if method.cvn is not None:
            card["CVN"] = method.cvn.get_secret_value()
        if method.billing_address is not None:
            card["BillingAddress"] = address_to_wire(method.billing_address)
        return {"CreditCard": card}
    return {
        "AchAccount": {
            "AchAccountType": method.account_type,
            "BankName": method.bank_name,
            "AccountNumber": method.account_number.get_secret_value(),
            "RouteID": method.routing_number,
            "AccountHolderName": method.holder_name,
        }
    }


def payment_methods_from_wire(wire: dict[str, Any]) -> list[PaymentMethodInfo]:
    methods = (wire.get("PaymentMethods") or {}).get("PaymentMethod") or []
    out = []
    for m in methods:
        if m is None:
            continue
        defaults = (m.get("DefaultPayment") or {}).get("DefaultPaymentMethodTypeOptions") or []
        out.append(
            PaymentMethodInfo(
                id=m.get("PaymentMethodId") or "",
                billing_method=m.get("BillingMethod"),
                card_type=m.get("CreditCardType"),
                last4=m.get("Last4"),
                bank_name=m.get("BankName"),
                default_for=tuple(defaults),
            )
        )
    return out


def transactions_from_wire(wire: dict[str, Any]) -> list[BalanceTransaction]:
    items = (wire.get("Transactions") or {}).get("Transaction") or []
    return [
        BalanceTransaction(
            occurred_at=t["Date"],
            type=t["Type"],
            cost=t["Cost"],
            credit=t["Credit"],
            balance=t["Balance"],
            brand=t.get("Brand") or "",
            purchase_type=t.get("PurchaseType"),
        )
        for t in items
        if t
    ]


def payment_secrets(wire: dict[str, Any]) -> tuple[str, ...]:
    """The secret values of a payment choice built by :func:`payment_to_wire` (masked in every log)."""
    inner = next(iter(wire.values()))
    return tuple(str(inner[k]) for k in ("AccountNumber", "CVN", "RouteID") if inner.get(k))


# -- payment methods as the funding code reads them ----------------------------------------------
#: SWSIM BillingMethod values and the SDK's payment kinds (``PaymentKind`` values).
#: EnterprisePaymentAccount is the Reserve Account and OMAS is Purchase Power (the names the
#: provider's help pages use).
_BILLING_KINDS = {
    "CreditCard": "credit_card",
    "ACH": "bank_account",
    "EnterprisePaymentAccount": "reserve_account",
    "OMAS": "purchase_power",
    "Invoice": "invoice",
}
#: What a receipt calls a method with neither card type nor bank name.
_BILLING_NAMES = {
    "EnterprisePaymentAccount": "Reserve Account",
    "OMAS": "Purchase Power",
    "ACH": "bank account",
    "Invoice": "invoice",
}
#: The default a postage purchase is paid with, most specific first.
_POSTAGE_DEFAULTS = ("DefaultPostalPurchasePaymentMethod", "AllDefaultPaymentMethods")
#: A payment method made the default for everything (AddUserPaymentMethod, ChangeDefaultPaymentMethod).
_ALL_DEFAULTS = "AllDefaultPaymentMethods"


def billing_kind(method: PaymentMethodInfo | None) -> str:
    """The payment kind (a ``PaymentKind`` value) of ``method``'s BillingMethod; ``"unknown"`` if none."""
    if method is None:
        return "unknown"
    return _BILLING_KINDS.get(method.billing_method or "", "unknown")


def postage_payment_method(methods: Sequence[PaymentMethodInfo]) -> PaymentMethodInfo | None:
    """The method that pays for postage: the postal-purchase default, else the all-purpose default."""
    for wanted in _POSTAGE_DEFAULTS:
        for method in methods:
            if wanted in method.default_for:
                return method
    return methods[0] if len(methods) == 1 else None


def describe_payment_method(method: PaymentMethodInfo | None) -> str:
    """How quotes and receipts name ``method``: "Visa ending 1111", "Reserve Account"..."""
    if method is None:
        return "the payment method on file"
    name = method.card_type or method.bank_name or _BILLING_NAMES.get(method.billing_method or "", "account")
    return f"{name} ending {method.last4}" if method.last4 else name


def add_payment_method_request(method: PaymentMethod, client_ip: str, *, make_default: bool) -> dict[str, Any]:
    """AddUserPaymentMethod's fields for ``method``."""
    request: dict[str, Any] = {"MachineInfo": {"IPAddress": client_ip}}
    if make_default:
        request["DefaultPaymentMethodType"] = _ALL_DEFAULTS
    request.update(payment_to_wire(method))
    return request


def default_payment_method_request(payment_method_id: str, client_ip: str) -> dict[str, Any]:
    return {
        "MachineInfo": {"IPAddress": client_ip},
        "PaymentType": _ALL_DEFAULTS,
        "PaymentMethodID": payment_method_id,
    }


def payment_method_request(payment_method_id: str) -> dict[str, Any]:
    """DeleteUserPaymentMethod: the method to delete."""
    return {"PaymentMethodID": payment_method_id}


def payment_method_id_from_wire(wire: dict[str, Any]) -> str:
    return str(wire.get("PaymentMethodID") or "")


# -- postage -------------------------------------------------------------------------------------
def purchase_request(
    amount: Decimal, control_total: Decimal, integrator_tx_id: str, send_email: bool | None
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "PurchaseAmount": amount,
        "ControlTotal": control_total,
        "IntegratorTxID": integrator_tx_id,
    }
    if send_email is not None:
        request["SendEmail"] = send_email
    return request


def purchase_from_wire(wire: dict[str, Any], integrator_tx_id: str, version: str | SwsimVersion) -> PurchaseResult:
    """PurchasePostage's answer (either version's) as a :class:`PurchaseResult`."""
    balance = wire["PostageBalance"]
    status = wire["PurchaseStatus"]
    return PurchaseResult(
        status=status,
        transaction_id=wire["TransactionID"],
        balance={"available_postage": balance["AvailablePostage"], "control_total": balance["ControlTotal"]},
        integrator_tx_id=integrator_tx_id,
        rejection_reason=wire.get("RejectionReason") if status == "Rejected" else None,
        **_dialect.purchase_fields(wire, version),
    )


def auto_buy_request(enabled: bool, amount: Decimal | None, threshold: Decimal | None) -> dict[str, Any]:
    """SetAutoBuy: the service's own auto-refill."""
    settings: dict[str, Any] = {"AutoBuyEnabled": enabled}
    if amount is not None:
        settings["PurchaseAmount"] = amount
    if threshold is not None:
        settings["TriggerAmount"] = threshold
    return {"AutoBuySettings": settings}


def cost_accounts_from_wire(wire: dict[str, Any]) -> list[CostAccount]:
    """EnumCostCodes' answer."""
    items = (wire.get("CostCodes") or {}).get("CostCodes") or []
    return [CostAccount(id=i["id"], name=i["name"]) for i in items if i]


@dataclass(frozen=True)
class HistoryPage:
    """One page of GetBalanceHistory(ByToken): its lines, the token of the next page and the page count."""

    transactions: list[BalanceTransaction]
    token: str | None
    pages: int


def balance_history_request(since: date, until: date | None, types: Sequence[str], page_size: int) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TransactionsPerPage": page_size,
        "TransactionDateMin": since,
        "Filters": {"TransactionType": list(types)},
    }
    if until is not None:
        request["TransactionDateMax"] = until
    return request


def history_page_request(token: str | None, page: int) -> dict[str, Any]:
    return {"BalanceHistoryToken": token, "PageNumber": page}


def history_page_from_wire(wire: dict[str, Any]) -> HistoryPage:
    return HistoryPage(
        transactions=transactions_from_wire(wire),
        token=wire.get("BalanceHistoryToken") or None,
        pages=int(wire.get("TotalPages") or 1),
    )
