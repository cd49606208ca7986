"""Accounts end to end against the sandbox: registration, each suspension reason from detection
to remedy, reconnection, closing; bad input refused with nothing sent; no secret in the logs."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import responses

from onebalance import (
    Accounts,
    AccountState,
    BankAccount,
    Codewords,
    ConfigurationError,
    CreditCard,
    InMemoryCredentialStore,
    InvalidCodewords,
    InvalidPassword,
    InvalidPaymentMethod,
    NotConnected,
    OneBalanceError,
    PaymentMethodRefused,
    RegistrationForm,
    RemedyAction,
    RemedyInputs,
    StoreProfile,
    TermsNotAccepted,
    UsernameTaken,
    ValidationError,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID, IN_PROCESS_URL

PROFILE = StoreProfile(
    store_name="Acme Widgets",
    owner_name="Ada Lovelace",
    street_lines=("1 Main St",),
    city="Austin",
    state="TX",
    postal_code="78701",
    email="ada@acme.example",
    phone="(512) 555-0100",
)
CARD = {"number": "4111 1111 1111 1111", "expiration_month": 12, "expiration_year": 2031, "cvn": "737"}
PASSWORD = "Widgets-2026"
ANSWERS = ("Rex the dog", "Springfield")


def _form(**overrides) -> RegistrationForm:
    values = {
        "password": PASSWORD,
        "payment": CreditCard(**CARD),
        "codewords": Codewords(question1="PetsName", answer1=ANSWERS[0], question2="BirthCity", answer2=ANSWERS[1]),
        "terms_accepted": True,
        "client_ip": "203.0.113.7",
    }
    values.update(overrides)
    return RegistrationForm.from_store(PROFILE, **values)


@pytest.fixture
def accounts(sandbox, endpoint) -> Accounts:
    return Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=endpoint.url, store=InMemoryCredentialStore())


def _register(accounts: Accounts, sandbox, merchant_id: str = "shop-1") -> str:
    registration = accounts.register(merchant_id, _form())
    accounts.start_phone_verification(merchant_id, "SMS")
    diagnosis = accounts.finish_phone_verification(merchant_id, sandbox.verification_code(registration.username))
    assert diagnosis.active, diagnosis.lines()
    return registration.username


# -- registration -----------------------------------------------------------------------------------
def test_register_with_phone_verification_gives_a_connected_account(accounts, sandbox):
    registration = accounts.register("shop-1", _form())
    assert registration.username == "acmewidgets"
    stored = accounts.store.get("shop-1")
    assert stored is not None
    assert stored.status == "pending_verification"
    assert accounts.diagnose("shop-1").state is AccountState.VERIFICATION_REQUIRED

    accounts.start_phone_verification("shop-1", "Voice")
    code = sandbox.verification_code("acmewidgets")
    assert sandbox.messages(channel="voice")[-1].to == "5125550100"
    diagnosis = accounts.finish_phone_verification("shop-1", code)

    assert diagnosis.active
    assert accounts.store.get("shop-1").status == "connected"
    account = accounts.client("shop-1").account()
    assert account.address.company == "Acme Widgets"
    assert account.verification_phone == "5125550100"


def test_a_form_is_prefilled_from_the_store_and_editable(sandbox, accounts):
    form = _form()
    assert (form.name, form.city, form.phone) == ("Ada Lovelace", "Austin", "5125550100")
    form.username = "acme-shop"
    form.street_lines = (*form.street_lines, "Suite 200")
    assert accounts.register("shop-2", form).username == "acme-shop"
    assert sandbox.account("acme-shop").address["Address2"] == "Suite 200"


def test_a_taken_username_carries_the_suggestion(accounts, sandbox):
    accounts.register("shop-1", _form())
    with pytest.raises(UsernameTaken) as info:
        accounts.register("shop-2", _form())
    assert info.value.suggested_username
    assert info.value.suggested_username != "acmewidgets"
    assert accounts.store.get("shop-2") is None
    assert accounts.register("shop-2", _form(username=info.value.suggested_username)).username


def test_a_declined_card_is_refused_by_the_service(accounts):
    with pytest.raises(PaymentMethodRefused) as info:
        accounts.register("shop-1", _form(payment=CreditCard(**(CARD | {"number": "4000000000000002"}))))
    assert info.value.code == "002b0802"
    assert accounts.store.get("shop-1") is None


def test_bank_account_registration(accounts, sandbox):
    bank = BankAccount(
        bank_name="First Bank", routing_number="011000015", account_number="000123456789", holder_name="Ada Lovelace"
    )
    accounts.register("shop-1", _form(payment=bank))
    assert accounts.client("shop-1").payment_methods()[0].billing_method == "ACH"


BAD_INPUTS = [
    (lambda: _form(terms_accepted=False), TermsNotAccepted, None),
    (lambda: _form(password="short1"[:5]), InvalidPassword, "002b0402"),
    (lambda: _form(password="nodigitshere"), InvalidPassword, "002b0404"),
    (lambda: _form(password="12345678"), InvalidPassword, "002b0403"),
    (lambda: _form(password="x" * 21 + "1"), InvalidPassword, "002b0401"),
    (lambda: _form(codewords=None), InvalidCodewords, "002b0502"),
    (
        lambda: _form(codewords=Codewords(question1="PetsName", answer1="Rex", question2="PetsName", answer2="Abc")),
        InvalidCodewords,
        "002b0502",
    ),
    (lambda: _form(payment=None), InvalidPaymentMethod, None),
    (lambda: CreditCard(**(CARD | {"number": "4111111111111112"})), InvalidPaymentMethod, None),
    (lambda: CreditCard(**(CARD | {"expiration_year": 2020})), InvalidPaymentMethod, None),
    (lambda: CreditCard(**(CARD | {"cvn": "12"})), InvalidPaymentMethod, None),
    (lambda: CreditCard(**(CARD | {"number": "378282246310005", "card_type": "Visa"})), InvalidPaymentMethod, None),
    (
        lambda: BankAccount(bank_name="B", routing_number="011000016", account_number="1234", holder_name="A"),
        InvalidPaymentMethod,
        None,
    ),
    (lambda: _form(street_lines=("PO Box 123",)), ValidationError, "002b0808"),
    (lambda: _form(email="not-an-email"), ValidationError, None),
    (lambda: _form(phone="555"), ValidationError, None),
    (lambda: _form(postal_code="7870"), ValidationError, None),
    (lambda: _form(username="bad name!"), ValidationError, None),
    (lambda: _form(client_ip=None), ValidationError, None),
]


@pytest.mark.parametrize(("make", "error", "code"), BAD_INPUTS)
def test_bad_registration_input_is_refused_and_nothing_is_sent(make, error, code):
    accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=IN_PROCESS_URL, store=InMemoryCredentialStore())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        with pytest.raises(error) as info:
            accounts.register("shop-1", make())
        assert len(mock.calls) == 0
    assert info.value.code == code
    assert accounts.store.get("shop-1") is None
    text = str(info.value) + repr(info.value)
    for secret in ("4111111111111112", "4111111111111111", "378282246310005", "000123456789", "737", "Rex"):
        assert secret not in text


# -- suspension: detection to remedy ----------------------------------------------------------------
def test_payment_hold_is_lifted_by_a_new_card(accounts, sandbox):
    username = _register(accounts, sandbox)
    sandbox.place_hold(username, "payment_hold")
    diagnosis = accounts.diagnose("shop-1")
    assert diagnosis.state is AccountState.PAYMENT_HOLD
    assert RemedyAction.REPLACE_PAYMENT_METHOD in {r.action for r in diagnosis.automated_remedies}

    without_card = accounts.unsuspend("shop-1")
    assert not without_card.active
    assert without_card.steps == ()

    report = accounts.unsuspend("shop-1", payment_method=CreditCard(**(CARD | {"number": "5555555555554444"})))
    assert report.active
    assert [s.action for s in report.steps] == [RemedyAction.REPLACE_PAYMENT_METHOD]
    assert report.steps[0].state_after is AccountState.ACTIVE


def test_the_remedy_inputs_go_as_one_object_and_keep_their_secrets_out_of_the_repr(accounts, sandbox):
    username = _register(accounts, sandbox)
    sandbox.place_hold(username, "payment_hold")
    inputs = RemedyInputs(
        payment_method=CreditCard(**(CARD | {"number": "5555555555554444"})), new_password="Another-pass9"
    )
    assert "Another-pass9" not in repr(inputs) and "5555555555554444" not in repr(inputs)
    with pytest.raises(ValidationError) as refused:
        accounts.unsuspend("shop-1", inputs=inputs, password=PASSWORD)
    assert refused.value.field == "inputs"
    with pytest.raises(InvalidPassword):
        accounts.unsuspend("shop-1", inputs=RemedyInputs(new_password="short"))
    report = accounts.unsuspend("shop-1", inputs=inputs)
    assert report.active
    assert [s.action for s in report.steps] == [RemedyAction.REPLACE_PAYMENT_METHOD]


def test_the_stored_credentials_are_read_through_accounts(accounts, sandbox):
    with pytest.raises(NotConnected):
        accounts.credentials("shop-1")
    username = _register(accounts, sandbox)
    stored = accounts.credentials("shop-1")
    assert stored.username == username and stored.status == "connected"
    assert PASSWORD not in repr(stored) and stored.ups is None


def test_a_declined_replacement_card_leaves_the_hold(accounts, sandbox):
    username = _register(accounts, sandbox)
    sandbox.place_hold(username, "payment_hold")
    report = accounts.unsuspend("shop-1", payment_method=CreditCard(**(CARD | {"number": "4000000000000002"})))
    assert not report.active
    assert report.steps[0].ok is False
    assert "PaymentMethodRefused" in report.steps[0].detail


@pytest.mark.parametrize(
    ("reason", "state"), [("admin_hold", AccountState.ADMIN_HOLD), ("activity_blocked", AccountState.ACTIVITY_BLOCKED)]
)
def test_holds_only_support_can_lift_stay_until_lifted_through_the_control_api(accounts, sandbox, reason, state):
    username = _register(accounts, sandbox)
    sandbox.place_hold(username, reason)
    report = accounts.unsuspend("shop-1", payment_method=CreditCard(**CARD), new_password="Another-pass9")
    assert report.after.state is state
    assert report.steps == ()
    assert {r.action for r in report.after.manual_remedies} == {RemedyAction.CONTACT_SUPPORT}
    assert report.after.support.phone == "(855) 889-7867"
    sandbox.lift_hold(username, reason)
    assert accounts.diagnose("shop-1").active


def test_an_expired_password_is_changed_and_stored(accounts, sandbox):
    username = _register(accounts, sandbox)
    sandbox.expire_password(username)
    assert accounts.diagnose("shop-1").state is AccountState.PASSWORD_EXPIRED
    report = accounts.unsuspend("shop-1")
    assert report.active
    new_password = accounts.store.get("shop-1").password_value()
    assert new_password != PASSWORD
    assert sandbox.account(username).password == new_password


def test_disconnected_after_a_password_change_outside_the_platform(accounts, sandbox):
    username = _register(accounts, sandbox)
    sandbox.set_password(username, "Changed-elsewhere7")
    diagnosis = accounts.diagnose("shop-1")
    assert diagnosis.state is AccountState.DISCONNECTED
    assert accounts.unsuspend("shop-1").steps == ()  # nothing to do without the new password
    report = accounts.reconnect("shop-1", password="Changed-elsewhere7")
    assert report.active
    assert accounts.store.get("shop-1").password_value() == "Changed-elsewhere7"


def test_a_locked_account_is_unlocked_by_the_password_reset(accounts, sandbox):
    username = _register(accounts, sandbox)
    sandbox.lock(username)
    assert accounts.diagnose("shop-1").state is AccountState.LOCKED
    assert accounts.password_reset_questions("shop-1") != ("", "")
    started = accounts.unsuspend("shop-1", codeword_answers=ANSWERS)
    assert started.steps[0].ok
    assert not started.active
    finished = accounts.unsuspend("shop-1", temporary_password=sandbox.temporary_password(username))
    assert finished.active
    assert accounts.store.get("shop-1").password_value() != PASSWORD


def test_wrong_codeword_answers_do_not_start_a_reset(accounts, sandbox):
    username = _register(accounts, sandbox)
    sandbox.lock(username)
    report = accounts.unsuspend("shop-1", codeword_answers=("wrong", "answers"))
    assert report.steps[0].ok is False
    with pytest.raises(KeyError):
        sandbox.temporary_password(username)


def test_terms_need_the_merchant_and_the_sdk_gives_the_page(accounts, sandbox, endpoint):
    import requests

    username = _register(accounts, sandbox)
    sandbox.set_terms_accepted(username, False)
    diagnosis = accounts.diagnose("shop-1")
    assert diagnosis.state is AccountState.TERMS_NOT_ACCEPTED
    terms = next(r for r in diagnosis.manual_remedies if r.action is RemedyAction.ACCEPT_TERMS)
    assert terms.url
    requests.post(terms.url, timeout=5)  # the merchant clicks "accept" on the provider's page
    assert accounts.diagnose("shop-1").active


def test_verification_required_sends_a_code_then_finishes_with_it(accounts, sandbox):
    registration = accounts.register("shop-1", _form())
    first = accounts.unsuspend("shop-1")
    assert [s.detail for s in first.steps] == ["sent a verification code to the merchant's phone"]
    code = sandbox.verification_code(registration.username)
    assert accounts.unsuspend("shop-1", verification_code=code).active


def test_closed_accounts_need_a_new_one(accounts, sandbox, endpoint):
    username = _register(accounts, sandbox)
    accounts.close("shop-1", address="1 Main St", city="Austin", state="TX", postal_code="78701")
    assert accounts.store.get("shop-1") is None
    with pytest.raises(NotConnected):
        accounts.client("shop-1")
    accounts.store.put("shop-1", _stored(sandbox, username, endpoint.url))
    diagnosis = accounts.diagnose("shop-1")
    assert diagnosis.state is AccountState.CLOSED
    assert {r.action for r in diagnosis.manual_remedies} == {RemedyAction.OPEN_NEW_ACCOUNT}


def _stored(sandbox, username, url):
    from onebalance import StoredCredentials

    account = sandbox.account(username)
    return StoredCredentials(
        integration_id=DEMO_INTEGRATION_ID, username=username, password=account.password, endpoint=url, verified_at=None
    )


def test_closing_needs_the_right_address(accounts, sandbox):
    _register(accounts, sandbox)
    with pytest.raises(OneBalanceError):
        accounts.close("shop-1", address="2 Other Rd", city="Austin", state="TX", postal_code="78701")
    assert accounts.diagnose("shop-1").active


def test_username_recovery_emails_without_telling(accounts, sandbox):
    _register(accounts, sandbox)
    accounts.recover_username("ada@acme.example")
    accounts.recover_username("nobody@example.com")
    emails = sandbox.messages(channel="email", to="ada@acme.example")
    assert any("acmewidgets" in m.body for m in emails)
    assert not sandbox.messages(channel="email", to="nobody@example.com")


def test_diagnose_does_not_log_the_platform_out(accounts, sandbox, wire_log):
    _register(accounts, sandbox)
    client = accounts.client("shop-1")
    client.account()
    logins = sum(1 for d, op, _ in wire_log if d == "request" and op == "AuthenticateUser")
    accounts.diagnose("shop-1")
    client.account()  # the conversation goes on: no re-login
    assert sum(1 for d, op, _ in wire_log if d == "request" and op == "AuthenticateUser") == logins
    assert not [b for d, _, b in wire_log if d == "response" and b"002b0203" in b]


def test_not_connected_merchants(accounts):
    assert accounts.diagnose("nobody").state is AccountState.NOT_CONNECTED


def test_no_secret_in_debug_logs_through_registration_suspension_and_reconnection(accounts, sandbox, wire_log, caplog):
    caplog.set_level(logging.DEBUG)
    registration = accounts.register("shop-1", _form())
    accounts.start_phone_verification("shop-1")
    code = sandbox.verification_code(registration.username)
    accounts.finish_phone_verification("shop-1", code)
    sandbox.place_hold(registration.username, "payment_hold")
    accounts.unsuspend("shop-1", payment_method=CreditCard(**(CARD | {"number": "5555555555554444"})))
    sandbox.lock(registration.username)
    accounts.unsuspend("shop-1", codeword_answers=ANSWERS)
    temporary = sandbox.temporary_password(registration.username)
    accounts.unsuspend("shop-1", temporary_password=temporary)
    sandbox.advance_clock(timedelta(hours=25))
    accounts.client("shop-1").account()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "op=RegisterAccount" in text
    assert "request=" in text
    import re

    tokens = {m.decode() for _, _, b in wire_log for m in re.findall(rb"<(?:\w+:)?[Aa]uthenticator[^>]*>([^<]+)<", b)}
    secrets = {
        PASSWORD,
        "4111111111111111",
        "5555555555554444",
        "737",
        *ANSWERS,
        code,
        temporary,
        accounts.store.get("shop-1").password_value(),
        *tokens,
    }
    # A short secret (the CVN) counts only standing alone, not inside an id or a number (...f737...).
    assert not [
        s
        for s in secrets
        if (re.search(rf"(?<![0-9A-Za-z]){re.escape(s)}(?![0-9A-Za-z])", text) if len(s) < 6 else s in text)
    ]


def test_refused_credentials_are_never_resent_so_checks_cannot_lock_the_account(accounts, sandbox):
    from onebalance import AccountDisconnected

    username = _register(accounts, sandbox)
    client = accounts.client("shop-1")
    sandbox.set_password(username, "Changed-elsewhere7")
    sandbox.advance_clock(timedelta(hours=25))  # the client's conversation expires: it must log in again
    with pytest.raises(AccountDisconnected):
        client.account()
    failures = sandbox.account(username).failed_logins
    for _ in range(10):
        with pytest.raises(AccountDisconnected, match="not sent again"):
            client.account()
        assert accounts.diagnose("shop-1").state is AccountState.DISCONNECTED
        with pytest.raises(AccountDisconnected):
            accounts.client("shop-1")
    assert sandbox.account(username).failed_logins == failures == 1
    assert accounts.store.get("shop-1").status == "disconnected"
    assert accounts.reconnect("shop-1", password="Changed-elsewhere7").active
    assert accounts.store.get("shop-1").status == "connected"
    assert accounts.client("shop-1").account().username == username


def test_registering_over_a_stored_account_is_refused_unless_asked(accounts, sandbox):
    accounts.register("shop-1", _form())
    before = accounts.store.get("shop-1")
    with pytest.raises(ValidationError, match="already has One Balance credentials"):
        accounts.register("shop-1", _form(username="another-shop"))
    assert accounts.store.get("shop-1") == before
    assert accounts.register("shop-1", _form(username="another-shop"), replace=True).username == "another-shop"


def test_payment_changes_send_the_merchants_ip(accounts, sandbox, wire_log):
    username = _register(accounts, sandbox)
    sandbox.place_hold(username, "payment_hold")
    accounts.unsuspend(
        "shop-1", payment_method=CreditCard(**(CARD | {"number": "5555555555554444"})), client_ip="198.51.100.23"
    )
    sent = [b for d, op, b in wire_log if d == "request" and op == "AddUserPaymentMethod"]
    assert b"<IPAddress>198.51.100.23</IPAddress>" in sent[-1]
    with pytest.raises(ValidationError, match="client_ip"):
        accounts.replace_payment_method("shop-1", CreditCard(**CARD), client_ip="not-an-ip")


def test_a_scheduled_reconnect_leaves_refused_credentials_alone(accounts, sandbox):
    username = _register(accounts, sandbox)
    sandbox.set_password(username, "Changed-elsewhere7")
    assert accounts.diagnose("shop-1").state is AccountState.DISCONNECTED
    failures = sandbox.account(username).failed_logins
    report = accounts.reconnect("shop-1", retry_refused=False)
    assert report.steps == ()
    assert sandbox.account(username).failed_logins == failures
    asked = accounts.reconnect("shop-1")  # a person asked: the stored password is tried once
    assert "AccountDisconnected" in asked.steps[0].detail
    assert sandbox.account(username).failed_logins == failures + 1


def test_a_bad_client_ip_is_refused_before_anything_is_sent(accounts, sandbox, wire_log):
    _register(accounts, sandbox)
    sent = len(wire_log)
    with pytest.raises(ValidationError, match="client_ip"):
        accounts.unsuspend("shop-1", payment_method=CreditCard(**CARD), client_ip="999.1.1.1")
    assert len(wire_log) == sent


# -- client settings: every client Accounts builds gets them ----------------------------------------------


def test_retry_concurrency_and_timeout_reach_every_client_accounts_builds(sandbox):
    from datetime import date

    from carriers import Address, Carrier, Parcel, ShipmentRequest, Weight
    from onebalance import RetryPolicy, Timeout
    from onebalance.sandbox.fedex import FedexSandbox
    from onebalance.sandbox.ups import UpsSandbox

    sandbox.create_account("tuned", "Tuned-passw0rd1", balance="50.00")
    ups_box, fedex_box = UpsSandbox(), FedexSandbox()
    ups_box.create_account("ups-id", "ups-secret", ["A1B2C3"])
    fedex_box.create_account("fx-id", "fx-secret", "700000001")
    shipment = ShipmentRequest(
        shipper=Address(
            name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701", phone="5125550100"
        ),
        recipient=Address(
            name="Ada",
            street_lines=["350 5th Ave"],
            city="New York",
            state="NY",
            postal_code="10118",
            phone="2125550100",
        ),
        parcels=[Parcel(weight=Weight(value="2", unit="lb"))],
        ship_date=date.today(),
    )
    timeout = Timeout(connect=1.5, read=7)
    once, twice = RetryPolicy.none(), RetryPolicy(attempts=2, backoff_base=0, backoff_max=0)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        swsim_url, ups_url, fedex_url = sandbox.mount(mock), ups_box.mount(mock), fedex_box.mount(mock)
        store = InMemoryCredentialStore()

        def make(retry, concurrency="credentials"):
            return Accounts(
                integration_id=DEMO_INTEGRATION_ID,
                endpoint=swsim_url,
                store=store,
                retry=retry,
                concurrency=concurrency,
                timeout=timeout,
            )

        strict = make(once)
        strict.connect("m", username="tuned", password="Tuned-passw0rd1")
        strict.connect_ups(
            "m", client_id="ups-id", client_secret="ups-secret", account_number="A1B2C3", base_url=ups_url
        )
        strict.connect_fedex(
            "m", client_id="fx-id", client_secret="fx-secret", account_number="700000001", base_url=fedex_url
        )
        client = strict.client("m")
        assert (client.concurrency, client.retry) == ("credentials", once)
        assert client.timeout == timeout
        shipping = strict.shipping("m")
        ups, fedex = shipping.client("ups"), shipping.client("fedex")
        assert (ups.proxy.retry, ups.proxy.timeout) == (once, timeout)
        assert (fedex.proxy.retry, fedex.proxy.timeout) == (once, timeout)
        # The policy is obeyed, not just stored: one 503 is the end of it without retries...
        sandbox.faults.script("GetAccountInfo", "http_503", times=1)
        with pytest.raises(OneBalanceError):
            client.account()
        ups_box.faults.script("rate", "http_503", times=1)
        assert Carrier.UPS in shipping.rates(shipment).errors
        # ...and is waited out with a second attempt.
        lenient = make(twice, "auto")
        assert lenient.client("m").concurrency == "auto"
        sandbox.faults.script("GetAccountInfo", "http_503", times=1)
        assert lenient.client("m").account().available_postage
        ups_box.faults.script("rate", "http_503", times=1)
        assert lenient.shipping("m").rates(shipment).errors == {}
    with pytest.raises(ConfigurationError, match="retry"):
        Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=swsim_url, store=store, retry=3)
    with pytest.raises(ConfigurationError, match="concurrency"):
        Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=swsim_url, store=store, concurrency="parallel")
