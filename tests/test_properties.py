"""Property: arbitrary bad input to any public model or CLI command gives the SDK's typed error,
holds no secret, and sends nothing.

Each model is built from fields that are each either a good value or junk (None, any text, huge
or non-finite numbers, lists, dicts, bytes...): it is either built, or refused with a
OneBalanceError (never a raw pydantic, decimal or TypeError), and the refusal never echoes a
secret it was given. The CLI runs under ``responses`` with no URL registered: any request sent
would be recorded, and none may be; bad arguments exit 2 with a message and no traceback.

Example counts are modest so the suite stays fast; ``ONEBALANCE_HYPOTHESIS=long`` runs 20x more.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import responses
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from carriers import Address, Dimensions, Money, Parcel, ShipmentRequest, Weight
from carriers.fedex import FedexSettings
from carriers.ups import UpsSettings
from onebalance import (
    AutoRefillSettings,
    BankAccount,
    Codewords,
    CreditCard,
    EncryptedFileCredentialStore,
    FundingSettings,
    OneBalance,
    OneBalanceError,
    RegistrationForm,
    StoredCredentials,
    StoreProfile,
    Timeout,
)
from onebalance.cli import cli
from onebalance.funding import money

settings.register_profile("onebalance-fast", max_examples=30, deadline=None)
settings.register_profile("onebalance-long", max_examples=1200, deadline=None)
PROFILE = settings.get_profile(
    "onebalance-long" if os.environ.get("ONEBALANCE_HYPOTHESIS") == "long" else "onebalance-fast"
)
CLI_PROFILE = settings(
    PROFILE,
    max_examples=max(PROFILE.max_examples // 3, 12),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(alphabet="0123456789.-+eE ", max_size=30),
    st.sampled_from(["NaN", "-inf", "1e999", "-0.00", "0", "1,000", "$5", "\x00", " ", "x" * 300, "9" * 60]),
    st.binary(max_size=8),
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=3),
    st.builds(object),
)


def good_or_junk(good: Any) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(good), junk)


def fields(**good: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Each field either its good value or junk."""
    return st.fixed_dictionaries({name: good_or_junk(value) for name, value in good.items()})


ADDRESS = dict(
    name="Ada", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701", phone="5125550100"
)
MODELS: dict[str, tuple[Callable[..., Any], st.SearchStrategy[dict[str, Any]]]] = {
    "Money": (lambda **kw: Money(**kw), fields(amount="12.50", currency="USD")),
    "Weight": (lambda **kw: Weight(**kw), fields(value="2.5", unit="lb")),
    "Dimensions": (lambda **kw: Dimensions(**kw), fields(length=10, width="8", height=4, unit="in")),
    "Address": (lambda **kw: Address(**kw), fields(**ADDRESS, company="Acme", country="US", email="a@b.example")),
    "Parcel": (
        lambda **kw: Parcel(**kw),
        fields(weight=Weight(2), dimensions={"length": 1, "width": 2, "height": 3}, declared_value=Money("5.00")),
    ),
    "ShipmentRequest": (
        lambda **kw: ShipmentRequest(**kw),
        fields(
            shipper=ADDRESS, recipient=Address(**ADDRESS), parcels=[{"weight": {"value": 1}}], ship_date=date.today()
        ),
    ),
    "StoreProfile": (
        lambda **kw: StoreProfile(**kw),
        fields(
            store_name="Acme",
            owner_name="Ada",
            city="Austin",
            state="TX",
            postal_code="78701",
            email="a@b.example",
            phone="5125550100",
            street_lines=("1 Main St",),
        ),
    ),
    "FundingSettings": (
        lambda **kw: FundingSettings(**kw),
        fields(
            default_refill_amount="50.00",
            has_mailstation=True,
            low_balance_threshold="20.00",
            auto_refill={"threshold": "10.00", "amount": "50.00"},
        ),
    ),
    "AutoRefillSettings": (
        lambda **kw: AutoRefillSettings(**kw),
        fields(threshold="10.00", amount="50.00", enabled=True, cost_account_id=3, notify_email="a@b.example"),
    ),
    "Timeout": (lambda **kw: Timeout(**kw), fields(connect=2, read=9)),
}

