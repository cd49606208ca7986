"""The carrier-neutral models: exact units, strict addresses, masked accounts, choosing rates.

Every refusal is the SDK's own ValidationError (InvalidAmount for money) naming the field by its
full path; pydantic's error never escapes, and no message repeats an account number.
"""

from __future__ import annotations

import pickle
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import carriers
from carriers import (
    Address,
    Carrier,
    CarrierAccountPayment,
    Charge,
    Customs,
    CustomsLine,
    Dimensions,
    Label,
    Money,
    OneBalancePayment,
    PackageType,
    Parcel,
    Rate,
    RefundStatus,
    ShipmentOption,
    ShipmentRequest,
    Tracking,
    TrackingEvent,
    TrackingStatus,
    VoidResult,
    Weight,
    cheapest,
    fastest,
    payer_description,
)
from onebalance import InvalidAmount, ValidationError

UTC = timezone.utc
UPS = CarrierAccountPayment("ups", "A1B2C3")
FEDEX = CarrierAccountPayment("fedex", "123456789")


def us_address(**overrides):
    fields = {
        "name": "Jane Doe",
        "street_lines": ["1 Main St"],
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701",
    }
    fields.update(overrides)
    return Address(**fields)


def refused(call, field, cls=ValidationError):
    """Run ``call``; it must raise ``cls`` (never pydantic's error) naming ``field``."""
    with pytest.raises(cls) as info:
        call()
    assert not isinstance(info.value, pydantic.ValidationError)
    assert info.value.field == field, str(info.value)
    assert str(info.value).startswith(f"{field}: ")
    return info.value


def rate(total="10.00", days=None, carrier=Carrier.USPS, code="US-PM", currency="USD"):
    payment = {Carrier.USPS: OneBalancePayment(), Carrier.UPS: UPS, Carrier.FEDEX: FEDEX}[carrier]
    return Rate(
        carrier=carrier,
        service_code=code,
        service_name=code,
        total=Money(total, currency),
        delivery_days=days,
        payment=payment,
    )


# -- public names ------------------------------------------------------------------------------


def test_every_public_name_is_importable():
    for name in carriers.__all__:
        assert getattr(carriers, name) is not None, name


# -- money --------------------------------------------------------------------------------------


def test_money_is_whole_cents_in_a_currency():
    assert Money("9.5").amount == Decimal("9.50")
    assert Money(3).amount == Decimal("3.00")
    assert Money("12", "cad").currency == "CAD"
    assert str(Money("9.45")) == "9.45 USD"
    assert Money("1.00") == Money("1")
    assert Money.rounded("1.005") == Money("1.01")
    assert Money.total([Money("1.10"), Money("2.20")]) == Money("3.30")
    assert Money.total([], "EUR") == Money("0", "EUR")
    # One Money for the sum; what an addition refuses is still refused, the first refusal first.
    assert Money.total([Money("1", "CAD"), Money("2.05", "CAD")]) == Money("3.05", "CAD")
    for one in (Money("12.88"), Money("0"), Money("-0.00"), Money("-3.10", "CAD"), Money("999999999999.99")):
        alone = Money.total([one])  # the sum of one amount: what adding it to zero gave
        assert alone == Money(Decimal("0.00") + one.amount, one.currency)
        assert str(alone.amount) == str(Decimal("0.00") + one.amount)
    refused(lambda: Money.total([Money("1.00"), Money("1.00", "CAD")]), "currency")
    big = Money("999999999999.99")
    refused(lambda: Money.total([big, big, Money("-999999999999.99")]), "amount", InvalidAmount)


def test_money_refuses_floats_fractions_of_a_cent_and_bad_currencies():
    refused(lambda: Money(0.1), "amount", InvalidAmount)
    refused(lambda: Money("9.455"), "amount", InvalidAmount)
    refused(lambda: Money("ten"), "amount", InvalidAmount)
    refused(lambda: Money("NaN"), "amount", InvalidAmount)
    refused(lambda: Money("1E1000000"), "amount", InvalidAmount)  # beyond what abs() can hold: too large
    refused(lambda: Money.rounded("-1E1000000"), "amount", InvalidAmount)
    refused(lambda: Money("1", "US"), "currency")
    refused(lambda: Money("1", "US1"), "currency")


