"""The sandboxes sell only what the real services sell, and hand out real label images.

Every label image decodes as the format it claims (the FedEx sandbox's "PNG" used to be the PNG
magic followed by text, and a USPS label asked as PDF was a PNG). The USPS rates follow what USPS
sells since July 2023: First-Class Package Service and Retail Ground became Ground Advantage,
which the v111 wire cannot name, so a light parcel gets Priority Mail rates and ``US-FC`` for a
parcel is refused (``ServiceRetired``, naming it) at GetRates and at CreateIndicium.
UPS and FedEx labels of every format are checked in ``test_ups.py`` and ``test_fedex.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests

from carriers import Address, PackageType, Parcel, ShipmentRequest, Weight
from onebalance import Accounts, InMemoryCredentialStore, ServiceRetired
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox
from onebalance.sandbox._shared import _images
from onebalance.sandbox.swsim._labels import IMAGE_TYPES

from ._images import check_image
from .test_sandbox_usps import FROM, SHOP, TO, call, code, print_label, rate

PASSWORD = "Ship-passw0rd"
SHIPPER = Address(name="Acme Widgets", street_lines=["1990 E Grand Ave"], city="El Segundo", state="CA",
                  postal_code="90245")  # fmt: skip
RECIPIENT = Address(name="Ada Lovelace", street_lines=["350 5th Ave"], city="New York", state="NY",
                    postal_code="10118")  # fmt: skip


@pytest.fixture
def box(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    sandbox = make_sandbox()
    sandbox.create_account(SHOP, "Shop-Passw0rd", balance="100.00")
    return sandbox


@pytest.fixture
def usps(sandbox: Sandbox, endpoint: Any) -> Any:
    sandbox.create_account("shipper", PASSWORD, balance="100.00")
    accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=endpoint.url, store=InMemoryCredentialStore(),
                        now=sandbox.clock.now)  # fmt: skip
    accounts.connect("m1", username="shipper", password=PASSWORD)
    return accounts.usps("m1")


def shipment(ounces: str, service: str | None = None, package: PackageType = PackageType.PACKAGE) -> ShipmentRequest:
    parcel = Parcel(weight=Weight(ounces, "oz"), package_type=package)
    return ShipmentRequest(shipper=SHIPPER, recipient=RECIPIENT, parcels=[parcel], ship_date=date.today(),
                           service=service)  # fmt: skip


# -- label images ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["PNG", "GIF", "JPEG", "BMP", "PDF", "ZPL", "EPL"])
def test_every_image_the_sandboxes_hand_out_decodes_as_its_format(kind: str) -> None:
    check_image(kind, getattr(_images, kind))
    assert len(getattr(_images, kind)) < 10_000  # small: labels are kept in memory by the thousand


@pytest.mark.parametrize("image_type", ["Png", "Gif", "Pdf", "Zpl"])
def test_a_usps_label_bought_through_the_sdk_is_the_format_it_claims(usps, image_type: str) -> None:
    parcel = shipment("20")
    priority = next(r for r in usps.rates(parcel) if r.service_code == "US-PM")
    label = usps.buy(priority, parcel, idempotency_key=f"img-{image_type}", image_type=image_type)
    assert label.label_format == image_type.upper()
    check_image(label.label_format, label.label_image)


def test_every_image_type_is_served_at_its_url_with_its_content_type(box: Sandbox) -> None:
    with box.serve() as server:
        box.dispatcher.actor = server.url
        for n, image_type in enumerate(sorted(IMAGE_TYPES)):
            label = print_label(box, f"u-{n}", ImageType=image_type, SampleOnly=True)
            extension, content_type, _ = IMAGE_TYPES[image_type]
            assert label["URL"].endswith(f".{extension}")
            answer = requests.get(label["URL"], timeout=5)
            assert answer.status_code == 200 and answer.headers["Content-Type"] == content_type
            check_image(extension, answer.content)
            inline = print_label(box, f"i-{n}", ImageType=image_type, ReturnImageData=True, SampleOnly=True)
            check_image(extension, inline["ImageData"]["base64Binary"][0])
            other = "png" if extension != "png" else "gif"
            assert requests.get(label["URL"][: -len(extension)] + other, timeout=5).status_code == 404


# -- USPS services sold today ------------------------------------------------------------------------
def test_a_light_parcel_gets_priority_mail_rates_and_no_first_class(box: Sandbox) -> None:
    rates = call(box, "GetRates", Rate={"From": FROM, "To": TO, "WeightOz": 10.0, "PackageType": "Package"})
    services = {r["ServiceType"] for r in rates["Rates"]["Rate"]}
    assert "US-PM" in services and "US-FC" not in services
    flats = call(box, "GetRates", Rate={"From": FROM, "To": TO, "WeightOz": 10.0, "ServiceType": "US-FC"})
    assert {r["PackageType"] for r in flats["Rates"]["Rate"]} == {"Large Envelope or Flat"}  # letters go on


@pytest.mark.parametrize("package", ["Package", "Thick Envelope", "Large Package", "Oversized Package"])
def test_first_class_for_a_parcel_is_refused_at_get_rates_and_create_indicium(box: Sandbox, package: str) -> None:
    light = {"WeightLb": 0.0, "WeightOz": 10.0}
    assert code(box, "GetRates", Rate=rate("US-FC", package, **light)) == "002b0907"
    assert code(box, "CreateIndicium", IntegratorTxID=f"fc-{package}", Rate=rate("US-FC", package, **light)) == (
        "002b0907"
    )
    assert code(box, "GetRates", Rate=rate("US-RG", "Large Envelope or Flat", **light)) == "002b0907"
    assert not box.labels(SHOP) and box.account(SHOP).available_postage == Decimal("100.00")


def test_the_sdk_names_the_retired_service_and_buys_nothing(usps, sandbox: Sandbox) -> None:
    with pytest.raises(ServiceRetired) as refused:
        usps.rates(shipment("10", service="US-FC"))
    assert refused.value.service == "US-FC" and refused.value.code == "002b0907"
    assert "First-Class Package Service" in str(refused.value) and "Ground Advantage" in str(refused.value)
    parcel = shipment("10")
    offered = {r.service_code for r in usps.rates(parcel)}
    assert "US-PM" in offered and "US-FC" not in offered
    priority = next(r for r in usps.rates(parcel) if r.service_code == "US-PM")
    # A First-Class rate as an older price list would have offered it (the sandbox offers none now).
    data = tuple((name, "US-FC" if name == "ServiceType" else value) for name, value in priority.carrier_data)
    first_class = priority.model_copy(update={"service_code": "US-FC", "carrier_data": data})
    with pytest.raises(ServiceRetired) as at_print:
        usps.buy(first_class, parcel, idempotency_key="fc-1")
    assert at_print.value.service == "US-FC" and at_print.value.operation == "CreateIndicium"
    assert sandbox.account("shipper").available_postage == Decimal("100.00")
    assert not sandbox.labels("shipper")
