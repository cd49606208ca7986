"""``onebalance postage``: balance, quotes, purchases, auto-refill and history driven through CliRunner
against the sandbox served over HTTP, with an encrypted credential store and a SQLite records file in
tmp_path. Checks output and exit codes (0 done, 1 failed, 2 usage or refused input, 4 configuration),
that receipts and settings persist in the records file from one command to the next, and that no
password, card number or store key ever shows in any output."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from onebalance import (
    Accounts,
    EncryptedFileCredentialStore,
    FundingSettings,
    OutcomeUnknown,
    Postage,
    Receipt,
    RetryPolicy,
    SqlitePostageRecords,
)
from onebalance.cli import cli
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox

from ._stores import StoreSpec, postgres_run_schema, store_spec  # noqa: F401 - a fixture

# The exit codes documented in onebalance/cli/_postage.py.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG = 0, 1, 2, 4

D = Decimal
MERCHANT = "m1"
USERNAME = "shop"
PASSWORD = "Shop-passw0rd"
VISA = "4111111111111111"  # the sandbox's seeded card is a Visa ending 1111: the full number must never show
CSV_HEADER = "date,type,cost,credit,balance,purchase_type,receipt_id,cost_account"
RECEIPT_ID = re.compile(r"^Receipt\s+(R-[0-9A-F]{12})$", re.MULTILINE)

#: Every variable the command reads; set (or unset) them all so the caller's shell cannot leak in.
_ENV_NAMES = (
    "ONEBALANCE_CREDENTIALS_STORE",
    "ONEBALANCE_CREDENTIALS_KEY",
    "ONEBALANCE_CREDENTIALS_KEY_FILE",
    "ONEBALANCE_ENDPOINT",
    "ONEBALANCE_INTEGRATION_ID",
    "ONEBALANCE_RECORDS",
    "ONEBALANCE_STORE_DSN",
    "ONEBALANCE_STORE_SCHEMA",
)


class Clerk:
    """A platform operator's shell: merchant 'm1' (sandbox user 'shop', $50.00 of a $500.00 maximum)
    connected in an encrypted store, a SQLite records file, and ``onebalance postage --records FILE``
    run through CliRunner. Every output is kept for the secret check."""

    def __init__(self, sandbox: Sandbox, url: str, tmp_path: Path) -> None:
        self.sandbox = sandbox
        self.tmp_path = tmp_path
        self.key = EncryptedFileCredentialStore.generate_key()
        self.store_path = tmp_path / "credentials.json"
        self.records_path = tmp_path / "records.sqlite"
        self.records = SqlitePostageRecords(self.records_path)
        self.accounts = Accounts(
            integration_id=DEMO_INTEGRATION_ID,
            endpoint=url,
            store=EncryptedFileCredentialStore(self.store_path, keys=[self.key]),
            records=self.records,
        )
        sandbox.create_account(USERNAME, PASSWORD, balance="50.00")
        assert self.accounts.connect(MERCHANT, username=USERNAME, password=PASSWORD).active
        self.env: dict[str, str | None] = dict.fromkeys(_ENV_NAMES)
        self.env.update(
            {
                "ONEBALANCE_CREDENTIALS_STORE": str(self.store_path),
                "ONEBALANCE_CREDENTIALS_KEY": self.key,
                "ONEBALANCE_ENDPOINT": url,
                "ONEBALANCE_INTEGRATION_ID": DEMO_INTEGRATION_ID,
            }
        )
        self.runner = CliRunner()  # click >= 8.2: result.stdout and result.stderr are kept apart
        self.outputs: list[tuple[str, str]] = []  # (command line, stdout + stderr)
        self.secrets = {self.key, PASSWORD, VISA}

    def __call__(
        self,
        *args: str,
        input: str | io.BytesIO | None = None,  # noqa: A002
        env: dict[str, str | None] | None = None,
        records: bool = True,
        reraise: bool = True,
    ) -> Result:
        """``onebalance postage [--records FILE] ARGS`` (group options such as --json go first in ARGS)."""
        line = ["postage", *(["--records", str(self.records_path)] if records else []), *args]
        result = self.runner.invoke(cli, line, input=input, env={**self.env, **(env or {})})
        self.outputs.append((" ".join(args), result.stdout + result.stderr))
        if reraise and result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # a traceback, not an answer: let pytest show it
        return result

    @property
    def postage(self) -> Postage:
        """The SDK's view of the merchant, on the same records file as the command."""
        return self.accounts.postage(MERCHANT)

    def kept(self) -> tuple[list[Receipt], FundingSettings]:
        """The merchant's receipts and settings as a fresh reader of the records file sees them."""
        with closing(SqlitePostageRecords(self.records_path)) as records:
            return records.receipts(MERCHANT), records.settings(MERCHANT)

    def kept_receipt_ids(self) -> list[str]:
        return [r.receipt_id for r in self.kept()[0]]

    def purchases(self) -> list:
        return [e for e in self.sandbox.ledger(USERNAME) if e.type == "Purchase"]

    def balance(self) -> Decimal:
        return self.sandbox.account(USERNAME).available_postage

    def leaks(self) -> list[str]:
        return [
            f"{secret!r} in the output of `{command}`"
            for command, text in self.outputs
            for secret in self.secrets
            if secret in text
        ]


@pytest.fixture(scope="module")
def stopping() -> Iterator[list[threading.Thread]]:
    """Servers stop in the background (each stop waits out the server's 0.1 s poll); joined at the end."""
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join(timeout=5)