def test_money_from_a_decimal_and_usd_as_from_any_spelling():
    """A finite Decimal and "USD" (the fast paths) give what the other spellings give; the same refusals."""
    for amount in (Decimal("9.5"), Decimal("-0.10"), Decimal("3"), Decimal("1.000")):
        for currency in ("USD", " usd ", "Usd"):
            money = Money(amount, currency)
            assert money == Money(str(amount), "usd") and money.amount == amount.quantize(Decimal("0.01"))
            assert type(money.currency) is str and money.currency == "USD"
    for bad in (Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("1E12"), Decimal("0.001")):
        refused(lambda bad=bad: Money(bad), "amount", InvalidAmount)

    class Code(str):
        pass

    assert type(Money("1", Code("USD")).currency) is str
    refused(lambda: Money("1", "USD "[:2]), "currency")


def test_money_arithmetic_and_comparison_need_the_same_currency():
    assert Money("1.10") + Money("2.20") == Money("3.30")
    assert Money("1.00") - Money("2.50") == Money("-1.50")
    assert Money("1.00") < Money("1.01") <= Money("1.01")
    assert Money("5", "EUR") != Money("5", "USD")
    refused(lambda: Money("1") + Money("1", "EUR"), "currency")
    refused(lambda: Money("1") < Money("2", "CAD"), "currency")
    refused(lambda: Money("1") - Money("1", "CAD"), "currency")


# -- weights --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "target", "expected"),
    [
        (1, "lb", "oz", "16"),
        ("2.5", "lb", "oz", "40"),
        (8, "oz", "lb", "0.5"),
        (1, "lb", "kg", "0.45359237"),
        (1, "lb", "g", "453.59237"),
        (1, "oz", "g", "28.349523125"),
        (1, "kg", "g", "1000"),
        (250, "g", "kg", "0.25"),
        ("0.45359237", "kg", "lb", "1"),
        ("28.349523125", "g", "oz", "1"),
    ],
)
def test_weight_conversions_are_exact(value, unit, target, expected):
    converted = Weight(value, unit).to(target)
    assert converted.unit == target
    assert converted.value == Decimal(expected)


def test_a_division_is_rounded_to_28_significant_digits():
    assert Weight(1, "kg").pounds == Decimal("2.204622621848775807229738013")
    assert Weight(1, "kg").ounces == Decimal("35.27396194958041291567580822")  # …8215 rounds up


def test_weights_compare_and_add_by_mass_not_by_spelling():
    assert Weight(16, "oz") == Weight(1, "lb")
    assert hash(Weight(16, "oz")) == hash(Weight(1, "lb"))
    assert Weight(1, "kg") > Weight(2, "lb")
    assert Weight(1, "lb") + Weight(8, "oz") == Weight("1.5", "lb")
    assert (Weight(1, "lb") + Weight(8, "oz")).unit == "lb"
    assert Weight(2.5, "LBS").value == Decimal("2.5")


@pytest.mark.parametrize(
    ("weight", "places", "expected"),
    [
        (Weight("1.5", "lb"), 1, (1, Decimal("8.0"))),
        (Weight(16, "oz"), 1, (1, Decimal("0"))),
        (Weight("3.21", "oz"), 1, (0, Decimal("3.3"))),  # rounded up: postage is never under-declared
        (Weight("15.96", "oz"), 1, (1, Decimal("0"))),  # rounding up carries into the pounds
        (Weight("0.1", "oz"), 0, (0, Decimal("1"))),
        (Weight(1, "kg"), 1, (2, Decimal("3.3"))),
        (Weight(70, "lb"), 2, (70, Decimal("0"))),
    ],
)
def test_usps_pounds_and_ounces(weight, places, expected):
    pounds, ounces = weight.as_lb_oz(places)
    assert (pounds, ounces) == expected
    assert isinstance(pounds, int)
    assert Decimal(0) <= ounces < 16
    assert pounds * 16 + ounces >= weight.ounces


def test_weight_refusals_name_the_field():
    refused(lambda: Weight(0, "lb"), "value")
    refused(lambda: Weight(-1, "lb"), "value")
    refused(lambda: Weight("heavy", "lb"), "value")
    refused(lambda: Weight(1, "stone"), "unit")
    refused(lambda: Weight(True, "lb"), "value")


# -- dimensions -----------------------------------------------------------------------------------


def test_dimension_conversions_are_exact_one_way_and_rounded_the_other():
    box = Dimensions(10, 8, 4, "in")
    assert box.to("cm") == Dimensions("25.4", "20.32", "10.16", "cm")
    assert box.to("cm").length == Decimal("25.4")
    assert Dimensions("2.54", "5.08", "25.4", "cm").to("in") == Dimensions(1, 2, 10)
    assert box.to("cm").to("in") == box
    assert box.to("in") is box


