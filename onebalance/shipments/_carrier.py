"""The carriers the SDK ships with."""

from __future__ import annotations

import enum

__all__ = ["Carrier"]


class Carrier(str, enum.Enum):
    """A carrier. USPS postage is paid from the One Balance; UPS and FedEx bill the merchant's account."""

    USPS = "usps"
    UPS = "ups"
    FEDEX = "fedex"

    @classmethod
    def _missing_(cls, value: object) -> Carrier | None:
        """Accept any case and stray spaces: ``Carrier("UPS")``, ``Carrier(" FedEx ")``."""
        if isinstance(value, str):
            return next((member for member in cls if member.value == value.strip().lower()), None)
        return None

    def __str__(self) -> str:
        return self.value

    @property
    def display_name(self) -> str:
        return {"usps": "USPS", "ups": "UPS", "fedex": "FedEx"}[self.value]
