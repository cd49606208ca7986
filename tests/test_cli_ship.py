"""``onebalance ship``: connect carriers, rate shop, buy, void and track, driven through CliRunner against
the One Balance, UPS and FedEx sandboxes (mounted in-process: the command's requests never leave the
process), with an encrypted credential store and a SQLite records file in tmp_path. Checks output, exit
codes (0 done, 1 failed, 2 refused input with nothing sent, 4 configuration), who pays for each label,
that a repeated buy with the same key buys once, and that no secret ever shows."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner, Result

from onebalance import Accounts, EncryptedFileCredentialStore, SqlitePostageRecords
from onebalance.cli import cli
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

from ._images import check_image
from ._stores import StoreSpec, postgres_run_schema, store_spec  # noqa: F401 - a fixture

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG = 0, 1, 2, 4
MERCHANT, USERNAME, PASSWORD = "m1", "shipper", "Shipper-passw0rd"
UPS_SECRET, FEDEX_SECRET = "ups-s3cret-value", "fedex-s3cret-value"
_ENV_NAMES = (
    "ONEBALANCE_CREDENTIALS_STORE",
    "ONEBALANCE_CREDENTIALS_KEY",
    "ONEBALANCE_CREDENTIALS_KEY_FILE",
    "ONEBALANCE_ENDPOINT",
    "ONEBALANCE_INTEGRATION_ID",
    "ONEBALANCE_RECORDS",
    "ONEBALANCE_STORE_DSN",
    "ONEBALANCE_STORE_SCHEMA",
    "ONEBALANCE_UPS_CLIENT_SECRET",
    "ONEBALANCE_FEDEX_CLIENT_SECRET",
)
SHIPMENT = [
    "--from-name", "Acme", "--from-street", "1 Main St", "--from-city", "Austin", "--from-state", "TX",
    "--from-zip", "78701", "--from-phone", "5125550100",
    "--to-name", "Ada", "--to-street", "350 5th Ave", "--to-city", "New York", "--to-state", "NY",
    "--to-zip", "10118", "--to-phone", "2125550100",
    "--weight-lb", "2",
]  # fmt: skip


class Shell:
    """A platform operator's shell: merchant m1 connected to One Balance ($100.00) in an encrypted store,
    a records file, and the UPS and FedEx sandboxes knowing the merchant's own accounts."""

    def __init__(self, tmp_path: Path, sandbox: Sandbox, mock: responses.RequestsMock) -> None:
        self.tmp_path = tmp_path
        self.sandbox = sandbox
        self.ups, self.fedex = UpsSandbox(), FedexSandbox()
        self.ups.create_account("ups-app", UPS_SECRET, ["A1B2C3"])
        self.fedex.create_account("fedex-app", FEDEX_SECRET, "700000001")
        self.mock = mock
        self.swsim_url = sandbox.mount(mock)
        self.ups_url, self.fedex_url = self.ups.mount(mock), self.fedex.mount(mock)
        self.key = EncryptedFileCredentialStore.generate_key()
        self.store_path, self.records_path = tmp_path / "creds.json", tmp_path / "records.sqlite"
        sandbox.create_account(USERNAME, PASSWORD, balance="100.00")
        records = SqlitePostageRecords(self.records_path)
        accounts = Accounts(
            integration_id=DEMO_INTEGRATION_ID,
            endpoint=self.swsim_url,
            store=EncryptedFileCredentialStore(self.store_path, keys=[self.key]),
            records=records,
        )
        assert accounts.connect(MERCHANT, username=USERNAME, password=PASSWORD).active
        records.close()
        self.env: dict[str, str | None] = dict.fromkeys(_ENV_NAMES)
        self.env.update(
            {
                "ONEBALANCE_CREDENTIALS_STORE": str(self.store_path),
                "ONEBALANCE_CREDENTIALS_KEY": self.key,
                "ONEBALANCE_ENDPOINT": self.swsim_url,
                "ONEBALANCE_INTEGRATION_ID": DEMO_INTEGRATION_ID,
                "ONEBALANCE_RECORDS": str(self.records_path),
            }
        )
        self.runner = CliRunner()
        self.outputs: list[str] = []

    def __call__(self, *args: str, env: dict[str, str | None] | None = None, input: str | None = None) -> Result:  # noqa: A002
        result = self.runner.invoke(cli, ["ship", *args], env={**self.env, **(env or {})}, input=input)
        self.outputs.append(result.stdout + result.stderr)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    def connect_all(self) -> None:
        ups = self("connect-ups", MERCHANT, "--client-id", "ups-app", "--account-number", "A1B2C3",
                   "--base-url", self.ups_url, env={"ONEBALANCE_UPS_CLIENT_SECRET": UPS_SECRET})  # fmt: skip
        assert ups.exit_code == EXIT_OK, ups.output
        fedex = self("connect-fedex", MERCHANT, "--client-id", "fedex-app", "--account-number", "700000001",
                     "--base-url", self.fedex_url, "--client-secret-stdin", input=FEDEX_SECRET + "\n")  # fmt: skip
        assert fedex.exit_code == EXIT_OK, fedex.output

    def balance(self) -> Decimal:
        return self.sandbox.account(USERNAME).available_postage

    def ship_calls(self) -> int:
        return sum(1 for method, path in self.ups.requests() if method == "POST" and path.endswith("/ship"))


@pytest.fixture
def shell(tmp_path: Path, sandbox: Sandbox) -> Iterator[Shell]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        helper = Shell(tmp_path, sandbox, mock)
        yield helper
    leaks = [s for s in (PASSWORD, UPS_SECRET, FEDEX_SECRET, helper.key) for text in helper.outputs if s in text]
    assert not leaks, leaks


def test_connect_carriers_shows_masked_accounts_and_stores_them_encrypted(shell):
    shell.connect_all()
    listed = shell("--json", "carriers", MERCHANT)
    assert listed.exit_code == EXIT_OK, listed.output
    rows = {r["carrier"]: r for r in json.loads(listed.stdout)["carriers"]}
    assert set(rows) == {"usps", "ups", "fedex"}
    assert rows["ups"]["account_number"] == "****B2C3" and rows["fedex"]["account_number"] == "****0001"
    raw = shell.store_path.read_text()
    assert UPS_SECRET not in raw and FEDEX_SECRET not in raw
    gone = shell("disconnect", MERCHANT, "--carrier", "fedex")
    assert gone.exit_code == EXIT_OK and "FedEx account disconnected" in gone.stdout
    assert "FedEx" not in shell("carriers", MERCHANT).stdout


