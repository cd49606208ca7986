"""A :class:`~carriers.Label` as the JSON text the label journals keep, and back.

Images travel as base64. Every package of a multi-package shipment is kept (``packages``: each
one's tracking number, its own image and whether it was voided on its own); the first package's
image is the label's own and is not written twice. A one-package label that was never voided on
its own is written as before packages existed, so older rows and newer ones read the same way.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from . import Label

__all__ = ["label_from_json", "label_to_json"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def label_to_json(label: Label) -> str:
    kept_apart = {"label_image", "packages"} if label.is_return else {"label_image", "packages", "is_return"}
    data = label.model_dump(mode="json", exclude=kept_apart)
    data["label_image"] = _b64(label.label_image)
    packages = label.packages
    if len(packages) > 1 or packages[0].voided:
        data["packages"] = [
            {"tracking_number": p.tracking_number, "voided": p.voided}
            | ({"label_image": _b64(p.label_image)} if i else {})
            for i, p in enumerate(packages)
        ]
    return json.dumps(data, separators=(",", ":"))


def label_from_json(text: str) -> Label:
    data: dict[str, Any] = json.loads(text)
    image = data["label_image"] = base64.b64decode(data["label_image"])
    packages = data.get("packages")
    if packages:
        data["packages"] = [
            {**p, "label_image": base64.b64decode(p["label_image"]) if "label_image" in p else image} for p in packages
        ]
    return Label.model_validate(data)
