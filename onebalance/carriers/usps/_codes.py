"""USPS's codes as SWSIM spells them, beside the carrier-neutral values they stand for. Tables, no I/O.

Services (``US-PM``), packaging (``PackageTypeV11``), add-ons for each shipment option and label image
types (the tracking event types are in :mod:`._mapping_tracking`). Only the mapping and the plan's
restrictions (:mod:`._plan`, by service code) read them.
"""

from __future__ import annotations

from onebalance.shipments import LabelFormat, LabelSize, PackageType, ShipmentOption, Weight

__all__ = [
    "ADDON_FOR_OPTION",
    "GUARANTEED",
    "IMAGE_FORMATS",
    "INTERNATIONAL_SERVICES",
    "LABEL_FORMATS",
    "MAX_WEIGHT",
    "PACKAGE_TYPES",
    "PRIORITY_SERVICES",
    "SERVICES",
]

#: USPS service codes and their names.
SERVICES: dict[str, str] = {
    "US-FC": "USPS First-Class Mail",
    "US-GA": "USPS Ground Advantage",
    "US-PM": "USPS Priority Mail",
    "US-XM": "USPS Priority Mail Express",
    "US-PS": "USPS Parcel Select",
    "US-MM": "USPS Media Mail",
    "US-LM": "USPS Library Mail",
    "US-BP": "USPS Bound Printed Matter",
    "US-CM": "USPS Critical Mail",
    "US-RG": "USPS Retail Ground",
    "US-RETURN": "USPS Return",
    "US-FCI": "USPS First-Class Package International",
    "US-PMI": "USPS Priority Mail International",
    "US-EMI": "USPS Priority Mail Express International",
}
#: The services that go abroad (and only abroad).
INTERNATIONAL_SERVICES = frozenset({"US-FCI", "US-PMI", "US-EMI"})
#: What an account without ``allow_all_mail_classes`` may print (SWSIM 0x00450208 otherwise).
PRIORITY_SERVICES = frozenset({"US-PM", "US-XM"})
#: Priority Mail Express is the one USPS service with a money-back delivery guarantee.
GUARANTEED = frozenset({"US-XM"})

#: carriers.PackageType → SWSIM ``PackageTypeV11``. ENVELOPE, PAK and TUBE are UPS's and FedEx's.
PACKAGE_TYPES: dict[PackageType, str] = {
    PackageType.PACKAGE: "Package",
    PackageType.POSTCARD: "Postcard",
    PackageType.LETTER: "Letter",
    PackageType.LARGE_ENVELOPE: "Large Envelope or Flat",
    PackageType.THICK_ENVELOPE: "Thick Envelope",
    PackageType.LARGE_PACKAGE: "Large Package",
    PackageType.FLAT_RATE_ENVELOPE: "Flat Rate Envelope",
    PackageType.LEGAL_FLAT_RATE_ENVELOPE: "Legal Flat Rate Envelope",
    PackageType.FLAT_RATE_PADDED_ENVELOPE: "Flat Rate Padded Envelope",
    PackageType.SMALL_FLAT_RATE_BOX: "Small Flat Rate Box",
    PackageType.MEDIUM_FLAT_RATE_BOX: "Flat Rate Box",
    PackageType.LARGE_FLAT_RATE_BOX: "Large Flat Rate Box",
    PackageType.REGIONAL_RATE_BOX_A: "Regional Rate Box A",
    PackageType.REGIONAL_RATE_BOX_B: "Regional Rate Box B",
}

#: Neutral shipment options → the SWSIM add-on codes that provide them, in order of preference.
ADDON_FOR_OPTION: dict[ShipmentOption, tuple[str, ...]] = {
    ShipmentOption.SIGNATURE: ("US-A-SC",),
    ShipmentOption.ADULT_SIGNATURE: ("US-A-ASR",),
    ShipmentOption.INSURANCE: ("SC-A-INS", "US-A-INS"),
    ShipmentOption.HOLD_FOR_PICKUP: ("US-A-HFPU",),
    ShipmentOption.CERTIFIED_MAIL: ("US-A-CM",),
    ShipmentOption.RETURN_RECEIPT: ("US-A-RR",),
    ShipmentOption.SATURDAY_DELIVERY: (),  # USPS delivers on Saturdays without an add-on
}

#: SWSIM ImageType → Label.label_format (the formats a Label can carry).
IMAGE_FORMATS: dict[str, LabelFormat] = {"Png": "PNG", "Gif": "GIF", "Pdf": "PDF", "Zpl": "ZPL", "Epl": "EPL"}
#: What USPS prints through SWSIM (ImageType, PaperSize): PNG, GIF and PDF as a 4x6 label or on a letter
#: sheet, ZPL and EPL2 on 4x6 thermal stock. v111 and v135 list the same ImageType and PaperSizeV1
#: values (both WSDLs are checked in the tests), so one table serves both versions.
LABEL_FORMATS: dict[tuple[LabelFormat, LabelSize], tuple[str, str]] = {
    ("PNG", "4x6"): ("Png", "LabelSize"),
    ("PNG", "letter"): ("Png", "Letter85x11"),
    ("PDF", "4x6"): ("Pdf", "LabelSize"),
    ("PDF", "letter"): ("Pdf", "Letter85x11"),
    ("GIF", "4x6"): ("Gif", "LabelSize"),
    ("GIF", "letter"): ("Gif", "Letter85x11"),
    ("ZPL", "4x6"): ("Zpl", "LabelSize"),
    ("EPL", "4x6"): ("Epl", "LabelSize"),
}

#: USPS takes at most 70 lb in one piece.
MAX_WEIGHT = Weight(70, "lb")