CONNECT = {
    "ups": ["connect-ups", MERCHANT, "--client-id", "ups-app", "--account-number", "A1B2C3"],
    "fedex": ["connect-fedex", MERCHANT, "--client-id", "fedex-app", "--account-number", "700000001"],
}


@pytest.mark.parametrize("carrier", ["ups", "fedex"])
def test_a_client_secret_is_piped_with_client_secret_stdin(shell, carrier):
    url = ["--base-url", shell.ups_url if carrier == "ups" else shell.fedex_url]
    secret = UPS_SECRET if carrier == "ups" else FEDEX_SECRET
    sent = len(shell.mock.calls)
    unflagged = shell(*CONNECT[carrier], *url, input=secret + "\n")
    assert unflagged.exit_code == EXIT_USAGE
    assert "pipe it with --client-secret-stdin" in unflagged.stderr
    assert "Warning" not in unflagged.output and "Aborted" not in unflagged.output
    empty = shell(*CONNECT[carrier], *url, "--client-secret-stdin", input="")
    assert empty.exit_code == EXIT_USAGE and "the client secret is empty" in empty.stderr
    both = shell(*CONNECT[carrier], *url, "--client-secret-stdin", "--client-secret", secret, input=secret + "\n")
    assert both.exit_code == EXIT_USAGE
    assert len(shell.mock.calls) == sent  # refused before anything was sent
    piped = shell(*CONNECT[carrier], *url, "--client-secret-stdin", "--json", input=secret + "\n")
    assert piped.exit_code == EXIT_OK, piped.output
    assert json.loads(piped.stdout)["carrier"] == carrier
    assert carrier in {r["carrier"] for r in json.loads(shell("carriers", MERCHANT, "--json").stdout)["carriers"]}


@pytest.mark.parametrize("carrier", ["ups", "fedex"])
def test_a_wrong_client_secret_is_reported_as_a_wrong_secret(shell, carrier):
    url = ["--base-url", shell.ups_url if carrier == "ups" else shell.fedex_url]
    result = shell(*CONNECT[carrier], *url, "--client-secret-stdin", input="not-the-secret\n")
    assert result.exit_code == EXIT_FAILED
    name = "UPS" if carrier == "ups" else "FedEx"
    # "Error: UPS: AuthenticationFailed: ..." once the carrier's mapping marks its errors' source
    assert re.match(rf"Error: ({name}: )?AuthenticationFailed: The {name} client secret is wrong \(or the client id\)",
                    result.stderr), result.stderr  # fmt: skip
    assert not result.stderr.split("AuthenticationFailed:", 1)[1].strip().startswith("ClientId is Invalid")
    assert name not in shell("carriers", MERCHANT).stdout  # nothing stored


@pytest.mark.parametrize(
    ("command", "number", "message"),
    [("connect-ups", "A1B2C", "6 letters or digits"), ("connect-fedex", "7000000011", "9 digits")],
)
def test_a_bad_account_number_exits_2_and_stores_nothing(shell, command, number, message):
    result = shell(command, MERCHANT, "--client-id", "x", "--account-number", number, "--client-secret", "y")
    assert result.exit_code == EXIT_USAGE
    assert message in result.stderr
    assert shell.ups.requests() == []
    assert "UPS" not in shell("carriers", MERCHANT).stdout and "FedEx" not in shell("carriers", MERCHANT).stdout


def test_rates_shops_every_carrier_and_marks_cheapest_and_fastest(shell):
    usps_only = shell("--json", "rates", MERCHANT, *SHIPMENT)
    assert usps_only.exit_code == EXIT_OK, usps_only.output
    assert {r["carrier"] for r in json.loads(usps_only.stdout)["rates"]} == {"usps"}
    shell.connect_all()
    result = shell("--json", "rates", MERCHANT, *SHIPMENT)
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    assert {r["carrier"] for r in data["rates"]} == {"usps", "ups", "fedex"}
    assert Decimal(data["cheapest"]["total"]) == min(Decimal(r["total"]) for r in data["rates"])
    days = [r["delivery_days"] for r in data["rates"] if r["delivery_days"] is not None]
    assert data["fastest"]["delivery_days"] == min(days)
    table = shell("rates", MERCHANT, *SHIPMENT)
    assert table.stdout.count("<- ") >= 1 and "cheapest" in table.stdout and "fastest" in table.stdout
    assert shell.balance() == Decimal("100.00")  # a rate shop buys nothing


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--to-zip", "1011"], "--to-zip: must be a 5-digit ZIP"),
        (["--from-state", "XX"], "--from-state:"),
        (["--weight-oz", "3"], "one of --weight-oz or --weight-lb"),
        (["--length", "10"], "--length, --width and --height together"),
        (["--ship-date", "2020-01-01"], "ship_date"),
    ],
)
def test_bad_shipment_input_exits_2_before_anything_is_sent(shell, change, message):
    args = list(SHIPMENT)
    for name, value in zip(change[::2], change[1::2], strict=True):
        if name in args:
            args[args.index(name) + 1] = value
        else:
            args += [name, value]
    before = len(shell.mock.calls)
    result = shell("rates", MERCHANT, *args)
    assert result.exit_code == EXIT_USAGE, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert len(shell.mock.calls) == before  # nothing sent


def test_buy_usps_debits_the_one_balance_once_for_a_repeated_key(shell, tmp_path):
    out = tmp_path / "usps.png"
    args = ["buy", MERCHANT, *SHIPMENT, "--carrier", "usps", "--service", "US-PM", "--idempotency-key", "order-1",
            "--label-out", str(out)]  # fmt: skip
    first = shell(*args)
    assert first.exit_code == EXIT_OK, first.output
    cost = Decimal(next(line for line in first.stdout.splitlines() if line.startswith("cost")).split("$")[1])
    assert shell.balance() == Decimal("100.00") - cost
    assert "paid by           USPS postage paid from the One Balance account" in first.stdout
    assert f"One Balance now   ${Decimal('100.00') - cost:,.2f}" in first.stdout
    assert out.read_bytes()
    again = shell("--json", *args)
    assert again.exit_code == EXIT_OK, again.output
    data = json.loads(again.stdout)
    assert shell.balance() == Decimal("100.00") - cost  # paid once
    assert data["tracking_number"] in first.stdout and Decimal(data["one_balance"]) == shell.balance()
    assert data["replayed"] is True and "label bought" in first.stdout
    prints = [e for e in shell.sandbox.ledger(USERNAME) if e.type == "Print"]
    assert len(prints) == 1


