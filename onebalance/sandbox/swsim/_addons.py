"""The add-ons the sandbox offers with its USPS rates, and what a label with them costs.

Every rate of these services lists these add-ons (``AddOns``, under the version's item name:
``AddOnV17`` on v111, ``AddOnV20`` on v135), priced; a label pays the rate's Amount plus the
add-ons sent with it, priced again by the sandbox (the Amounts sent are ignored, as the rate's is):

============  ==============================  ==========================  ===========================
AddOnType     Description                     Price                       Services
============  ==============================  ==========================  ===========================
US-A-SC       Signature Confirmation          $3.65                       US-GA, US-PM, US-PS
US-A-ASR      Adult Signature Required        $8.55                       US-GA, US-PM, US-XM
US-A-INS      USPS Insurance                  $2.85 per $100 (or part)    US-GA, US-PM, US-XM, US-PS
                                              of the rate's InsuredValue
============  ==============================  ==========================  ===========================

Signature Confirmation and Adult Signature Required exclude each other (``ProhibitedWithAnyOf``);
insurance is offered only when the rate has an InsuredValue. First-Class Mail and the flat-rate
envelopes take none of them here. CreateIndicium with an add-on the rate does not offer, or with two
that exclude each other, faults 002b0908 (the real code is not public).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from onebalance.swsim import SwsimVersion

from . import _errors as faults
from ._errors import SandboxFault


@dataclass(frozen=True)
class AddOn:
    code: str
    description: str
    price: Decimal  # per label, or per $100 of insured value for insurance
    services: frozenset[str]
    prohibited_with: tuple[str, ...] = ()


INSURANCE = "US-A-INS"
ADDONS: dict[str, AddOn] = {
    a.code: a
    for a in (
        AddOn(
            "US-A-SC", "Signature Confirmation", Decimal("3.65"), frozenset({"US-GA", "US-PM", "US-PS"}), ("US-A-ASR",)
        ),
        AddOn(
            "US-A-ASR",
            "Adult Signature Required",
            Decimal("8.55"),
            frozenset({"US-GA", "US-PM", "US-XM"}),
            ("US-A-SC",),
        ),
        AddOn(INSURANCE, "USPS Insurance", Decimal("2.85"), frozenset({"US-GA", "US-PM", "US-XM", "US-PS"})),
    )
}
_NO_ADDONS = frozenset({"Flat Rate Envelope", "Flat Rate Padded Envelope", "Large Envelope or Flat"})


def _price(addon: AddOn, insured_value: Decimal | None) -> Decimal | None:
    if addon.code != INSURANCE:
        return addon.price
    if insured_value is None or insured_value <= 0:
        return None
    return addon.price * math.ceil(insured_value / 100)


def offered(service: str, package: str, insured_value: Decimal | None, version: SwsimVersion) -> dict[str, Any] | None:
    """The ``AddOns`` element of a rate (None when it has none)."""
    if package in _NO_ADDONS:
        return None
    items: list[dict[str, Any]] = []
    for addon in ADDONS.values():
        amount = _price(addon, insured_value) if service in addon.services else None
        if amount is None:
            continue
        item: dict[str, Any] = {"Amount": amount, "AddOnType": addon.code, "AddOnDescription": addon.description}
        if addon.prohibited_with:
            item["ProhibitedWithAnyOf"] = {version.addon_type_item: list(addon.prohibited_with)}
        items.append(item)
    return {version.addon_item: items} if items else None


def chosen(rate_in: dict[str, Any], rate: dict[str, Any], version: SwsimVersion) -> list[dict[str, Any]]:
    """The add-ons a CreateIndicium's Rate sent, priced by the sandbox; 002b0908 for one not offered."""
    sent = [item for group in (rate_in.get("AddOns") or {}).values() for item in (group or [])]
    available = {
        item["AddOnType"]: item
        for group in (
            offered(rate["ServiceType"], rate["PackageType"], rate_in.get("InsuredValue"), version) or {}
        ).values()
        for item in group
    }
    out: list[dict[str, Any]] = []
    codes: set[str] = set()
    for item in sent:
        code = item.get("AddOnType")
        if code in codes:
            continue
        if code not in available:
            raise SandboxFault(faults.ADDON_NOT_AVAILABLE, f"The add-on {code} is not available for this rate.")
        clash = set(ADDONS[code].prohibited_with) & codes
        if clash:
            raise SandboxFault(faults.ADDON_NOT_AVAILABLE, f"The add-on {code} cannot be combined with {min(clash)}.")
        codes.add(code)
        out.append(
            {"Amount": available[code]["Amount"], "AddOnType": code, "AddOnDescription": ADDONS[code].description}
        )
    return out