@pytest.fixture
def clerk(sandbox: Sandbox, tmp_path: Path, stopping: list[threading.Thread]) -> Iterator[Clerk]:
    server = sandbox.serve()
    helper = None
    try:
        helper = Clerk(sandbox, server.url, tmp_path)
        yield helper
    finally:
        if helper is not None:
            helper.records.close()
        stopping.append(threading.Thread(target=server.stop, name="stop-sandbox-server", daemon=True))
        stopping[-1].start()
    assert not helper.leaks(), helper.leaks()


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _receipt_id(stdout: str) -> str:
    found = RECEIPT_ID.findall(stdout)
    assert len(found) == 1, stdout
    return found[0]


def _table(stdout: str) -> list[list[str]]:
    """The rows of ``history``'s table (header checked and dropped), each split on whitespace."""
    lines = _lines(stdout)
    assert lines[0].split() == ["date", "type", "cost", "credit", "balance", "receipt"]
    return [line.split() for line in lines[1:]]


# -- balance ----------------------------------------------------------------------------------------
def test_balance_shows_the_amounts_and_the_room_left(clerk):
    result = clerk("balance", MERCHANT)
    assert result.exit_code == EXIT_OK, result.output
    assert result.stderr == ""
    assert _lines(result.stdout) == [
        "available postage  $50.00",
        "maximum balance    $500.00 (room for $450.00)",
        "control total      $0.00",
    ]


def test_balance_warns_below_the_low_threshold_kept_in_the_records_file(clerk):
    clerk.postage.update_settings(low_balance_threshold=D("75.00"))
    low = clerk("balance", MERCHANT)
    assert low.exit_code == EXIT_OK, low.output
    assert _lines(low.stdout)[-1] == "LOW: below the warning threshold of $75.00"
    # ONEBALANCE_RECORDS names the same file.
    by_env = clerk("balance", MERCHANT, records=False, env={"ONEBALANCE_RECORDS": str(clerk.records_path)})
    assert "LOW: below the warning threshold of $75.00" in by_env.stdout
    # Without a records file the command knows no settings at all.
    assert "LOW" not in clerk("balance", MERCHANT, records=False).stdout
    assert clerk("add", MERCHANT, "30.00", "--yes").exit_code == EXIT_OK
    above = clerk("balance", MERCHANT)
    assert "available postage  $80.00" in above.stdout
    assert "LOW" not in above.stdout


def test_balance_json(clerk):
    clerk.postage.update_settings(low_balance_threshold=D("75.00"))
    result = clerk("--json", "balance", MERCHANT)
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    assert (data["available_postage"], data["control_total"], data["max_postage_balance"]) == (
        "50.00",
        "0.00",
        "500.00",
    )
    assert D(data["low_balance_threshold"]) == D("75.00")
    assert data["low"] is True
    assert D(data["room"]) == D("450.00")  # as the text's "room for $450.00"
    assert json.loads(clerk("balance", MERCHANT, "--json").stdout) == data  # --json after the command too


# -- quote ------------------------------------------------------------------------------------------
def test_quote_shows_fee_total_and_balance_and_buys_nothing(clerk):
    result = clerk("quote", MERCHANT, "25.00")
    assert result.exit_code == EXIT_OK, result.output
    assert result.stderr == ""
    assert _lines(result.stdout) == [
        f"Add $25.00 of postage to {USERNAME}",
        "  fee            $0.00",
        "  total charged  $25.00 to Visa ending 1111",
        "  balance        $50.00 -> $75.00 (maximum $500.00)",
    ]
    assert clerk.purchases() == []
    assert clerk.sandbox.charges(USERNAME) == []
    assert clerk.balance() == D("50.00")


def test_quote_json_and_a_cost_account(clerk):
    result = clerk("--json", "quote", MERCHANT, "25.00", "--cost-account", "Marketing")
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    assert (data["amount"], data["fee"], data["total"], data["balance_after"]) == (
        "25.00",
        "0.00",
        "25.00",
        "75.00",
    )
    assert data["total_charged"] == data["total"]  # the old key, kept beside the new one for one release
    assert data["cost_account"]["name"] == "Marketing"
    by_id = clerk("quote", MERCHANT, "25.00", "--cost-account", str(data["cost_account"]["id"]))
    assert "  cost account   Marketing" in by_id.stdout
    unknown = clerk("quote", MERCHANT, "25.00", "--cost-account", "No Such Department")
    assert unknown.exit_code == EXIT_USAGE
    assert "UnknownCostAccount" in unknown.stderr
    assert clerk.purchases() == []


def test_quote_the_mailstation_fee(clerk):
    clerk.postage.update_settings(has_mailstation=True)
    clerk.sandbox.set_mailstation(USERNAME, True)
    result = clerk("quote", MERCHANT, "100.00")
    assert result.exit_code == EXIT_OK, result.output
    assert "  fee            $3.50" in result.stdout
    assert "  total charged  $103.50 to Visa ending 1111" in result.stdout


def test_quote_presets(clerk):
    last = clerk("quote", MERCHANT, "--last")  # no refill yet to repeat
    assert last.exit_code == EXIT_USAGE
    assert last.stdout == ""
    assert "no earlier refill" in last.stderr
    result = clerk("quote", MERCHANT, "--default")
    assert result.exit_code == EXIT_OK, result.output
    assert _lines(result.stdout)[0] == f"Add $100.00 of postage to {USERNAME}"
    clerk.postage.update_settings(default_refill_amount=D("75.00"))
    assert _lines(clerk("quote", MERCHANT, "--default").stdout)[0] == f"Add $75.00 of postage to {USERNAME}"