def test_girth_uses_the_longest_side_as_length():
    box = Dimensions(4, 10, 8)  # given out of order
    assert box.sides == (10, 8, 4)
    assert box.girth == 24
    assert box.length_plus_girth == 34
    assert box.volume == 320


def test_dimension_limits():
    assert Dimensions(999, 1, 1).length == 999
    assert Dimensions("2537.46", 1, 1, "cm").length == Decimal("2537.46")
    refused(lambda: Dimensions(1000, 1, 1), "length")
    refused(lambda: Dimensions(1, "2537.47", 1, "cm"), "width")
    refused(lambda: Dimensions(1, 1, 0), "height")
    refused(lambda: Dimensions(1, 1, 1, "mm"), "unit")


# -- addresses ------------------------------------------------------------------------------------


def test_a_us_address_is_normalized():
    address = us_address(
        state="il",
        postal_code="62701 1234",
        street_lines=["  1 Main St ", "", "Suite  2"],
        phone="+1 (217) 555-0100",
        email="jane@example.com",
    )
    assert address.state == "IL"
    assert address.postal_code == "62701-1234"
    assert (address.zip5, address.zip4) == ("62701", "1234")
    assert address.street_lines == ("1 Main St", "Suite 2")
    assert address.phone == "2175550100"
    assert address.one_line() == "Jane Doe, 1 Main St, Suite 2, Springfield, IL 62701-1234, US"
    assert us_address(street_lines="1 Main St").street_lines == ("1 Main St",)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"state": "XX"}, "state"),
        ({"state": None}, "state"),
        ({"postal_code": "6270"}, "postal_code"),
        ({"postal_code": "62701-12"}, "postal_code"),
        ({"postal_code": None}, "postal_code"),
        ({"postal_code": "ABCDE"}, "postal_code"),
        ({"name": "x" * 36}, "name"),
        ({"name": "  "}, "name"),
        ({"company": "x" * 36}, "company"),
        ({"city": "x" * 31}, "city"),
        ({"street_lines": ["x" * 36]}, "street_lines.0"),
        ({"street_lines": ["1 Main St", "y" * 36]}, "street_lines.1"),
        ({"street_lines": ["a", "b", "c", "d"]}, "street_lines"),
        ({"street_lines": []}, "street_lines"),
        ({"country": "ZZ"}, "country"),
        ({"country": "USA"}, "country"),
        ({"phone": "555-0100"}, "phone"),
        ({"phone": "+44 20 7946 0958"}, "phone"),  # not 10 digits: wrong for a US address
        ({"email": "jane"}, "email"),
        ({"email": "j" * 40 + "@example.com"}, "email"),
        ({"zip": "62701"}, "zip"),
    ],
)
def test_address_refusals_name_the_field(overrides, field):
    refused(lambda: us_address(**overrides), field)


def test_limits_are_inclusive():
    address = us_address(name="n" * 35, company="c" * 35, city="c" * 30, street_lines=["s" * 35] * 3)
    assert len(address.street_lines) == 3


def test_other_countries():
    paris = Address(name="A", street_lines="1 Rue", city="Paris", postal_code="75001", country="fr")
    assert paris.country == "FR"
    assert paris.zip5 is None
    hong_kong = Address(name="A", street_lines="1 Queen's Rd", city="Hong Kong", country="HK")
    assert hong_kong.postal_code is None
    london = Address(name="A", street_lines="1 Rd", city="London", postal_code="sw1a 1aa", country="GB")
    assert london.postal_code == "SW1A 1AA"
    ottawa = Address(name="A", street_lines="1 Rd", city="Ottawa", state="on", postal_code="k1a0b1", country="CA")
    assert (ottawa.state, ottawa.postal_code) == ("ON", "K1A 0B1")
    refused(
        lambda: Address(name="A", street_lines="1", city="Ottawa", state="ZZ", postal_code="K1A0B1", country="CA"),
        "state",
    )
    refused(
        lambda: Address(name="A", street_lines="1", city="Ottawa", state="ON", postal_code="12345", country="CA"),
        "postal_code",
    )
    refused(
        lambda: Address(name="A", street_lines="1", city="X", postal_code="1234567890", country="DE"), "postal_code"
    )
    san_juan = Address(name="A", street_lines="1 Calle", city="San Juan", postal_code="00901", country="PR")
    assert san_juan.uses_zip_codes


def test_every_iso_country_is_known():
    from onebalance.shipments._regions import COUNTRIES

    assert len(COUNTRIES) == 249
    assert {"US", "CA", "GB", "DE", "JP", "SS", "BQ"} <= COUNTRIES


