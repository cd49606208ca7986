"""GetShipmentList and GetShipmentListByToken: the account's labels, newest first, by pages.

**GetShipmentList** lists the labels printed (UTC) from ``Filters/PrintDateMin`` to ``PrintDateMax``
(inclusive; either nil or omitted: no bound; a maximum before the minimum: nothing), sample labels
left out, ``ShipmentsPerPage`` a page (50 if omitted; values outside 1..500 are clamped).
``SearchCriteria``: none or ``All`` lists every label, ``Refund`` the voided ones, ``OutstandingLabels``
those neither voided nor delivered; the other criteria (claims, adjustments, pay-on-use, other
carriers) match nothing here. It answers the first page, ``TotalPages`` (0 when there are none) and a
ShipmentListToken that remembers the labels found (later pages show them as they are then);
``Shipments`` is omitted when the page is empty. **GetShipmentListByToken** answers page
``PageNumber`` (pages below 1 are page 1, past the end are empty); an unknown token answers 002b0922.

Each shipment (``ShipmentV32`` on v111, ``ShipmentV39`` on v135) carries the fields of
``IncludeFields`` (none: every field): StampsTxId; ShipmentStatus (Printed, then In Transit 6 h
after printing, Delivered when TrackShipment says so; once voided: Pending Refund, Refunded when
credited, Voided for a sample); PrintDate; MailDate (the ship date); DeliveredDate; TrackingNumber;
Service (ServiceType, Amount: what it cost); FromZIPCode; ShipTo; PackageInfo; References (the
username); RefundType ``E-refund`` once voided; ScanFormId once the label is on a SCAN form
(``_manifests``).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from . import _errors as faults
from . import _ledger
from ._account_models import Label, ShipmentListQuery
from ._dispatch import Call
from ._errors import SandboxFault
from ._postage import _date
from ._reprints import ship_date
from ._state import SandboxAccount

DEFAULT_PER_PAGE, MAX_PER_PAGE = 50, 500
ITEM = {"v111": "ShipmentV32", "v135": "ShipmentV39"}


def get_shipment_list(call: Call) -> dict[str, Any]:
    account, request, now = call.user, call.request, call.state.clock.now()
    per_page = request.get("ShipmentsPerPage")
    filters = request.get("Filters") or {}
    low, high = (filters.get(n) for n in ("PrintDateMin", "PrintDateMax"))
    first = None if low is None else _date(str(low), "PrintDateMin")
    last = None if high is None else _date(str(high), "PrintDateMax")
    wanted = set((filters.get("SearchCriteria") or {}).get("SearchFor") or []) - {"All"}
    found = [
        label
        for label in reversed(account.labels)
        if not label.sample
        and (first is None or first <= label.created_at.date())
        and (last is None or label.created_at.date() <= last)
        and (not wanted or any(_searched(label, kind, now) for kind in wanted))
    ]
    query = ShipmentListQuery(
        per_page=DEFAULT_PER_PAGE if per_page is None else min(max(int(per_page), 1), MAX_PER_PAGE),
        label_ids=[label.id for label in found],
        include=list((request.get("IncludeFields") or {}).get("IncludeField") or []),
        created_at=now,
    )
    token = secrets.token_urlsafe(18)
    account.shipment_queries[token] = query
    _ledger.keep_newest(account.shipment_queries, _ledger.HISTORY_QUERIES_KEPT)
    call.state.touch(account)
    return {"ShipmentListToken": token, "TotalPages": _pages(query), **_page(call, query, 1)}


def get_shipment_list_by_token(call: Call) -> dict[str, Any]:
    token = call.request["ShipmentListToken"]
    query = call.user.shipment_queries.get(token)
    if query is None:
        raise SandboxFault(faults.UNKNOWN_SHIPMENT_TOKEN)
    number = max(call.request.get("PageNumber") or 1, 1)
    return {
        "ShipmentListToken": token,
        "ShipmentsPerPage": query.per_page,
        "TotalPages": _pages(query),
        **_page(call, query, number),
    }


def _pages(query: ShipmentListQuery) -> int:
    return -(-len(query.label_ids) // query.per_page)


def _page(call: Call, query: ShipmentListQuery, number: int) -> dict[str, Any]:
    ids = query.label_ids[(number - 1) * query.per_page : number * query.per_page]
    labels = {label.id: label for label in call.user.labels}
    chosen = [labels[i] for i in ids if i in labels]
    if not chosen:
        return {}
    now = call.state.clock.now()
    items = [_shipment(call, call.user, label, now, query.include) for label in chosen]
    return {"Shipments": {ITEM[call.version.name]: items}}


def delivered_at(label: Label) -> datetime:
    """When TrackShipment says the label is delivered (see ``_labels``)."""
    return label.created_at + timedelta(days=label.deliver_days, hours=4)


def _status(label: Label, now: datetime) -> str:
    if label.voided:
        return {"pending": "Pending Refund", "approved": "Refunded"}.get(label.refund_status, "Voided")
    if now >= delivered_at(label):
        return "Delivered"
    return "In Transit" if now >= label.created_at + timedelta(hours=6) else "Printed"


def _searched(label: Label, kind: str, now: datetime) -> bool:
    if kind == "Refund":
        return label.voided
    if kind == "OutstandingLabels":
        return not label.voided and now < delivered_at(label)
    return False


def _shipment(call: Call, account: SandboxAccount, label: Label, now: datetime, include: list[str]) -> dict[str, Any]:
    status = _status(label, now)
    service = label.service_type if label.service_type in call.version.usps_services else "Unknown"
    mailed: date = ship_date(label)
    item: dict[str, Any] = {
        "StampsTxId": label.stamps_tx_id,
        "ShipmentStatus": status,
        "PrintDate": label.created_at,
        "MailDate": datetime.combine(mailed, time(), tzinfo=timezone.utc),
        "DeliveredDate": delivered_at(label) if status == "Delivered" else None,
        "TrackingNumber": label.tracking_number,
        "Service": {
            "ServiceType": service,
            "Amount": label.amount,
            "CubicPricingTier": 0,
            "IsMetroRate": False,
            "Carrier": "USPS",
        },
        "FromZIPCode": label.from_address.get("ZIPCode") or None,
        "ShipTo": label.to_address or None,
        "PackageInfo": _package(label),
        "References": {"UserName": account.username},
        "RefundType": "E-refund" if label.voided else None,
        "ScanFormId": label.scan_form_id,
    }
    return {name: value for name, value in item.items() if value is not None and (not include or name in include)}


def _package(label: Label) -> dict[str, Any] | None:
    if not label.package_type:
        return None
    package: dict[str, Any] = {"PackageType": label.package_type, "NumberOfLabels": 1}
    for name in ("WeightLb", "WeightOz"):
        if label.rate.get(name) is not None:
            package[name] = label.rate[name]
    return package
