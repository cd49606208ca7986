"""The public face of the simulated One Balance service: the :class:`Sandbox` (its wire, its
accounts and outbox; its other control methods are in ``_account_controls`` and ``_postage_controls``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from onebalance.swsim import DEFAULT_VERSION, VERSIONS, SwsimVersion, swsim_schema, swsim_version, wsdl_bytes

from .._front._chaos import Faults
from .._front._control import CONTROL_PREFIX, answer_control
from .._front._mount import Mountable
from .._shared._clock import Clock
from .._shared._vocabulary import forward, money
from . import _auth, _ledger
from ._account_models import (
    DEMO_INTEGRATION_ID,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    AccountStatus,
    CostCode,
    PaymentMethod,
    SandboxMessage,
)
from ._dispatch import Dispatcher, Reply, WireObserver
from ._handlers import ACCOUNT_HOOKS, HANDLERS
from ._pages import serve_page
from ._persistence import SqliteStore
from ._pickups import PickupControls
from ._postage_controls import PostageControls
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


class Sandbox(Mountable[SandboxServer], PostageControls, PickupControls):
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
