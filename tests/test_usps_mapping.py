"""The USPS mapping layer (onebalance.carriers.usps._mapping): pure functions, no sandbox.

Every request is encoded with the package schema (which refuses a wrong, missing or misplaced
field) and, when ../shared/specs is there, validated against the real contract. Every response is
built from the schema and read back the way the client reads it. Each test runs on both SWSIM
versions (v111 and v135): the mapping writes each version's names.
"""

from __future__ import annotations

import base64
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from carriers import (
    Address,
    Carrier,
    Customs,
    CustomsLine,
    Dimensions,
    Label,
    LabelSpec,
    Money,
    OneBalancePayment,
    PackageType,
    Parcel,
    ShipmentRequest,
    TrackingStatus,
    Weight,
)
from onebalance import LabelFormatUnavailable, ValidationError
from onebalance.carriers.usps import _codes as codes
from onebalance.carriers.usps import _mapping as usps
from onebalance.carriers.usps import _mapping_tracking as usps_tracking
from onebalance.carriers.usps import integrator_tx_id

from ._soap import VERSIONS, Schema, SwsimVersion, build, read_response, swsim_schema
from ._specs import RealSwsimSchemas

PNG = b"\x89PNG\r\n\x1a\n-label-"
STAMPS_TX = "0d9c3a51-6c3e-4a4b-9f7a-1a2b3c4d5e6f"


@pytest.fixture(scope="module", params=list(VERSIONS))
def version(request: pytest.FixtureRequest) -> SwsimVersion:
    return VERSIONS[request.param]


@pytest.fixture(scope="module")
def schema(version: SwsimVersion) -> Schema:
    return swsim_schema(version)


def request_bytes(schema: Schema, op: str, payload: dict[str, Any]) -> bytes:
    """The request as sent: the SDK adds the Authenticator; ``build`` raises SchemaError if it does not fit."""
    return build(schema, schema.operations[op], {"Authenticator": "token", **payload}, response=False)


def check_request(schema: Schema, real: RealSwsimSchemas | None, op: str, payload: dict[str, Any]) -> None:
    body = request_bytes(schema, op, payload)
    if real is not None:
        assert real.errors(body) == []