def test_quote_needs_exactly_one_of_amount_last_or_default(clerk):
    for args in (["25.00", "--last"], ["25.00", "--default"], ["--last", "--default"], []):
        result = clerk("quote", MERCHANT, *args)
        assert result.exit_code == EXIT_USAGE, args
        assert result.stdout == ""
        assert "give one of AMOUNT, --last or --default" in result.stderr


_BAD_AMOUNTS = {
    "9.99": "minimum postage purchase is $10.00",
    "450.01": "at most $450.00 can be added now",
    "1000": "above the account's maximum of $500.00",
    "10.001": "at most two decimals",
    "ten": "InvalidAmount",
    "-5": "InvalidAmount",
}


def test_quote_refuses_bad_amounts(clerk):
    for amount, message in _BAD_AMOUNTS.items():
        result = clerk("quote", MERCHANT, "--", amount)
        assert result.exit_code == EXIT_USAGE, (amount, result.output)
        assert result.stdout == ""
        assert message in result.stderr, amount
    assert clerk.purchases() == []
    result = clerk("quote", MERCHANT, "450.00")  # up to the maximum is fine
    assert result.exit_code == EXIT_OK, result.output
    assert "$50.00 -> $500.00" in result.stdout


# -- add --------------------------------------------------------------------------------------------
def test_add_with_yes_buys_once_and_prints_the_receipt_and_its_pdf(clerk):
    pdf = clerk.tmp_path / "receipt.pdf"
    result = clerk("add", MERCHANT, "40", "--yes", "--receipt-pdf", str(pdf))
    assert result.exit_code == EXIT_OK, result.output
    assert result.stderr == ""
    assert "  total charged  $40.00 to Visa ending 1111" in result.stdout  # the quote first
    receipt = result.stdout.split("ONE BALANCE POSTAGE RECEIPT\n", 1)[1]
    for line in (
        "Postage added    $40.00",
        "Fee              $0.00",
        "Total charged    $40.00",
        "Paid with        Visa ending 1111",
        "Balance after    $90.00",
        "Status           Success",
        "Refill           other amount",
        f"Account          {USERNAME}",
    ):
        assert line in receipt
    receipt_id = _receipt_id(result.stdout)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert [e.credit for e in clerk.purchases()] == [D("40.00")]
    assert clerk.balance() == D("90.00")
    clerk.sandbox.check_ledger(USERNAME)
    assert clerk.kept_receipt_ids() == [receipt_id]


def test_add_without_yes_asks_and_anything_but_yes_buys_nothing(clerk):
    for answer in ("n\n", "\n", ""):  # no, the default, end of input
        result = clerk("add", MERCHANT, "40", input=answer)
        assert result.exit_code == EXIT_USAGE, repr(answer)
        assert "Add $40.00 of postage" in result.stdout  # the quote is shown before asking
        assert "Buy it? [y/N]" in result.stderr
        assert "not bought (confirm, or pass --yes)" in result.stderr
        assert "RECEIPT" not in result.stdout
    assert clerk.purchases() == []
    assert clerk.kept_receipt_ids() == []
    result = clerk("add", MERCHANT, "40", input="y\n")  # yes buys
    assert result.exit_code == EXIT_OK, result.output
    assert "Buy it? [y/N]" in result.stderr
    assert "Balance after    $90.00" in result.stdout
    assert len(clerk.purchases()) == 1


def test_add_json_then_last_and_the_receipts_persist_in_the_records_file(clerk):
    first = clerk("--json", "add", MERCHANT, "40", "--yes")
    assert first.exit_code == EXIT_OK, first.output
    receipt = json.loads(first.stdout)  # only the receipt: no quote text in JSON mode
    assert (receipt["status"], receipt["kind"], receipt["amount"], receipt["balance_after"]) == (
        "Success",
        "manual",
        "40.00",
        "90.00",
    )
    assert receipt["merchant_id"] == MERCHANT
    again = clerk("add", MERCHANT, "--last", "--yes")
    assert again.exit_code == EXIT_OK, again.output
    assert _lines(again.stdout)[0] == f"Add $40.00 of postage to {USERNAME}"
    assert "Refill           last refill amount" in again.stdout
    assert "Postage added    $40.00" in again.stdout
    second_id = _receipt_id(again.stdout)
    assert [e.credit for e in clerk.purchases()] == [D("40.00"), D("40.00")]
    assert clerk.balance() == D("130.00")
    # A fresh reader of the file sees both receipts, and history links them to the purchases.
    kept = clerk.kept()[0]
    assert [(r.receipt_id, r.kind) for r in kept] == [(receipt["receipt_id"], "manual"), (second_id, "last")]
    rows = _table(clerk("history", MERCHANT).stdout)
    assert {row[-1] for row in rows if row[2] == "Purchase"} == {receipt["receipt_id"], second_id}


def test_add_default_and_a_cost_account(clerk):
    clerk.postage.update_settings(default_refill_amount=D("60.00"))
    result = clerk("add", MERCHANT, "--default", "--cost-account", "Marketing", "--yes")
    assert result.exit_code == EXIT_OK, result.output
    assert "Refill           default refill amount" in result.stdout
    assert "Cost account     Marketing" in result.stdout
    assert "Balance after    $110.00" in result.stdout


def test_add_refused_before_buying(clerk):
    result = clerk("add", MERCHANT, "9.99", "--yes")
    assert result.exit_code == EXIT_USAGE
    assert "minimum" in result.stderr
    clerk.sandbox.set_monthly_limit(USERNAME, 100)
    assert clerk("add", MERCHANT, "60", "--yes").exit_code == EXIT_OK
    over = clerk("add", MERCHANT, "50", "--yes")
    assert over.exit_code == EXIT_USAGE
    assert "MonthlyLimitExceeded" in over.stderr
    assert [e.credit for e in clerk.purchases()] == [D("60.00")]


