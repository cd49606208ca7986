"""``onebalance account``: the support commands driven through CliRunner against the sandbox served
over HTTP (and once through a real process), checking output and exit codes, and that no password,
card number, codeword answer or temporary password ever shows in any output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from onebalance import Accounts, EncryptedFileCredentialStore, StoredCredentials
from onebalance.cli import cli
from onebalance.sandbox import DEMO_INTEGRATION_ID, DEMO_PASSWORD, DEMO_USERNAME, Sandbox

# The exit codes documented in onebalance/cli/_account.py and docs/support.md.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ATTENTION, EXIT_CONFIG = 0, 1, 2, 3, 4

SUPPORT_PHONE = "(855) 889-7867"
VISA = "4111111111111111"
MASTERCARD = "5555555555554444"
BAD_CARD = "4111111111111112"  # fails the check digit
CVN = "737"
CODEWORDS = ("PetsName", "Rex", "BirthCity", "Paris")
ANSWERS = (CODEWORDS[1], CODEWORDS[3])
EXPIRES = date.today().year + 3

#: Every variable the command reads; set (or unset) them all so the caller's shell cannot leak in.
_ENV_NAMES = (
    "ONEBALANCE_CREDENTIALS_STORE",
    "ONEBALANCE_CREDENTIALS_KEY",
    "ONEBALANCE_CREDENTIALS_KEY_FILE",
    "ONEBALANCE_ENDPOINT",
    "ONEBALANCE_INTEGRATION_ID",
)
_JSON_KEYS = {"merchant_id", "state", "active", "automated_remedies", "manual_remedies", "support"}


class Support:
    """A support person's shell: a credential store, the sandbox served over HTTP, and
    ``onebalance account`` run through CliRunner. Every output is kept for the secret check."""

    def __init__(self, sandbox: Sandbox, url: str, tmp_path: Path) -> None:
        self.sandbox = sandbox
        self.url = url
        self.tmp_path = tmp_path
        self.key = EncryptedFileCredentialStore.generate_key()
        self.store_path = tmp_path / "credentials.json"
        self.store = EncryptedFileCredentialStore(self.store_path, keys=[self.key])
        self.store_path.write_text('{"version": 1, "records": {}}')  # the platform's store: empty, but there
        self.store_path.chmod(0o600)
        self.accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=self.store)
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
        self.usernames: list[str] = []
        self.outputs: list[tuple[str, str]] = []  # (command line, stdout + stderr)
        self.secrets: set[str] = {self.key, DEMO_PASSWORD, VISA, MASTERCARD, BAD_CARD, *ANSWERS}

    # -- running the command ---------------------------------------------------------------------
    def __call__(self, *args: str, input: str | None = None, env: dict[str, str | None] | None = None) -> Result:  # noqa: A002
        result = self.runner.invoke(cli, ["account", *args], input=input, env={**self.env, **(env or {})})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # a traceback, not an answer: let pytest show it
        self.outputs.append((" ".join(args), result.stdout + result.stderr))
        return result

    def process_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _ENV_NAMES}
        env.update({k: v for k, v in self.env.items() if v is not None})
        return env

    # -- merchants -------------------------------------------------------------------------------
    def shop(self, merchant_id: str, username: str, password: str, *, balance: str = "0.00") -> str:
        """A sandbox account with codewords, connected (and stored) for ``merchant_id``."""
        self.sandbox.create_account(username, password, balance=balance)
        self.sandbox.set_codewords(username, *CODEWORDS)
        self.connect(merchant_id, username, password)
        return username

    def connect(self, merchant_id: str, username: str, password: str) -> None:
        self.usernames.append(username)
        self.secrets.add(password)
        assert self.accounts.connect(merchant_id, username=username, password=password).active

    def demo(self, merchant_id: str = "shop-demo") -> str:
        self.connect(merchant_id, DEMO_USERNAME, DEMO_PASSWORD)
        return DEMO_USERNAME

    def password_of(self, merchant_id: str) -> str:
        stored = self.store.get(merchant_id)
        assert stored is not None
        return stored.password_value()

    def payment_file(self, number: str, name: str = "card.json") -> str:
        path = self.tmp_path / name
        path.write_text(json.dumps({"number": number, "expiration_month": 12, "expiration_year": EXPIRES, "cvn": CVN}))
        path.chmod(0o600)
        return str(path)

    # -- the secret check ------------------------------------------------------------------------
    def collect_secrets(self) -> None:
        """Every password the sandbox and the store hold now, and every temporary password sent."""
        for username in self.usernames:
            account = self.sandbox.account(username)
            self.secrets.update([account.password, *account.password_history])
            if account.codewords is not None:
                self.secrets.update([account.codewords.answer1, account.codewords.answer2])
        self.secrets.update(m.code for m in self.sandbox.messages(channel="email") if m.code)
        try:
            for merchant_id in self.store.merchant_ids():
                self.secrets.add(self.password_of(merchant_id))
        except Exception:  # a test may have broken the store on purpose
            pass

    def leaks(self) -> list[str]:
        found = []
        cvn = re.compile(rf"(?<!\d){CVN}(?!\d)")
        for command, text in self.outputs:
            found += [f"{secret!r} in the output of `{command}`" for secret in self.secrets if secret in text]
            if cvn.search(text):
                found.append(f"the CVN in the output of `{command}`")
        return found


@pytest.fixture(scope="module")
def stopping() -> Iterator[list[threading.Thread]]:
    """Servers stop in the background: each stop waits out the server's poll interval (0.1 s),
    which would otherwise be most of this module's run time. All are joined at the end."""
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join(timeout=5)