def test_model_validate_and_copies_raise_the_sdk_error_too():
    refused(
        lambda: Address.model_validate({"name": "A", "street_lines": ["1"], "city": "X", "state": "IL"}), "postal_code"
    )
    address = us_address()
    assert address.model_copy(update={"postal_code": "627011234"}).postal_code == "62701-1234"
    refused(lambda: address.model_copy(update={"state": "ZZ"}), "state")
    with pytest.raises(AttributeError):
        address.city = "Chicago"


# -- parcels --------------------------------------------------------------------------------------


def test_parcel_limits_and_package_types():
    parcel = Parcel(weight=Weight(150, "lb"), package_type="Flat Rate Envelope", reference="order 17")
    assert parcel.package_type is PackageType.FLAT_RATE_ENVELOPE
    assert parcel.package_type.is_flat_rate
    assert not PackageType.PACKAGE.is_flat_rate
    assert Parcel(weight={"value": "68", "unit": "kg"}).weight == Weight(68, "kg")
    refused(lambda: Parcel(weight=Weight("150.01", "lb")), "weight")
    refused(lambda: Parcel(weight=Weight(69, "kg")), "weight")
    refused(lambda: Parcel(weight=Weight(1), package_type="crate"), "package_type")
    refused(lambda: Parcel(weight=Weight(1), declared_value=Money("-1.00")), "declared_value", InvalidAmount)
    refused(lambda: Parcel(weight=Weight(1), reference="r" * 36), "reference")
    refused(lambda: Parcel(weight="heavy"), "weight")
    refused(lambda: Parcel(weight={"value": 0}), "weight.value")


# -- payments -------------------------------------------------------------------------------------


def test_account_numbers_are_checked_and_normalized():
    assert CarrierAccountPayment("UPS", " a1b-2c3 ").account_number == "A1B2C3"
    assert CarrierAccountPayment(Carrier.FEDEX, "123-456-789").account_number == "123456789"
    for carrier, number in [
        ("ups", "A1B2C"),
        ("ups", "A1B2C3D"),
        ("ups", "A1B2C!"),
        ("fedex", "12345678"),
        ("fedex", "12345678X"),
    ]:
        error = refused(lambda c=carrier, n=number: CarrierAccountPayment(c, n), "account_number")
        assert number not in str(error) and number not in repr(error)
    refused(lambda: CarrierAccountPayment("usps", "123456789"), "carrier")
    refused(lambda: CarrierAccountPayment("dhl", "123456789"), "carrier")


def test_account_numbers_are_shown_only_masked():
    payment = CarrierAccountPayment("fedex", "987654321")
    for text in (repr(payment), str(payment), payment.payer_description(), payer_description(payment)):
        assert "987654321" not in text
        assert "****4321" in text
    assert payment.account_number == "987654321"  # the mapping layer reads the real number
    assert payer_description(OneBalancePayment()) == "USPS postage paid from the One Balance account"
    assert payer_description(UPS) == "billed to the merchant's UPS account ****B2C3"
    assert "A1B2C3" not in repr(rate(carrier=Carrier.UPS, code="03"))


# -- shipment requests ----------------------------------------------------------------------------


def request(**overrides):
    fields = {
        "shipper": us_address(),
        "recipient": us_address(name="Bob", city="Austin", state="TX", postal_code="78701"),
        "parcels": [Parcel(weight=Weight(2))],
        "ship_date": date(2030, 1, 2),
    }
    fields.update(overrides)
    return ShipmentRequest(**fields)


def test_a_shipment_request():
    shipment = request(
        options=["Signature", "saturday_delivery"],
        idempotency_key="order-17.label_1",
        service="US-PM",
        parcels=[Parcel(weight=Weight(1)), Parcel(weight=Weight(8, "oz"))],
    )
    assert shipment.options == frozenset({ShipmentOption.SIGNATURE, ShipmentOption.SATURDAY_DELIVERY})
    assert shipment.total_weight == Weight("1.5", "lb")
    assert not shipment.is_international
    assert shipment.check(today=date(2030, 1, 2)) is shipment


