"""The public face of the UPS sandbox: control API (in Python and over HTTP), and the two ways to mount
the handler.

The control API over HTTP lets harnesses in any language drive a served sandbox: ``POST
/sandbox/control/<action>`` with a JSON object of arguments (``{}`` when there are none) calls the
:class:`UpsSandbox` method of that name, and answers ``{"ok": true, "result": ...}`` (or ``{"ok":
false, "error": "..."}`` with 400, 404 for an unknown action, 405 for a GET, next to UPS's own
error shape ``{"response": {"errors": [{"code", "message"}]}}``), as the One Balance sandbox does:

* ``create_account`` ``{"client_id"?, "client_secret"?, "shipper_numbers"?: [...]}`` -> ``{"client_id",
  "client_secret", "shipper_numbers"}`` (made up when not given);
* ``create_demo_account`` -> the same for the documented demo app;
* ``advance_clock`` ``{"delta": 86400}`` moves the clock (tokens expire, parcels travel) -> the new time;
* ``expire_tokens`` ``{"client_id"?}`` -> how many;
* ``shipments`` ``{"shipper_number"?}`` -> ``[...]`` (no label images; each with its ``tracking_numbers``,
  one per package, and the ``voided_packages``);
* ``requests`` -> ``[[method, path], ...]``, every API request received (control calls are not listed);
* ``set_surcharge`` ``{"amount": "4.50"}`` bills every later shipment that much above its rate (an
  additional handling charge; ``"0.00"`` stops it);
* ``ping`` -> ``{"sandbox": "ups", "actions": [...]}``;
* fault injection's ``script_fault``, ``random_faults``, ``clear_faults``, ``fired_faults`` and
  ``set_latency``, shared by the three sandboxes (see ``_front._chaos``).

The old actions ``account`` (201), ``advance`` ``{"seconds"}`` and ``expire-tokens`` still answer
as they did, with a ``Deprecation: true`` header, for one release (see ``_shared._vocabulary``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from onebalance.core import dumps as json_dumps

from .._front._chaos import Answer, Faults
from .._front._control import Controls
from .._front._inject import control_arguments
from .._front._mount import Mountable
from .._front._server import FrontServer
from .._front._service import Request, RestService, respond
from .._shared._clock import Clock
from .._shared._vocabulary import LEGACY_ACTIONS, deprecated, forward, legacy_headers, money
from ._errors import UpsFault, error_body
from ._handlers import Handler
from ._state import UpsAccount, UpsShipment, UpsState
from ._wire import UpsReply

#: Where the in-process sandbox answers; the ``.test`` domain never resolves, so nothing leaks.
IN_PROCESS_URL = "https://ups.sandbox.test"
#: The control actions (:class:`UpsSandbox` methods of these names) besides ``ping`` and fault injection's.
ACTIONS = (
    "create_account", "create_demo_account", "advance_clock", "expire_tokens", "shipments", "requests",
    "set_surcharge",
)  # fmt: skip
#: The documented demo app of ``onebalance sandbox serve``, the demo and the pytest fixtures (not secret).
DEMO_CLIENT_ID = "demo-ups-client"
DEMO_CLIENT_SECRET = "demo-ups-secret"  # noqa: S105 - a documented, public sandbox value
DEMO_SHIPPER_NUMBER = "A1B2C3"
_SHIPPER = re.compile(r"[A-Z0-9]{6}")


def operation_of(method: str, target: str) -> str | None:
    """The fault injection name of a UPS call: oauth, rate, ship, void or track (None: other)."""
    path = target.split("?", 1)[0]
    if path == "/security/v1/oauth/token":
        return "oauth"
    if path.startswith("/api/rating/"):
        return "rate"
    if path.startswith("/api/shipments/"):
        return "void" if method.upper() == "DELETE" else "ship"
    if path.startswith("/api/track/"):
        return "track"
    return None


class UpsSandboxServer(FrontServer):
    """A running UPS sandbox server; ``url`` is its base URL (give it to ``UpsSettings.base_url``)."""


class UpsSandbox(Mountable[UpsSandboxServer]):
    """A stateful UPS simulator. Seed it with ``create_account`` (or ``create_demo_account``), move
    its clock with ``advance_clock``: the same words as the One Balance and FedEx sandboxes.

    ``serve()``, ``mount()`` and ``mock()`` answer every request under their URL (the in-process
    one, :data:`IN_PROCESS_URL`, by default)."""

    _server_class = UpsSandboxServer
    _in_process_url = IN_PROCESS_URL

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.state = UpsState(clock=self.clock)
        self.handler = Handler(self.state)
        #: Transport fault injection and added latency, in both mounts (see ``_front._chaos``).
        self.faults = Faults()
        self._service = UpsService(self)

    # -- control API -----------------------------------------------------------------------------
    def create_account(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        shipper_numbers: Iterable[str] | None = None,
    ) -> UpsAccount:
        """Register an OAuth app and the shipper numbers it may bill (each 6 upper-case letters or
        digits). The client id and secret are made up when not given, and so is one shipper number
        when ``shipper_numbers`` is None. ValueError for a client id the sandbox knows already."""
        if isinstance(shipper_numbers, str):
            raise ValueError("shipper_numbers is a list of shipper numbers, not one text")
        numbers = [_made_up_shipper()] if shipper_numbers is None else list(shipper_numbers)
        if not all(isinstance(n, str) and _SHIPPER.fullmatch(n) for n in numbers):
            raise ValueError("shipper_numbers is a list of UPS shipper numbers, each 6 upper-case letters or digits")
        client_id = "ups-" + secrets.token_hex(8) if client_id is None else client_id
        client_secret = secrets.token_hex(16) if client_secret is None else client_secret
        if not isinstance(client_id, str) or not client_id or not isinstance(client_secret, str) or not client_secret:
            raise ValueError("client_id and client_secret must be non-empty text")
        with self.state.lock:
            if client_id in self.state.accounts:
                raise ValueError("an app with this client_id exists already")
            account = UpsAccount(client_id, client_secret, set(numbers))
            self.state.accounts[client_id] = account
            return account

    def create_demo_account(self) -> UpsAccount:
        """The documented demo app (idempotent): :data:`DEMO_CLIENT_ID`, :data:`DEMO_CLIENT_SECRET`,
        shipper number :data:`DEMO_SHIPPER_NUMBER`."""
        with self.state.lock:
            known = self.state.accounts.get(DEMO_CLIENT_ID)
            return known or self.create_account(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [DEMO_SHIPPER_NUMBER])

    def add_account(self, client_id: str, client_secret: str, *shipper_numbers: str) -> UpsAccount:
        """Deprecated: ``create_account(client_id, client_secret, [shipper_numbers...])``, which
        refuses a client id the sandbox knows where this replaced its app."""
        deprecated("UpsSandbox.add_account", "UpsSandbox.create_account")
        with self.state.lock:  # it replaced an app of the same client id, as it always did
            replaced = self.state.accounts.pop(client_id, None) if isinstance(client_id, str) else None
            try:
                return self.create_account(client_id, client_secret, shipper_numbers)
            except ValueError:
                if replaced is not None:
                    self.state.accounts[client_id] = replaced
                raise

    def advance_clock(self, delta: timedelta | float) -> datetime:
        """Move the sandbox clock forward (a timedelta or seconds): tokens expire, parcels travel.
        Returns the sandbox's new time; ValueError for a negative or malformed ``delta``."""
        self.clock.advance(forward(delta))
        return self.clock.now()

    def advance(self, delta: timedelta | float) -> None:
        """Deprecated: ``advance_clock(delta)``."""
        deprecated("UpsSandbox.advance", "UpsSandbox.advance_clock")
        self.advance_clock(delta)

    def expire_tokens(self, client_id: str | None = None) -> int:
        """Make every token (of ``client_id``, or of everyone) invalid now; returns how many."""
        if client_id is not None and not isinstance(client_id, str):
            raise ValueError("client_id must be text")
        with self.state.lock:
            doomed = [t for t, v in self.state.tokens.items() if client_id is None or v.client_id == client_id]
            for token in doomed:
                del self.state.tokens[token]
            return len(doomed)

    def shipments(self, shipper_number: str | None = None) -> list[UpsShipment]:
        """The shipments made (optionally for one shipper number), oldest first."""
        if shipper_number is not None and not isinstance(shipper_number, str):
            raise ValueError("shipper_number must be text")
        with self.state.lock:
            return [s for s in self.state.shipments.values() if shipper_number in (None, s.shipper_number)]

    def requests(self) -> list[tuple[str, str]]:
        """Every (method, path) received, oldest first."""
        with self.state.lock:
            return list(self.state.requests)

    def set_surcharge(self, amount: Decimal | str | int) -> None:
        """Bill every later shipment ``amount`` more than its rate said
        (an itemized additional handling charge, as UPS bills after a re-rating); ``"0.00"`` stops it.
        ``ValueError`` for an amount that is negative or not in whole cents."""
        value = money(amount, "the surcharge")
        if value < 0:
            raise ValueError(f"the surcharge cannot be negative, not {amount!r}")
        with self.state.lock:
            self.state.surcharge = value

    # -- wire ------------------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> UpsReply:
        """Answer one request (``target`` is the path and query), control calls included."""
        status, answer_headers, data = respond(self._service, Request(method.upper(), target, headers, body, ""))
        return UpsReply(status, data, dict(answer_headers))

    def _legacy(self, method: str, action: str, body: bytes) -> Answer | None:
        """The old control actions' answers (deprecated, see ``_shared._vocabulary``); None for another action."""
        if action not in LEGACY_ACTIONS:
            return None
        try:
            reply = self._legacy_control(method, action, body)
        except UpsFault as fault:
            reply = _json(fault.status, error_body(fault.code, fault.message))
        return reply.status, legacy_headers(action), reply.body

    def _legacy_control(self, method: str, action: str, body: bytes) -> UpsReply:
        """The actions' old names and answers (deprecated, see ``_shared._vocabulary``)."""
        try:
            data = control_arguments(body) if body.strip() else {}
        except ValueError:
            data = None
        if method != "POST" or not isinstance(data, dict):
            raise UpsFault(400, "10002", "Control calls are POST with a JSON object")
        if action == "account":
            numbers = data.get("shipper_numbers", [])
            if not isinstance(numbers, list):
                raise UpsFault(400, "10002", "shipper_numbers must be a list")
            try:
                made = self.create_account(data.get("client_id") or None, data.get("client_secret") or None, numbers)
            except ValueError as exc:
                raise UpsFault(400, "10002", str(exc)) from None
            return _json(201, _control_json("create_account", made))
        if action == "advance":
            seconds = data.get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < 10**9:
                raise UpsFault(400, "10002", "seconds must be a number of seconds (>= 0)")
            return _json(200, {"now": self.advance_clock(seconds).isoformat()})
        client_id = data.get("client_id")  # expire-tokens
        if client_id is not None and not isinstance(client_id, str):
            raise UpsFault(400, "10002", "client_id must be text")
        return _json(200, {"expired": self.expire_tokens(client_id)})


