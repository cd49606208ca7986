"""Multi-package UPS and FedEx shipments: every package's tracking number and label image is returned
and kept in the label journal; a package is voided or tracked on its own, and so is the shipment.

The UPS and FedEx fixtures are those of test_ups and test_fedex: every request the SDK sends and
every answer the sandbox gives is checked against the carriers' OpenAPI specs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from carriers import (
    Address,
    Carrier,
    CarrierAccountPayment,
    Label,
    Money,
    PackageLabel,
    Parcel,
    ShipmentRequest,
    TrackingStatus,
    Weight,
    cheapest,
)
from onebalance import InMemoryStore, Store, ValidationError
from onebalance.shipments._label_codec import label_from_json, label_to_json

from ._stores import postgres_run_schema, store_spec  # noqa: F401 - a fixture
from .test_fedex import Fedex, exchanges, fedex  # noqa: F401 - fixtures
from .test_labels_journal import T0
from .test_shipping import platform  # noqa: F401 - a fixture
from .test_ups import Ups, ups  # noqa: F401 - a fixture

SHIPPER = Address(
    name="Ann Shipper",
    company="Acme",
    street_lines=["1 Main St"],
    city="Springfield",
    state="IL",
    postal_code="62701",
    phone="2175550100",
)
RECIPIENT = Address(name="Jane Doe", street_lines=["9 Elm St"], city="Austin", state="TX", postal_code="78701",
                    phone="5125550199")  # fmt: skip


def three_parcels(**changes: object) -> ShipmentRequest:
    data: dict[str, object] = {
        "shipper": SHIPPER,
        "recipient": RECIPIENT,
        "parcels": [Parcel(weight=Weight(w, "lb")) for w in ("2", "5", "11")],
        "ship_date": date.today(),
    }
    return ShipmentRequest(**(data | changes))


def _every_package_returned(label: Label, made: list[str]) -> None:
    assert len(label.packages) == 3
    assert list(label.tracking_numbers) == made  # every package billed is a package returned, in order
    assert len(set(made)) == 3
    assert label.tracking_number == made[0] and label.label_image == label.packages[0].label_image
    assert all(p.label_image for p in label.packages)  # each package its own label (the sandboxes print alike)


# -- UPS ----------------------------------------------------------------------------------------------
def test_ups_three_parcels_return_three_packages(ups: Ups) -> None:  # noqa: F811 - the fixture imported from test_ups
    client = ups.client()
    rate = cheapest(client.rates(three_parcels()))
    label = client.buy(rate, three_parcels(), idempotency_key="mps-1")
    [made] = ups.sandbox.shipments()
    _every_package_returned(label, made.tracking_numbers)
    assert label.cost.amount == made.total == rate.total.amount  # the whole shipment's cost
    assert label.carrier_reference == made.identification_number
    assert f"<{len(label.packages[1].label_image)} bytes>" in repr(label.packages[1])  # never the image itself


def test_ups_a_package_is_voided_alone_then_the_rest_with_the_shipment(ups: Ups) -> None:  # noqa: F811 - the fixture imported from test_ups
    client = ups.client()
    label = client.buy(cheapest(client.rates(three_parcels())), three_parcels(), idempotency_key="mps-2")
    first, second, third = label.tracking_numbers
    result = client.void(label, package=second)
    assert result.voided and result.packages == (second,) and result.tracking_number == second
    void = ups.exchanges[-1]
    assert parse_qs(urlsplit(void.target).query) == {"trackingnumber": [second]}
    [made] = ups.sandbox.shipments()
    assert not made.voided and set(made.voided_packages) == {second}
    assert client.track(second).status is TrackingStatus.VOIDED  # the voided package says so...
    assert client.track(third).status is TrackingStatus.PRE_TRANSIT  # ...the others are live
    assert client.track(first).status is TrackingStatus.PRE_TRANSIT
    whole = client.void(label)
    assert whole.voided and whole.packages == (first, second, third)
    assert made.voided
    with pytest.raises(ValidationError, match="package"):  # not a package of this label: nothing sent
        client.void(label, package="1ZA1B2C30399999999")


# -- FedEx --------------------------------------------------------------------------------------------
def test_fedex_three_parcels_return_three_packages(fedex: Fedex) -> None:  # noqa: F811 - the fixture from test_fedex
    rate = cheapest(fedex.client.rates(three_parcels()))
    label = fedex.client.buy(rate, three_parcels(), "mps-3")
    [made] = fedex.sandbox.shipments()
    _every_package_returned(label, made.package_numbers)
    assert label.cost.amount == made.total == rate.total.amount
    for number in label.tracking_numbers:  # every package is tracked by its own number
        tracking = fedex.client.track(number)
        assert tracking.tracking_number == number and tracking.status is TrackingStatus.PRE_TRANSIT


def test_fedex_a_package_is_cancelled_alone_then_the_rest_with_the_shipment(fedex: Fedex) -> None:  # noqa: F811 - the fixture from test_fedex
    label = fedex.client.buy(cheapest(fedex.client.rates(three_parcels())), three_parcels(), "mps-4")
    first, second, third = label.tracking_numbers
    result = fedex.client.void(label, package=third)
    assert result.voided and result.packages == (third,)
    cancel = [body for d, op, _, body in fedex.seen.log if d == "request" and op.endswith("/cancel")][-1]
    assert cancel["trackingNumber"] == third and "deletionControl" not in cancel
    assert fedex.client.track(third).status is TrackingStatus.VOIDED  # cancelled
    assert fedex.client.track(first).status is TrackingStatus.PRE_TRANSIT
    [made] = fedex.sandbox.shipments()
    assert made.cancelled_at is None and set(made.cancelled_packages) == {third}
    whole = fedex.client.void(label)
    assert whole.voided and whole.packages == (first, second, third)
    assert made.cancelled_at is not None
    assert fedex.client.track(second).status is TrackingStatus.VOIDED


# -- the mapping layers: each package's own image goes with its own number ---------------------------
def test_ups_and_fedex_answers_map_each_packages_image_to_its_number() -> None:
    """Through the clients, with the carriers' answers as given (the FedEx pieces out of order)."""
    import responses

    from carriers.fedex import FedexClient, FedexSettings
    from carriers.ups import UpsClient, UpsSettings

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    host = "https://carriers.example.test"
    ups_client = UpsClient(UpsSettings(client_id="c", client_secret="s", account_number="A1B2C3", base_url=host))
    fedex_client = FedexClient(
        FedexSettings(client_id="c", client_secret="s", account_number="700000001", base_url=host)
    )
    ups_rates = {"RateResponse": {"RatedShipment": [{"Service": {"Code": "03"},
                                                     "TotalCharges": {"MonetaryValue": "41.10"}}]}}  # fmt: skip
    fedex_rates = {"output": {"rateReplyDetails": [{"serviceType": "FEDEX_GROUND", "ratedShipmentDetails": [
        {"rateType": "ACCOUNT", "totalNetCharge": 41.1, "currency": "USD"}]}]}}  # fmt: skip
    ups_answer = {
        "ShipmentResponse": {
            "ShipmentResults": {
                "ShipmentCharges": {"TotalCharges": {"CurrencyCode": "USD", "MonetaryValue": "41.10"}},
                "ShipmentIdentificationNumber": "1ZA1B2C30300000011",
                "PackageResults": [
                    {
                        "TrackingNumber": f"1ZA1B2C3030000001{n}",
                        "ShippingLabel": {"GraphicImage": b64(b"GIF89a-" + bytes([n]))},
                    }
                    for n in (1, 2, 3)
                ],
            }
        }
    }
    fedex_answer = {
        "output": {
            "transactionShipments": [
                {
                    "masterTrackingNumber": "794600000011",
                    "serviceType": "FEDEX_GROUND",
                    "pieceResponses": [
                        {
                            "trackingNumber": f"79460000001{n}",
                            "packageSequenceNumber": n,
                            "netChargeAmount": 13.7,
                            "packageDocuments": [{"contentType": "LABEL", "docType": "PNG",
                                                  "encodedLabel": b64(b"PNG-" + bytes([n]))}],
                        }
                        for n in (3, 1, 2)  # in any order: the sequence numbers say which is which
                    ],
                }
            ]
        }
    }  # fmt: skip
    shipment = three_parcels()
    with responses.RequestsMock() as mock:
        mock.post(host + "/security/v1/oauth/token", json={"access_token": "ups-token-1", "expires_in": "14399"})
        mock.post(host + "/oauth/token", json={"access_token": "fedex-token-1", "expires_in": 3600})
        mock.post(host + "/api/rating/v2409/Shop", json=ups_rates)
        mock.post(host + "/api/shipments/v2409/ship", json=ups_answer)
        mock.post(host + "/rate/v1/rates/quotes", json=fedex_rates)
        mock.post(host + "/ship/v1/shipments", json=fedex_answer)
        bought = [
            (client.buy(cheapest(client.rates(shipment)), shipment, "multi-1"), prefix)
            for client, prefix in ((ups_client, b"GIF89a-"), (fedex_client, b"PNG-"))
        ]
    for label, prefix in bought:
        assert [p.label_image for p in label.packages] == [prefix + bytes([n]) for n in (1, 2, 3)]
        assert [n[-1] for n in label.tracking_numbers] == ["1", "2", "3"]
        assert label.label_image == prefix + b"\x01"


