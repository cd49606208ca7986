"""The OAuth 2.0 client-credentials token (RFC 6749 §4.4) and its cache.

The answer's ``access_token`` and ``expires_in`` are the RFC's own names (§5.1), the same for
every carrier. A token is kept until ``margin`` seconds before it expires (or half its life, when
that is shorter), shared by every call of a proxy, fetched one at a time behind a lock, and
replaced at once when the carrier refuses it (``stale``).
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from onebalance.core import ProtocolError, register_secret

__all__ = ["MAX_TOKEN_LIFETIME", "Token", "TokenCache", "read_token"]

#: A token is never trusted for longer than a day, whatever ``expires_in`` says (UPS's last 4 hours,
#: FedEx's 1 hour).
MAX_TOKEN_LIFETIME = 86400.0


@dataclass(frozen=True)
class Token:
    """An access token and when it stops working (on the proxy's clock). ``repr`` hides it."""

    access_token: str
    expires_at: float
    #: Its lifetime in seconds, as the carrier gave it (at most :data:`MAX_TOKEN_LIFETIME`).
    lifetime: float = field(default=0.0)

    def __repr__(self) -> str:
        return f"Token(access_token='***', expires_at={self.expires_at!r})"


def read_token(body: Any, *, service: str, operation: str, now: float) -> Token:
    """The token of a token answer; :class:`ProtocolError` for a missing token or an ``expires_in``
    that is not a number of seconds, 0 or more (a negative, infinite or boolean one is refused)."""
    token = body.get("access_token") if isinstance(body, Mapping) else None
    if not isinstance(token, str) or not token:
        raise ProtocolError(f"{service}'s token answer has no access_token", operation=operation)
    raw = body.get("expires_in")
    seconds = math.nan
    if isinstance(raw, (int, float, str)) and not isinstance(raw, bool):
        with contextlib.suppress(ValueError):
            seconds = float(raw)
    if not math.isfinite(seconds) or seconds < 0:
        raise ProtocolError(f"{service}'s token answer has no valid expires_in", operation=operation)
    lifetime = min(seconds, MAX_TOKEN_LIFETIME)
    register_secret(token, lifetime=lifetime)  # forgotten once long expired: the registry has no cap
    return Token(token, now + lifetime, lifetime)


class TokenCache:
    """The one token of a proxy: ``fetch()`` is called when there is none, it is about to expire,
    or the carrier refused it. Thread-safe."""

    def __init__(self, fetch: Callable[[], Token], clock: Callable[[], float], margin: float) -> None:
        self._fetch = fetch
        self._clock = clock
        self._margin = margin
        #: The token and the instant it stops being fresh, in one attribute: read without the lock,
        #: the two always belong together.
        self._held: tuple[Token, float] | None = None
        self._lock = threading.Lock()
        self.fetched = 0

    def _fresh_until(self, token: Token) -> float:
        return token.expires_at - min(self._margin, token.lifetime / 2)

    def get(self, *, stale: Token | None = None) -> Token:
        """A token good for a while yet; ``stale`` (one the carrier just refused) is replaced."""
        held = self._held  # the usual case, without the lock: a token still good for a while
        if stale is None and held is not None and self._clock() < held[1]:
            return held[0]
        with self._lock:
            held = self._held
            if held is not None and held[0] is not stale and self._clock() < held[1]:
                return held[0]
            current = self._fetch()
            self._held = (current, self._fresh_until(current))
            self.fetched += 1
            return current

    def forget(self) -> None:
        with self._lock:
            self._held = None

    @property
    def held(self) -> bool:
        return self._held is not None