@pytest.fixture
def support(sandbox: Sandbox, tmp_path: Path, stopping: list[threading.Thread]) -> Iterator[Support]:
    server = sandbox.serve()
    try:
        helper = Support(sandbox, server.url, tmp_path)
        yield helper
        helper.collect_secrets()
    finally:
        stopping.append(threading.Thread(target=server.stop, name="stop-sandbox-server", daemon=True))
        stopping[-1].start()
    assert not helper.leaks(), helper.leaks()


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _summary(stdout: str) -> dict[str, int]:
    """The table after the blank line: state -> accounts (and "total")."""
    table = stdout.split("\n\n", 1)[1]
    rows = [line.split() for line in _lines(table)]
    assert rows[0] == ["state", "accounts"]
    return {state: int(count) for state, count in rows[1:]}


# -- status ---------------------------------------------------------------------------------------
def test_status_of_an_active_merchant_is_one_line_with_state_and_balance(support):
    support.demo("shop-demo")
    result = support("status", "shop-demo")
    assert result.exit_code == EXIT_OK, result.output
    assert result.stderr == ""
    assert _lines(result.stdout) == [result.stdout.strip()]
    assert result.stdout.split() == ["shop-demo", DEMO_USERNAME, "active", "$100.00"]


@pytest.fixture
def mixed(support: Support) -> Support:
    """Four merchants: active, payment hold, disconnected, and one whose username does not exist."""
    support.demo("shop-active")
    held = support.shop("shop-held", "held-shop", "Held-Passw0rd1", balance="25.50")
    moved = support.shop("shop-moved", "moved-shop", "Moved-Passw0rd1")
    support.sandbox.place_hold(held, "payment_hold")
    support.sandbox.set_password(moved, "Moved-Elsewhere9")
    support.secrets.update(["Moved-Elsewhere9", "Ghost-Passw0rd9"])
    support.store.put(
        "shop-ghost",
        StoredCredentials(
            integration_id=DEMO_INTEGRATION_ID,
            username="no-such-user",
            password="Ghost-Passw0rd9",
            endpoint=support.url,
        ),
    )
    return support


MIXED_STATES = {
    "shop-active": "active",
    "shop-ghost": "invalid_credentials",
    "shop-held": "payment_hold",
    "shop-moved": "disconnected",
}


def test_status_all_lists_each_merchant_then_counts_per_state(mixed):
    result = mixed("status", "--all")
    assert result.exit_code == EXIT_ATTENTION, result.output
    rows, _ = result.stdout.split("\n\n", 1)
    states = {line.split()[0]: line.split()[2] for line in _lines(rows)}
    assert states == MIXED_STATES
    assert "$25.50" in next(line for line in _lines(rows) if line.startswith("shop-held"))
    assert _summary(result.stdout) == {
        "active": 1,
        "disconnected": 1,
        "invalid_credentials": 1,
        "payment_hold": 1,
        "total": 4,
    }
    # several merchants: the progress bar goes to stderr and stdout stays a clean table
    assert "checking" in result.stderr
    assert "checking" not in result.stdout


