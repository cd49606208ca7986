"""Customs data on a shipment abroad: every refusal names its field by its full path before anything
is sent, and a shipment with customs (and a label with its documents) goes through JSON and back."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from carriers import (
    Carrier,
    CarrierAccountPayment,
    ContentsType,
    Customs,
    CustomsLine,
    DocumentKind,
    DutiesPayer,
    Label,
    Money,
    NonDelivery,
    ShipmentRequest,
    ShippingDocument,
    Weight,
)
from onebalance import InvalidAmount, ValidationError
from onebalance.shipments._label_codec import label_from_json, label_to_json
from onebalance.shipments._quote import bind, check_quote, purchase_fingerprint

from .test_carriers_models import rate, refused

EL_SEGUNDO = {"name": "Acme", "street_lines": ["1990 E Grand Ave"], "city": "El Segundo", "state": "CA",
              "postal_code": "90245"}  # fmt: skip
LONDON = {
    "name": "Ada",
    "street_lines": ["10 Downing St"],
    "city": "London",
    "postal_code": "SW1A 2AA",
    "country": "GB",
}
PARIS = {"name": "Marie", "street_lines": ["1 Rue de Rivoli"], "city": "Paris", "postal_code": "75001", "country": "FR"}
BERLIN = {"name": "Max", "street_lines": ["1 Unter den Linden"], "city": "Berlin", "postal_code": "10117",
          "country": "DE"}  # fmt: skip


def line(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "description": "Cotton T-shirt",
        "quantity": 2,
        "value": {"amount": "30.00"},
        "weight": {"value": "0.5", "unit": "kg"},
        "hs_tariff_number": "6109.10",
        "origin_country": "us",
    }
    return data | changes


def customs(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"contents_type": "merchandise", "lines": [line()], "invoice_total": {"amount": "30.00"}}
    return data | changes


def shipment(**changes: Any) -> ShipmentRequest:
    data: dict[str, Any] = {
        "shipper": EL_SEGUNDO,
        "recipient": LONDON,
        "parcels": [{"weight": {"value": 2}}],
        "ship_date": date(2030, 1, 2),
        "customs": customs(),
    }
    return ShipmentRequest.model_validate(data | changes)


def test_a_shipment_abroad_with_its_customs() -> None:
    abroad = shipment()
    assert abroad.is_international and abroad.needs_customs
    assert abroad.customs is not None
    first = abroad.customs.lines[0]
    assert first.hs_tariff_number == "610910" and first.origin_country == "US" and first.quantity == 2
    assert first.unit_value == Decimal("15.000000")
    thirds = CustomsLine(description="Pens", quantity=3, value=Money("10.00"), weight=Weight(1), origin_country="US")
    assert thirds.unit_value == Decimal("3.333333")
    assert abroad.customs.contents_type is ContentsType.MERCHANDISE
    assert abroad.customs.duties_payer is DutiesPayer.SENDER and abroad.customs.non_delivery is NonDelivery.RETURN
    assert abroad.customs.total_weight == Weight("0.5", "kg")
    built = Customs(
        contents_type=ContentsType.GIFT,
        lines=(
            CustomsLine(
                description="Book", quantity=1, value=Money("12.50", "EUR"), weight=Weight(1), origin_country="GB"
            ),
            CustomsLine(
                description="Mug", quantity=3, value=Money("7.50", "EUR"), weight=Weight(9, "oz"), origin_country="CN"
            ),
        ),
        invoice_total=Money("20.00", "EUR"),
        duties_payer="recipient",
        incoterm=" dap ",
        recipient_tax_id="de 123456789",
        non_delivery="abandon",
        contents_explanation="Birthday present",
        invoice_number="INV-1",
    )  # fmt: skip
    assert built.incoterm == "DAP" and built.recipient_tax_id == "DE123456789"
    assert shipment(recipient=BERLIN, customs=built).customs == built


def test_no_customs_where_none_is_crossed() -> None:
    domestic = shipment(recipient=EL_SEGUNDO | {"city": "Austin", "state": "TX", "postal_code": "78701"}, customs=None)
    assert not domestic.needs_customs
    san_juan = EL_SEGUNDO | {"city": "San Juan", "state": "PR", "postal_code": "00901", "country": "PR"}
    assert not shipment(recipient=san_juan, customs=None).needs_customs
    within_the_eu = shipment(shipper=PARIS, recipient=BERLIN, customs=None)
    assert within_the_eu.is_international and not within_the_eu.needs_customs
    # A domestic shipment may carry customs (USPS: APO/FPO/DPO and the freely associated states).
    apo = EL_SEGUNDO | {"street_lines": ["Unit 2050 Box 4190"], "city": "APO", "state": "AE", "postal_code": "09096"}
    assert shipment(recipient=apo).customs is not None


def test_a_shipment_abroad_without_customs_is_refused() -> None:
    error = refused(lambda: shipment(customs=None), "customs")
    assert "from US to GB" in str(error)
    refused(lambda: shipment(shipper=LONDON, recipient=EL_SEGUNDO, customs=None), "customs")


@pytest.mark.parametrize(
    ("changes", "field", "cls"),
    [
        ({"value": None}, "customs.lines.0.value", ValidationError),
        ({"value": {"amount": "-1.00"}}, "customs.lines.0.value", InvalidAmount),
        ({"quantity": 0}, "customs.lines.0.quantity", ValidationError),
        ({"quantity": 10000}, "customs.lines.0.quantity", ValidationError),
        ({"quantity": True}, "customs.lines.0.quantity", ValidationError),
        ({"quantity": 1.5}, "customs.lines.0.quantity", ValidationError),
        ({"description": "X"}, "customs.lines.0.description", ValidationError),
        ({"description": "  "}, "customs.lines.0.description", ValidationError),
        ({"description": "x" * 61}, "customs.lines.0.description", ValidationError),
        ({"description": "T-shirt\nsocks"}, "customs.lines.0.description", ValidationError),
        ({"hs_tariff_number": "6109"}, "customs.lines.0.hs_tariff_number", ValidationError),
        ({"hs_tariff_number": "61091000123"}, "customs.lines.0.hs_tariff_number", ValidationError),
        ({"hs_tariff_number": "6109.AB"}, "customs.lines.0.hs_tariff_number", ValidationError),
        ({"hs_tariff_number": "6109..10"}, "customs.lines.0.hs_tariff_number", ValidationError),
        ({"origin_country": "XX"}, "customs.lines.0.origin_country", ValidationError),
        ({"weight": None}, "customs.lines.0.weight", ValidationError),
    ],
)
def test_a_bad_line_is_refused(changes: dict[str, Any], field: str, cls: type[ValidationError]) -> None:
    refused(lambda: shipment(customs=customs(lines=[line(**changes)], invoice_total={"amount": "30.00"})), field, cls)


def test_a_line_without_a_value_or_weight_or_origin_is_refused() -> None:
    for name in ("value", "quantity", "description", "weight", "origin_country"):
        data = line()
        del data[name]
        refused(lambda data=data: shipment(customs=customs(lines=[data])), f"customs.lines.0.{name}")


@pytest.mark.parametrize(
    ("changes", "field", "cls"),
    [
        ({"lines": []}, "customs.lines", ValidationError),
        ({"lines": [line(value={"amount": "1.00"})] * 51, "invoice_total": {"amount": "51.00"}}, "customs.lines",
         ValidationError),
        ({"invoice_total": {"amount": "29.99"}}, "customs.invoice_total", InvalidAmount),
        ({"invoice_total": {"amount": "30.00", "currency": "EUR"}}, "customs.lines.0.value", ValidationError),
        ({"lines": [line(), line(value={"amount": "5.00", "currency": "EUR"})], "invoice_total": {"amount": "35.00"}},
         "customs.lines.1.value", ValidationError),
        ({"lines": [line(value={"amount": "0"})], "invoice_total": {"amount": "0"}}, "customs.lines.0.value",
         InvalidAmount),
        ({"contents_type": "jewels"}, "customs.contents_type", ValidationError),
        ({"incoterm": "XYZ"}, "customs.incoterm", ValidationError),
        ({"incoterm": "DDU"}, "customs.incoterm", ValidationError),
        ({"incoterm": "DAP"}, "customs.duties_payer", ValidationError),
        ({"incoterm": "DDP", "duties_payer": "recipient"}, "customs.duties_payer", ValidationError),
        ({"duties_payer": "nobody"}, "customs.duties_payer", ValidationError),
        ({"non_delivery": "burn"}, "customs.non_delivery", ValidationError),
        ({"sender_tax_id": "x" * 19}, "customs.sender_tax_id", ValidationError),
        ({"recipient_tax_id": "DE#123"}, "customs.recipient_tax_id", ValidationError),
        ({"invoice_number": "I" * 16}, "customs.invoice_number", ValidationError),
        ({"contents_explanation": "x" * 77}, "customs.contents_explanation", ValidationError),
        ({"surprise": 1}, "customs.surprise", ValidationError),
    ],
)  # fmt: skip
def test_bad_customs_are_refused(changes: dict[str, Any], field: str, cls: type[ValidationError]) -> None:
    refused(lambda: shipment(customs=customs(**changes)), field, cls)


def test_documents_may_declare_no_value_and_a_matching_incoterm_is_kept() -> None:
    papers = customs(contents_type="documents", lines=[line(value={"amount": "0"})], invoice_total={"amount": "0"})
    assert shipment(customs=papers).customs is not None
    ddp = shipment(customs=customs(incoterm="ddp")).customs
    assert ddp is not None and ddp.incoterm == "DDP" and ddp.duties_payer is DutiesPayer.SENDER
    dap = shipment(customs=customs(incoterm="DAP", duties_payer="recipient")).customs
    assert dap is not None and dap.duties_payer is DutiesPayer.RECIPIENT


def test_the_rules_of_the_destination_and_of_the_origin() -> None:
    # The lines cannot weigh more than the parcels.
    heavy = customs(lines=[line(weight={"value": 3, "unit": "lb"})])
    refused(lambda: shipment(customs=heavy), "customs.lines")
    # Merchandise into the EU needs every line's HS code; a gift does not, nor does the UK.
    no_hs = line(hs_tariff_number=None)
    refused(lambda: shipment(recipient=PARIS, customs=customs(lines=[no_hs])), "customs.lines.0.hs_tariff_number")
    refused(
        lambda: shipment(
            recipient=PARIS,
            parcels=[{"weight": {"value": 5}}],
            customs=customs(lines=[line(), no_hs], invoice_total={"amount": "60.00"}),
        ),
        "customs.lines.1.hs_tariff_number",
    )
    assert shipment(recipient=PARIS, customs=customs(contents_type="gift", lines=[no_hs])).customs is not None
    assert shipment(customs=customs(lines=[no_hs])).customs is not None
    assert shipment(shipper=PARIS, recipient=BERLIN, customs=customs(lines=[no_hs])).customs is not None
    # Merchandise exported from the EU or the UK needs the sender's EORI number.
    refused(lambda: shipment(shipper=PARIS, recipient=EL_SEGUNDO), "customs.sender_tax_id")
    refused(lambda: shipment(shipper=LONDON, recipient=PARIS, customs=customs(sender_tax_id="12345")),
            "customs.sender_tax_id")  # fmt: skip
    exported = shipment(shipper=LONDON, recipient=EL_SEGUNDO, customs=customs(sender_tax_id="GB123456789000"))
    assert exported.customs is not None and exported.customs.sender_tax_id == "GB123456789000"
    assert shipment(shipper=PARIS, recipient=EL_SEGUNDO, customs=customs(contents_type="gift")).customs is not None
    # Goods into Brazil need the recipient's CPF or CNPJ; documents do not.
    rio = {"name": "Ana", "street_lines": ["Av. Atlantica 1"], "city": "Rio de Janeiro", "postal_code": "22021001",
           "country": "BR"}  # fmt: skip
    refused(lambda: shipment(recipient=rio), "customs.recipient_tax_id")
    assert shipment(recipient=rio, customs=customs(recipient_tax_id="123.456.789-09")).customs is not None
    papers = customs(contents_type="documents", lines=[line(value={"amount": "0"})], invoice_total={"amount": "0"})
    assert shipment(recipient=rio, customs=papers).customs is not None


def test_a_standalone_customs_names_its_own_fields() -> None:
    refused(lambda: Customs.model_validate(customs(invoice_total={"amount": "1.00"})), "invoice_total", InvalidAmount)
    refused(lambda: CustomsLine.model_validate(line(quantity=0)), "quantity")


def test_a_shipment_with_customs_goes_through_json_and_back() -> None:
    abroad = shipment(customs=customs(incoterm="DDP", sender_tax_id="US12-3456789", invoice_number="A-1"))
    text = abroad.model_dump_json()
    assert json.loads(text)["customs"]["lines"][0]["value"] == {"amount": "30.00", "currency": "USD"}
    assert ShipmentRequest.model_validate_json(text) == abroad
    assert ShipmentRequest.model_validate(json.loads(text)) == abroad


def test_a_rate_is_not_bound_to_the_customs_but_the_purchase_is() -> None:
    quoted = shipment()
    (bound,) = bind([rate(carrier=Carrier.UPS, code="07")], quoted)
    corrected = shipment(customs=customs(lines=[line(description="Organic cotton T-shirt")]))
    check_quote(bound, corrected)  # a corrected description needs no new rate
    assert purchase_fingerprint(bound, corrected) != purchase_fingerprint(bound, quoted)
    domestic = shipment(recipient=EL_SEGUNDO | {"city": "Austin", "state": "TX", "postal_code": "78701"}, customs=None)
    assert "customs" not in domestic.model_dump(exclude_defaults=True)  # older fingerprints unchanged


# -- the documents that come back with a label --------------------------------------------------------


def label(**changes: Any) -> Label:
    data: dict[str, Any] = {
        "carrier": "ups",
        "tracking_number": "1ZA1B2C30300000001",
        "service_code": "07",
        "cost": Money("81.20"),
        "paid_by": CarrierAccountPayment(carrier="ups", account_number="A1B2C3"),
        "label_image": b"GIF89a label",
        "label_format": "GIF",
        "created_at": datetime(2030, 1, 2, tzinfo=timezone.utc),
    }
    return Label(**(data | changes))


INVOICE = ShippingDocument(kind=DocumentKind.COMMERCIAL_INVOICE, format="pdf", data=b"%PDF-1.7 \x00\xff invoice")


def test_a_label_keeps_the_documents_that_came_with_it() -> None:
    bought = label(documents=[INVOICE, {"kind": "customs_form", "format": "PNG", "data": b"\x89PNG form"}])
    assert [d.kind for d in bought.documents] == [DocumentKind.COMMERCIAL_INVOICE, DocumentKind.CUSTOMS_FORM]
    assert bought.documents[0].format == "PDF"
    assert "PDF-1.7" not in repr(INVOICE) and "data='<19 bytes>'" in repr(INVOICE)
    assert label().documents == ()
    refused(lambda: ShippingDocument(kind="receipt", format="PDF", data=b"x"), "kind")
    refused(lambda: ShippingDocument(kind="customs_form", format="P D F", data=b"x"), "format")
    refused(lambda: ShippingDocument(kind="customs_form", format="PDF", data=b""), "data")


def test_the_journal_form_keeps_the_documents_and_reads_rows_without_them() -> None:
    bought = label(documents=[INVOICE])
    assert label_from_json(label_to_json(bought)) == bought
    kept = json.loads(label_to_json(bought))["documents"]
    assert kept == [{"kind": "commercial_invoice", "format": "PDF", "data": "JVBERi0xLjcgAP8gaW52b2ljZQ=="}]
    plain = label()
    assert "documents" not in json.loads(label_to_json(plain))  # rows written before documents read the same
    assert label_from_json(label_to_json(plain)) == plain
    assert Decimal(json.loads(label_to_json(bought))["cost"]["amount"]) == Decimal("81.20")


def test_the_guide_s_customs_example_builds() -> None:
    """docs/shipping.md's example is valid as written (with the shipment's other parts given)."""
    page = (Path(__file__).resolve().parent.parent / "docs" / "shipping.md").read_text()
    section = page.split("\n## International shipments\n", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    namespace: dict[str, Any] = {
        "ShipmentRequest": ShipmentRequest,
        "shop": EL_SEGUNDO,
        "london": LONDON,
        "parcel": {"weight": {"value": 2}},
        "day": date(2030, 1, 2),
    }
    exec(compile(code, "<docs/shipping.md>", "exec"), namespace)  # the guide's own code
    assert namespace["shipment"].customs == namespace["customs"]
