"""``POST /track/v1/trackingdocuments``: the signature proof of delivery (SPOD) of delivered packages.

As track-api.json defines it: ``trackDocumentDetail`` names the ``documentType`` and its
``documentFormat`` (PDF, the default, or PNG) and ``trackDocumentSpecification`` lists 1 to 30
packages by ``trackingNumberInfo``; the answer's ``document`` holds one base64 document per package,
in order. The sandbox ships no freight, so only ``SIGNATURE_PROOF_OF_DELIVERY`` is served. A number
FedEx does not know answers ``TRACKING.TRACKINGNUMBER.NOTFOUND`` (the spec's own 400 example), and
a package not delivered yet (or cancelled) ``TRACKING.SPOD.UNAVAILABLE``.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from .._shared import _images
from ._errors import FedexFault
from ._state import FedexState, Project, Shipment
from ._tracking import shipment_of
from ._wire import success

__all__ = ["tracking_documents"]

DOCUMENTS = {"PDF": _images.PROOF_OF_DELIVERY_PDF, "PNG": _images.PNG}
FREIGHT_DOCUMENTS = frozenset({"BILL_OF_LADING", "FREIGHT_BILLING_DOCUMENT"})
MAX_SPECIFICATIONS = 30


def _invalid(what: str) -> FedexFault:
    return FedexFault(400, "INVALID.INPUT.EXCEPTION", f"Invalid field value in the input: {what}.")


def tracking_documents(
    state: FedexState, project: Project, payload: dict[str, Any], customer_id: str | None
) -> dict[str, Any]:
    detail = payload.get("trackDocumentDetail")
    if not isinstance(detail, dict) or not detail.get("documentType"):
        raise _invalid("trackDocumentDetail.documentType is required")
    kind, form = detail["documentType"], detail.get("documentFormat", "PDF")
    if kind in FREIGHT_DOCUMENTS:
        raise _invalid(f"documentType {kind} is for freight shipments, which this sandbox does not ship")
    if kind != "SIGNATURE_PROOF_OF_DELIVERY":
        raise _invalid("documentType must be SIGNATURE_PROOF_OF_DELIVERY, BILL_OF_LADING or FREIGHT_BILLING_DOCUMENT")
    if form not in DOCUMENTS:
        raise _invalid("documentFormat must be PDF or PNG")
    specifications = payload.get("trackDocumentSpecification")
    if not isinstance(specifications, list) or not specifications:
        raise FedexFault(400, "TRACKING.TRACKINGNUMBER.EMPTY", "Please provide tracking number.")
    if len(specifications) > MAX_SPECIFICATIONS:
        raise FedexFault(400, "TRACKING.TRACKINGNUMBER.LIMIT", "At most 30 tracking numbers per request.")
    documents = []
    for specification in specifications:
        info = specification.get("trackingNumberInfo") if isinstance(specification, dict) else None
        number = info.get("trackingNumber") if isinstance(info, dict) else None
        if not isinstance(number, str) or not number:
            raise FedexFault(400, "TRACKING.TRACKINGNUMBER.EMPTY", "Please provide tracking number.")
        shipment = shipment_of(state, number)  # any package of a shipment, the master's too
        if shipment is None:
            raise FedexFault(
                400,
                "TRACKING.TRACKINGNUMBER.NOTFOUND",
                "Tracking number cannot be found. Please correct the tracking number and try again.",
            )
        if not _delivered(shipment, number, state):
            raise FedexFault(
                400,
                "TRACKING.SPOD.UNAVAILABLE",
                f"Signature proof of delivery is not available for {number}: the package has not been delivered.",
            )
        documents.append(base64.b64encode(DOCUMENTS[form]).decode())
    output = {
        "localization": {"languageCode": "en", "localeCode": "US"},
        "documentType": kind,
        "documentFormat": form,
        "document": documents,
    }
    return success(output, customer_id)


def _delivered(shipment: Shipment, number: str, state: FedexState) -> bool:
    """Whether tracking shows the package delivered (its DL scan: ``delivery_days`` after the label)."""
    arrival = shipment.created_at + timedelta(days=shipment.delivery_days)
    return shipment.cancelled(number) is None and arrival <= state.clock.now()
