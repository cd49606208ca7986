"""The shipment list (``UspsShipping.shipments`` and ``shipment_page``): pages and their cursor.

SWSIM lists the labels printed in a date range, a page at a time: GetShipmentList answers the first
page and a ShipmentListToken, GetShipmentListByToken any later page. The status and tracking-number
filters are the SDK's, applied to each page (SWSIM filters on the print date only), so a page may
hold fewer records than its size, or none, while more pages follow. A cursor is the token, the next
page's number and the filters, as opaque text: handing it back fetches the next page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from onebalance.core import ValidationError
from onebalance.shipments import ShipmentPage, ShipmentRecord, ShipmentStatus, shipment_statuses, tracking_number

from . import _mapping_listing as _wire
from ._proxy import UspsProxy

__all__ = ["Query", "page", "query", "records"]

StatusFilter = ShipmentStatus | str | Iterable[ShipmentStatus | str] | None


def _fail(field: str, text: str) -> ValidationError:
    return ValidationError(f"{field}: {text}", field=field)


def _day(value: date | datetime | str | None, field: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _fail(field, "must be a date (YYYY-MM-DD)")


@dataclass(frozen=True)
class Query:
    """What a list asks for: the print dates, the page size and the SDK's own filters."""

    start: date
    end: date | None
    page_size: int
    statuses: frozenset[ShipmentStatus]
    tracking_number: str | None

    def keeps(self, record: ShipmentRecord) -> bool:
        if self.statuses and record.status not in self.statuses:
            return False
        return self.tracking_number is None or record.tracking_number == self.tracking_number


def query(
    start: date | datetime | str | None,
    end: date | datetime | str | None,
    status: StatusFilter,
    number: str | None,
    page_size: int,
) -> Query:
    """The checked query: a start, an end not before it, a page size from 1 to 500, known statuses."""
    first = _day(start, "start")
    if first is None:
        raise _fail("start", "is required: the first print date to list")
    last = _day(end, "end")
    if last is not None and last < first:
        raise _fail("end", f"the date range is inverted: {last.isoformat()} is before {first.isoformat()}")
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= _wire.MAX_PAGE_SIZE:
        raise _fail("page_size", f"must be a whole number from 1 to {_wire.MAX_PAGE_SIZE}")
    wanted = tracking_number(number.strip() or None, "tracking_number") if number is not None else None
    return Query(first, last, page_size, shipment_statuses(status), wanted)


def _cursor(q: Query, token: str, number: int) -> str:
    data = {
        "t": token,
        "p": number,
        "n": q.page_size,
        "a": q.start.isoformat(),
        "b": q.end.isoformat() if q.end else None,
        "s": sorted(s.value for s in q.statuses),
        "k": q.tracking_number,
    }
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _from_cursor(cursor: str) -> tuple[Query, str, int]:
    try:
        data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor.strip() + "=" * (-len(cursor.strip()) % 4)))
        q = query(data["a"], data["b"], data["s"] or None, data["k"], int(data["n"]))
        return q, str(data["t"]), int(data["p"])
    except (ValueError, KeyError, TypeError, binascii.Error, ValidationError):
        raise _fail("cursor", "is not a cursor of a shipment page (hand back ShipmentPage.cursor as it is)") from None


def page(proxy: UspsProxy, q: Query | None, cursor: str | None) -> ShipmentPage:
    """The first page of ``q``, or the page ``cursor`` names."""
    if cursor is not None:
        q, token, number = _from_cursor(cursor)
        response = proxy.call(_wire.LIST_PAGE, _wire.page_request(token, number))
    else:
        assert q is not None
        number = 1
        response = proxy.call(_wire.LIST, _wire.list_request(q.start, q.end, q.page_size))
    found, token_now, total = _wire.parse_page(response)
    more = number < total and bool(token_now)
    return ShipmentPage(
        records=tuple(r for r in found if q.keeps(r)),
        page=min(number, max(total, 1)) if total else 1,
        total_pages=total,
        cursor=_cursor(q, token_now, number + 1) if more else None,
    )


def records(proxy: UspsProxy, q: Query) -> Iterator[ShipmentRecord]:
    """Every record of ``q``, newest first, fetching each page when the one before is used up."""
    current = page(proxy, q, None)
    while True:
        yield from current.records
        if current.cursor is None:
            return
        current = page(proxy, None, current.cursor)