def test_shipment_refusals_name_the_field_by_its_full_path():
    refused(lambda: request(parcels=[]), "parcels")
    refused(
        lambda: request(
            recipient={"name": "Bob", "street_lines": ["1"], "city": "X", "state": "TX", "postal_code": "7"}
        ),
        "recipient.postal_code",
    )
    refused(lambda: request(shipper=us_address().model_dump() | {"state": "QQ"}), "shipper.state")
    refused(lambda: request(parcels=[{"weight": {"value": 200}}]), "parcels.0.weight")
    refused(lambda: request(options=["teleport"]), "options.0")
    refused(lambda: request(options=["insurance"]), "parcels.0.declared_value")
    refused(lambda: request(idempotency_key="has space"), "idempotency_key")
    refused(lambda: request(idempotency_key="k" * 65), "idempotency_key")
    refused(lambda: request(idempotency_key=""), "idempotency_key")
    refused(lambda: request(service="US PM"), "service")
    refused(lambda: request(ship_date=date(2030, 1, 1)).check(today=date(2030, 1, 2)), "ship_date")
    insured = request(options={"insurance"}, parcels=[Parcel(weight=Weight(1), declared_value=Money("50"))])
    assert ShipmentOption.INSURANCE in insured.options


def test_international_and_territories():
    paris = Address(name="A", street_lines="1", city="Paris", postal_code="75001", country="FR")
    gift = Customs(
        contents_type="gift",
        lines=[CustomsLine(description="Book", quantity=1, value=Money(10), weight=Weight(1), origin_country="US")],
        invoice_total=Money(10),
    )
    assert request(recipient=paris, customs=gift).is_international
    assert not request(
        recipient=Address(name="A", street_lines="1", city="San Juan", postal_code="00901", country="PR")
    ).is_international


def test_a_shipment_readdressed_is_the_one_a_validated_copy_gives():
    """``readdressed`` skips the checks a recipient in the same country cannot change: the same shipment
    as ``model_copy(update=...)`` (which validates everything again); another country is validated."""
    corrected = us_address(name="Bob", street_lines=["1 MAIN ST"], city="AUSTIN", state="TX", postal_code="78701-1234")
    for shipment in (request(), request(options={"signature"}, reference="order 7", is_return=True)):
        fast, slow = shipment.readdressed(corrected), shipment.model_copy(update={"recipient": corrected})
        assert fast == slow and fast.recipient is corrected and fast.model_dump() == slow.model_dump()
        assert shipment.recipient != corrected  # the original is untouched
    paris = Address(name="A", street_lines="1", city="Paris", postal_code="75001", country="FR")
    refused(lambda: request().readdressed(paris), "customs")  # abroad: customs are required
    territory = Address(name="A", street_lines="1", city="San Juan", postal_code="00901", country="PR")
    assert not request().readdressed(territory).is_international


# -- rates ----------------------------------------------------------------------------------------


def test_a_rate_keeps_its_breakdown_and_carrier_data():
    quote = Rate(
        carrier="usps",
        service_code="US-PM",
        service_name="Priority Mail",
        total=Money("10.45"),
        base=Money("9.45"),
        surcharges=[("Fuel", Money("1.00")), Charge("Residential", Money("0.00"))],
        delivery_days=2,
        payment=OneBalancePayment(),
        carrier_data={"zone": "5", "rate_id": "abc"},
    )
    assert quote.breakdown == (("base", Money("9.45")), ("Fuel", Money("1.00")), ("Residential", Money("0.00")))
    assert quote.data == {"zone": "5", "rate_id": "abc"}
    assert "abc" not in repr(quote)
    assert Rate.model_validate(quote.model_dump()) == quote


def test_rate_refusals():
    refused(lambda: rate(total="-1.00"), "total", InvalidAmount)
    refused(lambda: rate(days=-1), "delivery_days")
    refused(
        lambda: Rate(carrier="usps", service_code="US-PM", service_name="PM", total=Money("1"), payment=UPS),
        "payment",
    )
    refused(
        lambda: Rate(carrier="ups", service_code="03", service_name="Ground", total=Money("1"), payment=FEDEX),
        "payment",
    )
    refused(
        lambda: Rate(
            carrier="usps",
            service_code="US-PM",
            service_name="PM",
            total=Money("1"),
            surcharges=[("Fuel", Money("1", "CAD"))],
            payment=OneBalancePayment(),
        ),
        "surcharges.0.amount",
    )


def test_cheapest_and_fastest():
    ground = rate("8.00", 5, Carrier.UPS, "03")
    priority = rate("9.45", 2)
    overnight = rate("30.00", 1, Carrier.FEDEX, "PRIORITY_OVERNIGHT")
    unknown = rate("7.00", None)
    same_day_dearer = rate("31.00", 1)
    rates = [ground, priority, overnight, unknown, same_day_dearer]
    assert cheapest(rates) is unknown
    assert fastest(rates) is overnight  # 1 day, and cheaper than the other 1-day rate
    assert fastest([unknown, ground]) is ground  # rates without days come last
    assert cheapest([rate("5.00", None), rate("5.00", 3)]).delivery_days == 3
    assert cheapest(iter(rates)) is unknown
    refused(lambda: cheapest([]), "rates")
    refused(lambda: fastest([rate("1.00", currency="CAD"), rate("1.00")]), "rates")