def test_buy_ups_and_fedex_bill_the_merchants_accounts_and_a_repeat_buys_once(shell, tmp_path):
    shell.connect_all()
    for carrier, service, account in (("ups", "03", "****B2C3"), ("fedex", "FEDEX_GROUND", "****0001")):
        args = ["--json", "buy", MERCHANT, *SHIPMENT, "--carrier", carrier, "--service", service,
                "--idempotency-key", f"order-2-{carrier}", "--label-out", str(tmp_path / f"{carrier}.png")]  # fmt: skip
        first = shell(*args)
        assert first.exit_code == EXIT_OK, first.output
        again = shell(*args)
        assert again.exit_code == EXIT_OK, again.output
        assert json.loads(again.stdout)["tracking_number"] == json.loads(first.stdout)["tracking_number"]
        assert json.loads(first.stdout)["paid_by"].endswith(account)
        assert "one_balance" not in json.loads(first.stdout)
        assert (tmp_path / f"{carrier}.png").read_bytes()
    assert shell.ship_calls() == 1  # the second command never asked UPS
    assert len(shell.fedex.shipments()) == 1
    assert shell.balance() == Decimal("100.00")  # neither touched the One Balance


def test_buy_refuses_bad_input_with_exit_2_and_buys_nothing(shell, tmp_path):
    base = ["buy", MERCHANT, *SHIPMENT, "--label-out", str(tmp_path / "l.png")]
    cases = [
        (["--carrier", "usps", "--service", "US-XX", "--idempotency-key", "k1"], "US-XX"),
        (["--carrier", "usps", "--service", "US-PM", "--idempotency-key", "bad key!"], "idempotency_key"),
        (["--carrier", "ups", "--service", "03", "--idempotency-key", "k2"], "no UPS account connected"),
        (
            ["--carrier", "usps", "--service", "US-PM", "--idempotency-key", "k3",
             "--label-out", str(tmp_path / "missing" / "l.png")],
            "cannot write",
        ),
    ]  # fmt: skip
    for extra, message in cases:
        result = shell(*base, *extra)
        assert result.exit_code == EXIT_USAGE, (extra, result.output)
        assert message in result.stderr
    assert shell.balance() == Decimal("100.00")
    no_records = shell(*base, "--carrier", "usps", "--service", "US-PM", "--idempotency-key", "k4",
                       env={"ONEBALANCE_RECORDS": None})  # fmt: skip
    assert no_records.exit_code == EXIT_CONFIG and "label journal" in no_records.stderr
    assert shell.balance() == Decimal("100.00")


@pytest.mark.parametrize("carrier", ["ups", "fedex", "usps"])
def test_the_cli_refuses_an_escape_in_a_name_with_exit_2_and_buys_nothing(shell, tmp_path, carrier):
    shell.connect_all()
    args = list(SHIPMENT)
    args[args.index("--to-name") + 1] = "Ada\x1b[31mX"
    service = {"ups": "03", "fedex": "FEDEX_GROUND", "usps": "US-PM"}[carrier]
    before = len(shell.mock.calls)
    result = shell("buy", MERCHANT, *args, "--carrier", carrier, "--service", service, "--idempotency-key", "k1",
                   "--label-out", str(tmp_path / "label.png"))  # fmt: skip
    assert result.exit_code == EXIT_USAGE, result.output
    assert "--to-name: must not contain control or invisible characters (U+001B (ESC) found)" in result.stderr
    assert "\x1b" not in result.output
    assert len(shell.mock.calls) == before  # nothing sent to any carrier
    assert shell.ship_calls() == 0 and not shell.fedex.shipments()


def test_void_reports_the_refund_outcome_and_track_lists_events(shell, tmp_path):
    shell.connect_all()
    bought = {}
    for carrier, service in (("usps", "US-PM"), ("ups", "03"), ("fedex", "FEDEX_GROUND")):
        out = str(tmp_path / f"{carrier}.png")
        result = shell("--json", "buy", MERCHANT, *SHIPMENT, "--carrier", carrier, "--service", service,
                       "--idempotency-key", f"order-3-{carrier}", "--label-out", out)  # fmt: skip
        assert result.exit_code == EXIT_OK, result.output
        bought[carrier] = json.loads(result.stdout)
    for carrier, label in bought.items():
        tracked = shell("--json", "track", MERCHANT, label["tracking_number"], "--carrier", carrier)
        assert tracked.exit_code == EXIT_OK, tracked.output
        assert json.loads(tracked.stdout)["tracking_number"] == label["tracking_number"]
        assert shell("track", MERCHANT, label["tracking_number"], "--carrier", carrier).stdout.startswith(
            {"usps": "USPS", "ups": "UPS", "fedex": "FedEx"}[carrier]
        )
    usps = shell("void", MERCHANT, "--carrier", "usps", "--label-id", bought["usps"]["label_id"])
    assert usps.exit_code == EXIT_OK, usps.output
    assert f"voided: ${Decimal(bought['usps']['cost']):,.2f} refund pending" in usps.stdout
    ups = shell("--json", "void", MERCHANT, "--carrier", "ups", "--tracking-number", bought["ups"]["tracking_number"])
    assert ups.exit_code == EXIT_OK, ups.output
    assert json.loads(ups.stdout)["voided"] is True and json.loads(ups.stdout)["refund_status"] == "not_applicable"
    unknown = shell("void", MERCHANT, "--carrier", "fedex", "--tracking-number", "123456789012")
    assert unknown.exit_code == EXIT_USAGE and "label journal" in unknown.stderr
    fedex = shell("void", MERCHANT, "--carrier", "fedex", "--tracking-number", bought["fedex"]["tracking_number"])
    assert fedex.exit_code == EXIT_OK, fedex.output
    for carrier, label in bought.items():  # a support agent tracks each voided label
        tracked = shell("track", MERCHANT, label["tracking_number"], "--carrier", carrier)
        assert tracked.exit_code == EXIT_OK, tracked.output
        name = {"usps": "USPS", "ups": "UPS", "fedex": "FedEx"}[carrier]
        assert tracked.stdout.startswith(f"{name} {label['tracking_number']}: voided (the label was voided")
        assert "LabelNotFound" not in tracked.output and "estimated delivery" not in tracked.stdout
        assert (
            json.loads(shell("track", MERCHANT, label["tracking_number"], "--carrier", carrier, "--json").stdout)[
                "status"
            ]
            == "voided"
        )


