"""SCAN forms on the wire: CreateManifest's request and answer (the same on SWSIM v111 and v135).

A SCAN form (USPS PS Form 5630, one barcode the carrier scans for every package) is
``ManifestType`` ``ScanForm``: for the labels named in ``TrackingNumbers``, or, with none named, for
every label of ``ShipDate`` not on a form yet. ``FromAddress`` is where the packages are handed
over, ``ImageType`` ``Pdf`` the form's format. The answer lists ``EndOfDayManifests``, each with its
``ManifestId`` and ``ManifestUrl``. A refusal is a fault whose detail lists each refused label (its
code, and its tracking number as ``context``): see :class:`~onebalance.ScanFormRefused`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from onebalance.core import ProtocolError, ValidationError
from onebalance.shipments import Address, Carrier, Label
from onebalance.swsim import PostalAddress, postal_address_to_wire

from ._mapping import address_to_wire

__all__ = ["MANIFEST", "check_ship_date", "manifest_request", "named_labels", "parse_manifest", "sender_from_account"]

MANIFEST = "CreateManifest"
#: A USPS tracking number (22 digits for domestic labels, S10 such as ``LX123456785US`` abroad).
_TRACKING = re.compile(r"[A-Za-z0-9]{10,40}")


def named_labels(labels: Sequence[Label | str]) -> list[str]:
    """The tracking numbers of the labels a form is asked for, each once, in order; a label that is not
    USPS's, has no tracking number or a malformed one is a :class:`ValidationError` (nothing is sent)."""
    if isinstance(labels, (str, Label)):
        raise ValidationError("labels: give a list of labels or tracking numbers", field="labels")
    named: list[str] = []
    for item in labels:
        if isinstance(item, Label):
            if item.carrier is not Carrier.USPS:
                raise ValidationError(
                    f"labels: {item.tracking_number or 'a label'} is a {item.carrier.value} label; "
                    "SCAN forms are for USPS labels",
                    field="labels",
                )
            number = item.tracking_number
        elif isinstance(item, str):
            number = item.strip()
        else:
            raise ValidationError(f"labels: {item!r} is neither a label nor a tracking number", field="labels")
        if not number or not _TRACKING.fullmatch(number):
            raise ValidationError(f"labels: {number or 'a label'!r} is not a USPS tracking number", field="labels")
        if number not in named:
            named.append(number)
    return named


def check_ship_date(ship_date: object) -> date:
    """The day of the form (a :class:`datetime.date`; a datetime counts by its date)."""
    if isinstance(ship_date, datetime):
        return ship_date.date()
    if not isinstance(ship_date, date):
        raise ValidationError(f"ship_date: {ship_date!r} is not a date", field="ship_date")
    return ship_date


def sender_from_account(address: PostalAddress) -> dict[str, Any]:
    """The account's physical address as CreateManifest's ``FromAddress`` (in the US)."""
    wire = postal_address_to_wire(address)
    return {**wire, "Country": wire.get("Country") or "US"}


def manifest_request(
    numbers: Sequence[str], ship_date: date, sender: Address | Mapping[str, Any], tx_id: str
) -> dict[str, Any]:
    """CreateManifest for a SCAN form of ``ship_date``: of the labels ``numbers`` (tracking numbers),
    or of every label of the day not on a form yet when ``numbers`` is empty."""
    request: dict[str, Any] = {"IntegratorTxID": tx_id}
    if numbers:
        request["TrackingNumbers"] = {"string": list(numbers)}
    request.update(
        {
            "ShipDate": ship_date,
            "FromAddress": address_to_wire(sender) if isinstance(sender, Address) else dict(sender),
            "ImageType": "Pdf",
            "PrintInstructions": False,
            "ManifestType": "ScanForm",
        }
    )
    return request


def parse_manifest(response: Mapping[str, Any]) -> tuple[str, str | None]:
    """The SCAN form's id and URL from CreateManifest's answer (:class:`ProtocolError` if it has none)."""
    manifests = (response.get("EndOfDayManifests") or {}).get("EndOfDayManifest") or []
    for manifest in manifests:
        if manifest and manifest.get("ManifestType") == "ScanForm" and manifest.get("ManifestId"):
            return str(manifest["ManifestId"]), manifest.get("ManifestUrl") or None
    raise ProtocolError("The service answered CreateManifest without a SCAN form", operation=MANIFEST)