def test_status_all_is_exit_0_when_every_account_is_active(support):
    support.demo("shop-a")
    support.shop("shop-b", "second-shop", "Second-Passw0rd1")
    result = support("status", "--all")
    assert result.exit_code == EXIT_OK, result.output
    assert _summary(result.stdout) == {"active": 2, "total": 2}


def test_status_needs_one_merchant_or_all(support):
    support.demo("shop-demo")
    for args in ([], ["shop-demo", "--all"]):
        result = support("status", *args)
        assert result.exit_code == EXIT_USAGE
        assert "give one MERCHANT_ID or --all" in result.stderr
        assert result.stdout == ""


def test_an_unknown_merchant_is_not_connected(support):
    result = support("status", "shop-nobody")
    assert result.exit_code == EXIT_ATTENTION
    assert result.stdout.split() == ["shop-nobody", "-", "not_connected", "-"]


# -- --json ---------------------------------------------------------------------------------------
def test_json_for_one_merchant_is_one_object(support):
    support.demo("shop-demo")
    result = support("--json", "status", "shop-demo")
    assert result.exit_code == EXIT_OK
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    assert data.keys() >= _JSON_KEYS
    assert (data["merchant_id"], data["state"], data["active"]) == ("shop-demo", "active", True)
    assert data["account"]["available_postage"] == "100.00"
    assert data["support"]["phone"] == SUPPORT_PHONE


def _json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_json_for_all_is_one_json_line_per_merchant_and_no_progress_bar(mixed):
    result = mixed("--json", "status", "--all")
    assert result.exit_code == EXIT_ATTENTION
    assert result.stderr == ""
    data = _json_lines(result.stdout)
    assert [item["merchant_id"] for item in data] == sorted(MIXED_STATES)  # the store's order
    for item in data:
        assert item.keys() >= _JSON_KEYS, item.keys()
    assert {item["merchant_id"]: item["state"] for item in data} == MIXED_STATES
    assert {item["merchant_id"] for item in data if item["active"]} == {"shop-active"}
    held = next(item for item in data if item["merchant_id"] == "shop-held")
    assert [r["action"] for r in held["automated_remedies"]] == ["replace_payment_method"]
    assert [r["action"] for r in held["manual_remedies"]] == ["contact_support"]


def test_json_after_the_command_name_as_people_type_it(support):
    support.demo("shop-demo")
    after = support("status", "shop-demo", "--json")
    assert after.exit_code == EXIT_OK, after.output
    before = json.loads(support("--json", "status", "shop-demo").stdout)
    data = json.loads(after.stdout)
    assert data.keys() == before.keys()
    assert (data["merchant_id"], data["state"]) == ("shop-demo", "active")
    assert [item["merchant_id"] for item in _json_lines(support("status", "--all", "--json").stdout)] == ["shop-demo"]


def test_json_for_all_is_json_lines_even_with_one_merchant(support):
    support.demo("shop-demo")
    result = support("--json", "status", "--all")
    assert len(result.stdout.splitlines()) == 1
    assert json.loads(result.stdout)["merchant_id"] == "shop-demo"


def test_json_of_unsuspend_is_the_remedy_report(support):
    username = support.shop("shop-held", "held-shop", "Held-Passw0rd1")
    support.sandbox.place_hold(username, "payment_hold")
    result = support("--json", "unsuspend", "shop-held", "--payment-file", support.payment_file(VISA))
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    assert data["active"] is True
    assert (data["before"]["state"], data["after"]["state"]) == ("payment_hold", "active")
    assert [(s["action"], s["ok"]) for s in data["steps"]] == [("replace_payment_method", True)]