#: Secrets as they are drawn: distinctive enough that finding one in an error text means it was echoed.
card_numbers = st.integers(min_value=4 * 10**12, max_value=6 * 10**18).map(str)
passwords = st.text(alphabet="ABCabc0123456789!#%", min_size=6, max_size=30).map(lambda t: "Zq" + t)
answers = st.text(alphabet="abcdefgh ", min_size=4, max_size=30).map(lambda t: "Qx" + t)
SECRET_MODELS: dict[str, tuple[Callable[..., Any], Callable[[str], st.SearchStrategy[dict[str, Any]]]]] = {
    "CreditCard": (
        lambda **kw: CreditCard(**kw),
        lambda s: fields(number=s, expiration_month=12, expiration_year=2031, cvn="737", card_type="Visa"),
    ),
    "BankAccount": (
        lambda **kw: BankAccount(**kw),
        lambda s: fields(
            bank_name="First", routing_number="011000015", account_number=s, holder_name="Ada", account_type="Checking"
        ),
    ),
    "Codewords": (
        lambda **kw: Codewords(**kw),
        lambda s: fields(question1="PetsName", answer1=s, question2="BirthCity", answer2=s),
    ),
    "RegistrationForm": (
        lambda **kw: RegistrationForm(**kw),
        lambda s: fields(
            username="acme",
            password=s,
            email="a@b.example",
            terms_accepted=True,
            client_ip="203.0.113.7",
            postal_code="78701",
        ),
    ),
    "UpsSettings": (
        lambda **kw: UpsSettings(**kw),
        lambda s: fields(client_id="app-id", client_secret=s, account_number="A1B2C3", base_url="https://x.ups.com"),
    ),
    "FedexSettings": (
        lambda **kw: FedexSettings(**kw),
        lambda s: fields(
            client_id="app-id", client_secret=s, account_number="740561073", base_url="https://x.fedex.com"
        ),
    ),
    "OneBalance": (
        lambda **kw: OneBalance(**kw),
        lambda s: fields(
            integration_id="11111111-2222-3333-4444-555555555555",
            username="acme",
            password=s,
            endpoint="https://swsim.example.com/x",
            client_ip="203.0.113.7",
        ),
    ),
}
SECRET_STRATEGY = {
    "CreditCard": card_numbers,
    "BankAccount": st.integers(min_value=10**9, max_value=10**17).map(str),
    "Codewords": answers,
}


def _texts(exc: BaseException) -> Iterator[str]:
    while exc is not None:
        yield str(exc)
        yield repr(exc)
        yield repr(exc.args)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_models_are_built_or_refused_with_a_typed_error(name: str) -> None:
    build, strategy = MODELS[name]

    @PROFILE
    @given(kwargs=strategy)
    def check(kwargs: dict[str, Any]) -> None:
        try:
            built = build(**kwargs)
        except OneBalanceError:
            pass
        else:
            assert built is not None

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        check()
        assert not mock.calls


@pytest.mark.parametrize("name", sorted(SECRET_MODELS))
def test_models_with_secrets_never_echo_them(name: str) -> None:
    build, make = SECRET_MODELS[name]
    secrets = SECRET_STRATEGY.get(name, passwords)

    @PROFILE
    @given(data=st.data(), secret=secrets)
    def check(data: st.DataObject, secret: str) -> None:
        kwargs = data.draw(make(secret))
        try:
            built = build(**kwargs)
        except OneBalanceError as exc:
            leaked = [text for text in _texts(exc) if secret in text]
            assert not leaked, leaked
        else:
            assert secret not in repr(built) and secret not in str(built)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        check()
        assert not mock.calls


# -- the CLI -------------------------------------------------------------------------------------------

amounts = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789.-+eE,$ ", min_size=1, max_size=20),
    st.sampled_from(["NaN", "inf", "-5", "0", "0.00", "0.001", "1e999", "-1e999", "9" * 400, "1,000", "$5", "\x00"]),
).filter(lambda s: "\x00" not in s)


