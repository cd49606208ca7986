"""What a merchant's USPS client already knows, so that a label costs one round trip.

Kept per One Balance client (``OneBalance``, cached per merchant by :class:`~onebalance.Accounts`),
shared by every thread and every :class:`UspsShipping` built on that client, for as long as the
client lives:

* **the account**: the last GetAccountInfo, its balance and control total replaced by those of
  every later answer that carried them (CreateIndicium's PostageBalance), trusted for
  :data:`ACCOUNT_TTL` after that read. The plan's capabilities and the balance come from it
  instead of a GetAccountInfo before every rate shop and every label. An answer older than the
  one kept (a lower control total: labels bought in parallel answer out of order) changes nothing.
* **the address checks**: the recent CleanseAddress results that matched (at most
  :data:`CHECKS_KEPT`, kept :data:`CHECK_TTL`), by the address sent and by the address USPS
  corrected it to, so that a label for an address checked before (by ``check_address`` or a
  rate shop with ``check_address=True``) carries its CleanseHash without a second check.

Nothing here is trusted with money on its own: ``UspsShipping.buy`` reads the account again
whenever the known balance might not pay for the label or reach the auto-refill threshold, and
the service checks the balance again when it prints.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal

from onebalance.core import PerObject
from onebalance.shipments import Address
from onebalance.swsim import Account

from ._models import CleansedAddress

__all__ = ["ACCOUNT_TTL", "CHECKS_KEPT", "CHECK_TTL", "Known", "known_for"]

#: How long an account read (GetAccountInfo) is trusted for its capabilities and, refreshed by
#: every later answer, its balance.
ACCOUNT_TTL = 300.0
#: How many matched address checks are kept per client, and for how long.
CHECKS_KEPT = 1024
CHECK_TTL = 24 * 3600.0


def _address_key(address: Address) -> bytes:
    """The address's JSON text (``model_dump_json()``, as pydantic's serializer writes it, without the wrapper)."""
    return address.__pydantic_serializer__.to_json(address)


class Known:
    """One client's known account and address checks (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._account: Account | None = None
        self._read_at = 0.0
        self._checks: OrderedDict[bytes, tuple[float, CleansedAddress]] = OrderedDict()

    # -- the account -----------------------------------------------------------------------------
    def account(self) -> Account | None:
        """The account as last known, or None when never read or read too long ago."""
        with self._lock:
            if self._account is None or self._clock() - self._read_at > ACCOUNT_TTL:
                return None
            return self._account

    def read(self, account: Account) -> Account:
        """Keep ``account``, just read from the service (GetAccountInfo); returns it."""
        with self._lock:
            known = self._account
            if known is not None and account.control_total < known.control_total:
                # Labels printed since this read began answered first: keep their balance.
                account = account.model_copy(
                    update={"available_postage": known.available_postage, "control_total": known.control_total}
                )
            self._account, self._read_at = account, self._clock()
        return account

    def balance(self, available: Decimal, control_total: Decimal) -> None:
        """An answer said the balance is now ``available`` (after ``control_total`` printed in all)."""
        with self._lock:
            known = self._account
            if known is None or control_total < known.control_total:
                return  # nothing to update, or an answer older than what is known
            self._account = known.model_copy(update={"available_postage": available, "control_total": control_total})

    def forget(self) -> None:
        """Forget the account: the next look reads it again."""
        with self._lock:
            self._account = None

    # -- address checks ------------------------------------------------------------------------
    def check(self, address: Address) -> CleansedAddress | None:
        """The matched check of ``address`` (as sent, or as USPS corrected it) made lately, if any."""
        key = _address_key(address)
        with self._lock:
            found = self._checks.get(key)
            if found is None:
                return None
            if self._clock() - found[0] > CHECK_TTL:
                del self._checks[key]
                return None
            self._checks.move_to_end(key)
            return found[1]

    def checked(self, sent: Address, result: CleansedAddress) -> None:
        """Keep ``result``, what USPS said of ``sent``, when it matched (it then has a CleanseHash)."""
        if not result.match or not result.cleanse_hash:
            return
        now = self._clock()
        with self._lock:
            for address in (sent, result.address):
                key = _address_key(address)
                self._checks[key] = (now, result)
                self._checks.move_to_end(key)
            while len(self._checks) > CHECKS_KEPT:
                self._checks.popitem(last=False)


#: What is known of the account behind a client (a OneBalance), kept as long as the client is.
known_for: PerObject[object, Known] = PerObject(lambda _client: Known())
