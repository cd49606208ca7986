"""The sandbox's account operations on the wire: registration, phone verification, codewords,
password reset and change, lockout, holds and payment methods, closing, GetURL and its pages,
the outbox, AccountStatus, persistence. Every exchange is checked against the real WSDL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests

from onebalance.sandbox import (
    DECLINED_TEST_CARD,
    DEMO_INTEGRATION_ID,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    AccountStatus,
    Hold,
    Sandbox,
    SandboxAccount,
    SandboxCredentials,
)

from . import _wire
from ._soap import SoapFault

CARD = {
    "CreditCardType": "Visa",
    "AccountNumber": "4111111111111111",
    "CVN": "737",
    "ExpirationDate": datetime(2031, 12, 1),
}
MASTERCARD = {
    "CreditCardType": "MasterCard",
    "AccountNumber": "5555555555554444",
    "ExpirationDate": datetime(2030, 6, 1),
}
ACH = {
    "AchAccountType": "Checking",
    "BankName": "First Bank",
    "AccountNumber": "000123456789",
    "RouteID": "011000015",
    "AccountHolderName": "Ada Lovelace",
}
MACHINE = {"IPAddress": "203.0.113.7"}
NEW_PASSWORD = "Fresh-Passw0rd"


def registration(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "IntegrationID": DEMO_INTEGRATION_ID,
        "UserName": "acme",
        "Password": "Widgets-2026",
        "Codeword1Type": "PetsName",
        "Codeword1": "Rex",
        "Codeword2Type": "BirthCity",
        "Codeword2": "Springfield",
        "PhysicalAddress": {
            "FullName": "Ada Lovelace",
            "Company": "Acme Widgets",
            "Address1": "1 Main St",
            "City": "Austin",
            "State": "TX",
            "ZIPCode": "78701",
            "Country": "US",
            "PhoneNumber": "5125550100",
        },
        "MachineInfo": MACHINE,
        "Email": "ada@acme.example",
        "AccountType": "OfficeBasedBusiness",
        "CreditCard": CARD,
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


class Conversation:
    """A rolling-token conversation over the raw wire, following replacement tokens in faults."""

    def __init__(self, sandbox: Sandbox, username: str = DEMO_USERNAME, password: str = DEMO_PASSWORD) -> None:
        self.sandbox = sandbox
        self.creds = SandboxCredentials("", DEMO_INTEGRATION_ID, username, password)
        self.token: str | None = _wire.login(sandbox, self.creds)

    def call(self, op: str, **payload: Any) -> dict[str, Any]:
        try:
            result = _wire.call(self.sandbox, op, {"Authenticator": self.token, **payload})
        except SoapFault as fault:
            if fault.authenticator:
                self.token = fault.authenticator
            raise
        self.token = result.get("Authenticator")
        return result

    def code(self, op: str, **payload: Any) -> str | None:
        with pytest.raises(SoapFault) as info:
            self.call(op, **payload)
        return info.value.code

    def info(self) -> dict[str, Any]:
        return self.call("GetAccountInfo")


def login_code(sandbox: Sandbox, username: str, password: str) -> str | None:
    creds = SandboxCredentials("", DEMO_INTEGRATION_ID, username, password)
    return _wire.fault_code(sandbox, "AuthenticateUser", {"Credentials": _wire.credentials(creds)})


def register(sandbox: Sandbox, **overrides: Any) -> dict[str, Any]:
    return _wire.call(sandbox, "RegisterAccount", registration(**overrides))


# -- RegisterAccount --------------------------------------------------------------------------------
def test_registration_makes_an_account_that_must_verify_its_phone(sandbox):
    result = register(sandbox)
    account = sandbox.account("acme")
    assert result == {
        "RegistrationStatus": "Success",
        "SuggestedUserName": "",
        "UserId": account.user_id,
        "PromoUrl": "",
    }
    assert (account.phone_verified, account.terms_accepted, account.password_expired) == (False, True, False)
    assert [(m.card_type, m.last4, m.default) for m in account.payment_methods] == [("Visa", "1111", True)]
    assert account.customer_id != sandbox.account(DEMO_USERNAME).customer_id

    conversation = Conversation(sandbox, "acme", "Widgets-2026")
    info = conversation.info()
    assert info["AccountStatus"] == "VerificationRequired"
    assert info["AccountInfo"]["PostageBalance"]["AvailablePostage"] == 0
    assert info["AccountInfo"]["MaxPostageBalance"] == 500
    assert info["AccountInfo"]["Terms"]["TermsGP"] is True
    assert info["CustomerEmail"] == "ada@acme.example"
    assert info["Address"]["PhoneNumber"] == "5125550100"
    assert "VerificationPhoneNumber" not in info


def test_registration_options(sandbox):
    register(
        sandbox,
        UserName="bank-user",
        AchAccount=ACH,
        CreditCard=None,
        PromoCode="sandbox",
        ResetPasswordAfterRegistration=True,
        SendEmail=True,
    )
    account = sandbox.account("bank-user")
    methods = [(m.billing_method, m.bank_name, m.last4) for m in account.payment_methods]
    assert methods == [("ACH", "First Bank", "6789")]
    assert account.password_expired
    assert sandbox.messages(to="ada@acme.example", channel="email")[-1].subject == "Welcome to One Balance"
    login = _wire.call(
        sandbox,
        "AuthenticateUser",
        {"Credentials": _wire.credentials(SandboxCredentials("", DEMO_INTEGRATION_ID, "bank-user", "Widgets-2026"))},
    )
    assert (login["PasswordExpired"], login["CodewordsSet"]) == (True, True)


def test_a_taken_username_is_not_a_fault_and_gets_a_suggestion(sandbox):
    register(sandbox)
    register(sandbox, UserName="acme2")
    assert register(sandbox, UserName="ACME") == {
        "RegistrationStatus": "Fail",
        "SuggestedUserName": "ACME3",
        "UserId": 0,
        "PromoUrl": "",
    }
    long_name = "x" * 40
    register(sandbox, UserName=long_name)
    assert register(sandbox, UserName=long_name)["SuggestedUserName"] == "x" * 39 + "2"
    # the card is charged only for a free username: a taken one answers Fail, not the decline
    declined = {**CARD, "AccountNumber": DECLINED_TEST_CARD}
    assert register(sandbox, UserName="acme", CreditCard=declined)["RegistrationStatus"] == "Fail"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"IntegrationID": "11111111-2222-3333-4444-555555555555"}, "002b0207"),
        ({"UserName": "-starts-with-dash"}, "00490102"),
        ({"UserName": "y" * 41}, "00490102"),
        ({"Email": "not-an-email"}, "00490102"),
        ({"Password": "Ab1"}, "002b0402"),
        ({"Password": "x" * 21 + "1"}, "002b0401"),
        ({"Password": "no-digits-here"}, "002b0404"),
        ({"Password": "12345678"}, "002b0403"),
        ({"Codeword2": None}, "002b0502"),
        ({"Codeword1Type": None, "Codeword1": None, "Codeword2Type": None, "Codeword2": None}, "002b0502"),
        ({"Codeword2Type": "PetsName"}, "002b0502"),
        ({"Codeword1": "x"}, "002b0502"),
        ({"Codeword1Type": "Undefined"}, "002b0502"),
        (
            {"PhysicalAddress": {"Address1": "PO Box 12", "City": "Austin", "State": "TX", "ZIPCode": "78701"}},
            "002b0808",
        ),
        ({"PhysicalAddress": {"Address1": "1 Main St", "Address2": "P.O. Box 7", "City": "Austin"}}, "002b0808"),
        ({"PromoCode": "FREE-MONEY"}, "00450123"),
        ({"CreditCard": {**CARD, "AccountNumber": "4111111111111112"}}, "002b0802"),
        ({"CreditCard": {**CARD, "CreditCardType": "MasterCard"}}, "002b0802"),
        ({"CreditCard": {**CARD, "ExpirationDate": datetime(2020, 1, 1)}}, "002b0802"),
        ({"CreditCard": {**CARD, "CVN": "12"}}, "002b0802"),
        ({"CreditCard": {**CARD, "AccountNumber": DECLINED_TEST_CARD}}, "002b0802"),
        ({"CreditCard": None, "AchAccount": {**ACH, "RouteID": "011000016"}}, "002b0802"),
        ({"CreditCard": None, "PPL": {"PPLSessionRequestID": "x"}}, "002b0802"),
        ({"CreditCard": None}, "002b0802"),
    ],
    ids=[
        "integration",
        "username-chars",
        "username-long",
        "email",
        "pw-short",
        "pw-long",
        "pw-no-digit",
        "pw-no-letter",
        "codeword-missing",
        "codewords-none",
        "codeword-types-same",
        "codeword-short",
        "codeword-undefined",
        "po-box",
        "po-box-line2",
        "promo",
        "luhn",
        "card-prefix",
        "card-expired",
        "cvn",
        "declined",
        "routing",
        "paypal",
        "no-payment",
    ],
)
def test_registration_faults(sandbox, overrides, code):
    """On v111, whose schema states no lengths, the service's own rules answer with their codes."""
    assert _wire.fault_code(sandbox, "RegisterAccount", registration(**overrides), version="v111") == code
    assert "acme" not in sandbox.state.accounts


