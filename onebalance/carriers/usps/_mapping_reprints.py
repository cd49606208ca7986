"""ReprintIndicium (SWSIM v111 and v135): a label printed again, in its format or another. No I/O.

``reprint_request`` / ``parse_reprint`` are the pair, as every operation of the mapping has one.
The request names the label by its StampsTxID (``StampsTxId`` here, as ReprintIndicium spells it)
or its tracking number, and asks for the image in the response (``ReturnImageData``), in the
format and size of :data:`._codes.LABEL_FORMATS`. The answer says what the label was (its
``Amount``, its mail class, its addresses); nothing is charged, and nothing in it moves the balance.

ReprintIndicium's fields sit inside ``indiciumRequest`` / ``ReprintIndiciumResult`` on the wire; the
codec (``swsim._soap``) wraps and unwraps them, so the dicts here are flat like every other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from onebalance.core import ValidationError
from onebalance.shipments import Carrier, Label, LabelSpec, Money, OneBalancePayment, choose, tracking_number

from ._codes import LABEL_FORMATS

__all__ = ["REPRINT", "image_data", "image_urls", "parse_reprint", "reprint_request", "reprint_spec"]

REPRINT = "ReprintIndicium"

#: ReprintIndicium's ``ServiceType`` (a MailClass) back to the USPS service code it stands for.
_SERVICE_OF_MAIL_CLASS: dict[str, str] = {
    "FirstClass": "US-FC",
    "Priority": "US-PM",
    "Express": "US-XM",
    "ParcelSelect": "US-PS",
    "MediaMail": "US-MM",
    "LibraryMail": "US-LM",
    "GroundAdvantage": "US-GA",
    "PriorityMailInternational": "US-PMI",
    "ExpressMailInternational": "US-EMI",
    "MailClassIntlFirstClassParcel": "US-FCI",
}


def _fail(field: str, text: str) -> ValidationError:
    return ValidationError(f"{field}: {text}", field=field)


def reprint_spec(label: Label | str, label_spec: LabelSpec | None) -> LabelSpec | None:
    """The format and size to print again in: ``label_spec``, else the label's own (a tracking number
    alone: USPS's default, PNG 4x6)."""
    if label_spec is not None or isinstance(label, str):
        return label_spec
    return LabelSpec(format=label.label_format, size=label.label_size)


def reprint_request(label: Label | str, label_spec: LabelSpec | None = None) -> dict[str, Any]:
    """ReprintIndicium for ``label`` (a USPS :class:`Label`, or its tracking number), with the image in
    the response in ``label_spec``'s format and size (:class:`LabelFormatUnavailable` otherwise)."""
    _, _, (image_type, paper_size) = choose(label_spec, Carrier.USPS, LABEL_FORMATS, "PNG")
    request: dict[str, Any] = {}
    if isinstance(label, str):
        number = tracking_number(label.strip() or None)
        if not number:
            raise _fail("tracking_number", "is required to reprint a label")
        request["TrackingNumber"] = number
    else:
        if label.carrier is not Carrier.USPS:
            raise _fail("label", "is not a USPS label")
        if label.carrier_reference:
            request["StampsTxId"] = label.carrier_reference
        elif label.tracking_number:
            request["TrackingNumber"] = label.tracking_number
        else:
            raise _fail("label", "names neither a StampsTxID nor a tracking number")
    request.update(
        ImageType=image_type,
        RotationDegrees=0,
        PaperSize=paper_size,
        StartRow=0,
        StartColumn=0,
        ReturnImageData=True,
    )
    return request


def image_data(response: Mapping[str, Any]) -> bytes | None:
    """The first page of the image, when the answer carries it."""
    pages = (response.get("ImageData") or {}).get("base64Binary", [])
    return next((page for page in pages if page), None)


def image_urls(response: Mapping[str, Any]) -> list[str]:
    """Where the image is, when the answer carries no image (one URL per page, space-separated)."""
    return str(response.get("Url") or "").split()


def parse_reprint(
    response: Mapping[str, Any],
    label: Label | str,
    label_spec: LabelSpec | None,
    *,
    image: bytes | None = None,
) -> Label:
    """The label printed again: ``label`` (when it was a :class:`Label`) with its new image, format and
    size; from a tracking number, the label as the answer describes it (its postage as ``cost``, what it
    cost when it was bought: a reprint costs nothing)."""
    label_format, label_size, _ = choose(label_spec, Carrier.USPS, LABEL_FORMATS, "PNG")
    picture = image_data(response) or image
    if not picture:
        raise _fail("label_image", "the reprint has no image: neither ImageData nor a fetched Url")
    update = {"label_image": picture, "label_format": label_format, "label_size": label_size}
    if isinstance(label, Label):
        return label.model_copy(update=update)
    mail_class = str(response.get("ServiceType") or "Unknown")
    amount = response.get("Amount")
    return Label(
        carrier=Carrier.USPS,
        tracking_number=response.get("TrackingNumber") or label,
        service_code=_SERVICE_OF_MAIL_CLASS.get(mail_class, mail_class),
        cost=Money.rounded(amount) if amount is not None else Money.zero(),
        paid_by=OneBalancePayment(),
        created_at=datetime.now(timezone.utc),
        carrier_reference=response.get("StampsTxId") or None,
        **update,
    )
