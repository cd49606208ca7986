"""USPS addresses on the SWSIM wire: ``Address`` both ways, and the ``cleanse_request`` /
``parse_cleanse`` pair of CleanseAddress (USPS standardisation). No I/O.

A CleanseAddress answer says whether USPS matched the whole address (``AddressMatch``) or at least
its city, state and ZIP (``CityStateZipOK``), whether it is residential
(``ResidentialDeliveryIndicator``: ``Yes``, ``No``; ``Unknown`` and ``Unsupported`` are None here),
and when it could not choose, the addresses it suggests (``CandidateAddresses``). The standardised
address carries the CleanseHash a label's To must carry, for that address as USPS wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from onebalance.core import OneBalanceError, ValidationError
from onebalance.shipments import Address

from ._models import CleansedAddress

__all__ = ["CLEANSE", "address_from_wire", "address_to_wire", "cleanse_request", "domestic", "parse_cleanse"]

#: The SWSIM operation of the pair.
CLEANSE = "CleanseAddress"


def domestic(
    address: Address, field: str, text: str = "USPS labels from One Balance go to and from US ZIP codes only"
) -> None:
    """Refuse an address outside the US ZIP code system (before anything is sent)."""
    if not address.uses_zip_codes:
        raise ValidationError(f"{field}.country: {text}", field=f"{field}.country")


# -- addresses ---------------------------------------------------------------------------------------
#: The SWSIM Address's street lines (an ``Address`` holds at most three: ``STREET_LINES_MAX``).
_STREET = ("Address1", "Address2", "Address3")


def address_to_wire(address: Address, cleanse_hash: str | None = None) -> dict[str, Any]:
    """An SWSIM ``Address``; ``cleanse_hash`` is what CleanseAddress returned for it."""
    # Each field read once (a label reads two addresses, every time).
    wire: dict[str, Any] = {"FullName": address.name}
    company, state, postal = address.company, address.state, address.postal_code
    if company:
        wire["Company"] = company
    wire.update(zip(_STREET, address.street_lines, strict=False))  # one to three lines
    wire["City"] = address.city
    if address.uses_zip_codes:
        if state:
            wire["State"] = state
        if postal:  # Address.zip5 and zip4, of an address in the ZIP code system
            wire["ZIPCode"] = postal[:5]
            if len(postal) == 10:
                wire["ZIPCodeAddOn"] = postal[6:]
    else:
        if state:
            wire["Province"] = state
        if postal:
            wire["PostalCode"] = postal
    wire["Country"] = address.country
    phone = address.phone
    if phone:
        wire["PhoneNumber"] = phone
    if cleanse_hash:
        wire["CleanseHash"] = cleanse_hash
    email = address.email
    if email:
        wire["EmailAddress"] = email
    return wire


def address_from_wire(wire: Mapping[str, Any], like: Address, *, fill: bool = True) -> Address:
    """An SWSIM ``Address`` as a carriers :class:`Address`.

    The name, phone and email come from ``like`` when the wire leaves them out; with ``fill`` the
    street, city, state and postal code do too (not for candidates: a partial one stays partial).
    """
    base = like if fill else None
    lines = [wire.get(f"Address{i}") for i in (1, 2, 3)]
    street = [line for line in lines if line] or (list(base.street_lines) if base else [])
    zip5, zip4 = wire.get("ZIPCode"), wire.get("ZIPCodeAddOn")
    postal = (f"{zip5}-{zip4}" if zip4 else zip5) if zip5 else wire.get("PostalCode")
    return Address(
        name=wire.get("FullName") or like.name,
        company=wire.get("Company") or like.company,
        street_lines=street,
        city=wire.get("City") or (base.city if base else None),
        state=wire.get("State") or wire.get("Province") or (base.state if base else None),
        postal_code=postal or (base.postal_code if base else None),
        country=wire.get("Country") or like.country,
        phone=like.phone,
        email=like.email,
        residential=like.residential,
    )


def cleanse_request(address: Address) -> dict[str, Any]:
    """CleanseAddress for ``address``."""
    domestic(address, "address", "USPS checks addresses of the US ZIP code system only (the US and its territories)")
    return {"Address": address_to_wire(address)}


def parse_cleanse(response: Mapping[str, Any], original: Address) -> CleansedAddress:
    """A CleanseAddress response; ``original`` is the address that was sent."""
    wire = response.get("Address") or {}
    residential = {"Yes": True, "No": False}.get(str(response.get("ResidentialDeliveryIndicator")))
    address = address_from_wire(wire, original)
    if residential is not None:
        address = address.model_copy(update={"residential": residential})
    candidates: list[Address] = []
    for item in (response.get("CandidateAddresses") or {}).get("Address", []):
        try:
            candidates.append(address_from_wire(item, original, fill=False))
        except OneBalanceError:
            continue  # a partial suggestion the models cannot hold
    match = bool(response.get("AddressMatch"))
    return CleansedAddress(
        address=address,
        match=match,
        city_state_zip_ok=bool(response.get("CityStateZipOK")),
        cleanse_hash=wire.get("CleanseHash") or None,
        override_hash=wire.get("OverrideHash") or None,
        is_po_box=response.get("IsPOBox"),
        residential=residential,
        candidates=tuple(candidates),
    )
