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

import math
import warnings
from datetime import timedelta
from decimal import Decimal, InvalidOperation

__all__ = ["CENT", "LEGACY_ACTIONS", "deprecated", "forward", "legacy_headers", "money"]

CENT = Decimal("0.01")

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


def money(value: object, what: str = "amount") -> Decimal:
    """``value`` (a Decimal, string, int or float) as a Decimal of whole cents; ValueError otherwise."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{what} is not a number: {value!r}") from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValueError(f"{what} must be a whole number of cents: {value!r}")
    return amount.quantize(CENT)


def legacy_headers(action: str) -> dict[str, str]:
    """The headers that mark an answer to an old action name (RFC 9745's ``Deprecation``)."""
    return {
        "Content-Type": "application/json",
        "Deprecation": "true",
        "Link": f'</sandbox/control/{LEGACY_ACTIONS[action]}>; rel="successor-version"',
    }
