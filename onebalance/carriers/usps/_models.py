"""USPS's own results, beside the carrier-neutral ones: what address standardisation said
(:class:`CleansedAddress`) and one label's outcome among several voided at once (:class:`LabelVoid`)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from onebalance.core import OneBalanceError
from onebalance.shipments import Address, Label, VoidResult

__all__ = ["CleansedAddress", "LabelVoid"]


class CleansedAddress(BaseModel):
    """What USPS address standardisation (CleanseAddress) said about an address: the result of
    :meth:`Shipping.check_address` and :meth:`UspsShipping.check_address`.

    ``address`` is the corrected, standardised form when USPS matched it (the name, phone and email
    are the merchant's own; ``address.residential`` set when USPS said), the address as sent
    otherwise. ``match`` whether USPS matched the whole address, ``city_state_zip_ok`` whether at
    least the city, state and ZIP agree. ``residential``: True for a residential delivery point,
    False for a commercial one, None when USPS did not say (``Unknown``). ``cleanse_hash`` goes into
    the label's To address (None when there was no match); ``candidates`` are the addresses USPS
    suggests when it could not choose (:attr:`ambiguous`): show them, and check the one picked.
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

    @property
    def ambiguous(self) -> bool:
        """USPS could not match the address as given but suggests ``candidates`` to choose from."""
        return not self.match and bool(self.candidates)

    def corrected(self, original: Address) -> bool:
        """Whether USPS changed ``original`` (the address checked) in more than case and spacing."""

        def plain(address: Address) -> tuple[str, ...]:
            parts = (*address.street_lines, address.city or "", address.state or "", address.zip5 or "")
            return tuple(" ".join(part.upper().split()) for part in parts)

        return self.match and plain(self.address) != plain(original)


@dataclass(frozen=True)
class LabelVoid:
    """One label's outcome in :meth:`UspsShipping.void_many`: ``result`` when it was voided, else ``error``."""

    label: Label
    result: VoidResult | None = None
    error: OneBalanceError | None = None

    @property
    def voided(self) -> bool:
        return self.result is not None
