"""UPS and FedEx abroad: services by destination, customs (UPS's international forms and duties billing,
FedEx's customs clearance detail), the commercial invoice kept on the label, and the refusals.

Every exchange goes through the ``ups`` and ``fedex`` fixtures of test_ups and test_fedex, which
validate each request and answer against the carriers' real OpenAPI specs in ../shared/specs.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from carriers import (
    Address,
    ContentsType,
    Customs,
    CustomsLine,
    DocumentKind,
    DutiesPayer,
    Money,
    Parcel,
    ShipmentRequest,
    Weight,
    cheapest,
)
from carriers.ups import UpsClient
from onebalance import Shipping, ValidationError

from . import test_fedex, test_ups
from ._images import check_image
from .test_fedex import Fedex
from .test_ups import SHIPPER, Ups

#: The fixtures: sandboxes whose every exchange is checked against the carriers' OpenAPI specs.
ups, fedex, exchanges = test_ups.ups, test_fedex.fedex, test_fedex.exchanges

LONDON = {"AddressLine": ["10 Downing St"], "City": "London", "PostalCode": "SW1A2AA", "CountryCode": "GB"}
TORONTO = {"AddressLine": ["1 Front St W"], "City": "Toronto", "StateProvinceCode": "ON", "PostalCode": "M5J2N1",
           "CountryCode": "CA"}  # fmt: skip
EL_SEGUNDO = {"AddressLine": ["1 Main St"], "City": "El Segundo", "StateProvinceCode": "CA", "PostalCode": "90245",
              "CountryCode": "US"}  # fmt: skip
AUSTIN = {"AddressLine": ["9 Elm St"], "City": "Austin", "StateProvinceCode": "TX", "PostalCode": "78701",
          "CountryCode": "US"}  # fmt: skip

POUNDS = {"UnitOfMeasurement": {"Code": "LBS", "Description": "Pounds"}, "Weight": "2.5"}


# -- UPS, on the wire ----------------------------------------------------------------------------------
def _ups_token(ups: Ups) -> dict[str, str]:
    client: UpsClient = ups.client()
    return {"Authorization": f"Bearer {client.proxy.token().access_token}", "transId": "t1", "transactionSrc": "test"}


def _ups_shipment(ship_to: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "Shipper": {"Name": "Acme", "ShipperNumber": SHIPPER, "Address": EL_SEGUNDO},
        "ShipTo": {"Name": "Jane Doe", "Address": ship_to},
        "ShipFrom": {"Name": "Acme", "Address": EL_SEGUNDO},
        **extra,
    }


def _ups_rate(ups: Ups, ship_to: dict[str, Any]) -> Any:
    shipment = _ups_shipment(
        ship_to,
        PaymentDetails={"ShipmentCharge": [{"Type": "01", "BillShipper": {"AccountNumber": SHIPPER}}]},
        Package=[{"PackagingType": {"Code": "02"}, "PackageWeight": POUNDS}],
    )
    body = {"RateRequest": {"Request": {"RequestOption": "Shop"}, "Shipment": shipment}}
    return ups.sandbox.handle("POST", "/api/rating/v2409/Shop", _ups_token(ups), json.dumps(body).encode())


def _ups_forms() -> dict[str, Any]:
    return {
        "FormType": ["01"],
        "Product": [
            {
                "Description": ["Cotton T-shirts"],
                "Unit": {"Number": "2", "Value": "15.00", "UnitOfMeasurement": {"Code": "PCS"}},
                "CommodityCode": "610910",
                "OriginCountryCode": "US",
            }
        ],
        "InvoiceNumber": "INV-1",
        "InvoiceDate": "20261123",
        "ReasonForExport": "SALE",
        "CurrencyCode": "USD",
    }


def _ups_ship(ups: Ups, ship_to: dict[str, Any], service: str, **changes: Any) -> Any:
    charges = [{"Type": "01", "BillShipper": {"AccountNumber": SHIPPER}}]
    shipment = _ups_shipment(
        ship_to,
        Description="Cotton T-shirts",
        PaymentInformation={"ShipmentCharge": charges},
        Service={"Code": service},
        Package=[{"Packaging": {"Code": "02"}, "PackageWeight": POUNDS}],
        ShipmentServiceOptions={"InternationalForms": _ups_forms()},
    )  # fmt: skip
    for key, value in changes.items():
        if value is None:
            shipment.pop(key, None)
        else:
            shipment[key] = value
    body = {
        "ShipmentRequest": {
            "Request": {"RequestOption": "nonvalidate"},
            "Shipment": shipment,
            "LabelSpecification": {
                "LabelImageFormat": {"Code": "GIF"},
                "LabelStockSize": {"Height": "6", "Width": "4"},
            },
        }
    }
    return ups.sandbox.handle("POST", "/api/shipments/v2409/ship", _ups_token(ups), json.dumps(body).encode())


def _codes(reply: Any) -> list[str]:
    return [rated["Service"]["Code"] for rated in reply.json()["RateResponse"]["RatedShipment"]]


def _ups_error(reply: Any) -> tuple[int, str, str]:
    error = reply.json()["response"]["errors"][0]
    return reply.status, error["code"], error["message"]


def test_ups_sandbox_rates_by_destination(ups: Ups) -> None:
    assert _codes(_ups_rate(ups, AUSTIN)) == ["03", "12", "02", "01"]
    assert _codes(_ups_rate(ups, LONDON)) == ["08", "65", "07", "54"]
    assert _codes(_ups_rate(ups, TORONTO)) == ["11", "08", "65", "07", "54"]  # UPS Standard to Canada


def test_ups_sandbox_refuses_ground_abroad_and_a_shipment_abroad_without_customs(ups: Ups) -> None:
    assert _ups_error(_ups_ship(ups, LONDON, "03"))[:2] == (400, "121210")
    status, code, message = _ups_error(_ups_ship(ups, LONDON, "07", ShipmentServiceOptions=None))
    assert (status, code) == (400, "120002") and "InternationalForms" in message
    assert "Description" in _ups_error(_ups_ship(ups, LONDON, "07", Description=None))[2]
    forms = _ups_forms()
    forms["Product"][0]["Unit"]["Value"] = "0"
    assert (
        "Unit Value"
        in _ups_error(_ups_ship(ups, LONDON, "07", ShipmentServiceOptions={"InternationalForms": forms}))[2]
    )
    assert "InvoiceLineTotal" in _ups_error(_ups_ship(ups, TORONTO, "11"))[2]  # US to Canada
    partial = {**_ups_forms(), "FormType": ["05"]}  # the partial invoice is for returns only
    assert (
        "returns only"
        in _ups_error(_ups_ship(ups, LONDON, "07", ShipmentServiceOptions={"InternationalForms": partial}))[2]
    )
    assert not ups.sandbox.shipments()


def test_ups_sandbox_bills_duties_abroad_only_to_the_shipper_or_a_named_receiver(ups: Ups) -> None:
    def charges(*duties: dict[str, Any]) -> dict[str, Any]:
        return {"ShipmentCharge": [{"Type": "01", "BillShipper": {"AccountNumber": SHIPPER}}, *duties]}

    sender = {"Type": "02", "BillShipper": {"AccountNumber": SHIPPER}}
    assert _ups_error(_ups_ship(ups, AUSTIN, "03", PaymentInformation=charges(sender)))[:2] == (400, "120414")
    other = {"Type": "02", "BillShipper": {"AccountNumber": "Z9Z9Z9"}}
    assert _ups_error(_ups_ship(ups, LONDON, "07", PaymentInformation=charges(other)))[:2] == (400, "111580")
    reply = _ups_ship(ups, LONDON, "07", PaymentInformation=charges(sender))
    assert reply.status == 200
    form = reply.json()["ShipmentResponse"]["ShipmentResults"]["Form"]
    assert form["Code"] == "01" and form["Image"]["ImageFormat"]["Code"] == "PDF"
    receiver = {"Type": "02", "BillReceiver": {"AccountNumber": "R1R2R3"}}
    assert _ups_ship(ups, LONDON, "65", PaymentInformation=charges(receiver)).status == 200
    assert _ups_ship(ups, AUSTIN, "03").status == 200  # forms inside the US: ignored, no Form back
    assert len(ups.sandbox.shipments()) == 3


# -- FedEx, on the wire ----------------------------------------------------------------------------------
def _fedex_party(address: dict[str, Any]) -> dict[str, Any]:
    wire = {"streetLines": address["AddressLine"], "city": address["City"], "countryCode": address["CountryCode"],
            "postalCode": address["PostalCode"]}  # fmt: skip
    if "StateProvinceCode" in address:
        wire["stateOrProvinceCode"] = address["StateProvinceCode"]
    return {"address": wire, "contact": {"personName": "Jane Doe", "phoneNumber": "2175550100"}}


def _fedex_customs(fedex: Fedex, **changes: Any) -> dict[str, Any]:
    customs: dict[str, Any] = {
        "commercialInvoice": {"shipmentPurpose": "SOLD"},
        "dutiesPayment": {"paymentType": "SENDER"},
        "commodities": [
            {
                "description": "Cotton T-shirts",
                "countryOfManufacture": "US",
                "quantity": 2,
                "quantityUnits": "PCS",
                "customsValue": {"amount": 30.0, "currency": "USD"},
                "weight": {"units": "KG", "value": 0.5},
                "harmonizedCode": "610910",
            }
        ],
        "totalCustomsValue": {"amount": 30.0, "currency": "USD"},
    }
    customs.update(changes)
    return customs


def _fedex_call(fedex: Fedex, path: str, payload: dict[str, Any]) -> Any:
    token = fedex.client.proxy.token().access_token
    headers = {"Authorization": f"Bearer {token}"}
    return fedex.sandbox.handle("POST", path, headers, json.dumps(payload).encode())


def _fedex_rate(fedex: Fedex, to: dict[str, Any], customs: dict[str, Any] | None, service: str | None = None) -> Any:
    requested: dict[str, Any] = {
        "shipper": {"address": _fedex_party(EL_SEGUNDO)["address"]},
        "recipient": {"address": _fedex_party(to)["address"]},
        "pickupType": "DROPOFF_AT_FEDEX_LOCATION",
        "requestedPackageLineItems": [{"weight": {"units": "KG", "value": 1.2}}],
    }
    if customs is not None:
        requested["customsClearanceDetail"] = customs
    if service is not None:
        requested["serviceType"] = service
    payload = {"accountNumber": {"value": fedex.creds.account_number}, "requestedShipment": requested}
    return _fedex_call(fedex, "/rate/v1/rates/quotes", payload)


def _fedex_ship(fedex: Fedex, to: dict[str, Any], service: str, customs: dict[str, Any] | None) -> Any:
    requested: dict[str, Any] = {
        "pickupType": "DROPOFF_AT_FEDEX_LOCATION",
        "serviceType": service,
        "packagingType": "YOUR_PACKAGING",
        "totalWeight": 2.7,
        "shipper": _fedex_party(EL_SEGUNDO),
        "recipients": [_fedex_party(to)],
        "shippingChargesPayment": {"paymentType": "SENDER"},
        "labelSpecification": {"imageType": "PDF", "labelStockType": "PAPER_4X6"},
        "shippingDocumentSpecification": {
            "shippingDocumentTypes": ["COMMERCIAL_INVOICE"],
            "commercialInvoiceDetail": {"documentFormat": {"docType": "PDF", "stockType": "PAPER_LETTER"}},
        },
        "requestedPackageLineItems": [{"sequenceNumber": 1, "weight": {"units": "KG", "value": 1.2}}],
    }
    if customs is not None:
        requested["customsClearanceDetail"] = customs
    payload = {"accountNumber": {"value": fedex.creds.account_number}, "labelResponseOptions": "LABEL",
               "requestedShipment": requested}  # fmt: skip
    return _fedex_call(fedex, "/ship/v1/shipments", payload)


def _fedex_error(reply: Any) -> tuple[int, str]:
    return reply.status, reply.json()["errors"][0]["code"]


def test_fedex_sandbox_rates_by_destination_and_wants_commodities_abroad(fedex: Fedex) -> None:
    def services(reply: Any) -> list[str]:
        assert reply.status == 200, reply.json()
        return [d["serviceType"] for d in reply.json()["output"]["rateReplyDetails"]]

    assert services(_fedex_rate(fedex, AUSTIN, None)) == ["FEDEX_GROUND", "FEDEX_2_DAY", "STANDARD_OVERNIGHT",
                                                          "PRIORITY_OVERNIGHT"]  # fmt: skip
    assert services(_fedex_rate(fedex, LONDON, _fedex_customs(fedex))) == [
        "INTERNATIONAL_ECONOMY",
        "FEDEX_INTERNATIONAL_PRIORITY",
    ]
    assert services(_fedex_rate(fedex, TORONTO, _fedex_customs(fedex)))[0] == "FEDEX_GROUND"  # International Ground
    assert _fedex_error(_fedex_rate(fedex, LONDON, None)) == (400, "RATE.CUSTOMCLEARANCEDETAIL.INVALID")
    assert _fedex_error(_fedex_rate(fedex, LONDON, _fedex_customs(fedex), "FEDEX_2_DAY")) == (
        400,
        "SERVICE.TYPE.INVALID",
    )


def test_fedex_sandbox_checks_customs_abroad_and_returns_the_commercial_invoice(fedex: Fedex) -> None:
    assert _fedex_error(_fedex_ship(fedex, LONDON, "FEDEX_GROUND", _fedex_customs(fedex))) == (
        400,
        "SERVICE.TYPE.INVALID",
    )
    assert _fedex_error(_fedex_ship(fedex, LONDON, "INTERNATIONAL_ECONOMY", None)) == (
        400,
        "SHIPMENT.CUSTOMCLEARANCEDETAIL.INVALID",
    )
    bad_total = _fedex_customs(fedex, totalCustomsValue={"amount": 31.0, "currency": "USD"})
    assert (
        _fedex_error(_fedex_ship(fedex, LONDON, "INTERNATIONAL_ECONOMY", bad_total))[1] == "TOTALCUSTOMSVALUE.INVALID"
    )
    other = {"paymentType": "SENDER", "payor": {"responsibleParty": {"accountNumber": {"value": "999999999"}}}}
    mismatch = _fedex_customs(fedex, dutiesPayment=other)
    assert _fedex_error(_fedex_ship(fedex, LONDON, "INTERNATIONAL_ECONOMY", mismatch))[1] == "ACCOUNT.NUMBER.MISMATCH"
    pounds = _fedex_customs(fedex)
    pounds["commodities"] = copy.deepcopy(pounds["commodities"])
    pounds["commodities"][0]["description"] = ""
    assert (
        _fedex_error(_fedex_ship(fedex, LONDON, "INTERNATIONAL_ECONOMY", pounds))[1] == "COMMODITY.DESCRIPTION.REQUIRED"
    )
    assert not fedex.sandbox.shipments()
    recipient = _fedex_customs(fedex, dutiesPayment={"paymentType": "RECIPIENT"})
    reply = _fedex_ship(fedex, LONDON, "FEDEX_INTERNATIONAL_PRIORITY", recipient)
    assert reply.status == 200, reply.json()
    (shipment,) = reply.json()["output"]["transactionShipments"]
    (invoice,) = shipment["shipmentDocuments"]
    assert invoice["contentType"] == "COMMERCIAL_INVOICE" and invoice["docType"] == "PDF"


# -- through the SDK -------------------------------------------------------------------------------------
SHIPPER_ADDRESS = Address(name="Ann Shipper", company="Acme", street_lines="1 Main St", city="El Segundo", state="CA",
                          postal_code="90245", phone="3105550100")  # fmt: skip
LONDON_ADDRESS = Address(name="Jane Doe", street_lines="10 Downing St", city="London", postal_code="SW1A 2AA",
                         country="GB", phone="442079460000")  # fmt: skip
TORONTO_ADDRESS = Address(name="Joe Roe", street_lines="1 Front St W", city="Toronto", state="ON",
                          postal_code="M5J 2N1", country="CA", phone="4165550100")  # fmt: skip


def abroad(
    recipient: Address = LONDON_ADDRESS,
    duties: DutiesPayer = DutiesPayer.SENDER,
    contents: ContentsType = ContentsType.MERCHANDISE,
    **changes: Any,
) -> ShipmentRequest:
    value = Money("0" if contents is ContentsType.DOCUMENTS else "30.00", "USD")
    line = CustomsLine(description="Cotton T-shirts", quantity=2, value=value, weight=Weight("1", "lb"),
                       hs_tariff_number="6109.10", origin_country="US")  # fmt: skip
    customs = Customs(contents_type=contents, lines=[line], invoice_total=value, duties_payer=duties,
                      invoice_number="INV-1042", recipient_tax_id="GB123456789")  # fmt: skip
    data: dict[str, Any] = {
        "shipper": SHIPPER_ADDRESS,
        "recipient": recipient,
        "parcels": [Parcel(weight=Weight("2.5", "lb"))],
        "ship_date": date.today(),
        "customs": customs,
        **changes,
    }
    return ShipmentRequest(**data)


def _sent_ups_ship(ups: Ups) -> dict[str, Any]:
    bodies = [e.body for e in ups.exchanges if e.method == "POST" and e.target.endswith("/ship")]
    return json.loads(bodies[-1])["ShipmentRequest"]["Shipment"]  # type: ignore[no-any-return]


def _check_invoice(label: Any) -> None:
    (document,) = label.documents
    assert document.kind is DocumentKind.COMMERCIAL_INVOICE and document.format == "PDF"
    check_image("PDF", document.data)


def test_ups_sells_worldwide_services_abroad_and_keeps_the_invoice(ups: Ups) -> None:
    client = ups.client()
    rates = client.rates(abroad())
    assert {r.service_code for r in rates} == {"08", "65", "07", "54"}
    label = client.buy(cheapest(rates), abroad(), "intl-1")
    _check_invoice(label)
    sent = _sent_ups_ship(ups)
    assert sent["Description"] == "Cotton T-shirts" and sent["ShipTo"]["TaxIdentificationNumber"] == "GB123456789"
    forms = sent["ShipmentServiceOptions"]["InternationalForms"]
    assert forms["FormType"] == ["01"] and forms["InvoiceNumber"] == "INV-1042" and forms["ReasonForExport"] == "SALE"
    (product,) = forms["Product"]
    assert product["Unit"]["Number"] == "2" and product["Unit"]["Value"] == "15"
    assert product["CommodityCode"] == "610910" and product["OriginCountryCode"] == "US"
    duties = [c for c in sent["PaymentInformation"]["ShipmentCharge"] if c["Type"] == "02"]
    assert duties == [{"Type": "02", "BillShipper": {"AccountNumber": SHIPPER}}]  # the sender pays (DDP)


def test_ups_recipient_pays_duties_and_documents_go_without_invoice(ups: Ups) -> None:
    client = ups.client()
    shipment = abroad(duties=DutiesPayer.RECIPIENT)
    client.buy(cheapest(client.rates(shipment)), shipment, "intl-2")
    assert [c["Type"] for c in _sent_ups_ship(ups)["PaymentInformation"]["ShipmentCharge"]] == ["01"]
    papers = abroad(contents=ContentsType.DOCUMENTS)
    label = client.buy(cheapest(client.rates(papers)), papers, "intl-3")
    sent = _sent_ups_ship(ups)
    assert "DocumentsOnlyIndicator" in sent and "ShipmentServiceOptions" not in sent and label.documents == ()


def test_ups_standard_to_canada_carries_the_invoice_total(ups: Ups) -> None:
    client = ups.client()
    shipment = abroad(TORONTO_ADDRESS)
    rates = client.rates(shipment)
    assert "11" in {r.service_code for r in rates}
    label = client.buy(next(r for r in rates if r.service_code == "11"), shipment, "intl-4")
    _check_invoice(label)
    assert _sent_ups_ship(ups)["InvoiceLineTotal"] == {"CurrencyCode": "USD", "MonetaryValue": "30"}


def test_ups_refuses_domestic_services_abroad_and_labels_without_customs_before_sending(ups: Ups) -> None:
    client = ups.client()
    with pytest.raises(ValidationError) as caught:
        client.rates(abroad(service="03"))
    assert caught.value.field == "service" and caught.value.source is None
    domestic = ShipmentRequest(shipper=SHIPPER_ADDRESS, recipient=SHIPPER_ADDRESS.model_copy(update={"city": "Irvine"}),
                               parcels=[Parcel(weight=Weight("2.5", "lb"))], ship_date=date.today())  # fmt: skip
    ground = next(r for r in client.rates(domestic) if r.service_code == "03").model_copy(update={"quoted_for": None})
    with pytest.raises(ValidationError) as caught:
        client.buy(ground, abroad(), "intl-5")
    assert caught.value.field == "rate" and "only inside the US" in str(caught.value)
    worldwide = client.rates(abroad())[0].model_copy(update={"quoted_for": None})
    with pytest.raises(ValidationError) as caught:
        client.buy(worldwide, abroad().model_copy(update={"customs": None}), "intl-6")
    assert caught.value.field == "customs"
    assert not [e for e in ups.exchanges if e.target.endswith("/ship")]


def _sent_fedex(fedex: Fedex, operation: str) -> dict[str, Any]:
    bodies = [b for d, op, _, b in fedex.seen.log if d == "request" and op == operation]
    return bodies[-1]["requestedShipment"]  # type: ignore[no-any-return]


def test_fedex_sells_international_services_abroad_and_keeps_the_invoice(fedex: Fedex) -> None:
    rates = fedex.client.rates(abroad())
    assert {r.service_code for r in rates} == {"INTERNATIONAL_ECONOMY", "FEDEX_INTERNATIONAL_PRIORITY"}
    assert _sent_fedex(fedex, "POST /rate/v1/rates/quotes")["customsClearanceDetail"]["commodities"]
    label = fedex.client.buy(cheapest(rates), abroad(), "intl-1")
    _check_invoice(label)
    sent = _sent_fedex(fedex, "POST /ship/v1/shipments")
    customs = sent["customsClearanceDetail"]
    assert customs["dutiesPayment"]["paymentType"] == "SENDER"
    assert customs["dutiesPayment"]["payor"]["responsibleParty"]["accountNumber"]["value"] == fedex.creds.account_number
    assert customs["totalCustomsValue"] == {"amount": 30.0, "currency": "USD"}
    (commodity,) = customs["commodities"]
    assert commodity["harmonizedCode"] == "610910" and commodity["weight"] == {"units": "KG", "value": 0.5}
    assert sent["requestedPackageLineItems"][0]["weight"]["units"] == "KG"
    assert sent["recipients"][0]["tins"][0]["number"] == "GB123456789"
    assert sent["shippingDocumentSpecification"]["shippingDocumentTypes"] == ["COMMERCIAL_INVOICE"]


def test_fedex_recipient_pays_duties_and_ground_goes_to_canada(fedex: Fedex) -> None:
    shipment = abroad(duties=DutiesPayer.RECIPIENT)
    fedex.client.buy(cheapest(fedex.client.rates(shipment)), shipment, "intl-2")
    assert _sent_fedex(fedex, "POST /ship/v1/shipments")["customsClearanceDetail"]["dutiesPayment"] == {
        "paymentType": "RECIPIENT"
    }
    canada = abroad(TORONTO_ADDRESS)
    ground = next(r for r in fedex.client.rates(canada) if r.service_code == "FEDEX_GROUND")
    _check_invoice(fedex.client.buy(ground, canada, "intl-3"))


def test_fedex_refuses_domestic_services_abroad_and_shipments_without_customs_before_sending(fedex: Fedex) -> None:
    with pytest.raises(ValidationError) as caught:
        fedex.client.rates(abroad(service="FEDEX_2_DAY"))
    assert caught.value.field == "service" and caught.value.source is None
    with pytest.raises(ValidationError) as caught:
        fedex.client.rates(abroad().model_copy(update={"customs": None}))
    assert caught.value.field == "customs"
    assert not fedex.seen.log


@pytest.mark.parametrize(("ups", "fedex"), [("in_process", "mock")], indirect=True)  # one mock serves both
def test_the_rate_shop_offers_international_services_abroad(ups: Ups, fedex: Fedex) -> None:
    shop = Shipping(ups=ups.client(), fedex=fedex.client).rates(abroad())
    assert not shop.errors
    assert {(r.carrier.value, r.service_code) for r in shop.rates} == {
        ("ups", "08"), ("ups", "65"), ("ups", "07"), ("ups", "54"),
        ("fedex", "INTERNATIONAL_ECONOMY"), ("fedex", "FEDEX_INTERNATIONAL_PRIORITY"),
    }  # fmt: skip


def test_ups_between_two_eu_countries_needs_no_customs(ups: Ups) -> None:
    berlin = Address(name="Acme GmbH", street_lines="Unter den Linden 1", city="Berlin", postal_code="10117",
                     country="DE", phone="49301234567")  # fmt: skip
    paris = Address(name="Jean Dupont", street_lines="1 Rue de Rivoli", city="Paris", postal_code="75001",
                    country="FR", phone="33123456789")  # fmt: skip
    shipment = ShipmentRequest(shipper=berlin, recipient=paris, parcels=[Parcel(weight=Weight("1", "kg"))],
                               ship_date=date.today())  # fmt: skip
    client = ups.client()
    label = client.buy(cheapest(client.rates(shipment)), shipment, "eu-1")
    sent = _sent_ups_ship(ups)
    assert "ShipmentServiceOptions" not in sent and label.documents == ()
    assert [c["Type"] for c in sent["PaymentInformation"]["ShipmentCharge"]] == ["01"]


def test_ups_return_from_abroad_takes_the_partial_invoice(ups: Ups) -> None:
    line = CustomsLine(description="Cotton T-shirts", quantity=2, value=Money("30.00"), weight=Weight("1", "lb"),
                       origin_country="US")  # fmt: skip
    customs = Customs(contents_type=ContentsType.RETURN, lines=[line], invoice_total=Money("30.00"))
    returned = ShipmentRequest(shipper=LONDON_ADDRESS, recipient=SHIPPER_ADDRESS, is_return=True, customs=customs,
                               parcels=[Parcel(weight=Weight("2.5", "lb"))], ship_date=date.today())  # fmt: skip
    client = ups.client()
    rates = client.rates(returned)
    assert {r.service_code for r in rates} == {"08", "65", "07", "54"}  # priced from the customer abroad
    label = client.buy(cheapest(rates), returned, "return-1")
    assert label.is_return
    _check_invoice(label)
    forms = _sent_ups_ship(ups)["ShipmentServiceOptions"]["InternationalForms"]
    assert forms["FormType"] == ["05"] and forms["ReasonForExport"] == "RETURN"


def test_fedex_return_from_abroad_carries_its_customs(fedex: Fedex) -> None:
    line = CustomsLine(description="Cotton T-shirts", quantity=2, value=Money("30.00"), weight=Weight("1", "lb"),
                       origin_country="US")  # fmt: skip
    customs = Customs(contents_type=ContentsType.RETURN, lines=[line], invoice_total=Money("30.00"))
    returned = ShipmentRequest(shipper=LONDON_ADDRESS, recipient=SHIPPER_ADDRESS, is_return=True, customs=customs,
                               parcels=[Parcel(weight=Weight("2.5", "lb"))], ship_date=date.today())  # fmt: skip
    rates = fedex.client.rates(returned)
    assert {r.service_code for r in rates} == {"INTERNATIONAL_ECONOMY", "FEDEX_INTERNATIONAL_PRIORITY"}
    label = fedex.client.buy(cheapest(rates), returned, "return-1")
    assert label.is_return
    _check_invoice(label)
    invoice = _sent_fedex(fedex, "POST /ship/v1/shipments")["customsClearanceDetail"]["commercialInvoice"]
    assert invoice["shipmentPurpose"] == "REPAIR_AND_RETURN"


def test_ups_serves_follows_its_rule_for_every_service_and_route() -> None:
    """``serves`` (tested by service code first) says what the rule says: abroad, no domestic-only
    service; inside the US and its territories, no worldwide one; inside France, any."""
    from onebalance.carriers.ups import _mapping_international as ups_international

    berlin = Address(name="Acme GmbH", street_lines="Unter den Linden 1", city="Berlin", postal_code="10117",
                     country="DE", phone="49301234567")  # fmt: skip
    paris = Address(name="Jean Dupont", street_lines="1 Rue de Rivoli", city="Paris", postal_code="75001",
                    country="FR", phone="33123456789")  # fmt: skip
    san_juan = Address(name="Ana Ruiz", street_lines="1 Calle Luna", city="San Juan", state="PR", postal_code="00901",
                       phone="7875550100")  # fmt: skip
    sent: dict[str, Any] = {"parcels": [Parcel(weight=Weight("1", "kg"))], "ship_date": date.today()}
    routes = [
        ShipmentRequest(shipper=SHIPPER_ADDRESS, recipient=san_juan, **sent),
        ShipmentRequest(shipper=berlin, recipient=paris, **sent),
        ShipmentRequest(shipper=paris, recipient=paris.model_copy(update={"name": "Anne"}), **sent),
        abroad(),
        abroad(TORONTO_ADDRESS),
    ]
    codes = sorted(ups_international.DOMESTIC_SERVICES | ups_international.INTERNATIONAL_SERVICES | {"99"})
    for shipment in routes:
        for code in codes:
            if shipment.is_international:
                expected = code not in ups_international.DOMESTIC_SERVICES
            elif shipment.shipper.uses_zip_codes:
                expected = code not in ups_international.INTERNATIONAL_SERVICES
            else:
                expected = True
            assert ups_international.serves(shipment, code) is expected, (shipment.recipient.country, code)