def response(schema: Schema, op: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A response built per the schema and decoded strictly, as a service would send it."""
    operation = schema.operations[op]
    decoded = read_response(operation, build(schema, operation, {"Authenticator": "next", **payload}, response=True))
    decoded.pop("Authenticator")
    return decoded


def shipment(**changes: Any) -> ShipmentRequest:
    data: dict[str, Any] = {
        "shipper": Address(
            name="Acme", street_lines=["1 Main St"], city="Springfield", state="IL", postal_code="62701"
        ),
        "recipient": Address(
            name="Jane Doe",
            company="Doe LLC",
            street_lines=["9 Elm St", "Apt 4"],
            city="Austin",
            state="TX",
            postal_code="78701-1234",
            phone="512-555-0100",
        ),
        "parcels": [Parcel(weight=Weight("2.5", "lb"), dimensions=Dimensions(10, 8, 4))],
        "ship_date": date(2025, 3, 3),
    }
    data.update(changes)
    return ShipmentRequest(**data)


def wire_address(zip5: str = "78701") -> dict[str, Any]:
    return {"FullName": "X", "Address1": "9 ELM ST", "City": "AUSTIN", "State": "TX", "ZIPCode": zip5}


def wire_rate(service: str, amount: str, days: str = "2-3", **extra: Any) -> dict[str, Any]:
    rate: dict[str, Any] = {
        "From": {"ZIPCode": "62701"},
        "To": {"ZIPCode": "78701"},
        "Amount": Decimal(amount),
        "ServiceType": service,
        "DeliverDays": days,
        "WeightLb": 2,
        "WeightOz": Decimal("8.0"),
        "PackageType": "Package",
        "ShipDate": "2025-03-03",
        "Zone": 5,
    }
    rate.update(extra)
    return rate


def signature(schema: Schema) -> dict[str, Any]:
    """A signature add-on under the schema's own item name (AddOnV17 or AddOnV20)."""
    item = "AddOnV20" if "V135" in schema.target_namespace else "AddOnV17"
    return {item: [{"Amount": Decimal("3.65"), "AddOnType": "US-A-SC", "AddOnDescription": "Signature"}]}


def rates_response(schema: Schema) -> dict[str, Any]:
    SIGNATURE = signature(schema)  # noqa: N806
    return response(
        schema,
        "GetRates",
        {
            "Rates": {
                "Rate": [
                    wire_rate("US-XM", "31.40", "1", AddOns=SIGNATURE),
                    wire_rate("US-PM", "9.45", "2-3", AddOns=SIGNATURE, DeliveryDate="2025-03-06"),
                    wire_rate("US-FC", "5.10", "2-5"),
                    wire_rate("DHL-PE", "20.00"),
                    {"From": {}, "To": {}, "ServiceType": "US-PS"},  # no Amount: cannot be bought
                ]
            }
        },
    )


def enumeration(simple: Any) -> frozenset[str]:
    values = simple.enumeration
    assert values
    return frozenset(values)


# -- tables ----------------------------------------------------------------------------------------------
def test_tables_agree_with_the_wire_enumerations(schema: Schema, version: SwsimVersion) -> None:
    rate: Any = schema.operations["GetRates"].input.type.particles[1].type  # type: ignore[union-attr]
    fields: dict[str, Any] = {p.name: p for p in rate.particles}
    services = enumeration(fields["ServiceType"].type)
    packages = enumeration(fields["PackageType"].type)
    assert {s for s in services if s.startswith("US-")} == version.usps_services
    assert set(codes.PACKAGE_TYPES.values()) <= packages
    assert codes.PACKAGE_TYPES[PackageType.MEDIUM_FLAT_RATE_BOX] == "Flat Rate Box"
    assert codes.SERVICES["US-GA"] == "USPS Ground Advantage"
    assert set(version.usps_services) <= set(codes.SERVICES)
    assert ("US-GA" in version.usps_services) is (version.name == "v135")


def test_every_meaningful_tracking_event_type_has_a_status(schema: Schema) -> None:
    events = schema.operations["TrackShipment"].output.type.particles[1].type  # type: ignore[union-attr]
    event = events.particles[0].type  # type: ignore[union-attr]
    kinds = enumeration(event.particles[2].type)  # type: ignore[union-attr]
    silent = {"None", "USPS Event", "ErrorDataNotAvailable", "DeliveryStatusNotUpdated"}
    unmapped = {k for k in kinds - silent if usps_tracking.status_for(k) is TrackingStatus.UNKNOWN}
    assert unmapped == set()


# -- addresses -------------------------------------------------------------------------------------------
def test_address_to_wire_splits_zip_plus_four_and_carries_the_cleanse_hash() -> None:
    wire = usps.address_to_wire(shipment().recipient, cleanse_hash="HASH")
    assert wire == {
        "FullName": "Jane Doe",
        "Company": "Doe LLC",
        "Address1": "9 Elm St",
        "Address2": "Apt 4",
        "City": "Austin",
        "State": "TX",
        "ZIPCode": "78701",
        "ZIPCodeAddOn": "1234",
        "Country": "US",
        "PhoneNumber": "5125550100",
        "CleanseHash": "HASH",
    }


def test_address_to_wire_abroad_and_with_three_lines() -> None:
    abroad = Address(
        name="Ada", street_lines=["1 Rue A", "Bât 2", "Étage 3"], city="Paris", postal_code="75001", country="FR"
    )
    assert usps.address_to_wire(abroad) == {
        "FullName": "Ada",
        "Address1": "1 Rue A",
        "Address2": "Bât 2",
        "Address3": "Étage 3",
        "City": "Paris",
        "PostalCode": "75001",
        "Country": "FR",
    }
    bare = Address(name="Jo", street_lines=["9 Elm St"], city="Austin", state="TX", postal_code="78701")
    assert list(usps.address_to_wire(bare)) == ["FullName", "Address1", "City", "State", "ZIPCode", "Country"]
    with pytest.raises(ValidationError):  # SWSIM's Address has three street lines, and so has an Address
        Address(name="Jo", street_lines=["1", "2", "3", "4"], city="Austin", state="TX", postal_code="78701")


def test_cleanse_request_and_response(schema: Schema, real_swsim: RealSwsimSchemas | None) -> None:
    original = shipment().recipient
    check_request(schema, real_swsim, "CleanseAddress", usps.cleanse_request(original))
    standard = {**wire_address(), "Address2": "APT 4", "ZIPCodeAddOn": "1234", "CleanseHash": "c1eanse"}
    result = usps.parse_cleanse(
        response(
            schema,
            "CleanseAddress",
            {
                "Address": standard,
                "AddressMatch": True,
                "CityStateZipOK": True,
                "ResidentialDeliveryIndicator": "Yes",
                "IsPOBox": False,
                "CandidateAddresses": {"Address": [wire_address("78702"), {"City": "NOWHERE"}]},
                "StatusCodes": {"ReturnCode": 31},
                "VerificationLevel": "Maximum",
            },
        ),
        original,
    )
    assert result.match and result.city_state_zip_ok
    assert result.cleanse_hash == "c1eanse"
    assert result.residential is True and result.address.residential is True
    assert result.is_po_box is False
    assert result.address.street_lines == ("9 ELM ST", "APT 4")
    assert result.address.postal_code == "78701-1234"
    assert result.address.phone == original.phone  # the merchant's own, not USPS's
    # the partial candidate (no street, no state) is passed over, not raised
    assert [c.postal_code for c in result.candidates] == ["78702"]


def test_no_match_has_no_hash(schema: Schema) -> None:
    result = usps.parse_cleanse(
        response(
            schema,
            "CleanseAddress",
            {
                "Address": wire_address(),
                "AddressMatch": False,
                "CityStateZipOK": True,
                "ResidentialDeliveryIndicator": "Unknown",
                "CandidateAddresses": {},
                "StatusCodes": {"ReturnCode": 0},
                "VerificationLevel": "Partial",
            },
        ),
        shipment().recipient,
    )
    assert not result.match and result.cleanse_hash is None and result.residential is None


# -- rates -----------------------------------------------------------------------------------------------
def test_rate_request_for_every_service(
    schema: Schema, version: SwsimVersion, real_swsim: RealSwsimSchemas | None
) -> None:
    payload = usps.rate_request(shipment(), version=version)
    check_request(schema, real_swsim, "GetRates", payload)
    rate = payload["Rate"]
    assert "ServiceType" not in rate
    assert (rate["WeightLb"], rate["WeightOz"]) == (2, Decimal("8.0"))
    assert (rate["Length"], rate["Width"], rate["Height"]) == (10, 8, 4)
    assert rate["PackageType"] == "Package"
    assert rate["ShipDate"] == date(2025, 3, 3)
    assert rate["To"]["ZIPCode"] == "78701"


def test_rate_request_for_one_service_in_centimetres_with_insurance(
    schema: Schema, version: SwsimVersion, real_swsim: RealSwsimSchemas | None
) -> None:
    parcel = Parcel(
        weight=Weight(500, "g"),
        dimensions=Dimensions("25.4", "12.7", "2.54", "cm"),
        package_type="flat_rate_padded_envelope",
        declared_value=Money("80.00"),
    )
    payload = usps.rate_request(shipment(parcels=[parcel], service="US-PM", options={"insurance"}), version=version)
    check_request(schema, real_swsim, "GetRates", payload)
    rate = payload["Rate"]
    assert rate["ServiceType"] == "US-PM"
    assert rate["PackageType"] == "Flat Rate Padded Envelope"
    assert (rate["Length"], rate["Width"], rate["Height"]) == (10, 5, 1)
    assert (rate["WeightLb"], rate["WeightOz"]) == (1, Decimal("1.7"))  # 17.64 oz, rounded up
    assert rate["InsuredValue"] == Decimal("80.00")


PARIS = Address(name="A", street_lines="1 Rue", city="Paris", postal_code="75001", country="FR")
BOOK = Customs(
    contents_type="gift",
    lines=[CustomsLine(description="Book", quantity=1, value=Money(10), weight=Weight(1), origin_country="US")],
    invoice_total=Money(10),
)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"parcels": [Parcel(weight=Weight(1)), Parcel(weight=Weight(1))]}, "parcels"),
        ({"parcels": [Parcel(weight=Weight(71))]}, "parcels.0.weight"),
        ({"parcels": [Parcel(weight=Weight(1), package_type="pak")]}, "parcels.0.package_type"),
        ({"recipient": PARIS, "customs": BOOK}, "customs.duties_payer"),  # USPS abroad: duties unpaid
        (
            {"shipper": PARIS, "customs": BOOK.model_copy(update={"duties_payer": "recipient"})},
            "shipper.country",
        ),
    ],
)
def test_rate_request_refuses_what_usps_cannot_carry(
    changes: dict[str, Any], field: str, version: SwsimVersion
) -> None:
    with pytest.raises(ValidationError) as caught:
        usps.rate_request(shipment(**changes), version=version)
    assert caught.value.field == field


