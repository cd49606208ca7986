"""The login (AuthenticateUser) and GetAccountInfo handlers (the table is ``_handlers``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from onebalance.swsim import Complex

from . import _ledger, _postage
from ._account_models import Hold
from ._dispatch import Call


def authenticate_user(call: Call) -> dict[str, Any]:
    account = call.user
    previous = account.last_login
    account.last_login = call.state.clock.now()
    result: dict[str, Any] = {
        "ClearCredential": False,
        "LoginBannerText": "",
        "PasswordExpired": account.password_expired,
        "CodewordsSet": account.codewords is not None,
    }
    if previous is not None:
        result = {"LastLoginTime": _naive(previous), **result}
    return result


def get_account_info(call: Call) -> dict[str, Any]:
    """The account as the service reports it.

    ``AccountStatus`` is one of the sandbox's values (see ``AccountStatus``), ``ResubmitStatus``
    is PAYMENT_RESUBMISSION while a payment hold is on, ``Terms.TermsGP`` says whether the
    general terms are accepted, and ``VerificationPhoneNumber`` is the verified phone, if any.
    It works while the password is expired, so that a client can show why.

    A purchase answered Pending or Processing completes first (see ``_postage``); the balance
    and control total are the ledger's, and ``AutoBuySettings`` is reported once it was set.
    """
    account = call.user
    _ledger.settle_pending(call.state, account)
    available, control_total = _ledger.balance(account)
    info_type = call.op.output.type
    assert isinstance(info_type, Complex)
    flags = account.capabilities
    capabilities: dict[str, Any] = {}
    for name, required in _capability_fields(info_type):
        if name == "PerPrintLimit":
            capabilities[name] = account.per_print_limit
        elif required or name in flags:
            capabilities[name] = flags.get(name, False)
    address = dict(account.address)
    info: dict[str, Any] = {
        "CustomerID": account.customer_id,
        "MeterNumber": account.meter_number,
        "UserID": account.user_id,
        "PostageBalance": {
            "AvailablePostage": available,
            "ControlTotal": control_total,
        },
        "MaxPostageBalance": account.max_postage_balance,
        "LPOCity": address.get("City", "")[:29],
        "LPOState": address.get("State", "")[:3],
        "LPOZip": address.get("ZIPCode", "")[:6],
        "AccountId": account.customer_id,
        "CorpID": 0,
        "StoreID": "",
        "CostCodeLimit": account.cost_code_limit,
        "MonthlyPostagePurchaseLimit": account.monthly_postage_purchase_limit,
        "MaxUsers": account.max_users,
        "Capabilities": capabilities,
        "MeterPhysicalAddress": address,
        "ResubmitStatus": "PAYMENT_RESUBMISSION" if Hold.PAYMENT_HOLD in account.holds else "NOT_IN_RESUBMISSION",
        "PlanID": account.plan_id,
        "Username": account.username,
        "RatesetType": "CBP",
        "AutoBuySettings": _postage.auto_buy_on_wire(account),
        "Terms": {
            "TermsGP": account.terms_accepted,
            "TermsAR": True,
            "TermsSL": True,
            "TermsDX": False,
            "TermsFX": True,
            "TermsUPS": True,
            "TermsCM": False,
            "TermsCanadaPost": False,
            "TermsParcelGuard": False,
        },
        "MaxImageCount": 1,
        "GAPickupCarrier": "Usps",
        "LocalCurrency": "USD",
        "HasPOURMailerID": False,
        "GPPickupCarrier": "None",
        "MailingZipCode": address.get("ZIPCode", ""),
    }
    if _field_type(info_type, "AccountInfo").lookup("BrandedExternalPrints") is not None:
        # v135's AccountInfoV65: one more required element, and an optional group the sandbox leaves out.
        info["BrandedExternalPrints"] = False
    result: dict[str, Any] = {
        "AccountInfo": info,
        "Address": address,
        "CustomerEmail": account.email,
        "AccountStatus": account.status.value,
        "DateAdvanceConfig": {
            "MaxDateAdvanceEnvelope": 7,
            "MaxDateAdvanceMailingLabel": 7,
            "MaxDateAdvanceShippingLabel": 7,
        },
    }
    if account.verification_phone:
        result["VerificationPhoneNumber"] = account.verification_phone
        if account.verification_extension:
            result["VerificationPhoneExtension"] = account.verification_extension
    return result


#: The Capabilities fields (name, required) of each GetAccountInfo response type seen, by its id.
_CAPABILITY_FIELDS: dict[int, tuple[Complex, list[tuple[str, bool]]]] = {}


def _capability_fields(info_type: Complex) -> list[tuple[str, bool]]:
    cached = _CAPABILITY_FIELDS.get(id(info_type))
    if cached is None or cached[0] is not info_type:
        capabilities_type = _field_type(_field_type(info_type, "AccountInfo"), "Capabilities")
        fields = [(getattr(p, "name", ""), bool(getattr(p, "min_occurs", 0))) for p in capabilities_type.particles]
        cached = _CAPABILITY_FIELDS[id(info_type)] = (info_type, fields)
    return cached[1]


def _field_type(ctype: Complex, name: str) -> Complex:
    found = ctype.lookup(name)
    assert found is not None and isinstance(found[1].type, Complex)
    return found[1].type


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment
