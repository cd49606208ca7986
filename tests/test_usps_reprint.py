"""USPS reprints (ReprintIndicium) through the One Balance, on SWSIM v135 and v111: the same label
again, in its format or another, charged nothing (the balance, the sandbox's ledger and the postage
history unchanged), refused for a voided label (before sending when the SDK knows, by the service
otherwise) and past its ship date. Every exchange is checked against the real WSDL of its version
(the ``wire_log`` fixture)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from carriers import Address, LabelSpec, Parcel, ShipmentRequest, Weight
from onebalance import (
    LabelFormatUnavailable,
    LabelNotFound,
    ReprintRefused,
    ValidationError,
)
from onebalance.carriers.usps import _mapping_reprints

from ._images import check_image
from ._soap import VERSIONS, build, read_request, read_response, swsim_schema
from ._usps import usps_merchant

ADA = Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118")
ACME = Address(name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701")
SHIPMENT = ShipmentRequest(
    shipper=ACME, recipient=ADA, parcels=[Parcel(weight=Weight("2", "lb"))], ship_date=date.today()
)


@pytest.fixture(params=["v135", "v111"])
def usps(request, sandbox):
    with usps_merchant(sandbox, "reprints", "Reprint-passw0rd", request.param) as (accounts, url):
        yield accounts, accounts.usps("m"), request.param, url


def _buy(client, key: str, spec: LabelSpec | None = None):
    rate = client.rates(SHIPMENT)[0]
    return client.buy(rate, SHIPMENT, idempotency_key=key, label_spec=spec)


def _is(data: bytes, kind: str) -> bool:
    check_image(kind, data)
    return True


def _sent(wire_log, op: str) -> list[bytes]:
    return [body for direction, name, body in wire_log if direction == "request" and name == op]


def test_a_reprint_is_the_same_label_in_another_format_and_charges_nothing(usps, sandbox, wire_log):
    accounts, client, version, _ = usps
    label = _buy(client, f"reprint-{version}")
    postage = accounts.postage("m")
    ledger = list(sandbox.ledger("reprints"))
    balance = sandbox.account("reprints").available_postage
    history = list(postage.history(date.today() - timedelta(days=1)))

    again = client.reprint(label, LabelSpec(format="ZPL"))

    assert (again.tracking_number, again.carrier_reference, again.cost) == (
        label.tracking_number,
        label.carrier_reference,
        label.cost,
    )
    assert (again.label_format, again.label_size) == ("ZPL", "4x6")
    assert _is(again.label_image, "ZPL") and again.label_image != label.label_image
    assert again.packages[0].label_image == again.label_image
    # the ledger is untouched: no entry, the same balance, the same postage history
    assert sandbox.ledger("reprints") == ledger
    assert sandbox.account("reprints").available_postage == balance
    assert list(postage.history(date.today() - timedelta(days=1))) == history
    same = client.reprint(label)  # its own format by default
    assert (same.label_format, same.label_size) == (label.label_format, label.label_size)
    assert len(sandbox.label("reprints", label.carrier_reference).reprints) == 2
    assert len(_sent(wire_log, "ReprintIndicium")) == 2


def test_a_reprint_by_tracking_number_describes_the_label(usps, sandbox):
    _, client, version, _ = usps
    label = _buy(client, f"by-number-{version}", LabelSpec(format="PDF", size="letter"))
    again = client.reprint(label.tracking_number, LabelSpec(format="PDF", size="letter"))
    assert (again.tracking_number, again.carrier_reference, again.service_code) == (
        label.tracking_number,
        label.carrier_reference,
        label.service_code,
    )
    assert again.cost == label.cost and again.label_size == "letter" and _is(again.label_image, "PDF")


def test_a_voided_label_is_refused_before_sending(usps, wire_log):
    _, client, version, _ = usps
    label = _buy(client, f"voided-{version}")
    client.void(label)
    with pytest.raises(ReprintRefused, match="voided"):
        client.reprint(label.model_copy(update={"voided": True}))
    assert _sent(wire_log, "ReprintIndicium") == []
    # the label object the caller holds may not know: the service refuses it
    with pytest.raises(ReprintRefused) as refused:
        client.reprint(label)
    assert refused.value.code == "002b0920"
    with pytest.raises(ReprintRefused):
        client.reprint(label.tracking_number)


def test_a_label_past_its_ship_date_is_refused_and_its_reprint_url_is_gone(usps, sandbox):
    _, client, version, _ = usps
    label = _buy(client, f"late-{version}")
    sandbox.clock.advance(timedelta(days=2))
    with pytest.raises(ReprintRefused) as refused:
        client.reprint(label)
    assert refused.value.code == "002b0921"


def test_an_unknown_label_and_bad_input(usps, wire_log):
    _, client, _, _ = usps
    with pytest.raises(LabelNotFound):
        client.reprint("9400100000000000000000")
    before = len(_sent(wire_log, "ReprintIndicium"))
    with pytest.raises(LabelFormatUnavailable):
        client.reprint("9400100000000000000000", LabelSpec(format="ZPL", size="letter"))
    with pytest.raises(ValidationError, match="tracking_number"):
        client.reprint("  ")
    assert len(_sent(wire_log, "ReprintIndicium")) == before


def test_a_reprint_url_serves_the_image_until_the_label_is_voided(usps, sandbox):
    """A client that does not ask for ReturnImageData gets the reprint's URL: its image, 410 once voided."""
    import requests

    _, client, version, url = usps
    label = _buy(client, f"url-{version}")
    schema = swsim_schema(version)
    op = schema.operations["ReprintIndicium"]
    payload = {
        "Credentials": {
            "IntegrationID": sandbox.create_demo_account().integration_id,
            "Username": "reprints",
            "Password": "Reprint-passw0rd",
        },
        **_mapping_reprints.reprint_request(label, LabelSpec(format="GIF")),
        "ReturnImageData": False,
    }
    reply = requests.post(
        url.replace("/swsim/swsimv135.asmx", VERSIONS[version].path),
        data=build(schema, op, payload, response=False),
        headers={"SOAPAction": f'"{op.soap_action}"', "Content-Type": "text/xml; charset=utf-8"},
        timeout=10,
    )
    answer = read_response(op, reply.content)
    assert answer["Url"].endswith("/1.gif") and "ImageData" not in answer
    image = requests.get(answer["Url"], timeout=10)
    assert image.status_code == 200 and _is(image.content, "GIF")
    assert requests.get(answer["Url"].replace("/1.gif", "/2.gif"), timeout=10).status_code == 404
    client.void(label)
    assert requests.get(answer["Url"], timeout=10).status_code == 410