def test_ground_advantage_is_rated_on_v135_and_refused_on_v111(
    schema: Schema, version: SwsimVersion, real_swsim: RealSwsimSchemas | None
) -> None:
    ground = shipment(service="US-GA", parcels=[Parcel(weight=Weight(8, "oz"))])
    if version.name == "v111":
        with pytest.raises(ValidationError) as caught:
            usps.rate_request(ground, version=version)
        assert caught.value.field == "service"
        assert "Ground Advantage needs SWSIM v135" in caught.value.message
        return
    payload = usps.rate_request(ground, version=version)
    check_request(schema, real_swsim, "GetRates", payload)
    assert payload["Rate"]["ServiceType"] == "US-GA"
    assert (payload["Rate"]["WeightLb"], payload["Rate"]["WeightOz"]) == (0, Decimal("8.0"))


@pytest.mark.parametrize(("text", "days"), [("2-3", 3), ("1", 1), ("1-3 Days", 3), ("", None), (None, None)])
def test_delivery_days_takes_the_slower_end(text: str | None, days: int | None) -> None:
    assert usps.delivery_days(text) == days


def test_parse_rates(schema: Schema) -> None:
    rates = usps.parse_rates(rates_response(schema), OneBalancePayment())
    assert [r.service_code for r in rates] == ["US-FC", "US-PM", "US-XM"]  # cheapest first; no DHL, no amount
    first_class, priority, express = rates
    assert first_class.service_name == "USPS First-Class Mail"
    assert first_class.total == Money("5.10") and first_class.base == Money("5.10")
    assert first_class.delivery_days == 5
    assert priority.delivery_days == 3 and priority.estimated_delivery == date(2025, 3, 6)
    assert express.guaranteed and not priority.guaranteed
    assert all(r.payment == OneBalancePayment() for r in rates)
    # unwanted add-ons are dropped from what will be sent back
    assert "AddOns" not in priority.data
    assert priority.data["ServiceType"] == "US-PM" and priority.data["Zone"] == "5"