@pytest.mark.parametrize(
    "overrides",
    [{"UserName": "x" * 41}, {"Password": "Ab1"}, {"Password": "x" * 21 + "1"}, {"PromoCode": "P" * 51}],
    ids=["username-long", "pw-short", "pw-long", "promo-long"],
)
def test_v135_states_the_lengths_in_its_schema(sandbox, overrides):
    """v135's RegisterAccount limits UserName (40), Password (6-20) and PromoCode (50) in the schema: a
    schema violation (soap:Client, 00490102), before any rule of the service."""
    from ._soap import VERSIONS, body_child, build, read_fault, swsim_schema

    # Written with v111's schema (the SDK's own encoder refuses it for v135), in v135's namespace.
    old, new = VERSIONS["v111"].namespace, VERSIONS["v135"].namespace
    schema = swsim_schema("v111")
    body = build(schema, schema.operations["RegisterAccount"], registration(**overrides), response=False)
    reply = sandbox.handle(body.replace(old.encode(), new.encode()), f'"{new}/RegisterAccount"')
    fault = read_fault(body_child(reply.body))
    assert (reply.status, fault.faultcode, fault.code) == (500, "soap:Client", "00490102")
    assert "acme" not in sandbox.state.accounts


def test_registration_schema_style_faults_are_client_faults(sandbox):
    with pytest.raises(SoapFault) as info:
        register(sandbox, Email="x" * 40 + "@example.com")
    assert (info.value.faultcode, info.value.code) == ("soap:Client", "00490102")
    assert "Email" in info.value.faultstring


