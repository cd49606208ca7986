"""Redaction of secrets from anything the SDK logs or shows.

Three layers, all applied by :class:`RedactingFilter` to every record of the SDK's loggers (and
zeep's and urllib3's, which see the SDK's traffic):

* by name: the text of secret XML elements (``<Password>``, ``<Authenticator>``, ``<CVN>``...),
  the values of secret JSON / dict / form keys (``client_secret``, ``access_token``...) and the
  credentials of ``Authorization: Bearer|Basic`` headers;
* by shape: anything that looks like a payment card number (13 to 19 digits passing the Luhn
  check) keeps only its last four digits;
* by value: every secret registered with :func:`register_secret` (passwords, OAuth client
  secrets and tokens, card and bank numbers...) wherever it appears.

:func:`install` puts the filter on those loggers; importing :mod:`onebalance` calls it. It adds a
filter and nothing else: levels, handlers and propagation stay as the application set them.
"""

from __future__ import annotations

import bisect
import logging
import os
import re
import threading
import time
from collections.abc import Iterable

MASK = "***"
#: The most characters of a body one DEBUG line shows (cut after redaction, never before).
MAX_LOGGED_BODY = 64 * 1024

#: Wire elements whose text is secret (passwords, tokens, card and bank numbers, codewords, codes).
SECRET_ELEMENTS = (
    "Password",
    "OldPassword",
    "NewPassword",
    "TempPassword",
    "Authenticator",
    "authenticator",
    "Codeword1",
    "Codeword2",
    "AccountNumber",
    "CVN",
    "RouteID",
    "PhoneVerificationCode",
    "ResubmitCookie",
    "RateToken",
    "SEApiToken",
    "CustomerData",
)
#: JSON, dict and form keys whose value is secret (compared case-insensitively).
SECRET_KEYS = (
    "password",
    "new_password",
    "old_password",
    "client_secret",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "authorization",
    "authenticator",
    "cvn",
    "cvv",
    "card_number",
    "cardNumber",
    "account_number_full",
    "routing_number",
    "codeword1",
    "codeword2",
    "answer1",
    "answer2",
    "verification_code",
    "code_verifier",
)

#: Registered values shorter than this are not masked by value (they would mask unrelated text);
#: short secrets (a CVN) are masked by name only.
MIN_SECRET_LENGTH = 6
#: A value registered with a lifetime (an OAuth token) stays masked this long after it expires
#: (a log of the last call made with it may come later), then may be forgotten.
EXPIRED_GRACE = 3600.0
#: How often, at most, the values past their lifetime are looked for (seconds).
_PURGE_EVERY = 60.0
#: Up to this many values, each is searched for on its own; beyond, one indexed pass over the text.
_FIND_LIMIT = 256

_ELEMENT = re.compile(
    r"(<(?:[\w.-]+:)?(?:" + "|".join(SECRET_ELEMENTS) + r")(?:\s[^>]*)?>)"
    r"((?:<!\[CDATA\[.*?\]\]>|[^<])*)(</)",
    re.DOTALL,
)
_KEYS = "|".join(re.escape(k) for k in SECRET_KEYS)
# "key": "value" (JSON) and 'key': 'value' (a Python repr).
_QUOTED_KEY = re.compile(
    r"""((["'])(?:""" + _KEYS + r""")\2\s*[:=]\s*)(["'])((?:(?!\3)[^\\]|\\.)*)(\3)""", re.IGNORECASE
)
# key=value in a form body, a query string or a repr (key=value, key='value').
_FORM_KEY = re.compile(r"(?<![\w-])((?:" + _KEYS + r")=)('[^']*'|\"[^\"]*\"|[^&\s,;)]*)", re.IGNORECASE)
_AUTH_HEADER = re.compile(r"(\b(?:Bearer|Basic)\s+)([A-Za-z0-9._~+/=-]{4,})", re.IGNORECASE)
_CARD = re.compile(r"(?<![\w.-])(?:\d[ -]?){12,18}\d(?![\w.-])")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if 13 <= len(digits) <= 19 and digits[0] in "3456" and _luhn(digits):
        return MASK + digits[-4:]
    return match.group(0)


