"""The secret-leak test: every public flow at DEBUG, and no secret anywhere a person could see it.

All three sandboxes are served over real HTTP (so urllib3 logs too); the root logger is at DEBUG
with one handler that keeps every record of every logger, tracebacks included. Along the way the
test keeps every exception raised (a refused login, a declined card...), the repr of every public
object it touches and the output of the CLI commands (``--json``). At the end none of them may
contain any secret used: passwords (given, generated, temporary), every token seen on the wire
(SWSIM Authenticators, UPS and FedEx access tokens), the OAuth client secrets, card and bank
numbers, the CVN, codeword answers, verification codes and the credential store's key.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from carriers import Address, Carrier, Parcel, ShipmentRequest, Weight
from carriers.fedex import FedexClient, FedexSettings
from carriers.ups import UpsClient, UpsSettings
from onebalance import (
    Accounts,
    AuthenticationFailed,
    BankAccount,
    Codewords,
    CreditCard,
    EncryptedFileCredentialStore,
    OneBalance,
    OneBalanceError,
    PaymentMethodRefused,
    RegistrationForm,
    Shipping,
    SqlitePostageRecords,
    StoreProfile,
    zeep_service,
)
from onebalance.cli import cli
from onebalance.core._redact import LOGGERS, SECRET_ELEMENTS
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

PASSWORD = "LeakTest-Passw0rd1"
WRONG_PASSWORD = "WrongLeak-Passw0rd2"
NEW_PASSWORD = "ChangedLeak-Pw0rd3"
CARD = "4111111111111111"
CARD_SPACED = "4111 1111 1111 1111"
SECOND_CARD = "5555555555554444"
DECLINED_CARD = "4000000000000002"
CVN = "917"
BANK_ACCOUNT = "000987654321"
ANSWERS = ("Rexleak the dog", "Leakington")
NEW_ANSWERS = ("Fluffyleak", "Leakville")
UPS_SECRET = "ups-client-secret-leak-0a1b2c"
FEDEX_SECRET = "fedex-client-secret-leak-3d4e5f"
PROFILE = StoreProfile(
    store_name="Leaky Widgets",
    owner_name="Ada Lovelace",
    street_lines=("1 Main St",),
    city="Austin",
    state="TX",
    postal_code="78701",
    email="ada@leaky.example",
    phone="(512) 555-0100",
)
SHIPMENT = ShipmentRequest(
    shipper=Address(
        name="Acme", street_lines=["1 Main St"], city="Austin", state="TX", postal_code="78701", phone="5125550100"
    ),
    recipient=Address(
        name="Ada", street_lines=["350 5th Ave"], city="New York", state="NY", postal_code="10118", phone="2125550100"
    ),
    parcels=[Parcel(weight=Weight(value="2", unit="lb"))],
    ship_date=date.today() + timedelta(days=1),
)
#: Secret elements whose text is harvested off the wire; a routing number (RouteID) is masked in
#: logs but is a public bank identifier, shown in a BankAccount's repr.
_HARVESTED = [name for name in SECRET_ELEMENTS if name != "RouteID"]
_XML_SECRET = re.compile(r"<(?:[\w.-]+:)?(?:" + "|".join(_HARVESTED) + r")(?:\s[^>]*)?>([^<]+)<", re.IGNORECASE)
_JSON_TOKEN = re.compile(r'"access_token"\s*:\s*"([^"]+)"')


class _Keep(logging.Handler):
    """Keeps every record, formatted with its traceback (as an application's handler would)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []
        self.names: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.names.add(record.name)
        self.lines.append(self.format(record))


@dataclass
class Seen:
    """Everything a person could see, and every secret that must not be in it."""

    secrets: set[str] = field(default_factory=lambda: {PASSWORD, WRONG_PASSWORD, NEW_PASSWORD, CARD, CARD_SPACED,
                                                       SECOND_CARD, DECLINED_CARD, BANK_ACCOUNT, *ANSWERS,
                                                       *NEW_ANSWERS, UPS_SECRET, FEDEX_SECRET})  # fmt: skip
    texts: list[tuple[str, str]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    wire: list[bytes] = field(default_factory=list)

    def show(self, where: str, *objects: Any) -> None:
        for obj in objects:
            self.texts.append((f"repr in {where}", repr(obj)))
            self.texts.append((f"str in {where}", str(obj)))

    def expect(self, error: type[BaseException], fn: Callable[[], Any]) -> BaseException:
        try:
            fn()
        except error as exc:
            self.errors.append(exc)
            return exc
        raise AssertionError(f"{error.__name__} was not raised")

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn``; keep (and re-raise) any exception, so that its texts are checked too."""
        try:
            return fn()
        except BaseException as exc:
            self.errors.append(exc)
            raise


def _exception_texts(exc: BaseException) -> Iterator[str]:
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield repr(current.args)
        yield "".join(traceback.format_exception_only(type(current), current))
        stack += [current.__cause__, current.__context__]


@pytest.fixture
def keep() -> Iterator[_Keep]:
    root = logging.getLogger()
    handler = _Keep()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    touched = {name: logging.getLogger(name).level for name in ("zeep", "urllib3", "requests")}
    for name in touched:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for name, level in touched.items():
            logging.getLogger(name).setLevel(level)


def _form(payment: CreditCard | BankAccount) -> RegistrationForm:
    return RegistrationForm.from_store(
        PROFILE,
        password=PASSWORD,
        payment=payment,
        codewords=Codewords(question1="PetsName", answer1=ANSWERS[0], question2="BirthCity", answer2=ANSWERS[1]),
        terms_accepted=True,
        client_ip="203.0.113.7",
    )


def test_no_secret_reaches_logs_errors_reprs_or_cli_output(keep: _Keep, tmp_path: Path) -> None:
    seen = Seen()
    box = Sandbox(observers=[lambda direction, op, body: seen.wire.append(body)])
    box.create_demo_account()
    ups_box, fedex_box = (
        UpsSandbox(),
        FedexSandbox(observers=[lambda d, op, status, body: seen.wire.append(json.dumps(body).encode())]),
    )
    ups_box.create_account("ups-leak-id", UPS_SECRET, ["A1B2C3"])
    fedex_creds = fedex_box.create_account("fedex-leak-id", FEDEX_SECRET, "700000001")
    ups_handle = ups_box.handle

    def ups_observed(method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Any:
        reply = ups_handle(method, target, headers, body)
        seen.wire.append(reply.body)
        return reply

    ups_box.handle = ups_observed  # type: ignore[method-assign]
    key = EncryptedFileCredentialStore.generate_key()
    seen.secrets.add(key)
    store_path, records_path = tmp_path / "credentials.json", tmp_path / "records.sqlite"

    with box.serve() as swsim, ups_box.serve() as ups_server, fedex_box.serve() as fedex_server:
        url = swsim.url
        store = EncryptedFileCredentialStore(store_path, keys=[key])
        records = SqlitePostageRecords(records_path)
        accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=store, records=records)
        seen.show("accounts", accounts, store, records)

        # -- registration: a declined card first, then a good one; phone verification -----------------
        declined = CreditCard(number=DECLINED_CARD, expiration_month=12, expiration_year=2031, cvn=CVN)
        seen.expect(PaymentMethodRefused, lambda: accounts.register("shop-1", _form(declined)))
        card = CreditCard(number=CARD_SPACED, expiration_month=12, expiration_year=2031, cvn=CVN)
        form = _form(card)
        seen.show("registration form", form, card, form.codewords)
        registration = seen.call(lambda: accounts.register("shop-1", form))
        username = registration.username
        seen.show("registration", registration)
        accounts.start_phone_verification("shop-1", "SMS")
        code = box.verification_code(username)
        seen.secrets.add(code)
        seen.show("verification", accounts.finish_phone_verification("shop-1", code))

        # -- login, account info, a refused login ------------------------------------------------------
        client = accounts.client("shop-1")
        seen.show("client", client, client.authenticate(), client.account(), store.get("shop-1"))
        wrong = OneBalance(integration_id=DEMO_INTEGRATION_ID, username=username, password=WRONG_PASSWORD, endpoint=url)
        seen.expect(AuthenticationFailed, wrong.account)
        seen.expect(AuthenticationFailed, wrong.account)  # refused again without sending
        seen.show("refused client", wrong)

        # -- codewords, change password, password reset ----------------------------------------------
        new_codewords = Codewords(
            question1="PetsName", answer1=NEW_ANSWERS[0], question2="BirthCity", answer2=NEW_ANSWERS[1]
        )
        accounts.set_codewords("shop-1", new_codewords)
        seen.show("codewords", new_codewords, accounts.codeword_types())
        accounts.change_password("shop-1", NEW_PASSWORD)
        accounts.change_password("shop-1")  # a generated one
        seen.secrets.add(store.get("shop-1").password.get_secret_value())  # type: ignore[union-attr]
        seen.show("questions", accounts.password_reset_questions("shop-1"))
        accounts.start_password_reset("shop-1", *NEW_ANSWERS)
        temporary = box.temporary_password(username)
        seen.secrets.add(temporary)
        accounts.finish_password_reset("shop-1", temporary)
        seen.secrets.add(store.get("shop-1").password.get_secret_value())  # type: ignore[union-attr]
        seen.show("after reset", store.get("shop-1"), accounts.diagnose("shop-1"))

        # -- payment methods: add a bank account, replace with a card; a declined default ---------------
        bank = BankAccount(
            bank_name="First Bank", routing_number="011000015", account_number=BANK_ACCOUNT, holder_name="Ada L"
        )
        client = accounts.client("shop-1")
        seen.show("bank", bank, client.add_payment_method(bank, client_ip="203.0.113.7"))
        second = CreditCard(number=SECOND_CARD, expiration_month=11, expiration_year=2032, cvn=CVN)
        seen.show("replace", second, accounts.replace_payment_method("shop-1", second, client_ip="203.0.113.7"))
        seen.show("methods", client.payment_methods())

        # -- postage: quote, buy, auto-refill, history --------------------------------------------------
        funding = accounts.postage("shop-1")
        quote = funding.quote("25.00")
        seen.show("postage", quote, funding.buy(quote), funding.balance())
        seen.show("auto-refill", funding.update_settings(auto_refill={"threshold": "20.00", "amount": "50.00"}))
        seen.show("auto-buy", funding.set_auto_buy(True, amount="50.00", threshold="10.00"))
        seen.show("history", funding.history(), funding.history().csv())

        # -- USPS, UPS, FedEx directly, then through the router ----------------------------------------
        usps = accounts.usps("shop-1")
        usps_rates = usps.rates(SHIPMENT)
        label = usps.buy(min(usps_rates, key=lambda r: r.total.amount), SHIPMENT, idempotency_key="leak-usps-1")
        seen.show("usps", usps, usps_rates, label, usps.track(label.tracking_number), usps.void(label))
        ups_settings = UpsSettings(
            client_id="ups-leak-id", client_secret=UPS_SECRET, account_number="A1B2C3", base_url=ups_server.url
        )
        seen.show("settings", ups_settings)
        ups = UpsClient(
            UpsSettings(client_id="ups-leak-id", client_secret=UPS_SECRET, account_number="A1B2C3",
                        base_url=ups_server.url)
        )  # fmt: skip
        fedex = FedexClient(
            FedexSettings(client_id="fedex-leak-id", client_secret=fedex_creds.client_secret,
                          account_number="700000001", base_url=fedex_server.url)
        )  # fmt: skip
        for carrier_client in (ups, fedex):
            rates = carrier_client.rates(SHIPMENT)
            bought = carrier_client.buy(rates[0], SHIPMENT, idempotency_key=f"leak-{rates[0].carrier.value}")
            tracking = carrier_client.track(bought.tracking_number)
            seen.show("carrier", carrier_client, rates, bought, tracking, carrier_client.void(bought))
        wrong_ups = UpsClient(
            UpsSettings(client_id="ups-leak-id", client_secret="wrong-" + UPS_SECRET, account_number="A1B2C3",
                        base_url=ups_server.url)
        )  # fmt: skip
        seen.expect(OneBalanceError, lambda: wrong_ups.rates(SHIPMENT))
        shipping = Shipping(usps=usps, ups=ups, fedex=fedex)
        shop = shipping.rates(SHIPMENT)
        seen.show("rate shop", shop, shipping)
        for carrier in (Carrier.USPS, Carrier.UPS, Carrier.FEDEX):
            rate = min((r for r in shop.rates if r.carrier is carrier), key=lambda r: r.total.amount)
            routed = shipping.buy(rate, SHIPMENT, idempotency_key=f"leak-route-{carrier.value}")
            seen.show("routed", routed, shipping.track(carrier, routed.tracking_number), shipping.void(routed))

        # -- zeep, on the project's WSDL --------------------------------------------------------------
        service = zeep_service(url)
        password_now = store.get("shop-1").password.get_secret_value()  # type: ignore[union-attr]
        login = service.AuthenticateUser(
            Credentials={"IntegrationID": DEMO_INTEGRATION_ID, "Username": username, "Password": password_now}
        )
        seen.show("zeep", service.GetAccountInfo(Authenticator=login.Authenticator).AccountInfo.PostageBalance)

        # -- the CLI, with --json --------------------------------------------------------------------
        env = {
            "ONEBALANCE_CREDENTIALS_STORE": str(store_path),
            "ONEBALANCE_CREDENTIALS_KEY": key,
            "ONEBALANCE_CREDENTIALS_KEY_FILE": None,
            "ONEBALANCE_ENDPOINT": url,
            "ONEBALANCE_INTEGRATION_ID": DEMO_INTEGRATION_ID,
            "ONEBALANCE_RECORDS": str(records_path),
        }
        runner = CliRunner()
        commands = [
            ["account", "--json", "status", "shop-1"],
            ["account", "--json", "diagnose", "shop-1"],
            ["postage", "--json", "balance", "shop-1"],
            ["postage", "--json", "quote", "shop-1", "15.00"],
            ["postage", "--json", "add", "shop-1", "15.00", "--yes"],
            ["postage", "--json", "history", "shop-1"],
            ["postage", "--json", "settings", "shop-1"],
            ["postage", "--json", "auto-refill", "shop-1"],
            ["account", "--json", "reset-password", "shop-1", "--codeword-answers", *NEW_ANSWERS],
        ]
        for command in commands:
            result = runner.invoke(cli, command, env=env)
            assert result.exception is None or isinstance(result.exception, SystemExit), (command, result.output)
            assert result.exit_code in (0, 3), (command, result.output)
            seen.texts.append((" ".join(command[:3]), result.output))
        ship_env = {**env, "ONEBALANCE_UPS_CLIENT_SECRET": UPS_SECRET}
        parcel = ["--from-name", "Acme", "--from-street", "1 Main St", "--from-city", "Austin", "--from-state", "TX",
                  "--from-zip", "78701", "--from-phone", "5125550100", "--to-name", "Ada", "--to-street",
                  "350 5th Ave", "--to-city", "New York", "--to-state", "NY", "--to-zip", "10118", "--to-phone",
                  "2125550100", "--weight-lb", "2"]  # fmt: skip
        connects = [
            (["ship", "connect-ups", "shop-1", "--client-id", "ups-leak-id", "--account-number", "A1B2C3",
              "--base-url", ups_server.url], None),
            (["ship", "connect-fedex", "shop-1", "--client-id", "fedex-leak-id", "--account-number", "700000001",
              "--base-url", fedex_server.url, "--client-secret-stdin"], FEDEX_SECRET + "\n"),
            (["ship", "--json", "carriers", "shop-1"], None),
            (["ship", "--json", "rates", "shop-1", *parcel], None),
        ]  # fmt: skip
        for command, stdin in connects:
            result = runner.invoke(cli, command, env=ship_env, input=stdin)
            assert result.exit_code == 0, (command, result.output)
            seen.texts.append((" ".join(command[:3]), result.output))
        for carrier, service in (("usps", "US-PM"), ("ups", "03"), ("fedex", "FEDEX_GROUND")):
            bought = runner.invoke(
                cli,
                ["ship", "--json", "buy", "shop-1", *parcel, "--carrier", carrier, "--service", service,
                 "--idempotency-key", f"leak-cli-{carrier}", "--label-out", str(tmp_path / f"{carrier}.png")],
                env=ship_env,
            )  # fmt: skip
            assert bought.exit_code == 0, bought.output
            label = json.loads(bought.stdout)
            tracked = runner.invoke(
                cli, ["ship", "--json", "track", "shop-1", label["tracking_number"], "--carrier", carrier], env=ship_env
            )
            voided = runner.invoke(
                cli,
                ["ship", "--json", "void", "shop-1", "--carrier", carrier, "--label-id", label["label_id"]],
                env=ship_env,
            )
            seen.texts += [("ship buy", bought.output), ("ship track", tracked.output), ("ship void", voided.output)]
        cli_temporary = box.temporary_password(username)
        seen.secrets.add(cli_temporary)
        result = runner.invoke(
            cli, ["account", "--json", "reset-password", "shop-1", "--temporary-password", cli_temporary], env=env
        )
        seen.texts.append(("account reset-password --temporary-password", result.output))
        seen.secrets.add(store.get("shop-1").password.get_secret_value())  # type: ignore[union-attr]

        # -- a card declined at purchase time, mid-conversation (a fault that carries the next token) ----
        funding = accounts.postage("shop-1")
        box.decline_payment_method(username, hold=False)
        seen.expect(OneBalanceError, lambda: funding.buy(funding.quote("30.00")))
        seen.expect(OneBalanceError, lambda: funding.buy(funding.quote("30.00")))  # now on payment hold

    # -- what was seen -----------------------------------------------------------------------------------
    for body in seen.wire:
        text = body.decode("utf-8", "replace")
        seen.secrets.update(m for m in _XML_SECRET.findall(text) if len(m.strip()) >= 6)
        seen.secrets.update(_JSON_TOKEN.findall(text))
    tokens = {s for s in seen.secrets if len(s) >= 20}
    assert len(tokens) > 20, "the test should have seen many wire tokens"
    assert {"zeep.transports", "urllib3.connectionpool", "onebalance"} <= keep.names, keep.names
    assert any("op=GetAccountInfo request=" in line for line in keep.lines)  # bodies were logged, redacted
    assert any("Password>***<" in line for line in keep.lines if line.startswith("zeep.transports"))
    texts = [("log", line) for line in keep.lines]
    texts += [("exception", text) for exc in seen.errors for text in _exception_texts(exc)]
    texts += seen.texts
    leaks = sorted(
        {f"{secret!r} in {where}: ...{text[max(0, text.find(secret) - 60) : text.find(secret) + 60]}..."
         for where, text in texts for secret in seen.secrets if secret and secret in text}
    )  # fmt: skip
    cvn = re.compile(rf"(?<![0-9A-Za-z.]){CVN}(?![0-9A-Za-z.])")  # alone, not inside an id such as ...bfc917
    leaks += [f"CVN in {where}" for where, text in texts if cvn.search(text)]
    assert not leaks, "\n".join(leaks[:20])
    assert len(seen.errors) >= 4


def test_every_logger_the_sdk_uses_gets_the_filter() -> None:
    """A new ``getLogger("...")`` in the package must be covered by the filter's list."""
    root = Path(__file__).resolve().parents[1]
    names = set()
    for path in [*root.joinpath("onebalance").rglob("*.py"), *root.joinpath("carriers").rglob("*.py")]:
        names.update(re.findall(r"getLogger\(\s*[\"']([\w.]+)[\"']", path.read_text()))
    assert names, "no loggers found"
    assert names <= set(LOGGERS), names - set(LOGGERS)
    for name in LOGGERS:
        assert any(type(f).__name__ == "RedactingFilter" for f in logging.getLogger(name).filters), name