# -- phone verification -----------------------------------------------------------------------------
def test_phone_verification(sandbox):
    register(sandbox)
    conversation = Conversation(sandbox, "acme", "Widgets-2026")
    conversation.call("StartAccountVerification", PhoneVerificationOption="SMS")
    message = sandbox.messages(channel="sms")[-1]
    assert (message.to, message.username) == ("5125550100", "acme")
    assert message.code == sandbox.verification_code("acme") and message.code in message.body
    assert len(message.code) == 6 and message.code.isdigit()

    wrong = "000000" if message.code != "000000" else "111111"
    assert conversation.code("FinishAccountVerification", PhoneVerificationCode=wrong) == "002b0901"
    assert sandbox.account("acme").verification.attempts == 1
    conversation.call("FinishAccountVerification", PhoneVerificationCode=message.code)
    info = conversation.info()
    assert (info["AccountStatus"], info["VerificationPhoneNumber"]) == ("Active", "5125550100")
    assert sandbox.account("acme").verification is None


def test_verification_to_another_phone_by_voice_and_restarting_replaces_the_code(sandbox):
    conversation = Conversation(sandbox)
    conversation.call(
        "StartAccountVerification", PhoneNumber="2125550199", Extension="12", PhoneVerificationOption="Voice"
    )
    first = sandbox.verification_code(DEMO_USERNAME)
    conversation.call("StartAccountVerification", PhoneNumber="2125550199", PhoneVerificationOption="Voice")
    second = sandbox.verification_code(DEMO_USERNAME)
    assert [m.channel for m in sandbox.messages(to="2125550199")] == ["voice", "voice"]
    if first != second:
        assert conversation.code("FinishAccountVerification", PhoneVerificationCode=first) == "002b0901"
    conversation.call("FinishAccountVerification", PhoneVerificationCode=second)
    assert conversation.info()["VerificationPhoneNumber"] == "2125550199"


def test_verification_faults(sandbox):
    conversation = Conversation(sandbox)
    with pytest.raises(SoapFault, match="StartAccountVerification first") as info:
        conversation.call("FinishAccountVerification", PhoneVerificationCode="123456")
    assert info.value.code == "002b0901"
    assert (
        conversation.code("StartAccountVerification", PhoneNumber="0005550100", PhoneVerificationOption="SMS")
        == "00490102"
    )

    conversation.call("StartAccountVerification", PhoneVerificationOption="SMS")
    code = sandbox.verification_code(DEMO_USERNAME)
    wrong = str((int(code) + 1) % 10**6).zfill(6)
    for _ in range(5):
        assert conversation.code("FinishAccountVerification", PhoneVerificationCode=wrong) == "002b0901"
    with pytest.raises(SoapFault, match="Too many wrong codes"):
        conversation.call("FinishAccountVerification", PhoneVerificationCode=code)  # void now

    conversation.call("StartAccountVerification", PhoneVerificationOption="SMS")
    sandbox.advance_clock(timedelta(minutes=16))
    with pytest.raises(SoapFault, match="expired"):
        conversation.call("FinishAccountVerification", PhoneVerificationCode=sandbox.verification_code(DEMO_USERNAME))


def test_an_account_without_a_usable_phone_must_name_one(sandbox):
    sandbox.create_account(
        "nophone", "Passw0rd-1", address={"Address1": "1 Main St", "City": "Austin", "State": "TX", "ZIPCode": "78701"}
    )
    conversation = Conversation(sandbox, "nophone", "Passw0rd-1")
    assert conversation.code("StartAccountVerification", PhoneVerificationOption="SMS") == "00490102"
    with pytest.raises(KeyError):
        sandbox.verification_code("nophone")


# -- codewords ---------------------------------------------------------------------------------------
def test_enum_codeword_types(sandbox):
    result = _wire.call(sandbox, "EnumCodeWordTypes", {})
    types = result["CodeWords"]["CodewordV2"]
    assert [t["CodewordType"] for t in types][:2] == ["MothersMaidenName", "PetsName"]
    assert "Undefined" not in {t["CodewordType"] for t in types}
    assert [t["Value"] for t in types] == list(range(1, 11))
    assert all(t["Description"].endswith("?") for t in types)


