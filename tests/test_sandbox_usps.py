"""The sandbox's USPS operations on the raw wire: CleanseAddress, GetRates (Ground Advantage on v135,
add-ons), CreateIndicium (checks in order, IntegratorTxID replays, SampleOnly, auto-buy, add-ons),
CancelIndicium (v111's one label, v135's batches) and delayed refunds, TrackShipment and the label
images. The tests speak v135 (the default) unless they say v111. Every exchange made through
``make_sandbox`` is checked against the real WSDL of its version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from onebalance.sandbox import DEMO_INTEGRATION_ID, Clock, Sandbox, SandboxControl, SandboxCredentials
from onebalance.sandbox.swsim import _rates

from . import _wire
from ._soap import SoapFault

SHOP, PASSWORD = "shop", "Shop-Passw0rd"
D = Decimal
FROM = {
    "FullName": "Demo Merchant",
    "Address1": "1990 E Grand Ave",
    "City": "El Segundo",
    "State": "CA",
    "ZIPCode": "90245",
}
TO = {"FullName": "Ann Buyer", "Address1": "12 Main St", "City": "Brooklyn", "State": "NY", "ZIPCode": "11201"}


@pytest.fixture
def box(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    sandbox = make_sandbox()
    sandbox.create_account(SHOP, PASSWORD, balance="100.00")
    return sandbox


def creds(username: str = SHOP) -> dict[str, str]:
    return _wire.credentials(SandboxCredentials("", DEMO_INTEGRATION_ID, username, PASSWORD))


def call(box: Sandbox, op: str, version: str | None = None, **payload: Any) -> dict[str, Any]:
    return _wire.call(box, op, {"Credentials": creds(), **payload}, version=version)


def code(box: Sandbox, op: str, version: str | None = None, **payload: Any) -> str | None:
    return _wire.fault_code(box, op, {"Credentials": creds(), **payload}, version=version)


def void(box: Sandbox, *tx_ids: str, numbers: tuple[str, ...] = ()) -> dict[str, Any]:
    """v135's CancelIndicium: any number of StampsTxIDs and tracking numbers."""
    return call(box, "CancelIndicium", **void_payload(tx_ids, numbers))


def void_code(box: Sandbox, *tx_ids: str, numbers: tuple[str, ...] = ()) -> str | None:
    return code(box, "CancelIndicium", **void_payload(tx_ids, numbers))


