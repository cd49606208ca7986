"""The public face of the FedEx sandbox: control API and the two ways to mount the handler.

The control API over HTTP is the UPS and One Balance sandboxes': ``POST /sandbox/control/<action>``
with a JSON object calls the :class:`FedexSandbox` method of that name (``create_account``,
``create_demo_account``, ``advance_clock``, ``expire_tokens``, ``shipments``, ``set_surcharge``;
``ping``) and answers
``{"ok": true, "result": ...}``, or ``{"ok": false, "error": "..."}`` next to FedEx's own
``errors`` list. The old actions ``credentials`` (201), ``advance`` ``{"seconds"}`` and
``expire-tokens`` answer as they did, with a ``Deprecation: true`` header, for one release.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from onebalance.carriers.fedex import FedexSettings
from onebalance.core import loads as json_loads

from .._front._chaos import Answer, Faults
from .._front._control import Controls
from .._front._inject import control_arguments
from .._front._mount import Mountable
from .._front._server import FrontServer
from .._front._service import Request, RestService, respond
from .._shared._clock import Clock
from .._shared._vocabulary import LEGACY_ACTIONS, deprecated, forward, legacy_headers, money
from . import _handlers
from ._errors import FedexFault, error_reply
from ._state import FedexState, Project, Shipment
from ._wire import FedexReply, json_reply

__all__ = [
    "ACTIONS",
    "DEMO_ACCOUNT_NUMBER",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "IN_PROCESS_URL",
    "FedexSandbox",
    "FedexSandboxCredentials",
    "FedexSandboxServer",
    "Observer",
    "operation_of",
]

#: Where the in-process sandbox answers; ``.test`` never resolves, so nothing leaks.
IN_PROCESS_URL = "https://fedex.sandbox.test"
#: The control actions (:class:`FedexSandbox` methods of these names) besides ``ping`` and fault injection's.
ACTIONS = ("create_account", "create_demo_account", "advance_clock", "expire_tokens", "shipments", "set_surcharge")
#: The documented demo project of ``onebalance sandbox serve``, the demo and the pytest fixtures (not secret).
DEMO_CLIENT_ID = "demo-fedex-client"
DEMO_CLIENT_SECRET = "demo-fedex-secret"  # noqa: S105 - a documented, public sandbox value
DEMO_ACCOUNT_NUMBER = "700000001"

#: ``observer(direction, operation, status, body)``: direction "request" or "response", operation
#: ``"POST /ship/v1/shipments"``, status None for requests, body the parsed JSON (or None).
Observer = Callable[[str, str, "int | None", Any], None]


@dataclass(frozen=True)
class FedexSandboxCredentials:
    """A FedEx project the sandbox knows. ``repr()`` never shows the secret."""

    client_id: str
    client_secret: str = field(repr=False)
    account_number: str

    def settings(self, base_url: str) -> FedexSettings:
        """These credentials as :class:`carriers.fedex.FedexSettings` for ``base_url``."""
        return FedexSettings(
            client_id=self.client_id,
            client_secret=self.client_secret,
            account_number=self.account_number,
            base_url=base_url,
        )


#: path -> the fault injection name of the call (see ``operation_of``).
_OPERATIONS = {
    "/oauth/token": "oauth",
    "/rate/v1/rates/quotes": "rate",
    "/ship/v1/shipments": "ship",
    "/ship/v1/shipments/cancel": "void",
    "/track/v1/trackingnumbers": "track",
    "/track/v1/trackingdocuments": "track",
}


def operation_of(target: str) -> str | None:
    """The fault injection name of a FedEx call: oauth, rate, ship, void or track (None: other)."""
    return _OPERATIONS.get(target.split("?", 1)[0].rstrip("/"))


class FedexSandboxServer(FrontServer):
    """A running FedEx sandbox. ``url`` is the base URL to put in ``FedexSettings.base_url``."""


class FedexSandbox(Mountable[FedexSandboxServer]):
    """A stateful FedEx REST simulator (OAuth, Rate, Ship, Cancel, Track).

    ``token_lifetime`` is the ``expires_in`` of every token (FedEx: 3600 s). Time is the sandbox's
    own :class:`Clock`: ``advance_clock`` it to expire tokens or move parcels along. Seed projects
    with ``create_account`` or ``create_demo_account``: the same words as the other sandboxes.
    ``serve()``, ``mount()`` and ``mock()`` answer every request under their URL (the in-process
    one, :data:`IN_PROCESS_URL`, by default).
    """

    _server_class = FedexSandboxServer
    _in_process_url = IN_PROCESS_URL

    def __init__(self, *, token_lifetime: int = 3600, observers: Sequence[Observer] = ()) -> None:
        self.state = FedexState(clock=Clock(), token_lifetime=token_lifetime)
        self.observers = list(observers)
        #: Transport fault injection and added latency, in both mounts (see ``_front._chaos``).
        self.faults = Faults()
        self._service = FedexService(self)

    @property
    def clock(self) -> Clock:
        return self.state.clock

    # -- the one handler ---------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes = b"") -> FedexReply:
        """Answer one request (``target``: path and query), control calls included."""
        status, answer_headers, data = respond(self._service, Request(method.upper(), target, headers, body, ""))
        return FedexReply(status, dict(answer_headers), data)

    # -- control API -------------------------------------------------------------------------------
    def create_account(
        self, client_id: str | None = None, client_secret: str | None = None, account_number: str | None = None
    ) -> FedexSandboxCredentials:
        """A new project: an API key pair bound to a 9-digit account (made up when not given).
        ValueError for a client id the sandbox knows already or a malformed value."""
        for name, value in (("client_id", client_id), ("client_secret", client_secret),
                            ("account_number", account_number)):  # fmt: skip
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"{name} must be non-empty text")
        with self.state.lock:
            client_id = client_id or "l7" + secrets.token_hex(15)
            if client_id in self.state.projects:
                raise ValueError("a project with this client_id exists already")
            account = account_number or f"{700_000_000 + secrets.randbelow(99_999_999):09d}"
            if not re.fullmatch(r"\d{9}", account):
                raise ValueError("a FedEx account number is 9 digits")
            project = Project(client_id, client_secret or secrets.token_hex(16), account)
            self.state.projects[client_id] = project
            return FedexSandboxCredentials(project.client_id, project.client_secret, project.account_number)

    def create_demo_account(self) -> FedexSandboxCredentials:
        """The documented demo project (idempotent): :data:`DEMO_CLIENT_ID`, :data:`DEMO_CLIENT_SECRET`,
        account :data:`DEMO_ACCOUNT_NUMBER`."""
        with self.state.lock:
            if DEMO_CLIENT_ID not in self.state.projects:
                return self.create_account(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_ACCOUNT_NUMBER)
        return FedexSandboxCredentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_ACCOUNT_NUMBER)

    def create_credentials(
        self, client_id: str | None = None, client_secret: str | None = None, account_number: str | None = None
    ) -> FedexSandboxCredentials:
        """Deprecated: ``create_account(client_id, client_secret, account_number)``."""
        deprecated("FedexSandbox.create_credentials", "FedexSandbox.create_account")
        return self.create_account(client_id, client_secret, account_number)

    def advance_clock(self, delta: timedelta | float) -> datetime:
        """Move the sandbox clock forward (a timedelta or seconds): tokens expire, parcels move.
        Returns the sandbox's new time; ValueError for a negative or malformed ``delta``."""
        self.state.clock.advance(forward(delta))
        return self.state.clock.now()

    def advance(self, delta: timedelta | float) -> None:
        """Deprecated: ``advance_clock(delta)``."""
        deprecated("FedexSandbox.advance", "FedexSandbox.advance_clock")
        self.advance_clock(delta)

    def expire_tokens(self, client_id: str | None = None) -> int:
        """Expire every token (or one project's) now; returns how many."""
        if client_id is not None and not isinstance(client_id, str):
            raise ValueError("client_id must be text")
        with self.state.lock:
            now = self.state.clock.now()
            count = 0
            for token in self.state.tokens.values():
                if (client_id is None or token.client_id == client_id) and token.expires_at > now:
                    token.expires_at = now
                    count += 1
            return count

    def shipments(self, account_number: str | None = None) -> list[Shipment]:
        """The shipments made (optionally for one account), oldest first."""
        if account_number is not None and not isinstance(account_number, str):
            raise ValueError("account_number must be text")
        with self.state.lock:
            return [s for s in self.state.shipments.values() if account_number in (None, s.account_number)]

    def set_surcharge(self, amount: Decimal | str | int) -> None:
        """Bill every later shipment ``amount`` more than its rate said
        (as FedEx bills additional handling found after the quote); ``"0.00"`` stops it.
        ``ValueError`` for an amount that is negative or not in whole cents."""
        value = money(amount, "the surcharge")
        if value < 0:
            raise ValueError(f"the surcharge cannot be negative, not {amount!r}")
        with self.state.lock:
            self.state.surcharge = value

    @property
    def tokens_issued(self) -> int:
        with self.state.lock:
            return len(self.state.tokens)

    def _legacy(self, method: str, action: str, body: bytes) -> Answer | None:
        """The old control actions' answers (deprecated, see ``_shared._vocabulary``); None for another action."""
        if action not in LEGACY_ACTIONS:
            return None
        reply = self._legacy_control(method, action, body)
        return reply.status, legacy_headers(action), reply.body

    def _legacy_control(self, method: str, action: str, body: bytes) -> FedexReply:
        """The actions' old names and answers (deprecated, see ``_shared._vocabulary``)."""
        try:
            data = control_arguments(body) if body.strip() else {}
        except ValueError:
            data = None
        try:
            if method != "POST" or not isinstance(data, dict):
                raise FedexFault(400, "BAD.REQUEST.ERROR", "Control calls are POST with a JSON object.")
            if action == "credentials":
                try:
                    made = self.create_account(data.get("client_id") or None, data.get("client_secret") or None,
                                               data.get("account_number") or None)  # fmt: skip
                except ValueError as exc:
                    raise FedexFault(400, "BAD.REQUEST.ERROR", str(exc)) from None
                return json_reply(201, _control_json("create_account", made))
            if action == "advance":
                seconds = data.get("seconds")
                if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < 10**9:
                    raise FedexFault(400, "BAD.REQUEST.ERROR", "seconds must be a number of seconds (>= 0).")
                return json_reply(200, {"now": self.advance_clock(seconds).isoformat()})
            try:  # expire-tokens
                return json_reply(200, {"expired": self.expire_tokens(data.get("client_id"))})
            except ValueError as exc:
                raise FedexFault(400, "BAD.REQUEST.ERROR", str(exc)) from None
        except FedexFault as fault:
            return error_reply(fault, None)


