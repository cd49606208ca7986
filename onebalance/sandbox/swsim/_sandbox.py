"""The public face of the sandbox: control API, and the two ways to mount the dispatcher."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError as PydanticValidationError

from onebalance.swsim import _rules
from onebalance.swsim._soap._schema import swsim_schema, wsdl_bytes
from onebalance.swsim._soap._versions import DEFAULT_VERSION, VERSIONS, SwsimVersion, swsim_version

from .._front._chaos import Faults
from .._front._control import CONTROL_PREFIX, answer_control
from .._front._mount import Mountable
from .._shared._clock import Clock
from .._shared._vocabulary import forward, money
from . import _auth, _ledger, _payments, _postage, _usps
from ._dispatch import Dispatcher, Reply, WireObserver
from ._handlers import ACCOUNT_HOOKS, HANDLERS
from ._models import (
    DEMO_INTEGRATION_ID,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    AccountStatus,
    AutoBuy,
    BillingMethod,
    Charge,
    Codewords,
    CostCode,
    Hold,
    Label,
    LedgerEntry,
    PaymentMethod,
    PurchaseOutcome,
    SandboxMessage,
)
from ._pages import serve_page
from ._persistence import SqliteStore
from ._service import SOAP_PATH, SandboxServer, SwsimService
from ._state import SandboxAccount, SandboxState
from ._urls import DEFAULT_SITE

#: Where the in-process sandbox answers (the default version; each version at its own path on the
#: same host); the ``.test`` domain never resolves, so nothing leaks.
IN_PROCESS_URL = f"{DEFAULT_SITE}{SOAP_PATH}"
#: The payment method a seeded account gets unless ``payment_methods`` is given.
SEEDED_CARD_LAST4 = "1111"
#: The cost codes a seeded account gets unless ``cost_codes`` is given (ids 1, 2, ...).
SEEDED_COST_CODES = ("Default", "Marketing")
#: ``add_funding_account`` kinds and the BillingMethod they pay with.
FUNDING_ACCOUNTS: dict[str, BillingMethod] = {"reserve_account": "EnterprisePaymentAccount", "purchase_power": "OMAS"}
_COST_CODE_NAME_MAX = 30

_LOCATION = re.compile(rb'(<soap:address location=")[^"]*(")')
_VERSION_PATH = re.compile(r"/swsim/swsim(v\d+)\.asmx$", re.IGNORECASE)


@dataclass(frozen=True)
class SandboxCredentials:
    """What a client needs to log in to a sandbox account."""

    url: str
    integration_id: str
    username: str
    password: str

    def __repr__(self) -> str:
        return (
            f"SandboxCredentials(url={self.url!r}, integration_id={self.integration_id!r}, "
            f"username={self.username!r}, password='***')"
        )


class Sandbox(Mountable[SandboxServer]):
    """A stateful simulator of the One Balance (SWSIM v135 and v111) service.

    Each version has its dispatcher, all over the same state, answering at the version's own path;
    they answer in-process (``mock()`` / ``mount()``, through ``responses``) and over real HTTP
    (``serve()``). The control API seeds accounts, sets balances and
    status, places and lifts holds, and moves the clock. ``state_path`` keeps the state in
    SQLite across restarts (the outbox included).

    What the service would send to a person (verification codes by SMS or voice, temporary
    passwords and usernames by email) lands in the **outbox**: see ``outbox``, ``messages``,
    ``verification_code`` and ``temporary_password``.
    """

    def __init__(
        self,
        *,
        state_path: str | Path | None = None,
        clock: Clock | None = None,
        observers: list[WireObserver] | None = None,
    ) -> None:
        self.clock = clock or Clock()
        self.state = SandboxState(clock=self.clock)
        self.state.integrations.add(DEMO_INTEGRATION_ID)
        if state_path is not None:
            self.state.store = SqliteStore(state_path)
            self.state.store.load(self.state)
            _auth.reindex(self.state)
        self.observers: list[WireObserver] = list(observers or [])
        #: One dispatcher per SWSIM version, over the same state; ``dispatcher`` is the default's (v135).
        self.dispatchers = {
            name: Dispatcher(
                self.state, handlers=HANDLERS, account_hooks=ACCOUNT_HOOKS, version=version, observers=self.observers
            )
            for name, version in VERSIONS.items()
        }
        self.dispatcher = self.dispatchers[DEFAULT_VERSION.name]
        swsim_schema(DEFAULT_VERSION)  # the default contract compiled now, not on the first request (v111's then)

        #: Transport fault injection and added latency, in both mounts (see ``_front._chaos``).
        self.faults = Faults()
        self._service = SwsimService(self)

    _server_class = SandboxServer
    _in_process_url = IN_PROCESS_URL

    # -- wire ------------------------------------------------------------------------------------
    def handle(self, body: bytes, soap_action: str | None, *, api_version: str | SwsimVersion | None = None) -> Reply:
        """Answer one SOAP request: the whole simulated service in one call.

        ``api_version`` is the version of the path the request came in on (both mounts pass it). Left
        out, it is the version whose namespace starts ``soap_action`` (the default version when none
        does, which refuses an unknown SOAPAction as the real service does).
        """
        if api_version is None:
            action = (soap_action or "").strip().strip('"')
            api_version = next((v for v in VERSIONS.values() if action.startswith(v.namespace + "/")), None)
        return self.dispatchers[swsim_version(api_version).name].handle(body, soap_action)

    def wsdl(self, url: str | None = None, *, api_version: str | SwsimVersion | None = None) -> bytes:
        """The WSDL of ``api_version`` (default v135) the sandbox serves, its address pointed at ``url``."""
        data = wsdl_bytes(api_version)
        if url:
            data = _LOCATION.sub(lambda m: m.group(1) + url.encode() + m.group(2), data)
        return data

    def page(self, method: str, target: str, body: bytes = b"") -> Reply:
        """Answer a request for one of the sandbox's web pages (``target``: path and query), or
        for the control API under ``/sandbox/control/`` (see ``_control``).

        These are the pages GetURL points at; both mounts route ``/sandbox/...`` here.
        """
        path = target.split("?", 1)[0]
        if path.startswith(CONTROL_PREFIX):
            status, headers, data = answer_control(
                self._service.controls, self.faults, method, path[len(CONTROL_PREFIX) :], body
            )
            return Reply(status, data, headers["Content-Type"])
        return serve_page(self.state, method, target)

    # -- control API -----------------------------------------------------------------------------
    def add_integration(self, integration_id: str) -> None:
        with self.state.lock:
            self.state.integrations.add(integration_id.lower())
            if self.state.store is not None:
                self.state.store.save(self.state, [])

    def create_account(
        self,
        username: str,
        password: str,
        *,
        integration_id: str = DEMO_INTEGRATION_ID,
        balance: Decimal | str | int = Decimal("0.00"),
        max_postage_balance: Decimal | str | int = Decimal("500.00"),
        status: AccountStatus = AccountStatus.ACTIVE,
        capabilities: Mapping[str, bool] | None = None,
        **fields: Any,
    ) -> SandboxAccount:
        """Seed an account; returns a copy of it. ``capabilities`` overrides flags by wire name.

        ``status`` puts the account in that condition (see ``set_status``). ``**fields`` sets any
        other ``SandboxAccount`` field, for example ``phone_verified=False``,
        ``terms_accepted=False``, ``holds=["admin_hold"]``, ``codewords=Codewords(...)`` or
        ``payment_methods=[...]``. Unless ``payment_methods`` is given, the account gets one
        default Visa card ending in 1111, and unless ``cost_codes`` is given, the cost codes
        1 "Default" and 2 "Marketing". ``has_mailstation=True`` gives it a Mailstation device.

        The balance (and a ``control_total`` among ``fields``) is recorded in the ledger as an
        opening Adjustment. ValueError if the balance is not whole cents in [0, maximum].
        """
        with self.state.lock:
            if username.lower() in self.state.accounts:
                raise ValueError(f"sandbox account {username!r} exists already")
            opening = money(fields.pop("available_postage", balance), "balance")
            maximum = money(max_postage_balance, "max_postage_balance")
            control_total = money(fields.pop("control_total", 0), "control_total")
            if not 0 <= opening <= maximum or control_total < 0:
                raise ValueError(f"a balance of {opening} (control total {control_total}) does not fit [0, {maximum}]")
            if "cost_codes" not in fields:
                fields["cost_codes"] = [CostCode(id=i, name=n) for i, n in enumerate(SEEDED_COST_CODES, 1)]
            self.state.integrations.add(integration_id.lower())
            if "payment_methods" not in fields:
                today = self.clock.now().date()
                fields["payment_methods"] = [
                    PaymentMethod(
                        id=str(self.state.next_id("payment_method", 700000)),
                        card_type="Visa",
                        last4=SEEDED_CARD_LAST4,
                        expires=date(today.year + 3, 12, 1),
                        default=True,
                    )
                ]
            account = self.state.add_account(
                integration_id=integration_id,
                username=username,
                password=password,
                available_postage=opening,
                control_total=control_total,
                max_postage_balance=maximum,
                status=status,
                **fields,
            )
            if capabilities:
                account.capabilities.update(capabilities)
            _ledger.open_ledger(self.state, account, "opening balance")
            self.state.flush()
            return account.model_copy(deep=True)

    def create_demo_account(self, balance: Decimal | str | int = Decimal("100.00")) -> SandboxCredentials:
        """The documented demo account (idempotent). Returns its credentials (URL left empty)."""
        with self.state.lock:
            if DEMO_USERNAME.lower() not in self.state.accounts:
                self.create_account(DEMO_USERNAME, DEMO_PASSWORD, balance=balance, email="demo@onebalance.test")
        return SandboxCredentials("", DEMO_INTEGRATION_ID, DEMO_USERNAME, DEMO_PASSWORD)

    def account(self, username: str) -> SandboxAccount:
        """A copy of an account's current state."""
        with self.state.lock:
            return self._get(username).model_copy(deep=True)

    def set_balance(
        self, username: str, available: Decimal | str | int, control_total: Decimal | str | int | None = None
    ) -> None:
        """Set AvailablePostage (and ControlTotal, if given), recorded as one Adjustment in the ledger.

        The Adjustment credits or debits the difference; a new control total is recorded as
        postage declared consumed outside the ledger. ValueError if the balance is not whole
        cents in [0, maximum] or the control total is negative.
        """
        with self.state.lock:
            account = self._get(username)
            amount = money(available, "available")
            total = None if control_total is None else money(control_total, "control_total")
            if not 0 <= amount <= account.max_postage_balance or (total is not None and total < 0):
                raise ValueError(f"a balance of {amount} does not fit [0, {account.max_postage_balance}]")
            _ledger.set_balance(self.state, account, amount, total, "set_balance")
            self.state.flush()

    # -- postage ---------------------------------------------------------------------------------
    def print_postage(self, username: str, amount: Decimal | str | int, memo: str = "") -> list[LedgerEntry]:
        """Another application prints a label: a Print entry debits ``amount`` and raises the
        control total (so a client's ControlTotal is stale), then the service-side auto-buy runs.

        Returns copies of the entries added (the Print, and the auto-buy's Purchase if one was
        made). ValueError if the balance is short (insufficient postage) or the amount is not
        a positive number of cents. Holds do not stop it: the printing happened elsewhere.
        """
        with self.state.lock:
            account = self._get(username)
            entries = _ledger.debit_for_print(self.state, account, money(amount), memo)
            self.state.flush()
            return [e.model_copy() for e in entries]

    def refund(self, username: str, amount: Decimal | str | int, memo: str = "") -> LedgerEntry:
        """A printed label was refunded: a Refund entry credits ``amount`` and lowers the control total.

        Nothing is clamped: ValueError if the amount is not positive, is more than the postage
        consumed (the control total), or would take the balance above its maximum.
        """
        with self.state.lock:
            account = self._get(username)
            value = money(amount)
            if value <= 0:
                raise ValueError(f"a refund is a positive amount, not {value}")
            if value > account.control_total:
                raise ValueError(f"cannot refund {value}: only {account.control_total} of postage was consumed")
            if account.available_postage + value > account.max_postage_balance:
                raise ValueError(
                    f"a refund of {value} would take the balance above its maximum of {account.max_postage_balance}"
                )
            entry = _ledger.post(self.state, account, "Refund", credit=value, memo=memo)
            self.state.flush()
            return entry.model_copy()

    def adjust(self, username: str, amount: Decimal | str | int, memo: str = "") -> LedgerEntry:
        """The provider corrects the balance: an Adjustment of ``amount`` (positive credits, negative
        debits). The control total does not move. ValueError if the balance would leave [0, maximum]."""
        return self._credit_or_adjust(username, "Adjustment", amount, memo)

    def credit(self, username: str, amount: Decimal | str | int, memo: str = "") -> LedgerEntry:
        """The provider credits postage (a promotion, a goodwill credit): a Credit entry of a positive
        ``amount``. ValueError if the balance would exceed its maximum."""
        if money(amount) <= 0:
            raise ValueError(f"a credit is a positive amount, not {amount}")
        return self._credit_or_adjust(username, "Credit", amount, memo)

    def _credit_or_adjust(
        self, username: str, kind: Literal["Credit", "Adjustment"], amount: Decimal | str | int, memo: str
    ) -> LedgerEntry:
        with self.state.lock:
            account = self._get(username)
            value = money(amount)
            if not value:
                raise ValueError("an adjustment of 0.00 changes nothing")
            if not 0 <= account.available_postage + value <= account.max_postage_balance:
                raise ValueError(
                    f"{kind.lower()} of {value} would take the balance {account.available_postage} "
                    f"outside [0, {account.max_postage_balance}]"
                )
            entry = _ledger.post(
                self.state,
                account,
                kind,
                credit=value if value > 0 else _ledger.ZERO,
                cost=-value if value < 0 else _ledger.ZERO,
                memo=memo,
            )
            self.state.flush()
            return entry.model_copy()

    def ledger(self, username: str) -> list[LedgerEntry]:
        """Copies of the account's ledger entries, oldest first."""
        with self.state.lock:
            return [e.model_copy() for e in self._get(username).ledger]

    def charges(self, username: str) -> list[Charge]:
        """Copies of what the account's purchases charged to its payment methods, oldest first."""
        with self.state.lock:
            return [c.model_copy() for c in self._get(username).charges]

    def check_ledger(self, username: str) -> None:
        """Check the ledger invariants (see ``_ledger``); AssertionError listing every problem."""
        with self.state.lock:
            found = _ledger.problems(self._get(username))
        if found:
            raise AssertionError(f"the ledger of sandbox account {username!r} is inconsistent:\n" + "\n".join(found))

    def set_mailstation(self, username: str, value: bool) -> None:
        """Give the account a Mailstation device (or take it away): credit-card purchases then pay a 3.5% fee."""
        self._update(username, lambda a: setattr(a, "has_mailstation", bool(value)))

    def add_funding_account(self, username: str, kind: str) -> PaymentMethod:
        """Add a Reserve Account (``"reserve_account"``, BillingMethod EnterprisePaymentAccount) or
        Purchase Power (``"purchase_power"``, BillingMethod OMAS) and make it the default (which
        lifts a payment hold). Neither pays an administrative fee. Returns a copy of it."""
        if kind not in FUNDING_ACCOUNTS:
            raise ValueError(f"kind must be one of {sorted(FUNDING_ACCOUNTS)}, not {kind!r}")
        with self.state.lock:
            account = self._get(username)
            method_id = str(self.state.next_id("payment_method", 700000))
            method = PaymentMethod(
                id=method_id,
                billing_method=FUNDING_ACCOUNTS[kind],
                last4=method_id[-4:],
            )
            _payments.store(self.state, account, method, default=True)
            self.state.touch(account)
            self.state.flush()
            return method.model_copy()

    def set_next_purchase_outcome(self, username: str, status: str, rejection_code: str | None = None) -> None:
        """Make the account's next PurchasePostage (not an auto-buy) answer ``status`` once its checks pass.

        ``"Rejected"`` answers Rejected with ``rejection_code`` (CustomerActionRequired,
        SystemFailure or RejectedDueToFraud; CustomerActionRequired if omitted): nothing is
        bought, no hold is placed. ``"Pending"`` or ``"Processing"`` answer that status: the
        purchase completes on the account's next GetAccountInfo. ``"Success"`` clears the knob.
        """
        if status == "Success":
            outcome = None
        else:
            try:
                outcome = PurchaseOutcome.model_validate({"status": status, "rejection_code": rejection_code})
            except PydanticValidationError as exc:
                raise ValueError(str(exc)) from None
            if status != "Rejected" and rejection_code is not None:
                raise ValueError("a rejection code goes only with the status Rejected")
        self._update(username, lambda a: setattr(a, "next_purchase_outcome", outcome))

    def set_cost_codes(self, username: str, names: list[str]) -> list[CostCode]:
        """Replace the account's cost codes (EnumCostCodes). A name kept keeps its id; new names get
        new ids. ValueError for an empty, duplicate or over-30-character name, or more than the
        account's CostCodeLimit. Returns copies of them."""
        with self.state.lock:
            account = self._get(username)
            if len({n.casefold() for n in names}) != len(names):
                raise ValueError("cost code names must be unique")
            if len(names) > account.cost_code_limit:
                raise ValueError(f"the account may have at most {account.cost_code_limit} cost codes")
            for name in names:
                if not name.strip() or len(name) > _COST_CODE_NAME_MAX:
                    raise ValueError(f"a cost code name has 1 to {_COST_CODE_NAME_MAX} characters: {name!r}")
            ids = {c.name: c.id for c in account.cost_codes}
            next_id = max([c.id for c in account.cost_codes], default=0)
            codes = []
            for name in names:
                if name not in ids:
                    next_id += 1
                    ids[name] = next_id
                codes.append(CostCode(id=ids[name], name=name))
            account.cost_codes = codes
            self.state.touch(account)
            self.state.flush()
            return [c.model_copy() for c in codes]

    def set_monthly_limit(self, username: str, amount: int | str) -> None:
        """Set MonthlyPostagePurchaseLimit (whole dollars; purchases and auto-buys of the calendar month count)."""
        value = money(amount, "the monthly limit")
        if value != value.to_integral_value() or value < 0:
            raise ValueError(f"the monthly limit is a whole, non-negative number of dollars, not {amount!r}")
        self._update(username, lambda a: setattr(a, "monthly_postage_purchase_limit", int(value)))

    def set_auto_buy(
        self,
        username: str,
        enabled: bool,
        purchase_amount: Decimal | str | int = "0.00",
        trigger_amount: Decimal | str | int = "0.00",
    ) -> None:
        """Set the auto-buy settings as SetAutoBuy would, without its hold and permission checks.

        ValueError for settings SetAutoBuy refuses (trigger <= 0, purchase < $10.00, their sum
        above the maximum balance).
        """
        auto = AutoBuy(
            enabled=bool(enabled),
            purchase_amount=money(purchase_amount, "purchase_amount"),
            trigger_amount=money(trigger_amount, "trigger_amount"),
        )
        with self.state.lock:
            account = self._get(username)
            problem = _postage.auto_buy_problem(auto, account.max_postage_balance)
            if problem is not None:
                raise ValueError(f"{problem[1]} [{problem[0]}]")
            account.auto_buy = auto
            self.state.touch(account)
            self.state.flush()

    # -- labels ----------------------------------------------------------------------------------
    def set_label_surcharge(self, username: str, amount: Decimal | str | int) -> None:
        """Every label CreateIndicium prints for the account from now on costs ``amount`` more than
        its rate (a re-rating at print time: the Amount answered and debited includes it); "0.00"
        stops it. Sample labels stay free. ``ValueError`` for a negative amount."""
        value = money(amount, "the label surcharge")
        if value < 0:
            raise ValueError(f"the label surcharge cannot be negative, not {amount!r}")
        self._update(username, lambda a: setattr(a, "label_surcharge", value))

    def approve_refunds(self, username: str) -> list[Label]:
        """USPS approves every pending refund of the account's voided labels: each is credited
        (a Refund entry; the control total goes down). Returns copies of the labels refunded. A
        refund that would take the balance above its maximum stays pending."""
        with self.state.lock:
            account = self._get(username)
            approved = _usps.approve_refunds(self.state, account)
            self.state.flush()
            return [label.model_copy() for label in approved]

    def labels(self, username: str) -> list[Label]:
        """Copies of the labels CreateIndicium printed for the account, oldest first."""
        with self.state.lock:
            return [label.model_copy() for label in self._get(username).labels]

    def label(self, username: str, stamps_tx_id: str) -> Label:
        """A copy of one label by its StampsTxID; KeyError if the account has none such."""
        with self.state.lock:
            for label in self._get(username).labels:
                if label.stamps_tx_id == stamps_tx_id.lower():
                    return label.model_copy()
        raise KeyError(f"no label {stamps_tx_id!r} for {username!r}")

    def set_status(self, username: str, status: AccountStatus) -> None:
        """Put the account in ``status``'s condition, on top of the others it is in.

        ``PAYMENT_HOLD``, ``ADMIN_HOLD`` and ``ACTIVITY_BLOCKED`` place that hold, ``LOCKED``
        locks, ``CLOSED`` closes, ``PASSWORD_EXPIRED`` expires the password,
        ``VERIFICATION_REQUIRED`` un-verifies the phone and ``TERMS_REQUIRED`` withdraws the
        terms. ``ACTIVE`` clears every condition: a plain active account again. What
        GetAccountInfo then reports is the first condition in ``AccountStatus``'s order.
        """
        self._update(username, lambda a: a.set_status(AccountStatus(status)))

    def set_password(self, username: str, password: str) -> None:
        """Change the password behind the platform's back (as a user would on the provider's site).

        The password rules are not applied. It ends a password expiry and a reset in progress.
        """
        self._update(username, lambda a: a.change_password(password))

    def place_hold(self, username: str, reason: Hold | str) -> None:
        """Place a hold: ``"payment_hold"``, ``"admin_hold"`` or ``"activity_blocked"``.

        A payment hold is lifted when a usable payment method becomes the default (or by
        ``lift_hold``); the others only by ``lift_hold`` (or ``set_status(ACTIVE)``).
        """
        self._update(username, lambda a: a.place_hold(Hold(reason)))

    def lift_hold(self, username: str, reason: Hold | str) -> None:
        self._update(username, lambda a: a.lift_hold(Hold(reason)))

    def decline_payment_method(self, username: str, hold: bool = True) -> None:
        """The default payment method was declined: it is marked so, and a payment hold is placed.

        ``hold=False`` only marks it: the next purchase that charges it is then rejected
        (CustomerActionRequired), and that places the hold.
        """

        def decline(account: SandboxAccount) -> None:
            method = account.default_payment_method
            if method is None:
                raise ValueError(f"sandbox account {username!r} has no payment method")
            method.declined = True
            if hold:
                account.place_hold(Hold.PAYMENT_HOLD)

        self._update(username, decline)

    def expire_password(self, username: str) -> None:
        """Expire the password: AuthenticateUser says ``PasswordExpired=true``, and every call but
        GetAccountInfo and ChangePassword answers 002b0608 until the password is changed."""
        self._update(username, lambda a: setattr(a, "password_expired", True))

    def set_terms_accepted(self, username: str, accepted: bool) -> None:
        """Accept or withdraw the general terms (``Terms.TermsGP``; AccountStatus ``TermsRequired``)."""
        self._update(username, lambda a: setattr(a, "terms_accepted", accepted))

    def lock(self, username: str) -> None:
        """Lock the account, as 5 failed logins would: logins and tokens answer 002b0607."""
        self._update(username, lambda a: setattr(a, "locked", True))

    def unlock(self, username: str) -> None:
        """Unlock the account and forget its failed logins."""

        def unlock(account: SandboxAccount) -> None:
            account.locked = False
            account.failed_logins = 0

        self._update(username, unlock)

    def set_codewords(self, username: str, type1: str, answer1: str, type2: str, answer2: str) -> None:
        """Set the security questions (CodewordType names) and answers; checked like SetCodeWords."""
        violation = _rules.codewords_violation(type1, answer1, type2, answer2)
        if violation:
            raise ValueError(violation[1])
        codewords = Codewords(type1=type1, answer1=answer1.strip(), type2=type2, answer2=answer2.strip())
        self._update(username, lambda a: setattr(a, "codewords", codewords))

    def verify_phone(self, username: str, phone: str | None = None) -> None:
        """Mark the phone verified, as FinishAccountVerification would (``phone``: the account's by default)."""

        def verify(account: SandboxAccount) -> None:
            number = _rules.normalize_phone(phone or account.address.get("PhoneNumber") or "")
            account.phone_verified = True
            account.verification_phone = number or phone or account.verification_phone
            account.verification = None

        self._update(username, verify)

    # -- outbox ----------------------------------------------------------------------------------
    @property
    def outbox(self) -> list[SandboxMessage]:
        """Every message the sandbox "sent" (its last 1000), oldest first. Messages are frozen."""
        with self.state.lock:
            return list(self.state.outbox)

    def messages(
        self, to: str | None = None, channel: Literal["sms", "voice", "email"] | None = None
    ) -> list[SandboxMessage]:
        """The outbox's messages to ``to`` (an email address or phone number) and/or by ``channel``."""
        return [
            m
            for m in self.outbox
            if (to is None or m.to.lower() == to.lower()) and (channel is None or m.channel == channel)
        ]

    def verification_code(self, username: str) -> str:
        """The latest phone verification code sent to the account (KeyError if none was)."""
        return self._latest_code(username, ("sms", "voice"), "verification code")

    def temporary_password(self, username: str) -> str:
        """The latest temporary password emailed to the account (KeyError if none was)."""
        return self._latest_code(username, ("email",), "temporary password")

    def _latest_code(self, username: str, channels: tuple[str, ...], what: str) -> str:
        for message in reversed(self.outbox):
            if message.username.lower() == username.lower() and message.channel in channels and message.code:
                return message.code
        raise KeyError(f"no {what} was sent to sandbox account {username!r}")

    def set_capability(self, username: str, name: str, value: bool) -> None:
        with self.state.lock:
            account = self._get(username)
            account.capabilities[name] = value
            self.state.touch(account)
            self.state.flush()

    def advance_clock(self, delta: timedelta | float) -> datetime:
        """Move the sandbox clock forward (a timedelta or seconds); returns the sandbox's new time.
        ValueError for a negative or malformed ``delta``."""
        self.clock.advance(forward(delta))
        with self.state.lock:
            if self.state.store is not None:
                self.state.store.save(self.state, [])
        return self.clock.now()

    def close(self) -> None:
        if self.state.store is not None:
            self.state.store.close()

    def _update(self, username: str, change: Callable[[SandboxAccount], object]) -> None:
        with self.state.lock:
            account = self._get(username)
            change(account)
            self.state.touch(account)
            self.state.flush()

    def _get(self, username: str) -> SandboxAccount:
        try:
            return self.state.accounts[username.lower()]
        except KeyError:
            raise KeyError(f"no sandbox account {username!r}") from None