def _json(status: int, body: Any) -> UpsReply:
    return UpsReply(status, json_dumps(body))


def _made_up_shipper() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(6))


def _control_json(action: str, result: Any) -> Any:
    if isinstance(result, UpsAccount):
        return {
            "client_id": result.client_id,
            "client_secret": result.client_secret,
            "shipper_numbers": sorted(result.shipper_numbers),
        }
    if action == "shipments":
        return [_shipment_json(s) for s in result]
    if action == "requests":
        return [list(r) for r in result]
    return result.isoformat() if isinstance(result, datetime) else result


def _shipment_json(shipment: UpsShipment) -> dict[str, Any]:
    return {
        "identification_number": shipment.identification_number,
        "tracking_numbers": list(shipment.tracking_numbers),
        "shipper_number": shipment.shipper_number,
        "service_code": shipment.service_code,
        "total": str(shipment.total),
        "created_at": shipment.created_at.isoformat(),
        "delivery_days": shipment.delivery_days,
        "label_format": shipment.label_format,
        "context": shipment.context,
        "voided": shipment.voided,
        "voided_packages": sorted(shipment.voided_packages),
    }


class UpsService(RestService):
    """The front's view of a :class:`UpsSandbox`."""

    name = "ups"
    max_body = 8 * 1024 * 1024

    def __init__(self, sandbox: UpsSandbox) -> None:
        super().__init__(sandbox)
        self.sandbox = sandbox
        self.controls = Controls(
            "ups", sandbox, ACTIONS, _control_json, echoed=("shipments", "requests"), legacy=sandbox._legacy,
            error_shape=lambda status, message: error_body("10404" if status == 404 else "10002", message),
        )  # fmt: skip

    def operation(self, request: Request) -> str | None:
        return operation_of(request.method, request.target)

    def respond(self, request: Request) -> Answer:
        reply = self.sandbox.handler.handle(request.method, request.target, request.headers, request.body)
        return reply.status, reply.headers, reply.body

    def refusal(self, status: int, message: str) -> tuple[dict[str, str], bytes]:
        code = "10413" if status == 413 else "10002"
        return {"Content-Type": "application/json"}, json_dumps(error_body(code, message[:1].upper() + message[1:]))
