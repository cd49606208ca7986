"""What differs between SWSIM v111 and v135, seen from the SDK: the account's v135 fields,
RegisterAccount's v135 length limits checked before sending, and a rate read on one version bought
on the other."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import responses

from carriers import Address, Parcel, ShipmentRequest, Weight
from onebalance import (
    Accounts,
    Codewords,
    CreditCard,
    InMemoryCredentialStore,
    OneBalance,
    RegistrationError,
    RegistrationForm,
    StoreProfile,
    ValidationError,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox

PROFILE = StoreProfile(
    store_name="Version Co",
    owner_name="Ada Lovelace",
    street_lines=("2 Navy Way",),
    city="Arlington",
    state="VA",
    postal_code="22202",
    email="ada@versions.example",
    phone="7035550100",
)


def _form(**changes: object) -> RegistrationForm:
    return RegistrationForm.from_store(
        PROFILE, password="Cobol-1959", terms_accepted=True, client_ip="198.51.100.4",
        codewords=Codewords(question1="PetsName", answer1="Bug", question2="StreetName", answer2="Main"),
        payment=CreditCard(number="4111111111111111", expiration_month=1, expiration_year=2032, cvn="123"),
        **changes,
    )  # fmt: skip


@pytest.mark.parametrize("version", ["v135", "v111"])
def test_the_account_carries_v135_fields(sandbox: Sandbox, version: str) -> None:
    creds = sandbox.create_demo_account()
    with sandbox.mock() as url:
        client = OneBalance(integration_id=creds.integration_id, username=creds.username, password=creds.password,
                            endpoint=url, api_version=version)  # fmt: skip
        account = client.account()
    assert account.available_postage == Decimal("100.00")
    assert account.capabilities.block_usps_print is False
    assert account.branded_external_prints is (False if version == "v135" else None)
    assert ("BlockUSPSPrint" in account.capabilities.flags) is (version == "v135")


def test_v135_register_account_limits_are_checked_before_sending(sandbox: Sandbox) -> None:
    """v135's schema limits the promo code to 50 characters: a longer one is refused, naming the field, and
    nothing is sent; v111's schema states no limit, so the same form goes to the service (which refuses the
    unknown promo code in its own words)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        url = sandbox.mount(mock)
        accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=InMemoryCredentialStore())
        with pytest.raises(ValidationError) as caught:
            accounts.register("m", _form(promo_code="P" * 51))
        assert caught.value.field == "promo_code" and "at most 50" in caught.value.message
        assert len(mock.calls) == 0
        old = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=InMemoryCredentialStore(),
                       api_version="v111")  # fmt: skip
        with pytest.raises(RegistrationError) as refused:
            old.register("m", _form(promo_code="P" * 51))
        assert refused.value.code == "00450123"  # the service's answer: it was sent
        assert [call.request.url.rsplit("/", 1)[1] for call in mock.calls] == ["swsimv111.asmx"]
        registered = accounts.register("m2", _form())
    assert registered.username


def test_a_rate_read_on_v111_is_bought_on_v135(sandbox: Sandbox) -> None:
    """The rate's add-ons travel in the item names of the version that buys (AddOnV17 -> AddOnV20)."""
    sandbox.create_account("shop", "Shop-passw0rd", balance="100.00")
    shipment = ShipmentRequest(
        shipper=Address(name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701"),
        recipient=Address(name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118"),
        parcels=[Parcel(weight=Weight("2", "lb"))], ship_date=date.today(), options={"signature"},
    )  # fmt: skip
    with sandbox.mock() as url:
        stores = {v: InMemoryCredentialStore() for v in ("v111", "v135")}
        usps = {}
        for version, store in stores.items():
            accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=store, api_version=version)
            accounts.connect("m", username="shop", password="Shop-passw0rd")
            usps[version] = accounts.usps("m")
        rate = next(r for r in usps["v111"].rates(shipment) if r.service_code == "US-PM")
        assert [name for name, _ in rate.breakdown] == ["base", "Signature Confirmation"]
        label = usps["v135"].buy(rate, shipment, idempotency_key="cross-1")
    assert label.cost == rate.total
    assert sandbox.account("shop").available_postage == Decimal("100.00") - rate.total.amount
