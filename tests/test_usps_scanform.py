"""USPS SCAN forms (CreateManifest): ``UspsShipping.scan_form`` against the sandbox, on SWSIM v135 and
v111, in-process and over HTTP. Every request the SDK sends and every answer the sandbox gives (the
forms, and the faults listing each label refused) is checked against the real WSDL of its version at
teardown (the ``wire_log`` fixture); a zeep client built from each real WSDL makes a form too.

The ledger: a form charges nothing, holds the labels it covers (and each of them knows its form),
never holds a voided label, and a label on a form can be voided only until USPS accepts it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import requests
import zeep
import zeep.exceptions

from carriers import Address, Carrier, Parcel, ShipmentRequest, Weight
from onebalance import (
    Accounts,
    FaultDetail,
    InMemoryCredentialStore,
    ScanForm,
    ScanFormRefused,
    Service,
    TransportError,
    ValidationError,
    VoidRefused,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox
from onebalance.swsim._soap._envelope import build_fault, read_fault
from onebalance.swsim._soap._xml import SOAP_ENV

from ._images import check_image
from .conformance.test_real_wsdl_client import real_wsdls  # noqa: F401 - a fixture: each real WSDL, parsed once
from .test_labels_journal import label as journal_label

PASSWORD = "Ship-passw0rd"
SHIPPER = Address(
    name="Acme Widgets", street_lines=["1990 E Grand Ave"], city="El Segundo", state="CA", postal_code="90245"
)
RECIPIENT = Address(name="Ada Lovelace", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118")
FAULT_NS = "http://stamps.com/xml/namespace/2008/01/swsim/fault"


@pytest.fixture(params=["v135", "v111"])
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def usps(sandbox, endpoint, version):
    sandbox.create_account("shipper", PASSWORD, balance="100.00")
    accounts = Accounts(
        integration_id=DEMO_INTEGRATION_ID,
        endpoint=endpoint.url,
        store=InMemoryCredentialStore(),
        now=sandbox.clock.now,
        api_version=version,
    )
    accounts.connect("m1", username="shipper", password=PASSWORD)
    return accounts.usps("m1")


def _today(sandbox: Sandbox) -> date:
    return sandbox.clock.now().date()


def _buy(usps, key: str, ship_date: date):
    shipment = ShipmentRequest(
        shipper=SHIPPER, recipient=RECIPIENT, parcels=[Parcel(weight=Weight(value="1", unit="lb"))], ship_date=ship_date
    )
    rate = next(r for r in usps.rates(shipment) if r.service_code == "US-PM")
    return usps.buy(rate, shipment, idempotency_key=key)


def _on_forms(sandbox: Sandbox) -> dict[str, str | None]:
    return {label.tracking_number: label.scan_form_id for label in sandbox.labels("shipper")}


def _sent(wire_log, operation: str = "CreateManifest") -> int:
    return sum(1 for direction, op, _ in wire_log if direction == "request" and op == operation)


def test_a_form_for_the_whole_day_covers_its_labels_and_charges_nothing(usps, sandbox, wire_log):
    today = _today(sandbox)
    first, second = _buy(usps, "a", today), _buy(usps, "b", today)
    tomorrow = _buy(usps, "c", today + timedelta(days=1))
    voided = _buy(usps, "d", today)
    usps.void(voided)
    ledger = sandbox.ledger("shipper")
    form = usps.scan_form(ship_date=today)
    assert isinstance(form, ScanForm) and form.whole_day and form.ship_date == today
    assert form.tracking_numbers == () and form.left_out == ()
    assert form.pdf is not None
    check_image("PDF", form.pdf)
    assert form.url and form.url.endswith(f"/sandbox/scanforms/{form.form_id}.pdf")
    assert sandbox.ledger("shipper") == ledger  # a SCAN form moves no money
    forms = sandbox.scan_forms("shipper")
    assert [f.id for f in forms] == [form.form_id]
    assert forms[0].tracking_numbers == [first.tracking_number, second.tracking_number]
    on = _on_forms(sandbox)
    assert on[first.tracking_number] == on[second.tracking_number] == form.form_id
    assert on[tomorrow.tracking_number] is None  # another ship date
    assert on[voided.tracking_number] is None  # a voided label is never on a form
    with pytest.raises(ScanFormRefused) as nothing_left:
        usps.scan_form(ship_date=today)
    assert nothing_left.value.code == "002b0910" and nothing_left.value.details == ()
    assert nothing_left.value.source is Service.ONEBALANCE


def test_labels_named_that_cannot_go_on_the_form_are_left_out_with_their_reason(usps, sandbox, wire_log):
    today = _today(sandbox)
    good, voided, known = (_buy(usps, key, today) for key in ("good", "voided", "known"))
    later = _buy(usps, "later-day", today + timedelta(days=2))
    usps.void(voided)
    earlier = usps.scan_form([known], ship_date=today)
    assert earlier.tracking_numbers == (known.tracking_number,) and not earlier.whole_day
    unknown = "9405000000999904000001"
    form = usps.scan_form([good, voided.tracking_number, later, known, unknown, good], ship_date=today)
    assert form.tracking_numbers == (good.tracking_number,)
    reasons = {item.tracking_number: item.code for item in form.left_out}
    assert reasons == {
        voided.tracking_number: "002b0911",
        later.tracking_number: "002b0912",
        known.tracking_number: "00450d02",
        unknown: "00450202",
    }
    assert all(item.reason for item in form.left_out)
    assert _sent(wire_log) == 3  # once refused (every label refused listed), once without them
    on = _on_forms(sandbox)
    assert on[good.tracking_number] == form.form_id and on[known.tracking_number] == earlier.form_id
    assert on[voided.tracking_number] is None and on[later.tracking_number] is None


def test_when_every_label_named_is_refused_no_form_is_made(usps, sandbox, wire_log):
    today = _today(sandbox)
    voided = _buy(usps, "v", today)
    usps.void(voided)
    later = _buy(usps, "l", today + timedelta(days=1))
    with pytest.raises(ScanFormRefused) as refused:
        usps.scan_form([voided, later], ship_date=today)
    details = refused.value.details
    assert [(d.code, d.context) for d in details] == [
        ("002b0911", voided.tracking_number),
        ("002b0912", later.tracking_number),
    ]
    assert all(isinstance(d, FaultDetail) and d.message for d in details)
    assert voided.tracking_number in refused.value.message and later.tracking_number in refused.value.message
    assert sandbox.scan_forms("shipper") == []
    assert _sent(wire_log) == 1


def test_a_label_on_a_form_is_voided_until_usps_accepts_it(usps, sandbox, wire_log):
    today = _today(sandbox)
    early, late = _buy(usps, "on-form-early", today), _buy(usps, "on-form-late", today)
    usps.scan_form([early, late], ship_date=today)
    assert usps.void(early).voided  # not scanned in yet: voided, its refund pending as any other
    assert sandbox.advance_clock(timedelta(hours=6))
    label = late
    balance = sandbox.account("shipper").available_postage
    with pytest.raises(VoidRefused) as refused:
        usps.void(label)
    assert refused.value.code == "002b0913"
    assert next(lb for lb in sandbox.labels("shipper") if lb.tracking_number == label.tracking_number).voided_at is None
    assert sandbox.account("shipper").available_postage == balance  # nothing refunded, nothing pending
    assert [outcome.voided for outcome in usps.void_many([label])] == [False]


def test_bad_input_is_refused_before_anything_is_sent(usps, sandbox, wire_log):
    ups_label = journal_label("1ZA1B2C30300000001", carrier=Carrier.UPS)
    for labels, field in (
        ([ups_label], "labels"),
        (["not a number"], "labels"),
        (["94"], "labels"),
        ([], "labels"),
        ("9405000000000104000001", "labels"),
    ):
        with pytest.raises(ValidationError) as refused:
            usps.scan_form(labels, ship_date=_today(sandbox))
        assert refused.value.field == field
    with pytest.raises(ValidationError) as bad_date:
        usps.scan_form(ship_date="2026-12-07")  # type: ignore[arg-type]
    assert bad_date.value.field == "ship_date"
    abroad = Address(name="Ann", street_lines=["10 Downing St"], city="London", postal_code="SW1A 2AA", country="GB")
    with pytest.raises(ValidationError) as foreign:
        usps.scan_form(ship_date=_today(sandbox), from_address=abroad)
    assert foreign.value.field == "from_address"
    assert _sent(wire_log) == 0


def test_the_form_is_made_from_the_address_given(usps, sandbox, wire_log):
    today = _today(sandbox)
    _buy(usps, "x", today)
    usps.scan_form(ship_date=today, from_address=SHIPPER)
    assert sandbox.scan_forms("shipper")[0].from_address["Address1"] == "1990 E Grand Ave"


def test_a_form_whose_pdf_cannot_be_fetched_is_still_returned(usps, sandbox, wire_log, monkeypatch):
    today = _today(sandbox)
    _buy(usps, "y", today)

    def lost(*args: Any, **kwargs: Any) -> bytes:
        raise TransportError("Could not fetch the SCAN form (HTTP 503)", http_status=503)

    monkeypatch.setattr(usps.proxy, "fetch", lost)
    form = usps.scan_form(ship_date=today)
    assert form.pdf is None and form.url and form.form_id == sandbox.scan_forms("shipper")[0].id


def test_the_forms_survive_a_restart_with_a_state_file(tmp_path):
    path = tmp_path / "state.db"
    first = Sandbox(state_path=path)
    first.create_account("shipper", PASSWORD, balance="100.00")
    with first.mock() as url:
        accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=InMemoryCredentialStore())
        accounts.connect("m1", username="shipper", password=PASSWORD)
        usps = accounts.usps("m1")
        label = _buy(usps, "kept", first.clock.now().date())
        form = usps.scan_form([label], ship_date=first.clock.now().date())
    first.close()
    again = Sandbox(state_path=path)
    assert [f.id for f in again.scan_forms("shipper")] == [form.form_id]
    assert again.labels("shipper")[0].scan_form_id == form.form_id
    reply = again.page("GET", f"/sandbox/scanforms/{form.form_id}.pdf")
    assert reply.status == 200 and reply.body.startswith(b"%PDF-")
    assert again.page("GET", "/sandbox/scanforms/SF0000000001.pdf").status == 404
    again.close()


# -- the fault format ---------------------------------------------------------------------------------
def test_a_fault_listing_several_labels_is_read_whole():
    body = build_fault(
        "2 labels cannot go on a SCAN form [0x00450d02]",
        code="00450d02",
        details=[("00450d02", "9405000000000104000001", "already on a form"), ("002b0911", "9405...2", "voided")],
    )
    from lxml import etree

    fault = etree.fromstring(body).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None
    children = fault.find("detail").findall(f"{{{FAULT_NS}}}sdcerror")
    assert [(c.get("code"), c.get("context")) for c in children] == [
        ("00450d02", "9405000000000104000001"),
        ("002b0911", "9405...2"),
    ]
    read = read_fault(fault)
    assert read.code == "00450d02"
    assert [d[:2] for d in read.details] == [("00450d02", "9405000000000104000001"), ("002b0911", "9405...2")]


# -- a client built from the real WSDL ---------------------------------------------------------------
def test_a_zeep_client_from_the_real_wsdl_makes_a_form(sandbox, version, real_wsdls, wire_log):  # noqa: F811 - imported
    from onebalance.swsim import swsim_version

    wire = swsim_version(version)
    creds = sandbox.create_demo_account()
    session = requests.Session()
    session.trust_env = False
    document = real_wsdls[version]
    client = zeep.Client(document, transport=zeep.Transport(session=session), settings=document.settings)
    with sandbox.serve() as server:
        service = client.create_service(f"{{{wire.namespace}}}{wire.port}", server.urls[version])
        token = service.AuthenticateUser(
            Credentials={"IntegrationID": creds.integration_id, "Username": creds.username, "Password": creds.password}
        ).Authenticator
        day = sandbox.clock.now().date()
        origin = {"FullName": "Acme", "Address1": "1 Main St", "City": "Austin", "State": "TX", "ZIPCode": "78701"}
        rated = service.GetRates(
            Authenticator=token,
            Rate={
                "From": origin,
                "To": {**origin, "FullName": "Ada", "Address1": "350 5th Ave", "City": "New York", "State": "NY",
                       "ZIPCode": "10118"},
                "WeightLb": 1, "WeightOz": 0, "PackageType": "Package", "ShipDate": day,
            },
            Carrier="USPS",
        )  # fmt: skip
        chosen = next(rate for rate in rated.Rates.Rate if rate.ServiceType == "US-PM")
        chosen.AddOns = None
        bought = service.CreateIndicium(Authenticator=rated.Authenticator, IntegratorTxID="zeep-scan", Rate=chosen)
        form = service.CreateManifest(
            Authenticator=bought.Authenticator,
            IntegratorTxID="zeep-form-1",
            TrackingNumbers={"string": [bought.TrackingNumber]},
            ShipDate=day,
            FromAddress=origin,
            ImageType="Pdf",
            PrintInstructions=False,
            ManifestType="ScanForm",
        )
        manifest = form.EndOfDayManifests.EndOfDayManifest[0]
        assert form.IntegratorTxID == "zeep-form-1"
        assert manifest.ManifestType == "ScanForm" and manifest.PickupCarrier == "Usps" and manifest.ManifestId
        assert session.get(manifest.ManifestUrl).content.startswith(b"%PDF-")
        listed = service.GetShipmentList(Authenticator=form.Authenticator, Filters={"PrintDateMin": day})
        items = getattr(listed.Shipments, {"v111": "ShipmentV32", "v135": "ShipmentV39"}[version])
        assert [(item.TrackingNumber, item.ScanFormId) for item in items] == [
            (bought.TrackingNumber, manifest.ManifestId)
        ]  # the shipment list names each label's form
        form = listed
        with pytest.raises(zeep.exceptions.Fault) as again:
            service.CreateManifest(
                Authenticator=form.Authenticator,
                StampsTxIds={"guid": [bought.StampsTxID]},
                FromAddress=origin,
                ImageType="Pdf",
                PrintInstructions=False,
            )
        detail = again.value.detail.findall(f"{{{FAULT_NS}}}sdcerror")
        assert [(d.get("code"), d.get("context")) for d in detail] == [("00450d02", bought.StampsTxID)]