# -- the label journal (every store) ------------------------------------------------------------------
def multi_label(numbers: tuple[str, ...] = ("1ZA1B2C30300000011", "1ZA1B2C30300000012", "1ZA1B2C30300000013")) -> Label:
    images = [b"GIF89a \x00\xff " + n.encode() for n in numbers]
    return Label(
        carrier=Carrier.UPS,
        service_code="03",
        tracking_number=numbers[0],
        carrier_reference=numbers[0],
        cost=Money(Decimal("41.10")),
        paid_by=CarrierAccountPayment(carrier=Carrier.UPS, account_number="A1B2C3"),
        label_image=images[0],
        label_format="GIF",
        created_at=T0,
        packages=[PackageLabel(tracking_number=n, label_image=i) for n, i in zip(numbers, images, strict=True)],
    )


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield InMemoryStore()
        return
    for made in store_spec(request.param, tmp_path, request):
        with made.open() as opened:
            yield opened


def test_the_journal_keeps_every_package_and_each_ones_void(store: Store) -> None:
    journal, bought = store.labels, multi_label()
    journal.start("m1", Carrier.UPS, "mps", "03", T0)
    journal.finish("m1", Carrier.UPS, "mps", bought)
    entry = journal.get("m1", Carrier.UPS, "mps")
    assert entry is not None and entry.label == bought  # every package, every image, byte for byte
    found = journal.find("m1", Carrier.UPS, "1ZA1B2C3 0300000013")  # any package's number finds the label
    assert found is not None and found.idempotency_key == "mps"
    kept = journal.mark_package_voided("m1", Carrier.UPS, "mps", "1ZA1B2C30300000012", T0 + timedelta(hours=1))
    assert kept is not None and [p.voided for p in kept.packages] == [False, True, False]
    entry = journal.get("m1", Carrier.UPS, "mps")
    assert entry is not None and entry.label == kept and entry.voided_at is None  # the shipment is still live
    for number in ("1ZA1B2C30300000011", "1ZA1B2C30300000013"):
        journal.mark_package_voided("m1", Carrier.UPS, "mps", number, T0 + timedelta(hours=2))
    entry = journal.get("m1", Carrier.UPS, "mps")
    assert entry is not None and entry.voided_at == T0 + timedelta(hours=2)  # every package voided: the shipment is
    with pytest.raises(ValidationError):
        journal.mark_package_voided("m1", Carrier.UPS, "mps", "1ZNOTAPACKAGE0001", T0)
    assert journal.mark_package_voided("m1", Carrier.UPS, "nothing-bought", "1ZA1B2C30300000011", T0) is None