def test_set_codewords_and_questions(sandbox):
    questions = {"Username": DEMO_USERNAME}
    assert _wire.call(sandbox, "GetCodewordQuestions", questions) == {"Codeword1Question": "", "Codeword2Question": ""}
    assert (
        _wire.call(sandbox, "AuthenticateUser", {"Credentials": _wire.credentials(sandbox.create_demo_account())})[
            "CodewordsSet"
        ]
        is False
    )
    conversation = Conversation(sandbox)
    conversation.call(
        "SetCodeWords", Codeword1Type="StreetName", Codeword1="Elm", Codeword2Type="PetsName", Codeword2="Rex"
    )
    assert _wire.call(sandbox, "GetCodewordQuestions", questions) == {
        "Codeword1Question": "On what street did you grow up?",
        "Codeword2Question": "What is the name of your first pet?",
    }
    assert conversation.code("SetCodeWords", Codeword1Type="StreetName", Codeword1="Elm") == "00490102"
    assert (
        conversation.code(
            "SetCodeWords", Codeword1Type="PetsName", Codeword1="Elm", Codeword2Type="PetsName", Codeword2="Rex"
        )
        == "002b0502"
    )
    assert (
        conversation.code(
            "SetCodeWords", Codeword1Type="StreetName", Codeword1="E", Codeword2Type="PetsName", Codeword2="Rex"
        )
        == "002b0502"
    )
    conversation.info()  # the conversation went on after each fault


def test_codeword_questions_do_not_tell_whether_a_username_exists(sandbox):
    first = _wire.call(sandbox, "GetCodewordQuestions", {"Username": "no-such-user"})
    again = _wire.call(sandbox, "GetCodewordQuestions", {"Username": "NO-SUCH-USER"})
    assert first == again
    assert first["Codeword1Question"] and first["Codeword2Question"]
    assert first["Codeword1Question"] != first["Codeword2Question"]


# -- password reset ----------------------------------------------------------------------------------
def test_password_reset_end_to_end(sandbox):
    sandbox.set_codewords(DEMO_USERNAME, "PetsName", "Rex", "BirthCity", "Springfield")
    reset = {"Username": DEMO_USERNAME, "Codeword1": "  rEX ", "Codeword2": "SPRINGFIELD"}
    for _ in range(4):
        assert login_code(sandbox, DEMO_USERNAME, "wrong-1") == "002b0601"
    assert _wire.call(sandbox, "StartPasswordReset", reset) == {}
    temp = sandbox.temporary_password(DEMO_USERNAME)
    email = sandbox.messages(to="demo@onebalance.test", channel="email")[-1]
    assert temp in email.body and email.code == temp
    assert login_code(sandbox, DEMO_USERNAME, temp) == "002b0605"
    Conversation(sandbox)  # the old password still works until the reset is finished
    assert login_code(sandbox, DEMO_USERNAME, "wrong-1") == "002b0601"
    sandbox.lock(DEMO_USERNAME)

    finish = {"Username": DEMO_USERNAME, "TempPassword": temp, "NewPassword": NEW_PASSWORD}
    assert _wire.fault_code(sandbox, "FinishPasswordReset", {**finish, "TempPassword": "Wrong-temp1"}) == "002b0601"
    assert _wire.fault_code(sandbox, "FinishPasswordReset", {**finish, "NewPassword": "short"}) == "002b0402"
    assert _wire.fault_code(sandbox, "FinishPasswordReset", {**finish, "NewPassword": DEMO_PASSWORD}) == "002b0406"
    assert _wire.call(sandbox, "FinishPasswordReset", finish) == {}

    account = sandbox.account(DEMO_USERNAME)
    assert (account.locked, account.failed_logins, account.reset) == (False, 0, None)
    assert account.password_history[-2:] == [DEMO_PASSWORD, NEW_PASSWORD]
    assert login_code(sandbox, DEMO_USERNAME, DEMO_PASSWORD) == "002b0601"
    Conversation(sandbox, DEMO_USERNAME, NEW_PASSWORD)
    assert _wire.fault_code(sandbox, "FinishPasswordReset", finish) == "002b0501"


def test_password_reset_faults(sandbox):
    start = {"Username": DEMO_USERNAME, "Codeword1": "Rex", "Codeword2": "Springfield"}
    assert _wire.fault_code(sandbox, "StartPasswordReset", start) == "002b060c"
    assert _wire.fault_code(sandbox, "StartPasswordReset", {**start, "Username": "nobody"}) == "002b0601"
    sandbox.set_codewords(DEMO_USERNAME, "PetsName", "Rex", "BirthCity", "Springfield")
    assert _wire.fault_code(sandbox, "StartPasswordReset", {**start, "Codeword2": "Shelbyville"}) == "002b0601"
    finish = {"Username": "nobody", "TempPassword": "x", "NewPassword": NEW_PASSWORD}
    assert _wire.fault_code(sandbox, "FinishPasswordReset", finish) == "002b0501"
    with pytest.raises(KeyError):
        sandbox.temporary_password(DEMO_USERNAME)
    with pytest.raises(ValueError, match="differ"):
        sandbox.set_codewords(DEMO_USERNAME, "PetsName", "Rex", "PetsName", "Rex")