def test_the_codec_wraps_reprint_bodies_in_their_wrapper_elements():
    schema = swsim_schema("v135")
    op = schema.operations["ReprintIndicium"]
    body = build(schema, op, {"Authenticator": "t", "TrackingNumber": "9400", **_REQUIRED}, response=False)
    assert b"<indiciumRequest><Authenticator>t</Authenticator>" in body
    _, decoded = read_request(schema, body, op.soap_action)
    assert decoded["Authenticator"] == "t" and decoded["TrackingNumber"] == "9400"


_REQUIRED = {"RotationDegrees": 0, "StartRow": 0, "StartColumn": 0}


def test_a_reprint_answered_with_a_url_is_fetched_from_it(usps, sandbox, monkeypatch):
    """Should the service answer with the Url and no ImageData, the image is fetched from the Url; a
    Url that fails says the reprint can be asked for again (it is free)."""
    from onebalance import TransportError

    _, client, version, _ = usps
    label = _buy(client, f"fetched-{version}")
    sent = client.proxy.call

    def without_image_data(operation, payload, **kw):
        return sent(operation, {**payload, "ReturnImageData": False}, **kw)

    monkeypatch.setattr(client.proxy, "call", without_image_data)
    again = client.reprint(label, LabelSpec(format="GIF"))
    assert again.label_format == "GIF" and _is(again.label_image, "GIF")
    monkeypatch.setattr(client.proxy, "fetch_image", lambda urls, tx: (_ for _ in ()).throw(TransportError("gone")))
    with pytest.raises(TransportError, match="reprint it again"):
        client.reprint(label)