def test_a_one_package_label_is_written_as_before() -> None:
    one = multi_label().model_copy(update={"packages": ()})
    assert len(one.packages) == 1 and one.packages[0].tracking_number == one.tracking_number
    assert "packages" not in json.loads(label_to_json(one))  # rows written before packages read the same
    assert label_from_json(label_to_json(one)) == one
    many = json.loads(label_to_json(multi_label()))
    assert "label_image" not in many["packages"][0]  # the first image is the label's own: not written twice
    with pytest.raises(ValidationError, match=r"packages\.0"):
        multi_label().model_copy(update={"tracking_number": "1ZA1B2C30300000099"})


# -- through Accounts.shipping: the journal across processes ------------------------------------------
def test_a_multi_package_purchase_through_the_router(platform: tuple) -> None:  # type: ignore[type-arg]  # noqa: F811 - from test_shipping
    accounts, make, ups_box, ups_url, *_ = platform
    accounts.connect_ups("m", client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3", base_url=ups_url)
    shipment = three_parcels()
    rate = next(r for r in accounts.shipping("m").rates(shipment).rates if r.carrier is Carrier.UPS)
    label = accounts.shipping("m").buy(rate, shipment, idempotency_key="order-mps")
    assert len(label.packages) == 3
    again = make().shipping("m")  # another process: the journal has every package
    assert again.buy(rate, shipment, idempotency_key="order-mps") == label
    second = label.tracking_numbers[1]
    assert again.find_label("ups", second) == label
    assert again.void(label, package=second).packages == (second,)
    kept = again.find_label("ups", label.tracking_number or "")
    assert kept is not None and [p.voided for p in kept.packages] == [False, True, False]
    tracked = again.track_shipment(kept)  # every package: the voided one says so
    assert [t.tracking_number for t in tracked] == list(label.tracking_numbers)
    assert [t.status for t in tracked] == [
        TrackingStatus.PRE_TRANSIT,
        TrackingStatus.VOIDED,
        TrackingStatus.PRE_TRANSIT,
    ]
    assert again.void(kept).packages == label.tracking_numbers
    entry = accounts.labels.get("m", Carrier.UPS, "order-mps")
    assert entry is not None and entry.voided_at is not None
    assert entry.label == kept  # as it was, with the package voided on its own
    [made] = ups_box.shipments()
    assert made.voided
