"""Every operation in each of the package's WSDLs is exercised by the SDK against the sandbox, on
v135 (in-process and over HTTP) and v111, so every request the SDK sends and every response the
sandbox returns has been checked against the real contract of its version, swsimv135.wsdl or
SwsimV111.wsdl (the ``wire_log`` fixture checks each exchange at teardown)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from onebalance import Accounts, Codewords, CreditCard, InMemoryCredentialStore, RegistrationForm, StoreProfile
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox, SandboxCredentials

from .._soap import swsim_schema


@pytest.fixture(params=[("v135", "inprocess"), ("v135", "server"), ("v111", "inprocess")], ids="-".join)
def versioned(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[tuple[str, SandboxCredentials]]:
    version, mount = request.param
    creds = sandbox.create_demo_account()
    if mount == "inprocess":
        with sandbox.mock() as url:
            yield version, replace(creds, url=url)
    else:
        with sandbox.serve() as server:
            yield version, replace(creds, url=server.url)


def test_the_sdk_exercises_every_operation_of_its_wsdl(sandbox, versioned, wire_log, require_real_swsim):
    version, endpoint = versioned
    accounts = Accounts(
        integration_id=DEMO_INTEGRATION_ID, endpoint=endpoint.url, store=InMemoryCredentialStore(), api_version=version
    )
    profile = StoreProfile(
        store_name="Conformance Co",
        owner_name="Grace Hopper",
        street_lines=("2 Navy Way",),
        city="Arlington",
        state="VA",
        postal_code="22202",
        email="grace@conf.example",
        phone="7035550100",
    )
    codewords = Codewords(question1="PetsName", answer1="Bug", question2="StreetName", answer2="Main")
    form = RegistrationForm.from_store(
        profile,
        password="Cobol-1959",
        codewords=codewords,
        terms_accepted=True,
        client_ip="198.51.100.4",
        payment=CreditCard(number="4111111111111111", expiration_month=1, expiration_year=2032, cvn="123"),
    )
    registration = accounts.register("m", form)
    accounts.codeword_types()
    accounts.start_phone_verification("m")
    accounts.finish_phone_verification("m", sandbox.verification_code(registration.username))
    client = accounts.client("m")
    client.set_codewords(codewords)
    new_id = client.add_payment_method(
        CreditCard(number="5555555555554444", expiration_month=2, expiration_year=2032), make_default=False
    )
    client.set_default_payment_method(new_id)
    old = next(m for m in client.payment_methods() if m.id != new_id)
    client.delete_payment_method(old.id)
    client.page_url("SetTermsGeneral")
    accounts.change_password("m", "Cobol-2024a")
    accounts.password_reset_questions("m")
    accounts.start_password_reset("m", "Bug", "Main")
    accounts.finish_password_reset("m", sandbox.temporary_password(registration.username), "Cobol-2025b")
    accounts.recover_username("grace@conf.example")
    postage = accounts.postage("m")
    postage.add("25.00", cost_account=postage.cost_accounts()[0].id if postage.cost_accounts() else None)
    postage.set_auto_buy(True, amount="50.00", threshold="10.00")
    for amount in ("10.00", "11.00", "12.00"):
        postage.add(amount)
    assert len(postage.client.balance_history(postage._now().date().replace(day=1), page_size=2)) >= 4
    from datetime import date

    from carriers import Address, Parcel, ShipmentRequest, Weight

    usps = accounts.usps("m")
    to = Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118")
    shipment = ShipmentRequest(
        shipper=to, recipient=to, parcels=[Parcel(weight=Weight(value="1", unit="lb"))], ship_date=date.today()
    )
    usps.cleanse(to)
    rates = usps.rates(shipment)
    rate = next(r for r in rates if r.service_code == ("US-GA" if version == "v135" else "US-PM"))
    label = usps.buy(rate, shipment, idempotency_key="conformance-1")
    other = usps.buy(rates[-1], shipment, idempotency_key="conformance-2")
    usps.track(label.tracking_number)
    usps.reprint(label)
    assert len(list(usps.shipments(date.today(), page_size=1))) == 2  # GetShipmentList, then ByToken
    usps.void(label)
    assert [outcome.voided for outcome in usps.void_many([label, other])] == [False, True]
    from onebalance import PickupPackages, PickupRequest

    pickup_at = to.model_copy(update={"name": "Ada Byron", "phone": "2125550100"})
    usps.pickups.available(pickup_at)
    pickup = usps.pickups.schedule(
        PickupRequest(address=pickup_at, packages=PickupPackages(priority_mail=1, total_weight_lb=2))
    )
    usps.pickups.modify(pickup.confirmation_number, packages=PickupPackages(priority_mail=2, total_weight_lb=4))
    assert [p.confirmation_number for p in usps.pickups.list()] == [pickup.confirmation_number]
    usps.pickups.cancel(pickup.confirmation_number)
    kept = usps.buy(rate, shipment, idempotency_key="conformance-3")
    form = usps.scan_form([kept, other], ship_date=shipment.ship_date)  # the voided one is left out
    assert form.tracking_numbers == (kept.tracking_number,)
    assert [item.tracking_number for item in form.left_out] == [other.tracking_number]
    accounts.diagnose("m")
    accounts.close("m", address="2 Navy Way", city="Arlington", state="VA", postal_code="22202")

    seen = {op for direction, op, _ in wire_log if direction == "request" and op}
    assert seen == set(swsim_schema(version).operations)
    namespace = swsim_schema(version).target_namespace.encode()
    assert all(namespace in body for direction, op, body in wire_log if direction == "request" and op)
    assert not require_real_swsim.errors(wire_log[-1][2])