def test_options_select_add_ons_and_drop_rates_without_them(schema: Schema) -> None:
    rates = usps.parse_rates(rates_response(schema), OneBalancePayment(), {"signature"})
    assert [r.service_code for r in rates] == ["US-PM", "US-XM"]
    priority = rates[0]
    assert priority.total == Money("13.10")
    assert priority.breakdown == (("base", Money("9.45")), ("Signature", Money("3.65")))


def test_empty_rates(schema: Schema) -> None:
    assert usps.parse_rates(response(schema, "GetRates", {"Rates": {}}), OneBalancePayment()) == []
    assert usps.parse_rates({}, OneBalancePayment()) == []


# -- labels ----------------------------------------------------------------------------------------------
def test_the_chosen_rate_goes_back_as_it_came(
    schema: Schema, version: SwsimVersion, real_swsim: RealSwsimSchemas | None
) -> None:
    got = rates_response(schema)
    rate = usps.parse_rates(got, OneBalancePayment(), {"signature"})
    priority = rate[0]
    payload = usps.ship_request(
        priority, shipment(reference="order 7"), "ob-1", to_cleanse_hash="c1eanse", cost_code_id=3, version=version
    )
    check_request(schema, real_swsim, "CreateIndicium", payload)
    sent = read_request_rate(schema, payload)
    original = next(r for r in got["Rates"]["Rate"] if r["ServiceType"] == "US-PM")
    for name in ("Amount", "ServiceType", "DeliverDays", "WeightLb", "WeightOz", "PackageType", "ShipDate", "Zone"):
        assert sent[name] == original[name], name
    assert sent["AddOns"] == {version.addon_item: [{"AddOnType": "US-A-SC", "Amount": Decimal("3.65")}]}
    assert sent["To"]["CleanseHash"] == "c1eanse" and sent["To"]["ZIPCodeAddOn"] == "1234"
    assert sent["From"]["ZIPCode"] == "62701"
    assert payload["IntegratorTxID"] == "ob-1"
    assert payload["ReturnImageData"] is True and payload["ImageType"] == "Png"
    assert payload["cost_code_id"] == 3 and payload["memo"] == "order 7"
    assert "SampleOnly" not in payload


