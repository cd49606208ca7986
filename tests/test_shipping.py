"""The router: one merchant, three carriers, one rate shop; USPS paid from the One Balance,
UPS and FedEx billed to the merchant's own accounts, and nothing else."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from carriers import (
    Address,
    Carrier,
    CarrierAccountPayment,
    CarrierClient,
    OneBalancePayment,
    Parcel,
    ShipmentRequest,
    TrackingStatus,
    Weight,
)
from carriers.fedex import FedexClient, FedexSettings
from carriers.ups import UpsClient, UpsSettings
from onebalance import (
    Accounts,
    AuthenticationError,
    EncryptedFileCredentialStore,
    InMemoryCredentialStore,
    LabelNotFound,
    PurchaseInProgress,
    Shipping,
    SqliteLabelJournal,
    SqlitePostageRecords,
    StoredCredentials,
    ValidationError,
)
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

SHIPPER = Address(
    name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701", phone="5125550100"
)
RECIPIENT = Address(
    name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118", phone="2125550100"
)
SHIPMENT = ShipmentRequest(
    shipper=SHIPPER, recipient=RECIPIENT, parcels=[Parcel(weight=Weight(value="2", unit="lb"))], ship_date=date.today()
)


@pytest.fixture
def merchant(sandbox):
    sandbox.create_account("ship-all", "Ship-all-passw0rd", balance="100.00")
    ups_box, fedex_box = UpsSandbox(), FedexSandbox()
    ups_box.create_account("ups-id", "ups-secret", ["A1B2C3"])
    fx = fedex_box.create_account("fx-id", "fx-secret", "700000001")
    with sandbox.serve() as swsim, ups_box.serve() as ups_server, fedex_box.serve() as fedex_server:
        creds = replace(sandbox.create_demo_account(), url=swsim.url)
        accounts = Accounts(integration_id=creds.integration_id, endpoint=swsim.url, store=InMemoryCredentialStore())
        accounts.connect("m", username="ship-all", password="Ship-all-passw0rd")
        shipping = Shipping(
            usps=accounts.usps("m"),
            ups=UpsClient(
                UpsSettings(
                    client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3", base_url=ups_server.url
                )
            ),
            fedex=FedexClient(
                FedexSettings(
                    client_id="fx-id",
                    client_secret=fx.client_secret,
                    account_number="700000001",
                    base_url=fedex_server.url,
                )
            ),
        )
        yield shipping, sandbox


def test_every_carrier_client_implements_the_carrier_contract(merchant):
    shipping, _ = merchant
    assert shipping.carriers == (Carrier.USPS, Carrier.UPS, Carrier.FEDEX)
    for carrier in shipping.carriers:
        client = shipping.client(carrier)
        assert isinstance(client, CarrierClient)
        assert client.carrier is carrier
    assert not isinstance(object(), CarrierClient)


def test_a_usps_label_is_its_own_only_package(merchant):
    shipping, _ = merchant
    usps = shipping.client(Carrier.USPS)
    rate = next(r for r in shipping.rates(SHIPMENT).rates if r.carrier is Carrier.USPS)
    label = shipping.buy(rate, SHIPMENT, idempotency_key="one-package")
    with pytest.raises(ValidationError, match="package"):  # refused before anything is sent
        usps.void(label, "9400111899223197428490")
    assert not label.voided
    result = usps.void(label, label.tracking_number)
    assert result.voided and result.packages == (label.tracking_number,)


def test_rate_shop_across_three_carriers_with_cheapest_and_fastest(merchant):
    shipping, _ = merchant
    shop = shipping.rates(SHIPMENT)
    assert shop.errors == {}
    assert {r.carrier for r in shop.rates} == {Carrier.USPS, Carrier.UPS, Carrier.FEDEX}
    assert shop.cheapest.total.amount == min(r.total.amount for r in shop.rates)
    assert shop.fastest.delivery_days == min(r.delivery_days for r in shop.rates if r.delivery_days is not None)


def test_an_8_oz_parcel_ships_usps_ground_advantage_cheapest(merchant):
    """SWSIM v135 (the default): the rate shop offers US-GA, the cheapest USPS rate for a light parcel,
    and buys it from the One Balance."""
    shipping, sandbox = merchant
    light = SHIPMENT.model_copy(update={"parcels": [Parcel(weight=Weight(value="8", unit="oz"))]})
    shop = shipping.rates(light)
    usps = [r for r in shop.rates if r.carrier is Carrier.USPS]
    assert {r.service_code for r in usps} >= {"US-GA", "US-PM", "US-XM"}
    cheapest = min(usps, key=lambda r: r.total.amount)
    assert (cheapest.service_code, cheapest.service_name) == ("US-GA", "USPS Ground Advantage")
    label = shipping.buy(cheapest, light, idempotency_key="light-1")
    assert label.service_code == "US-GA" and label.cost == cheapest.total
    assert sandbox.account("ship-all").available_postage == Decimal("100.00") - label.cost.amount
    assert shipping.track(Carrier.USPS, label.tracking_number).events
    assert shipping.void(label).voided


def test_who_pays_for_each_label(merchant):
    shipping, sandbox = merchant
    shop = shipping.rates(SHIPMENT)
    labels = {}
    for carrier in (Carrier.UPS, Carrier.FEDEX, Carrier.USPS):
        rate = min((r for r in shop.rates if r.carrier is carrier), key=lambda r: r.total.amount)
        before = sandbox.account("ship-all").available_postage
        labels[carrier] = label = shipping.buy(rate, SHIPMENT, idempotency_key=f"order-{carrier.value}")
        after = sandbox.account("ship-all").available_postage
        if carrier is Carrier.USPS:
            assert isinstance(label.paid_by, OneBalancePayment)
            assert after == before - label.cost.amount  # a USPS label always debits the One Balance
        else:
            assert isinstance(label.paid_by, CarrierAccountPayment)
            assert label.paid_by.carrier is carrier
            assert after == before  # a UPS or FedEx label never touches it
    assert sandbox.account("ship-all").available_postage == Decimal("100.00") - labels[Carrier.USPS].cost.amount
    sandbox.check_ledger("ship-all")
    for label in labels.values():
        assert shipping.track(label.carrier, label.tracking_number).tracking_number == label.tracking_number
        assert shipping.void(label).voided


def test_a_rate_with_the_wrong_payer_is_refused(merchant):
    shipping, sandbox = merchant
    ups_rate = next(r for r in shipping.rates(SHIPMENT).rates if r.carrier is Carrier.UPS)
    with pytest.raises(ValidationError):  # the model refuses it...
        ups_rate.model_copy(update={"payment": OneBalancePayment()})
    forged = ups_rate.model_construct(**(dict(ups_rate) | {"payment": OneBalancePayment()}))
    with pytest.raises(ValidationError, match="UPS label must be paid"):  # ...and so does the router
        shipping.buy(forged, SHIPMENT, idempotency_key="forged")
    assert sandbox.account("ship-all").available_postage == Decimal("100.00")


def test_a_carrier_that_fails_does_not_hide_the_others(merchant, sandbox):
    shipping, _ = merchant
    sandbox.set_password("ship-all", "Changed-elsewhere9")
    shipping.client(Carrier.USPS).client._token = None  # force a new login, which is now refused
    shop = shipping.rates(SHIPMENT)
    error = shop.errors[Carrier.USPS]
    assert isinstance(error, AuthenticationError)  # the exception itself, with its code
    assert error.code == "002b0601"
    assert shop.error_messages[Carrier.USPS] == f"{type(error).__name__}: {error}"
    assert {r.carrier for r in shop.rates} == {Carrier.UPS, Carrier.FEDEX}


# -- Accounts.shipping: the merchant's stored carrier accounts, the label journal ---------------------


@pytest.fixture
def platform(sandbox, tmp_path):
    """A platform with an encrypted store and a SQLite records file; merchant 'm' connected to One Balance;
    served UPS and FedEx sandboxes that know the merchant's own carrier accounts."""
    sandbox.create_account("ship-m", "Ship-m-passw0rd", balance="100.00")
    ups_box, fedex_box = UpsSandbox(), FedexSandbox()
    ups_box.create_account("ups-id", "ups-secret", ["A1B2C3"])
    fedex_box.create_account("fx-id", "fx-secret", "700000001")
    key = EncryptedFileCredentialStore.generate_key()
    import responses  # in-process: no servers to start and stop, so these tests stay fast

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        swsim_url = sandbox.mount(mock)
        ups_url, fedex_url = ups_box.mount(mock), fedex_box.mount(mock)

        def make() -> Accounts:
            return Accounts(
                integration_id=sandbox.create_demo_account().integration_id,
                endpoint=swsim_url,
                store=EncryptedFileCredentialStore(tmp_path / "creds.json", keys=[key]),
                records=SqlitePostageRecords(tmp_path / "records.sqlite"),
            )

        accounts = make()
        accounts.connect("m", username="ship-m", password="Ship-m-passw0rd")
        yield accounts, make, ups_box, ups_url, fedex_box, fedex_url


