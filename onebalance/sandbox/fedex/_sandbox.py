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

import contextlib
import re
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from onebalance.core._json import loads as json_loads
from onebalance.sandbox._chaos import Answer, Faults, control_answer, control_arguments, in_process
from onebalance.sandbox._clock import Clock
from onebalance.sandbox._http import REQUEST_TIMEOUT
from onebalance.sandbox._ledger import money
from onebalance.sandbox._mock import shared_mock
from onebalance.sandbox._vocabulary import LEGACY_ACTIONS, carrier_control, deprecated, forward, legacy_headers

from . import _handlers
from ._server import FedexSandboxServer, operation_of
from ._state import FedexState, Project, Shipment
from ._wire import FedexFault, FedexReply, error_reply, json_reply

if TYPE_CHECKING:
    import responses

    from onebalance.carriers.fedex import FedexSettings

__all__ = [
    "ACTIONS",
    "CONTROL_PREFIX",
    "DEMO_ACCOUNT_NUMBER",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "IN_PROCESS_URL",
    "FedexSandbox",
    "FedexSandboxCredentials",
    "Observer",
    "operation_of",
]

#: Where the in-process sandbox answers; ``.test`` never resolves, so nothing leaks.
IN_PROCESS_URL = "https://fedex.sandbox.test"
#: The control API over HTTP (see the module docstring), with fault injection's ``script_fault``,
#: ``random_faults``, ``clear_faults``, ``fired_faults`` and ``set_latency``.
CONTROL_PREFIX = "/sandbox/control/"
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
        from onebalance.carriers.fedex import FedexSettings

        return FedexSettings(
            client_id=self.client_id,
            client_secret=self.client_secret,
            account_number=self.account_number,
            base_url=base_url,
        )


class FedexSandbox:
    """A stateful FedEx REST simulator (OAuth, Rate, Ship, Cancel, Track).

    ``token_lifetime`` is the ``expires_in`` of every token (FedEx: 3600 s). Time is the sandbox's
    own :class:`Clock`: ``advance_clock`` it to expire tokens or move parcels along. Seed projects
    with ``create_account`` or ``create_demo_account``: the same words as the other sandboxes.
    """

    def __init__(self, *, token_lifetime: int = 3600, observers: Sequence[Observer] = ()) -> None:
        self.state = FedexState(clock=Clock(), token_lifetime=token_lifetime)
        self.observers = list(observers)
        #: Transport fault injection and added latency, in both mounts (see ``_chaos``).
        self.faults = Faults()

    @property
    def clock(self) -> Clock:
        return self.state.clock

    # -- the one handler ---------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes = b"") -> FedexReply:
        """Answer one request (``target``: path and query). Both mounts call this."""
        method = method.upper()
        path = urlsplit(target).path
        if path.startswith(CONTROL_PREFIX):
            return self._control(method, path[len(CONTROL_PREFIX) :], body)
        operation = f"{method} {path}"
        if self.observers and path != "/oauth/token":
            sent = _parse(body)
            for observer in self.observers:
                observer("request", operation, None, sent)
        reply = _handlers.handle(self.state, method, target, headers, body)
        for observer in self.observers:
            observer("response", operation, reply.status, reply.json())
        return reply

    # -- mounts ------------------------------------------------------------------------------------
    def mount(self, mock: responses.RequestsMock, url: str = IN_PROCESS_URL) -> str:
        """Answer every request under ``url`` through an existing ``responses`` mock. Returns ``url``."""
        import responses as _responses

        def callback(request: Any) -> Answer:
            body = request.body or b""
            parts = urlsplit(request.url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            data = body.encode() if isinstance(body, str) else body
            if self.faults.active:
                return in_process(self.faults, operation_of(target), request, lambda: answer(request, target, data))
            return answer(request, target, data)

        def answer(request: Any, target: str, data: bytes) -> Answer:
            reply = self.handle(request.method, target, dict(request.headers), data)
            return reply.status, reply.headers, reply.body

        pattern = re.compile(re.escape(url.rstrip("/")) + r"(/.*)?$")
        for method in (_responses.GET, _responses.POST, _responses.PUT, _responses.DELETE):
            mock.add_callback(method, pattern, callback=callback)
        return url

    @contextlib.contextmanager
    def mock(self, url: str = IN_PROCESS_URL) -> Iterator[str]:
        """Answer requests to ``url`` in-process, without sockets. Yields the base URL.

        Sandboxes mocked at the same time (nested, or with ``mock_all``) all answer: they share
        one ``responses`` mock. ValueError if another sandbox is mocked on ``url``'s host.
        """
        with shared_mock(self.mount, url) as mounted:
            yield mounted

    def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency: float | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> FedexSandboxServer:
        """Start a threaded HTTP server; use as a context manager or call ``stop()``.

        ``latency`` sets ``faults.latency``: seconds added before every FedEx call;
        ``request_timeout`` the seconds a connection has to deliver each whole request.
        """
        return FedexSandboxServer(self, host, port, latency=latency, request_timeout=request_timeout).start()

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

    def _control(self, method: str, action: str, body: bytes) -> FedexReply:
        action = action.strip("/")
        answer = control_answer(self.faults, method, action, body)
        if answer is None and action in LEGACY_ACTIONS:
            reply = self._legacy_control(method, action, body)
            return FedexReply(reply.status, legacy_headers(action), reply.body)
        if answer is None:
            answer = carrier_control(
                self, method, action, body, name="fedex", actions=ACTIONS, to_json=_control_json,
                error_shape=_error_shape,
            )  # fmt: skip
        return FedexReply(answer[0], dict(answer[1]), answer[2])

    def _legacy_control(self, method: str, action: str, body: bytes) -> FedexReply:
        """The actions' old names and answers (deprecated, see ``_vocabulary``)."""
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
