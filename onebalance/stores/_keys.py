"""What a key rotation of an encrypted credential store did (see ``rotate()`` on each store)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KeyRotation"]


@dataclass(frozen=True)
class KeyRotation:
    """The report of one ``rotate()``: which records it re-encrypted with the first key.

    ``reencrypted`` holds the merchant ids whose record was under an older key and is now under
    the first one; ``unchanged`` counts the records that were under the first key already (they
    are left as they were). A rotation run again after every process has the new key first must
    report nothing re-encrypted (``complete``): a record it does re-encrypt was written by a
    process that still had the old key first, and the old key must stay until that process is
    switched too.
    """

    reencrypted: tuple[str, ...]
    unchanged: int

    @property
    def complete(self) -> bool:
        """Whether every record was under the first key already (nothing needed re-encrypting)."""
        return not self.reencrypted

    def __str__(self) -> str:
        shown = ", ".join(self.reencrypted[:5]) + (f" and {len(self.reencrypted) - 5} more" if len(self) > 5 else "")
        done = f"re-encrypted {len(self)} record{'s' * (len(self) != 1)}" + (f" ({shown})" if shown else "")
        return f"{done}; {self.unchanged} already under the first key"

    def __len__(self) -> int:
        return len(self.reencrypted)
