"""The control API over HTTP, one for every sandbox, so that harnesses in any language can drive a
served sandbox.

``POST <url>/sandbox/control/<action>`` with a JSON object of arguments calls the sandbox's method
of that name (its :class:`Controls`' ``actions``) and answers ``{"ok": true, "result": ...}``, or
``{"ok": false, "error": "..."}`` with HTTP 400 (bad arguments), 404 (no such action) or 405 (not
a POST), next to the service's own error shape where it has one. ``ping`` answers ``{"sandbox":
name, "actions": [...]}``. Every sandbox also answers the fault injection actions
(``_inject.CONTROL_ACTIONS``: ``script_fault``, ``random_faults``, ``clear_faults``,
``fired_faults``, ``set_latency``). :class:`SandboxControl` is the Python client for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from ._chaos import Answer, Faults
from ._inject import CONTROL_ACTIONS, control, control_arguments

__all__ = ["CONTROL_PREFIX", "Controls", "SandboxControl", "answer_control"]

CONTROL_PREFIX = "/sandbox/control/"
#: What a control method may raise for bad arguments: a 400, not a 500.
_REFUSED = (TypeError, ValueError, KeyError, AssertionError)


def _no_shape(status: int, message: str) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class Controls:
    """A sandbox's control actions: the methods of ``target`` named in ``actions``."""

    #: What ``ping`` answers as ``sandbox`` ("onebalance", "ups", "fedex").
    name: str
    target: object
    actions: tuple[str, ...]
    #: ``to_json(action, result)``: a method's result as JSON.
    to_json: Callable[[str, Any], Any]
    #: ``error_shape(status, message)``: the service's own error body, sent beside ``ok`` and ``error``.
    error_shape: Callable[[int, str], Mapping[str, Any]] = _no_shape
    #: Actions whose result is also sent under the action's name (where it was before ``result``).
    echoed: tuple[str, ...] = ()
    #: ``legacy(method, action, body)``: the answer to an old action name (None: not one).
    legacy: Callable[[str, str, bytes], Answer | None] | None = None


def answer_control(controls: Controls, faults: Faults, method: str, action: str, body: bytes) -> Answer:
    """Answer one control call (``action``: the path after ``/sandbox/control/``)."""
    action = action.strip("/")
    method = method.upper()
    if action in CONTROL_ACTIONS:
        if method != "POST":
            return _answer(405, {"ok": False, "error": "control actions are POST requests with a JSON body"})
        try:
            result = control(faults, action, control_arguments(body))
        except _REFUSED as exc:
            return _answer(400, {"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        return _answer(200, {"ok": True, "result": result})
    if controls.legacy is not None:
        old = controls.legacy(method, action, body)
        if old is not None:
            return old
    if action == "ping":
        actions = [*controls.actions, *CONTROL_ACTIONS]
        return _answer(200, {"ok": True, "result": {"sandbox": controls.name, "actions": actions}})
    if action not in controls.actions:
        return _refusal(controls, 404, f"no control action {action!r}")
    if method != "POST":
        return _refusal(controls, 405, "control actions are POST requests with a JSON body")
    try:
        args = control_arguments(body)
        result = getattr(controls.target, action)(**args)
    except _REFUSED as exc:
        return _refusal(controls, 400, f"{type(exc).__name__}: {exc}")
    result = controls.to_json(action, result)
    return _answer(200, {"ok": True, "result": result, **({action: result} if action in controls.echoed else {})})


def _refusal(controls: Controls, status: int, message: str) -> Answer:
    return _answer(status, {"ok": False, "error": message, **controls.error_shape(status, message)})


def _answer(status: int, payload: Mapping[str, Any]) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


class SandboxControl:
    """Drive a served sandbox over HTTP: ``SandboxControl(server_url).call("place_hold", ...)``.

    ``url`` is the sandbox's SOAP endpoint (or any URL on its host); for the UPS and FedEx
    sandboxes, their base URL.
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