def test_without_configuration_exit_4(shell):
    result = shell("rates", MERCHANT, *SHIPMENT, env={"ONEBALANCE_CREDENTIALS_STORE": None})
    assert result.exit_code == EXIT_CONFIG


def test_a_plan_restriction_buys_nothing_and_frees_the_key(shell, tmp_path):
    shell.sandbox.set_capability(USERNAME, "AllowAllMailClasses", False)
    args = ["buy", MERCHANT, *SHIPMENT, "--carrier", "usps", "--idempotency-key", "order-5",
            "--label-out", str(tmp_path / "l.png")]  # fmt: skip
    refused = shell(*args, "--service", "US-GA")
    assert refused.exit_code == EXIT_FAILED, refused.stderr
    assert "PlanRestriction" in refused.stderr and "Priority Mail" in refused.stderr
    assert shell.balance() == Decimal("100.00") and not (tmp_path / "l.png").exists()
    allowed = shell(*args, "--service", "US-PM")  # the same key, now for a service the plan allows
    assert allowed.exit_code == EXIT_OK, allowed.output
    assert shell.balance() < Decimal("100.00")


# -- pending purchases: ship pending / ship settle ---------------------------------------------------------

EXIT_ATTENTION = 3


def _backdate(shell: Shell, key: str, minutes: int) -> None:
    """The purchase with ``key`` was started ``minutes`` ago (the journal keeps ISO times in SQLite)."""
    with sqlite3.connect(shell.records_path) as conn:
        (started,) = conn.execute("SELECT started_at FROM label_journal WHERE idempotency_key = ?", (key,)).fetchone()
        earlier = datetime.fromisoformat(started) - timedelta(minutes=minutes)
        conn.execute("UPDATE label_journal SET started_at = ? WHERE idempotency_key = ?", (earlier.isoformat(), key))


def _journal_rows(shell: Shell) -> list[tuple[object, ...]]:
    with sqlite3.connect(shell.records_path) as conn:
        return conn.execute("SELECT * FROM label_journal ORDER BY idempotency_key").fetchall()


def test_a_cut_off_ups_purchase_is_listed_settled_and_then_bought_once(shell, tmp_path):
    shell.connect_all()
    assert shell("pending", "--all").exit_code == EXIT_OK
    buy = ["buy", MERCHANT, *SHIPMENT, "--carrier", "ups", "--service", "03", "--idempotency-key", "order-cut",
           "--label-out", str(tmp_path / "ups.gif")]  # fmt: skip
    shell.ups.faults.script("ship", "reset_before")  # the connection drops: UPS never ran it, the SDK cannot tell
    cut = shell(*buy)
    assert cut.exit_code == EXIT_FAILED and len(shell.ups.faults.fired) == 1, cut.output
    assert shell(*buy).exit_code == EXIT_FAILED and "PurchaseInProgress" in shell.outputs[-1]
    assert shell.ship_calls() == 0 and shell.ups.shipments("A1B2C3") == []  # the second was never sent

    listed = shell("pending", "--all")
    assert listed.exit_code == EXIT_ATTENTION, listed.output
    assert "order-cut" in listed.stdout and "UPS" in listed.stdout and "1 pending" in listed.stdout
    data = json.loads(shell("--json", "pending", "--merchant", MERCHANT).stdout)
    assert data["count"] == 1
    (row,) = data["pending"]
    assert row | {"started_at": None} == {"merchant_id": MERCHANT, "carrier": "ups", "idempotency_key": "order-cut",
                                          "service": "03", "started_at": None, "age_minutes": 0}  # fmt: skip
    assert datetime.fromisoformat(row["started_at"]) > datetime.now(timezone.utc) - timedelta(minutes=1)
    assert shell("pending", "--merchant", "someone-else").exit_code == EXIT_OK
    assert shell("pending", "--all", "--older-than", "10").exit_code == EXIT_OK  # too young to show

    settle = ["settle", "--merchant", MERCHANT, "--carrier", "ups", "--key", "order-cut", "--not-shipped"]
    before = _journal_rows(shell)
    too_young = shell(*settle, "--yes")  # it may still be waiting for UPS's answer
    assert too_young.exit_code == EXIT_USAGE and "may still be running" in too_young.stderr
    assert _journal_rows(shell) == before
    _backdate(shell, "order-cut", 20)
    before = _journal_rows(shell)
    assert shell("--json", "pending", "--all", "--older-than", "10").exit_code == EXIT_ATTENTION
    declined = shell(*settle, input="n\n")
    assert declined.exit_code == EXIT_USAGE and "not settled" in declined.stderr
    assert _journal_rows(shell) == before

    settled = shell("--json", *settle, input="y\n")
    assert settled.exit_code == EXIT_OK, settled.output
    assert json.loads(settled.stdout)["key_freed"] is True and json.loads(settled.stdout)["age_minutes"] >= 20
    assert shell("pending", "--all").exit_code == EXIT_OK
    bought = shell("--json", *buy)
    assert bought.exit_code == EXIT_OK, bought.output
    again = shell("--json", *buy)
    assert json.loads(again.stdout)["tracking_number"] == json.loads(bought.stdout)["tracking_number"]
    assert len(shell.ups.shipments("A1B2C3")) == 1 and shell.ship_calls() == 1  # billed once: one label shipped
    completed = shell(*settle, "--yes")  # a completed purchase is never freed
    assert completed.exit_code == EXIT_USAGE and "is complete" in completed.stderr
    assert shell(*buy).exit_code == EXIT_OK and len(shell.ups.shipments("A1B2C3")) == 1