def read_request_rate(schema: Schema, payload: dict[str, Any]) -> dict[str, Any]:
    from ._soap import read_request

    op = schema.operations["CreateIndicium"]
    _, decoded = read_request(schema, request_bytes(schema, "CreateIndicium", payload), op.soap_action)
    rate: dict[str, Any] = decoded["Rate"]
    return rate


def test_sample_label_request(schema: Schema, version: SwsimVersion, real_swsim: RealSwsimSchemas | None) -> None:
    rate = usps.parse_rates(rates_response(schema), OneBalancePayment())[0]
    spec = LabelSpec(format="PDF", size="letter")
    payload = usps.ship_request(rate, shipment(), "ob-2", sample=True, label_spec=spec, version=version)
    check_request(schema, real_swsim, "CreateIndicium", payload)
    assert payload["SampleOnly"] is True and payload["ImageType"] == "Pdf" and payload["PaperSize"] == "Letter85x11"
    assert "CleanseHash" not in payload["Rate"]["To"]


def test_every_label_format_usps_prints_is_sent_as_the_real_contract_of_each_version_allows(
    schema: Schema, version: SwsimVersion, real_swsim: RealSwsimSchemas | None
) -> None:
    rate = usps.parse_rates(rates_response(schema), OneBalancePayment())[0]
    for n, ((label_format, size), (image_type, paper)) in enumerate(codes.LABEL_FORMATS.items()):
        spec = LabelSpec(format=label_format, size=size)
        payload = usps.ship_request(rate, shipment(), f"ob-{n}", label_spec=spec, version=version)
        check_request(schema, real_swsim, "CreateIndicium", payload)  # ImageType and PaperSizeV1 of this version
        assert (payload["ImageType"], payload["PaperSize"]) == (image_type, paper)
    default = usps.ship_request(rate, shipment(), "ob-d", version=version)
    assert (default["ImageType"], default["PaperSize"]) == ("Png", "LabelSize")


def test_a_rate_not_from_usps_rates_is_refused(schema: Schema, version: SwsimVersion) -> None:
    rate = usps.parse_rates(rates_response(schema), OneBalancePayment())[0]
    forged = rate.model_copy(update={"carrier_data": ()})
    with pytest.raises(ValidationError) as caught:
        usps.ship_request(forged, shipment(), "ob-3", version=version)
    assert caught.value.field == "rate"
    with pytest.raises(LabelFormatUnavailable) as refused:
        usps.ship_request(rate, shipment(), "ob-3", label_spec=LabelSpec(format="ZPL", size="letter"), version=version)
    assert refused.value.field == "label_size" and refused.value.carrier is Carrier.USPS


def indicium_response(schema: Schema, **extra: Any) -> dict[str, Any]:
    item = next(iter(signature(schema)))
    payload: dict[str, Any] = {
        "IntegratorTxID": "ob-1",
        "TrackingNumber": "9400 1000 0000 0000 0000 00",
        "Rate": wire_rate("US-PM", "9.20", AddOns={item: [{"Amount": Decimal("3.65"), "AddOnType": "US-A-SC"}]}),
        "StampsTxID": STAMPS_TX,
        "URL": "",
        "PostageBalance": {"AvailablePostage": Decimal("87.15"), "ControlTotal": Decimal("112.85")},
        "Mac": "m",
        "PostageHash": "h",
        "ImageData": {"base64Binary": [PNG]},
    }
    payload.update(extra)
    return response(schema, "CreateIndicium", payload)


