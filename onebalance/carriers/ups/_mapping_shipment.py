"""UPS's ``Shipment`` of a Rate or Ship request: the parties, the packages, the options. No I/O.

What both requests carry alike (``_mapping.rate_request`` and ``_mapping.ship_request`` add the
service, the label and the rest): the shipper (the account billed, with its shipper number), the
recipient and where the parcel leaves from; each parcel as a package (its packaging, weight,
sides, confirmation and reference); the options UPS offers here, refused otherwise.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Any

from onebalance.core import ValidationError
from onebalance.shipments import Address, PackageType, Parcel, ShipmentOption, ShipmentRequest, Weight

from ._mapping_returns import billed_party
from ._settings import UpsSettings

__all__ = ["PACKAGING_CODES", "shipment_body"]

#: Neutral packaging → UPS packaging code (Rate ``PackagingType``, Ship ``Packaging``).
PACKAGING_CODES: dict[PackageType, str] = {
    PackageType.ENVELOPE: "01",
    PackageType.PACKAGE: "02",
    PackageType.TUBE: "03",
    PackageType.PAK: "04",
}
_TENTH = Decimal("0.1")
_SUPPORTED_OPTIONS = {ShipmentOption.SIGNATURE, ShipmentOption.ADULT_SIGNATURE, ShipmentOption.SATURDAY_DELIVERY}
_UNIT_NAMES = {"LBS": "Pounds", "KGS": "Kilograms", "OZS": "Ounces", "IN": "Inches", "CM": "Centimeters"}
#: A weight unit -> UPS's code and its name.
_WEIGHT_UNITS = {unit: (code, _UNIT_NAMES[code]) for unit, code in (("lb", "LBS"), ("kg", "KGS"), ("oz", "OZS"))}


def _address(address: Address, *, shipper_number: str | None = None, ship_to: bool = False) -> dict[str, Any]:
    """A party (``Shipper``, ``ShipTo``, ``ShipFrom``); ``ship_to``: the recipient, whose address says
    whether it is residential."""
    # The fields read from the model's __dict__ (where pydantic keeps them): a model's attribute goes
    # through BaseModel.__getattr__'s slow path, three times a dict's item. The street, the city and
    # the country are never empty (the model requires them); UPS leaves out what is unknown.
    fields = address.__dict__
    state, postal_code = fields["state"], fields["postal_code"]
    if postal_code:
        postal_code = postal_code.replace("-", "")
    wire: dict[str, Any] = {
        "AddressLine": list(fields["street_lines"]),
        "City": fields["city"],
        "StateProvinceCode": state,
        "PostalCode": postal_code,
        "CountryCode": fields["country"],
    }
    if not state:
        del wire["StateProvinceCode"]
    if not postal_code:
        del wire["PostalCode"]
    if ship_to and fields["residential"]:
        wire["ResidentialAddressIndicator"] = ""
    company, phone = fields["company"], fields["phone"]
    if company:
        party: dict[str, Any] = {"Name": company, "Address": wire, "AttentionName": fields["name"]}
    else:
        party = {"Name": fields["name"], "Address": wire}
    if phone:
        party["Phone"] = {"Number": phone}
    if shipper_number is not None:
        party["ShipperNumber"] = shipper_number
    return party


def _weight(weight: Weight) -> dict[str, Any]:
    unit = _WEIGHT_UNITS.get(weight.unit)
    if unit is None:
        weight = weight.to("kg")
        unit = _WEIGHT_UNITS[weight.unit]
    value = weight.value.quantize(_TENTH, rounding=ROUND_CEILING)
    # str() of a Decimal with exponent -1 is never in scientific notation: the same text as f"{value:f}".
    return {"UnitOfMeasurement": {"Code": unit[0], "Description": unit[1]}, "Weight": str(value)}


def _packaging(package_type: PackageType, index: int) -> str:
    code = PACKAGING_CODES.get(package_type)
    if code is None:
        raise ValidationError(
            f"parcels.{index}.package_type: UPS does not offer {package_type.value} packaging",
            field=f"parcels.{index}.package_type",
        )
    return code


def _package(parcel: Parcel, index: int, packaging_key: str, options: frozenset[ShipmentOption]) -> dict[str, Any]:
    fields = parcel.__dict__  # the fields, each read as a dict's item (see _address)
    package: dict[str, Any] = {
        packaging_key: {"Code": _packaging(fields["package_type"], index)},
        "PackageWeight": _weight(fields["weight"]),
    }
    dims = fields["dimensions"]
    if dims is not None:
        # UPS takes whole units here (at most 3 characters), so each side is rounded up.
        sides = [side.to_integral_value(rounding=ROUND_CEILING) for side in dims.sides]
        package["Dimensions"] = {
            "UnitOfMeasurement": {"Code": dims.unit.upper(), "Description": _UNIT_NAMES[dims.unit.upper()]},
            "Length": f"{sides[0]:f}",
            "Width": f"{sides[1]:f}",
            "Height": f"{sides[2]:f}",
        }
    if packaging_key == "Packaging":
        dcis = _dcis(options) if options else None  # no options (the usual case): no lookups
        if dcis:
            package["PackageServiceOptions"] = {"DeliveryConfirmation": {"DCISType": dcis}}
        reference = fields["reference"]
        if reference:
            package["ReferenceNumber"] = [{"Value": reference}]
    return package


def _dcis(options: frozenset[ShipmentOption]) -> str | None:
    """The delivery confirmation a signature option asks for (adult signature first)."""
    if ShipmentOption.ADULT_SIGNATURE in options:
        return "3"
    return "2" if ShipmentOption.SIGNATURE in options else None


def _refuse_options(options: frozenset[ShipmentOption]) -> None:
    unsupported = sorted(option.value for option in options - _SUPPORTED_OPTIONS)
    if unsupported:
        raise ValidationError(f"options: UPS labels here do not offer {', '.join(unsupported)}", field="options")


def shipment_body(shipment: ShipmentRequest, settings: UpsSettings, *, payment: str, packaging: str) -> dict[str, Any]:
    """A Rate or Ship request's ``Shipment``: the parties, the payer (BillShipper) under ``payment``
    and the packages (their packaging code under ``packaging``); options UPS lacks are refused."""
    fields = shipment.__dict__  # the fields, each read as a dict's item (see _address)
    options = fields["options"]
    if not options <= _SUPPORTED_OPTIONS:  # no options (the usual case) are supported ones
        _refuse_options(options)
    account = settings.account_number
    parcels = fields["parcels"]
    body: dict[str, Any] = {
        "Shipper": _address(billed_party(shipment), shipper_number=account),
        "ShipTo": _address(fields["recipient"], ship_to=True),
        "ShipFrom": _address(fields["shipper"]),
        payment: {"ShipmentCharge": [{"Type": "01", "BillShipper": {"AccountNumber": account}}]},
        "Package": (
            [_package(parcels[0], 0, packaging, options)]  # one parcel (the usual case): no loop
            if len(parcels) == 1
            else [_package(p, i, packaging, options) for i, p in enumerate(parcels)]
        ),
    }
    if options and ShipmentOption.SATURDAY_DELIVERY in options:
        body["ShipmentServiceOptions"] = {"SaturdayDeliveryIndicator": ""}
    return body
