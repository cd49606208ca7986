"""Every signal the service gives maps to a typed state with the right remedies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onebalance import (
    Account,
    AccountClosed,
    AccountDisconnected,
    AccountLocked,
    AccountState,
    ActivityBlocked,
    AdminHold,
    AuthenticationFailed,
    Capabilities,
    CapabilityDisabled,
    ConnectError,
    NotConnected,
    PasswordExpired,
    PasswordResetRequired,
    PaymentHold,
    PostalAddress,
    RemedyAction,
    Terms,
    UnknownFault,
)
from onebalance.accounts._status import assess
from onebalance.swsim._faults import error_for_fault


def _account(**changes) -> Account:
    caps = {name: True for name in Capabilities.model_fields if name not in ("per_print_limit", "flags")}
    caps["block_usps_print"] = False  # every permission given, the one prohibition not
    values = dict(
        customer_id=1,
        meter_number=2,
        user_id=3,
        username="m",
        available_postage=Decimal("10"),
        control_total=Decimal("0"),
        max_postage_balance=Decimal("500"),
        monthly_postage_purchase_limit=1000,
        cost_code_limit=1,
        max_users=1,
        capabilities=Capabilities(**caps),
        account_status="Active",
        plan_id=1,
        resubmit_status="NOT_IN_RESUBMISSION",
        terms=Terms(general=True),
        address=PostalAddress(),
        meter_address=PostalAddress(),
    )
    values.update(changes)
    return Account(**values)


def _actions(remedies) -> set[RemedyAction]:
    return {r.action for r in remedies}


def test_an_active_account_needs_nothing():
    diagnosis = assess("m1", _account())
    assert diagnosis.active
    assert diagnosis.automated_remedies == diagnosis.manual_remedies == ()


@pytest.mark.parametrize(
    ("code", "state", "automated", "manual"),
    [
        ("00450190", AccountState.PAYMENT_HOLD, {RemedyAction.REPLACE_PAYMENT_METHOD}, {RemedyAction.CONTACT_SUPPORT}),
        ("00450191", AccountState.ADMIN_HOLD, set(), {RemedyAction.CONTACT_SUPPORT}),
        ("002b0a0c", AccountState.ADMIN_HOLD, set(), {RemedyAction.CONTACT_SUPPORT}),
        ("00560201", AccountState.ACTIVITY_BLOCKED, set(), {RemedyAction.CONTACT_SUPPORT}),
        ("80048011", AccountState.CAPABILITIES_OFF, set(), {RemedyAction.CONTACT_SUPPORT}),
        ("002b0607", AccountState.LOCKED, {RemedyAction.RESET_PASSWORD}, {RemedyAction.CONTACT_SUPPORT}),
        ("00550108", AccountState.CLOSED, set(), {RemedyAction.OPEN_NEW_ACCOUNT}),
        ("002b0608", AccountState.PASSWORD_EXPIRED, {RemedyAction.CHANGE_PASSWORD}, set()),
        ("002b0605", AccountState.PASSWORD_RESET, {RemedyAction.RESET_PASSWORD}, set()),
        (
            "002b0601",
            AccountState.INVALID_CREDENTIALS,
            {RemedyAction.REAUTHENTICATE, RemedyAction.RESET_PASSWORD},
            set(),
        ),
        ("0045ffff", AccountState.UNKNOWN, set(), {RemedyAction.CONTACT_SUPPORT}),
    ],
)
def test_each_fault_maps_to_a_state_and_its_remedies(code, state, automated, manual):
    error = error_for_fault(code=code, faultcode="soap:Server", faultstring="x", operation="Op", http_status=500)
    diagnosis = assess("m1", error)
    assert diagnosis.state is state
    assert diagnosis.code == code
    assert _actions(diagnosis.automated_remedies) == automated
    assert _actions(diagnosis.manual_remedies) == manual
    assert not diagnosis.active
    if manual & {RemedyAction.CONTACT_SUPPORT}:
        assert "(855) 889-7867" in "\n".join(diagnosis.lines())


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (NotConnected(), AccountState.NOT_CONNECTED),
        (AccountDisconnected(), AccountState.DISCONNECTED),
        (AuthenticationFailed(), AccountState.INVALID_CREDENTIALS),
        (ConnectError(), AccountState.UNREACHABLE),
        (AccountLocked(), AccountState.LOCKED),
        (AccountClosed(), AccountState.CLOSED),
        (PasswordExpired(), AccountState.PASSWORD_EXPIRED),
        (PasswordResetRequired(), AccountState.PASSWORD_RESET),
        (PaymentHold(), AccountState.PAYMENT_HOLD),
        (AdminHold(), AccountState.ADMIN_HOLD),
        (ActivityBlocked(), AccountState.ACTIVITY_BLOCKED),
        (CapabilityDisabled(), AccountState.CAPABILITIES_OFF),
        (UnknownFault("odd"), AccountState.UNKNOWN),
    ],
)
def test_each_error_class_maps_to_a_state(error, state):
    assert assess("m1", error).state is state


def test_suspension_errors_carry_their_reason():
    error = error_for_fault(
        code="00450190", faultcode="soap:Server", faultstring="x", operation="PurchasePostage", http_status=500
    )
    assert isinstance(error, PaymentHold)
    assert error.reason.value == "payment_hold"
    assert "payment hold" in str(error)


@pytest.mark.parametrize(
    ("changes", "state"),
    [
        ({"account_status": "PaymentHold"}, AccountState.PAYMENT_HOLD),
        ({"resubmit_status": "PAYMENT_RESUBMISSION"}, AccountState.PAYMENT_HOLD),
        ({"account_status": "AdminHold"}, AccountState.ADMIN_HOLD),
        ({"account_status": "Suspended"}, AccountState.ACTIVITY_BLOCKED),
        ({"account_status": "ActivityBlocked"}, AccountState.ACTIVITY_BLOCKED),
        ({"account_status": "Locked"}, AccountState.LOCKED),
        ({"account_status": "Closed"}, AccountState.CLOSED),
        ({"account_status": "PasswordExpired"}, AccountState.PASSWORD_EXPIRED),
        ({"account_status": "VerificationRequired"}, AccountState.VERIFICATION_REQUIRED),
        ({"terms": Terms(general=False)}, AccountState.TERMS_NOT_ACCEPTED),
        (
            {
                "account_status": "Active",
                "capabilities": Capabilities(
                    can_purchase_postage=True,
                    can_print_shipping=False,
                    can_print_international=True,
                    can_use_cost_codes=True,
                    must_use_cost_codes=False,
                    can_edit_cost_codes=True,
                    allow_all_mail_classes=True,
                    can_manage_users=True,
                    can_change_payment_method=True,
                    can_use_invoicing=False,
                    can_email_notifications=True,
                    disable_conversation_token=False,
                    can_print_ups=True,
                    can_print_fedex=True,
                ),
            },
            AccountState.CAPABILITIES_OFF,
        ),
    ],
)
def test_account_signals_map_to_states(changes, state):
    assert assess("m1", _account(**changes)).state is state


def test_several_problems_lead_with_the_gravest_and_list_all_remedies():
    diagnosis = assess(
        "m1",
        _account(account_status="AdminHold", resubmit_status="PAYMENT_RESUBMISSION", terms=Terms(general=False)),
        terms_url="https://example.test/terms",
    )
    assert diagnosis.state is AccountState.ADMIN_HOLD
    assert {f.state for f in diagnosis.findings} == {
        AccountState.ADMIN_HOLD,
        AccountState.PAYMENT_HOLD,
        AccountState.TERMS_NOT_ACCEPTED,
    }
    assert _actions(diagnosis.automated_remedies) == {RemedyAction.REPLACE_PAYMENT_METHOD}
    terms = next(r for r in diagnosis.manual_remedies if r.action is RemedyAction.ACCEPT_TERMS)
    assert terms.url == "https://example.test/terms"


def test_a_non_admin_user_is_not_suspended():
    caps = _account().capabilities.model_copy(update={"can_purchase_postage": False})
    assert assess("m1", _account(capabilities=caps)).active


def test_diagnosis_serializes_for_scripts():
    data = assess("m1", PaymentHold()).model_dump(mode="json")
    assert data["state"] == "payment_hold"
    assert data["support"]["phone"] == "(855) 889-7867"


@pytest.mark.parametrize("status", ["Frozen", "Unlocked", "UnderReview"])
def test_an_unknown_account_status_is_surfaced_not_taken_for_active(status):
    diagnosis = assess("m1", _account(account_status=status))
    assert diagnosis.state is AccountState.UNKNOWN
    assert status in diagnosis.reason
    assert {r.action for r in diagnosis.manual_remedies} == {RemedyAction.CONTACT_SUPPORT}


def test_the_support_line_shows_only_when_support_is_a_remedy():
    terms_only = assess("m1", _account(terms=Terms(general=False)), terms_url="https://x.test/terms")
    assert not any(line.strip().startswith("support:") for line in terms_only.lines())
    held = assess("m1", AdminHold())
    assert any(line.strip().startswith("support:") for line in held.lines())


def test_error_messages_carry_the_services_reason_where_it_matters():
    refused = error_for_fault(
        code="002b0902",
        faultcode="soap:Server",
        faultstring="The cancellation details do not match the account. [0x002b0902]",
        operation="CancelAccount",
        http_status=500,
    )
    assert "do not match the account" in str(refused)
    assert "[0x002b0902]" not in refused.message
    locked = error_for_fault(
        code="002b0607",
        faultcode="soap:Server",
        faultstring="Account locked. [0x002b0607]",
        operation="AuthenticateUser",
        http_status=500,
    )
    assert str(locked).count("locked") == 1