class _PrintsWhileAsked(io.BytesIO):
    """Standard input that runs ``before`` the first time the command reads the answer (click probes
    the stream with ``read(0)`` when the runner starts: that is not the answer)."""

    def __init__(self, answer: bytes, before: Callable[[], object]) -> None:
        super().__init__(answer)
        self._before: Callable[[], object] | None = before

    def _fire(self, size: int | None) -> None:
        if self._before is not None and size != 0:
            before, self._before = self._before, None
            before()

    def read(self, size: int | None = -1) -> bytes:
        self._fire(size)
        return super().read(size)

    def read1(self, size: int = -1) -> bytes:
        self._fire(size)
        return super().read1(size)

    def readline(self, size: int | None = -1) -> bytes:
        self._fire(size)
        return super().readline(size)


def test_a_label_printed_while_the_clerk_decides_makes_the_quote_stale_and_nothing_is_bought(clerk):
    stdin = _PrintsWhileAsked(b"y\n", lambda: clerk.sandbox.print_postage(USERNAME, "7.50"))
    result = clerk("add", MERCHANT, "20", input=stdin)
    assert result.exit_code == EXIT_FAILED
    assert "StaleControlTotal" in result.stderr
    assert "The balance is now $42.50: quote again to buy" in result.stderr
    assert "RECEIPT" not in result.stdout
    assert clerk.purchases() == []
    retry = clerk("add", MERCHANT, "20", "--yes")
    assert retry.exit_code == EXIT_OK, retry.output
    assert "Balance after    $62.50" in retry.stdout


def test_a_rejected_purchase_fails_and_keeps_no_receipt(clerk):
    clerk.sandbox.set_next_purchase_outcome(USERNAME, "Rejected", rejection_code="CustomerActionRequired")
    result = clerk("add", MERCHANT, "20", "--yes")
    assert result.exit_code == EXIT_FAILED
    assert "PurchaseRejected" in result.stderr
    assert clerk.balance() == D("50.00")
    assert clerk.kept_receipt_ids() == []


# -- auto-refill ------------------------------------------------------------------------------------
def test_auto_refill_is_set_kept_and_shown(clerk):
    assert clerk("auto-refill", MERCHANT).stdout == "auto-refill: off (not set)\n"
    expected = (
        "auto-refill: on, $50.00 when a label would take the balance below $20.00, asks first, notifies owner@x.test\n"
    )
    result = clerk(
        "auto-refill", MERCHANT, "--threshold", "20", "--amount", "50", "--prompt", "--email", "owner@x.test"
    )
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == expected
    shown = clerk("auto-refill", MERCHANT)
    assert shown.exit_code == EXIT_OK
    assert shown.stdout == expected
    settings = clerk.kept()[1].auto_refill
    assert settings is not None
    assert (settings.enabled, settings.threshold, settings.amount) == (True, D("20"), D("50"))
    assert (settings.prompt_before_refill, settings.notify_email) == (True, "owner@x.test")
    assert "auto-refill        $50.00 when below $20.00" in clerk("balance", MERCHANT).stdout
    data = json.loads(clerk("--json", "auto-refill", MERCHANT).stdout)
    assert (data["enabled"], D(data["amount"]), data["notify_email"]) == (True, D("50.00"), "owner@x.test")
    # A change keeps the rest; --disable turns it off but remembers it.
    changed = clerk("auto-refill", MERCHANT, "--amount", "75", "--no-prompt")
    assert changed.stdout == (
        "auto-refill: on, $75.00 when a label would take the balance below $20.00, notifies owner@x.test\n"
    )
    off = clerk("auto-refill", MERCHANT, "--disable")
    assert off.stdout.startswith("auto-refill: off, $75.00")
    assert "auto-refill" not in clerk("balance", MERCHANT).stdout
    assert clerk.postage.settings.auto_refill.enabled is False


def test_auto_refill_covers_a_shortfall_only_when_told(clerk):
    result = clerk("auto-refill", MERCHANT, "--threshold", "15", "--amount", "10", "--cover-shortfall")
    assert result.stdout == (
        "auto-refill: on, $10.00 when a label would take the balance below $15.00, covers a dearer label's shortfall\n"
    )
    assert clerk.postage.settings.auto_refill.cover_shortfall is True
    clerk("auto-refill", MERCHANT, "--no-cover-shortfall")
    assert clerk.postage.settings.auto_refill.cover_shortfall is False


def test_auto_refill_cost_account_by_name_or_id_as_quote_takes_it(clerk):
    marketing = next(c for c in clerk.postage.cost_accounts() if c.name == "Marketing")
    result = clerk("auto-refill", MERCHANT, "--threshold", "20", "--amount", "50", "--cost-account", "Marketing")
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == (
        f"auto-refill: on, $50.00 when a label would take the balance below $20.00, charged to cost account "
        f"Marketing ({marketing.id})\n"
    )
    assert clerk.postage.settings.auto_refill.cost_account_id == marketing.id
    by_id = clerk("auto-refill", MERCHANT, "--cost-account", str(marketing.id), "--json")
    assert json.loads(by_id.stdout)["cost_account_id"] == marketing.id
    unknown = clerk("auto-refill", MERCHANT, "--cost-account", "No Such Department")
    assert unknown.exit_code == EXIT_USAGE
    assert "UnknownCostAccount" in unknown.stderr
    assert clerk.postage.settings.auto_refill.cost_account_id == marketing.id


