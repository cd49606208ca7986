"""The errors that keep a label purchase to what the caller meant to buy.

* :class:`IdempotencyKeyReused`: the key already names another purchase (another carrier, service,
  shipment or amount); nothing was sent.
* :class:`RateMismatch`: the rate was quoted for another shipment than the one given to buy it;
  nothing was sent.
* :class:`ChargeAboveQuote`: the carrier charged more than the rate said, by more than the
  platform's tolerance; the label was bought, then voided (what the void did is in the error).

They sit in the tree of :mod:`onebalance.core._errors` (the first two under ``ValidationError``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from onebalance.core import OneBalanceError, ValidationError

if TYPE_CHECKING:  # the models live in ``carriers``, which imports this module
    from . import Carrier, Label, Money, VoidResult

__all__ = ["ChargeAboveQuote", "IdempotencyKeyReused", "RateMismatch"]


class IdempotencyKeyReused(ValidationError):
    """The idempotency key already named another purchase; nothing was sent.

    A key names one purchase whatever the carrier: the same key with another carrier, service,
    shipment or amount is refused rather than buying a second label. The first purchase is
    described by ``carrier``, ``service_code``, ``started_at`` (aware, UTC) and
    ``tracking_number`` (None while its outcome is unknown).
    """

    default_message = "The idempotency key was already used for another purchase"

    def __init__(
        self,
        message: str | None = None,
        *,
        idempotency_key: str,
        carrier: Carrier,
        service_code: str,
        started_at: datetime,
        tracking_number: str | None = None,
        **kw: Any,
    ) -> None:
        self.idempotency_key = idempotency_key
        self.carrier = carrier
        self.service_code = service_code
        self.started_at = started_at
        self.tracking_number = tracking_number
        if message is None:
            label = f"tracking number {tracking_number}" if tracking_number else "its outcome not known yet"
            message = (
                f"idempotency_key: {idempotency_key} was already used for a {carrier.display_name} {service_code} "
                f"label on {started_at:%Y-%m-%d %H:%M} UTC ({label}); a different carrier, service, shipment or "
                "amount needs a new key"
            )
        kw.setdefault("field", "idempotency_key")
        super().__init__(message, **kw)


class RateMismatch(ValidationError):
    """The rate was quoted for another shipment; nothing was sent.

    ``differences`` names what differs between the shipment the rate was quoted for and the one
    given to buy it (``parcels.0.weight``, ``recipient``, ``options``, ``service``...): rate this
    shipment again and buy one of its rates.
    """

    default_message = "The rate was quoted for another shipment"

    def __init__(self, message: str | None = None, *, differences: tuple[str, ...] = (), **kw: Any) -> None:
        self.differences = differences
        if message is None:
            shown = ", ".join(differences) or "the shipment"
            message = (
                f"rate: was quoted for another shipment ({shown} differ{'s' if len(differences) == 1 else ''}); "
                "rate this shipment and buy one of its rates"
            )
        kw.setdefault("field", "rate")
        super().__init__(message, **kw)


class ChargeAboveQuote(OneBalanceError):
    """The carrier charged more for the label than its rate said, by more than the tolerance.

    The charge is only known once the label is bought, so the label exists: :class:`~onebalance.Shipping`
    voided it before raising this. ``label`` is the label (``label.cost`` what was charged,
    ``label.quoted_cost`` what the rate said), ``tolerance`` the most the platform allowed above
    the quote. ``void_result`` is what the void did (``voided``, and for USPS the refund, pending
    until USPS credits it); when the void itself failed it is None and ``void_error`` says why: the
    label is then still valid and charged, and must be voided by hand (``voided`` is False).
    Buying again with the same key raises this again (with ``voided_at`` when the label was voided
    then, or after trying the void again when it was not): a new key buys a new label.
    """

    default_message = "The carrier charged more than the rate said"

    def __init__(
        self,
        message: str | None = None,
        *,
        label: Label,
        quoted: Money,
        tolerance: Decimal,
        void_result: VoidResult | None = None,
        void_error: OneBalanceError | None = None,
        voided_at: datetime | None = None,
        **kw: Any,
    ) -> None:
        self.label = label
        self.quoted = quoted
        self.charged = label.cost
        self.tolerance = tolerance
        self.void_result = void_result
        self.void_error = void_error
        self.voided_at = voided_at
        if message is None:
            carrier = label.carrier.display_name
            number = label.tracking_number or label.carrier_reference or "-"
            above = label.cost.amount - quoted.amount
            message = (
                f"{carrier} charged {label.cost} for label {number}, {above:.2f} more than its rate ({quoted}); "
                f"the tolerance is {tolerance:.2f}. "
            )
            if self.voided:
                message += "The label was voided"
                if voided_at is not None:
                    message += f" on {voided_at:%Y-%m-%d %H:%M} UTC"
                if void_result is not None and void_result.refund is not None:
                    message += f" (refund of {void_result.refund} {void_result.refund_status})"
                message += ": do not ship with it; rate the shipment again"
            else:
                why = f" ({void_error.message})" if void_error is not None else ""
                message += f"The label could NOT be voided{why}: it is charged and valid; void it by hand"
        kw.setdefault("operation", "buy")
        kw.setdefault("transaction_id", label.carrier_reference)
        super().__init__(message, **kw)

    @property
    def voided(self) -> bool:
        """Whether the label was voided (so nothing is owed for it, or its refund is under way)."""
        return self.voided_at is not None or (self.void_result is not None and self.void_result.voided)