def _invalid(amount: str) -> bool:
    """Not an amount of dollars at all (a valid one below a limit is the service's call)."""
    try:
        money(amount)
    except OneBalanceError:
        return True
    return False


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str | None]:
    """A credential store holding merchant ``m`` whose endpoint no ``responses`` URL answers."""
    folder: Path = tmp_path_factory.mktemp("cli")
    key = EncryptedFileCredentialStore.generate_key()
    store = EncryptedFileCredentialStore(folder / "credentials.json", keys=[key])
    store.put(
        "m",
        StoredCredentials(
            integration_id="11111111-2222-3333-4444-555555555555",
            username="acme",
            password="Zq-Stored-Passw0rd",
            endpoint="https://swsim.unreachable.test/swsim",
        ),
    )
    return {
        "ONEBALANCE_CREDENTIALS_STORE": str(folder / "credentials.json"),
        "ONEBALANCE_CREDENTIALS_KEY": key,
        "ONEBALANCE_CREDENTIALS_KEY_FILE": None,
        "ONEBALANCE_ENDPOINT": "https://swsim.unreachable.test/swsim",
        "ONEBALANCE_INTEGRATION_ID": "11111111-2222-3333-4444-555555555555",
        "ONEBALANCE_RECORDS": str(folder / "records.sqlite"),
    }


COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "quote": lambda a: ["postage", "quote", "m", "--", a],
    "add": lambda a: ["postage", "add", "m", "--yes", "--", a],
    "json quote": lambda a: ["postage", "--json", "quote", "m", "--", a],
    "auto-refill threshold": lambda a: ["postage", "auto-refill", "m", "--threshold", a, "--amount", "50.00"],
    "auto-refill amount": lambda a: ["postage", "auto-refill", "m", "--threshold", "20.00", "--amount", a],
    "settings default": lambda a: ["postage", "settings", "m", "--default-amount", a],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_bad_cli_amounts_exit_2_with_a_message_and_send_nothing(command: str, shell: dict[str, str | None]) -> None:
    runner = CliRunner()

    @CLI_PROFILE
    @given(amount=amounts)
    def check(amount: str) -> None:
        assume(_invalid(amount))
        line = COMMANDS[command](amount)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            result = runner.invoke(cli, line, env=shell)
            assert not mock.calls, f"{line} sent {[c.request.url for c in mock.calls]}"
        assert isinstance(result.exception, SystemExit), (line, result.exception)
        assert result.exit_code == 2, (line, result.output)
        assert "Error" in result.output or "error" in result.output, result.output
        assert "Traceback" not in result.output

    check()


@CLI_PROFILE
@given(
    args=st.lists(
        st.one_of(st.text(max_size=12), st.sampled_from(["--json", "--all", "--yes", "-h", "m", "--since", "zz"])),
        max_size=5,
    ).filter(lambda xs: all("\x00" not in x for x in xs)),
    group=st.sampled_from(["account", "postage"]),
    sub=st.sampled_from(["status", "diagnose", "quote", "add", "history", "balance", "close", "reset-password", "zz"]),
)
def test_arbitrary_cli_arguments_never_give_a_traceback(
    shell: dict[str, str | None], group: str, sub: str, args: list[str]
) -> None:
    """Whatever the arguments, the CLI answers with an exit code and a message, never a traceback.

    (Requests are allowed to be attempted here: none can succeed, and each must be a typed error.)
    """
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        result = CliRunner().invoke(cli, [group, sub, *args], env=shell, input="n\n")
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2, 3, 4), (args, result.exit_code, result.output)
    assert "Zq-Stored-Passw0rd" not in result.output


def test_money_is_refused_in_every_shape_the_cli_may_see() -> None:
    for bad in ("NaN", "1e999", "9" * 400, "-1", "0", "0.001", "abc"):
        with pytest.raises(OneBalanceError):
            money(bad)
    assert money(" 12.5 ") == Decimal("12.50")
