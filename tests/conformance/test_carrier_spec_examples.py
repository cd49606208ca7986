"""The UPS and FedEx sandboxes serve any correct client: requests shaped as the carriers' own OpenAPI
examples (their account numbers filled in), not as this SDK writes them, get what the specs define,
and every answer is checked against the specs' schemas.

UPS: Rating's ``additionalinfo=timeintransit`` and the ``Ratetimeintransit``/``Shoptimeintransit``
options give ``RatedShipment[].TimeInTransit``. FedEx: rates carry ``operationalDetail`` (and the
commit data with ``returnTransitTimes``), a line item's ``groupPackageCount`` counts, and tracking
has ``standardTransitTimeWindow`` and ``estimatedDeliveryTimeWindow``.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

from ..test_fedex import load_specs
from ..test_ups import UPS_SPECS, _schema_errors, _spec

UPS_SHIPPER = "A1B2C3"
FEDEX_ACCOUNT = "740561073"
Send = Callable[..., Any]


def _fill(node: Any, key: str, value: Any) -> Any:
    """``node`` with every member named ``key`` set to ``value`` (the examples' placeholder accounts)."""
    if isinstance(node, dict):
        return {k: value if k == key else _fill(v, key, value) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, key, value) for v in node]
    return node


def _next(weekday: int) -> date:
    """The next date (after today) falling on ``weekday`` (0 is Monday)."""
    day = date.today() + timedelta(days=1)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