# -- diagnose -------------------------------------------------------------------------------------
def test_diagnose_an_admin_hold_needs_a_person_and_gives_the_support_phone(support):
    username = support.shop("shop-admin", "admin-shop", "Admin-Passw0rd1")
    support.sandbox.place_hold(username, "admin_hold")
    result = support("diagnose", "shop-admin")
    assert result.exit_code == EXIT_ATTENTION
    out = result.stdout
    assert "merchant shop-admin (admin-shop)" in out
    assert "state:   admin_hold" in out
    assert "reason:  The provider placed an administrative hold on the account." in out
    assert "needs a person: call the provider's support to lift it" in out
    assert "the SDK can:" not in out
    assert f"support: Stamps.com One Balance support, {SUPPORT_PHONE}" in out


def test_diagnose_splits_what_the_sdk_can_do_from_what_needs_a_person(support):
    username = support.shop("shop-held", "held-shop", "Held-Passw0rd1")
    support.sandbox.place_hold(username, "payment_hold")
    out = support("diagnose", "shop-held").stdout
    assert "reason:  Payment hold: the payment method on file was declined." in out
    assert "the SDK can: replace the declined payment method (needs: card or bank account)" in out
    assert "needs a person: call the provider's support to lift it" in out
    assert SUPPORT_PHONE in out


def test_diagnose_a_disconnected_account_names_what_the_sdk_needs(mixed):
    result = mixed("diagnose", "shop-moved")
    assert result.exit_code == EXIT_ATTENTION
    assert "state:   disconnected" in result.stdout
    assert "(needs: password)" in result.stdout
    assert "needs a person" not in result.stdout


def test_diagnose_names_the_command_that_fixes_each_state_and_it_does(mixed):
    out = _lines(mixed("diagnose", "shop-moved").stdout)
    reconnect = out[out.index(next(line for line in out if "(needs: password)" in line)) + 1]
    assert reconnect.strip() == (
        "next: onebalance account reconnect shop-moved --password-stdin (the merchant's current password on "
        "standard input)"
    )
    reset = out[out.index(next(line for line in out if "(needs: codeword answers" in line)) + 1]
    assert reset.strip().startswith("next: onebalance account reset-password shop-moved (shows the codeword questions")
    # the support agent runs what it names
    args = reconnect.split("next: onebalance account ", 1)[1].split(" (")[0].split()
    assert mixed(*args, input="Moved-Elsewhere9\n").exit_code == EXIT_OK
    assert mixed("status", "shop-moved").exit_code == EXIT_OK

    held = mixed("diagnose", "shop-held").stdout
    assert "    next: onebalance account unsuspend shop-held --payment-file card.json" in held
    result = mixed("unsuspend", "shop-held", "--payment-file", mixed.payment_file(VISA))
    assert result.exit_code == EXIT_OK, result.output


def test_diagnose_json_lists_the_next_commands(mixed):
    data = json.loads(mixed("diagnose", "shop-held", "--json").stdout)
    assert data["next"] == [
        "onebalance account unsuspend shop-held --payment-file card.json (a card or bank account as JSON, mode 0600)"
    ]
    assert json.loads(mixed("--json", "diagnose", "shop-active").stdout)["next"] == []


# -- reconnect ------------------------------------------------------------------------------------
def test_reconnect_with_the_new_password_on_stdin(mixed):
    result = mixed("reconnect", "shop-moved", "--password-stdin", input="Moved-Elsewhere9\n")
    assert result.exit_code == EXIT_OK, result.output
    assert "merchant shop-moved: disconnected -> active" in result.stdout
    assert "ok  reauthenticate: logged in and stored the credentials (now active)" in result.stdout
    assert mixed.password_of("shop-moved") == "Moved-Elsewhere9"
    assert mixed("status", "shop-moved").exit_code == EXIT_OK


def test_reconnect_without_the_password_tries_the_stored_one_once_then_never_again(mixed):
    result = mixed("reconnect", "shop-moved")
    assert result.exit_code == EXIT_ATTENTION
    assert "disconnected -> disconnected" in result.stdout
    assert "ERR reauthenticate" in result.stdout
    stored = mixed.store.get("shop-moved")
    assert stored.status == "disconnected"
    assert stored.password_value() != "Moved-Elsewhere9"
    failures = mixed.sandbox.account("moved-shop").failed_logins
    for _ in range(6):  # a scheduled check must never lock the account
        assert mixed("status", "shop-moved").exit_code == EXIT_ATTENTION
    assert mixed.sandbox.account("moved-shop").failed_logins == failures
    assert mixed.sandbox.account("moved-shop").password == "Moved-Elsewhere9"