def test_parse_label(schema: Schema) -> None:
    rate = usps.parse_rates(rates_response(schema), OneBalancePayment(), {"signature"})[0]
    moment = datetime(2025, 3, 3, 15, tzinfo=timezone.utc)
    label, balance = usps.parse_label(indicium_response(schema), rate, created_at=moment)
    assert label.tracking_number == "9400100000000000000000"
    assert label.cost == Money("12.85")  # the actual Amount plus the add-on
    assert label.paid_by == OneBalancePayment()
    assert label.label_image == PNG and label.label_format == "PNG"
    assert label.carrier_reference == STAMPS_TX
    assert label.created_at == moment and label.service_code == "US-PM"
    assert balance == Decimal("87.15")


def test_sample_label_costs_nothing_and_a_fetched_image_is_used(schema: Schema) -> None:
    rate = usps.parse_rates(rates_response(schema), OneBalancePayment())[0]
    got = indicium_response(schema, ImageData=None, URL="https://labels.example/1.png https://labels.example/2.png")
    assert usps.image_data(got) is None
    assert usps.label_urls(got) == ["https://labels.example/1.png", "https://labels.example/2.png"]
    label, _ = usps.parse_label(got, rate, image=b"fetched", sample=True)
    assert label.cost == Money("0.00") and label.label_image == b"fetched"
    with pytest.raises(ValidationError):
        usps.parse_label(got, rate)


def label(**changes: Any) -> Label:
    data: dict[str, Any] = {
        "carrier": "usps",
        "tracking_number": "9400100000000000000000",
        "service_code": "US-PM",
        "cost": Money("9.45"),
        "paid_by": OneBalancePayment(),
        "label_image": PNG,
        "label_format": "PNG",
        "created_at": datetime(2025, 3, 3, tzinfo=timezone.utc),
        "carrier_reference": STAMPS_TX,
    }
    data.update(changes)
    return Label(**data)


def test_cancel_request(schema: Schema, version: SwsimVersion, real_swsim: RealSwsimSchemas | None) -> None:
    by_tx = usps.void_request(label(), version=version)
    by_number = usps.void_request(label(carrier_reference=None), version=version)
    if version.batch_cancel:
        assert by_tx == {"StampsTxIDs": {"guid": [STAMPS_TX]}}
        assert by_number == {"TrackingNumbers": {"string": ["9400100000000000000000"]}}
    else:
        assert by_tx == {"StampsTxID": STAMPS_TX}
        assert by_number == {"TrackingNumber": "9400100000000000000000"}
    check_request(schema, real_swsim, "CancelIndicium", by_tx)
    check_request(schema, real_swsim, "CancelIndicium", by_number)
    with pytest.raises(ValidationError):
        usps.void_request(label(carrier_reference=None, tracking_number=None), version=version)


def test_cancel_requests_batch_on_v135_only(
    schema: Schema, version: SwsimVersion, real_swsim: RealSwsimSchemas | None
) -> None:
    labels = [label(), label(carrier_reference=None, tracking_number="9400100000000000000001")]
    labels += [label(carrier_reference=f"0d9c3a51-6c3e-4a4b-9f7a-{n:012d}") for n in range(60)]
    batches = usps.void_requests(labels, version=version)
    assert [p for positions, _ in batches for p in positions] == list(range(62))
    if not version.batch_cancel:
        assert len(batches) == 62 and all(len(positions) == 1 for positions, _ in batches)
        return
    assert [len(positions) for positions, _ in batches] == [50, 12]
    first = batches[0][1]
    assert first["TrackingNumbers"] == {"string": ["9400100000000000000001"]}
    assert len(first["StampsTxIDs"]["guid"]) == 49
    for _, payload in batches:
        check_request(schema, real_swsim, "CancelIndicium", payload)


