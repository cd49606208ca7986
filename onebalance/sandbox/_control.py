"""The control API over HTTP, so that harnesses in any language can drive a served sandbox.

``POST /sandbox/control/<action>`` with a JSON object of arguments answers
``{"ok": true, "result": ...}``, or ``{"ok": false, "error": "..."}`` with HTTP 400/404
(``check_ledger`` answers 400 with the problems when the ledger is inconsistent).
The actions are the :class:`Sandbox` control methods listed in ``ACTIONS``, and the fault
injection actions every sandbox shares (``_chaos.CONTROL_ACTIONS``: ``script_fault``,
``random_faults``, ``clear_faults``, ``fired_faults``, ``set_latency``).
:class:`SandboxControl` is the Python client for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import requests

from . import _chaos
from ._core import Reply

if TYPE_CHECKING:
    from ._sandbox import Sandbox

CONTROL_PREFIX = "/sandbox/control/"

#: action -> the Sandbox method it calls. Arguments are passed by name.
ACTIONS = (
    "create_account",
    "create_demo_account",
    "set_balance",
    "set_status",
    "set_password",
    "set_capability",
    "place_hold",
    "lift_hold",
    "decline_payment_method",
    "expire_password",
    "set_terms_accepted",
    "lock",
    "unlock",
    "set_codewords",
    "verify_phone",
    "advance_clock",
    "verification_code",
    "temporary_password",
    "messages",
    "account",
    "add_integration",
    # postage
    "print_postage",
    "refund",
    "adjust",
    "credit",
    "ledger",
    "charges",
    "check_ledger",
    "set_mailstation",
    "add_funding_account",
    "set_next_purchase_outcome",
    "set_cost_codes",
    "set_monthly_limit",
    "set_auto_buy",
    # labels
    "set_label_surcharge",
    "approve_refunds",
    "labels",
    "label",
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _reply(status: int, payload: dict[str, Any]) -> Reply:
    return Reply(status, json.dumps(payload).encode(), "application/json")


def handle_control(sandbox: Sandbox, method: str, path: str, body: bytes) -> Reply:
    action = path[len(CONTROL_PREFIX) :].strip("/")
    if action == "ping":
        actions = [*ACTIONS, *_chaos.CONTROL_ACTIONS]
        return _reply(200, {"ok": True, "result": {"sandbox": "onebalance", "actions": actions}})
    if action not in ACTIONS and action not in _chaos.CONTROL_ACTIONS:
        return _reply(404, {"ok": False, "error": f"no control action {action!r}"})
    if method != "POST":
        return _reply(405, {"ok": False, "error": "control actions are POST requests with a JSON body"})
    try:
        args = _chaos.control_arguments(body)
        if action in _chaos.CONTROL_ACTIONS:  # answers plain JSON already
            return _reply(200, {"ok": True, "result": _chaos.control(sandbox.faults, action, args)})
        fn: Callable[..., Any] = getattr(sandbox, action)
        result = fn(**args)
    except (TypeError, ValueError, KeyError, AssertionError) as exc:
        return _reply(400, {"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    return _reply(200, {"ok": True, "result": _jsonable(result)})


class SandboxControl:
    """Drive a served sandbox over HTTP: ``SandboxControl(server_url).call("place_hold", ...)``.

    ``url`` is the sandbox's SOAP endpoint (or any URL on its host).
    """

    def __init__(self, url: str, *, session: requests.Session | None = None, timeout: float = 10.0) -> None:
        parts = url.split("/", 3)
        self.base = "/".join(parts[:3])
        self._session = session or requests.Session()
        self._timeout = timeout

    def available(self) -> bool:
        """Whether the endpoint is a onebalance sandbox with this control API."""
        try:
            response = self._session.get(self.base + CONTROL_PREFIX + "ping", timeout=self._timeout)
            return response.status_code == 200 and response.json().get("result", {}).get("sandbox") == "onebalance"
        except (requests.RequestException, ValueError):
            return False

    def call(self, action: str, **args: Any) -> Any:
        response = self._session.post(self.base + CONTROL_PREFIX + action, json=args, timeout=self._timeout)
        payload = response.json()
        if not payload.get("ok"):
            raise RuntimeError(f"sandbox control {action} failed: {payload.get('error')}")
        return payload["result"]