def test_reconnect_with_a_mistyped_password_leaves_a_working_account_as_it_was(mixed):
    """The stored password works: nothing is sent with the typed one, and nothing changes."""
    before = mixed.store.get("shop-active")
    failures = mixed.sandbox.account(DEMO_USERNAME).failed_logins
    result = mixed("reconnect", "shop-active", "--password-stdin", input="Mistyped-Passw0rd\n")
    assert result.exit_code == EXIT_OK, result.output
    assert "merchant shop-active: active -> active" in result.stdout
    assert "already active: nothing to do" in result.stdout
    assert mixed.store.get("shop-active") == before
    assert mixed.sandbox.account(DEMO_USERNAME).failed_logins == failures
    assert mixed("status", "shop-active").exit_code == EXIT_OK
    held = mixed("reconnect", "shop-held", "--password-stdin", input="Mistyped-Passw0rd\n")
    assert held.exit_code == EXIT_ATTENTION  # on hold, but its stored password works: left alone
    assert "already connected (the stored password works): nothing to do" in held.stdout
    assert mixed.store.get("shop-held").status == "connected"


def test_reconnect_with_a_refused_new_password_leaves_the_stored_record_as_it_was(mixed):
    assert mixed("status", "shop-moved").exit_code == EXIT_ATTENTION  # the stored password is refused: marked
    kept = mixed.store.get("shop-moved")
    assert kept.status == "disconnected"
    result = mixed("reconnect", "shop-moved", "--password-stdin", input="Still-Wrong-Passw0rd\n")
    assert result.exit_code == EXIT_ATTENTION
    assert "ERR reauthenticate: AuthenticationFailed" in result.stdout
    assert mixed.store.get("shop-moved") == kept  # the typed password was refused: the record is untouched


def test_a_store_path_that_does_not_exist_is_a_usage_error_and_nothing_is_created(mixed):
    missing = mixed.tmp_path / "credentails.json"  # a typo
    for args in (("status", "--all"), ("diagnose", "shop-active"), ("reconnect", "--all")):
        result = mixed(*args, env={"ONEBALANCE_CREDENTIALS_STORE": str(missing)})
        assert result.exit_code == EXIT_USAGE, (args, result.output)
        assert f"the credential store {missing} does not exist" in result.stderr
        assert "total" not in result.stdout
    assert sorted(p.name for p in mixed.tmp_path.iterdir() if p.name.startswith("credentails")) == []


def test_reconnect_password_stdin_is_for_one_merchant(mixed):
    result = mixed("reconnect", "--all", "--password-stdin", input="Moved-Elsewhere9\n")
    assert result.exit_code == EXIT_USAGE
    assert "one merchant at a time" in result.stderr


# -- unsuspend ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("number", "last4"), [(VISA, "1111"), (MASTERCARD, "4444")])
def test_unsuspend_a_payment_hold_with_a_card_file(support, number, last4):
    username = support.shop("shop-held", "held-shop", "Held-Passw0rd1")
    support.sandbox.place_hold(username, "payment_hold")
    result = support("unsuspend", "shop-held", "--payment-file", support.payment_file(number))
    assert result.exit_code == EXIT_OK, result.output
    assert "merchant shop-held: payment_hold -> active" in result.stdout
    assert f"added the new payment method (ending {last4}) as the default (now active)" in result.stdout
    assert support.sandbox.account(username).status.value == "Active"


def test_unsuspend_an_admin_hold_needs_support(support):
    username = support.shop("shop-admin", "admin-shop", "Admin-Passw0rd1")
    support.sandbox.place_hold(username, "admin_hold")
    result = support("unsuspend", "shop-admin", "--payment-file", support.payment_file(VISA))
    assert result.exit_code == EXIT_ATTENTION
    assert "admin_hold -> admin_hold" in result.stdout
    assert "nothing the SDK can do without more input" in result.stdout
    assert SUPPORT_PHONE in result.stdout
    assert support.sandbox.account(username).status.value == "AdminHold"


