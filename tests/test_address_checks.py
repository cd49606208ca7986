"""Address checks (CleanseAddress) as a public call: the corrected address, matched or not,
residential or commercial, the candidates when ambiguous; typed errors for an address USPS cannot
find and for one it does not check; a rate shop that checks the recipient once and carries the
check on to the USPS label; ``onebalance ship check-address``. On SWSIM v135 and v111, every
exchange checked against the real WSDL of its version (the ``wire_log`` fixture)."""

from __future__ import annotations

import json
from datetime import date

import pytest
import responses

from carriers import Address, Parcel, ShipmentRequest, Weight
from carriers.fedex import FedexClient, FedexSettings
from carriers.ups import UpsClient, UpsSettings
from onebalance import Accounts as _Accounts
from onebalance import (
    AddressError,
    AddressNotFound,
    CleansedAddress,
    InMemoryCredentialStore,
    Shipping,
    ValidationError,
)
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

from .test_cli_ship import EXIT_FAILED, EXIT_OK, EXIT_USAGE, MERCHANT, SHIPMENT, Shell
from .test_usps_international import GIFTS

PASSWORD = "Check-passw0rd"
SHIPPER = Address(
    name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701", phone="5125550100"
)
MISSPELLED = Address(
    name="Ada", street_lines=["350 Fifth Avenu"], city="New York", state="NY", postal_code="10118", phone="2125550100"
)
AMBIGUOUS = Address(name="Bob", street_lines=["100 Main"], city="Springfield", state="IL", postal_code="62701")
NOWHERE = Address(name="Cy", street_lines=["Nowhere"], city="Springfield", state="IL", postal_code="62701")
ABROAD = Address(name="Di", street_lines=["10 Downing St"], city="London", postal_code="SW1A 2AA", country="GB")


def _shipment(recipient: Address) -> ShipmentRequest:
    return ShipmentRequest(
        shipper=SHIPPER, recipient=recipient, parcels=[Parcel(weight=Weight("2", "lb"))], ship_date=date.today()
    )


