"""The keys of the encrypted credential stores: where they come from, the sealing, and rotation.

Keys come from, in order: ``keys=``; ``key_file=``; the environment variable
``ONEBALANCE_CREDENTIALS_KEY`` (keys separated by commas); the file named by
``ONEBALANCE_CREDENTIALS_KEY_FILE``. The first key encrypts; the others only decrypt.
:class:`Sealer` encrypts one merchant's :class:`~onebalance.StoredCredentials` into a Fernet token
bound to its merchant id, for every encrypted store (the file, SQLite, PostgreSQL), and re-encrypts
tokens under the first key (``rotate()`` on each store, which reports a :class:`KeyRotation`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import ValidationError as PydanticValidationError

from onebalance.core import ConfigurationError, CredentialStoreError

from ._credential_models import StoredCredentials
from ._files import read_private

__all__ = ["KEY_ENV", "KEY_FILE_ENV", "KEY_HELP", "KeyRotation", "Sealer"]

#: One or more Fernet keys, separated by commas; the first one encrypts.
KEY_ENV = "ONEBALANCE_CREDENTIALS_KEY"
#: Path of a key file: one Fernet key per line, mode 0600; the first one encrypts.
KEY_FILE_ENV = "ONEBALANCE_CREDENTIALS_KEY_FILE"

#: How to give the keys, as the SDK's key messages tell a Python caller.
KEY_HELP = (
    f"pass keys=[...] or key_file=..., or set {KEY_ENV} (keys separated by commas) or {KEY_FILE_ENV}; "
    "make a key with EncryptedFileCredentialStore.generate_key() (see the onebalance docs on credential storage)"
)


_MERCHANT_KEY = "_merchant_id"


def _read_key_file(path: Path) -> list[str]:
    """The keys in a key file (one per line, blank lines and ``#`` comments skipped); mode must be 0600."""
    data = read_private(
        path,
        "the key file",
        cannot_read=lambda reason: ConfigurationError(f"the key file {path} cannot be read: {reason}"),
        not_regular=ConfigurationError(f"the key file {path} is not a regular file"),
        why="it must not be readable or writable by group or others",
    )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigurationError(f"the key file {path} is not UTF-8 text") from None
    keys = [line.strip() for line in text.splitlines()]
    keys = [key for key in keys if key and not key.startswith("#")]
    if not keys:
        raise ConfigurationError(f"the key file {path} holds no key; {KEY_HELP}")
    return keys


def _find_keys(
    keys: Sequence[str | bytes] | None, key_file: str | os.PathLike[str] | None
) -> tuple[list[str | bytes], str]:
    """The raw keys and where they came from (for error messages), in the documented order of sources."""
    if keys is not None:
        if isinstance(keys, (str, bytes)):
            keys = [keys]  # one key given on its own
        if not keys:
            raise ConfigurationError(f"keys is empty; {KEY_HELP}")
        return list(keys), "the keys argument"
    if key_file is not None:
        return list(_read_key_file(Path(key_file))), f"the key file {key_file}"
    from_env = [key.strip() for key in os.environ.get(KEY_ENV, "").split(",")]
    from_env = [key for key in from_env if key]
    if from_env:
        return list(from_env), KEY_ENV
    env_file = os.environ.get(KEY_FILE_ENV, "").strip()
    if env_file:
        return list(_read_key_file(Path(env_file))), f"the key file {env_file} ({KEY_FILE_ENV})"
    raise ConfigurationError(f"no key to encrypt the credential store; {KEY_HELP}")


def _to_bytes(key: str | bytes) -> bytes:
    return key.encode("ascii", "replace") if isinstance(key, str) else key


def _make_fernet(key: str | bytes, what: str, where: str = "") -> Fernet:
    """A Fernet for ``key``; the error never includes the key (nor the library's own exception, by chaining)."""
    fernet: Fernet | None = None
    with suppress(ValueError, TypeError):
        fernet = Fernet(_to_bytes(key))
    if fernet is None:  # raised outside the except block so that no __context__ holds the key
        raise ConfigurationError(
            f"{what} is not a valid Fernet key{where}: a key is 32 url-safe base64-encoded bytes; "
            "make one with EncryptedFileCredentialStore.generate_key()"
        )
    return fernet


class Sealer:
    """Fernet encryption of one merchant's credentials, bound to its merchant id.

    Shared by every encrypted store (the file, SQLite, PostgreSQL): the same keys, key sources,
    token format and error messages whatever holds the tokens. The first key encrypts; the
    others only decrypt. The whole :class:`StoredCredentials` is serialised
    (:meth:`StoredCredentials.to_record`: every field, secrets in clear inside the encryption).
    """

    def __init__(self, fernets: list[Fernet], keys: list[bytes]) -> None:
        self._fernets = fernets
        self._keys = keys  # to tell a key given again from a new one; never shown
        self._multi = MultiFernet(fernets)

    @classmethod
    def from_sources(cls, keys: Sequence[str | bytes] | None, key_file: str | os.PathLike[str] | None) -> Sealer:
        raw, source = _find_keys(keys, key_file)
        fernets = [_make_fernet(key, f"key {n}", f" (from {source})") for n, key in enumerate(raw, start=1)]
        return cls(fernets, [_to_bytes(key) for key in raw])

    @property
    def key_count(self) -> int:
        return len(self._fernets)

    def with_new_key(self, new_key: str | bytes) -> Sealer:
        """A sealer that encrypts with ``new_key`` and still decrypts with every key this one has
        (a key it has already is moved to the front, not added twice)."""
        fernet, raw = _make_fernet(new_key, "the new key"), _to_bytes(new_key)
        others = [(f, k) for f, k in zip(self._fernets, self._keys, strict=True) if k != raw]
        return Sealer([fernet, *(f for f, _ in others)], [raw, *(k for _, k in others)])

    def rotation(self, tokens: Mapping[str, str], where: str) -> tuple[dict[str, str], KeyRotation]:
        """The tokens not under the first key, encrypted again with it, and the report.

        Tokens the first key decrypts already are left out (nothing to write). If any token no key
        decrypts, ``CredentialStoreError`` naming its merchants, and nothing is to be written.
        """
        first = self._fernets[0]
        changed: dict[str, str] = {}
        unreadable: list[str] = []
        for merchant_id, token in tokens.items():
            try:
                first.decrypt(token.encode("ascii", "replace"))
            except InvalidToken:
                pass
            else:
                continue  # under the first key already
            rotated = self.reseal(token)
            if rotated is None:
                unreadable.append(merchant_id)
            else:
                changed[merchant_id] = rotated
        if unreadable:
            raise _unreadable_error(where, unreadable)
        return changed, KeyRotation(reencrypted=tuple(sorted(changed)), unchanged=len(tokens) - len(changed))

    def seal(self, merchant_id: str, credentials: StoredCredentials) -> str:
        data = credentials.to_record()  # every field, the password and the carriers' secrets in clear
        # Bound to its merchant: a record moved to another merchant's slot is refused on reading.
        data[_MERCHANT_KEY] = merchant_id
        plaintext = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return self._multi.encrypt(plaintext).decode("ascii")

    def reseal(self, token: str) -> str | None:
        """``token`` encrypted again with the first key, or None if no key decrypts it."""
        try:
            return self._multi.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            return None

    def open(self, merchant_id: str, token: str) -> StoredCredentials:
        # Errors are raised outside the except blocks: no __context__ holds a plaintext or token.
        plaintext: bytes | None = None
        with suppress(InvalidToken, UnicodeEncodeError):
            plaintext = self._multi.decrypt(token.encode("ascii"))
        if plaintext is None:
            raise CredentialStoreError(
                f"the record for merchant {merchant_id!r} cannot be decrypted with the configured keys "
                "(a different key, or the record was altered)"
            )
        credentials: StoredCredentials | None = None
        owner: object = None
        with suppress(PydanticValidationError, ValueError):
            data = json.loads(plaintext)
            owner = data.pop(_MERCHANT_KEY, None)
            credentials = StoredCredentials.model_validate(data)
        if credentials is not None and owner is None:
            raise CredentialStoreError(
                f"the record for merchant {merchant_id!r} is not bound to its merchant (written by an earlier "
                "version of onebalance): store the credentials again"
            )
        if credentials is not None and owner != merchant_id:
            raise CredentialStoreError(
                f"the record stored for merchant {merchant_id!r} belongs to another merchant "
                "(records were moved within the store)"
            )
        if credentials is None:
            raise CredentialStoreError(
                f"the record for merchant {merchant_id!r} decrypts but is not valid StoredCredentials "
                "(written by another version of onebalance?)"
            )
        return credentials


def _unreadable_error(where: str, unreadable: list[str]) -> CredentialStoreError:
    shown = ", ".join(repr(m) for m in sorted(unreadable)[:5])
    more = f" and {len(unreadable) - 5} more" if len(unreadable) > 5 else ""
    return CredentialStoreError(
        f"cannot rotate {where}: the records for merchants {shown}{more} cannot be decrypted "
        "with the configured keys; nothing was changed"
    )


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
