"""Wire dicts (as decoded by the schema codec) to public models. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ._models import (
    Account,
    AutoBuySettings,
    BalanceTransaction,
    Capabilities,
    LoginInfo,
    PaymentMethodInfo,
    PostalAddress,
    Terms,
)

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
    return PostalAddress(
        full_name=wire.get("FullName"),
        company=wire.get("Company"),
        address1=wire.get("Address1"),
        address2=wire.get("Address2"),
        city=wire.get("City"),
        state=wire.get("State"),
        zip_code=wire.get("ZIPCode"),
        zip_code_add_on=wire.get("ZIPCodeAddOn"),
        country=wire.get("Country"),
        phone=wire.get("PhoneNumber"),
        email=wire.get("EmailAddress"),
    )


def capabilities_from_wire(wire: dict[str, Any]) -> Capabilities:
    limit = wire.get("PerPrintLimit")
    return Capabilities(
        **{name: bool(wire.get(wire_name, False)) for name, wire_name in _CAPABILITY_FIELDS.items()},
        per_print_limit=None if limit is None or limit >= _UNLIMITED else limit,
        flags={k: v for k, v in wire.items() if isinstance(v, bool)},
    )


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
            purchase_amount=auto.get("PurchaseAmount", Decimal("0")),
            trigger_amount=auto.get("TriggerAmount", Decimal("0")),
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


def login_from_wire(wire: dict[str, Any]) -> LoginInfo:
    return LoginInfo(
        last_login_time=wire.get("LastLoginTime"),
        password_expired=wire.get("PasswordExpired", False),
        codewords_set=wire.get("CodewordsSet", True),
        banner_text=wire.get("LoginBannerText", ""),
    )


def address_to_wire(address: PostalAddress) -> dict[str, Any]:
    wire = {
        "FullName": address.full_name,
        "Company": address.company,
        "Address1": address.address1,
        "Address2": address.address2,
        "City": address.city,
        "State": address.state,
        "ZIPCode": address.zip_code,
        "ZIPCodeAddOn": address.zip_code_add_on,
        "Country": address.country,
        "PhoneNumber": address.phone,
        "EmailAddress": address.email,
    }
    return {k: v for k, v in wire.items() if v is not None}


def payment_to_wire(method: Any) -> dict[str, Any]:
    """``CreditCard`` or ``BankAccount`` (from ``_inputs``) as the request's payment choice."""
    from ._inputs import CreditCard

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
            date=t["Date"],
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