def test_a_merchant_without_carrier_accounts_gets_usps_only(platform):
    accounts, *_ = platform
    shipping = accounts.shipping("m")
    assert shipping.carriers == (Carrier.USPS,)
    with pytest.raises(ValidationError, match="no UPS account connected"):
        shipping.track("ups", "1ZA1B2C30300000001")


def test_connected_carrier_accounts_are_stored_encrypted_and_join_the_router(platform, tmp_path):
    accounts, make, _, ups_url, _, fedex_url = platform
    ups = accounts.connect_ups(
        "m", client_id="ups-id", client_secret="ups-secret", account_number="a1b2c3", base_url=ups_url
    )
    accounts.connect_fedex(
        "m", client_id="fx-id", client_secret="fx-secret", account_number="700-000-001", base_url=fedex_url
    )
    assert ups.account_number == "A1B2C3"
    assert "ups-secret" not in repr(ups) and "A1B2C3" not in repr(ups)
    raw = (tmp_path / "creds.json").read_text()
    assert "ups-secret" not in raw and "fx-secret" not in raw and "ups-id" not in raw
    # Another process (a new Accounts on the same files) reads them back, secrets and all.
    shipping = make().shipping("m")
    assert shipping.carriers == (Carrier.USPS, Carrier.UPS, Carrier.FEDEX)
    shop = shipping.rates(SHIPMENT)
    assert shop.errors == {}
    assert {r.carrier for r in shop.rates} == {Carrier.USPS, Carrier.UPS, Carrier.FEDEX}
    assert next(r for r in shop.rates if r.carrier is Carrier.FEDEX).payment.account_number == "700000001"


