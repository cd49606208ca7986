"""The USPS shipment list (GetShipmentList and GetShipmentListByToken) on SWSIM v135 and v111: the
merchant's labels by print date, newest first, paged, as carrier-neutral ShipmentRecord objects; the
status and tracking-number filters; the cursor; the refusals before sending. Every exchange is
checked against the real WSDL of its version (the ``wire_log`` fixture)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from carriers import Address, Parcel, RefundStatus, ShipmentPage, ShipmentRequest, ShipmentStatus, Weight
from onebalance import ValidationError

from ._usps import usps_merchant

ADA = Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118")
ACME = Address(name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701")
TODAY = date.today()


@pytest.fixture(params=["v135", "v111"])
def usps(request, sandbox):
    with usps_merchant(sandbox, "lister", "Lister-passw0rd", request.param, balance="200.00") as (accounts, _):
        yield accounts.usps("m"), request.param


def _labels(client, count: int, key: str):
    shipment = ShipmentRequest(shipper=ACME, recipient=ADA, parcels=[Parcel(weight=Weight("1", "lb"))], ship_date=TODAY)
    rate = client.rates(shipment)[0]
    return [client.buy(rate, shipment, idempotency_key=f"{key}-{n}") for n in range(count)]


def _sent(wire_log, op: str) -> int:
    return sum(1 for direction, name, _ in wire_log if direction == "request" and name == op)


def test_the_list_pages_through_every_label_newest_first(usps, wire_log):
    client, version = usps
    bought = _labels(client, 5, f"list-{version}")
    records = list(client.shipments(TODAY - timedelta(days=1), TODAY, page_size=2))
    assert [r.tracking_number for r in records] == [lb.tracking_number for lb in reversed(bought)]
    first = records[-1]
    assert first.carrier_reference == bought[0].carrier_reference and first.status is ShipmentStatus.PRINTED
    assert first.cost == bought[0].cost and first.service_code == bought[0].service_code
    assert first.ship_date == TODAY and first.printed_at.tzinfo is not None
    assert first.recipient is not None and first.recipient.postal_code.startswith("10118")
    # three pages of two: one GetShipmentList, then GetShipmentListByToken for pages 2 and 3
    assert (_sent(wire_log, "GetShipmentList"), _sent(wire_log, "GetShipmentListByToken")) == (1, 2)


def test_a_page_and_its_cursor(usps):
    client, version = usps
    bought = _labels(client, 3, f"page-{version}")
    page = client.shipment_page(TODAY, page_size=2)
    assert isinstance(page, ShipmentPage) and (page.page, page.total_pages, page.has_more) == (1, 2, True)
    assert len(page.records) == 2
    last = client.shipment_page(cursor=page.cursor)
    assert (last.page, last.cursor, [r.tracking_number for r in last.records]) == (2, None, [bought[0].tracking_number])
    with pytest.raises(ValidationError, match="cursor"):
        client.shipment_page(cursor="not-a-cursor")
    with pytest.raises(ValidationError, match="cursor"):
        client.shipment_page(TODAY, cursor=page.cursor)


def test_status_and_tracking_number_filters(usps, sandbox):
    client, version = usps
    kept, voided, refunded = _labels(client, 3, f"status-{version}")
    client.void(refunded)
    sandbox.approve_refunds("lister")
    client.void(voided)
    by_status = {r.tracking_number: (r.status, r.refund_status) for r in client.shipments(TODAY)}
    assert by_status == {
        kept.tracking_number: (ShipmentStatus.PRINTED, RefundStatus.NOT_APPLICABLE),
        voided.tracking_number: (ShipmentStatus.VOIDED, RefundStatus.PENDING),
        refunded.tracking_number: (ShipmentStatus.REFUNDED, RefundStatus.APPROVED),
    }
    only = list(client.shipments(TODAY, status="printed"))
    assert [r.tracking_number for r in only] == [kept.tracking_number]
    gone = list(client.shipments(TODAY, status=[ShipmentStatus.VOIDED, ShipmentStatus.REFUNDED]))
    assert {r.tracking_number for r in gone} == {voided.tracking_number, refunded.tracking_number}
    assert all(r.status.is_voided for r in gone)
    one = list(client.shipments(TODAY, tracking_number=f" {kept.tracking_number} "))
    assert [r.carrier_reference for r in one] == [kept.carrier_reference]


def test_statuses_follow_the_sandbox_clock(usps, sandbox):
    client, version = usps
    (label,) = _labels(client, 1, f"clock-{version}")
    sandbox.clock.advance(timedelta(hours=7))
    assert next(iter(client.shipments(TODAY - timedelta(days=1)))).status is ShipmentStatus.IN_TRANSIT
    sandbox.clock.advance(timedelta(days=10))
    record = next(iter(client.shipments(TODAY - timedelta(days=1))))
    assert record.status is ShipmentStatus.DELIVERED and record.delivered_at is not None
    assert record.tracking_number == label.tracking_number


def test_the_date_range_filters_by_print_date(usps):
    client, version = usps
    _labels(client, 1, f"range-{version}")
    assert list(client.shipments(TODAY + timedelta(days=1))) == []
    assert list(client.shipments(TODAY - timedelta(days=30), TODAY - timedelta(days=1))) == []
    assert len(list(client.shipments(TODAY.isoformat()))) == 1


def test_bad_queries_are_refused_before_sending(usps, wire_log):
    client, _ = usps
    with pytest.raises(ValidationError, match="inverted") as inverted:
        client.shipments(TODAY, TODAY - timedelta(days=1))
    assert inverted.value.field == "end"
    for kwargs, field in (
        ({"page_size": 0}, "page_size"),
        ({"page_size": 501}, "page_size"),
        ({"status": "lost"}, "status"),
        ({"tracking_number": "not a tracking number!"}, "tracking_number"),
    ):
        with pytest.raises(ValidationError) as caught:
            client.shipments(TODAY, **kwargs)
        assert caught.value.field == field
    with pytest.raises(ValidationError, match="start"):
        client.shipment_page()
    with pytest.raises(ValidationError, match="start"):
        client.shipments("yesterday")
    assert _sent(wire_log, "GetShipmentList") == 0


def test_an_unknown_token_is_refused_by_the_service(usps, sandbox):
    client, _ = usps
    from onebalance.carriers.usps import _mapping_listing

    with pytest.raises(ValidationError) as caught:
        client.proxy.call(_mapping_listing.LIST_PAGE, _mapping_listing.page_request("no-such-token", 2))
    assert caught.value.code == "002b0922"


def test_sample_labels_are_not_listed_and_costs_are_what_was_charged(usps, sandbox):
    client, version = usps
    shipment = ShipmentRequest(shipper=ACME, recipient=ADA, parcels=[Parcel(weight=Weight("1", "lb"))], ship_date=TODAY)
    rate = client.rates(shipment)[0]
    client.buy(rate, shipment, idempotency_key=f"sample-{version}", sample=True)
    (paid,) = _labels(client, 1, f"paid-{version}")
    records = list(client.shipments(TODAY))
    assert [r.tracking_number for r in records] == [paid.tracking_number]
    assert records[0].cost.amount == paid.cost.amount > Decimal(0)