# -- ChangePassword, expiry, lockout ----------------------------------------------------------------
def test_change_password(sandbox):
    conversation = Conversation(sandbox)
    assert conversation.code("ChangePassword", NewPassword=NEW_PASSWORD) == "0045014f"
    assert conversation.code("ChangePassword", OldPassword="Wrong-0ld", NewPassword=NEW_PASSWORD) == "002b0601"
    assert conversation.code("ChangePassword", OldPassword=DEMO_PASSWORD, NewPassword="nodigits") == "002b0404"
    assert conversation.code("ChangePassword", OldPassword=DEMO_PASSWORD, NewPassword=DEMO_PASSWORD) == "002b0406"
    conversation.call("ChangePassword", OldPassword=DEMO_PASSWORD, NewPassword=NEW_PASSWORD)
    conversation.info()  # the conversation goes on
    assert login_code(sandbox, DEMO_USERNAME, DEMO_PASSWORD) == "002b0601"
    # With Credentials, OldPassword may be left out: the credentials carry it.
    creds = SandboxCredentials("", DEMO_INTEGRATION_ID, DEMO_USERNAME, NEW_PASSWORD)
    result = _wire.call(
        sandbox, "ChangePassword", {"Credentials": _wire.credentials(creds), "NewPassword": "Third-Passw0rd"}
    )
    assert result["Authenticator"]
    assert sandbox.account(DEMO_USERNAME).password == "Third-Passw0rd"


def test_an_expired_password_allows_only_account_info_and_change_password(sandbox):
    sandbox.expire_password(DEMO_USERNAME)
    login = _wire.call(sandbox, "AuthenticateUser", {"Credentials": _wire.credentials(sandbox.create_demo_account())})
    assert login["PasswordExpired"] is True
    conversation = Conversation(sandbox)
    assert conversation.info()["AccountStatus"] == "PasswordExpired"
    with pytest.raises(SoapFault) as info:
        conversation.call("ListPaymentMethods")
    assert info.value.code == "002b0608" and info.value.authenticator
    assert conversation.code("GetURL", URLType="HomePage", ApplicationContext="x") == "002b0608"
    conversation.call("ChangePassword", OldPassword=DEMO_PASSWORD, NewPassword=NEW_PASSWORD)
    assert conversation.call("ListPaymentMethods")["PaymentMethods"]["PaymentMethod"]
    assert conversation.info()["AccountStatus"] == "Active"


def test_five_failed_logins_lock_the_account(sandbox):
    for _ in range(4):
        assert login_code(sandbox, DEMO_USERNAME, "Wrong-1") == "002b0601"
    Conversation(sandbox)  # a success resets the count
    for _ in range(4):
        assert login_code(sandbox, DEMO_USERNAME, "Wrong-1") == "002b0601"
    assert sandbox.account(DEMO_USERNAME).failed_logins == 4
    conversation = Conversation(sandbox)
    for _ in range(5):
        assert login_code(sandbox, DEMO_USERNAME, "Wrong-1") == "002b0601"  # the 5th locks
    assert sandbox.account(DEMO_USERNAME).status is AccountStatus.LOCKED
    assert login_code(sandbox, DEMO_USERNAME, DEMO_PASSWORD) == "002b0607"
    assert login_code(sandbox, DEMO_USERNAME, "Wrong-1") == "002b0607"
    assert conversation.code("GetAccountInfo") == "002b0607"
    assert login_code(sandbox, "nobody", "Wrong-1") == "002b0601"
    sandbox.unlock(DEMO_USERNAME)
    assert Conversation(sandbox).info()["AccountStatus"] == "Active"
    assert sandbox.account(DEMO_USERNAME).failed_logins == 0


# -- CancelAccount, RecoverUsername ----------------------------------------------------------------
def test_cancel_account(sandbox):
    sandbox.set_codewords(DEMO_USERNAME, "PetsName", "Rex", "BirthCity", "Springfield")
    conversation = Conversation(sandbox)
    details = {"Address": "1990 e grand  AVE", "State": "ca", "City": "EL SEGUNDO", "Zip": "90245-1234"}
    for wrong in ({"Address": "1 Main St"}, {"City": "Austin"}, {"State": "TX"}, {"Zip": "90246"}, {"Zip": "902"}):
        assert conversation.code("CancelAccount", **{**details, **wrong}) == "002b0902"
    result = conversation.call("CancelAccount", **details, SendEmail=True)
    assert result == {}  # no Authenticator: the account is closed
    assert sandbox.account(DEMO_USERNAME).status is AccountStatus.CLOSED
    assert sandbox.messages(to="demo@onebalance.test")[-1].subject == "Your One Balance account is closed"
    assert login_code(sandbox, DEMO_USERNAME, DEMO_PASSWORD) == "00550108"
    assert login_code(sandbox, DEMO_USERNAME, "Wrong-1") == "002b0601"
    previous = conversation.sandbox.account(DEMO_USERNAME).conversations[-1].tokens[-1]
    assert _wire.fault_code(sandbox, "GetAccountInfo", {"Authenticator": previous}) == "00550108"
    reset = {"Username": DEMO_USERNAME, "Codeword1": "Rex", "Codeword2": "Springfield"}
    assert _wire.fault_code(sandbox, "StartPasswordReset", reset) == "00550108"
    assert _wire.fault_code(sandbox, "StartPasswordReset", {**reset, "Codeword1": "Max"}) == "002b0601"


