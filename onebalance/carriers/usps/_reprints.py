"""Reprints (``UspsShipping.reprint``): the same label again, in its format or another, charged nothing.

A reprint never touches the balance, the postage history or the label journal's money: SWSIM's
ReprintIndicium prints the label that was bought and answers no PostageBalance, and nothing here
calls the funding side. A label the SDK knows was voided is refused (:class:`ReprintRefused`) before
anything is sent; one voided elsewhere, or past its ship date, is refused by the service.
"""

from __future__ import annotations

import logging

from onebalance.core import OneBalanceError, ReprintRefused, TransportError
from onebalance.shipments import Label, LabelSpec

from ._mapping_reprints import REPRINT, image_data, image_urls, parse_reprint, reprint_request, reprint_spec
from ._proxy import UspsProxy

logger = logging.getLogger("onebalance")

__all__ = ["reprint"]


def reprint(proxy: UspsProxy, label: Label | str, label_spec: LabelSpec | None = None) -> Label:
    """See :meth:`UspsShipping.reprint`."""
    if isinstance(label, Label) and (label.voided or any(p.voided for p in label.packages)):
        raise ReprintRefused(
            "The label cannot be printed again: it was voided (nothing was sent)",
            operation=REPRINT,
            transaction_id=label.carrier_reference,
        )
    spec = reprint_spec(label, label_spec)
    payload = reprint_request(label, spec)  # bad input: ValidationError, nothing sent
    reference = payload.get("StampsTxId") or payload.get("TrackingNumber")
    response = proxy.call(REPRINT, payload)
    image = None if image_data(response) else _fetch(proxy, image_urls(response), reference)
    printed = parse_reprint(response, label, spec, image=image)
    logger.info(
        "event=usps_reprint merchant=%s tracking=%s format=%s size=%s",
        proxy.settings.merchant_id,
        printed.tracking_number,
        printed.label_format,
        printed.label_size,
    )
    return printed


def _fetch(proxy: UspsProxy, urls: list[str], reference: str | None) -> bytes | None:
    """The reprint's image from its URL; a failure says that reprinting again is safe (it is free)."""
    lost: OneBalanceError | None = None
    try:
        return proxy.fetch_image(urls, reference or "")
    except OneBalanceError as exc:
        lost = exc
    status = f"HTTP {lost.http_status}" if lost.http_status else type(lost).__name__
    raise TransportError(
        f"The label was printed again but its image could not be fetched ({status}); reprint it again "
        "(a reprint is never charged)",
        operation=REPRINT,
        http_status=lost.http_status,
        transaction_id=reference,
    )