def _error_shape(status: int, message: str) -> dict[str, Any]:
    code = {404: "NOT.FOUND.ERROR", 405: "METHOD.NOT.ALLOWED"}.get(status, "BAD.REQUEST.ERROR")
    return error_reply(FedexFault(status, code, message), None).json()  # type: ignore[no-any-return]


def _control_json(action: str, result: Any) -> Any:
    if isinstance(result, FedexSandboxCredentials):
        return {"client_id": result.client_id, "client_secret": result.client_secret,
                "account_number": result.account_number}  # fmt: skip
    if action == "shipments":
        return [
            {
                "tracking_number": s.tracking_number,
                "account_number": s.account_number,
                "service_type": s.service_type,
                "total": str(s.total),
                "created_at": s.created_at.isoformat(),
                "ship_date": s.ship_date.isoformat(),
                "delivery_days": s.delivery_days,
                "customer_transaction_id": s.customer_transaction_id,
                "cancelled": s.cancelled_at is not None,
            }
            for s in result
        ]
    return result.isoformat() if isinstance(result, datetime) else result


def _parse(body: bytes) -> Any:
    try:
        return json_loads(body) if body else None
    except (ValueError, RecursionError):
        return None


class FedexService(RestService):
    """The front's view of a :class:`FedexSandbox`: every request the wire's, observed."""

    name = "fedex"
    max_body = 2 * 1024 * 1024

    def __init__(self, sandbox: FedexSandbox) -> None:
        super().__init__(sandbox)
        self.sandbox = sandbox
        self.controls = Controls("fedex", sandbox, ACTIONS, _control_json, _error_shape, legacy=sandbox._legacy)

    def operation(self, request: Request) -> str | None:
        return operation_of(request.target)

    def respond(self, request: Request) -> Answer:
        observers = self.sandbox.observers
        path = request.path
        operation = f"{request.method} {path}"
        if observers and path != "/oauth/token":
            sent = _parse(request.body)
            for observer in observers:
                observer("request", operation, None, sent)
        reply = _handlers.handle(self.sandbox.state, request.method, request.target, request.headers, request.body)
        for observer in observers:
            observer("response", operation, reply.status, reply.json())
        return reply.status, reply.headers, reply.body