def test_recover_username_never_tells(sandbox):
    sandbox.create_account("second-shop", "Passw0rd-2", email="Demo@OneBalance.test")
    assert _wire.call(sandbox, "RecoverUsername", {"EmailAddress": "demo@onebalance.test"}) == {}
    assert _wire.call(sandbox, "RecoverUsername", {"EmailAddress": "nobody@example.com"}) == {}
    sent = sandbox.messages(channel="email")
    assert sorted(m.username for m in sent) == ["demo-merchant", "second-shop"]
    assert all(m.username in m.body and m.code is None for m in sent)
    assert sandbox.messages(to="nobody@example.com") == []


# -- payment methods and holds ---------------------------------------------------------------------
def test_payment_methods(sandbox):
    conversation = Conversation(sandbox)
    (seeded,) = conversation.call("ListPaymentMethods")["PaymentMethods"]["PaymentMethod"]
    assert seeded["DefaultPayment"]["DefaultPaymentMethodTypeOptions"] == ["AllDefaultPaymentMethods"]
    assert (seeded["BillingMethod"], seeded["CreditCardType"], seeded["Last4"]) == ("CreditCard", "Visa", "1111")

    ach_id = conversation.call("AddUserPaymentMethod", MachineInfo=MACHINE, AchAccount=ACH)["PaymentMethodID"]
    card_id = conversation.call(
        "AddUserPaymentMethod",
        MachineInfo=MACHINE,
        CreditCard=MASTERCARD,
        DefaultPaymentMethodType="AllDefaultPaymentMethods",
    )["PaymentMethodID"]
    listed = conversation.call("ListPaymentMethods")["PaymentMethods"]["PaymentMethod"]
    assert [(m["PaymentMethodId"], "DefaultPayment" in m) for m in listed] == [
        (seeded["PaymentMethodId"], False),
        (ach_id, False),
        (card_id, True),
    ]
    assert listed[1]["BankName"] == "First Bank" and "CreditCardType" not in listed[1]
    only = conversation.call("ListPaymentMethods", PaymentMethodID=ach_id)["PaymentMethods"]
    assert [m["PaymentMethodId"] for m in only["PaymentMethod"]] == [ach_id]

    conversation.call(
        "ChangeDefaultPaymentMethod",
        MachineInfo=MACHINE,
        PaymentMethodID=ach_id,
        PaymentType="DefaultPostalPurchasePaymentMethod",
    )
    assert sandbox.account(DEMO_USERNAME).default_payment_method.id == ach_id
    assert conversation.code("DeleteUserPaymentMethod", PaymentMethodID=ach_id) == "002b0904"
    conversation.call("DeleteUserPaymentMethod", PaymentMethodID=card_id)
    conversation.call("DeleteUserPaymentMethod", PaymentMethodID=seeded["PaymentMethodId"])
    assert conversation.code("DeleteUserPaymentMethod", PaymentMethodID=ach_id) == "002b0904"  # the only one
    assert conversation.code("DeleteUserPaymentMethod", PaymentMethodID=card_id) == "002b0903"
    assert conversation.code("DeleteUserPaymentMethod") == "002b0903"
    assert conversation.code("ChangeDefaultPaymentMethod", MachineInfo=MACHINE, PaymentMethodID="nope") == "002b0903"
    declined = {**CARD, "AccountNumber": DECLINED_TEST_CARD}
    assert conversation.code("AddUserPaymentMethod", MachineInfo=MACHINE, CreditCard=declined) == "002b0802"
    assert (
        conversation.code("AddUserPaymentMethod", MachineInfo=MACHINE, CreditCard={**CARD, "AccountNumber": "4111"})
        == "002b0802"
    )
    assert conversation.code("AddUserPaymentMethod", MachineInfo=MACHINE) == "002b0802"
    assert len(sandbox.account(DEMO_USERNAME).payment_methods) == 1