def test_settle_refuses_usps_unknown_keys_and_missing_flags_changing_nothing(shell, tmp_path):
    shell.connect_all()
    shell.fedex.faults.script("ship", "reset_after")  # FedEx ships it; the answer is lost
    cut = shell("buy", MERCHANT, *SHIPMENT, "--carrier", "fedex", "--service", "FEDEX_GROUND",
                "--idempotency-key", "order-fx", "--label-out", str(tmp_path / "fx.png"))  # fmt: skip
    assert cut.exit_code == EXIT_FAILED and len(shell.fedex.faults.fired) == 1, cut.output
    _backdate(shell, "order-fx", 30)
    with sqlite3.connect(shell.records_path) as conn:  # a USPS purchase cut off long ago
        conn.execute(
            "INSERT INTO label_journal (merchant_id, carrier, idempotency_key, service_code, started_at) "
            "VALUES (?, 'usps', 'order-us', 'US-PM', ?)",
            (MERCHANT, (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()),
        )
    before = _journal_rows(shell)
    listed = json.loads(shell("--json", "pending", "--all").stdout)
    assert [(r["carrier"], r["idempotency_key"]) for r in listed["pending"]] == [("usps", "order-us"),
                                                                                  ("fedex", "order-fx")]  # fmt: skip
    base = ["settle", "--merchant", MERCHANT, "--yes"]
    cases = [
        (["--carrier", "usps", "--key", "order-us", "--not-shipped"], "buy again with the same key"),
        (["--carrier", "fedex", "--key", "order-nope", "--not-shipped"], "no FedEx purchase with key order-nope"),
        (["--carrier", "ups", "--key", "order-fx", "--not-shipped"], "no UPS purchase with key order-fx"),
        (["--carrier", "fedex", "--key", "order-fx"], "give --not-shipped"),
    ]
    for extra, message in cases:
        result = shell(*base, *extra)
        assert result.exit_code == EXIT_USAGE, (extra, result.output)
        assert message in result.stderr and result.stdout == ""
    assert _journal_rows(shell) == before
    for usage in (
        ["pending"],
        ["pending", "--all", "--merchant", MERCHANT],
        ["pending", "--all", "--older-than", "-1"],
    ):
        assert shell(*usage).exit_code == EXIT_USAGE
    no_records = shell("pending", "--all", env={"ONEBALANCE_RECORDS": None})
    assert no_records.exit_code == EXIT_CONFIG and "label journal" in no_records.stderr
    assert len(shell.fedex.shipments()) == 1  # the lost answer's shipment; nothing else was sent


# -- the PostgreSQL store: --store-dsn / ONEBALANCE_STORE_DSN ---------------------------------------------


def test_a_bad_or_unreachable_store_dsn_exits_4_with_a_clear_message(shell):
    dsn_only = {"ONEBALANCE_CREDENTIALS_STORE": None, "ONEBALANCE_RECORDS": None}
    unreachable = "postgresql://someone:Hidden-Pa55@127.0.0.1:1/none"
    before = len(shell.mock.calls)
    cases = [
        ([], dsn_only | {"ONEBALANCE_STORE_DSN": unreachable}, "cannot use PostgreSQL (host=127.0.0.1, port=1"),
        (["--store-dsn", unreachable], dsn_only, "cannot use PostgreSQL"),
        (["--store-dsn", "not a dsn"], dsn_only, "not a valid PostgreSQL connection string"),
        (["--store-dsn", unreachable, "--store-schema", "Bad-Schema"], dsn_only, "schema must be"),
        (["--store-dsn", unreachable], {"ONEBALANCE_RECORDS": None}, "not both"),
        (["--store-dsn", unreachable], {"ONEBALANCE_CREDENTIALS_STORE": None}, "--records is not used with"),
    ]
    for options, env, message in cases:
        result = shell(*options, "rates", MERCHANT, *SHIPMENT, env=env)  # a traceback would raise here
        assert result.exit_code == EXIT_CONFIG, (options, result.output)
        assert result.stderr.startswith("Error: ") and message in result.stderr, result.stderr
        assert "Hidden-Pa55" not in result.output and "Traceback" not in result.output
    assert len(shell.mock.calls) == before  # nothing was sent anywhere


@pytest.fixture
def postgres(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreSpec]:
    """An empty PostgreSQL store (skipped, saying why, without ONEBALANCE_TEST_POSTGRES_DSN)."""
    yield from store_spec("postgres", tmp_path, request)


def test_ship_with_the_postgres_store_keeps_accounts_and_the_label_journal_there(shell, postgres, tmp_path):
    with postgres.open() as store:  # the platform keeps its merchants in PostgreSQL
        Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=shell.swsim_url, store=store).connect(
            MERCHANT, username=USERNAME, password=PASSWORD
        )
    env = {
        "ONEBALANCE_STORE_DSN": postgres.dsn,
        "ONEBALANCE_STORE_SCHEMA": postgres.schema,
        "ONEBALANCE_CREDENTIALS_KEY": postgres.key,
        "ONEBALANCE_CREDENTIALS_STORE": None,
        "ONEBALANCE_RECORDS": None,
    }
    ups = shell("connect-ups", MERCHANT, "--client-id", "ups-app", "--account-number", "A1B2C3",
                "--base-url", shell.ups_url, env=env | {"ONEBALANCE_UPS_CLIENT_SECRET": UPS_SECRET})  # fmt: skip
    assert ups.exit_code == EXIT_OK, ups.output
    args = ["--json", "buy", MERCHANT, *SHIPMENT, "--carrier", "ups", "--service", "03",
            "--idempotency-key", "order-pg", "--label-out", str(tmp_path / "ups.png")]  # fmt: skip
    first, again = shell(*args, env=env), shell(*args, env=env)
    assert first.exit_code == EXIT_OK and again.exit_code == EXIT_OK, first.output + again.output
    number = json.loads(first.stdout)["tracking_number"]
    assert json.loads(again.stdout)["tracking_number"] == number
    assert shell.ship_calls() == 1  # the journal in PostgreSQL held the key from one command to the next
    with postgres.open() as store:
        stored = store.credentials.get(MERCHANT)
        assert stored is not None and stored.ups is not None and stored.ups.secret_value() == UPS_SECRET
        assert [e.label.tracking_number for e in store.labels.entries(MERCHANT) if e.label] == [number]
    voided = shell("void", MERCHANT, "--carrier", "ups", "--tracking-number", number, env=env)
    assert voided.exit_code == EXIT_OK and "voided" in voided.stdout, voided.output
    missing = shell("void", MERCHANT, "--carrier", "ups", "--tracking-number", "1ZA1B2C30399999999", env=env)
    assert missing.exit_code == EXIT_USAGE and "the PostgreSQL store (--store-dsn)" in missing.stderr
    other_key = EncryptedFileCredentialStore.generate_key()
    wrong_key = shell("carriers", MERCHANT, env=env | {"ONEBALANCE_CREDENTIALS_KEY": other_key})
    assert wrong_key.exit_code == EXIT_CONFIG and "Traceback" not in wrong_key.output


# -- one way to name a label, and buying a saved rate (issue 18, item 6) -------------------------------
@pytest.mark.parametrize(
    ("number", "carrier"),
    [
        ("9400111899223197428490", "usps"),
        ("9205 5000 0000 0000 0000 00", "usps"),
        ("92055000000000000000", "usps"),
        ("EC123456789US", "usps"),
        ("1Z999AA10123456784", "ups"),
        ("1za1b2c30300000001", "ups"),
        ("794600000001", "fedex"),
        ("123456789012345", "fedex"),
        ("12345", None),
        ("1Z12", None),
        ("8400111899223197428490", None),
    ],
)
def test_the_carrier_of_a_tracking_number_by_its_form(number, carrier):
    from onebalance.cli._ship_refs import carrier_of

    found = carrier_of(number)
    assert (found.value if found else None) == carrier


