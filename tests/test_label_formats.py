"""Label formats and sizes through the router: chosen once on ``Accounts.shipping`` (or ``Shipping``),
per purchase on ``Shipping.buy``, mapped per carrier; a format or size a carrier does not print is
refused before anything is sent, and every label image decodes as the format it claims.

The wire of each format is checked against the real contracts in test_usps_mapping.py (both SWSIM
versions), test_ups.py and test_fedex.py (every exchange validated against the OpenAPI specs).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import responses

from carriers import Address, Carrier, LabelSpec, Parcel, ShipmentRequest, Weight
from onebalance import Accounts, InMemoryCredentialStore, LabelFormatUnavailable, Shipping, ValidationError
from onebalance.carriers.fedex._mapping import LABEL_FORMATS as FEDEX_FORMATS
from onebalance.carriers.ups._mapping import LABEL_FORMATS as UPS_FORMATS
from onebalance.carriers.usps._codes import LABEL_FORMATS as USPS_FORMATS
from onebalance.sandbox import Sandbox
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox
from onebalance.shipments import choose

from ._images import check_image

SHIPPER = Address(
    name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701", phone="5125550100"
)
RECIPIENT = Address(
    name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118", phone="2125550100"
)
SHIPMENT = ShipmentRequest(
    shipper=SHIPPER, recipient=RECIPIENT, parcels=[Parcel(weight=Weight("2", "lb"))], ship_date=date.today()
)
LETTER_PAGE = b"/MediaBox [0 0 612 792]"


class Merchant:
    def __init__(self, accounts: Accounts, sandbox: Sandbox, ups: UpsSandbox, fedex: FedexSandbox) -> None:
        self.accounts, self.sandbox, self.ups, self.fedex = accounts, sandbox, ups, fedex

    def shipping(self, **defaults: Any) -> Shipping:
        return self.accounts.shipping("m", **defaults)

    def rate(self, shipping: Shipping, carrier: Carrier) -> Any:
        return min((r for r in shipping.rates(SHIPMENT).rates if r.carrier is carrier), key=lambda r: r.total.amount)


@pytest.fixture
def merchant(sandbox: Sandbox) -> Iterator[Merchant]:
    sandbox.create_account("fmt-m", "Fmt-m-passw0rd", balance="100.00")
    ups, fedex = UpsSandbox(), FedexSandbox()
    ups.create_account("ups-id", "ups-secret", ["A1B2C3"])
    fedex.create_account("fx-id", "fx-secret", "700000001")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        url, ups_url, fedex_url = sandbox.mount(mock), ups.mount(mock), fedex.mount(mock)
        accounts = Accounts(
            integration_id=sandbox.create_demo_account().integration_id, endpoint=url, store=InMemoryCredentialStore()
        )
        accounts.connect("m", username="fmt-m", password="Fmt-m-passw0rd")
        accounts.connect_ups("m", client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3",
                             base_url=ups_url)  # fmt: skip
        accounts.connect_fedex("m", client_id="fx-id", client_secret="fx-secret", account_number="700000001",
                               base_url=fedex_url)  # fmt: skip
        yield Merchant(accounts, sandbox, ups, fedex)


def test_each_carriers_default_is_kept_when_nothing_is_asked(merchant: Merchant) -> None:
    shipping = merchant.shipping()
    assert shipping.label_spec is None
    expected = {Carrier.USPS: "PNG", Carrier.UPS: "GIF", Carrier.FEDEX: "PNG"}
    for carrier, label_format in expected.items():
        label = shipping.buy(merchant.rate(shipping, carrier), SHIPMENT, idempotency_key=f"default-{carrier.value}")
        assert (label.label_format, label.label_size) == (label_format, "4x6")
        check_image(label.label_format, label.label_image)


@pytest.mark.parametrize("label_format", ["ZPL", "EPL"])
def test_a_thermal_format_chosen_once_on_accounts_shipping_reaches_every_carrier(
    merchant: Merchant, label_format: str
) -> None:
    shipping = merchant.shipping(label_format=label_format.lower(), label_size="4X6")
    assert shipping.label_spec == LabelSpec(format=label_format, size="4x6")
    for carrier in (Carrier.USPS, Carrier.UPS, Carrier.FEDEX):
        label = shipping.buy(merchant.rate(shipping, carrier), SHIPMENT, idempotency_key=f"thermal-{carrier.value}")
        assert (label.carrier, label.label_format, label.label_size) == (carrier, label_format, "4x6")
        check_image(label.label_format, label.label_image)
        assert all(p.label_image == label.label_image for p in label.packages)


def test_a_purchase_overrides_the_routers_default_field_by_field(merchant: Merchant) -> None:
    shipping = merchant.shipping(label_format=LabelSpec(format="PDF", size="letter"))
    usps = shipping.buy(merchant.rate(shipping, Carrier.USPS), SHIPMENT, idempotency_key="sheet-usps")
    fedex = shipping.buy(merchant.rate(shipping, Carrier.FEDEX), SHIPMENT, idempotency_key="sheet-fedex")
    for label in (usps, fedex):
        assert (label.label_format, label.label_size) == ("PDF", "letter")
        check_image("PDF", label.label_image)
        assert LETTER_PAGE in label.label_image  # a letter page, not a 4x6 one
    small = shipping.buy(merchant.rate(shipping, Carrier.FEDEX), SHIPMENT, idempotency_key="small", label_size="4x6")
    assert (small.label_format, small.label_size) == ("PDF", "4x6") and LETTER_PAGE not in small.label_image
    ups = shipping.buy(
        merchant.rate(shipping, Carrier.UPS),
        SHIPMENT,
        idempotency_key="sheet-ups",
        label_format="GIF",
        label_size="4x6",
    )
    assert (ups.label_format, ups.label_size) == ("GIF", "4x6")
    check_image("GIF", ups.label_image)


@pytest.mark.parametrize(
    ("carrier", "label_format", "label_size", "field"),
    [
        (Carrier.UPS, "PDF", None, "label_format"),
        (Carrier.UPS, "GIF", "letter", "label_size"),
        (Carrier.FEDEX, "GIF", None, "label_format"),
        (Carrier.FEDEX, "ZPL", "letter", "label_size"),
        (Carrier.USPS, "EPL", "letter", "label_size"),
    ],
)
def test_a_format_a_carrier_does_not_print_is_refused_before_anything_is_sent_and_frees_the_key(
    merchant: Merchant, carrier: Carrier, label_format: str, label_size: str | None, field: str
) -> None:
    shipping = merchant.shipping()
    rate = merchant.rate(shipping, carrier)
    with pytest.raises(LabelFormatUnavailable) as refused:
        shipping.buy(rate, SHIPMENT, idempotency_key="k-1", label_format=label_format, label_size=label_size)
    error = refused.value
    assert isinstance(error, ValidationError) and error.field == field and error.carrier is carrier
    assert (error.label_format, error.label_size) == (label_format, label_size or "4x6")
    assert carrier.display_name in str(error) and all(isinstance(o, LabelSpec) for o in error.offered)
    assert not merchant.ups.shipments() and not merchant.fedex.shipments() and not merchant.sandbox.labels("fmt-m")
    assert merchant.sandbox.account("fmt-m").available_postage == Decimal("100.00")
    # Nothing was bought: the key is free for the purchase in a format the carrier prints.
    label = shipping.buy(rate, SHIPMENT, idempotency_key="k-1")
    assert label.carrier is carrier


def test_a_key_bought_before_returns_its_label_as_it_was_printed(merchant: Merchant) -> None:
    shipping = merchant.shipping()
    rate = merchant.rate(shipping, Carrier.USPS)
    first = shipping.buy(rate, SHIPMENT, idempotency_key="once", label_format="ZPL")
    again = shipping.buy(rate, SHIPMENT, idempotency_key="once", label_format="PDF")
    assert again.tracking_number == first.tracking_number and again.label_format == "ZPL"
    assert len(merchant.sandbox.labels("fmt-m")) == 1


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"label_format": "TIFF"}, "label_format"),
        ({"label_size": "a4"}, "label_size"),
        ({"label_format": 7}, "label_format"),
    ],
)
def test_a_format_or_size_no_carrier_knows_is_a_validation_error(
    merchant: Merchant, spec: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as at_router:
        merchant.shipping(**spec)
    assert at_router.value.field == field
    shipping = merchant.shipping()
    with pytest.raises(ValidationError) as at_buy:
        shipping.buy(merchant.rate(shipping, Carrier.USPS), SHIPMENT, idempotency_key="bad", **spec)
    assert at_buy.value.field == field and not merchant.sandbox.labels("fmt-m")


@pytest.mark.parametrize(
    ("label_format", "size"),
    [("PNG", "4x6"), ("PNG", "letter"), ("PDF", "4x6"), ("PDF", "letter"), ("GIF", "4x6"), ("GIF", "letter"),
     ("ZPL", "4x6"), ("EPL", "4x6")],
)  # fmt: skip
def test_every_usps_format_and_size_decodes_as_it_claims(merchant: Merchant, label_format: str, size: str) -> None:
    usps = merchant.accounts.usps("m")
    rate = next(r for r in usps.rates(SHIPMENT) if r.service_code == "US-PM")
    label = usps.buy(rate, SHIPMENT, idempotency_key=f"{label_format}-{size}", label_spec=LabelSpec(format=label_format,
                     size=size))  # fmt: skip
    assert (label.label_format, label.label_size) == (label_format, size)
    check_image(label.label_format, label.label_image)
    assert (LETTER_PAGE in label.label_image) == (label_format == "PDF" and size == "letter")


def test_usps_image_type_still_names_the_format_but_not_beside_a_spec(merchant: Merchant) -> None:
    usps = merchant.accounts.usps("m")
    rate = next(r for r in usps.rates(SHIPMENT) if r.service_code == "US-PM")
    label = usps.buy(rate, SHIPMENT, idempotency_key="epl", image_type="Epl")
    assert label.label_format == "EPL"
    check_image("EPL", label.label_image)
    with pytest.raises(ValidationError) as both:
        usps.buy(rate, SHIPMENT, idempotency_key="both", image_type="Pdf", label_spec=LabelSpec(format="PDF"))
    assert both.value.field == "image_type"
    with pytest.raises(ValidationError) as unknown:
        usps.buy(rate, SHIPMENT, idempotency_key="jpg", image_type="Jpg")
    assert unknown.value.field == "image_type"


def _the_rule(spec: LabelSpec, offers: Any, default: str) -> Any:
    """``choose``'s rule written plainly: the format (else the default), the size (else 4x6 when the
    format comes in it, else its first size); None when the carrier does not print that."""
    label_format = spec.format or default
    sizes = [size for fmt, size in offers if fmt == label_format]
    label_size = spec.size or ("4x6" if "4x6" in sizes or not sizes else sizes[0])
    found = offers.get((label_format, label_size))
    return None if found is None else (label_format, label_size, found)


@pytest.mark.parametrize(
    "offers", [UPS_FORMATS, FEDEX_FORMATS, USPS_FORMATS, {("PDF", "letter"): "L", ("PNG", "4x6"): "P"}]
)
def test_choose_follows_its_rule_with_and_without_a_spec(offers: Any) -> None:
    """``choose`` without a spec (its fast path: no LabelSpec built) and with one gives what the rule says."""
    specs = [LabelSpec(format=fmt, size=size) for fmt, size in offers] + [LabelSpec(format=fmt) for fmt, _ in offers]
    for default in ("PNG", "GIF", "PDF", "ZPL"):
        for spec in (None, LabelSpec(), *specs, LabelSpec(size="letter"), LabelSpec(format="EPL", size="letter")):
            expected = _the_rule(spec or LabelSpec(), offers, default)
            if expected is None:
                with pytest.raises(LabelFormatUnavailable):
                    choose(spec, Carrier.UPS, offers, default)
            else:
                assert choose(spec, Carrier.UPS, offers, default) == expected