def redact_xml(text: str) -> str:
    """Mask the text of every secret element in an XML document."""
    return _ELEMENT.sub(lambda m: m.group(1) + (MASK if m.group(2) else "") + m.group(3), text)


def redact_text(text: str) -> str:
    """Mask secrets by name (XML elements, JSON/dict/form keys, auth headers) and card numbers."""
    if "<" in text:
        text = redact_xml(text)
    text = _QUOTED_KEY.sub(lambda m: m.group(1) + m.group(3) + (MASK if m.group(4) else "") + m.group(5), text)
    text = _FORM_KEY.sub(lambda m: m.group(1) + (MASK if m.group(2) else ""), text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)
    return _CARD.sub(_mask_card, text)


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every occurrence of each non-trivial secret in ``text``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return text


def _minus_len(value: str) -> int:
    return -len(value)


class SecretRegistry:
    """Secret values to mask wherever they appear: a thread-safe set, searched in one pass.

    Nothing registered is dropped to make room: passwords and client secrets stay masked for the
    life of the process, however many merchants it serves. Only values registered with a
    ``lifetime`` (OAuth tokens, worthless once expired) are forgotten, :data:`EXPIRED_GRACE`
    seconds after they expire. ``limit`` (None by default) optionally bounds the set, forgetting
    the least recently registered values first.

    Up to a few hundred values, each is searched for (in C); beyond that they are indexed by their
    first ``MIN_SECRET_LENGTH`` characters, so masking costs one dict lookup per character of the
    text however many secrets are registered. Adding a value costs a dict insert; the list sorted
    longest first is built only when masking needs it.
    """

    def __init__(self, limit: int | None = None) -> None:
        self._limit = limit
        # A plain dict (insertion-ordered) and, per first characters, one value or a list of them longest
        # first: about 120 bytes less per value than an OrderedDict and a list each (a platform
        # registers every merchant's password).
        self._values: dict[str, None] = {}
        self._index: dict[str, str | list[str]] = {}
        self._longest_first: tuple[str, ...] | None = ()
        self._expires: dict[str, float] = {}  # values registered with a lifetime: when they may be forgotten
        self._next_purge = 0.0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"SecretRegistry({len(self._values)} values)"

    def add(self, value: str, *, lifetime: float | None = None) -> None:
        """Mask ``value`` from now on; with ``lifetime`` (seconds), it may be forgotten that long plus
        :data:`EXPIRED_GRACE` from now."""
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
            return
        now = time.monotonic()
        with self._lock:
            if self._expires and now >= self._next_purge:
                self._purge(now)
            if value in self._values:
                del self._values[value]  # the most recently registered last
                self._values[value] = None
                if lifetime is None:
                    self._expires.pop(value, None)
                elif value in self._expires:
                    self._expires[value] = max(self._expires[value], now + lifetime + EXPIRED_GRACE)
                return
            self._values[value] = None
            if lifetime is not None:
                self._expires[value] = now + lifetime + EXPIRED_GRACE
            key = value[:MIN_SECRET_LENGTH]
            bucket = self._index.get(key)
            if bucket is None:
                self._index[key] = value
            elif isinstance(bucket, str):
                self._index[key] = sorted((bucket, value), key=_minus_len)  # longest first
            else:
                bisect.insort(bucket, value, key=_minus_len)
            if self._limit is not None:
                while len(self._values) > self._limit:
                    oldest = next(iter(self._values))
                    del self._values[oldest]
                    self._forget(oldest)
            self._longest_first = None  # rebuilt by the next mask() that needs it

    def _forget(self, value: str) -> None:
        """Drop ``value`` from the index (the caller holds the lock and has removed it from ``_values``)."""
        self._expires.pop(value, None)
        key = value[:MIN_SECRET_LENGTH]
        bucket = self._index[key]
        if isinstance(bucket, str):
            del self._index[key]
            return
        bucket.remove(value)
        if len(bucket) == 1:
            self._index[key] = bucket[0]

    def _purge(self, now: float) -> None:
        expired = [value for value, until in self._expires.items() if until <= now]
        for value in expired:
            del self._values[value]
            self._forget(value)
        if expired:
            self._longest_first = None
        self._next_purge = now + _PURGE_EVERY

    def _sorted(self) -> tuple[str, ...]:
        with self._lock:
            longest_first = self._longest_first
            if longest_first is None:
                longest_first = self._longest_first = tuple(sorted(self._values, key=len, reverse=True))
            return longest_first

    def mask(self, text: str) -> str:
        index = self._index
        if not index or len(text) < MIN_SECRET_LENGTH:
            return text
        if len(self._values) <= _FIND_LIMIT:
            # A few hundred values: one C-speed search each beats the per-character scan.
            longest_first = self._longest_first
            if longest_first is None:
                longest_first = self._sorted()
            for value in longest_first:
                if value in text:
                    text = text.replace(value, MASK)
            return text
        out: list[str] = []
        start = i = 0
        end = len(text) - MIN_SECRET_LENGTH + 1
        while i < end:
            bucket = index.get(text[i : i + MIN_SECRET_LENGTH])
            if bucket is not None:
                for value in (bucket,) if isinstance(bucket, str) else tuple(bucket):
                    if text.startswith(value, i):
                        out.append(text[start:i])
                        out.append(MASK)
                        i += len(value)
                        start = i
                        break
                else:
                    i += 1
                continue
            i += 1
        if not out:
            return text
        out.append(text[start:])
        return "".join(out)