@pytest.fixture(params=["v135", "v111"])
def shipping(request, sandbox):
    """Merchant 'm' with USPS (One Balance), UPS and FedEx, all in-process."""
    sandbox.create_account("check", PASSWORD, balance="100.00")
    ups_box, fedex_box = UpsSandbox(), FedexSandbox()
    ups_box.create_account("ups-id", "ups-secret", ["A1B2C3"])
    fx = fedex_box.create_account("fx-id", "fx-secret", "700000001")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        url, ups_url, fedex_url = sandbox.mount(mock), ups_box.mount(mock), fedex_box.mount(mock)
        accounts = _Accounts(
            integration_id=sandbox.create_demo_account().integration_id,
            endpoint=url,
            store=InMemoryCredentialStore(),
            api_version=request.param,
        )
        accounts.connect("m", username="check", password=PASSWORD)
        ups = UpsClient(
            UpsSettings(client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3", base_url=ups_url)
        )
        fedex = FedexClient(
            FedexSettings(
                client_id="fx-id", client_secret=fx.client_secret, account_number="700000001", base_url=fedex_url
            )
        )
        yield Shipping(usps=accounts.usps("m"), ups=ups, fedex=fedex)


def _sent(wire_log) -> list[str | None]:
    return [op for direction, op, _ in wire_log if direction == "request" and op != "AuthenticateUser"]


def test_a_misspelled_street_is_corrected_and_matched_with_its_delivery_type(shipping):
    check = shipping.check_address(MISSPELLED)
    assert isinstance(check, CleansedAddress)
    assert check.match and not check.ambiguous and check.corrected(MISSPELLED)
    assert check.address.street_lines == ("350 FIFTH AVE",)
    assert check.address.postal_code.startswith("10118-")  # the ZIP+4 USPS added
    assert check.residential is True and check.address.residential is True
    assert check.cleanse_hash and check.candidates == ()
    business = shipping.check_address(SHIPPER.model_copy(update={"company": "Acme Widgets"}))
    assert business.match and business.residential is False and not business.corrected(SHIPPER)


def test_an_ambiguous_address_gives_the_candidates_and_no_hash(shipping):
    check = shipping.check_address(AMBIGUOUS)
    assert check.ambiguous and not check.match and check.city_state_zip_ok
    assert [c.street_lines for c in check.candidates] == [("100 MAIN ST",), ("100 MAIN AVE",)]
    assert check.residential is None and check.cleanse_hash is None
    picked = shipping.check_address(check.candidates[0])
    assert picked.match and picked.cleanse_hash


def test_an_address_usps_cannot_find_is_a_typed_error_and_a_foreign_one_is_refused_unsent(shipping, wire_log):
    with pytest.raises(AddressNotFound) as found:
        shipping.check_address(NOWHERE)
    assert isinstance(found.value, AddressError) and found.value.city_state_zip_ok is True
    assert found.value.operation == "CleanseAddress"
    del wire_log[:]
    with pytest.raises(ValidationError) as refused:
        shipping.check_address(ABROAD)
    assert refused.value.field == "address.country"
    assert _sent(wire_log) == []  # bad input: nothing sent


def test_the_rate_shop_checks_the_recipient_once_and_the_usps_label_reuses_the_check(shipping, sandbox, wire_log):
    shipping.rates(_shipment(SHIPPER))  # the client's login and first account read, out of the way
    del wire_log[:]
    shop = shipping.rates(_shipment(MISSPELLED), check_address=True)
    assert _sent(wire_log) == ["CleanseAddress", "GetRates"]
    assert shop.address_check is not None and shop.address_check.match
    assert shop.shipment is not None and shop.shipment.recipient == shop.address_check.address
    assert {r.carrier.value for r in shop.rates} == {"usps", "ups", "fedex"}  # every carrier rated the corrected one
    usps_rate = next(r for r in shop.rates if r.service_code == "US-PM")
    del wire_log[:]
    label = shipping.buy(usps_rate, shop.shipment, idempotency_key="checked-1")
    assert _sent(wire_log) == ["CreateIndicium"]  # no second check, no account read
    assert label.tracking_number
    sandbox.check_ledger("check")


def test_a_rate_shop_of_an_ambiguous_or_unknown_address(shipping):
    shop = shipping.rates(_shipment(AMBIGUOUS), check_address=True)
    assert shop.address_check is not None and shop.address_check.ambiguous
    assert shop.shipment is not None and shop.shipment.recipient == AMBIGUOUS  # rated as given
    with pytest.raises(AddressNotFound):
        shipping.rates(_shipment(NOWHERE), check_address=True)
    abroad = _shipment(SHIPPER).model_copy(update={"recipient": ABROAD, "customs": GIFTS})
    shop = shipping.rates(abroad, check_address=True)
    assert shop.address_check is None and shop.shipment == abroad  # USPS checks US addresses only
    assert shop.rates


def test_check_address_needs_usps():
    ups = UpsClient(
        UpsSettings(client_id="i", client_secret="s", account_number="A1B2C3", base_url="http://127.0.0.1:9")
    )
    with pytest.raises(ValidationError):
        Shipping(ups=ups).check_address(MISSPELLED)
    with pytest.raises(ValidationError):
        Shipping(ups=ups).rates(_shipment(MISSPELLED), check_address=True)


# -- the command line --------------------------------------------------------------------------------
@pytest.fixture
def shell(tmp_path, sandbox):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield Shell(tmp_path, sandbox, mock)


def _check(shell, street: str, *more: str, city: str = "Springfield", state: str = "IL", zip_code: str = "62701"):
    return shell(
        *more, "check-address", MERCHANT, "--street", street, "--city", city, "--state", state, "--zip", zip_code
    )


def test_cli_check_address_text_json_and_exit_codes(shell, wire_log):
    ok = _check(shell, "350 Fifth Avenu", city="New York", state="NY", zip_code="10118")
    assert ok.exit_code == EXIT_OK, ok.output
    assert "matched:     350 FIFTH AVE, NEW YORK, NY 10118-" in ok.stdout
    assert "corrected:   from 350 Fifth Avenu, New York, NY 10118" in ok.stdout
    assert "delivery:    residential" in ok.stdout
    business = shell("--json", "check-address", MERCHANT, "--street", "1 Main St", "--company", "Acme", "--city",
                     "Austin", "--state", "TX", "--zip", "78701")  # fmt: skip
    data = json.loads(business.stdout)
    assert business.exit_code == EXIT_OK and data["matched"] and data["residential"] is False
    assert data["address"]["street_lines"] == ["1 MAIN ST"] and data["cleanse_hash"]
    ambiguous = _check(shell, "100 Main", "--json")
    data = json.loads(ambiguous.stdout)
    assert ambiguous.exit_code == EXIT_FAILED and data["ambiguous"] and data["matched"] is False
    assert [c["street_lines"] for c in data["candidates"]] == [["100 MAIN ST"], ["100 MAIN AVE"]]
    text = _check(shell, "100 Main")
    assert text.exit_code == EXIT_FAILED and "1. 100 MAIN ST, SPRINGFIELD, IL 62701-" in text.stdout
    missing = _check(shell, "Nowhere")
    assert missing.exit_code == EXIT_FAILED and "AddressNotFound" in missing.stderr
    del wire_log[:]
    abroad = _check(shell, "10 Downing St", city="London", state="", zip_code="SW1A 2AA")
    abroad = shell("check-address", MERCHANT, "--street", "10 Downing St", "--city", "London", "--zip", "SW1A 2AA",
                   "--state", "", "--country", "GB")  # fmt: skip
    assert abroad.exit_code == EXIT_USAGE and "--country" in abroad.stderr
    bad_state = _check(shell, "1 Main St", state="ZZ")
    assert bad_state.exit_code == EXIT_USAGE and "--state" in bad_state.stderr
    assert not [op for direction, op, _ in wire_log if direction == "request"]  # refused input: nothing sent


def test_cli_rates_check_address_rates_and_saves_the_corrected_recipient(shell, tmp_path):
    args = [a if a != "350 5th Ave" else "350 Fifth Avenu" for a in SHIPMENT]
    shop = shell("--json", "rates", MERCHANT, *args, "--check-address")
    assert shop.exit_code == EXIT_OK, shop.output
    assert "address check: matched:     350 FIFTH AVE" in shop.stderr
    data = json.loads(shop.stdout)
    assert data["address_check"]["matched"] is True and data["address_check"]["corrected"] is True
    assert data["shipment"]["to_street"] == ["350 FIFTH AVE"] and data["shipment"]["to_zip"].startswith("10118-")
    saved = tmp_path / "rates.json"
    saved.write_text(shop.stdout)
    label = shell("buy", MERCHANT, "--from-rates", str(saved), "--rate", "usps:US-PM", "--idempotency-key", "chk-1",
                  "--label-out", str(tmp_path / "label.png"))  # fmt: skip
    assert label.exit_code == EXIT_OK, label.output
    plain = shell("--json", "rates", MERCHANT, *SHIPMENT)
    assert json.loads(plain.stdout)["address_check"] is None and "address check" not in plain.stderr
