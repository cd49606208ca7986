"""Voiding several USPS labels at once (``UspsShipping.void_many``), one outcome per label.

On SWSIM v135 the labels go in batches (CancelIndicium's ``StampsTxIDs`` / ``TrackingNumbers``);
on v111 one call per label (``_dialect.cancel_requests`` decides). When the service refuses a
batch (one label too old, unknown or already voided), each of its labels is sent again alone, so
that each gets its own answer. A batch whose outcome is unknown is not sent again: each of its
labels carries that error.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from onebalance.core._errors import LabelNotFound, OneBalanceError, ValidationError, VoidRefused
from onebalance.shipments import Label, RefundStatus, VoidResult

from . import _mapping

if TYPE_CHECKING:
    from ._client import UspsShipping

logger = logging.getLogger("onebalance")

__all__ = ["LabelVoid", "void_many", "voided"]


@dataclass(frozen=True)
class LabelVoid:
    """One label's outcome in :meth:`UspsShipping.void_many`: ``result`` when it was voided, else ``error``."""

    label: Label
    result: VoidResult | None = None
    error: OneBalanceError | None = None

    @property
    def voided(self) -> bool:
        return self.result is not None


def voided(label: Label) -> VoidResult:
    """The result of a USPS void the service accepted: the refund is pending (USPS batches refunds)."""
    refund = label.cost if label.cost.amount > Decimal(0) else None
    return VoidResult(
        carrier=label.carrier,
        tracking_number=label.tracking_number,
        voided=True,
        refund=refund,
        refund_status=RefundStatus.PENDING if refund is not None else RefundStatus.NOT_APPLICABLE,
        carrier_reference=label.carrier_reference,
        packages=label.tracking_numbers,
    )


def void_many(usps: UspsShipping, labels: Sequence[Label]) -> list[LabelVoid]:
    """See :meth:`UspsShipping.void_many`."""
    outcomes: dict[int, LabelVoid] = {}
    unique: list[Label] = []
    first: dict[tuple[str | None, str | None], int] = {}
    for label in labels:
        ref = (label.carrier_reference, label.tracking_number)
        if ref not in first:
            first[ref] = len(unique)
            unique.append(label)
    sendable: list[int] = []
    for index, label in enumerate(unique):
        try:
            _mapping.check_cancellable(label)
        except ValidationError as exc:
            outcomes[index] = LabelVoid(label, error=exc)
            continue
        sendable.append(index)
    batches = _mapping.cancel_requests([unique[i] for i in sendable], version=usps.client.api_version)
    for positions, payload in batches:
        covered = [sendable[p] for p in positions]
        key = unique[covered[0]].carrier_reference if len(covered) == 1 else None
        refused: OneBalanceError | None = None
        try:
            usps.client.call("CancelIndicium", payload, transaction_id=key)
        except (VoidRefused, LabelNotFound) as exc:
            refused = exc
        except OneBalanceError as exc:
            for index in covered:
                outcomes[index] = LabelVoid(unique[index], error=exc)
            continue
        if refused is None:
            for index in covered:
                outcomes[index] = LabelVoid(unique[index], result=voided(unique[index]))
        elif len(covered) == 1:
            outcomes[covered[0]] = LabelVoid(unique[covered[0]], error=refused)
        else:
            for index in covered:
                outcomes[index] = _void_alone(usps, unique[index])
    logger.info(
        "event=usps_void_many merchant=%s labels=%d voided=%d calls=%d",
        usps.merchant_id,
        len(unique),
        sum(1 for o in outcomes.values() if o.voided),
        len(batches),
    )
    return [outcomes[first[(label.carrier_reference, label.tracking_number)]] for label in labels]


def _void_alone(usps: UspsShipping, label: Label) -> LabelVoid:
    try:
        return LabelVoid(label, result=usps.void(label))
    except OneBalanceError as exc:
        return LabelVoid(label, error=exc)