def test_auto_refill_refuses_less_than_the_minimum(clerk):
    fresh = clerk("auto-refill", MERCHANT, "--threshold", "20", "--amount", "5")
    assert fresh.exit_code == EXIT_USAGE
    assert "at least $10.00" in fresh.stderr
    assert clerk.postage.settings.auto_refill is None
    assert clerk("auto-refill", MERCHANT, "--threshold", "20", "--amount", "50").exit_code == EXIT_OK
    lowered = clerk("auto-refill", MERCHANT, "--amount", "5")
    assert lowered.exit_code == EXIT_USAGE
    assert lowered.stdout == ""
    assert "at least $10.00" in lowered.stderr
    assert clerk.postage.settings.auto_refill.amount == D("50")
    zero = clerk("auto-refill", MERCHANT, "--threshold", "0")
    assert zero.exit_code == EXIT_USAGE
    assert "positive amount" in zero.stderr
    assert clerk.postage.settings.auto_refill.threshold == D("20")


def test_a_new_auto_refill_needs_threshold_and_amount(clerk):
    for args in (["--amount", "50"], ["--threshold", "20"], ["--enable"], ["--email", "owner@x.test"]):
        result = clerk("auto-refill", MERCHANT, *args)
        assert result.exit_code == EXIT_USAGE, args
        assert "needs --threshold and --amount" in result.stderr
    assert clerk.postage.settings.auto_refill is None


def test_auto_refill_service_sets_the_services_own_auto_buy(clerk):
    result = clerk("auto-refill", MERCHANT, "--service", "--enable", "--threshold", "20", "--amount", "100")
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == "service auto-buy: on, $100.00 below $20.00\n"
    auto_buy = clerk.sandbox.account(USERNAME).auto_buy
    assert auto_buy is not None
    assert (auto_buy.enabled, auto_buy.purchase_amount, auto_buy.trigger_amount) == (True, D("100.00"), D("20.00"))
    assert clerk.postage.settings.auto_refill is None  # the SDK's own policy is untouched
    entries = clerk.sandbox.print_postage(USERNAME, "40.00")  # 10.00 left, below 20.00: the service buys 100.00
    assert [(e.type, e.purchase_type, e.credit) for e in entries[1:]] == [("Purchase", "AutoBuy", D("100.00"))]
    assert "available postage  $110.00" in clerk("balance", MERCHANT).stdout
    off = clerk("--json", "auto-refill", MERCHANT, "--service", "--disable")
    assert off.exit_code == EXIT_OK, off.output
    assert json.loads(off.stdout)["enabled"] is False
    assert not clerk.sandbox.account(USERNAME).auto_buy.enabled


def test_auto_refill_service_needs_enable_or_disable_and_refuses_what_the_service_would(clerk):
    result = clerk("auto-refill", MERCHANT, "--service", "--threshold", "20", "--amount", "100")
    assert result.exit_code == EXIT_USAGE
    assert "--service needs --enable or --disable" in result.stderr
    for threshold, amount, message in [
        ("20", "5", "at least $10.00"),
        ("450", "100", "must not exceed the maximum balance"),
        ("x", "50", "threshold must be an amount"),
    ]:
        result = clerk("auto-refill", MERCHANT, "--service", "--enable", "--threshold", threshold, "--amount", amount)
        assert result.exit_code == EXIT_USAGE, result.output
        assert message in result.stderr
    assert clerk.sandbox.account(USERNAME).auto_buy is None


# -- history ----------------------------------------------------------------------------------------
@pytest.fixture
def busy(clerk: Clerk) -> tuple[Clerk, str, str]:
    """A refill charged to Marketing, a printed label, a refill, a refund: returns both receipt ids."""
    first = clerk("add", MERCHANT, "30", "--cost-account", "Marketing", "--yes")
    clerk.sandbox.print_postage(USERNAME, "12.34")
    second = clerk("add", MERCHANT, "20", "--yes")
    clerk.sandbox.refund(USERNAME, "5.00")
    return clerk, _receipt_id(first.stdout), _receipt_id(second.stdout)


def test_history_table_links_purchases_to_receipts_and_filters(busy):
    clerk, first, second = busy
    result = clerk("history", MERCHANT)
    assert result.exit_code == EXIT_OK, result.output
    assert result.stderr == ""
    rows = _table(result.stdout)
    # date time type cost credit balance [receipt [(cost account)]]
    assert [row[2] for row in rows] == ["Refund", "Purchase", "Print", "Purchase", "Adjustment"]
    assert rows[0][3:] == ["0.00", "5.00", "92.66"]
    assert rows[1][3:] == ["0.00", "20.00", "87.66", second]
    assert rows[2][3:] == ["12.34", "0.00", "67.66"]
    assert rows[3][3:] == ["0.00", "30.00", "80.00", first, "(Marketing)"]
    assert rows[4][3:] == ["0.00", "50.00", "50.00"]  # the opening balance
    prints = _table(clerk("history", MERCHANT, "--type", "Print").stdout)
    assert [row[2:] for row in prints] == [["Print", "12.34", "0.00", "67.66"]]
    both = _table(clerk("history", MERCHANT, "--type", "Purchase", "--type", "Refund").stdout)
    assert [row[2] for row in both] == ["Refund", "Purchase", "Purchase"]
    for by in ("Marketing", "2"):  # the cost account by name, then by id
        charged = _table(clerk("history", MERCHANT, "--cost-account", by).stdout)
        assert [row[-2:] for row in charged] == [[first, "(Marketing)"]], by
    assert _table(clerk("history", MERCHANT, "--since", "2999-01-01").stdout) == []
    for refused in (["--type", "Sale"], ["--since", "yesterday"]):
        assert clerk("history", MERCHANT, *refused).exit_code == EXIT_USAGE
    data = json.loads(clerk("--json", "history", MERCHANT).stdout)
    assert data["merchant_id"] == MERCHANT
    assert [e["receipt_id"] for e in data["entries"] if e["type"] == "Purchase"] == [second, first]


