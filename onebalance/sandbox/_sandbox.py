"""The public face of the sandbox: control API, and the two ways to mount the dispatcher."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._soap._schema import wsdl_bytes
from . import _auth, _handlers  # noqa: F401 - registers the handlers
from ._clock import Clock
from ._core import Dispatcher, Reply, SandboxState, WireObserver
from ._server import SOAP_PATH, SandboxServer
from ._state import (
    DEMO_INTEGRATION_ID,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    AccountStatus,
    SandboxAccount,
)
from ._store import SqliteStore

if TYPE_CHECKING:
    import responses

#: Where the in-process sandbox answers; the ``.test`` domain never resolves, so nothing leaks.
IN_PROCESS_URL = f"https://swsim.sandbox.onebalance.test{SOAP_PATH}"

_LOCATION = re.compile(rb'(<soap:address location=")[^"]*(")')


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


class Sandbox:
    """A stateful simulator of the One Balance (SWSIM v111) service.

    The same dispatcher answers in-process (``mock()`` / ``mount()``, through ``responses``)
    and over real HTTP (``serve()``). The control API seeds accounts, sets balances and
    status, and moves the clock. ``state_path`` keeps the state in SQLite across restarts.
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
        self.dispatcher = Dispatcher(self.state, observers=self.observers)

    # -- wire ------------------------------------------------------------------------------------
    def handle(self, body: bytes, soap_action: str | None) -> Reply:
        """Answer one SOAP request: the whole simulated service in one call."""
        return self.dispatcher.handle(body, soap_action)

    def wsdl(self, url: str | None = None) -> bytes:
        """The WSDL the sandbox serves, its address pointed at ``url``."""
        data = wsdl_bytes()
        if url:
            data = _LOCATION.sub(lambda m: m.group(1) + url.encode() + m.group(2), data)
        return data

    # -- mounting --------------------------------------------------------------------------------
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
        """Start a threaded HTTP server; use as a context manager or call ``stop()``."""
        return SandboxServer(self, host, port).start()

    def mount(self, mock: responses.RequestsMock, url: str = IN_PROCESS_URL) -> str:
        """Answer requests to ``url`` through an existing ``responses`` mock. Returns ``url``."""
        import responses as _responses

        def soap(request: Any) -> tuple[int, dict[str, str], bytes]:
            body = request.body or b""
            reply = self.handle(body.encode() if isinstance(body, str) else body, request.headers.get("SOAPAction"))
            return reply.status, {"Content-Type": reply.content_type}, reply.body

        def wsdl(request: Any) -> tuple[int, dict[str, str], bytes]:
            return 200, {"Content-Type": "text/xml; charset=utf-8"}, self.wsdl(url)

        self.dispatcher.actor = url
        mock.add_callback(_responses.POST, url, callback=soap)
        mock.add_callback(_responses.GET, re.compile(re.escape(url) + r"\?(?i:wsdl)$"), callback=wsdl)
        return url

    @contextlib.contextmanager
    def mock(self, url: str = IN_PROCESS_URL) -> Iterator[str]:
        """Answer requests to ``url`` in-process, without sockets. Yields the URL."""
        import responses as _responses

        with _responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            yield self.mount(mock, url)

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
        """Seed an account; returns a copy of it. ``capabilities`` overrides flags by wire name."""
        with self.state.lock:
            if username.lower() in self.state.accounts:
                raise ValueError(f"sandbox account {username!r} exists already")
            self.state.integrations.add(integration_id.lower())
            customer_id = self.state.next_id("customer", 100000)
            account = SandboxAccount(
                integration_id=integration_id,
                username=username,
                password=password,
                customer_id=customer_id,
                meter_number=self.state.next_id("meter", 4000000),
                user_id=self.state.next_id("user", 500000),
                available_postage=Decimal(balance),
                max_postage_balance=Decimal(max_postage_balance),
                status=status,
                **fields,
            )
            if capabilities:
                account.capabilities.update(capabilities)
            self.state.accounts[account.key] = account
            self.state.touch(account)
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
        with self.state.lock:
            account = self._get(username)
            account.available_postage = Decimal(available)
            if control_total is not None:
                account.control_total = Decimal(control_total)
            self.state.touch(account)
            self.state.flush()

    def set_status(self, username: str, status: AccountStatus) -> None:
        with self.state.lock:
            account = self._get(username)
            account.status = AccountStatus(status)
            self.state.touch(account)
            self.state.flush()

    def set_password(self, username: str, password: str) -> None:
        """Change the password behind the platform's back (as a user would on the provider's site)."""
        with self.state.lock:
            account = self._get(username)
            account.password = password
            self.state.touch(account)
            self.state.flush()

    def set_capability(self, username: str, name: str, value: bool) -> None:
        with self.state.lock:
            account = self._get(username)
            account.capabilities[name] = value
            self.state.touch(account)
            self.state.flush()

    def advance_clock(self, delta: timedelta | float) -> None:
        """Move the sandbox clock forward (a timedelta or seconds)."""
        self.clock.advance(delta)
        with self.state.lock:
            if self.state.store is not None:
                self.state.store.save(self.state, [])

    def close(self) -> None:
        if self.state.store is not None:
            self.state.store.close()

    def _get(self, username: str) -> SandboxAccount:
        try:
            return self.state.accounts[username.lower()]
        except KeyError:
            raise KeyError(f"no sandbox account {username!r}") from None