def test_unsuspend_an_expired_password_generates_and_stores_a_new_one(support):
    username = support.shop("shop-expired", "expired-shop", "Expired-Passw0rd1")
    support.sandbox.expire_password(username)
    result = support("unsuspend", "shop-expired")
    assert result.exit_code == EXIT_OK, result.output
    assert "password_expired -> active" in result.stdout
    assert "ok  change_password: changed the password and stored it (now active)" in result.stdout
    new_password = support.password_of("shop-expired")
    assert new_password != "Expired-Passw0rd1"
    assert support.sandbox.account(username).password == new_password


@pytest.mark.parametrize(
    "inputs",
    [
        ["--payment-file", "CARD"],
        ["--codeword-answers", *ANSWERS],
        ["--temporary-password", "Temporary-Pass9"],
        ["--verification-code", "123456"],
        ["--password-stdin"],
        ["--new-password-stdin"],
    ],
)
def test_unsuspend_all_refuses_inputs_for_one_merchant(mixed, inputs):
    inputs = [mixed.payment_file(VISA) if arg == "CARD" else arg for arg in inputs]
    result = mixed("unsuspend", "--all", *inputs, input="Moved-Elsewhere9\n")
    assert result.exit_code == EXIT_USAGE
    assert "inputs for one merchant cannot be used with --all" in result.stderr
    assert mixed.sandbox.account("held-shop").status.value == "PaymentHold"  # nothing was done


def test_unsuspend_all_refuses_inputs_even_with_one_merchant_stored(support):
    username = support.shop("shop-held", "held-shop", "Held-Passw0rd1")
    support.sandbox.place_hold(username, "payment_hold")
    result = support("unsuspend", "--all", "--payment-file", support.payment_file(VISA))
    assert result.exit_code == EXIT_USAGE


def test_unsuspend_with_an_invalid_card_number_is_a_usage_error_without_the_number(support):
    username = support.shop("shop-held", "held-shop", "Held-Passw0rd1")
    support.sandbox.place_hold(username, "payment_hold")
    result = support("unsuspend", "shop-held", "--payment-file", support.payment_file(BAD_CARD))
    assert result.exit_code == EXIT_USAGE
    assert "payment file: The card number is not valid" in result.stderr
    assert BAD_CARD not in result.output
    assert support.sandbox.account(username).status.value == "PaymentHold"


def test_a_payment_file_others_can_read_is_refused_and_nothing_is_sent(support):
    username = support.shop("shop-held", "held-shop", "Held-Passw0rd1")
    support.sandbox.place_hold(username, "payment_hold")
    card = Path(support.payment_file(VISA))
    card.chmod(0o644)
    result = support("unsuspend", "shop-held", "--payment-file", str(card))
    assert result.exit_code == EXIT_USAGE
    assert f"the payment file {card} has mode 0644" in result.stderr
    assert f"chmod 600 {card}" in result.stderr
    assert support.sandbox.account(username).status.value == "PaymentHold"
    assert [m.last4 for m in support.sandbox.account(username).payment_methods] == ["1111"]
    card.chmod(0o600)
    assert support("unsuspend", "shop-held", "--payment-file", str(card)).exit_code == EXIT_OK


# -- reset-password -------------------------------------------------------------------------------
def test_reset_password_in_three_steps(support):
    username = support.shop("shop-locked", "locked-shop", "Locked-Passw0rd1")
    support.sandbox.lock(username)
    assert support("status", "shop-locked").exit_code == EXIT_ATTENTION

    questions = support("reset-password", "shop-locked")
    assert questions.exit_code == EXIT_OK
    assert "questions: What is the name of your first pet? / In what city were you born?" in questions.stdout
    assert "--codeword-answers" in questions.stdout

    started = support("reset-password", "shop-locked", "--codeword-answers", *ANSWERS)
    assert started.exit_code == EXIT_OK, started.output
    assert "step: started" in started.stdout
    temporary = support.sandbox.temporary_password(username)  # the merchant's email
    assert support.password_of("shop-locked") == "Locked-Passw0rd1"

    finished = support("reset-password", "shop-locked", "--temporary-password", temporary)
    assert finished.exit_code == EXIT_OK, finished.output
    assert "state:   active" in finished.stdout
    new_password = support.password_of("shop-locked")
    assert new_password not in ("Locked-Passw0rd1", temporary)
    assert support.sandbox.account(username).password == new_password