def test_history_csv_to_stdout_and_to_a_file(busy):
    clerk, first, second = busy
    result = clerk("history", MERCHANT, "--csv", "-")
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout.splitlines()[0] == CSV_HEADER
    rows = list(csv.DictReader(io.StringIO(result.stdout)))  # nothing but the CSV on stdout
    assert [r["type"] for r in rows] == ["Refund", "Purchase", "Print", "Purchase", "Adjustment"]
    assert [(r["receipt_id"], r["cost_account"], r["purchase_type"]) for r in rows if r["type"] == "Purchase"] == [
        (second, "", "Manual"),
        (first, "Marketing", "Manual"),
    ]
    assert (rows[2]["cost"], rows[2]["credit"], rows[2]["balance"]) == ("12.34", "0.00", "67.66")
    path = clerk.tmp_path / "history.csv"
    to_file = clerk("history", MERCHANT, "--csv", str(path))
    assert to_file.exit_code == EXIT_OK, to_file.output
    assert len(_table(to_file.stdout)) == 5  # the table is still shown
    assert path.read_text() == result.stdout
    only_print = clerk("history", MERCHANT, "--type", "Print", "--csv", "-").stdout.splitlines()
    assert only_print[0] == CSV_HEADER
    assert [line.split(",")[1:5] for line in only_print[1:]] == [["Print", "12.34", "0.00", "67.66"]]


# -- configuration, connection, permission ----------------------------------------------------------
_COMMANDS = [
    ["balance", MERCHANT],
    ["quote", MERCHANT, "25"],
    ["add", MERCHANT, "25", "--yes"],
    ["auto-refill", MERCHANT],
    ["history", MERCHANT],
]
_MISSING = {
    "ONEBALANCE_CREDENTIALS_STORE": "no credential store",
    "ONEBALANCE_CREDENTIALS_KEY": "ONEBALANCE_CREDENTIALS_KEY",
    "ONEBALANCE_ENDPOINT": "--endpoint",
    "ONEBALANCE_INTEGRATION_ID": "--integration-id",
}


def test_missing_configuration_is_exit_4(clerk):
    for unset, message in _MISSING.items():
        for command in _COMMANDS:
            result = clerk(*command, env={unset: None})
            assert result.exit_code == EXIT_CONFIG, (unset, command, result.output)
            assert result.stdout == ""
            assert message in result.stderr, (unset, command)
    assert clerk.purchases() == []


def test_a_wrong_key_is_exit_4_without_any_key(clerk):
    other = EncryptedFileCredentialStore.generate_key()
    clerk.secrets.add(other)
    for command in _COMMANDS:
        result = clerk(*command, env={"ONEBALANCE_CREDENTIALS_KEY": other})
        assert result.exit_code == EXIT_CONFIG, (command, result.output)
        assert "cannot be decrypted" in result.stderr
    invalid = clerk("balance", MERCHANT, env={"ONEBALANCE_CREDENTIALS_KEY": "not-a-fernet-key"})
    assert invalid.exit_code == EXIT_CONFIG
    assert clerk.purchases() == []


def test_a_key_file_instead_of_the_environment(clerk):
    key_file = clerk.tmp_path / "store.key"
    key_file.write_text(clerk.key + "\n")
    key_file.chmod(0o600)
    result = clerk("--key-file", str(key_file), "balance", MERCHANT, env={"ONEBALANCE_CREDENTIALS_KEY": None})
    assert result.exit_code == EXIT_OK, result.output
    assert "available postage  $50.00" in result.stdout


def test_an_unknown_merchant_is_not_connected(clerk):
    for command in _COMMANDS:
        result = clerk(command[0], "nobody", *command[2:])
        assert result.exit_code == EXIT_FAILED, (command, result.output)
        assert result.stdout == ""
        assert "NotConnected" in result.stderr
        assert "'nobody'" in result.stderr


def test_a_merchant_whose_password_changed_elsewhere_fails(clerk):
    clerk.sandbox.set_password(USERNAME, "Changed-Elsewhere9")
    clerk.secrets.add("Changed-Elsewhere9")
    result = clerk("balance", MERCHANT)
    assert result.exit_code == EXIT_FAILED
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")


def test_only_administrators_may_buy(clerk):
    clerk.sandbox.set_capability(USERNAME, "CanPurchasePostage", False)
    for command in (["quote", MERCHANT, "40"], ["add", MERCHANT, "40", "--yes"]):
        result = clerk(*command)
        # PermissionDenied is not a ValidationError: the command reports a failure (1), not refused input (2).
        assert result.exit_code == EXIT_FAILED, result.output
        assert result.stdout == ""
        assert "PermissionDenied" in result.stderr
        assert "administrator" in result.stderr
    assert clerk.purchases() == []
    assert clerk("balance", MERCHANT).exit_code == EXIT_OK  # reading is still allowed


