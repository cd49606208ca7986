"""The words the three sandboxes share, in Python and on their control APIs over HTTP.

The One Balance sandbox's vocabulary is the documented one: ``create_account``,
``create_demo_account``, ``advance_clock`` and ``expire_tokens``, called over HTTP as ``POST
/sandbox/control/<name>`` with the arguments by name, answering ``{"ok": true, "result": ...}``
or ``{"ok": false, "error": "..."}``. The UPS and FedEx sandboxes speak it too; their older
names (``add_account``, ``create_credentials``, ``advance``; the actions ``account``,
``credentials``, ``advance``, ``expire-tokens``) still work for one release, with a
``DeprecationWarning`` in Python and a ``Deprecation: true`` header over HTTP.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from ._chaos import CONTROL_ACTIONS, Answer, control_arguments

__all__ = ["LEGACY_ACTIONS", "carrier_control", "deprecated", "forward", "legacy_headers"]

#: The carrier sandboxes' old control actions -> the name that replaces each.
LEGACY_ACTIONS = {
    "account": "create_account",
    "credentials": "create_account",
    "advance": "advance_clock",
    "expire-tokens": "expire_tokens",
}
_LONGEST = timedelta(days=100 * 366)


def deprecated(old: str, new: str) -> None:
    """Warn (DeprecationWarning, at the caller's caller) that ``old`` is now spelled ``new``."""
    warnings.warn(f"{old} is deprecated and goes in the next release: use {new}", DeprecationWarning, stacklevel=3)


def forward(delta: timedelta | float) -> timedelta:
    """``delta`` (a timedelta or seconds) as a timedelta the clock can move forward by; ValueError
    for anything else (a negative, not finite or absurdly long one, a bool, text)."""
    if isinstance(delta, bool) or not isinstance(delta, (timedelta, int, float)):
        raise ValueError(f"delta must be a timedelta or a number of seconds, not {type(delta).__name__}")
    if not isinstance(delta, timedelta):
        if not math.isfinite(delta) or not 0 <= delta <= _LONGEST.total_seconds():
            raise ValueError(f"delta must be a number of seconds from 0 to {int(_LONGEST.total_seconds())}")
        delta = timedelta(seconds=delta)
    if not timedelta(0) <= delta <= _LONGEST:
        raise ValueError("the clock moves forward only, by at most 100 years")
    return delta


def legacy_headers(action: str) -> dict[str, str]:
    """The headers that mark an answer to an old action name (RFC 9745's ``Deprecation``)."""
    return {
        "Content-Type": "application/json",
        "Deprecation": "true",
        "Link": f'</sandbox/control/{LEGACY_ACTIONS[action]}>; rel="successor-version"',
    }


def carrier_control(
    sandbox: Any,
    method: str,
    action: str,
    body: bytes,
    *,
    name: str,
    actions: tuple[str, ...],
    to_json: Callable[[str, Any], Any],
    error_shape: Callable[[int, str], Mapping[str, Any]],
    echoed: tuple[str, ...] = (),
) -> Answer:
    """Answer a control action of a carrier sandbox the way the One Balance sandbox does: the
    method of that name, with the JSON object's members as its arguments.

    ``to_json(action, result)`` turns a method's result into JSON; ``error_shape(status, message)``
    is the carrier's own error body, sent next to ``ok`` and ``error`` so a client that reads
    either finds it. ``ping`` answers ``{"sandbox": name, "actions": [...]}``. The result of an
    ``echoed`` action is also sent under the action's name, where it was before this vocabulary.
    """
    if action == "ping":
        return _answer(200, {"ok": True, "result": {"sandbox": name, "actions": [*actions, *CONTROL_ACTIONS]}})
    if action not in actions:
        return _refusal(404, f"no control action {action!r}", error_shape)
    if method != "POST":
        return _refusal(405, "control actions are POST requests with a JSON body", error_shape)
    try:
        args = control_arguments(body)
        result = getattr(sandbox, action)(**args)
    except (TypeError, ValueError, KeyError) as exc:
        return _refusal(400, f"{type(exc).__name__}: {exc}", error_shape)
    result = to_json(action, result)
    return _answer(200, {"ok": True, "result": result, **({action: result} if action in echoed else {})})


def _refusal(status: int, message: str, error_shape: Callable[[int, str], Mapping[str, Any]]) -> Answer:
    return _answer(status, {"ok": False, "error": message, **error_shape(status, message)})


def _answer(status: int, payload: Mapping[str, Any]) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()