# -- tracking --------------------------------------------------------------------------------------------
def event(moment: str, kind: str, text: str) -> dict[str, Any]:
    return {
        "Timestamp": datetime.fromisoformat(moment),
        "Event": text,
        "TrackingEventType": kind,
        "City": "AUSTIN",
        "State": "TX",
        "Zip": "78701",
        "Country": "us",
        "SignedBy": "",
        "AuthorizedAgent": False,
    }


def test_track_request(schema: Schema, real_swsim: RealSwsimSchemas | None) -> None:
    payload = usps_tracking.track_request(" 9400 1000 0000 ")
    assert payload == {"TrackingNumber": "940010000000"}
    check_request(schema, real_swsim, "TrackShipment", payload)
    with pytest.raises(ValidationError):
        usps_tracking.track_request("  ")


def test_parse_tracking(schema: Schema) -> None:
    got = response(
        schema,
        "TrackShipment",
        {
            "TrackingEvents": {
                "TrackingEvent": [
                    event("2025-03-03T09:00:00", "AcceptOrPickup", "Accepted at USPS Origin Facility"),
                    event("2025-03-05T14:10:00-06:00", "Delivered", "Delivered, In/At Mailbox"),
                    event("2025-03-05T08:00:00", "USPS Event", "Out for Delivery"),
                    event("2025-03-05T21:00:00", "None", "Tracking data refreshed"),
                ]
            },
            "GuaranteedDeliveryDate": datetime(1, 1, 1),
            "ExpectedDeliveryDate": datetime(2025, 3, 5),
        },
    )
    tracking = usps_tracking.parse_tracking(got, "9400100000000000000000")
    assert [e.status for e in tracking.events] == [
        TrackingStatus.UNKNOWN,
        TrackingStatus.DELIVERED,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.IN_TRANSIT,
    ]
    assert tracking.status is TrackingStatus.DELIVERED  # the newest event that says something
    assert tracking.latest is not None and tracking.latest.status is TrackingStatus.UNKNOWN
    assert tracking.delivered_at == datetime(2025, 3, 5, 20, 10, tzinfo=timezone.utc)
    assert tracking.estimated_delivery == date(2025, 3, 5)
    assert tracking.events[1].location() == "AUSTIN, TX 78701, US"


def test_tracking_without_events(schema: Schema) -> None:
    got = response(
        schema,
        "TrackShipment",
        {"TrackingEvents": {}, "GuaranteedDeliveryDate": datetime(1, 1, 1), "ExpectedDeliveryDate": datetime(1, 1, 1)},
    )
    tracking = usps_tracking.parse_tracking(got, "9400100000000000000000")
    assert tracking.status is TrackingStatus.UNKNOWN and tracking.events == ()
    assert tracking.estimated_delivery is None


@pytest.mark.parametrize(
    ("kind", "text", "status"),
    [
        ("ShippingLabelCreated", "", TrackingStatus.PRE_TRANSIT),
        ("OutForDelivery", "", TrackingStatus.OUT_FOR_DELIVERY),
        ("ReturnToSender", "", TrackingStatus.RETURNED),
        ("AttemptedNoticeLeft", "", TrackingStatus.EXCEPTION),
        ("USPS Event", "Shipping Label Created, USPS Awaiting Item", TrackingStatus.PRE_TRANSIT),
        ("None", "Out for Delivery", TrackingStatus.OUT_FOR_DELIVERY),
        ("None", "Something new", TrackingStatus.UNKNOWN),
    ],
)
def test_status_for(kind: str, text: str, status: TrackingStatus) -> None:
    assert usps_tracking.status_for(kind, text) is status


# -- idempotency -----------------------------------------------------------------------------------------
def test_integrator_tx_id_is_stable_per_merchant_and_key() -> None:
    first = integrator_tx_id("m-1", "order-1042")
    assert first == integrator_tx_id("m-1", "order-1042")
    assert first.startswith("ob-") and len(first) == 43
    assert first != integrator_tx_id("m-2", "order-1042")
    assert first != integrator_tx_id("m-1", "order-1043")
    with pytest.raises(ValidationError):
        integrator_tx_id("m-1", " ")


def test_png_fixture_is_base64_safe() -> None:
    assert base64.b64decode(base64.b64encode(PNG)) == PNG
