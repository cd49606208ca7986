"""A :class:`~carriers.Label` as the JSON text the label journals keep, and back.

Images travel as base64. Every package of a multi-package shipment is kept (``packages``: each
one's tracking number, its own image and whether it was voided on its own); the first package's
image is the label's own and is not written twice. A one-package label that was never voided on
its own is written as before packages existed, so older rows and newer ones read the same way.
The documents that came back with the label (``documents``: kind, format, base64 data) are written
only when there are some, so a row written before documents existed reads as a label without any.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ._documents import ShippingDocument
from ._label import Label

__all__ = ["label_from_json", "label_to_json"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def label_to_json(label: Label) -> str:
    kept_apart = {"label_image", "packages", "documents"} | (set() if label.is_return else {"is_return"})
    data = label.model_dump(mode="json", exclude=kept_apart)
    data["label_image"] = _b64(label.label_image)
    packages = label.packages
    if len(packages) > 1 or packages[0].voided:
        data["packages"] = [
            {"tracking_number": p.tracking_number, "voided": p.voided}
            | ({"label_image": _b64(p.label_image)} if i else {})
            for i, p in enumerate(packages)
        ]
    if label.documents:
        data["documents"] = [_document(d) for d in label.documents]
    return json.dumps(data, separators=(",", ":"))


def _document(document: ShippingDocument) -> dict[str, str]:
    return {"kind": document.kind.value, "format": document.format, "data": _b64(document.data)}


def label_from_json(text: str) -> Label:
    data: dict[str, Any] = json.loads(text)
    image = data["label_image"] = base64.b64decode(data["label_image"])
    packages = data.get("packages")
    if packages:
        data["packages"] = [
            {**p, "label_image": base64.b64decode(p["label_image"]) if "label_image" in p else image} for p in packages
        ]
    documents = data.get("documents")
    if documents:
        data["documents"] = [{**d, "data": base64.b64decode(d["data"])} for d in documents]
    return Label.model_validate(data)
