"""USPS international mail through the One Balance, on v111 and v135: the sandbox's services by
destination, its Customs checks and customs form on the raw wire, and the SDK's refusals before
anything is sent. Every exchange made through ``make_sandbox`` is checked against the real WSDL of
its version (``wire_log``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests

from carriers import (
    Address,
    Customs,
    CustomsLine,
    DocumentKind,
    DutiesPayer,
    Money,
    Parcel,
    ShipmentRequest,
    Weight,
)
from onebalance import (
    Accounts,
    InMemoryCredentialStore,
    OutcomeUnknown,
    PlanRestriction,
    RequestTimeout,
    ValidationError,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox, SandboxCredentials
from onebalance.swsim._soap._envelope import SoapFault

from . import _wire

SHOP, PASSWORD = "intl", "Intl-Passw0rd"
FROM = {"FullName": "Demo Merchant", "Address1": "1990 E Grand Ave", "City": "El Segundo", "State": "CA",
        "ZIPCode": "90245"}  # fmt: skip
LONDON = {"FullName": "Ann Buyer", "Address1": "10 Downing St", "City": "London", "PostalCode": "SW1A 2AA",
          "Country": "GB"}  # fmt: skip
TORONTO = {**LONDON, "City": "Toronto", "Province": "ON", "PostalCode": "M5V 2T6", "Country": "CA"}
BROOKLYN = {"FullName": "Ann Buyer", "Address1": "12 Main St", "City": "Brooklyn", "State": "NY", "ZIPCode": "11201"}
CUSTOMS = {
    "ContentType": "Merchandise",
    "CustomsLines": {
        "CustomsLine": [
            {"Description": "Cotton T-shirt", "Quantity": 2, "Value": Decimal("30.00"), "WeightLb": 1, "WeightOz": 0,
             "HSTariffNumber": "610910", "CountryOfOrigin": "US"},
        ]
    },
}  # fmt: skip


@pytest.fixture(params=["v111", "v135"])
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def box(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    sandbox = make_sandbox()
    sandbox.create_account(SHOP, PASSWORD, balance="500.00")
    return sandbox


def _creds() -> dict[str, str]:
    return _wire.credentials(SandboxCredentials("", DEMO_INTEGRATION_ID, SHOP, PASSWORD))


def call(box: Sandbox, op: str, version: str, **payload: Any) -> dict[str, Any]:
    return _wire.call(box, op, {"Credentials": _creds(), **payload}, version=version)


def fault(box: Sandbox, op: str, version: str, **payload: Any) -> SoapFault:
    with pytest.raises(SoapFault) as caught:
        call(box, op, version, **payload)
    return caught.value


def rate(to: dict[str, Any] = LONDON, service: str | None = "US-PMI", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"From": FROM, "To": to, "PackageType": "Package", "WeightLb": 2.0, "WeightOz": 0.0}
    if service is not None:
        out["ServiceType"] = service
    return {**out, **extra}


def buy(box: Sandbox, version: str, tx: str, customs: dict[str, Any] | None = CUSTOMS, **rate_extra: Any) -> Any:
    payload: dict[str, Any] = {"IntegratorTxID": tx, "Rate": rate(**rate_extra), "ImageType": "Png"}
    if customs is not None:
        payload["Customs"] = customs
    return payload


# -- the sandbox on the wire -----------------------------------------------------------------------
def test_rates_abroad_are_the_international_services_priced_by_destination(box: Sandbox, version: str) -> None:
    london = call(box, "GetRates", version, Rate=rate(service=None))["Rates"]["Rate"]
    toronto = call(box, "GetRates", version, Rate=rate(TORONTO, service=None))["Rates"]["Rate"]
    assert {r["ServiceType"] for r in london} == {"US-FCI", "US-PMI", "US-EMI"}

    def package(rates: list[dict[str, Any]], service: str) -> Decimal:
        return next(r["Amount"] for r in rates if r["ServiceType"] == service and r["PackageType"] == "Package")

    for service in ("US-FCI", "US-PMI", "US-EMI"):
        assert package(toronto, service) < package(london, service)  # Canada is price group 1
    assert package(london, "US-FCI") < package(london, "US-PMI") < package(london, "US-EMI")
    home = call(box, "GetRates", version, Rate=rate(BROOKLYN, service=None))["Rates"]["Rate"]
    assert not {r["ServiceType"] for r in home} & {"US-FCI", "US-PMI", "US-EMI"}
    heavy = call(box, "GetRates", version, Rate=rate(service=None, WeightLb=10.0))["Rates"]["Rate"]
    assert "US-FCI" not in {r["ServiceType"] for r in heavy}  # First-Class Package International: 4 lb at most
    assert call(box, "GetRates", version, Rate=rate({**LONDON, "Country": "KP"}, service=None))["Rates"] in ({}, None)


@pytest.mark.parametrize(("service", "to"), [("US-PM", LONDON), ("US-XM", TORONTO), ("US-PMI", BROOKLYN)])
def test_a_service_that_does_not_go_there_is_refused(box: Sandbox, version: str, service: str, to: dict) -> None:
    assert fault(box, "GetRates", version, Rate=rate(to, service)).code == "002b090b"
    caught = fault(box, "CreateIndicium", version, **buy(box, version, f"svc-{service}", to=to, service=service))
    assert caught.code == "002b090b"


@pytest.mark.parametrize(
    ("customs", "message"),
    [
        (None, "Customs information is required"),
        ({**CUSTOMS, "CustomsLines": {}}, "at least one CustomsLine"),
        ({**CUSTOMS, "ContentType": "Other"}, "OtherDescribe"),
        (
            {**CUSTOMS, "CustomsLines": {"CustomsLine": [{"Description": "Shirt", "Quantity": 1, "Value": 5}]}},
            "has no weight",
        ),
        (
            {
                **CUSTOMS,
                "CustomsLines": {"CustomsLine": [{**CUSTOMS["CustomsLines"]["CustomsLine"][0], "WeightLb": 5}]},
            },
            "weigh more than the package",
        ),
        (
            {**CUSTOMS, "CustomsLines": {"CustomsLine": [{**CUSTOMS["CustomsLines"]["CustomsLine"][0], "Value": 0}]}},
            "declare their value",
        ),
    ],
)
def test_a_label_abroad_without_complete_customs_is_refused(
    box: Sandbox, version: str, customs: dict[str, Any] | None, message: str
) -> None:
    before = len(box.ledger(SHOP))
    caught = fault(box, "CreateIndicium", version, **buy(box, version, "no-customs", customs=customs))
    assert caught.code == "002b090a"
    assert message in caught.faultstring
    assert len(box.ledger(SHOP)) == before


def test_a_label_abroad_carries_its_customs_form(box: Sandbox, version: str) -> None:
    with box.mock() as url:
        box.dispatcher.actor = url
        answer = call(box, "CreateIndicium", version, **buy(box, version, "intl-1"))
        assert answer["TrackingNumber"].startswith("CP") and answer["TrackingNumber"].endswith("US")
        assert len(answer["TrackingNumber"]) == 13
        form = answer["FormURL"]
        assert form.endswith(f"/sandbox/labels/{answer['StampsTxID']}-customs.pdf")
        body = requests.get(form, timeout=5)
        assert body.status_code == 200 and body.content.startswith(b"%PDF-") and b"CN23" in body.content
        assert requests.get(answer["URL"], timeout=5).content.startswith(b"\x89PNG")
        call(box, "CancelIndicium", version, StampsTxID=answer["StampsTxID"]) if version == "v111" else call(
            box, "CancelIndicium", version, StampsTxIDs={"guid": [answer["StampsTxID"]]}
        )
        assert requests.get(form, timeout=5).status_code == 410
    domestic = call(
        box, "CreateIndicium", version, IntegratorTxID="home-1", Rate=rate(BROOKLYN, "US-PM"), ImageType="Png"
    )
    assert not domestic.get("FormURL")
    # the replay answers the same label, form included
    again = call(box, "CreateIndicium", version, **buy(box, version, "intl-1"))
    assert again["FormURL"] == form and again["TrackingNumber"] == answer["TrackingNumber"]


# -- through the SDK ---------------------------------------------------------------------------------
SHIPPER = Address(name="Acme", street_lines=["1990 E Grand Ave"], city="El Segundo", state="CA", postal_code="90245")
US_RECIPIENT = Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118")
UK_RECIPIENT = Address(name="Ann", street_lines=["10 Downing St"], city="London", postal_code="SW1A 2AA", country="GB")
SHIRTS = CustomsLine(
    description="Cotton T-shirt", quantity=2, value=Money("30.00"), weight=Weight("0.5", "kg"),
    hs_tariff_number="6109.10", origin_country="US",
)  # fmt: skip
GIFTS = Customs(
    contents_type="merchandise",
    lines=[SHIRTS],
    invoice_total=Money("30.00"),
    duties_payer="recipient",
    incoterm="DAP",
    sender_tax_id="IM2760000742",
    recipient_tax_id="GB123456789",
    non_delivery="abandon",
    contents_explanation="Two shirts",
    invoice_number="INV-1001",
)


@pytest.fixture
def usps(sandbox: Sandbox, version: str) -> Any:
    sandbox.create_account("shipper", PASSWORD, balance="300.00")
    with sandbox.mock() as url:
        accounts = Accounts(
            integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=InMemoryCredentialStore(), api_version=version
        )
        accounts.connect("m1", username="shipper", password=PASSWORD)
        yield accounts.usps("m1")


def _shipment(recipient: Address, service: str | None = None, customs: Customs | None = GIFTS) -> ShipmentRequest:
    return ShipmentRequest(
        shipper=SHIPPER, recipient=recipient, parcels=[Parcel(weight=Weight(2, "lb"))], ship_date=date.today(),
        service=service, customs=customs,
    )  # fmt: skip


def _requests(wire_log: list, operation: str) -> list[bytes]:
    return [body for direction, op, body in wire_log if direction == "request" and op == operation]


def test_an_international_label_keeps_its_customs_form(usps: Any, sandbox: Sandbox, wire_log: list) -> None:
    shipment = _shipment(UK_RECIPIENT)
    rates = usps.rates(shipment)
    assert {r.service_code for r in rates} == {"US-FCI", "US-PMI", "US-EMI"}
    assert next(r for r in rates if r.service_code == "US-PMI").service_name == "USPS Priority Mail International"
    rate = next(r for r in rates if r.service_code == "US-PMI")
    label = usps.buy(rate, shipment, idempotency_key="intl-1")
    assert label.tracking_number.startswith("CP") and label.tracking_number.endswith("US")
    assert label.cost == rate.total
    (form,) = label.documents
    assert form.kind is DocumentKind.CUSTOMS_FORM and form.format == "PDF"
    assert form.data.startswith(b"%PDF-") and b"CN23" in form.data
    assert not _requests(wire_log, "CleanseAddress")  # USPS standardises US addresses only
    (sent,) = _requests(wire_log, "CreateIndicium")
    for part in (b"<Customs>", b"<ContentType>Merchandise<", b"<HSTariffNumber>610910<", b"<Value>30.00<",
                 b"<SendersCustomsReference>IM2760000742<", b"Two shirts; Importer ref: GB123456789",
                 b"<nonDeliveryOption>Abandon<", b"<Country>GB<", b"<PostalCode>SW1A 2AA<"):  # fmt: skip
        assert part in sent, part
    again = usps.buy(rate, shipment, idempotency_key="intl-1")
    assert again.documents == label.documents
    assert usps.track(label.tracking_number).tracking_number == label.tracking_number
    assert usps.void(label).voided


def test_first_class_package_international_gets_a_cn22(usps: Any) -> None:
    light = Customs(
        contents_type="gift", lines=[SHIRTS.model_copy(update={"weight": Weight(8, "oz")})],
        invoice_total=Money("30.00"), duties_payer="recipient",
    )  # fmt: skip
    shipment = _shipment(UK_RECIPIENT, "US-FCI", light).model_copy(
        update={"parcels": (Parcel(weight=Weight(12, "oz")),)}
    )
    (rate,) = [r for r in usps.rates(shipment) if r.service_code == "US-FCI"][:1]
    label = usps.buy(rate, shipment, idempotency_key="intl-fci")
    assert label.tracking_number.startswith("LX")
    assert b"CN22" in label.documents[0].data


def test_a_domestic_label_has_no_documents(usps: Any) -> None:
    shipment = _shipment(US_RECIPIENT, "US-PM", None)
    label = usps.buy(usps.rates(shipment)[0], shipment, idempotency_key="home-1")
    assert label.documents == ()


# -- the SDK refuses before anything is sent ---------------------------------------------------------
@pytest.mark.parametrize(
    ("recipient", "service", "customs", "field"),
    [
        (UK_RECIPIENT, "US-PM", GIFTS, "service"),
        (UK_RECIPIENT, "US-XM", GIFTS, "service"),
        (UK_RECIPIENT, "US-GA", GIFTS, "service"),
        (US_RECIPIENT, "US-PMI", None, "service"),
        (US_RECIPIENT, "US-FCI", None, "service"),
        (
            UK_RECIPIENT,
            None,
            GIFTS.model_copy(update={"duties_payer": DutiesPayer.SENDER, "incoterm": None}),
            "customs.duties_payer",
        ),
        (
            UK_RECIPIENT,
            None,
            GIFTS.model_copy(update={"incoterm": "DDP", "duties_payer": DutiesPayer.SENDER}),
            "customs.duties_payer",
        ),
        (UK_RECIPIENT, None, GIFTS.model_copy(update={"sender_tax_id": "DE123456789012345"}), "customs.sender_tax_id"),
        (UK_RECIPIENT, None, GIFTS.model_copy(update={"contents_explanation": "x" * 70}), "customs.recipient_tax_id"),
    ],
)
def test_the_sdk_refuses_before_sending(
    usps: Any, wire_log: list, version: str, recipient: Address, service: str | None, customs: Any, field: str
) -> None:
    if service == "US-GA" and version == "v111":
        service = "US-PM"  # v111 has no Ground Advantage at all
    with pytest.raises(ValidationError) as caught:
        usps.rates(_shipment(recipient, service, customs))
    assert caught.value.field == field
    assert not _requests(wire_log, "GetRates")


def test_a_shipment_abroad_without_customs_is_refused_when_built() -> None:
    with pytest.raises(ValidationError) as caught:
        _shipment(UK_RECIPIENT, customs=None)
    assert caught.value.field == "customs"


def test_a_rate_for_another_destination_is_refused_at_buy(usps: Any, wire_log: list) -> None:
    home = _shipment(US_RECIPIENT, "US-PM", None)
    rate = usps.rates(home)[0]
    with pytest.raises(ValidationError) as caught:
        usps.buy(rate, _shipment(UK_RECIPIENT), idempotency_key="wrong-way")
    assert caught.value.field == "rate.service_code"
    assert not _requests(wire_log, "CreateIndicium")


def test_a_plan_without_international_mail_marks_the_rates_and_refuses_the_label(
    usps: Any, sandbox: Sandbox, box: Sandbox, version: str, wire_log: list
) -> None:
    sandbox.set_capability("shipper", "CanPrintInternational", False)
    shipment = _shipment(UK_RECIPIENT)
    rates = usps.rates(shipment)
    assert rates and all("CanPrintInternational" in (r.restriction or "") for r in rates)
    with pytest.raises(PlanRestriction):
        usps.buy(rates[0], shipment, idempotency_key="no-intl")
    assert not _requests(wire_log, "CreateIndicium")
    # and the service refuses it too
    box.set_capability(SHOP, "CanPrintInternational", False)
    assert fault(box, "CreateIndicium", version, **buy(box, version, "plan-1")).code == "00450208"


def test_a_customs_form_that_cannot_be_fetched_leaves_the_label_bought_not_failed(
    usps: Any, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetch = usps.proxy.fetch_image

    def no_form(urls: list[str], tx_id: str) -> bytes | None:
        if urls[0].endswith("-customs.pdf"):
            raise RequestTimeout("No answer from the form server", operation="CreateIndicium")
        return fetch(urls, tx_id)

    shipment = _shipment(UK_RECIPIENT, "US-PMI")
    rate = usps.rates(shipment)[0]
    with monkeypatch.context() as patch:
        patch.setattr(usps.proxy, "fetch_image", no_form)
        with pytest.raises(OutcomeUnknown, match="customs form could not be fetched"):
            usps.buy(rate, shipment, idempotency_key="intl-lost-form")
    prints = [e for e in sandbox.ledger("shipper") if e.type == "Print"]
    label = usps.buy(rate, shipment, idempotency_key="intl-lost-form")  # the same key: the label, its form
    assert label.documents and label.documents[0].data.startswith(b"%PDF-")
    assert [e for e in sandbox.ledger("shipper") if e.type == "Print"] == prints  # paid once


def test_an_international_label_over_http(sandbox: Sandbox, version: str, wire_log: list) -> None:
    """The same purchase through ``serve()``: the customs form is fetched from the sandbox's own server."""
    sandbox.create_account("remote", PASSWORD, balance="200.00")
    with sandbox.serve() as server:
        accounts = Accounts(
            integration_id=DEMO_INTEGRATION_ID,
            endpoint=server.url,
            store=InMemoryCredentialStore(),
            api_version=version,
        )
        accounts.connect("m2", username="remote", password=PASSWORD)
        usps = accounts.usps("m2")
        shipment = _shipment(UK_RECIPIENT, "US-EMI")
        label = usps.buy(usps.rates(shipment)[0], shipment, idempotency_key="intl-http")
    assert label.tracking_number.startswith("EA")
    assert label.documents[0].data.startswith(b"%PDF-")
    assert _requests(wire_log, "CreateIndicium")


def test_a_domestic_shipment_may_carry_customs_whoever_pays_duties(usps: Any, wire_log: list) -> None:
    """Customs data on a shipment inside the ZIP code system (e.g. to an APO address) is sent as it is:
    no duties are due there, so the default duties payer is not refused."""
    customs = GIFTS.model_copy(update={"duties_payer": DutiesPayer.SENDER, "incoterm": None})
    shipment = _shipment(US_RECIPIENT, "US-PM", customs)
    label = usps.buy(usps.rates(shipment)[0], shipment, idempotency_key="home-customs")
    assert label.documents == ()
    (sent,) = _requests(wire_log, "CreateIndicium")
    assert b"<Customs>" in sent
