"""What a SCAN form is to the caller: :class:`ScanForm` (its id, the day, the labels it covers, the
PDF) and :class:`LeftOutLabel` (a label asked for that it does not cover, and why)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from onebalance.core import publish as _publish

__all__ = ["LeftOutLabel", "ScanForm"]


class LeftOutLabel(BaseModel):
    """A label a SCAN form was asked for and does not cover: its ``tracking_number``, the service's
    ``code`` (``00450d02`` already on a form, ``002b0911`` voided, ``002b0912`` another ship date, ...)
    and its ``reason``, as the service gave it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tracking_number: str
    code: str
    reason: str


class ScanForm(BaseModel):
    """A USPS SCAN form (PS Form 5630): one barcode the carrier scans for every package of the day.

    ``form_id`` is USPS's id of the form, ``ship_date`` the day it is for. ``tracking_numbers`` are
    the labels it covers when they were named (:meth:`UspsShipping.scan_form` with ``labels``); for a
    form of the whole day (``whole_day``) the service does not say which labels it took, and the tuple
    is empty. ``left_out`` are the labels asked for that it does not cover, each with the reason.
    ``pdf`` is the form to print (None only when the form was made but its PDF could not be fetched:
    ``url`` is where it is).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    form_id: str
    ship_date: date
    whole_day: bool
    tracking_numbers: tuple[str, ...] = ()
    left_out: tuple[LeftOutLabel, ...] = ()
    url: str | None = None
    pdf: bytes | None = None

    def __repr__(self) -> str:  # the PDF's bytes would drown the rest
        size = f"{len(self.pdf)} bytes" if self.pdf is not None else None
        return (
            f"ScanForm(form_id={self.form_id!r}, ship_date={self.ship_date.isoformat()!r}, "
            f"whole_day={self.whole_day}, labels={len(self.tracking_numbers)}, left_out={len(self.left_out)}, "
            f"pdf={size})"
        )


_publish(globals(), "onebalance", ("LeftOutLabel", "ScanForm"))  # re-exported by onebalance
