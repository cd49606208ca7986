"""The sandbox's postage on the wire: PurchasePostage (every rule, in order, replays, fees, rejections,
Pending/Processing), SetAutoBuy and the service-side auto-buy, EnumCostCodes, GetBalanceHistory(+ByToken),
the ledger and its invariants, the postage control API, persistence. Every exchange made through
``make_sandbox`` is checked against the real WSDL at teardown."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from onebalance.sandbox import DEMO_INTEGRATION_ID, PaymentMethod, Sandbox, SandboxControl, SandboxCredentials

from . import _wire
from ._soap import SoapFault, body_child, build, swsim_schema

SHOP, PASSWORD = "shop", "Shop-Passw0rd"
D = Decimal


class Session:
    """A rolling-token conversation over the raw wire that follows replacement tokens in faults, and
    logs in again when the sandbox clock was moved past the token's 24 hours. It speaks ``version``
    (v135 unless told)."""

    def __init__(
        self, sandbox: Sandbox, username: str = SHOP, password: str = PASSWORD, *, version: str | None = None
    ) -> None:
        self.sandbox = sandbox
        self.username = username
        self.version = version
        self.creds = SandboxCredentials("", DEMO_INTEGRATION_ID, username, password)
        self.token: str | None = _wire.login(sandbox, self.creds)

    def call(self, op: str, **payload: Any) -> dict[str, Any]:
        try:
            result = _wire.call(self.sandbox, op, {"Authenticator": self.token, **payload}, version=self.version)
        except SoapFault as fault:
            if fault.code == "002b0202":
                self.token = _wire.login(self.sandbox, self.creds)
                return self.call(op, **payload)
            if fault.authenticator:
                self.token = fault.authenticator
            raise
        self.token = result["Authenticator"]
        return result

    def fault(self, op: str, **payload: Any) -> SoapFault:
        with pytest.raises(SoapFault) as info:
            self.call(op, **payload)
        assert info.value.authenticator, f"{op} fault {info.value.code} came without a replacement token"
        return info.value

    def code(self, op: str, **payload: Any) -> str | None:
        return self.fault(op, **payload).code

    def balance(self) -> tuple[Decimal, Decimal]:
        info = self.call("GetAccountInfo")["AccountInfo"]["PostageBalance"]
        return info["AvailablePostage"], info["ControlTotal"]

    def buy(
        self, amount: str, control_total: Decimal | str | None = None, tx: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        if control_total is None:
            control_total = self.sandbox.account(self.username).control_total
        payload: dict[str, Any] = {"PurchaseAmount": D(amount), "ControlTotal": D(control_total), **extra}
        if tx is not None:
            payload["IntegratorTxID"] = tx
        return self.call("PurchasePostage", **payload)

    def buy_code(self, amount: str, control_total: Decimal | str | None = None, tx: str | None = None) -> str | None:
        with pytest.raises(SoapFault) as info:
            self.buy(amount, control_total, tx)
        assert info.value.authenticator, f"PurchasePostage fault {info.value.code} came without a replacement token"
        return info.value.code

    def set_auto_buy(self, enabled: bool, purchase: str | None = None, trigger: str | None = None) -> dict[str, Any]:
        return self.call("SetAutoBuy", AutoBuySettings=_auto(enabled, purchase, trigger))

    def history(
        self, since: date, until: date | None = None, types: tuple[str, ...] = ("All",), per_page: int | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"TransactionDateMin": since, "Filters": {"TransactionType": list(types)}}
        if until is not None:
            payload["TransactionDateMax"] = until
        if per_page is not None:
            payload["TransactionsPerPage"] = per_page
        return self.call("GetBalanceHistory", **payload)


def _auto(enabled: bool, purchase: str | None, trigger: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = {"AutoBuyEnabled": enabled}
    if purchase is not None:
        settings["PurchaseAmount"] = D(purchase)
    if trigger is not None:
        settings["TriggerAmount"] = D(trigger)
    return settings


@pytest.fixture
def box(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    sandbox = make_sandbox()
    sandbox.create_account(SHOP, PASSWORD, balance="100.00")
    return sandbox


@pytest.fixture
def shop(box: Sandbox) -> Session:
    return Session(box)


def _purchases(sandbox: Sandbox, username: str = SHOP) -> list[Any]:
    return [e for e in sandbox.ledger(username) if e.type == "Purchase"]


def _today(sandbox: Sandbox) -> date:
    return sandbox.clock.now().date()


def _raw(sandbox: Sandbox, op_name: str, payload: dict[str, Any], version: str | None = None) -> Any:
    schema = swsim_schema(version)
    op = schema.operations[op_name]
    return sandbox.handle(build(schema, op, payload, response=False), f'"{op.soap_action}"', api_version=version)


# -- PurchasePostage ---------------------------------------------------------------------------------
def test_a_purchase_posts_to_the_ledger_charges_the_card_and_reports_the_new_balance(box, shop):
    before = shop.balance()
    result = shop.buy("25.00", before[1], tx="tx-1")
    assert result["PurchaseStatus"] == "Success"
    assert isinstance(result["TransactionID"], int)
    assert result["PostageBalance"] == {"AvailablePostage": D("125.00"), "ControlTotal": D("0.00")}
    assert result["MIRequired"] is False
    assert "RejectionCode" not in result and "RejectionReason" not in result  # v135 has no RejectionCode
    assert result["ProcessorTransactionID"] == f"pp_{result['TransactionID']:012d}"
    assert shop.buy("25.00", tx="tx-1") == {**result, "Authenticator": shop.token}  # a replay: the same id
    entry = box.ledger(SHOP)[-1]
    assert (entry.type, entry.credit, entry.balance, entry.purchase_type) == (
        "Purchase",
        D("25.00"),
        D("125.00"),
        "Manual",
    )
    assert (entry.transaction_id, entry.integrator_tx_id, entry.brand) == (
        result["TransactionID"],
        "tx-1",
        "Stamps.com",
    )
    [charge] = box.charges(SHOP)
    assert (charge.amount, charge.fee, charge.total) == (D("25.00"), D("0.00"), D("25.00"))
    assert (charge.billing_method, charge.transaction_id) == ("CreditCard", result["TransactionID"])
    assert charge.payment_method_id == box.account(SHOP).default_payment_method.id
    assert shop.balance() == (D("125.00"), D("0.00"))
    box.check_ledger(SHOP)


def test_rejection_code_is_sent_nil_unless_rejected(box):
    """v111 only: its RejectionCode is minOccurs=1 nillable (and it has no ProcessorTransactionID)."""
    payload = {"Authenticator": Session(box).token, "PurchaseAmount": D("10"), "ControlTotal": D("0")}
    reply = _raw(box, "PurchasePostage", payload, "v111")
    assert b"ProcessorTransactionID" not in reply.body
    assert reply.status == 200
    response = body_child(reply.body)
    [code] = [c for c in response if c.tag.endswith("}RejectionCode")]
    assert code.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true" and not code.text
    assert b"RejectionReason" not in reply.body


def test_purchase_checks_come_in_the_documented_order(box, shop):
    """Every condition at once; lifting them one by one reveals the next code."""
    box.set_balance(SHOP, "480.00")
    for hold in ("payment_hold", "admin_hold", "activity_blocked"):
        box.place_hold(SHOP, hold)
    box.set_capability(SHOP, "CanUseInvoicing", True)
    box.set_capability(SHOP, "CanPurchasePostage", False)
    box.set_monthly_limit(SHOP, 15)
    box.print_postage(SHOP, "5.00")
    stale = D("0.00")
    steps: list[tuple[str, Callable[[], object]]] = [
        ("00450190", lambda: box.lift_hold(SHOP, "payment_hold")),
        ("00450191", lambda: box.lift_hold(SHOP, "admin_hold")),
        ("00560201", lambda: box.lift_hold(SHOP, "activity_blocked")),
        ("00560106", lambda: box.set_capability(SHOP, "CanUseInvoicing", False)),
        ("8004800b", lambda: box.set_capability(SHOP, "CanPurchasePostage", True)),
    ]
    for code, lift in steps:
        assert shop.buy_code("5.00", stale) == code
        lift()
    assert shop.buy_code("5.00", stale) == "00560103"
    assert shop.buy_code("30.00", stale) == "00450116"
    fresh = box.account(SHOP).control_total
    assert shop.buy_code("30.00", fresh) == "00560104"  # 475 + 30 > 500
    box.set_balance(SHOP, "400.00")
    assert shop.buy_code("30.00", fresh) == "80040c58"  # 30 > the monthly limit of 15
    box.set_monthly_limit(SHOP, 10000)
    assert box.charges(SHOP) == [] and _purchases(box) == []
    assert shop.buy("30.00", fresh)["PostageBalance"]["AvailablePostage"] == D("430.00")
    box.check_ledger(SHOP)


def test_the_maximum_balance_fault_quotes_the_maximum(box, shop):
    fault = shop.fault("PurchasePostage", PurchaseAmount=D("450.00"), ControlTotal=D("0"))
    assert fault.code == "00560104" and "$500.00" in fault.faultstring


@pytest.mark.parametrize("amount", ["9.99", "10.001", "0", "-10.00", "0.50"])
def test_amounts_below_ten_dollars_or_not_in_cents_are_out_of_bounds(shop, amount):
    assert shop.buy_code(amount) == "00560103"


@pytest.mark.parametrize("amount", ["10", "10.00", "10.000", "400.00"])
def test_amounts_from_ten_dollars_in_whole_cents_are_bought(box, shop, amount):
    assert shop.buy(amount)["PostageBalance"]["AvailablePostage"] == D("100.00") + D(amount)
    box.check_ledger(SHOP)


def test_a_print_elsewhere_makes_the_control_total_stale_and_nothing_is_bought(box, shop):
    available, control_total = shop.balance()
    box.print_postage(SHOP, "12.34", memo="label from another app")
    assert shop.buy_code("20.00", control_total) == "00450116"
    assert _purchases(box) == [] and box.charges(SHOP) == []
    available, fresh = shop.balance()
    assert (available, fresh) == (D("87.66"), D("12.34"))
    result = shop.buy("20.00", fresh)
    assert result["PostageBalance"] == {"AvailablePostage": D("107.66"), "ControlTotal": D("12.34")}
    box.check_ledger(SHOP)


def test_the_monthly_limit_counts_the_calendar_month_including_auto_buys(box, shop):
    box.set_monthly_limit(SHOP, 100)
    shop.set_auto_buy(True, "40.00", "50.00")
    box.print_postage(SHOP, "60.00")  # 40 left: the auto-buy buys 40
    assert _purchases(box)[-1].purchase_type == "AutoBuy"
    shop.buy("50.00")  # 90 this month
    assert shop.buy_code("20.00") == "80040c58"
    now = box.clock.now()
    box.advance_clock(datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=now.tzinfo) - now)
    assert shop.buy("20.00")["PurchaseStatus"] == "Success"
    box.check_ledger(SHOP)


def test_a_repeated_integrator_tx_id_replays_the_first_success_without_a_second_charge(box, shop):
    first = shop.buy("30.00", tx="same")
    box.print_postage(SHOP, "5.00")
    again = shop.buy("30.00", D("0"), tx="same")  # even with a now stale control total
    assert again["TransactionID"] == first["TransactionID"]
    assert (
        again["PostageBalance"]
        == first["PostageBalance"]
        == {"AvailablePostage": D("130.00"), "ControlTotal": D("0.00")}
    )
    assert len(box.charges(SHOP)) == 1 and len(_purchases(box)) == 1
    other = shop.buy("30.00", tx="other")
    assert other["TransactionID"] != first["TransactionID"]
    assert len(box.charges(SHOP)) == 2
    box.check_ledger(SHOP)


def test_a_repeated_integrator_tx_id_replays_the_first_fault(box, shop):
    assert shop.buy_code("5.00", tx="bad") == "00560103"
    assert shop.buy_code("50.00", tx="bad") == "00560103"  # not re-processed with the new amount
    box.print_postage(SHOP, "1.00")
    assert shop.buy_code("20.00", D("0"), tx="stale") == "00450116"
    assert shop.buy_code("20.00", box.account(SHOP).control_total, tx="stale") == "00450116"
    assert box.charges(SHOP) == [] and _purchases(box) == []


def test_replays_are_per_account(box, shop):
    box.create_account("other", PASSWORD, balance="10.00")
    other = Session(box, "other")
    mine = shop.buy("20.00", tx="shared-id")
    theirs = other.buy("20.00", tx="shared-id")
    assert theirs["PostageBalance"]["AvailablePostage"] == D("30.00") != mine["PostageBalance"]["AvailablePostage"]


def test_a_declined_card_rejects_the_purchase_and_places_a_payment_hold(box, shop):
    box.decline_payment_method(SHOP, hold=False)
    result = shop.buy("20.00", tx="declined")
    assert result["PurchaseStatus"] == "Rejected"
    assert "RejectionCode" not in result and "ProcessorTransactionID" not in result  # v135: the reason only
    assert result["RejectionReason"] == "The payment method was declined."
    assert result["PostageBalance"]["AvailablePostage"] == D("100.00")
    assert box.charges(SHOP) == [] and _purchases(box) == []
    info = shop.call("GetAccountInfo")
    assert (info["AccountStatus"], info["AccountInfo"]["ResubmitStatus"]) == ("PaymentHold", "PAYMENT_RESUBMISSION")
    assert shop.buy("20.00", tx="declined") == {**result, "Authenticator": shop.token}  # replayed as it was
    assert shop.buy_code("20.00", tx="next") == "00450190"


def test_an_expired_card_is_rejected_too(make_sandbox):
    box = make_sandbox()
    old = PaymentMethod(id="1", card_type="Visa", last4="1111", expires=date(2020, 1, 1), default=True)
    box.create_account(SHOP, PASSWORD, payment_methods=[old])
    result = Session(box).buy("20.00")
    assert (result["PurchaseStatus"], result["RejectionReason"]) == ("Rejected", "The payment method has expired.")
    assert "payment_hold" in box.account(SHOP).holds


@pytest.mark.parametrize("code", ["CustomerActionRequired", "SystemFailure", "RejectedDueToFraud"])
def test_the_next_purchase_can_be_made_to_reject(box, code):
    shop = Session(box, version="v111")  # v111 reports the RejectionCode
    box.set_next_purchase_outcome(SHOP, "Rejected", code)
    result = shop.buy("20.00")
    assert (result["PurchaseStatus"], result["RejectionCode"]) == ("Rejected", code)
    assert result["RejectionReason"]
    assert box.account(SHOP).holds == [] and box.charges(SHOP) == []
    assert shop.buy("20.00")["PurchaseStatus"] == "Success"  # the knob is used once


@pytest.mark.parametrize("status", ["Pending", "Processing"])
def test_a_pending_purchase_completes_on_the_next_get_account_info(box, shop, status):
    box.set_next_purchase_outcome(SHOP, status)
    first = shop.buy("40.00", tx="slow")
    assert first["PurchaseStatus"] == status
    assert first["PostageBalance"]["AvailablePostage"] == D("100.00") and "ProcessorTransactionID" not in first
    assert _purchases(box) == [] and box.charges(SHOP) == []
    assert shop.buy_code("40.00", tx="slow") == "8004041b"
    assert shop.buy_code("10.00", tx="another") == "8004041b"
    box.advance_clock(5)
    assert _purchases(box) == []  # the clock does not complete it
    assert shop.balance() == (D("140.00"), D("0.00"))
    [entry] = _purchases(box)
    assert entry.transaction_id == first["TransactionID"]
    done = shop.buy("40.00", tx="slow")
    assert (done["PurchaseStatus"], done["TransactionID"]) == ("Success", first["TransactionID"])
    assert done["PostageBalance"]["AvailablePostage"] == D("140.00")
    assert len(box.charges(SHOP)) == 1
    # "in progress" is not remembered: once the first completed, the same IntegratorTxID buys
    assert shop.buy("10.00", tx="another")["PurchaseStatus"] == "Success"
    box.check_ledger(SHOP)


def test_a_pending_purchase_that_no_longer_fits_is_rejected_when_it_completes(box):
    shop = Session(box, version="v111")  # v111 reports the RejectionCode
    box.set_next_purchase_outcome(SHOP, "Pending")
    shop.buy("300.00")
    assert box.account(SHOP).pending_purchase is not None
    assert shop.balance() == (D("400.00"), D("0.00"))
    box.set_next_purchase_outcome(SHOP, "Pending")
    assert shop.buy_code("100.01") == "00560104"  # the knob waits for a purchase that passes the checks
    assert shop.buy("100.00", tx="late")["PurchaseStatus"] == "Pending"
    box.adjust(SHOP, "50.00", "goodwill")  # 450 + the 100 pending would pass the maximum
    assert shop.balance() == (D("450.00"), D("0.00"))
    late = shop.buy("100.00", tx="late")
    assert (late["PurchaseStatus"], late["RejectionCode"]) == ("Rejected", "SystemFailure")
    assert len(box.charges(SHOP)) == 1
    box.check_ledger(SHOP)


def test_send_email_sends_a_receipt(box, shop):
    result = shop.buy("20.00", SendEmail=True)
    [mail] = box.messages(channel="email")
    assert str(result["TransactionID"]) in mail.body and "$120.00" in mail.body


# -- fees --------------------------------------------------------------------------------------------
def _ach() -> PaymentMethod:
    return PaymentMethod(id="9001", billing_method="ACH", bank_name="First Bank", last4="6789", default=True)


@pytest.mark.parametrize(
    ("mailstation", "funding", "amount", "fee"),
    [
        (True, "card", "100.00", "3.50"),
        (True, "card", "11.00", "0.39"),  # 0.385 rounds half-up
        (True, "card", "12.30", "0.43"),  # 0.4305
        (False, "card", "100.00", "0.00"),
        (True, "reserve_account", "100.00", "0.00"),
        (True, "purchase_power", "100.00", "0.00"),
        (True, "ach", "100.00", "0.00"),
    ],
)
def test_the_mailstation_fee_applies_to_credit_cards_only(make_sandbox, mailstation, funding, amount, fee):
    box = make_sandbox()
    box.create_account(
        SHOP, PASSWORD, has_mailstation=mailstation, **({"payment_methods": [_ach()]} if funding == "ach" else {})
    )
    if funding in ("reserve_account", "purchase_power"):
        method = box.add_funding_account(SHOP, funding)
        assert box.account(SHOP).default_payment_method.id == method.id
    shop = Session(box)
    shop.buy(amount)
    [charge] = box.charges(SHOP)
    assert (charge.amount, charge.fee, charge.total) == (D(amount), D(fee), D(amount) + D(fee))
    expected = {
        "card": "CreditCard",
        "ach": "ACH",
        "reserve_account": "EnterprisePaymentAccount",
        "purchase_power": "OMAS",
    }
    assert charge.billing_method == expected[funding]
    listed = shop.call("ListPaymentMethods")["PaymentMethods"]["PaymentMethod"]
    assert expected[funding] in {m["BillingMethod"] for m in listed}
    box.check_ledger(SHOP)


def test_a_funding_account_lifts_a_payment_hold_and_mailstation_can_be_toggled(box, shop):
    box.decline_payment_method(SHOP)
    assert shop.buy_code("20.00") == "00450190"
    box.add_funding_account(SHOP, "reserve_account")
    box.set_mailstation(SHOP, True)
    shop.buy("20.00")
    box.set_mailstation(SHOP, False)
    with pytest.raises(ValueError, match="kind"):
        box.add_funding_account(SHOP, "gold_bars")
    assert [c.fee for c in box.charges(SHOP)] == [D("0.00")]
    box.check_ledger(SHOP)


# -- SetAutoBuy --------------------------------------------------------------------------------------
def test_set_auto_buy_checks_come_in_the_documented_order(box, shop):
    for hold in ("payment_hold", "admin_hold"):
        box.place_hold(SHOP, hold)
    box.set_capability(SHOP, "CanPurchasePostage", False)
    box.set_capability(SHOP, "CanUseInvoicing", True)
    box.set_capability(SHOP, "CanManageUsers", False)
    good = ("50.00", "20.00")
    for code, lift in [
        ("00450190", lambda: box.lift_hold(SHOP, "payment_hold")),
        ("00450191", lambda: box.lift_hold(SHOP, "admin_hold")),
        ("0045018c", lambda: box.set_capability(SHOP, "CanPurchasePostage", True)),
        ("0045018b", lambda: box.set_capability(SHOP, "CanUseInvoicing", False)),
        ("0045018a", lambda: box.set_capability(SHOP, "CanManageUsers", True)),
    ]:
        assert shop.fault("SetAutoBuy", AutoBuySettings=_auto(True, *good)).code == code
        lift()
    assert shop.fault("SetAutoBuy", AutoBuySettings=_auto(True, "5.00", "0")).code == "0045018d"
    assert shop.fault("SetAutoBuy", AutoBuySettings=_auto(True, "50.00", "-1")).code == "0045018d"
    assert shop.fault("SetAutoBuy", AutoBuySettings=_auto(True, None, None)).code == "0045018d"
    assert shop.fault("SetAutoBuy", AutoBuySettings=_auto(True, "9.99", "20")).code == "0045018e"
    assert shop.fault("SetAutoBuy", AutoBuySettings=_auto(True, "10.005", "20")).code == "0045018e"
    too_much = shop.fault("SetAutoBuy", AutoBuySettings=_auto(True, "400.00", "100.01"))
    assert too_much.code == "0045018f" and "$500.00" in too_much.faultstring
    assert "AutoBuySettings" not in shop.call("GetAccountInfo")["AccountInfo"]
    shop.set_auto_buy(True, "400.00", "100.00")
    settings = shop.call("GetAccountInfo")["AccountInfo"]["AutoBuySettings"]
    assert settings == {"AutoBuyEnabled": True, "PurchaseAmount": D("400.00"), "TriggerAmount": D("100.00")}
    shop.set_auto_buy(False)  # disabling needs no amounts
    settings = shop.call("GetAccountInfo")["AccountInfo"]["AutoBuySettings"]
    assert settings["AutoBuyEnabled"] is False


def test_activity_blocked_accounts_may_not_change_auto_buy(box, shop):
    box.place_hold(SHOP, "activity_blocked")
    assert shop.fault("SetAutoBuy", AutoBuySettings=_auto(False, None, None)).code == "00560201"


def test_the_service_buys_when_a_print_takes_the_balance_below_the_trigger(box, shop):
    box.set_mailstation(SHOP, True)
    shop.set_auto_buy(True, "50.00", "20.00")
    assert len(box.print_postage(SHOP, "80.00")) == 1  # exactly at the trigger: no refill
    entries = box.print_postage(SHOP, "0.01")
    assert [e.type for e in entries] == ["Print", "Purchase"]
    auto = entries[1]
    assert (auto.purchase_type, auto.credit, auto.balance, auto.control_total) == (
        "AutoBuy",
        D("50.00"),
        D("69.99"),
        D("80.01"),
    )
    assert box.charges(SHOP)[-1].fee == D("1.75") and box.charges(SHOP)[-1].purchase_type == "AutoBuy"
    assert shop.balance() == (D("69.99"), D("80.01"))
    history = shop.history(_today(box), types=("Purchase",))["Transactions"]["Transaction"]
    assert history[0]["PurchaseType"] == "AutoBuy"
    box.check_ledger(SHOP)


@pytest.mark.parametrize("obstacle", ["hold", "monthly", "declined", "capability"])
def test_an_auto_buy_that_may_not_happen_is_skipped_with_a_memo(box, shop, obstacle):
    shop.set_auto_buy(True, "50.00", "20.00")
    if obstacle == "hold":
        box.place_hold(SHOP, "admin_hold")
    elif obstacle == "monthly":
        box.set_monthly_limit(SHOP, 40)
    elif obstacle == "declined":
        box.decline_payment_method(SHOP, hold=False)
    else:
        box.set_capability(SHOP, "CanPurchasePostage", False)
    [entry] = box.print_postage(SHOP, "90.00", memo="big label")
    assert entry.memo.startswith("big label; auto-buy of $50.00 skipped: ")
    assert box.ledger(SHOP)[-1].memo == entry.memo
    assert _purchases(box) == [] and box.charges(SHOP) == []
    assert ("payment_hold" in box.account(SHOP).holds) is (obstacle == "declined")
    box.check_ledger(SHOP)


def test_the_auto_buy_control_method_validates_like_set_auto_buy(box):
    box.set_auto_buy(SHOP, True, "50.00", "20.00")
    assert box.account(SHOP).auto_buy.enabled
    with pytest.raises(ValueError, match="0045018f"):
        box.set_auto_buy(SHOP, True, "480.00", "30.00")


# -- EnumCostCodes -----------------------------------------------------------------------------------
def test_cost_codes(box, shop):
    codes = shop.call("EnumCostCodes")["CostCodes"]["CostCodes"]
    assert codes == [{"id": 1, "name": "Default"}, {"id": 2, "name": "Marketing"}]
    box.set_cost_codes(SHOP, ["Marketing", "Warehouse"])
    codes = shop.call("EnumCostCodes")["CostCodes"]["CostCodes"]
    assert codes == [{"id": 2, "name": "Marketing"}, {"id": 3, "name": "Warehouse"}]
    box.set_cost_codes(SHOP, [])
    assert shop.call("EnumCostCodes")["CostCodes"] == {}
    for bad in (["a", "A"], ["x" * 31], [""], [str(i) for i in range(11)]):
        with pytest.raises(ValueError):
            box.set_cost_codes(SHOP, bad)


# -- GetBalanceHistory -------------------------------------------------------------------------------
def _history_fixture(box: Sandbox, shop: Session) -> list[date]:
    """Day 0: the opening 100 (Adjustment), a purchase; day 1: prints; day 2: a refund, credit, adjustment."""
    days = [_today(box)]
    shop.buy("20.00")
    box.advance_clock(timedelta(days=1))
    days.append(_today(box))
    for cents in ("1.00", "2.00", "3.00"):
        box.print_postage(SHOP, cents)
    box.advance_clock(timedelta(days=1))
    days.append(_today(box))
    box.refund(SHOP, "2.00")
    box.credit(SHOP, "5.00", "promotion")
    box.adjust(SHOP, "-1.00", "correction")
    return days


def _rows(page: dict[str, Any]) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [
        (t["Type"], t["Cost"], t["Credit"], t["Balance"]) for t in page.get("Transactions", {}).get("Transaction", [])
    ]


def test_history_lists_everything_newest_first_with_balances(box, shop):
    days = _history_fixture(box, shop)
    page = shop.history(days[0])
    assert (page["TotalTransactions"], page["TotalPages"]) == (8, 1)
    assert _rows(page) == [
        ("Adjustment", D("1.00"), D("0.00"), D("120.00")),
        ("Credit", D("0.00"), D("5.00"), D("121.00")),
        ("Refund", D("0.00"), D("2.00"), D("116.00")),
        ("Print", D("3.00"), D("0.00"), D("114.00")),
        ("Print", D("2.00"), D("0.00"), D("117.00")),
        ("Print", D("1.00"), D("0.00"), D("119.00")),
        ("Purchase", D("0.00"), D("20.00"), D("120.00")),
        ("Adjustment", D("0.00"), D("100.00"), D("100.00")),
    ]
    items = page["Transactions"]["Transaction"]
    assert all(t["Brand"] == "Stamps.com" for t in items)
    assert items[6]["PurchaseType"] == "Manual" and "PurchaseType" not in items[0]
    assert [t["Date"] for t in items] == sorted((t["Date"] for t in items), reverse=True)
    box.check_ledger(SHOP)


def test_history_filters_by_type_and_date(box, shop):
    days = _history_fixture(box, shop)
    assert [r[0] for r in _rows(shop.history(days[0], types=("Print", "Refund")))] == [
        "Refund",
        "Print",
        "Print",
        "Print",
    ]
    assert [r[0] for r in _rows(shop.history(days[0], types=("Purchase",)))] == ["Purchase"]
    assert [r[0] for r in _rows(shop.history(days[0], types=("Credit", "All")))] == [
        r[0] for r in _rows(shop.history(days[0]))
    ]
    assert len(_rows(shop.history(days[0], types=()))) == 8  # no type at all means every type
    assert [r[0] for r in _rows(shop.history(days[1], days[1]))] == ["Print"] * 3  # the maximum date is inclusive
    assert len(_rows(shop.history(days[1]))) == 6
    assert len(_rows(shop.history(days[0], days[0]))) == 2
    empty = shop.history(days[2] + timedelta(days=1))
    assert (empty["TotalTransactions"], empty["TotalPages"]) == (0, 0) and "Transactions" not in empty
    assert shop.history(days[2], days[0])["TotalTransactions"] == 0


def test_history_pages_through_a_token(box, shop):
    days = _history_fixture(box, shop)
    everything = _rows(shop.history(days[0]))
    first = shop.history(days[0], per_page=3)
    assert (first["TotalTransactions"], first["TotalPages"]) == (8, 3)
    token = first["BalanceHistoryToken"]
    box.print_postage(SHOP, "4.00")  # after the query: not in its pages
    pages = [_rows(first)]
    for number in (2, 3, 4):
        more = shop.call("GetBalanceHistoryByToken", BalanceHistoryToken=token, PageNumber=number)
        assert (more["BalanceHistoryToken"], more["TransactionsPerPage"], more["TotalTransactions"]) == (token, 3, 8)
        pages.append(_rows(more))
    assert [len(p) for p in pages] == [3, 3, 2, 0]
    assert [r for p in pages for r in p] == everything
    again = shop.call("GetBalanceHistoryByToken", BalanceHistoryToken=token)  # PageNumber defaults to 1
    assert _rows(again) == pages[0]
    assert shop.history(days[0])["TotalTransactions"] == 9  # a new query sees the new print


def test_history_page_size_defaults_to_50_and_is_at_most_500(box, shop):
    for _ in range(60):
        box.print_postage(SHOP, "0.01")
    page = shop.history(_today(box))
    assert (len(_rows(page)), page["TotalTransactions"], page["TotalPages"]) == (50, 61, 2)
    token = shop.history(_today(box), per_page=10_000)["BalanceHistoryToken"]
    assert shop.call("GetBalanceHistoryByToken", BalanceHistoryToken=token)["TransactionsPerPage"] == 500
    token = shop.history(_today(box), per_page=0)["BalanceHistoryToken"]
    assert shop.call("GetBalanceHistoryByToken", BalanceHistoryToken=token)["TransactionsPerPage"] == 1


def test_an_unknown_history_token_is_refused(box, shop):
    assert shop.code("GetBalanceHistoryByToken", BalanceHistoryToken="not-a-token") == "002b0905"
    box.create_account("other", PASSWORD)
    token = Session(box, "other").history(_today(box))["BalanceHistoryToken"]
    assert shop.code("GetBalanceHistoryByToken", BalanceHistoryToken=token) == "002b0905"  # another account's


def test_a_malformed_history_date_is_a_schema_fault():
    box = Sandbox(observers=[])  # the request breaks the real schema on purpose: not checked at teardown
    box.create_account(SHOP, PASSWORD)
    payload = {"Authenticator": Session(box).token, "TransactionDateMin": "2026-13-45", "Filters": {}}
    reply = _raw(box, "GetBalanceHistory", payload)
    assert reply.status == 500 and b"00490102" in reply.body


# -- the ledger and the control API ------------------------------------------------------------------
def test_seeded_and_set_balances_are_explained_by_adjustments(make_sandbox):
    box = make_sandbox()
    box.create_account(SHOP, PASSWORD, balance="42.50", control_total="157.50")
    [opening] = box.ledger(SHOP)
    assert (opening.type, opening.credit, opening.consumed, opening.control_total) == (
        "Adjustment",
        D("42.50"),
        D("157.50"),
        D("157.50"),
    )
    box.set_balance(SHOP, "12.34")
    box.set_balance(SHOP, "12.34")  # unchanged: no entry
    box.set_balance(SHOP, "20.00", control_total="100.00")
    assert [(e.cost, e.credit, e.consumed) for e in box.ledger(SHOP)[1:]] == [
        (D("30.16"), D("0.00"), D("0.00")),
        (D("0.00"), D("7.66"), D("-57.50")),
    ]
    assert Session(box).balance() == (D("20.00"), D("100.00"))
    box.check_ledger(SHOP)
    for bad in ("-1.00", "500.01", "1.001"):
        with pytest.raises(ValueError):
            box.set_balance(SHOP, bad)
    with pytest.raises(ValueError):
        box.create_account("rich", PASSWORD, balance="600")
    registered = box.create_account("empty", PASSWORD)
    assert box.ledger("empty") == [] and registered.available_postage == 0
    box.check_ledger("empty")


def test_prints_refunds_credits_and_adjustments(box):
    with pytest.raises(ValueError, match="insufficient postage"):
        box.print_postage(SHOP, "100.01")
    with pytest.raises(ValueError):
        box.print_postage(SHOP, "0")
    box.print_postage(SHOP, "30.00")
    with pytest.raises(ValueError, match="consumed"):
        box.refund(SHOP, "30.01")
    refund = box.refund(SHOP, "10.00", "label voided")
    assert (refund.type, refund.balance, refund.control_total, refund.memo) == (
        "Refund",
        D("80.00"),
        D("20.00"),
        "label voided",
    )
    box.adjust(SHOP, "420.00", "top up")
    with pytest.raises(ValueError, match="maximum"):
        box.refund(SHOP, "5.00")  # never credited above the maximum, never clamped
    with pytest.raises(ValueError):
        box.adjust(SHOP, "0.01")
    with pytest.raises(ValueError):
        box.adjust(SHOP, "-500.01")
    with pytest.raises(ValueError):
        box.credit(SHOP, "-1.00")
    box.adjust(SHOP, "-100.00", "correction")
    box.credit(SHOP, "5.00")
    account = box.account(SHOP)
    assert (account.available_postage, account.control_total) == (D("405.00"), D("20.00"))
    box.check_ledger(SHOP)


def test_check_ledger_finds_tampering(box):
    box.print_postage(SHOP, "10.00")
    box.check_ledger(SHOP)
    box.state.accounts[SHOP].available_postage += D("1.00")
    with pytest.raises(AssertionError, match=r"the ledger gives 90\.00"):
        box.check_ledger(SHOP)
    box.state.accounts[SHOP].available_postage -= D("1.00")
    box.state.accounts[SHOP].ledger[-1].control_total = D("0.00")
    with pytest.raises(AssertionError, match="control total"):
        box.check_ledger(SHOP)


def test_the_postage_control_api_over_http(box):
    with box.serve() as server:
        control = SandboxControl(server.url)
        entries = control.call("print_postage", username=SHOP, amount="12.50", memo="over http")
        assert entries[0]["type"] == "Print" and entries[0]["balance"] == "87.50"
        control.call("set_auto_buy", username=SHOP, enabled=True, purchase_amount="50", trigger_amount="100")
        control.call("set_mailstation", username=SHOP, value=True)
        control.call("print_postage", username=SHOP, amount="1.00")
        assert control.call("charges", username=SHOP)[0]["fee"] == "1.75"
        control.call("add_funding_account", username=SHOP, kind="purchase_power")
        control.call("set_next_purchase_outcome", username=SHOP, status="Rejected", rejection_code="SystemFailure")
        control.call("set_cost_codes", username=SHOP, names=["Ops"])
        control.call("set_monthly_limit", username=SHOP, amount="500")
        assert box.account(SHOP).monthly_postage_purchase_limit == 500
        with pytest.raises(RuntimeError, match="whole"):
            control.call("set_monthly_limit", username=SHOP, amount="10.50")
        control.call("refund", username=SHOP, amount="1.00")
        control.call("adjust", username=SHOP, amount="-1.00", memo="fix")
        control.call("credit", username=SHOP, amount="1.00")
        assert control.call("check_ledger", username=SHOP) is None
        assert len(control.call("ledger", username=SHOP)) == 7
        box.state.accounts[SHOP].control_total += 1
        with pytest.raises(RuntimeError, match="AssertionError"):
            control.call("check_ledger", username=SHOP)


# -- persistence -------------------------------------------------------------------------------------
def test_ledger_charges_auto_buy_and_replays_survive_a_restart(tmp_path, make_sandbox):
    path = tmp_path / "sandbox.sqlite"
    first = make_sandbox(state_path=path)
    first.create_account(SHOP, PASSWORD, balance="100.00", has_mailstation=True)
    shop = Session(first)
    bought = shop.buy("40.00", tx="keep")
    shop.set_auto_buy(True, "60.00", "30.00")
    first.print_postage(SHOP, "120.00")  # 20 left: auto-buy 60
    token = shop.history(_today(first), per_page=2)["BalanceHistoryToken"]
    first.set_next_purchase_outcome(SHOP, "Pending")
    shop.buy("10.00", tx="pending")
    ledger, charges = first.ledger(SHOP), first.charges(SHOP)
    first.close()

    second = make_sandbox(state_path=path)
    assert second.ledger(SHOP) == ledger and second.charges(SHOP) == charges
    assert [c.fee for c in charges] == [D("1.40"), D("2.10")]
    second.check_ledger(SHOP)
    again = Session(second)
    replay = again.buy("40.00", D("0"), tx="keep")
    assert (replay["TransactionID"], replay["PostageBalance"]) == (bought["TransactionID"], bought["PostageBalance"])
    info = again.call("GetAccountInfo")["AccountInfo"]  # completes the pending purchase
    assert info["AutoBuySettings"] == {
        "AutoBuyEnabled": True,
        "PurchaseAmount": D("60.00"),
        "TriggerAmount": D("30.00"),
    }
    assert info["PostageBalance"] == {"AvailablePostage": D("90.00"), "ControlTotal": D("120.00")}
    assert len(second.charges(SHOP)) == 3
    page2 = again.call("GetBalanceHistoryByToken", BalanceHistoryToken=token, PageNumber=2)
    assert page2["TotalTransactions"] == 4
    assert again.call("EnumCostCodes")["CostCodes"]["CostCodes"][0]["name"] == "Default"
    second.check_ledger(SHOP)


def test_state_saved_before_ledgers_gets_an_opening_adjustment(tmp_path, make_sandbox):
    path = tmp_path / "old.sqlite"
    first = make_sandbox(state_path=path)
    first.create_account(SHOP, PASSWORD, balance="55.00", control_total="5.00")
    first.close()
    with sqlite3.connect(path) as conn:
        (body,) = conn.execute("SELECT body FROM accounts").fetchone()
        data = json.loads(body)
        for key in ("ledger", "charges", "auto_buy", "cost_codes", "purchase_replays", "history_queries"):
            data.pop(key)
        conn.execute("UPDATE accounts SET body = ?", (json.dumps(data),))
    second = make_sandbox(state_path=path)
    [entry] = second.ledger(SHOP)
    assert (entry.type, entry.credit, entry.consumed, entry.memo) == (
        "Adjustment",
        D("55.00"),
        D("5.00"),
        "balance carried over",
    )
    second.check_ledger(SHOP)


# -- the invariants, under random sequences ----------------------------------------------------------
def _cents(low: str, high: str) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=D(low), max_value=D(high), places=2, allow_nan=False, allow_infinity=False)


_EDGES = st.sampled_from([D("-1.00"), D("0.00"), D("9.99"), D("10.00"), D("250.00"), D("500.00"), D("600.00")])
_small = _cents("0.01", "80.00")
_purchase = st.one_of(_cents("10.00", "150.00"), _EDGES)
_buy = st.tuples(
    st.just("buy"), _purchase, st.sampled_from([True, True, True, False]), st.sampled_from(["a", "new", None])
)
_print = st.tuples(st.just("print"), st.one_of(_small, _EDGES))
_step = st.one_of(
    _buy,
    _buy,
    _print,
    _print,
    st.tuples(st.just("refund"), _small),
    st.tuples(st.just("adjust"), st.one_of(_small, _small.map(lambda d: -d), _EDGES)),
    st.tuples(st.just("credit"), st.one_of(_small, _EDGES)),
    st.tuples(
        st.just("auto"), st.sampled_from([True, True, False]), _purchase, st.one_of(_cents("20.00", "150.00"), _EDGES)
    ),
    st.tuples(st.just("outcome"), st.sampled_from(["Pending", "Processing", "Rejected"])),
    st.tuples(st.just("info")),
    st.tuples(st.just("decline")),
    st.tuples(st.just("fund"), st.sampled_from(["reserve_account", "purchase_power"])),
    st.tuples(st.just("month")),
    st.tuples(st.just("mailstation"), st.booleans()),
)


_MIXED = [
    ("outcome", "Pending"),
    ("buy", D("300.00"), True, "a"),
    ("print", D("60.00")),  # below the trigger while a purchase is pending: auto-buy
    ("info",),  # the pending purchase completes
    ("refund", D("30.00")),
    ("print", D("400.00")),
    ("month",),
    ("buy", D("25.00"), True, "a"),  # a replay
    ("decline",),
    ("print", D("30.00")),  # the auto-buy meets a declined card: skipped, payment hold
    ("buy", D("20.00"), True, None),
    ("fund", "reserve_account"),
    ("mailstation", True),
    ("buy", D("100.00"), True, "new"),
    ("adjust", D("-5.00")),
    ("credit", D("5.00")),
]
_REFUSALS = [
    ("print", D("1.00")),
    ("buy", D("9.99"), True, None),
    ("buy", D("600.00"), True, None),
    ("outcome", "Rejected"),
    ("buy", D("10.00"), True, "a"),
    ("buy", D("10.00"), False, "a"),
    ("auto", True, D("10.00"), D("600.00")),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.one_of(st.sampled_from([D("60.00"), D("150.00")]), _cents("0.00", "500.00")),
    auto=st.one_of(st.none(), st.tuples(_cents("10.00", "150.00"), _cents("20.00", "150.00"))),
    steps=st.lists(_step, min_size=4, max_size=18),
)
@example(start=D("150.00"), auto=(D("50.00"), D("100.00")), steps=_MIXED)
@example(start=D("0.00"), auto=None, steps=_REFUSALS)
def test_random_sequences_keep_the_ledger_consistent(start, auto, steps):
    box = Sandbox(observers=[])
    box.create_account(SHOP, PASSWORD, balance=start)
    box.set_monthly_limit(SHOP, 1500)
    if auto is not None:
        with contextlib.suppress(ValueError):
            box.set_auto_buy(SHOP, True, *auto)
    shop = Session(box)
    for number, step in enumerate(steps):
        kind = step[0]
        try:
            if kind == "buy":
                _, amount, fresh, tx = step
                control_total = box.account(SHOP).control_total if fresh else D("-1")
                shop.buy(str(amount), control_total, tx=f"new-{number}" if tx == "new" else tx)
            elif kind == "print":
                box.print_postage(SHOP, step[1])
            elif kind == "refund":
                box.refund(SHOP, step[1])
            elif kind == "adjust":
                box.adjust(SHOP, step[1])
            elif kind == "credit":
                box.credit(SHOP, step[1])
            elif kind == "auto":
                shop.set_auto_buy(step[1], str(step[2]), str(step[3]))
            elif kind == "outcome":
                box.set_next_purchase_outcome(SHOP, step[1], "SystemFailure" if step[1] == "Rejected" else None)
            elif kind == "info":
                shop.balance()
            elif kind == "decline":
                box.decline_payment_method(SHOP, hold=False)
            elif kind == "fund":
                box.add_funding_account(SHOP, step[1])
            elif kind == "month":
                box.advance_clock(timedelta(days=31))
            else:
                box.set_mailstation(SHOP, step[1])
            event(f"{kind}: done")
        except (SoapFault, ValueError):
            event(f"{kind}: refused")
        box.check_ledger(SHOP)
        account = box.account(SHOP)
        assert D("0") <= account.available_postage <= account.max_postage_balance
    reported = shop.balance()  # completes a purchase still pending
    account = box.account(SHOP)
    for kind in {e.purchase_type or e.type for e in account.ledger[1:]}:
        event(f"ledger has {kind}")
    assert reported == (account.available_postage, account.control_total)
    assert D("0") <= account.available_postage <= account.max_postage_balance
    box.check_ledger(SHOP)