# -- UPS ------------------------------------------------------------------------------------------------
@pytest.fixture
def ups_api() -> tuple[UpsSandbox, Send]:
    if not UPS_SPECS.is_dir():
        pytest.skip(f"UPS's OpenAPI specs are not at {UPS_SPECS}")
    box = UpsSandbox()
    box.create_account("spec-client", "spec-secret", [UPS_SHIPPER])
    basic = base64.b64encode(b"spec-client:spec-secret").decode()
    token = box.handle(
        "POST",
        "/security/v1/oauth/token",
        {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
        b"grant_type=client_credentials",
    ).json()["access_token"]

    def rate(target: str, body: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "transId": "t1"}
        reply = box.handle("POST", target, headers, json.dumps(body).encode())
        schema = "RATEResponseWrapper" if reply.status == 200 else "ErrorResponse"
        problems = _schema_errors("Rating.yaml", f"#/components/schemas/{schema}", reply.json())
        assert not problems, problems
        return reply.status, reply.json()

    return box, rate


def _rating_example(name: str) -> dict[str, Any]:
    examples = _spec("Rating.yaml")["paths"]["/rating/{version}/{requestoption}"]["post"]["requestBody"]
    body = copy.deepcopy(examples["content"]["application/json"]["examples"][name]["value"])
    shipment = body["RateRequest"]["Shipment"]
    if list(shipment) == ["Shipper"]:  # example 6 nests the whole shipment inside Shipper by mistake
        body["RateRequest"]["Shipment"] = shipment["Shipper"]
    return _fill(_fill(body, "ShipperNumber", UPS_SHIPPER), "AccountNumber", UPS_SHIPPER)


def _rated(answer: Any) -> list[dict[str, Any]]:
    rated: list[dict[str, Any]] = answer["RateResponse"]["RatedShipment"]
    return rated


@pytest.mark.parametrize(
    ("example", "target", "in_transit"),
    [
        ("1", "/api/rating/v2409/Rate", False),  # Simple Rate
        ("4", "/api/rating/v2409/Rate", False),  # Multi-Piece
        ("6", "/api/rating/v2409/Rate?additionalinfo=timeintransit", True),  # Time In Transit
        ("6", "/api/rating/v2409/Ratetimeintransit", True),
        ("7", "/api/rating/v2409/Rate", False),  # Standard Account Rate
        ("8", "/api/rating/v2409/Shop", False),  # Published Rate
        ("9", "/api/rating/v2409/Rate?additionalinfo=timeintransit", True),  # Dry Ice
        ("10", "/api/rating/v2409/Shoptimeintransit", True),  # shopTime In Transit (CIE)
        ("10", "/api/rating/v2409/Shop?additionalinfo=timeintransit", True),
        ("10", "/api/rating/v2409/Shop", False),
    ],
)
def test_ups_rates_the_specs_examples(ups_api: tuple[UpsSandbox, Send], example: str, target: str,
                                      in_transit: bool) -> None:  # fmt: skip
    _, rate = ups_api
    status, answer = rate(target, _rating_example(example))
    assert status == 200, answer
    for shipment in _rated(answer):
        assert ("TimeInTransit" in shipment) is in_transit
        if in_transit:
            arrival = shipment["TimeInTransit"]["ServiceSummary"]["EstimatedArrival"]
            assert arrival["BusinessDaysInTransit"] == shipment["GuaranteedDelivery"]["BusinessDaysInTransit"]
            assert arrival["Arrival"]["Date"] > arrival["Pickup"]["Date"]
            assert arrival["DayOfWeek"] in ("MON", "TUE", "WED", "THU", "FRI")


@pytest.mark.parametrize("example", ["2", "3", "5"])
def test_ups_refuses_what_the_sandbox_does_not_sell_in_ups_error_shape(
    ups_api: tuple[UpsSandbox, Send], example: str
) -> None:
    """Third-party billing (2, 5) and international services (3): refused, in the spec's error shape."""
    _, rate = ups_api
    status, answer = rate("/api/rating/v2409/Rate", _rating_example(example))
    assert status == 400 and answer["response"]["errors"][0]["code"] in ("111580", "111210")


def test_ups_time_in_transit_needs_delivery_time_information(ups_api: tuple[UpsSandbox, Send]) -> None:
    """Rating.yaml: TimeInTransit comes back only with DeliveryTimeInformation in the request."""
    _, rate = ups_api
    body = _rating_example("1")
    status, answer = rate("/api/rating/v2409/Ratetimeintransit", body)
    assert status == 200 and "TimeInTransit" not in _rated(answer)[0]
    body["RateRequest"]["Shipment"]["DeliveryTimeInformation"] = {"PackageBillType": "03"}
    status, answer = rate("/api/rating/v2409/Ratetimeintransit", body)
    transit = _rated(answer)[0]["TimeInTransit"]
    assert transit["PickupDate"] <= transit["ServiceSummary"]["EstimatedArrival"]["Pickup"]["Date"]
    assert transit["PackageBillType"] == "03" and transit["ServiceSummary"]["Service"]["Description"] == "UPS Ground"


def test_ups_time_in_transit_counts_business_days(ups_api: tuple[UpsSandbox, Send]) -> None:
    _, rate = ups_api
    body = _rating_example("6")
    body["RateRequest"]["Shipment"]["Service"] = {"Code": "01"}  # Next Day Air: one business day
    info = body["RateRequest"]["Shipment"]["DeliveryTimeInformation"]
    friday, saturday = _next(4), _next(5)
    info["Pickup"] = {"Date": friday.strftime("%Y%m%d"), "Time": "1000"}
    summary = _rated(rate("/api/rating/v2409/Ratetimeintransit", body)[1])[0]["TimeInTransit"]["ServiceSummary"]
    arrival = summary["EstimatedArrival"]
    assert arrival["Arrival"] == {"Date": (friday + timedelta(days=3)).strftime("%Y%m%d"), "Time": "103000"}
    assert arrival["DayOfWeek"] == "MON" and arrival["BusinessDaysInTransit"] == "1"
    assert "GuaranteedIndicator" in summary  # an air service is guaranteed
    info["Pickup"] = {"Date": saturday.strftime("%Y%m%d")}  # picked up the Monday after
    arrival = _rated(rate("/api/rating/v2409/Ratetimeintransit", body)[1])[0]["TimeInTransit"]["ServiceSummary"][
        "EstimatedArrival"
    ]
    assert arrival["Pickup"]["Date"] == (saturday + timedelta(days=2)).strftime("%Y%m%d")
    assert arrival["Arrival"]["Date"] == (saturday + timedelta(days=3)).strftime("%Y%m%d")


@pytest.mark.parametrize("pickup", [{"Date": "2025-06-24"}, {"Date": "20251340"}, {"Date": 20250624},
                                    {"Date": "20250624", "Time": "4pm"}])  # fmt: skip
def test_ups_a_malformed_pickup_is_refused(ups_api: tuple[UpsSandbox, Send], pickup: dict[str, Any]) -> None:
    box, rate = ups_api
    body = _rating_example("6")
    body["RateRequest"]["Shipment"]["DeliveryTimeInformation"]["Pickup"] = pickup
    status, answer = rate("/api/rating/v2409/Ratetimeintransit", body)
    assert status == 400 and "DeliveryTimeInformation Pickup" in answer["response"]["errors"][0]["message"]
    assert box.shipments() == []


# -- FedEx ----------------------------------------------------------------------------------------------
@pytest.fixture
def fedex_api() -> tuple[FedexSandbox, Send]:
    specs = load_specs()
    if specs is None:
        pytest.skip("the FedEx OpenAPI specs are not at ../shared/specs/fedex")
    box = FedexSandbox()
    box.create_account("spec-client", "spec-secret", FEDEX_ACCOUNT)

    def call(method: str, path: str, body: Any) -> tuple[int, Any]:
        token = box.handle(  # a new token each time: the tests move the clock past an hour's lifetime
            "POST",
            "/oauth/token",
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"grant_type=client_credentials&client_id=spec-client&client_secret=spec-secret",
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "X-locale": "en_US"}
        reply = box.handle(method, path, headers, json.dumps(body).encode())
        problems = specs.errors(f"{method} {path}", reply.status, reply.json())
        assert not problems, problems
        return reply.status, reply.json()

    return box, call


def _fedex_example(name: str, **controls: Any) -> dict[str, Any]:
    specs = load_specs()
    assert specs is not None
    body = copy.deepcopy(specs.docs["rate-api.json"]["components"]["schemas"][name]["example"])
    body = _fill(body, "accountNumber", {"value": FEDEX_ACCOUNT})
    if controls:
        body["rateRequestControlParameters"] = controls
    return body


DOMESTIC_RATE_EXAMPLES = [
    "MinimumSamplePayload_1",  # no city, the weight as text "10"
    "US_Domestic_Rate_shop",  # postal codes as numbers
    "US_Domestic_Multi_Piece_Rate_Quote",  # groupPackageCount
    "US_Domestic_Priority_Overnight_Rate_Quote",
    "Priority_Alert_Rate_Quote",
]


@pytest.mark.parametrize("example", DOMESTIC_RATE_EXAMPLES)
def test_fedex_rates_the_specs_examples_with_operational_detail(
    fedex_api: tuple[FedexSandbox, Send], example: str
) -> None:
    _, call = fedex_api
    status, answer = call("POST", "/rate/v1/rates/quotes", _fedex_example(example, returnTransitTimes=True))
    assert status == 200, answer
    for detail in answer["output"]["rateReplyDetails"]:
        operational = detail["operationalDetail"]
        assert operational["transitTime"] == detail["commit"]["transitDays"]["minimumTransitTime"]
        delivery = datetime.fromisoformat(operational["deliveryDate"])
        assert operational["commitDate"] == operational["deliveryDate"] == detail["commit"]["dateDetail"]["dayFormat"]
        assert delivery.date() > date.today() and delivery.weekday() < 5
        assert operational["deliveryDay"] == detail["commit"]["dateDetail"]["dayOfWeek"]
    # Without returnTransitTimes (false by default): the service's codes, no transit time or commit.
    status, answer = call("POST", "/rate/v1/rates/quotes", _fedex_example(example))
    for detail in answer["output"]["rateReplyDetails"]:
        assert "commit" not in detail and "commitDate" not in detail["operationalDetail"]
        assert detail["operationalDetail"]["serviceCode"]


def test_fedex_counts_grouped_packages(fedex_api: tuple[FedexSandbox, Send]) -> None:
    """US_Domestic_Multi_Piece_Rate_Quote: 2 packages of 1 lb and 3 of 10 lb, priced as five."""
    _, call = fedex_api
    grouped = _fedex_example("US_Domestic_Multi_Piece_Rate_Quote")
    spelled_out = copy.deepcopy(grouped)
    spelled_out["requestedShipment"]["requestedPackageLineItems"] = [
        {"weight": {"units": "LB", "value": pounds}} for pounds in (1, 1, 10, 10, 10)
    ]
    totals = [
        call("POST", "/rate/v1/rates/quotes", body)[1]["output"]["rateReplyDetails"][0]["ratedShipmentDetails"][0][
            "totalNetCharge"
        ]
        for body in (grouped, spelled_out)
    ]
    assert totals[0] == totals[1]
    for count in (0, -1, 1.5, "two", 10_000):
        bad = copy.deepcopy(grouped)
        bad["requestedShipment"]["requestedPackageLineItems"][0]["groupPackageCount"] = count
        status, answer = call("POST", "/rate/v1/rates/quotes", bad)
        assert status == 400 and answer["errors"][0]["code"] == "PACKAGE.COUNT.INVALID", count


def _tracking_info(number: str) -> dict[str, Any]:
    """A TrackingInfo as track-api.json's own property examples write it (its number replaced)."""
    return {
        "shipDateBegin": "2020-03-29",
        "shipDateEnd": "2020-04-01",
        "trackingNumberInfo": {
            "trackingNumber": number,
            "carrierCode": "FDXE",
            "trackingNumberUniqueId": "245822~123456789012~FDEG",
        },
    }


def _proof_request(numbers: list[str], document_format: str = "PNG", **detail: str) -> dict[str, Any]:
    return {
        "trackDocumentDetail": {"documentType": "SIGNATURE_PROOF_OF_DELIVERY", "documentFormat": document_format,
                                **detail},
        "trackDocumentSpecification": [{**_tracking_info(n), "accountNumber": "XXX61073"} for n in numbers],
    }  # fmt: skip


def _ship(box: FedexSandbox, service: str) -> str:
    from carriers import Address, Parcel, ShipmentRequest, Weight
    from carriers.fedex import FedexClient, FedexSettings

    shipment = ShipmentRequest(
        shipper=Address(name="Acme", street_lines=["1 Main St"], city="Springfield", state="IL",
                        postal_code="62701", phone="2175550100"),
        recipient=Address(name="Jane Doe", street_lines=["9 Elm St"], city="Austin", state="TX",
                          postal_code="78701", phone="5125550199"),
        parcels=[Parcel(weight=Weight("2", "lb"))],
        ship_date=date.today(),
        service=service,
    )  # fmt: skip
    with box.mock() as url:
        settings = FedexSettings(client_id="spec-client", client_secret="spec-secret", account_number=FEDEX_ACCOUNT,
                                 base_url=url)  # fmt: skip
        with FedexClient(settings) as client:
            label = client.buy(client.rates(shipment)[0], shipment, f"spec-{service}")
    assert label.tracking_number is not None
    return label.tracking_number


def _track(call: Send, number: str) -> dict[str, Any]:
    status, answer = call("POST", "/track/v1/trackingnumbers",
                          {"includeDetailedScans": True, "trackingInfo": [_tracking_info(number)]})  # fmt: skip
    assert status == 200
    result: dict[str, Any] = answer["output"]["completeTrackResults"][0]["trackResults"][0]
    return result


def test_fedex_tracking_has_time_windows_and_delivered_packages_a_proof_of_delivery(
    fedex_api: tuple[FedexSandbox, Send],
) -> None:
    box, call = fedex_api
    number = _ship(box, "FEDEX_2_DAY")
    result = _track(call, number)
    committed = datetime.fromisoformat(result["standardTransitTimeWindow"]["window"]["ends"])
    assert committed.weekday() < 5 and committed.date() > date.today()
    estimate = result["estimatedDeliveryTimeWindow"]["window"]
    begins, ends = datetime.fromisoformat(estimate["begins"]), datetime.fromisoformat(estimate["ends"])
    assert begins < ends and result["estimatedDeliveryTimeWindow"]["type"] == "ESTIMATED_DELIVERY"
    status, answer = call("POST", "/track/v1/trackingdocuments", _proof_request([number]))
    assert status == 400 and answer["errors"][0]["code"] == "TRACKING.SPOD.UNAVAILABLE"  # not delivered yet

    box.advance_clock(timedelta(days=8))
    result = _track(call, number)
    assert result["latestStatusDetail"]["code"] == "DL"
    assert "estimatedDeliveryTimeWindow" not in result and "standardTransitTimeWindow" in result
    formats = (("PNG", b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"), ("PDF", b"%PDF-", b"%%EOF\n"))
    for document_format, magic, end in formats:
        status, answer = call("POST", "/track/v1/trackingdocuments", _proof_request([number, number], document_format))
        assert status == 200 and answer["output"]["documentFormat"] == document_format
        documents = [base64.b64decode(d) for d in answer["output"]["document"]]
        assert len(documents) == 2 and all(d.startswith(magic) and d.endswith(end) for d in documents)
    assert b"xref" in documents[0] and b"SIGNATURE PROOF OF DELIVERY" in documents[0]


def test_fedex_a_cancelled_shipment_has_no_time_windows(fedex_api: tuple[FedexSandbox, Send]) -> None:
    box, call = fedex_api
    number = _ship(box, "FEDEX_GROUND")
    status, _ = call("PUT", "/ship/v1/shipments/cancel",
                     {"accountNumber": {"value": FEDEX_ACCOUNT}, "trackingNumber": number})  # fmt: skip
    assert status == 200
    result = _track(call, number)
    assert "standardTransitTimeWindow" not in result and "estimatedDeliveryTimeWindow" not in result
    box.advance_clock(timedelta(days=8))
    status, answer = call("POST", "/track/v1/trackingdocuments", _proof_request([number], "PDF"))
    assert status == 400 and answer["errors"][0]["code"] == "TRACKING.SPOD.UNAVAILABLE"


@pytest.mark.parametrize(
    ("request_body", "code"),
    [
        (_proof_request(["794600000999"]), "TRACKING.TRACKINGNUMBER.NOTFOUND"),
        (_proof_request([]), "TRACKING.TRACKINGNUMBER.EMPTY"),
        (_proof_request(["794600000999"] * 31), "TRACKING.TRACKINGNUMBER.LIMIT"),
        (_proof_request(["794600000999"], "TIFF"), "INVALID.INPUT.EXCEPTION"),
        (_proof_request(["794600000999"], "PDF", documentType="BILL_OF_LADING"), "INVALID.INPUT.EXCEPTION"),
        ({"trackDocumentSpecification": []}, "INVALID.INPUT.EXCEPTION"),
    ],
)
def test_fedex_tracking_documents_refusals(
    fedex_api: tuple[FedexSandbox, Send], request_body: dict[str, Any], code: str
) -> None:
    _, call = fedex_api
    status, answer = call("POST", "/track/v1/trackingdocuments", request_body)
    assert status == 400 and answer["errors"][0]["code"] == code