# -- labels, voids, tracking ------------------------------------------------------------------------


def label(**overrides):
    fields = {
        "carrier": "ups",
        "tracking_number": "1Z WA8 290 0123 2775 35",
        "service_code": "03",
        "cost": Money("193.64"),
        "paid_by": UPS,
        "label_image": b"\x89PNG\r\n" + b"secret-pixels" * 100,
        "label_format": "png",
        "created_at": datetime(2030, 1, 2, 9, 30, tzinfo=UTC),
        "carrier_reference": "1ZWA82900123277535",
    }
    fields.update(overrides)
    return Label(**fields)


def test_label_repr_hides_the_image():
    made = label()
    assert made.tracking_number == "1ZWA82900123277535"
    assert made.label_format == "PNG"
    size = len(made.label_image)
    for text in (repr(made), str(made)):
        assert "secret-pixels" not in text
        assert "PNG\\r\\n" not in text
        assert f"<{size} bytes>" in text
        assert "A1B2C3" not in text
    assert pickle.loads(pickle.dumps(made)) == made
    assert made.model_copy(update={"voided": True}).voided


def test_label_refusals():
    refused(lambda: label(created_at=datetime(2030, 1, 2, 9, 30)), "created_at")
    refused(lambda: label(label_format="BMP"), "label_format")
    refused(lambda: label(label_image=b""), "label_image")
    refused(lambda: label(paid_by=OneBalancePayment()), "paid_by")
    refused(lambda: label(cost=Money("-0.01")), "cost", InvalidAmount)
    assert label(carrier="usps", paid_by=OneBalancePayment(), tracking_number=None).tracking_number is None


def test_void_results():
    usps = VoidResult(
        carrier="usps", tracking_number="9400 1000", voided=True, refund=Money("9.45"), refund_status="pending"
    )
    assert usps.refund_status is RefundStatus.PENDING
    ups = VoidResult(carrier="ups", tracking_number="1Z999", voided=True)
    assert ups.refund is None and ups.refund_status is RefundStatus.NOT_APPLICABLE
    refused(
        lambda: VoidResult(
            carrier="usps", tracking_number="1", voided=False, refund=Money("1"), refund_status="approved"
        ),
        "refund_status",
    )
    refused(lambda: VoidResult(carrier="usps", tracking_number="1", voided=True, refund=Money("1")), "refund_status")
    refused(
        lambda: VoidResult(
            carrier="usps", tracking_number="1", voided=True, refund=Money("-1"), refund_status="approved"
        ),
        "refund",
        InvalidAmount,
    )


def test_tracking_events_are_kept_newest_first():
    start = datetime(2030, 1, 2, 8, 0, tzinfo=UTC)
    events = [
        TrackingEvent(
            occurred_at=start + timedelta(hours=hours), status=status, city="Austin", state="TX", country="us"
        )
        for hours, status in [(0, "pre_transit"), (30, "delivered"), (5, "in_transit"), (26, "out_for_delivery")]
    ]
    tracking = Tracking(carrier="ups", tracking_number="1Z999", status="delivered", events=events)
    assert [e.status for e in tracking.events] == [
        TrackingStatus.DELIVERED,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.PRE_TRANSIT,
    ]
    assert tracking.latest is tracking.events[0]
    assert tracking.delivered_at == start + timedelta(hours=30)
    assert tracking.events[0].location() == "Austin, TX, US"
    assert tracking.status.is_final
    refused(lambda: TrackingEvent(occurred_at=datetime(2030, 1, 2), status="in_transit"), "occurred_at")
    refused(lambda: TrackingEvent(occurred_at=start, status="lost_in_space"), "status")
    refused(lambda: Tracking(carrier="dhl", tracking_number="1", status="unknown"), "carrier")


# -- properties -------------------------------------------------------------------------------------

units = st.sampled_from(["lb", "oz", "kg", "g"])
weights = st.builds(
    Weight,
    st.decimals(
        min_value=Decimal("0.000001"), max_value=Decimal(100000), places=6, allow_nan=False, allow_infinity=False
    ),
    units,
)


