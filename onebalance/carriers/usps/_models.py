"""USPS's own results, beside the carrier-neutral ones: what address standardisation said
(:class:`CleansedAddress`) and one label's outcome among several voided at once (:class:`LabelVoid`)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from onebalance.core import OneBalanceError
from onebalance.shipments import Address, Label, VoidResult

__all__ = ["CleansedAddress", "LabelVoid"]


class CleansedAddress(BaseModel):
    """What USPS address standardisation said about an address.

    ``address`` is the standardised form (the name, phone and email are the merchant's own);
    ``match`` whether USPS matched the whole address, ``city_state_zip_ok`` whether at least the
    city, state and ZIP agree. ``cleanse_hash`` goes into the label's To address (None when there
    was no match); ``candidates`` are the addresses USPS suggests when it found several.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: Address
    match: bool
    city_state_zip_ok: bool
    cleanse_hash: str | None = None
    override_hash: str | None = None
    is_po_box: bool | None = None
    residential: bool | None = None
    candidates: tuple[Address, ...] = ()


@dataclass(frozen=True)
class LabelVoid:
    """One label's outcome in :meth:`UspsShipping.void_many`: ``result`` when it was voided, else ``error``."""

    label: Label
    result: VoidResult | None = None
    error: OneBalanceError | None = None

    @property
    def voided(self) -> bool:
        return self.result is not None