_registry = SecretRegistry()


def _after_fork_in_child() -> None:
    # A thread of the parent may have held the lock when the process forked (a pre-fork server, a
    # multiprocessing worker): the child has that thread's lock but not the thread, and would wait
    # for ever at its first log line.
    _registry._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def register_secret(*values: str | None, lifetime: float | None = None) -> None:
    """Mask these values in every log record of the SDK's loggers from now on.

    ``lifetime``: the values expire after so many seconds (OAuth tokens); they stay masked
    :data:`EXPIRED_GRACE` seconds longer, then may be forgotten. Without it they are never forgotten.
    """
    for value in values:
        if value:
            _registry.add(value, lifetime=lifetime)


def redact(text: str) -> str:
    """Everything :class:`RedactingFilter` does to a message: by name, by shape and by value."""
    return _registry.mask(redact_text(text))


#: Loggers the filter is installed on: the SDK's own, and the libraries that see its traffic
#: (zeep.transports logs whole envelopes at DEBUG; urllib3 logs request lines).
LOGGERS = (
    "onebalance",
    "onebalance.carriers",
    "onebalance.carriers.ups",
    "onebalance.carriers.fedex",
    "onebalance.sandbox",
    "carriers",
    "carriers.ups",
    "carriers.fedex",
    "zeep",
    "zeep.transports",
    "zeep.wsdl",
    "urllib3",
    "urllib3.connectionpool",
    "requests",
)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with secrets masked; never drops a record.

    The message is formatted once (``msg % args``), redacted, and stored back with no args, so
    handlers and formatters downstream see only the masked text. ``exc_info`` tracebacks are
    formatted and redacted too (``exc_text``).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_onebalance_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as it always does
            return True
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        record._onebalance_redacted = True
        return True


_FILTER = RedactingFilter()
_install_lock = threading.Lock()


def install(names: Iterable[str] = LOGGERS) -> RedactingFilter:
    """Add the redacting filter to each named logger (once). Returns the filter."""
    with _install_lock:
        for name in names:
            logger = logging.getLogger(name)
            if not any(isinstance(f, RedactingFilter) for f in logger.filters):
                logger.addFilter(_FILTER)
    return _FILTER