def test_reset_password_with_wrong_answers_fails_and_sends_nothing(support):
    username = support.shop("shop-locked", "locked-shop", "Locked-Passw0rd1")
    result = support("reset-password", "shop-locked", "--codeword-answers", "Fido", "Rome")
    assert result.exit_code == EXIT_FAILED
    error, hint = result.stderr.splitlines()
    assert error.startswith("Error: One Balance: CodewordAnswersRefused: The codeword answers are wrong")
    assert "username or password" not in result.stderr
    assert hint.startswith("next: check the answers with the merchant (`onebalance account reset-password shop-locked`")
    assert "Fido" not in result.output
    with pytest.raises(KeyError):
        support.sandbox.temporary_password(username)
    # as the hint says: the answers, in another case, start the reset
    assert support("reset-password", "shop-locked", "--codeword-answers", "REX", "paris").exit_code == EXIT_OK


def test_reset_password_with_a_wrong_temporary_password_says_so(support):
    username = support.shop("shop-locked", "locked-shop", "Locked-Passw0rd1")
    assert support("reset-password", "shop-locked", "--codeword-answers", *ANSWERS).exit_code == EXIT_OK
    result = support("reset-password", "shop-locked", "--temporary-password", "Not-the-temp1")
    assert result.exit_code == EXIT_FAILED
    assert result.stderr.startswith("Error: One Balance: TemporaryPasswordRefused: The temporary password is wrong")
    assert "next: ask the merchant for the temporary password" in result.stderr
    assert support.password_of("shop-locked") == "Locked-Passw0rd1"
    assert support.sandbox.account(username).password == "Locked-Passw0rd1"


# -- close ----------------------------------------------------------------------------------------
ADDRESS = ["--address", "1990 E Grand Ave", "--city", "El Segundo", "--state", "CA", "--zip", "90245"]


def test_close_with_yes_closes_and_forgets_the_merchant(support):
    username = support.shop("shop-closing", "closing-shop", "Closing-Passw0rd1")
    result = support("close", "shop-closing", *ADDRESS, "--yes")
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout.splitlines() == ["merchant_id: shop-closing", "closed: True"]
    assert "shop-closing" not in support.store.merchant_ids()
    assert support.sandbox.account(username).status.value == "Closed"


def test_close_with_a_wrong_address_fails(support):
    username = support.shop("shop-closing", "closing-shop", "Closing-Passw0rd1")
    wrong = [*ADDRESS]
    wrong[1] = "1 Wrong Street"
    result = support("close", "shop-closing", *wrong, "--yes")
    assert result.exit_code == EXIT_FAILED
    assert "002b0902" in result.stderr
    assert "shop-closing" in support.store.merchant_ids()
    assert support.sandbox.account(username).status.value == "Active"


def test_close_asks_first_and_no_keeps_the_account(support):
    username = support.shop("shop-closing", "closing-shop", "Closing-Passw0rd1")
    result = support("close", "shop-closing", *ADDRESS, input="n\n")
    assert result.exit_code == EXIT_USAGE
    assert "It cannot be reopened [y/N]" in result.stdout
    assert "not closed" in result.stderr
    assert "shop-closing" in support.store.merchant_ids()
    assert support.sandbox.account(username).status.value == "Active"
    assert support("close", "shop-closing", *ADDRESS, input="y\n").exit_code == EXIT_OK
    assert support.sandbox.account(username).status.value == "Closed"


# -- configuration --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("unset", "message"),
    [
        ("ONEBALANCE_CREDENTIALS_STORE", "no credential store"),
        ("ONEBALANCE_CREDENTIALS_KEY", "no key to decrypt the credential store; pass --key-file FILE"),
        ("ONEBALANCE_ENDPOINT", "pass --endpoint and --integration-id"),
        ("ONEBALANCE_INTEGRATION_ID", "pass --endpoint and --integration-id"),
    ],
)
def test_missing_configuration_is_exit_4(support, unset, message):
    support.demo("shop-demo")
    for target in ("shop-demo", "--all"):
        result = support("status", target, env={unset: None})
        assert result.exit_code == EXIT_CONFIG, result.output
        assert result.stdout == ""
        assert result.stderr.startswith("Error: ")  # no progress bar's label before it
        assert message in result.stderr
        assert "keys=[" not in result.stderr  # the command's options and variables, not Python's arguments