def test_void_and_track_take_the_number_positionally_and_find_the_carrier(shell, tmp_path):
    shell.connect_all()
    bought = {}
    for carrier, service in (("usps", "US-PM"), ("ups", "03"), ("fedex", "FEDEX_GROUND")):
        out = str(tmp_path / f"{carrier}.png")
        result = shell("--json", "buy", MERCHANT, *SHIPMENT, "--carrier", carrier, "--service", service,
                       "--idempotency-key", f"order-6-{carrier}", "--label-out", out)  # fmt: skip
        assert result.exit_code == EXIT_OK, result.output
        bought[carrier] = json.loads(result.stdout)["tracking_number"]
    names = {"usps": "USPS", "ups": "UPS", "fedex": "FedEx"}
    for carrier, number in bought.items():  # from the label journal
        tracked = shell("track", MERCHANT, number)
        assert tracked.exit_code == EXIT_OK, tracked.output
        assert tracked.stdout.startswith(f"{names[carrier]} {number}:")
    no_journal = shell("track", MERCHANT, bought["ups"], env={"ONEBALANCE_RECORDS": None})  # from the form
    assert no_journal.exit_code == EXIT_OK and no_journal.stdout.startswith(f"UPS {bought['ups']}:")
    unknown = shell("track", MERCHANT, "ABC-42")
    assert unknown.exit_code == EXIT_USAGE and "give --carrier" in unknown.stderr
    for carrier, number in bought.items():
        voided = shell("void", MERCHANT, number)  # positional, as track takes it; no --carrier
        assert voided.exit_code == EXIT_OK, voided.output
        assert voided.stdout.startswith(f"{names[carrier]} label {number} voided")
    assert shell("void", MERCHANT).exit_code == EXIT_USAGE
    both = shell("void", MERCHANT, bought["ups"], "--label-id", "X")
    assert both.exit_code == EXIT_USAGE and "once" in both.stderr
    wrong = shell("void", MERCHANT, bought["ups"], "--carrier", "fedex")  # an override is obeyed
    assert wrong.exit_code == EXIT_USAGE and "no FedEx label" in wrong.stderr


def test_buy_a_rate_from_the_saved_rates_output(shell, tmp_path):
    shell.connect_all()
    saved = shell("--json", "rates", MERCHANT, *SHIPMENT)
    assert saved.exit_code == EXIT_OK, saved.output
    data = json.loads(saved.stdout)
    assert data["merchant_id"] == MERCHANT and data["shipment"]["to_zip"]
    assert "ups:03" in {r["rate_id"] for r in data["rates"]}
    rates_file = tmp_path / "rates.json"
    rates_file.write_text(saved.stdout)
    table = shell("rates", MERCHANT, *SHIPMENT)
    assert "ups:03" in table.stdout and "--from-rates rates.json --rate RATE_ID" in table.stderr

    base = ["buy", MERCHANT, "--from-rates", str(rates_file), "--label-out", str(tmp_path / "l.gif")]
    bought = shell("--json", *base, "--rate", "ups:03", "--idempotency-key", "saved-1")
    assert bought.exit_code == EXIT_OK, bought.output
    label = json.loads(bought.stdout)
    assert (label["carrier"], label["service"]) == ("ups", "03")
    cheapest = shell("--json", *base, "--rate", "cheapest", "--idempotency-key", "saved-2")
    assert cheapest.exit_code == EXIT_OK, cheapest.output
    assert json.loads(cheapest.stdout)["carrier"] == data["cheapest"]["carrier"]

    calls = shell.ship_calls()
    refusals = [
        ([*base, "--rate", "ups:99", "--idempotency-key", "k"], "no rate ups:99"),
        ([*base, "--idempotency-key", "k"], "needs --rate"),
        ([*base, "--rate", "ups:03", "--carrier", "ups", "--idempotency-key", "k"], "drop --carrier"),
        ([*base, "--rate", "ups:03", "--to-zip", "10001", "--idempotency-key", "k"], "drop --to-zip"),
        (["buy", "shop-other", *base[2:], "--rate", "ups:03", "--idempotency-key", "k"], "not shop-other"),
        (["buy", MERCHANT, "--rate", "ups:03", "--idempotency-key", "k", "--label-out", "x"], "--from-rates FILE"),
        (["buy", MERCHANT, "--carrier", "ups", "--service", "03", "--idempotency-key", "k", "--label-out", "x"],
         "missing --from-name"),
    ]  # fmt: skip
    for args, message in refusals:
        result = shell(*args)
        assert result.exit_code == EXIT_USAGE, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
    not_json = tmp_path / "table.txt"
    not_json.write_text(table.stdout)
    result = shell("buy", MERCHANT, "--from-rates", str(not_json), "--rate", "ups:03", "--idempotency-key", "k",
                   "--label-out", str(tmp_path / "x.gif"))  # fmt: skip
    assert result.exit_code == EXIT_USAGE and "cannot read" in result.stderr
    assert shell.ship_calls() == calls  # nothing bought by a refusal


def test_a_key_used_with_one_carrier_is_refused_for_another_with_exit_2(shell, tmp_path):
    """The same --idempotency-key for another carrier (a fallback for the same order) would buy a second
    label: it is refused with exit 2, naming the first purchase, and nothing is sent to UPS."""
    shell.connect_all()
    base = ["buy", MERCHANT, *SHIPMENT, "--idempotency-key", "order-1042", "--label-out", str(tmp_path / "l.png")]
    first = shell("--json", *base, "--carrier", "usps", "--service", "US-PM")
    assert first.exit_code == EXIT_OK, first.output
    tracking = json.loads(first.stdout)["tracking_number"]
    fallback = shell(*base, "--carrier", "ups", "--service", "03")
    assert fallback.exit_code == EXIT_USAGE, fallback.output
    assert "IdempotencyKeyReused" in fallback.stderr and "already used for a USPS US-PM label" in fallback.stderr
    assert tracking in fallback.stderr and "needs a new key" in fallback.stderr
    assert shell.ship_calls() == 0
    heavier = shell(*[a if a != "2" else "40" for a in base], "--carrier", "usps", "--service", "US-PM")
    assert heavier.exit_code == EXIT_USAGE and "already used" in heavier.stderr  # another parcel, the same key
    again = shell("--json", *base, "--carrier", "usps", "--service", "US-PM")
    assert again.exit_code == EXIT_OK and json.loads(again.stdout)["tracking_number"] == tracking
    assert len([e for e in shell.sandbox.ledger(USERNAME) if e.type == "Print"]) == 1


