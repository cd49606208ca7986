"""ReprintIndicium: a label printed again, charged nothing, and the reprints' images.

**ReprintIndicium** names the label by ``StampsTxId`` or ``TrackingNumber`` (neither, unknown or
another account's: 00450202). A voided label is refused with 002b0920, and a label past its ship
date with 002b0921 (the sandbox's codes): its ship date (the rate's ``ShipDate``, else the day it was
printed) has ended everywhere in the US, midnight in Hawaii (10:00 UTC the next day). Otherwise the
label is printed again in the ``ImageType`` and ``PaperSize`` asked for (``Auto``/``Default``: PNG 4x6)
and the answer describes it: its IntegratorTxId, tracking number, ``Amount`` (what it cost when it was
bought), mail class (``ServiceType``, a MailClass: ``Unknown`` for one the version does not name),
ship date, addresses and StampsTxId; ``IssuedLabelCount`` 1. With ``ReturnImageData`` the image comes
as ImageData and ``Url`` is empty; otherwise ``Url`` is
``<site>/sandbox/reprints/<StampsTxId>/<n>.<ext>`` (``n`` the reprint's number), which answers 410
once the label is voided or past its ship date. Nothing touches the ledger: no entry, no balance, no
auto-buy; the answer carries no PostageBalance.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from .._shared import _images
from . import _errors as faults
from ._account_models import Label, Reprint
from ._dispatch import Call, Reply
from ._errors import SandboxFault
from ._labels import IMAGE_TYPES, _find
from ._state import SandboxState
from ._urls import site

REPRINTS_PREFIX = "/sandbox/reprints/"
REPRINT_PATH = re.compile(r"/sandbox/reprints/([0-9a-fA-F-]{36})/(\d{1,6})\.([a-z]{3})")
#: The end of a ship date everywhere in the US: midnight in Hawaii (UTC-10).
LAST_TIME_ZONE = timedelta(hours=10)
#: USPS service -> ReprintIndicium's ServiceType (a MailClass); Ground Advantage is in v135's only.
MAIL_CLASSES: dict[str, str] = {
    "US-FC": "FirstClass",
    "US-PM": "Priority",
    "US-XM": "Express",
    "US-PS": "ParcelSelect",
    "US-MM": "MediaMail",
    "US-LM": "LibraryMail",
    "US-GA": "GroundAdvantage",
    "US-PMI": "PriorityMailInternational",
    "US-EMI": "ExpressMailInternational",
    "US-FCI": "MailClassIntlFirstClassParcel",
}


def ship_date(label: Label) -> date:
    """The day the label was to be mailed: its rate's ShipDate, else the day it was printed."""
    given = label.rate.get("ShipDate")
    if isinstance(given, datetime):
        return given.date()
    if isinstance(given, date):
        return given
    try:
        return date.fromisoformat(str(given)[:10])
    except ValueError:
        return label.created_at.date()


def past_ship_date(label: Label, now: datetime) -> bool:
    """True once the label's ship date has ended everywhere in the US."""
    end = datetime.combine(ship_date(label) + timedelta(days=1), time(), tzinfo=timezone.utc) + LAST_TIME_ZONE
    return now >= end


def reprint_indicium(call: Call) -> dict[str, Any]:
    account, request, state = call.user, call.request, call.state
    tx_id, tracking = request.get("StampsTxId"), request.get("TrackingNumber")
    if not tx_id and not tracking:
        raise SandboxFault(faults.NO_SUCH_TRANSACTION)
    label = _find(account, {"StampsTxID": tx_id or None, "TrackingNumber": tracking or None})
    now = state.clock.now()
    if label.voided:
        raise SandboxFault(faults.REPRINT_VOIDED)
    if past_ship_date(label, now):
        raise SandboxFault(faults.REPRINT_TOO_LATE)
    image_type = str(request.get("ImageType") or "Auto")
    image_type = image_type if image_type in IMAGE_TYPES else "Auto"
    reprint = Reprint(image_type=image_type, paper_size=str(request.get("PaperSize") or "Default"), printed_at=now)
    label.reprints.append(reprint)
    state.touch(account)
    extension, _, image = _image(reprint)
    mail_class = MAIL_CLASSES.get(label.service_type, "Unknown")
    if label.service_type not in call.version.usps_services:
        mail_class = "Unknown"
    result: dict[str, Any] = {
        "IntegratorTxId": label.integrator_tx_id,
        "TrackingNumber": label.tracking_number,
        "FromZipCode": label.from_address.get("ZIPCode") or "",
        "Amount": label.amount,
        "ServiceType": mail_class,
        "ShipDate": ship_date(label),
        "From": label.from_address,
        "To": label.to_address,
        "StampsTxId": label.stamps_tx_id,
    }
    if request.get("ReturnImageData"):
        result["Url"] = ""
        result["ImageData"] = {"base64Binary": [image]}
    else:
        result["Url"] = f"{site(call.actor)}{REPRINTS_PREFIX}{label.stamps_tx_id}/{len(label.reprints)}.{extension}"
    if label.form_url:
        result["FormUrl"] = label.form_url
    result["IssuedLabelCount"] = 1
    return result


def _image(reprint: Reprint) -> tuple[str, str, bytes]:
    found = IMAGE_TYPES[reprint.image_type]
    if found[0] == "pdf" and reprint.paper_size == "Letter85x11":
        return (*found[:2], _images.PDF_LETTER)
    return found


def serve_reprint(state: SandboxState, path: str) -> Reply:
    """``/sandbox/reprints/<StampsTxId>/<n>.<ext>``: the image of a reprint (404 unknown or another
    extension, 410 once the label is voided or past its ship date)."""
    m = REPRINT_PATH.fullmatch(path)
    if m is not None:
        wanted, number = m.group(1).lower(), int(m.group(2))
        for account in state.accounts.values():
            label = next((lb for lb in account.labels if lb.stamps_tx_id == wanted), None)
            if label is None or not 1 <= number <= len(label.reprints):
                continue
            extension, content_type, image = _image(label.reprints[number - 1])
            if extension != m.group(3):
                break
            if label.voided or past_ship_date(label, state.clock.now()):
                return Reply(410, b"this label can no longer be printed", "text/plain")
            return Reply(200, image, content_type)
    return Reply(404, b"no such label", "text/plain")