def void_payload(tx_ids: tuple[str, ...], numbers: tuple[str, ...]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if numbers:
        payload["TrackingNumbers"] = {"string": list(numbers)}
    if tx_ids:
        payload["StampsTxIDs"] = {"guid": list(tx_ids)}
    return payload


def rate(
    service: str = "US-PM", package: str = "Package", to: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "From": FROM,
        "To": TO if to is None else to,
        "ServiceType": service,
        "PackageType": package,
        "WeightLb": 2.0,
        "WeightOz": 3.0,
        **extra,
    }


def print_label(box: Sandbox, tx: str, **payload: Any) -> dict[str, Any]:
    return call(box, "CreateIndicium", IntegratorTxID=tx, **{"Rate": rate(), **payload})


# -- CleanseAddress ----------------------------------------------------------------------------------
def test_cleanse_address_match_hash_and_flags(box: Sandbox) -> None:
    result = call(box, "CleanseAddress", Address={**TO, "Address1": " 12  main st "})
    address = result["Address"]
    assert result["AddressMatch"] is True and result["CityStateZipOK"] is True
    assert address["Address1"] == "12 MAIN ST" and address["City"] == "BROOKLYN"
    assert len(address["ZIPCodeAddOn"]) == 4 and address["CleanseHash"]
    assert result["ResidentialDeliveryIndicator"] == "Yes" and result["IsPOBox"] is False
    again = call(box, "CleanseAddress", Address=TO)
    assert again["Address"]["CleanseHash"] == address["CleanseHash"]
    assert again["Address"]["ZIPCodeAddOn"] == address["ZIPCodeAddOn"]
    business = call(box, "CleanseAddress", Address={**TO, "Company": "Acme", "Address1": "PO Box 12"})
    assert business["ResidentialDeliveryIndicator"] == "No" and business["IsPOBox"] is True


@pytest.mark.parametrize("change", [{"ZIPCode": "00000"}, {"State": "ZZ"}])
def test_cleanse_address_no_match_has_one_candidate(box: Sandbox, change: dict[str, str]) -> None:
    result = call(box, "CleanseAddress", Address={**TO, **change})
    assert result["AddressMatch"] is False and result["CityStateZipOK"] is False
    candidates = result["CandidateAddresses"]["Address"]
    assert len(candidates) == 1 and candidates[0]["CleanseHash"]
    assert "CleanseHash" not in result["Address"] or not result["Address"]["CleanseHash"]


# -- GetRates -----------------------------------------------------------------------------------------
def test_get_rates_all_and_one(box: Sandbox) -> None:
    everything = call(box, "GetRates", Rate={"From": FROM, "To": TO, "WeightLb": 1.0})["Rates"]["Rate"]
    services = {r["ServiceType"] for r in everything}
    assert services == {"US-GA", "US-PM", "US-XM", "US-PS"}  # v135: Ground Advantage; First-Class carries no parcel
    flat = [r for r in everything if r["PackageType"] == "Flat Rate Envelope"]
    assert {r["ServiceType"] for r in flat} == {"US-PM", "US-XM"}
    light = call(box, "GetRates", Rate={"From": FROM, "To": TO, "WeightOz": 8.0, "ServiceType": "US-FC"})
    assert {r["PackageType"] for r in light["Rates"]["Rate"]} == {"Large Envelope or Flat"}  # flats only
    one = call(box, "GetRates", Rate=rate())["Rates"]["Rate"]
    assert len(one) == 1
    r = one[0]
    assert r["Amount"] == D("8.70") + D("1.10") * 3 * (1 + D("0.15") * (r["Zone"] - 1))
    assert r["Zone"] == 7 and r["DeliverDays"] == "1-3" and r["WeightLb"] == 2.0 and r["WeightOz"] == 3.0
    assert r["From"]["ZIPCode"] == "90245" and r["To"]["ZIPCode"] == "11201"
    fixed = [
        call(box, "GetRates", Rate=rate(package="Flat Rate Box", WeightLb=w))["Rates"]["Rate"][0]["Amount"]
        for w in (1.0, 30.0)
    ]
    assert fixed == [D("17.05"), D("17.05")]


def test_get_rates_no_rate(box: Sandbox) -> None:
    assert code(box, "GetRates", Rate=rate("US-FC", "Large Envelope or Flat")) == "002b0906"  # 35 oz > 13 oz
    assert code(box, "GetRates", Rate=rate("US-PS", "Flat Rate Box")) == "002b0906"
    none = call(box, "GetRates", Rate={"From": FROM, "To": TO, "WeightLb": 80.0})
    assert not none["Rates"].get("Rate")


# -- CreateIndicium ------------------------------------------------------------------------------------
def test_create_indicium_prints_and_replays(box: Sandbox) -> None:
    price = call(box, "GetRates", Rate=rate())["Rates"]["Rate"][0]["Amount"]
    first = print_label(box, "tx-1", cost_code_id=0, Rate=rate(Amount=D("0.01")))
    assert first["Rate"]["Amount"] == price
    assert first["TrackingNumber"].startswith("9405") and len(first["TrackingNumber"]) == 22
    assert first["PostageBalance"]["AvailablePostage"] == D("100.00") - price
    assert first["URL"].endswith(f"/sandbox/labels/{first['StampsTxID']}.png")
    assert first["Mac"] and first["PostageHash"]
    again = print_label(box, "tx-1")
    assert {k: v for k, v in again.items() if k != "Authenticator"} == {
        k: v for k, v in first.items() if k != "Authenticator"
    }
    entries = [e for e in box.ledger(SHOP) if e.type == "Print"]
    assert len(entries) == 1 and entries[0].integrator_tx_id == "tx-1"
    assert first["TrackingNumber"] in entries[0].memo and "cost code 0" in entries[0].memo
    label = box.label(SHOP, first["StampsTxID"])
    assert label.amount == price and label.cost_code_id == 0 and not label.voided
    box.check_ledger(SHOP)
    ground = print_label(box, "tx-2", Rate=rate("US-GA"), ReturnImageData=True)
    assert ground["TrackingNumber"].startswith("9400") and ground["URL"] == ""
    assert ground["ImageData"]["base64Binary"][0].startswith(b"\x89PNG")
    express = print_label(box, "tx-3", Rate=rate("US-XM", "Flat Rate Envelope"))
    assert express["TrackingNumber"].startswith("9470") and express["Rate"]["Amount"] == D("30.45")


def test_create_indicium_faults_in_order_and_replayed(box: Sandbox) -> None:
    box.place_hold(SHOP, "admin_hold")
    assert code(box, "CreateIndicium", IntegratorTxID="f-1", Rate=rate()) == "00450191"
    box.lift_hold(SHOP, "admin_hold")
    assert code(box, "CreateIndicium", IntegratorTxID="f-1", Rate=rate()) == "00450191"  # replayed
    bad_hash = {**TO, "CleanseHash": "nope"}
    assert code(box, "CreateIndicium", IntegratorTxID="f-2", Rate=rate(to=bad_hash)) == "00450163"
    good = call(box, "CleanseAddress", Address=TO)["Address"]
    assert print_label(box, "f-3", Rate=rate(to=good))["TrackingNumber"]
    assert code(box, "CreateIndicium", IntegratorTxID="f-4", Rate=rate(to={**TO, "State": "ZZ"})) == "00450140"
    assert code(box, "CreateIndicium", IntegratorTxID="f-5", Rate=rate("US-FC", "Large Envelope or Flat")) == "002b0906"
    box.set_capability(SHOP, "AllowAllMailClasses", False)
    assert code(box, "CreateIndicium", IntegratorTxID="f-6", Rate=rate("US-PS")) == "00450208"
    assert print_label(box, "f-7", Rate=rate("US-XM"))["TrackingNumber"].startswith("9470")
    box._update(SHOP, lambda a: setattr(a, "per_print_limit", D("5.00")))
    assert code(box, "CreateIndicium", IntegratorTxID="f-8", Rate=rate()) == "002b0a01"
    box._update(SHOP, lambda a: setattr(a, "per_print_limit", D("1000.00")))
    box.set_balance(SHOP, "1.00")
    assert code(box, "CreateIndicium", IntegratorTxID="f-9", Rate=rate()) == "80040414"
    box.check_ledger(SHOP)


def test_create_indicium_sample_and_auto_buy(box: Sandbox) -> None:
    box.set_balance(SHOP, "1.00")
    sample = print_label(box, "s-1", SampleOnly=True)
    assert sample["TrackingNumber"].startswith("SAMPLE") and sample["PostageBalance"]["AvailablePostage"] == D("1.00")
    assert not [e for e in box.ledger(SHOP) if e.type == "Print"]
    box.set_auto_buy(SHOP, enabled=True, purchase_amount="50.00", trigger_amount="10.00")
    bought = print_label(box, "s-2")
    amount = bought["Rate"]["Amount"]
    assert bought["PostageBalance"]["AvailablePostage"] == D("51.00") - amount
    assert [e.type for e in box.ledger(SHOP)][-2:] == ["Purchase", "Print"]
    box.check_ledger(SHOP)


# -- CancelIndicium and refunds --------------------------------------------------------------------------
def test_cancel_then_refund_approved(box: Sandbox) -> None:
    label = print_label(box, "c-1")
    amount = label["Rate"]["Amount"]
    control_total = label["PostageBalance"]["ControlTotal"]
    assert void_code(box, "00000000-0000-0000-0000-000000000000") == "00450202"
    void(box, label["StampsTxID"])
    assert box.label(SHOP, label["StampsTxID"]).refund_status == "pending"
    assert box.account(SHOP).available_postage == D("100.00") - amount
    assert void_code(box, numbers=(label["TrackingNumber"],)) == "00450205"
    refunded = box.approve_refunds(SHOP)
    assert [r.stamps_tx_id for r in refunded] == [label["StampsTxID"]]
    assert box.account(SHOP).available_postage == D("100.00")
    assert box.account(SHOP).control_total == control_total - amount
    assert box.ledger(SHOP)[-1].type == "Refund"
    assert box.approve_refunds(SHOP) == []
    box.check_ledger(SHOP)


def test_refund_credited_a_day_later_and_cancel_window(box: Sandbox) -> None:
    label = print_label(box, "d-1")
    void(box, label["StampsTxID"])
    box.advance_clock(timedelta(hours=23))
    call(box, "GetRates", Rate=rate())
    assert box.label(SHOP, label["StampsTxID"]).refund_status == "pending"
    box.advance_clock(timedelta(hours=1))
    call(box, "GetRates", Rate=rate())
    assert box.label(SHOP, label["StampsTxID"]).refund_status == "approved"
    box.check_ledger(SHOP)
    old = print_label(box, "d-2")
    box.advance_clock(timedelta(hours=241))
    assert void_code(box, old["StampsTxID"]) == "00450201"
    sample = print_label(box, "d-3", SampleOnly=True)
    void(box, sample["StampsTxID"])
    assert box.label(SHOP, sample["StampsTxID"]).refund_status == "none"


def test_pending_refunds_come_due_across_many_labels_and_a_restart(
    make_sandbox: Callable[..., Sandbox], tmp_path: Any
) -> None:
    """The refunds waiting are kept as labels are voided and credited, not looked for among every
    label printed on each call: each comes due once, in any order, and still after the sandbox
    restarts from its saved state (which keeps no such list)."""
    clock = Clock()
    first = make_sandbox(state_path=tmp_path / "state.db", clock=clock)
    first.create_account(SHOP, PASSWORD, balance="100.00")
    labels = [print_label(first, f"m-{i}") for i in range(6)]
    void(first, labels[4]["StampsTxID"], labels[1]["StampsTxID"])
    clock.advance(timedelta(hours=12))
    void(first, labels[2]["StampsTxID"])
    clock.advance(timedelta(hours=12))
    call(first, "GetRates", Rate=rate())  # the first two are due, the third is not
    assert [first.label(SHOP, lb["StampsTxID"]).refund_status for lb in labels] == [
        "",
        "approved",
        "pending",
        "",
        "approved",
        "",
    ]
    first.close()
    again = make_sandbox(state_path=tmp_path / "state.db", clock=clock)
    void(again, labels[5]["StampsTxID"])
    clock.advance(timedelta(hours=12))
    call(again, "GetRates", Rate=rate())
    assert [again.label(SHOP, lb["StampsTxID"]).refund_status for lb in labels] == [
        "",
        "approved",
        "approved",
        "",
        "approved",
        "pending",
    ]
    assert [r.stamps_tx_id for r in again.approve_refunds(SHOP)] == [labels[5]["StampsTxID"]]
    assert again.approve_refunds(SHOP) == []
    again.check_ledger(SHOP)


def test_other_accounts_labels_are_not_found(box: Sandbox) -> None:
    label = print_label(box, "o-1")
    box.create_account("other", PASSWORD, balance="10.00")
    other = {"Credentials": creds("other"), "StampsTxID": label["StampsTxID"]}
    assert _wire.fault_code(box, "CancelIndicium", other, version="v111") == "00450202"
    assert _wire.fault_code(box, "TrackShipment", other) == "00450202"
    batch = {"Credentials": creds("other"), **void_payload((label["StampsTxID"],), ())}
    assert _wire.fault_code(box, "CancelIndicium", batch) == "00450202"


# -- TrackShipment -------------------------------------------------------------------------------------
def test_tracking_progresses_with_the_clock(box: Sandbox) -> None:
    label = print_label(box, "t-1")

    def events() -> list[str]:
        result = call(box, "TrackShipment", TrackingNumber=label["TrackingNumber"])
        assert result["Carrier"] == "USPS" and result["DestinationInfo"]["DestinationZip"] == "11201"
        return [e["Event"] for e in result["TrackingEvents"].get("TrackingEvent") or []]

    assert events() == ["Shipping Label Created"]
    box.advance_clock(timedelta(hours=6))
    assert events() == ["Accepted", "Shipping Label Created"]
    box.advance_clock(timedelta(hours=18))
    assert events()[0] == "In Transit"
    box.advance_clock(timedelta(days=2))
    assert events()[0] == "Out for Delivery"
    box.advance_clock(timedelta(hours=4))
    assert events() == ["Delivered", "Out for Delivery", "In Transit", "Accepted", "Shipping Label Created"]
    voided = print_label(box, "t-2")
    void(box, voided["StampsTxID"])
    box.advance_clock(timedelta(days=5))
    tracked = call(box, "TrackShipment", StampsTxID=voided["StampsTxID"])["TrackingEvents"]["TrackingEvent"]
    assert [e["Event"] for e in tracked] == ["Label voided", "Shipping Label Created"]
    assert code(box, "TrackShipment", TrackingNumber="9400000") == "00450202"


# -- label images and the control API -------------------------------------------------------------------
def test_label_png_in_both_mounts_and_control(box: Sandbox) -> None:
    with box.mock() as url:
        box.dispatcher.actor = url
        label = print_label(box, "p-1")
        response = requests.get(label["URL"], timeout=5)
        assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
        assert (
            requests.get(
                label["URL"].replace(label["StampsTxID"], "0" * 8 + "-0000-0000-0000-" + "0" * 12), timeout=5
            ).status_code
            == 404
        )
    with box.serve() as server:
        box.dispatcher.actor = server.url
        label = print_label(box, "p-2")
        assert label["URL"].startswith(server.url.split("/", 3)[0] + "//" + server.url.split("/", 3)[2])
        response = requests.get(label["URL"], timeout=5)
        assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
        control = SandboxControl(server.url)
        assert len(control.call("labels", username=SHOP)) == 2
        assert control.call("label", username=SHOP, stamps_tx_id=label["StampsTxID"])["amount"]
        void(box, label["StampsTxID"])
        assert requests.get(label["URL"], timeout=5).status_code == 410
        assert control.call("approve_refunds", username=SHOP)[0]["refund_status"] == "approved"
    box.check_ledger(SHOP)


def test_replayed_fault_keeps_its_code_not_a_second_debit(box: Sandbox) -> None:
    with pytest.raises(SoapFault):
        call(box, "CreateIndicium", IntegratorTxID="r-1", Rate=rate("US-FC"))
    assert code(box, "CreateIndicium", IntegratorTxID="r-1", Rate=rate()) == "002b0907"
    assert not box.labels(SHOP)


# -- v135: Ground Advantage, add-ons, batch voids; what v111 answers instead ------------------------------
def test_ground_advantage_table_by_weight_and_zone(box: Sandbox) -> None:
    near = {**TO, "City": "Los Angeles", "State": "CA", "ZIPCode": "90012"}  # zone 1 from 90245

    def ground(to: dict[str, Any], **weight: float) -> dict[str, Any]:
        found = call(box, "GetRates", Rate={"From": FROM, "To": to, "ServiceType": "US-GA", **weight})["Rates"]["Rate"]
        assert len(found) == 1 and found[0]["PackageType"] == "Package" and found[0]["DeliverDays"] == "2-5"
        return found[0]

    assert ground(near, WeightOz=4.0)["Amount"] == D("4.40")  # zones 1 & 2 share a column
    assert ground(near, WeightOz=4.1)["Amount"] == D("4.95")  # rounded up to the 8 oz row
    far = ground(TO, WeightOz=15.99)
    assert far["Zone"] == 7 and far["Amount"] == D("9.05")
    assert ground(TO, WeightLb=3.0)["Amount"] == D("9.25") + 2 * D("1.30")  # 1 lb price + 2 steps
    assert ground(TO, WeightLb=70.0, WeightOz=0.0)["Amount"] == D("9.25") + 69 * D("1.30")
    assert code(box, "GetRates", Rate=rate("US-GA", WeightLb=71.0)) == "002b0906"
    assert code(box, "GetRates", Rate=rate("US-GA", "Flat Rate Box")) == "002b0906"
    light = call(box, "GetRates", Rate={"From": FROM, "To": TO, "WeightOz": 8.0, "PackageType": "Package"})
    cheapest = min(light["Rates"]["Rate"], key=lambda r: r["Amount"])
    assert cheapest["ServiceType"] == "US-GA" and cheapest["Amount"] == D("5.50")


def test_ground_advantage_is_the_cheapest_usps_parcel_service_everywhere() -> None:
    others = [_rates.SERVICES[code] for code in ("US-PM", "US-PS")]
    for ounces in [D(n) for n in (1, 4, 8, 12, 15)] + [D(16 * n) for n in range(1, 71)]:
        for zone in range(1, 9):
            ground = _rates.ground_advantage_price(ounces, zone)
            for other in others:
                assert ground < (_rates.price(other, "Package", ounces, zone) or 0), (other.code, ounces, zone)


def test_v111_has_no_ground_advantage(box: Sandbox) -> None:
    light = call(box, "GetRates", "v111", Rate={"From": FROM, "To": TO, "WeightOz": 8.0, "PackageType": "Package"})
    assert "US-GA" not in {r["ServiceType"] for r in light["Rates"]["Rate"]}
    assert all("AddOnV17" in r["AddOns"] for r in light["Rates"]["Rate"] if r.get("AddOns"))


def test_add_ons_offered_priced_and_charged(box: Sandbox) -> None:
    offered = call(box, "GetRates", Rate=rate("US-GA", InsuredValue=D("150.00")))["Rates"]["Rate"][0]
    addons = {a["AddOnType"]: a for a in offered["AddOns"]["AddOnV20"]}
    assert set(addons) == {"US-A-SC", "US-A-ASR", "US-A-INS"}
    assert addons["US-A-INS"]["Amount"] == D("5.70")  # 2 x $2.85 for $150
    assert addons["US-A-SC"]["ProhibitedWithAnyOf"] == {"AddOnTypeV20": ["US-A-ASR"]}
    sent = {"AddOnV20": [{"AddOnType": "US-A-SC", "Amount": D("0.01")}]}
    label = print_label(box, "a-1", Rate=rate("US-GA", AddOns=sent))
    assert label["Rate"]["AddOns"]["AddOnV20"][0]["Amount"] == D("3.65")
    total = offered["Amount"] + D("3.65")
    assert label["PostageBalance"]["AvailablePostage"] == D("100.00") - total
    assert box.label(SHOP, label["StampsTxID"]).amount == total
    both = {"AddOnV20": [{"AddOnType": "US-A-SC"}, {"AddOnType": "US-A-ASR"}]}
    assert code(box, "CreateIndicium", IntegratorTxID="a-2", Rate=rate("US-GA", AddOns=both)) == "002b0908"
    express_sc = {"AddOnV20": [{"AddOnType": "US-A-SC"}]}
    assert code(box, "CreateIndicium", IntegratorTxID="a-3", Rate=rate("US-XM", AddOns=express_sc)) == "002b0908"
    box.check_ledger(SHOP)


def test_batch_void_is_all_or_nothing(box: Sandbox) -> None:
    first, second, third = (print_label(box, f"b-{n}") for n in (1, 2, 3))
    void(box, first["StampsTxID"])
    assert void_code(box, second["StampsTxID"], first["StampsTxID"]) == "00450205"
    assert not box.label(SHOP, second["StampsTxID"]).voided  # nothing voided
    void(box, second["StampsTxID"], second["StampsTxID"], numbers=(third["TrackingNumber"],))
    assert box.label(SHOP, second["StampsTxID"]).voided and box.label(SHOP, third["StampsTxID"]).voided
    assert void_code(box) == "00450202"  # names no label
    box.check_ledger(SHOP)


def test_a_ground_advantage_label_is_not_replayed_on_v111(box: Sandbox) -> None:
    label = print_label(box, "g-1", Rate=rate("US-GA"))
    assert label["TrackingNumber"].startswith("9400")
    v111_rate = rate("US-PM")
    assert code(box, "CreateIndicium", "v111", IntegratorTxID="g-1", Rate=v111_rate) == "002b0906"
    tracked = call(box, "TrackShipment", "v111", TrackingNumber=label["TrackingNumber"])
    assert tracked["ServiceDescription"] == "USPS Ground Advantage"
    call(box, "CancelIndicium", "v111", StampsTxID=label["StampsTxID"])
    assert box.label(SHOP, label["StampsTxID"]).voided
