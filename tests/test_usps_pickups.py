"""USPS carrier pickups (``UspsShipping.pickups``) against the sandbox, on SWSIM v135 and v111: check,
book, change, cancel and list, the refusals before anything is sent and the service's own, and the
sandbox's state across a restart. Every exchange is checked against the real WSDL of its version
(the ``wire_log`` fixture, through ``sandbox``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from carriers import Address
from onebalance import (
    Accounts,
    InMemoryCredentialStore,
    PackageLocation,
    PickupContact,
    PickupDateInPast,
    PickupNotFound,
    PickupPackages,
    PickupRefused,
    PickupRequest,
    PickupStatus,
    PickupUnavailable,
    Service,
    Shipping,
    TransportError,
    UspsPickups,
    ValidationError,
)
from onebalance.carriers.usps._pickup_models import pickup_today
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox

PASSWORD = "Pickup-2026"
SHOP = Address(
    name="Ada Lovelace",
    company="Acme Widgets",
    street_lines=["1990 E Grand Ave", "Suite 200"],
    city="El Segundo",
    state="CA",
    postal_code="90245-4608",
    phone="(310) 555-0142",
    email="ada@acme.example",
)
#: A ZIP without carrier pickup in a new sandbox (docs/sandbox.md).
REMOTE = Address(name="Kay Ketchikan", street_lines=["1 Front St"], city="Ketchikan", state="AK", postal_code="99950",
                 phone="9075550100")  # fmt: skip
PACKAGES = PickupPackages(priority_mail=2, ground_advantage=3, total_weight_lb=12)


@pytest.fixture(params=["v135", "v111"])
def pickups(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[UspsPickups]:
    sandbox.create_account("picker", PASSWORD, balance="200.00")
    with sandbox.mock() as url:
        accounts = Accounts(
            integration_id=DEMO_INTEGRATION_ID,
            endpoint=url,
            store=InMemoryCredentialStore(),
            now=sandbox.clock.now,
            api_version=request.param,
        )
        accounts.connect("m1", username="picker", password=PASSWORD)
        yield accounts.usps("m1").pickups


def _sent(wire_log: list[tuple[str, str | None, bytes]], operation: str) -> int:
    return sum(1 for direction, op, _ in wire_log if direction == "request" and op == operation)


def _next_pickup_day(after: date) -> date:
    day = after + timedelta(days=1)
    return day + timedelta(days=1) if day.weekday() == 6 else day


# -- availability -------------------------------------------------------------------------------------
def test_availability_is_the_next_pickup_day_and_free(pickups: UspsPickups, sandbox: Sandbox) -> None:
    found = pickups.available(SHOP)
    assert found.pickup_date == _next_pickup_day(pickup_today(sandbox.clock.now()))
    assert found.pickup_date.weekday() != 6  # never a Sunday
    assert found.day_of_week == found.pickup_date.strftime("%A")
    assert found.estimated_cost == 0
    assert found.address == SHOP


def test_availability_from_a_later_day_skips_sunday(pickups: UspsPickups, sandbox: Sandbox) -> None:
    today = pickup_today(sandbox.clock.now())
    sunday = today + timedelta(days=7 + (6 - today.weekday()) % 7)
    assert pickups.available(SHOP, sunday).pickup_date == sunday + timedelta(days=1)
    saturday = sunday - timedelta(days=1)
    assert pickups.available(SHOP, saturday).pickup_date == saturday


def test_a_day_in_the_past_is_refused_before_anything_is_sent(pickups: UspsPickups, wire_log) -> None:
    yesterday = pickup_today() - timedelta(days=1)
    with pytest.raises(PickupDateInPast) as caught:
        pickups.available(SHOP, yesterday)
    assert isinstance(caught.value, ValidationError) and caught.value.field == "on"
    assert caught.value.source is None  # the SDK's own refusal
    assert yesterday.isoformat() in caught.value.message
    assert _sent(wire_log, "CheckCarrierPickupAvailability") == 0


def test_the_service_refuses_a_past_day_too(pickups: UspsPickups, sandbox: Sandbox) -> None:
    """A client that sends a past Date anyway (clocks disagree) gets the same typed error, from the service."""
    past = pickup_today(sandbox.clock.now()) - timedelta(days=3)
    request = {
        "Date": past.isoformat(),
        "Address": {"Address": "1 Main St", "City": "Austin", "State": "TX", "ZIP": "78701"},
    }
    with pytest.raises(PickupDateInPast) as caught:
        pickups.proxy.call("CheckCarrierPickupAvailability", request)
    assert caught.value.source is Service.ONEBALANCE and caught.value.code == "002b0c02"


def test_an_address_without_pickup_service_is_pickup_unavailable(pickups: UspsPickups, sandbox: Sandbox) -> None:
    with pytest.raises(PickupUnavailable) as caught:
        pickups.available(REMOTE)
    assert caught.value.code == "002b0c01" and caught.value.source is Service.ONEBALANCE
    assert "99950" in caught.value.message
    with pytest.raises(PickupUnavailable):
        pickups.schedule(PickupRequest(address=REMOTE, packages=PACKAGES))
    assert sandbox.pickups("picker") == []


def test_pickup_service_is_a_sandbox_condition(pickups: UspsPickups, sandbox: Sandbox) -> None:
    assert "99950" in sandbox.pickup_zips_without_service()
    sandbox.set_pickup_service("99950", True)
    assert pickups.available(REMOTE).pickup_date
    sandbox.set_pickup_service("90245", False)
    with pytest.raises(PickupUnavailable):
        pickups.available(SHOP)
    with pytest.raises(ValueError, match="5 digits"):
        sandbox.set_pickup_service("9024", False)


# -- booking, listing ------------------------------------------------------------------------------------
def test_book_and_list_with_the_confirmation_number(pickups: UspsPickups, sandbox: Sandbox) -> None:
    packages = PickupPackages(
        priority_mail_express=1,
        priority_mail=2,
        ground_advantage=3,
        parcel_select=4,
        international=5,
        other=6,
        total_weight_lb=40,
        location=PackageLocation.OTHER,
        instructions="Loading dock behind the blue gate",
    )
    pickup = pickups.schedule(PickupRequest(address=SHOP, packages=packages))
    assert pickup.status is PickupStatus.SCHEDULED
    assert pickup.confirmation_number.startswith("WTC") and len(pickup.confirmation_number) == 11
    assert pickup.pickup_date == pickups.available(SHOP).pickup_date
    assert pickup.contact == PickupContact(
        first_name="Ada", last_name="Lovelace", phone="3105550142", email="ada@acme.example"
    )
    (listed,) = pickups.list()
    assert listed.confirmation_number == pickup.confirmation_number
    assert listed.pickup_date == pickup.pickup_date
    assert listed.packages == packages and listed.packages is not None and listed.packages.count == 21
    assert listed.contact == pickup.contact
    assert listed.address is not None
    assert listed.address.street_lines == SHOP.street_lines and listed.address.postal_code == "90245-4608"
    assert listed.address.company == "Acme Widgets"
    (kept,) = sandbox.pickups("picker")
    assert kept.state == "Scheduled" and kept.confirmation_number == pickup.confirmation_number
    assert kept.packages["NumberOfFirstClassPieces"] == 3  # Ground Advantage goes as First-Class pieces


def test_a_second_pickup_at_the_same_address_that_day_is_refused(pickups: UspsPickups) -> None:
    first = pickups.schedule(PickupRequest(address=SHOP, packages=PACKAGES))
    with pytest.raises(PickupRefused) as caught:
        pickups.schedule(PickupRequest(address=SHOP, packages=PACKAGES))
    assert caught.value.code == "002b0c05" and first.confirmation_number in caught.value.message
    pickups.cancel(first.confirmation_number)
    again = pickups.schedule(PickupRequest(address=SHOP, packages=PACKAGES))
    assert again.confirmation_number != first.confirmation_number
    assert [p.confirmation_number for p in pickups.list()] == [again.confirmation_number]


def test_the_contact_can_be_given_apart_from_the_address(pickups: UspsPickups) -> None:
    contact = PickupContact(first_name="Grace", last_name="Hopper", phone="+1 703 555 0100", phone_extension="12")
    pickup = pickups.schedule(PickupRequest(address=SHOP.model_copy(update={"phone": None}), packages=PACKAGES,
                                            contact=contact))  # fmt: skip
    assert pickups.list()[0].contact == contact
    assert pickup.contact == contact and contact.phone == "7035550100"


# -- changing, cancelling ------------------------------------------------------------------------------
def test_change_the_packages_and_the_contact(pickups: UspsPickups, sandbox: Sandbox) -> None:
    booked = pickups.schedule(PickupRequest(address=SHOP, packages=PACKAGES))
    bigger = PickupPackages(priority_mail=5, total_weight_lb=30, location=PackageLocation.MAIL_ROOM)
    changed = pickups.modify(booked.confirmation_number, packages=bigger)
    assert changed.status is PickupStatus.MODIFIED
    assert changed.confirmation_number == booked.confirmation_number
    assert changed.pickup_date == booked.pickup_date
    assert pickups.list()[0].packages == bigger
    pickups.modify(
        booked.confirmation_number, contact=PickupContact(first_name="Al", last_name="Turing", phone="3105550199")
    )
    listed = pickups.list()[0].contact
    assert listed is not None and (listed.first_name, listed.phone) == ("Al", "3105550199")
    assert listed.email == "ada@acme.example"  # a change's contact has no email: the booked one is kept
    assert sandbox.pickups("picker")[0].state == "Modified"


def test_cancel_and_cancel_again(pickups: UspsPickups, sandbox: Sandbox) -> None:
    booked = pickups.schedule(PickupRequest(address=SHOP, packages=PACKAGES))
    cancelled = pickups.cancel(f" {booked.confirmation_number} ")
    assert cancelled.status is PickupStatus.CANCELLED
    assert cancelled.confirmation_number == booked.confirmation_number
    assert pickups.list() == []
    assert sandbox.pickups("picker")[0].state == "Cancelled"
    with pytest.raises(PickupRefused, match="cancelled already") as caught:
        pickups.cancel(booked.confirmation_number)
    assert caught.value.code == "002b0c04"
    with pytest.raises(PickupRefused, match="cancelled already"):
        pickups.modify(booked.confirmation_number, packages=PACKAGES)


def test_an_unknown_confirmation_number_is_pickup_not_found(pickups: UspsPickups) -> None:
    with pytest.raises(PickupNotFound) as caught:
        pickups.cancel("WTC99999999")
    assert caught.value.code == "002b0c03"
    with pytest.raises(PickupNotFound):
        pickups.modify("WTC99999999", packages=PACKAGES)


def test_another_accounts_pickup_is_not_found(pickups: UspsPickups, sandbox: Sandbox) -> None:
    booked = pickups.schedule(PickupRequest(address=SHOP, packages=PACKAGES))
    sandbox.create_account("other", PASSWORD)
    url = pickups.proxy.client.endpoint  # the sandbox, mounted by the fixture
    accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=InMemoryCredentialStore())
    accounts.connect("m2", username="other", password=PASSWORD)
    with pytest.raises(PickupNotFound):
        accounts.usps("m2").pickups.cancel(booked.confirmation_number)
    assert accounts.usps("m2").pickups.list() == []


def test_a_pickup_whose_day_has_come_is_neither_changed_nor_cancelled(pickups: UspsPickups, sandbox: Sandbox) -> None:
    booked = pickups.schedule(PickupRequest(address=SHOP, packages=PACKAGES))
    assert booked.pickup_date is not None
    sandbox.advance_clock(timedelta(days=(booked.pickup_date - pickup_today(sandbox.clock.now())).days))
    with pytest.raises(PickupRefused, match="its day has come"):
        pickups.modify(booked.confirmation_number, packages=PACKAGES)
    with pytest.raises(PickupRefused, match="its day has come"):
        pickups.cancel(booked.confirmation_number)
    assert [p.confirmation_number for p in pickups.list()] == [booked.confirmation_number]  # today's is listed
    sandbox.advance_clock(timedelta(days=1))
    assert pickups.list() == []  # a past pickup is not
    assert sandbox.pickups("picker")[0].state == "Scheduled"


# -- bad input: refused before anything is sent ----------------------------------------------------------
@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: PickupPackages(total_weight_lb=5), "packages"),
        (lambda: PickupPackages(priority_mail=1, total_weight_lb=0), "total_weight_lb"),
        (lambda: PickupPackages(priority_mail=-1, other=2, total_weight_lb=3), "priority_mail"),
        (lambda: PickupPackages(priority_mail=1, total_weight_lb=2.5), "total_weight_lb"),
        (lambda: PickupPackages(other=1, total_weight_lb=3, location="other"), "instructions"),
        (lambda: PickupPackages(other=1, total_weight_lb=3, instructions="x" * 76), "instructions"),
        (lambda: PickupRequest(address=SHOP.model_copy(update={"name": "Ada"}), packages=PACKAGES), "address.name"),
        (lambda: PickupRequest(address=SHOP.model_copy(update={"phone": None}), packages=PACKAGES), "address.phone"),
        (
            lambda: PickupContact(first_name="A", last_name="B", phone="3105550142", phone_extension="ext 9"),
            "phone_extension",
        ),
        (
            lambda: PickupRequest(
                address=Address(
                    name="Jo Bloggs",
                    street_lines=["10 Downing St"],
                    city="London",
                    postal_code="SW1A 2AA",
                    country="GB",
                    phone="3105550142",
                ),
                packages=PACKAGES,
            ),
            "address.country",
        ),
    ],
)
def test_bad_pickup_input_is_refused_naming_the_field(build, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build()
    assert caught.value.field == field


def test_calls_with_bad_input_send_nothing(pickups: UspsPickups, wire_log) -> None:
    with pytest.raises(ValidationError, match="confirmation_number"):
        pickups.cancel("  ")
    with pytest.raises(ValidationError, match="confirmation_number"):
        pickups.modify("WTC<1>", packages=PACKAGES)
    with pytest.raises(ValidationError, match="nothing to change"):
        pickups.modify("WTC10000001")
    with pytest.raises(ValidationError, match="address"):
        pickups.available(Address(name="Jo", street_lines=["1 Rue"], city="Paris", postal_code="75001", country="FR"))
    with pytest.raises(ValidationError, match="PickupRequest"):
        pickups.schedule(PACKAGES)  # type: ignore[arg-type]
    assert not [op for direction, op, _ in wire_log if direction == "request" and op and "Pickup" in op]


def test_the_service_refuses_what_the_sdk_never_sends(pickups: UspsPickups) -> None:
    """The sandbox is no kinder than the SDK: a booking without weight, or with Other and no instruction."""
    request = {
        "ContactInformation": {"FirstName": "Ada", "LastName": "L", "PhoneNumber": "3105550142"},
        "Address": {"Address": "1 Main St", "City": "Austin", "State": "TX", "ZIP": "78701"},
        "PackageInformation": {"NumberOfOtherPieces": 1, "TotalWeightOfPackagesLbs": 0, "PackageLocation": "FrontDoor"},
    }
    with pytest.raises(ValidationError, match="at least 1") as caught:
        pickups.proxy.call("ScheduleCarrierPickup", request)
    assert caught.value.code == "002b0c06"
    request["PackageInformation"] |= {"TotalWeightOfPackagesLbs": 3, "PackageLocation": "Other"}
    with pytest.raises(ValidationError, match="SpecialInstruction"):
        pickups.proxy.call("ScheduleCarrierPickup", request)


# -- through the router, and across a restart ---------------------------------------------------------------
def test_the_router_gives_the_usps_pickups(sandbox: Sandbox) -> None:
    sandbox.create_account("router", PASSWORD)
    with sandbox.mock() as url:
        accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=InMemoryCredentialStore())
        accounts.connect("m3", username="router", password=PASSWORD)
        shipping: Shipping = accounts.shipping("m3")
        booked = shipping.usps.pickups.schedule(PickupRequest(address=SHOP, packages=PACKAGES))
        assert [p.confirmation_number for p in shipping.usps.pickups.list()] == [booked.confirmation_number]


def test_pickups_and_pickup_service_survive_a_restart(tmp_path, make_sandbox) -> None:
    path = tmp_path / "state.sqlite"
    first = make_sandbox(state_path=path)
    first.create_account("keeper", PASSWORD)
    first.set_pickup_service("99950", True)
    first.set_pickup_service("10118", False)
    with first.mock() as url:
        accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=InMemoryCredentialStore())
        accounts.connect("m4", username="keeper", password=PASSWORD)
        booked = accounts.usps("m4").pickups.schedule(PickupRequest(address=SHOP, packages=PACKAGES))
        accounts.usps("m4").pickups.modify(booked.confirmation_number, packages=PACKAGES)
    first.close()
    second = make_sandbox(state_path=path)
    (kept,) = second.pickups("keeper")
    assert (kept.confirmation_number, kept.state) == (booked.confirmation_number, "Modified")
    assert "99950" not in second.pickup_zips_without_service() and "10118" in second.pickup_zips_without_service()
    with second.mock() as url:
        accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=InMemoryCredentialStore())
        accounts.connect("m4", username="keeper", password=PASSWORD)
        pickups = accounts.usps("m4").pickups
        assert [p.confirmation_number for p in pickups.list()] == [booked.confirmation_number]
        pickups.cancel(booked.confirmation_number)
        again = pickups.schedule(PickupRequest(address=SHOP, packages=PACKAGES))
        assert again.confirmation_number != booked.confirmation_number  # the counter survived too


def test_a_booking_whose_answer_is_lost_is_not_sent_again(pickups: UspsPickups, sandbox: Sandbox, wire_log) -> None:
    """The connection drops after the service booked: the SDK does not book again on its own, the list
    shows the one pickup, and booking again is refused naming it (never two trucks)."""
    sandbox.faults.script("ScheduleCarrierPickup", "reset_after", times=1)
    with pytest.raises(TransportError):
        pickups.schedule(PickupRequest(address=SHOP, packages=PACKAGES))
    assert _sent(wire_log, "ScheduleCarrierPickup") == 1
    (booked,) = pickups.list()
    with pytest.raises(PickupRefused, match=booked.confirmation_number):
        pickups.schedule(PickupRequest(address=SHOP, packages=PACKAGES))
    assert len(sandbox.pickups("picker")) == 1


def test_reads_are_retried_after_a_dropped_connection(pickups: UspsPickups, sandbox: Sandbox, wire_log) -> None:
    sandbox.faults.script("CheckCarrierPickupAvailability", "reset_after", times=1)
    sandbox.faults.script("GetCarrierPickupList", "http_503", times=1)
    assert pickups.available(SHOP).pickup_date
    assert pickups.list() == []
    assert _sent(wire_log, "CheckCarrierPickupAvailability") == 2


def test_packages_for_the_days_labels(pickups: UspsPickups, sandbox: Sandbox) -> None:
    """One piece per USPS label not voided, by its service; the caller gives the weight."""
    from carriers import Parcel, ShipmentRequest, Weight

    accounts = Accounts(
        integration_id=DEMO_INTEGRATION_ID,
        endpoint=pickups.proxy.client.endpoint,
        store=InMemoryCredentialStore(),
        now=sandbox.clock.now,
        api_version=pickups.proxy.settings.version,
    )
    accounts.connect("m1", username="picker", password=PASSWORD)
    usps = accounts.usps("m1")
    to = Address(name="Grace Hopper", street_lines=["2 Navy Way"], city="Arlington", state="VA", postal_code="22202")
    shipment = ShipmentRequest(
        shipper=SHOP,
        recipient=to,
        parcels=[Parcel(weight=Weight(value="2", unit="lb"))],
        ship_date=sandbox.clock.now().date(),
    )
    rates = {rate.service_code: rate for rate in usps.rates(shipment)}
    labels = [
        usps.buy(rates[code], shipment, idempotency_key=f"day-{i}")
        for i, code in enumerate(["US-PM", "US-PM", "US-XM"])
    ]
    usps.void(labels[1])
    voided = labels[1].model_copy(update={"voided": True})
    packages = pickups.packages_for([labels[0], voided, labels[2]], total_weight_lb=5, location="mail_room")
    assert (packages.priority_mail, packages.priority_mail_express, packages.count) == (1, 1, 2)
    assert packages.location is PackageLocation.MAIL_ROOM and packages.total_weight_lb == 5
    with pytest.raises(ValidationError, match="at least one piece"):
        pickups.packages_for([voided], total_weight_lb=1)