def test_a_label_charged_above_its_rate_says_so(shell, tmp_path):
    shell.sandbox.set_label_surcharge(USERNAME, "1.25")
    args = ["--json", "buy", MERCHANT, *SHIPMENT, "--carrier", "usps", "--service", "US-PM", "--idempotency-key",
            "order-5", "--label-out", str(tmp_path / "l.png")]  # fmt: skip
    data = json.loads(shell(*args).stdout)
    assert Decimal(data["cost"]) == Decimal(data["quoted_cost"]) + Decimal("1.25")
    text = shell(*args[1:]).stdout  # the same key again: the same label, in words
    assert f"rate quoted       ${Decimal(data['quoted_cost']):,.2f} (charged $1.25 more)" in text


def test_ground_advantage_from_the_command_line_and_none_on_v111(shell, tmp_path):
    light = [*SHIPMENT[:-2], "--weight-oz", "8"]
    rated = shell("--json", "rates", MERCHANT, *light)
    assert rated.exit_code == EXIT_OK, rated.output
    usps = [r for r in json.loads(rated.stdout)["rates"] if r["carrier"] == "usps"]
    assert min(usps, key=lambda r: Decimal(r["total"]))["service"] == "US-GA"
    out = tmp_path / "ga.png"
    bought = shell("buy", MERCHANT, *light, "--carrier", "usps", "--service", "US-GA", "--idempotency-key", "ga-1",
                   "--label-out", str(out))  # fmt: skip
    assert bought.exit_code == EXIT_OK, bought.output
    assert "USPS US-GA label bought" in bought.stdout and out.read_bytes()
    old = shell("--api-version", "v111", "--json", "rates", MERCHANT, *light)
    assert old.exit_code == EXIT_OK, old.output
    assert "US-GA" not in {r["service"] for r in json.loads(old.stdout)["rates"]}
    refused = shell("--api-version", "v111", "rates", MERCHANT, *light, "--service", "US-GA")
    assert refused.exit_code == EXIT_FAILED  # no carrier had a rate; USPS said why, nothing was sent to it
    assert "Ground Advantage needs SWSIM v135" in refused.stderr


def test_a_multi_package_shipment_writes_every_label_and_voids_a_package_on_its_own(shell, tmp_path):
    shell.connect_all()
    out = tmp_path / "order-9.gif"
    bought = shell("--json", "buy", MERCHANT, *SHIPMENT, "--parcels", "3", "--carrier", "ups", "--service", "03",
                   "--idempotency-key", "order-9", "--label-out", str(out))  # fmt: skip
    assert bought.exit_code == EXIT_OK, bought.output
    packages = json.loads(bought.stdout)["packages"]
    numbers = [p["tracking_number"] for p in packages]
    assert numbers == shell.ups.shipments()[0].tracking_numbers and len(set(numbers)) == 3
    files = [out, tmp_path / "order-9-2.gif", tmp_path / "order-9-3.gif"]
    assert [p["label_file"] for p in packages] == [str(f) for f in files]
    for written in files:  # each package's own label, in its own file
        assert written.read_bytes().startswith(b"GIF8")
    one = shell("void", MERCHANT, numbers[1], "--package")  # the carrier from the journal
    assert one.exit_code == EXIT_OK, one.output
    assert f"UPS package {numbers[1]} of shipment {numbers[0]} voided" in one.stdout
    assert not shell.ups.shipments()[0].voided
    tracked = shell("--json", "track", MERCHANT, numbers[2], "--shipment")
    assert tracked.exit_code == EXIT_OK, tracked.output
    assert [(t["tracking_number"], t["status"]) for t in json.loads(tracked.stdout)] == [
        (numbers[0], "pre_transit"),
        (numbers[1], "voided"),
        (numbers[2], "pre_transit"),
    ]
    whole = shell("void", MERCHANT, numbers[2])
    assert whole.exit_code == EXIT_OK, whole.output
    assert f"UPS shipment {numbers[0]} (3 packages: {', '.join(numbers)}) voided" in whole.stdout
    assert shell.ups.shipments()[0].voided


def test_rates_mark_the_services_the_plan_forbids_and_never_pick_one(shell):
    shell.sandbox.set_capability(USERNAME, "AllowAllMailClasses", False)
    text = shell("rates", MERCHANT, *SHIPMENT)
    assert text.exit_code == EXIT_OK, text.output
    parcel_select = next(line for line in text.stdout.splitlines() if line.startswith("usps:US-GA "))
    assert "(not allowed: the plan allows only Priority Mail and Priority Mail Express" in parcel_select
    assert "cheapest" not in parcel_select
    data = json.loads(shell("--json", "rates", MERCHANT, *SHIPMENT).stdout)
    assert data["cheapest"]["service"] == "US-PM" and data["cheapest"]["restriction"] is None
    assert {r["service"]: r["restriction"] is not None for r in data["rates"]} == {
        "US-GA": True,
        "US-PS": True,
        "US-PM": False,
        "US-XM": False,
    }


def test_an_error_line_names_the_service_that_refused(shell, tmp_path):
    """A refusal of the One Balance's says so (``One Balance: ...``); the SDK's own refusals name no service."""
    shell.sandbox.place_hold(USERNAME, "payment_hold")
    buy = ["buy", MERCHANT, *SHIPMENT, "--carrier", "usps", "--service", "US-PM", "--label-out", str(tmp_path / "l")]
    refused = shell(*buy, "--idempotency-key", "o-1")
    assert refused.exit_code == EXIT_FAILED, refused.stderr
    assert refused.stderr.startswith("Error: One Balance: PaymentHold: "), refused.stderr
    own = shell(*buy, "--idempotency-key", " ")
    assert own.stderr.startswith("Error: ValidationError: "), own.stderr