def test_carrier_clients_are_cached_per_merchant_so_tokens_are_reused(platform):
    accounts, _, ups_box, ups_url, _, fedex_url = platform
    accounts.connect_ups("m", client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3", base_url=ups_url)
    accounts.connect_fedex(
        "m", client_id="fx-id", client_secret="fx-secret", account_number="700000001", base_url=fedex_url
    )
    for _ in range(3):
        assert accounts.shipping("m").rates(SHIPMENT).errors == {}
    tokens = [path for _, path in ups_box.requests() if path.endswith("/oauth/token")]
    assert len(tokens) == 1  # connect_ups verified with the token every later call reused
    assert accounts.shipping("m").client("fedex").tokens_fetched == 1
    assert accounts.shipping("m").client("ups") is accounts.shipping("m").client("ups")
    # A changed password (a new One Balance record) keeps the carrier accounts.
    accounts.change_password("m", "Another-passw0rd1")
    assert accounts.shipping("m").carriers == (Carrier.USPS, Carrier.UPS, Carrier.FEDEX)
    one_balance = accounts.client("m")
    accounts.disconnect_fedex("m")  # a carrier account changing keeps the One Balance conversation
    assert accounts.client("m") is one_balance


@pytest.mark.parametrize(
    ("carrier", "number", "field"),
    [
        ("ups", "A1B2C", "account_number"),
        ("ups", "A1B2C3D", "account_number"),
        ("fedex", "70000000", "account_number"),
        ("fedex", "70000000A", "account_number"),
    ],
)
def test_bad_account_numbers_are_refused_and_nothing_is_stored(platform, carrier, number, field):
    accounts, _, ups_box, ups_url, fedex_box, fedex_url = platform
    connect = accounts.connect_ups if carrier == "ups" else accounts.connect_fedex
    with pytest.raises(ValidationError) as caught:
        connect(
            "m",
            client_id="x",
            client_secret="y",
            account_number=number,
            base_url=ups_url if carrier == "ups" else fedex_url,
        )
    assert caught.value.field == field
    assert getattr(accounts.store.get("m"), carrier) is None
    assert ups_box.requests() == [] and fedex_box.shipments() == []


def test_credentials_the_carrier_refuses_are_not_stored(platform):
    accounts, _, _, ups_url, _, fedex_url = platform
    from onebalance import OneBalanceError

    with pytest.raises(OneBalanceError):
        accounts.connect_ups("m", client_id="ups-id", client_secret="wrong", account_number="A1B2C3", base_url=ups_url)
    with pytest.raises(OneBalanceError):
        accounts.connect_fedex(
            "m", client_id="fx-id", client_secret="wrong", account_number="700000001", base_url=fedex_url
        )
    assert accounts.store.get("m").ups is None and accounts.store.get("m").fedex is None


def test_disconnect_forgets_one_carrier_and_keeps_the_rest(platform):
    accounts, _, _, ups_url, _, fedex_url = platform
    accounts.connect_ups("m", client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3", base_url=ups_url)
    accounts.connect_fedex(
        "m", client_id="fx-id", client_secret="fx-secret", account_number="700000001", base_url=fedex_url
    )
    assert accounts.disconnect_ups("m") is True
    assert accounts.disconnect_ups("m") is False
    assert accounts.shipping("m").carriers == (Carrier.USPS, Carrier.FEDEX)
    assert accounts.store.get("m").password_value() == "Ship-m-passw0rd"


def test_the_same_key_buys_one_label_across_processes(platform):
    accounts, make, ups_box, ups_url, fedex_box, fedex_url = platform
    accounts.connect_ups("m", client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3", base_url=ups_url)
    accounts.connect_fedex(
        "m", client_id="fx-id", client_secret="fx-secret", account_number="700000001", base_url=fedex_url
    )
    shop = accounts.shipping("m").rates(SHIPMENT)
    for carrier in (Carrier.UPS, Carrier.FEDEX, Carrier.USPS):
        rate = min((r for r in shop.rates if r.carrier is carrier), key=lambda r: r.total.amount)
        first = make().shipping("m").buy(rate, SHIPMENT, idempotency_key=f"order-7-{carrier.value}")
        again = make().shipping("m").buy(rate, SHIPMENT, idempotency_key=f"order-7-{carrier.value}")
        assert again == first
    ship_calls = [path for method, path in ups_box.requests() if path.endswith("/ship")]
    assert len(ship_calls) == 1  # the second process never asked UPS at all
    assert len(fedex_box.shipments()) == 1
    other = next(r for r in shop.rates if r.carrier is Carrier.UPS and r.service_code != "03")
    with pytest.raises(ValidationError, match="already used"):
        accounts.shipping("m").buy(other, SHIPMENT, idempotency_key="order-7-ups")


def test_a_key_of_the_wrong_format_is_refused_before_anything_is_written_down_or_sent(platform, sandbox):
    """The error the shipment's own ``idempotency_key`` field gives, with nothing in the journal or the ledger."""
    accounts, *_ = platform
    shipping = accounts.shipping("m")
    rate = next(r for r in shipping.rates(SHIPMENT).rates if r.carrier is Carrier.USPS)
    for key in ("has space", "k" * 65, "é"):
        with pytest.raises(ValidationError) as caught:
            shipping.buy(rate, SHIPMENT, idempotency_key=key)
        with pytest.raises(ValidationError) as by_model:
            SHIPMENT.model_copy(update={"idempotency_key": key})
        assert (type(caught.value), str(caught.value), caught.value.field) == (
            type(by_model.value), str(by_model.value), "idempotency_key"
        )  # fmt: skip
    assert shipping.labels() == [] and not [e for e in sandbox.ledger("ship-m") if e.type == "Print"]


def test_a_purchase_with_an_unknown_outcome_is_never_sent_again(platform, tmp_path):
    accounts, _, ups_box, ups_url, *_ = platform
    accounts.connect_ups("m", client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3", base_url=ups_url)
    rate = next(r for r in accounts.shipping("m").rates(SHIPMENT).rates if r.carrier is Carrier.UPS)
    from datetime import datetime, timezone

    # A process that died after claiming the key (its request may or may not have reached UPS).
    SqliteLabelJournal(tmp_path / "records.sqlite").start(
        "m", Carrier.UPS, "order-8", rate.service_code, datetime.now(timezone.utc)
    )
    with pytest.raises(PurchaseInProgress, match="outcome is unknown"):
        accounts.shipping("m").buy(rate, SHIPMENT, idempotency_key="order-8")
    assert not [path for _, path in ups_box.requests() if path.endswith("/ship")]


def test_a_refused_purchase_frees_its_key(platform):
    accounts, _, ups_box, ups_url, *_ = platform
    accounts.connect_ups("m", client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3", base_url=ups_url)
    shipping = accounts.shipping("m")
    rate = next(r for r in shipping.rates(SHIPMENT).rates if r.carrier is Carrier.UPS)
    ups_box.expire_tokens()
    ups_box.state.accounts["ups-id"].client_secret = "rotated"  # the token can no longer be renewed
    from onebalance import OneBalanceError

    with pytest.raises(OneBalanceError):
        shipping.buy(rate, SHIPMENT, idempotency_key="order-9")
    assert accounts.labels.get("m", Carrier.UPS, "order-9") is None
    ups_box.state.accounts["ups-id"].client_secret = "ups-secret"
    assert shipping.buy(rate, SHIPMENT, idempotency_key="order-9").tracking_number


def test_old_records_without_carrier_accounts_still_load():
    old = {
        "integration_id": "i",
        "username": "u",
        "password": "p",
        "endpoint": "https://x.test",
        "updated_at": "2025-01-01T00:00:00+00:00",
    }
    stored = StoredCredentials.model_validate(old)
    assert stored.ups is None and stored.fedex is None
    record = stored.to_record()
    assert StoredCredentials.model_validate(record) == stored


def test_a_record_dumped_without_its_carrier_secret_is_refused_loudly():
    from onebalance import UpsAccount

    stored = StoredCredentials(
        integration_id="i",
        username="u",
        password="p",
        endpoint="https://x.test",
        ups=UpsAccount(
            client_id="c", client_secret="s3cret", account_number="A1B2C3", base_url="https://wwwcie.ups.com"
        ),
    )
    assert "s3cret" not in repr(stored) and "s3cret" not in stored.model_dump_json()
    assert StoredCredentials.model_validate(stored.to_record()).ups.secret_value() == "s3cret"
    masked = stored.model_dump(mode="json") | {"password": "p"}
    with pytest.raises(Exception, match="client_secret") as caught:
        StoredCredentials.model_validate(masked)
    assert "s3cret" not in str(caught.value)


def test_a_ups_purchase_whose_outcome_is_unknown_is_never_sent_again(platform):
    """A lost answer to UPS ship: OutcomeUnknown, the journal entry stays pending, and the same key
    is refused (PurchaseInProgress) instead of buying a second label."""
    from onebalance import OutcomeUnknown

    accounts, _, ups_box, ups_url, _, _ = platform
    accounts.connect_ups("m", client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3", base_url=ups_url)
    shipping = accounts.shipping("m")
    rate = next(r for r in shipping.rates(SHIPMENT).rates if r.carrier is Carrier.UPS)
    ups_box.faults.script("ship", "reset_after")  # UPS ships the label; the answer is lost
    with pytest.raises(OutcomeUnknown):
        shipping.buy(rate, SHIPMENT, idempotency_key="order-lost")
    assert len(ups_box.faults.fired) == 1
    with pytest.raises(PurchaseInProgress):
        shipping.buy(rate, SHIPMENT, idempotency_key="order-lost")
    assert len(ups_box.shipments("A1B2C3")) == 1  # one label, sent once


@pytest.mark.parametrize("carrier", [Carrier.UPS, Carrier.FEDEX])
def test_a_label_the_carrier_sold_but_the_sdk_cannot_read_is_never_bought_again(platform, carrier):
    """The carrier answers the purchase (it bought and billed the label) with a tracking number the
    SDK's Label refuses: that is OutcomeUnknown, not the caller's ValidationError, so the journal
    entry stays pending and the same key is refused instead of buying a second label."""
    from onebalance import OutcomeUnknown

    accounts, _, ups_box, ups_url, fedex_box, fedex_url = platform
    if carrier is Carrier.UPS:
        accounts.connect_ups(
            "m", client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3", base_url=ups_url
        )
        ups_box.state.sequence = 10**60  # 1Z + account + service + 61 digits: over 64 characters
    else:
        accounts.connect_fedex(
            "m", client_id="fx-id", client_secret="fx-secret", account_number="700000001", base_url=fedex_url
        )
        fedex_box.state.next_tracking = 10**70
    shipping = accounts.shipping("m")
    rate = next(r for r in shipping.rates(SHIPMENT).rates if r.carrier is carrier)
    with pytest.raises(OutcomeUnknown) as caught:
        shipping.buy(rate, SHIPMENT, idempotency_key="order-garbled")
    assert caught.value.idempotency_key == "order-garbled"
    with pytest.raises(PurchaseInProgress):
        shipping.buy(rate, SHIPMENT, idempotency_key="order-garbled")
    sold = ups_box.shipments("A1B2C3") if carrier is Carrier.UPS else fedex_box.shipments("700000001")
    assert len(sold) == 1  # one label, bought once
    pending = accounts.labels.pending("m")
    assert [(e.carrier, e.idempotency_key) for e in pending] == [(carrier, "order-garbled")]


def test_a_voided_label_its_carrier_no_longer_knows_tracks_as_voided_from_the_journal(platform):
    accounts, _, ups_box, ups_url, *_ = platform
    accounts.connect_ups("m", client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3", base_url=ups_url)
    shipping = accounts.shipping("m")
    rate = next(r for r in shipping.rates(SHIPMENT).rates if r.carrier is Carrier.UPS)
    label = shipping.buy(rate, SHIPMENT, idempotency_key="forgotten")
    assert shipping.void(label).voided
    ups_box.state.by_tracking.clear()  # UPS answers TW0001 (not found) for it from now on
    tracking = shipping.track("ups", label.tracking_number)
    assert (tracking.status, tracking.events) == (TrackingStatus.VOIDED, ())
    with pytest.raises(LabelNotFound):  # a number the journal does not have as voided is still not found
        shipping.track("ups", "1ZA1B2C30300000999")


def test_the_journal_lists_and_finds_a_voided_label_as_voided(platform):
    accounts, *_ = platform
    shipping = accounts.shipping("m")
    rate = shipping.rates(SHIPMENT).cheapest
    assert rate is not None
    kept = shipping.buy(rate, SHIPMENT, idempotency_key="void-me")
    other = shipping.buy(rate, SHIPMENT, idempotency_key="keep-me")
    assert shipping.void(kept).voided
    listed = {label.tracking_number: label.voided for label in shipping.labels()}
    assert listed == {kept.tracking_number: True, other.tracking_number: False}
    found = shipping.find_label(kept.carrier, kept.tracking_number)
    assert found is not None and found.voided


def test_usps_accessor_refuses_a_merchant_without_usps() -> None:
    from onebalance.carriers import Shipping
    from onebalance.core import ValidationError

    class _Other:
        carrier = "ups"

    shipping = Shipping(ups=_Other())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="no USPS account"):
        _ = shipping.usps