def test_no_secret_in_any_output_even_on_failures(clerk):
    clerk.postage.update_settings(low_balance_threshold=D("75.00"))
    runs = [
        clerk("balance", MERCHANT),
        clerk("--json", "add", MERCHANT, "40", "--yes"),
        clerk("history", MERCHANT, "--csv", "-"),
        clerk("--json", "history", MERCHANT),
        clerk("quote", MERCHANT, "1.00"),
        clerk("balance", MERCHANT, env={"ONEBALANCE_CREDENTIALS_KEY": EncryptedFileCredentialStore.generate_key()}),
        clerk("add", MERCHANT, "40", "--yes", env={"ONEBALANCE_CREDENTIALS_STORE": None}),
    ]
    clerk.sandbox.set_password(USERNAME, "Changed-Elsewhere9")
    clerk.secrets.add("Changed-Elsewhere9")
    runs.append(clerk("add", MERCHANT, "40", "--yes"))
    assert [r.exit_code for r in runs] == [0, 0, 0, 0, 2, 4, 4, 1]
    assert not clerk.leaks(), clerk.leaks()


# -- bugs -------------------------------------------------------------------------------------------
def test_auto_refill_with_a_non_number_is_refused_input(clerk):
    result = clerk("auto-refill", MERCHANT, "--threshold", "abc", "--amount", "50")
    assert result.exit_code == EXIT_USAGE
    assert "Error:" in result.stderr


def test_auto_refill_with_fractions_of_a_cent_is_refused(clerk):
    result = clerk("auto-refill", MERCHANT, "--threshold", "20", "--amount", "50.001")
    assert result.exit_code == EXIT_USAGE
    assert clerk.postage.settings.auto_refill is None


@pytest.mark.parametrize("where", ["missing-folder", "not-sqlite"])
def test_an_unusable_records_file_is_a_configuration_error(clerk, where):
    path = clerk.tmp_path / "no" / "such" / "records.sqlite"
    if where == "not-sqlite":
        path = clerk.tmp_path / "notes.txt"
        path.write_text("not a database " * 200)
    result = clerk("--records", str(path), "balance", MERCHANT, records=False)
    assert result.exit_code == EXIT_CONFIG
    assert "Error:" in result.stderr


def test_a_receipt_pdf_that_cannot_be_written_still_shows_the_receipt(clerk):
    pdf = clerk.tmp_path / "no" / "such" / "r.pdf"
    result = clerk("add", MERCHANT, "20", "--yes", "--receipt-pdf", str(pdf), reraise=False)
    assert len(clerk.purchases()) == 1  # the postage is bought whatever happens to the PDF
    assert len(clerk.kept_receipt_ids()) == 1
    assert "ONE BALANCE POSTAGE RECEIPT" in result.stdout  # fails: the FileNotFoundError came first
    assert result.exit_code != EXIT_OK
    assert "Error:" in result.stderr
    assert str(pdf) in result.stderr


# -- the PostgreSQL store: --store-dsn / ONEBALANCE_STORE_DSN ---------------------------------------------


@pytest.fixture
def postgres(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreSpec]:
    """An empty PostgreSQL store (skipped, saying why, without ONEBALANCE_TEST_POSTGRES_DSN)."""
    yield from store_spec("postgres", tmp_path, request)


def test_postage_with_the_postgres_store_keeps_receipts_and_settings_there(clerk, postgres):
    url = clerk.env["ONEBALANCE_ENDPOINT"]
    with postgres.open() as store:  # the platform keeps its merchants in PostgreSQL
        Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=store).connect(
            MERCHANT, username=USERNAME, password=PASSWORD
        )
    clerk.secrets.add(postgres.key)
    env = {
        "ONEBALANCE_CREDENTIALS_STORE": None,
        "ONEBALANCE_CREDENTIALS_KEY": postgres.key,
        "ONEBALANCE_STORE_DSN": postgres.dsn,
        "ONEBALANCE_STORE_SCHEMA": postgres.schema,
    }
    refill = clerk("auto-refill", MERCHANT, "--threshold", "20", "--amount", "50", env=env, records=False)
    assert refill.exit_code == EXIT_OK and "warning" not in refill.stderr, refill.output
    added = clerk("--json", "add", MERCHANT, "40", "--yes", env=env, records=False)
    assert added.exit_code == EXIT_OK, added.output
    receipt_id = json.loads(added.stdout)["receipt_id"]
    again = clerk("add", MERCHANT, "--last", "--yes", env=env, records=False)  # "last" comes from PostgreSQL
    assert again.exit_code == EXIT_OK and "Postage added    $40.00" in again.stdout, again.output
    with postgres.open() as store:
        kept = store.records.receipts(MERCHANT)
        assert [r.receipt_id for r in kept][:1] == [receipt_id] and len(kept) == 2
        refill_settings = store.records.settings(MERCHANT).auto_refill
        assert refill_settings is not None and refill_settings.amount == D("50")
    assert clerk.kept() == ([], FundingSettings())  # nothing went to the records file
    both = clerk("balance", MERCHANT, env=env)  # --records beside --store-dsn: refused, not ignored
    assert both.exit_code == EXIT_CONFIG and "--records is not used with --store-dsn" in both.stderr


# -- purchases cut off mid-way: postage pending / postage settle --------------------------------------------

EXIT_ATTENTION = 3


def _postage_command(clerk: Clerk, *args: str) -> list[str]:
    return [sys.executable, "-m", "onebalance", "postage", "--records", str(clerk.records_path), *args]