def test_a_key_file_instead_of_the_environment(support):
    support.demo("shop-demo")
    key_file = support.tmp_path / "store.key"
    key_file.write_text(support.key + "\n")
    key_file.chmod(0o600)
    no_env_key = {"ONEBALANCE_CREDENTIALS_KEY": None}
    assert support("--key-file", str(key_file), "status", "shop-demo", env=no_env_key).exit_code == EXIT_OK
    key_file.chmod(0o644)
    result = support("--key-file", str(key_file), "status", "shop-demo", env=no_env_key)
    assert result.exit_code == EXIT_CONFIG
    assert "chmod 600" in result.stderr
    assert support.key not in result.output


def test_an_invalid_key_is_exit_4_without_the_key(support):
    result = support("status", "--all", env={"ONEBALANCE_CREDENTIALS_KEY": "not-a-fernet-key"})
    assert result.exit_code == EXIT_CONFIG
    assert "is not a valid Fernet key" in result.stderr
    assert "not-a-fernet-key" not in result.output


@pytest.mark.parametrize("target", ["shop-demo", "--all"])
def test_a_wrong_key_for_an_existing_store_is_exit_4(support, target):
    support.demo("shop-demo")
    other_key = EncryptedFileCredentialStore.generate_key()
    support.demo("shop-demo-2")
    result = support("status", target, env={"ONEBALANCE_CREDENTIALS_KEY": other_key})
    assert result.stderr.startswith("Error: the record for merchant 'shop-demo")  # no "checking" line first
    assert "cannot be decrypted" in result.stderr
    assert result.exit_code == EXIT_CONFIG


def test_a_store_others_can_read_is_exit_4(support):
    support.demo("shop-demo")
    support.store_path.chmod(0o644)
    try:
        result = support("status", "--all")
    finally:
        support.store_path.chmod(0o600)
    assert result.exit_code == EXIT_CONFIG
    assert "chmod 600" in result.stderr


# -- the console entry, as a real process ---------------------------------------------------------
def test_the_console_entry_end_to_end(mixed):
    proc = subprocess.run(
        [sys.executable, "-m", "onebalance", "account", "status", "--all"],
        env=mixed.process_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    mixed.outputs.append(("(process) status --all", proc.stdout + proc.stderr))
    assert proc.returncode == EXIT_ATTENTION, proc.stderr
    assert _summary(proc.stdout)["total"] == 4
    assert "checking" in proc.stderr
    assert "Traceback" not in proc.stderr


# -- secrets --------------------------------------------------------------------------------------
def test_no_secret_in_any_output_even_on_failures(mixed):
    """The fixture checks every test's outputs; this one goes through the failure paths on purpose."""
    outputs: list[Result] = [
        mixed("reconnect", "shop-moved", "--password-stdin", input="Wrong-Guess-77\n"),
        mixed("unsuspend", "shop-held", "--payment-file", mixed.payment_file(BAD_CARD)),
        mixed("reset-password", "shop-moved", "--codeword-answers", "Fido", "Rome"),
        mixed("reset-password", "shop-moved", "--temporary-password", "Bogus-Temp-123"),
        mixed("unsuspend", "shop-ghost", "--new-password-stdin", input="short\n"),
        mixed("--json", "diagnose", "--all"),
    ]
    mixed.secrets.update(["Wrong-Guess-77", "Fido", "Rome", "Bogus-Temp-123"])
    assert [r.exit_code for r in outputs] == [
        EXIT_ATTENTION,
        EXIT_USAGE,
        EXIT_FAILED,
        EXIT_FAILED,
        EXIT_FAILED,
        EXIT_ATTENTION,
    ]
    assert "ERR reauthenticate: AuthenticationFailed" in outputs[0].stdout
    assert "InvalidPassword" in outputs[4].stdout
    # a leak in these outputs fails the test here, not only in the fixture's teardown
    mixed.collect_secrets()
    assert not mixed.leaks(), mixed.leaks()
