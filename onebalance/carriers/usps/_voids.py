"""Voiding USPS labels (``UspsShipping.void`` and ``void_many``), one outcome per label.

On SWSIM v135 the labels go in batches (CancelIndicium's ``StampsTxIDs`` / ``TrackingNumbers``);
on v111 one call per label (:func:`._mapping.void_requests` decides). When the service refuses a
batch (one label too old, unknown or already voided), each of its labels is sent again alone, so
that each gets its own answer. A batch whose outcome is unknown is not sent again: each of its
labels carries that error.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from onebalance.core import LabelNotFound, OneBalanceError, ValidationError, VoidRefused
from onebalance.shipments import Label, VoidResult

from . import _mapping
from ._models import LabelVoid
from ._proxy import UspsProxy

logger = logging.getLogger("onebalance")

__all__ = ["void_many", "void_one"]


def void_one(proxy: UspsProxy, label: Label) -> VoidResult:
    """Cancel one label; the refund is pending (USPS batches refunds)."""
    payload = _mapping.void_request(label, version=proxy.settings.version)
    proxy.call(_mapping.VOID, payload, transaction_id=label.carrier_reference)
    return _mapping.parse_void(label)


def void_many(proxy: UspsProxy, labels: Sequence[Label]) -> list[LabelVoid]:
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
            _mapping.check_voidable(label)
        except ValidationError as exc:
            outcomes[index] = LabelVoid(label, error=exc)
            continue
        sendable.append(index)
    batches = _mapping.void_requests([unique[i] for i in sendable], version=proxy.settings.version)
    for positions, payload in batches:
        covered = [sendable[p] for p in positions]
        key = unique[covered[0]].carrier_reference if len(covered) == 1 else None
        refused: OneBalanceError | None = None
        try:
            proxy.call(_mapping.VOID, payload, transaction_id=key)
        except (VoidRefused, LabelNotFound) as exc:
            refused = exc
        except OneBalanceError as exc:
            for index in covered:
                outcomes[index] = LabelVoid(unique[index], error=exc)
            continue
        if refused is None:
            for index in covered:
                outcomes[index] = LabelVoid(unique[index], result=_mapping.parse_void(unique[index]))
        elif len(covered) == 1:
            outcomes[covered[0]] = LabelVoid(unique[covered[0]], error=refused)
        else:
            for index in covered:
                outcomes[index] = _void_alone(proxy, unique[index])
    logger.info(
        "event=usps_void_many merchant=%s labels=%d voided=%d calls=%d",
        proxy.settings.merchant_id,
        len(unique),
        sum(1 for o in outcomes.values() if o.voided),
        len(batches),
    )
    return [outcomes[first[(label.carrier_reference, label.tracking_number)]] for label in labels]


def _void_alone(proxy: UspsProxy, label: Label) -> LabelVoid:
    try:
        return LabelVoid(label, result=void_one(proxy, label))
    except OneBalanceError as exc:
        return LabelVoid(label, error=exc)