@settings(max_examples=200, deadline=None)
@given(weight=weights, target=units)
def test_weight_conversions_round_trip_within_rounding(weight, target):
    there = weight.to(target)
    back = there.to(weight.unit)
    assert abs(back.value - weight.value) <= weight.value * Decimal("1e-26")
    assert abs(there.grams - weight.grams) <= weight.grams * Decimal("1e-26")
    assert weight.to("g") == weight  # to grams is always exact
    pounds, ounces = weight.as_lb_oz()
    assert pounds * 16 + ounces >= weight.ounces > pounds * 16 + ounces - Decimal("0.1")


rate_lists = st.lists(
    st.tuples(st.integers(min_value=0, max_value=5000), st.one_of(st.none(), st.integers(min_value=0, max_value=10))),
    min_size=1,
    max_size=8,
).map(lambda pairs: [rate(str(Decimal(cents) / 100), days) for cents, days in pairs])


@settings(max_examples=100, deadline=None)
@given(rates=rate_lists)
def test_cheapest_and_fastest_pick_an_element_with_the_minimal_key(rates):
    def by_price(r):
        return (r.total.amount, r.delivery_days is None, r.delivery_days or 0)

    def by_speed(r):
        return (r.delivery_days is None, r.delivery_days or 0, r.total.amount)

    low, quick = cheapest(rates), fastest(rates)
    assert any(low is r for r in rates) and any(quick is r for r in rates)
    assert by_price(low) == min(by_price(r) for r in rates)
    assert by_speed(quick) == min(by_speed(r) for r in rates)
    assert low.total == min(r.total for r in rates)


def test_recent_labels_forget_the_least_recent_past_a_count_or_a_size():
    from onebalance.shipments._recent import RecentLabels

    small, big = label(label_image=b"x" * 10), label(label_image=b"y" * 100)
    kept = RecentLabels(size=3, max_bytes=150)
    for key in "abc":
        kept.put(key, small)
    assert len(kept) == 3 and kept.image_bytes == 30
    assert kept.get("a") is small  # now the most recent
    kept.put("d", small)  # b is the least recent
    assert "b" not in kept and {"a", "c", "d"} == {k for k in "abcd" if k in kept}
    kept.put("e", big)  # 3 labels, 120 bytes
    kept.put("f", small)  # 4 labels: c goes; 3 labels, 120 bytes
    assert len(kept) == 3 and kept.image_bytes == 120 and "c" not in kept
    kept.put("g", big)  # 220 bytes: the oldest go until it fits (e is big too)
    assert [k for k in "abcdefg" if k in kept] == ["f", "g"] and kept.image_bytes == 110
    kept.put("g", small)  # the same key again: counted once
    assert len(kept) == 2 and kept.image_bytes == 20
    alone = RecentLabels(size=1, max_bytes=1)
    alone.put("h", big)  # the latest label is kept whatever its size
    assert alone.get("h") is big and alone.get("missing") is None
    alone.clear()
    assert len(alone) == 0 and alone.image_bytes == 0


def test_once_per_key_buys_a_key_once_its_first_attempt_and_after_a_failure_alike():
    """A key's first attempt (its lock new: no second look) and a later one (after a failure that
    freed the key: the lock kept, the key claimed and the labels looked at again) buy once; a
    thread with the same key waits and gets the first's label; another purchase is refused."""
    import threading

    from onebalance import IdempotencyKeyReused
    from onebalance.shipments._recent import KeyUse, OncePerKey

    once, bought, shipment, ups = OncePerKey(), label(), request(), rate(carrier=Carrier.UPS, code="03")
    now = datetime(2030, 1, 2, tzinfo=UTC)
    entered, go, calls = threading.Event(), threading.Event(), []

    def slow() -> object:
        calls.append("slow")
        entered.set()
        assert go.wait(5)
        return bought

    first = KeyUse(ups, shipment, now)
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(once.buy("k1", slow, first)))
    worker.start()
    assert entered.wait(5)
    waiter = threading.Thread(target=lambda: results.append(once.buy("k1", slow, KeyUse(ups, shipment, now))))
    waiter.start()
    go.set()
    worker.join(5)
    waiter.join(5)
    assert results == [bought, bought] and results[0] is results[1] and calls == ["slow"]
    with pytest.raises(IdempotencyKeyReused):
        once.buy("k1", slow, KeyUse(rate(carrier=Carrier.UPS, code="01"), shipment, now))

    def refused_purchase() -> object:
        calls.append("refused")
        raise ValidationError("refused by the carrier")

    with pytest.raises(ValidationError):
        once.buy("k2", refused_purchase, KeyUse(ups, shipment, now))
    other = KeyUse(rate(carrier=Carrier.UPS, code="01"), shipment, now)  # the key was freed: another purchase
    assert once.buy("k2", lambda: bought, other) is bought
    assert once.buy("k2", slow, other) is bought and calls == ["slow", "refused"]
    with pytest.raises(IdempotencyKeyReused):
        once.buy("k2", slow, KeyUse(ups, shipment, now))