def test_buy_prints_the_label_in_the_format_and_size_asked_and_refuses_one_the_carrier_does_not(shell, tmp_path):
    shell.connect_all()
    cases = [("usps", "US-PM", "pdf", "letter", "PDF"), ("ups", "03", "ZPL", None, "ZPL"),
             ("fedex", "FEDEX_GROUND", "epl", "4x6", "EPL")]  # fmt: skip
    for carrier, service, label_format, size, expected in cases:
        out = tmp_path / f"{carrier}.label"
        args = ["buy", MERCHANT, *SHIPMENT, "--carrier", carrier, "--service", service, "--idempotency-key",
                f"fmt-{carrier}", "--label-out", str(out), "--format", label_format]  # fmt: skip
        result = shell(*args, *(["--size", size] if size else []))
        assert result.exit_code == EXIT_OK, result.output
        assert f"({expected} {size or '4x6'}, {len(out.read_bytes())} bytes)" in result.stdout
        check_image(expected, out.read_bytes())
        again = json.loads(shell("--json", *args, *(["--size", size] if size else [])).stdout)
        assert (again["label_format"], again["label_size"]) == (expected, size or "4x6")
    refused = shell("buy", MERCHANT, *SHIPMENT, "--carrier", "ups", "--service", "03", "--idempotency-key", "fmt-pdf",
                    "--label-out", str(tmp_path / "ups.pdf"), "--format", "PDF")  # fmt: skip
    assert refused.exit_code == EXIT_USAGE and "UPS does not print PDF labels" in refused.stderr
    assert "GIF 4x6" in refused.stderr and not (tmp_path / "ups.pdf").exists()
    unknown = shell("buy", MERCHANT, *SHIPMENT, "--carrier", "usps", "--service", "US-PM", "--idempotency-key", "x",
                    "--label-out", str(tmp_path / "x.tif"), "--format", "TIFF")  # fmt: skip
    assert unknown.exit_code == EXIT_USAGE and "TIFF" in unknown.stderr
    assert len(shell.ups.shipments()) == 1 and len(shell.fedex.shipments()) == 1


# -- abroad: --to-country and --customs -----------------------------------------------------------------
ABROAD = [
    *SHIPMENT[: SHIPMENT.index("--to-name")],
    "--to-name", "Jane Doe", "--to-street", "10 Downing St", "--to-city", "London", "--to-zip", "SW1A 2AA",
    "--to-country", "GB", "--to-phone", "442079460000", "--weight-lb", "2",
]  # fmt: skip
CUSTOMS = {
    "contents_type": "merchandise",
    "lines": [
        {
            "description": "Cotton T-shirts",
            "quantity": 2,
            "value": {"amount": "30.00", "currency": "USD"},
            "weight": {"value": "1", "unit": "lb"},
            "hs_tariff_number": "6109.10",
            "origin_country": "US",
        }
    ],
    "invoice_total": {"amount": "30.00", "currency": "USD"},
    "duties_payer": "recipient",  # USPS mail abroad is delivered duties unpaid
}


def _customs_file(tmp_path: Path, data: object = CUSTOMS) -> str:
    path = tmp_path / "customs.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_rates_abroad_list_only_international_services_and_a_saved_rate_buys_with_its_customs(shell, tmp_path):
    shell.connect_all()
    customs = _customs_file(tmp_path)
    result = shell("--json", "rates", MERCHANT, *ABROAD, "--customs", customs)
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    services = {(r["carrier"], r["service"]) for r in data["rates"]}
    assert {c for c, _ in services} == {"usps", "ups", "fedex"}
    domestic = {("usps", "US-PM"), ("usps", "US-GA"), ("ups", "03"), ("fedex", "FEDEX_GROUND")}
    assert not services & domestic, services
    assert {s for c, s in services if c == "usps"} <= {"US-FCI", "US-PMI", "US-EMI"}
    assert data["shipment"]["to_country"] == "GB" and data["shipment"]["customs"]["lines"][0]["quantity"] == 2

    rates_file = tmp_path / "rates.json"
    rates_file.write_text(result.stdout)
    ups = next(r["rate_id"] for r in data["rates"] if r["carrier"] == "ups")
    label_out = tmp_path / "abroad.gif"
    bought = shell("--json", "buy", MERCHANT, "--from-rates", str(rates_file), "--rate", ups,
                   "--idempotency-key", "abroad-1", "--label-out", str(label_out))  # fmt: skip
    assert bought.exit_code == EXIT_OK, bought.output
    documents = json.loads(bought.stdout)["documents"]
    assert [d["kind"] for d in documents] == ["commercial_invoice"]
    written = Path(documents[0]["file"])
    assert written == tmp_path / f"abroad.gif.commercial_invoice.{documents[0]['format'].lower()}"
    assert written.stat().st_size == documents[0]["bytes"] > 0


def test_buy_usps_abroad_with_customs_writes_the_customs_form_beside_the_label(shell, tmp_path):
    label_out = tmp_path / "paris.gif"
    result = shell("buy", MERCHANT, *ABROAD, "--customs", _customs_file(tmp_path), "--carrier", "usps", "--service",
                   "US-PMI", "--idempotency-key", "usps-abroad", "--label-out", str(label_out))  # fmt: skip
    assert result.exit_code == EXIT_OK, result.output
    form = next(tmp_path.glob("paris.gif.customs_form.*"))
    assert f"customs_form written to {form}" in result.stdout
    assert form.stat().st_size > 0 and label_out.stat().st_size > 0
    assert shell.balance() < Decimal("100.00")


@pytest.mark.parametrize(
    ("customs", "message"),
    [
        (None, "--customs: is required for a shipment from US to GB"),
        ({**CUSTOMS, "invoice_total": {"amount": "31.00", "currency": "USD"}}, "invoice_total: must be the sum"),
        ({**CUSTOMS, "lines": [{**CUSTOMS["lines"][0], "quantity": 0}]}, "lines.0.quantity: must be between"),  # type: ignore[index]
        ("{not json", "bad.json: Invalid JSON"),
    ],
)
def test_abroad_without_customs_or_with_a_bad_customs_file_exits_2_and_sends_nothing(shell, tmp_path, customs, message):
    shell.connect_all()
    given: list[str] = []
    if isinstance(customs, str):
        (tmp_path / "bad.json").write_text(customs)
        given = ["--customs", str(tmp_path / "bad.json")]
    elif customs is not None:
        given = ["--customs", _customs_file(tmp_path, customs)]
    before = len(shell.mock.calls)
    for args in (
        ["rates", MERCHANT, *ABROAD, *given],
        ["buy", MERCHANT, *ABROAD, *given, "--carrier", "ups", "--service", "07", "--idempotency-key", "k",
         "--label-out", str(tmp_path / "x.gif")],
    ):  # fmt: skip
        result = shell(*args)
        assert result.exit_code == EXIT_USAGE, result.output
        assert message in result.stderr, result.stderr
    assert len(shell.mock.calls) == before  # nothing sent
