"""SCAN forms (``UspsShipping.scan_form``): the end of a USPS day, in one call.

The form is asked for the labels named, or for every label of the day not on a form yet. When the
service refuses some of the labels named (already on a form, voided, of another ship date: one error
per label in the fault), it is asked again without them, under the same IntegratorTxID, as USPS's own
clients do; each label left out is reported on the form with its reason. When it refuses them all, or
the day has no label to put on a form, :class:`~onebalance.ScanFormRefused` is raised. The form's PDF
is fetched from its URL with the client's session; a form made whose PDF could not be fetched is
still returned (with its URL), since asking again would find its labels already on it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from onebalance.core import FaultDetail, OneBalanceError, ScanFormRefused, ValidationError
from onebalance.shipments import Address, Label

from . import _mapping_manifests as _wire
from ._manifest_models import LeftOutLabel, ScanForm
from ._proxy import UspsProxy

logger = logging.getLogger("onebalance")

__all__ = ["scan_form"]

#: How many times a form is asked for, leaving out the labels refused each time (a label can be put on
#: another form, or voided, between two asks: a third ask covers that race; a fourth is not made).
MAX_ASKS = 3


def scan_form(
    proxy: UspsProxy,
    labels: Sequence[Label | str] | None,
    *,
    ship_date: date,
    from_address: Address | None,
) -> ScanForm:
    """See :meth:`UspsShipping.scan_form`."""
    numbers = _wire.named_labels(labels) if labels is not None else []
    if labels is not None and not numbers:
        raise ValidationError("labels: name at least one label, or leave labels out for the whole day", field="labels")
    day = _wire.check_ship_date(ship_date)
    if from_address is not None and not from_address.uses_zip_codes:
        raise ValidationError("from_address: a SCAN form is for packages handed over in the US", field="from_address")
    sender: Address | dict[str, Any] = (
        from_address if from_address is not None else _wire.sender_from_account(proxy.account().address)
    )
    tx_id = f"ob-scan-{uuid.uuid4().hex}"
    remaining = list(numbers)
    left_out: list[LeftOutLabel] = []
    details: list[FaultDetail] = []
    response: dict[str, Any] | None = None
    refused: ScanFormRefused | None = None
    for _ in range(MAX_ASKS):
        refused = None
        try:
            response = proxy.call(
                _wire.MANIFEST, _wire.manifest_request(remaining, day, sender, tx_id), transaction_id=tx_id
            )
        except ScanFormRefused as exc:
            refused = exc
        if refused is None:
            break
        by_number = {detail.context.upper(): detail for detail in refused.details}
        hit = [number for number in remaining if number.upper() in by_number]
        if not hit:  # the whole day had nothing to put on a form, or a refusal that names no label asked for
            raise refused
        details.extend(refused.details)
        left_out.extend(
            LeftOutLabel(tracking_number=n, code=by_number[n.upper()].code, reason=by_number[n.upper()].message)
            for n in hit
        )
        remaining = [number for number in remaining if number not in hit]
        if not remaining:
            break
    if response is None:
        assert refused is not None
        raise _none_left(refused, left_out, details)
    form_id, url = _wire.parse_manifest(response)
    pdf = _fetch(proxy, url, form_id)
    logger.info(
        "event=usps_scan_form merchant=%s form=%s date=%s labels=%s left_out=%d pdf=%s",
        proxy.settings.merchant_id,
        form_id,
        day.isoformat(),
        len(remaining) if numbers else "day",
        len(left_out),
        pdf is not None,
    )
    return ScanForm(
        form_id=form_id,
        ship_date=day,
        whole_day=not numbers,
        tracking_numbers=tuple(remaining),
        left_out=tuple(left_out),
        url=url,
        pdf=pdf,
    )


def _none_left(last: ScanFormRefused, left_out: list[LeftOutLabel], details: list[FaultDetail]) -> ScanFormRefused:
    """No form was made for the labels named: every one refused with its reason, in one error."""
    reasons = "; ".join(f"{item.tracking_number}: {item.reason}" for item in left_out)
    return ScanFormRefused(
        f"{ScanFormRefused.default_message}: the labels named cannot go on a SCAN form ({reasons})",
        details=tuple(details),
        source=last.source,
        faultstring=last.faultstring,
        operation=_wire.MANIFEST,
        code=last.code,
        http_status=last.http_status,
        transaction_id=last.transaction_id,
    )


def _fetch(proxy: UspsProxy, url: str | None, form_id: str) -> bytes | None:
    if not url:
        return None
    try:
        return proxy.fetch(url, operation=_wire.MANIFEST, what="the SCAN form", transaction_id=form_id)
    except OneBalanceError as exc:
        logger.warning("event=usps_scan_form_pdf_unfetched form=%s error=%s", form_id, exc.message)
        return None