def test_all_clients_together_keep_label_images_within_the_process_budget(monkeypatch):
    """Thousands of merchants' clients share one process: past the process-wide budget the least
    recent label of any client is forgotten, and a client that is gone releases its labels."""
    import gc

    from onebalance.shipments import _recent

    monkeypatch.setattr(_recent, "PROCESS_LABEL_BYTES", 250)
    sweep = _recent.RecentLabels()
    sweep.put("s", label(label_image=b"s" * 250))  # every older label of the test run is forgotten
    sweep.clear()
    base = _recent._SHELF.bytes
    assert base == 0
    first, second = _recent.RecentLabels(), _recent.RecentLabels()
    image = label(label_image=b"z" * 100)
    first.put("a", image)
    first.put("b", image)
    second.put("c", image)  # 300 bytes in all: the least recent of any client ("a") goes
    assert "a" not in first and "b" in first and "c" in second
    assert _recent._SHELF.bytes - base <= 250
    assert first.get("b") is image  # "b" is now more recent than "c"
    second.put("d", image)  # "c" is the least recent now
    assert "c" not in second and "b" in first and "d" in second
    held = _recent._SHELF.bytes
    del first
    gc.collect()
    assert second.image_bytes == 100  # the next use of the shelf forgets what the collected client kept
    assert _recent._SHELF.bytes == held - 100  # the client is gone: so are its labels
    second.clear()
    assert len(second) == 0 and second.image_bytes == 0


def test_a_client_collected_while_the_shelf_is_held_does_not_hang_the_thread():
    """Garbage collection may finalise a client inside any ``with`` of the shelf's lock, in the same
    thread (it hung a worker once, in a teardown): the finaliser only notes the owner is gone."""
    import threading

    from onebalance.shipments import _recent

    gone = _recent.RecentLabels()
    gone.put("a", label(label_image=b"g" * 10))
    finished = threading.Event()

    def collected_mid_operation() -> None:
        with _recent._SHELF.lock:
            _recent._SHELF.drop_owner(gone._owner)  # what weakref.finalize runs when the client is collected
        finished.set()

    threading.Thread(target=collected_mid_operation, daemon=True).start()
    assert finished.wait(10), "the finaliser waited for a lock its own thread held"
    survivor = _recent.RecentLabels()
    assert len(survivor) == 0 and gone._owner not in _recent._SHELF.owners  # forgotten at the next use


def test_an_answer_to_a_purchase_that_cannot_be_read_is_an_unknown_outcome() -> None:
    """After the carrier accepted a purchase, a reading failure means "maybe bought", never the
    caller's error, so nothing frees the key for a second label."""
    from onebalance import OutcomeUnknown, ProtocolError
    from onebalance import ValidationError as SdkValidationError
    from onebalance.shipments._recent import read_sold_label

    for failure in (
        ProtocolError("UPS ship answer has no PackageResults", operation="ship"),
        SdkValidationError("tracking_number: must be 1 to 64 letters, digits or dashes"),
    ):

        def parse(failure: Exception = failure) -> Label:
            raise failure

        with pytest.raises(OutcomeUnknown) as caught:
            read_sold_label("UPS", "order-9", parse)
        assert caught.value.idempotency_key == "order-9"
        assert caught.value.cause is failure
        assert caught.value.__context__ is None  # raised outside the except block: nothing rides along
        assert "check the merchant's UPS account" in str(caught.value)


@settings(max_examples=300, deadline=None)
@given(one=weights, other=weights)
def test_weights_compare_as_their_grams_do(one, other):
    """Comparing reads the values in one unit, or the grams as multiplied: what comparing ``grams`` gives."""
    assert (one == other) is (one.grams == other.grams)
    assert (one < other) is (one.grams < other.grams)
    assert (one <= other) is (one.grams <= other.grams)
    assert (one > other) is (one.grams > other.grams)
    assert (one >= other) is (one.grams >= other.grams)
    assert hash(one) == hash(one.grams)
    same = Weight(other.value, one.unit)  # the same unit: the values alone
    assert (one < same) is (one.grams < same.grams) and (one == same) is (one.grams == same.grams)