def test_a_refill_killed_mid_purchase_is_listed_then_settled_once(clerk):
    answered = threading.Event()
    clerk.sandbox.observers.append(
        lambda direction, op, body: answered.set() if (direction, op) == ("response", "PurchasePostage") else None
    )
    clerk.sandbox.faults.script("PurchasePostage", "timeout_after", delay=120)  # bought; the answer is held back
    env = {k: v for k, v in os.environ.items() if k not in clerk.env} | {
        k: v for k, v in clerk.env.items() if v is not None
    }
    worker = subprocess.Popen(
        _postage_command(clerk, "add", MERCHANT, "100.00", "--yes"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert answered.wait(60), "the purchase never reached the sandbox"
        worker.send_signal(signal.SIGKILL)  # the support agent's terminal dies mid-purchase
        worker.communicate(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == -signal.SIGKILL
    clerk.sandbox.faults.clear()
    assert len(clerk.purchases()) == 1 and clerk.balance() == D("150.00") and clerk.kept_receipt_ids() == []

    listed = clerk("pending", MERCHANT)
    assert listed.exit_code == EXIT_ATTENTION, listed.output
    assert "manual" in listed.stdout and "100.00" in listed.stdout and "1 pending" in listed.stdout
    data = json.loads(clerk("--json", "pending", "--all").stdout)
    assert data["count"] == 1
    (row,) = data["pending"]
    assert (row["merchant_id"], row["amount"], row["kind"], row["state"]) == (MERCHANT, "100.00", "manual", "pending")
    assert row["total"] == row["total_charged"] == "100.00"  # total_charged: the old key, for one release
    key = row["integrator_tx_id"]

    young = clerk("settle", MERCHANT)  # sent seconds ago: its worker might still be waiting for the answer
    assert young.exit_code == EXIT_ATTENTION, young.output
    assert "may still be waiting" in young.stdout and clerk.kept_receipt_ids() == []

    settled = clerk("settle", MERCHANT, "--older-than", "0")
    assert settled.exit_code == EXIT_OK, settled.output
    (receipt_id,) = clerk.kept_receipt_ids()
    assert settled.stdout.startswith(f"bought      {key} ($100.00, manual, sent ")
    assert f"receipt {receipt_id}" in settled.stdout
    assert clerk("pending", MERCHANT).stdout.strip() == f"no pending postage purchases for {MERCHANT}"
    purchase_rows = [row for row in _table(clerk("history", MERCHANT).stdout) if row[2] == "Purchase"]
    assert [row[-1] for row in purchase_rows] == [receipt_id]

    again = clerk("settle", MERCHANT, "--older-than", "0")
    assert again.exit_code == EXIT_OK and again.stdout.strip() == f"no pending postage purchases for {MERCHANT}"
    by_key = clerk("settle", MERCHANT, "--key", key)
    assert by_key.exit_code == EXIT_USAGE and "settled already (bought)" in by_key.stderr
    unknown = clerk("settle", MERCHANT, "--key", "onebalance-nope")
    assert unknown.exit_code == EXIT_USAGE and "no postage purchase onebalance-nope" in unknown.stderr
    assert len(clerk.purchases()) == 1 and clerk.balance() == D("150.00")  # credited once
    assert clerk.kept_receipt_ids() == [receipt_id]


def test_settle_marks_a_purchase_that_never_reached_the_service_not_bought_and_buys_nothing(clerk):
    funding = clerk.postage
    quote = funding.quote("80.00")
    sent_at = funding._now() - timedelta(minutes=30)
    funding.refills.start(quote.refill_entry(sent_at))  # written down; the process died before sending it
    result = clerk("--json", "settle", MERCHANT)
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    (row,) = data["settled"]
    assert (row["outcome"], row["receipt_id"], data["pending"]) == ("not_bought", None, 0)
    assert "StaleControlTotal" in row["detail"]
    text = clerk("settle", MERCHANT, "--key", quote.integrator_tx_id)
    assert text.exit_code == EXIT_USAGE and "settled already (not bought)" in text.stderr
    assert clerk.purchases() == [] and clerk.balance() == D("50.00") and clerk.kept_receipt_ids() == []


def test_pending_and_settle_need_a_journal_that_outlives_the_command(clerk):
    for args in (("pending", MERCHANT), ("settle", MERCHANT)):
        result = clerk(*args, records=False)
        assert result.exit_code == EXIT_CONFIG and "refill journal" in result.stderr, result.output
    for args in (("pending",), ("pending", MERCHANT, "--all")):
        result = clerk(*args)
        assert result.exit_code == EXIT_USAGE and "MERCHANT_ID or --all" in result.stderr, result.output


def test_pending_and_settle_with_the_postgres_store(clerk, postgres):
    url = clerk.env["ONEBALANCE_ENDPOINT"]
    with postgres.open() as store:
        accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=store, retry=RetryPolicy.none())
        accounts.connect(MERCHANT, username=USERNAME, password=PASSWORD)
        funding = accounts.postage(MERCHANT)
        clerk.sandbox.faults.script("PurchasePostage", "reset_after")  # bought; the answer is lost
        with pytest.raises(OutcomeUnknown):
            funding.add("100.00")
    clerk.secrets.add(postgres.key)
    env = {
        "ONEBALANCE_CREDENTIALS_STORE": None,
        "ONEBALANCE_CREDENTIALS_KEY": postgres.key,
        "ONEBALANCE_STORE_DSN": postgres.dsn,
        "ONEBALANCE_STORE_SCHEMA": postgres.schema,
    }
    assert clerk("pending", "--all", env=env, records=False).exit_code == EXIT_ATTENTION
    settled = clerk("settle", MERCHANT, "--older-than", "0", env=env, records=False)
    assert settled.exit_code == EXIT_OK and settled.stdout.startswith("bought"), settled.output
    assert clerk("pending", "--all", env=env, records=False).exit_code == EXIT_OK
    with postgres.open() as store:
        assert [r.amount for r in store.records.receipts(MERCHANT)] == [D("100.00")]
    assert len(clerk.purchases()) == 1