def test_a_new_default_payment_method_lifts_a_payment_hold_but_not_the_others(sandbox):
    sandbox.place_hold(DEMO_USERNAME, "payment_hold")
    sandbox.place_hold(DEMO_USERNAME, Hold.ADMIN_HOLD)
    sandbox.place_hold(DEMO_USERNAME, "activity_blocked")
    conversation = Conversation(sandbox)
    info = conversation.info()
    assert (info["AccountStatus"], info["AccountInfo"]["ResubmitStatus"]) == ("AdminHold", "PAYMENT_RESUBMISSION")

    conversation.call("AddUserPaymentMethod", MachineInfo=MACHINE, CreditCard=MASTERCARD)  # not the default
    assert Hold.PAYMENT_HOLD in sandbox.account(DEMO_USERNAME).holds
    conversation.call(
        "AddUserPaymentMethod",
        MachineInfo=MACHINE,
        CreditCard=MASTERCARD,
        DefaultPaymentMethodType="AllDefaultPaymentMethods",
    )
    info = conversation.info()
    assert (info["AccountStatus"], info["AccountInfo"]["ResubmitStatus"]) == ("AdminHold", "NOT_IN_RESUBMISSION")
    assert sandbox.account(DEMO_USERNAME).holds == [Hold.ADMIN_HOLD, Hold.ACTIVITY_BLOCKED]
    sandbox.lift_hold(DEMO_USERNAME, "admin_hold")
    assert conversation.info()["AccountStatus"] == "ActivityBlocked"
    sandbox.lift_hold(DEMO_USERNAME, "activity_blocked")
    assert conversation.info()["AccountStatus"] == "Active"


def test_a_declined_default_does_not_lift_the_hold_a_usable_one_does(sandbox):
    conversation = Conversation(sandbox)
    seeded = sandbox.account(DEMO_USERNAME).default_payment_method.id
    sandbox.decline_payment_method(DEMO_USERNAME)
    assert conversation.info()["AccountStatus"] == "PaymentHold"
    other = conversation.call("AddUserPaymentMethod", MachineInfo=MACHINE, AchAccount=ACH)["PaymentMethodID"]
    conversation.call("ChangeDefaultPaymentMethod", MachineInfo=MACHINE, PaymentMethodID=other)
    assert conversation.info()["AccountStatus"] == "Active"
    sandbox.place_hold(DEMO_USERNAME, "payment_hold")
    conversation.call("ChangeDefaultPaymentMethod", MachineInfo=MACHINE, PaymentMethodID=seeded)
    assert conversation.info()["AccountStatus"] == "PaymentHold"


# -- AccountStatus ---------------------------------------------------------------------------------
def test_account_status_priorities(sandbox):
    sandbox.create_account(
        "everything",
        "Passw0rd-1",
        phone_verified=False,
        terms_accepted=False,
        password_expired=True,
        holds=["payment_hold", "activity_blocked", "admin_hold"],
    )
    sandbox.lock("everything")
    sandbox.set_status("everything", AccountStatus.CLOSED)
    expected = [
        "Closed",
        "Locked",
        "AdminHold",
        "ActivityBlocked",
        "PaymentHold",
        "PasswordExpired",
        "VerificationRequired",
        "TermsRequired",
        "Active",
    ]
    remedies = [
        lambda: setattr(sandbox.state.accounts["everything"], "closed", False),
        lambda: sandbox.unlock("everything"),
        lambda: sandbox.lift_hold("everything", "admin_hold"),
        lambda: sandbox.lift_hold("everything", "activity_blocked"),
        lambda: sandbox.lift_hold("everything", "payment_hold"),
        lambda: sandbox.set_password("everything", "Passw0rd-2"),
        lambda: sandbox.verify_phone("everything"),
        lambda: sandbox.set_terms_accepted("everything", True),
    ]
    seen = []
    for remedy in [*remedies, None]:
        seen.append(sandbox.account("everything").status.value)
        if remedy is not None:
            remedy()
    assert seen == expected
    info = Conversation(sandbox, "everything", "Passw0rd-2").info()
    assert (info["AccountStatus"], info["VerificationPhoneNumber"]) == ("Active", "3105551234")


def test_account_info_reports_terms_and_verification(sandbox):
    sandbox.set_status(DEMO_USERNAME, AccountStatus.TERMS_REQUIRED)
    conversation = Conversation(sandbox)
    info = conversation.info()
    assert (info["AccountStatus"], info["AccountInfo"]["Terms"]["TermsGP"]) == ("TermsRequired", False)
    sandbox.set_status(DEMO_USERNAME, AccountStatus.VERIFICATION_REQUIRED)
    assert conversation.info()["AccountStatus"] == "VerificationRequired"


def test_set_status_adds_conditions_and_active_clears_them(sandbox):
    sandbox.set_status(DEMO_USERNAME, AccountStatus.PAYMENT_HOLD)
    sandbox.set_status(DEMO_USERNAME, AccountStatus.ACTIVITY_BLOCKED)
    sandbox.set_status(DEMO_USERNAME, AccountStatus.PASSWORD_EXPIRED)
    account = sandbox.account(DEMO_USERNAME)
    assert (account.holds, account.password_expired) == ([Hold.PAYMENT_HOLD, Hold.ACTIVITY_BLOCKED], True)
    assert account.status is AccountStatus.ACTIVITY_BLOCKED
    sandbox.set_status(DEMO_USERNAME, AccountStatus.LOCKED)
    sandbox.set_status(DEMO_USERNAME, AccountStatus.ACTIVE)
    account = sandbox.account(DEMO_USERNAME)
    assert (account.holds, account.locked, account.password_expired, account.status) == (
        [],
        False,
        False,
        AccountStatus.ACTIVE,
    )
    seeded = sandbox.create_account("held", "Passw0rd-1", status=AccountStatus.ADMIN_HOLD)
    assert (seeded.holds, seeded.status) == ([Hold.ADMIN_HOLD], AccountStatus.ADMIN_HOLD)


def test_state_saved_with_a_flat_status_still_loads():
    old = {
        "integration_id": DEMO_INTEGRATION_ID,
        "username": "old",
        "password": "Passw0rd-1",
        "customer_id": 1,
        "meter_number": 2,
        "user_id": 3,
        "status": "PaymentHold",
    }
    account = SandboxAccount.model_validate_json(json.dumps(old))
    assert "status" not in json.loads(account.model_dump_json())
    assert (account.holds, account.status, account.password_history) == (
        [Hold.PAYMENT_HOLD],
        AccountStatus.PAYMENT_HOLD,
        ["Passw0rd-1"],
    )
    assert SandboxAccount.model_validate({**old, "status": "Locked"}).locked


# -- GetURL and the pages --------------------------------------------------------------------------
def _terms_flow(sandbox: Sandbox, site: str) -> None:
    sandbox.set_terms_accepted(DEMO_USERNAME, False)
    conversation = Conversation(sandbox)
    url = conversation.call("GetURL", URLType="SetTermsGeneral", ApplicationContext="onboarding")["URL"]
    assert url.startswith(f"{site}/sandbox/terms?account=")
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert '<form method="post">' in page.text and DEMO_USERNAME in page.text
    assert conversation.info()["AccountInfo"]["Terms"]["TermsGP"] is False
    accepted = requests.post(url, timeout=5)
    assert (accepted.status_code, "accepted" in accepted.text) == (200, True)
    info = conversation.info()
    assert (info["AccountInfo"]["Terms"]["TermsGP"], info["AccountStatus"]) == (True, "Active")

    other = conversation.call("GetURL", URLType="StorePaymentMethods", ApplicationContext="x")["URL"]
    assert other.startswith(f"{site}/sandbox/pages/StorePaymentMethods?account=")
    assert other.split("account=")[1] == url.split("account=")[1]
    page = requests.get(other, timeout=5)
    assert page.status_code == 200 and "StorePaymentMethods" in page.text
    assert requests.post(f"{site}/sandbox/terms?account=unknown", timeout=5).status_code == 404
    assert requests.get(f"{site}/sandbox/pages/HomePage", timeout=5).status_code == 404


def test_terms_page_over_http(sandbox):
    with sandbox.serve() as server:
        _terms_flow(sandbox, server.url.rsplit("/swsim/", 1)[0])


def test_terms_page_in_process(sandbox):
    with sandbox.mock() as url:
        _terms_flow(sandbox, url.rsplit("/swsim/", 1)[0])


def test_get_url_without_a_mount_points_at_the_in_process_host(sandbox):
    url = Conversation(sandbox).call("GetURL", URLType="SetTermsGeneral", ApplicationContext="x")["URL"]
    assert url.startswith("https://swsim.sandbox.onebalance.test/sandbox/terms?account=")
    assert sandbox.page("DELETE", url.split(".test", 1)[1]).status == 405


# -- persistence -----------------------------------------------------------------------------------
def test_account_state_and_outbox_survive_a_restart(tmp_path, make_sandbox):
    path = tmp_path / "sandbox.sqlite"
    first = make_sandbox(state_path=path)
    first.create_demo_account()
    register(first)
    conversation = Conversation(first, "acme", "Widgets-2026")
    conversation.call("StartAccountVerification", PhoneVerificationOption="SMS")
    code = first.verification_code("acme")
    _wire.call(first, "StartPasswordReset", {"Username": "acme", "Codeword1": "rex", "Codeword2": "springfield"})
    temp = first.temporary_password("acme")
    first.place_hold(DEMO_USERNAME, "admin_hold")
    first.expire_password(DEMO_USERNAME)
    assert login_code(first, DEMO_USERNAME, "Wrong-1") == "002b0601"
    url = conversation.call("GetURL", URLType="SetTermsGeneral", ApplicationContext="x")["URL"]
    first.close()

    second = make_sandbox(state_path=path)
    assert [m.code for m in second.outbox] == [code, temp]
    assert (second.verification_code("acme"), second.temporary_password("acme")) == (code, temp)
    demo = second.account(DEMO_USERNAME)
    assert (demo.holds, demo.password_expired, demo.failed_logins) == ([Hold.ADMIN_HOLD], True, 1)
    acme = second.account("acme")
    assert acme.codewords is not None and acme.reset is not None and acme.payment_methods[0].default
    assert login_code(second, "acme", temp) == "002b0605"
    conversation.sandbox = second
    conversation.call("FinishAccountVerification", PhoneVerificationCode=code)
    assert second.account("acme").phone_verified
    assert second.page("POST", url.split(".test", 1)[1]).status == 200
    assert second.account("acme").terms_accepted
    third_message_count = len(second.outbox)
    second.close()
    third = make_sandbox(state_path=path)
    assert len(third.outbox) == third_message_count
