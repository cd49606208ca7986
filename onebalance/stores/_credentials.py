"""Where a platform keeps each merchant's One Balance credentials, keyed by the platform's merchant id.

:class:`CredentialStore` is the interface; :class:`InMemoryCredentialStore` serves tests and
single-process demos, :class:`EncryptedFileCredentialStore` keeps the credentials in one JSON file on
disk with every record encrypted on its own by ``cryptography.fernet`` (AES-128-CBC with an
HMAC-SHA256 tag), so one bad record never hides the others. ``MultiFernet`` gives key rotation: the
first key encrypts, the others only decrypt. :class:`SqliteCredentialStore` and
:class:`PostgresCredentialStore` (the credentials of :class:`~onebalance.SqliteStore` and
:class:`~onebalance.PostgresStore`) keep the same tokens, made by the same keys, in a table.

Threat model. The encryption protects the file at rest: a copy of the store (a backup, a leaked
volume, a stolen disk) reveals neither passwords nor usernames without the key; any change to a
record is detected (authenticated encryption), and so is a record moved to another merchant's slot
(each record carries its merchant id inside the encryption). Not detected: an older record of the
same merchant put back (a rollback), and the merchant ids themselves are in clear text. It does
not protect against anything that can read the key: a process that holds it (this one) can decrypt
every record, so keep the key apart from the file (a secret manager, an environment variable, or a
key file with mode 0600 that is not backed up with the store). File modes (0600 on the store, its
lock file and the key file) are a second line of defence against other local users, not a
replacement for the key.

Several processes may share one JSON file: every read-modify-write holds an exclusive ``flock`` on the
sibling ``<path>.lock`` file and every write replaces the file atomically (temp file, fsync,
``os.replace``, fsync of the directory), so readers always see a whole file and no update is lost.
"""

from __future__ import annotations

import abc
import json
import os
import secrets
import stat
import sys
import threading
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError

from onebalance.core._errors import ConfigurationError, CredentialStoreError, ValidationError

from ._keys import KeyRotation
from ._records import SQLITE_BUSY_TIMEOUT, _open_sqlite_tables, _sqlite_transaction, _store_errors

if TYPE_CHECKING:
    from ._store import PostgresDatabase

if sys.platform != "win32":
    import fcntl

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "CarrierAccount",
    "CredentialStore",
    "EncryptedFileCredentialStore",
    "FedexAccount",
    "InMemoryCredentialStore",
    "PostgresCredentialStore",
    "SqliteCredentialStore",
    "StoredCredentials",
    "UpsAccount",
]

#: One or more Fernet keys, separated by commas; the first one encrypts.
KEY_ENV = "ONEBALANCE_CREDENTIALS_KEY"
#: Path of a key file: one Fernet key per line, mode 0600; the first one encrypts.
KEY_FILE_ENV = "ONEBALANCE_CREDENTIALS_KEY_FILE"

_MAX_MERCHANT_ID = 200
_FILE_VERSION = 1
_KEY_HELP = (
    f"pass keys=[...] or key_file=..., or set {KEY_ENV} (keys separated by commas) or {KEY_FILE_ENV}; "
    "make a key with EncryptedFileCredentialStore.generate_key() (see the onebalance docs on credential storage)"
)


_MERCHANT_KEY = "_merchant_id"


def _now() -> datetime:
    return datetime.now(timezone.utc)


_MASK = "**********"


class CarrierAccount(BaseModel):
    """A merchant's own UPS or FedEx account: the API app's credentials, the account billed, the host.

    ``client_secret`` is a :class:`~pydantic.SecretStr`: ``repr``, ``str`` and ``model_dump_json`` mask
    it, and so do error messages (``hide_input_in_errors``). The formats are checked by
    :class:`~onebalance.Accounts` (``connect_ups`` / ``connect_fedex``) through the carriers' own
    settings before anything is stored.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    client_id: str = Field(min_length=1, max_length=128)
    client_secret: SecretStr
    account_number: str = Field(min_length=1, max_length=16)
    base_url: str = Field(min_length=1, max_length=500, description="The carrier's API host (or a sandbox's).")
    connected_at: datetime = Field(default_factory=_now)

    @field_validator("client_secret")
    @classmethod
    def _real_secret(cls, value: SecretStr) -> SecretStr:
        # A record serialized with model_dump(mode="json") holds the mask, not the secret: refuse it
        # loudly rather than send "**********" to the carrier (use StoredCredentials.to_record()).
        if not value.get_secret_value() or value.get_secret_value() == _MASK:
            raise ValueError("client_secret is missing (a record written without its secret)")
        return value

    def secret_value(self) -> str:
        """The client secret itself, for the carrier's OAuth call only. Never log or show it."""
        return self.client_secret.get_secret_value()

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield (name, f"****{self.account_number[-4:]}") if name == "account_number" else (name, value)

    if not TYPE_CHECKING:

        def __setattr__(self, name: str, value: Any) -> None:
            # As for StoredCredentials: pydantic's frozen-instance error would quote the new secret.
            raise PydanticValidationError.from_exception_data(
                type(self).__name__, [{"type": "frozen_instance", "loc": (name,), "input": "**********"}]
            )


class UpsAccount(CarrierAccount):
    """The merchant's UPS account: an OAuth app's client id and secret and the 6-character shipper number."""


class FedexAccount(CarrierAccount):
    """The merchant's FedEx account: an API key and secret and the 9-digit account number."""


class StoredCredentials(BaseModel):
    """One merchant's One Balance credentials, and optionally its own UPS and FedEx accounts.

    ``repr``, ``str`` and ``model_dump_json`` mask the password and the carriers' client secrets; a
    store persists :meth:`to_record` (everything, secrets in clear) and reads it back with
    ``model_validate``. Records written before ``ups`` and ``fedex`` existed load with both None.
    """

    # hide_input_in_errors: a refused field must not put the password into pydantic's error text.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    integration_id: str
    username: str
    password: SecretStr
    endpoint: str
    verified_at: datetime | None = Field(
        default=None, description="When these credentials last logged in successfully; None = never."
    )
    status: Literal["connected", "pending_verification", "disconnected"] = Field(
        default="connected",
        description="'disconnected': the service refused these credentials; the SDK does not send them "
        "again on its own (each refusal counts towards a lockout) until they are replaced or reconnect "
        "is asked for.",
    )
    refused_at: datetime | None = Field(default=None, description="When the service refused these credentials.")
    updated_at: datetime = Field(default_factory=_now)
    ups: UpsAccount | None = Field(default=None, description="The merchant's own UPS account, if connected.")
    fedex: FedexAccount | None = Field(default=None, description="The merchant's own FedEx account, if connected.")

    def password_value(self) -> str:
        """The password itself, for the SDK's login call only. Never log or show it."""
        return self.password.get_secret_value()

    def to_record(self) -> dict[str, Any]:
        """Everything a store must keep, as JSON-ready data with every secret in clear.

        ``StoredCredentials.model_validate(record)`` gives these credentials back. Only a store
        (which encrypts or otherwise protects it) should call this; never log the result.
        """
        data = self.model_dump(mode="json")
        data["password"] = self.password_value()
        for name in ("ups", "fedex"):
            account: CarrierAccount | None = getattr(self, name)
            if account is not None:
                data[name]["client_secret"] = account.secret_value()
        return data

    if not TYPE_CHECKING:  # type checkers already refuse assignment to a frozen model

        def __setattr__(self, name: str, value: Any) -> None:
            # pydantic's own frozen-instance error quotes the assigned value whatever hide_input_in_errors
            # says, so ``credentials.password = new_password`` would put the new password into the error.
            raise PydanticValidationError.from_exception_data(
                type(self).__name__, [{"type": "frozen_instance", "loc": (name,), "input": "**********"}]
            )


def _check_merchant_id(merchant_id: object) -> str:
    if (
        not isinstance(merchant_id, str)
        or not merchant_id
        or len(merchant_id) > _MAX_MERCHANT_ID
        or any(unicodedata.category(ch) == "Cc" for ch in merchant_id)
    ):
        raise ValidationError(
            f"merchant_id must be a non-empty string of at most {_MAX_MERCHANT_ID} characters "
            "without control characters",
            field="merchant_id",
        )
    return merchant_id


def _check_credentials(credentials: object) -> StoredCredentials:
    if not isinstance(credentials, StoredCredentials):
        raise ValidationError("credentials must be a StoredCredentials", field="credentials")
    return credentials


class CredentialStore(abc.ABC):
    """Each merchant's credentials, keyed by the platform's merchant id.

    A merchant id is a non-empty string of at most 200 characters without control characters;
    anything else raises :class:`~onebalance.ValidationError` (``field="merchant_id"``).
    Implementations call :meth:`check_merchant_id` on every id they are given.
    """

    @staticmethod
    def check_merchant_id(merchant_id: object) -> str:
        """Return ``merchant_id`` if it is valid, else raise ``ValidationError(field="merchant_id")``."""
        return _check_merchant_id(merchant_id)

    @abc.abstractmethod
    def get(self, merchant_id: str) -> StoredCredentials | None:
        """The merchant's credentials, or None if none are stored."""

    @abc.abstractmethod
    def put(self, merchant_id: str, credentials: StoredCredentials) -> None:
        """Store (or replace) the merchant's credentials."""

    @abc.abstractmethod
    def delete(self, merchant_id: str) -> bool:
        """Forget the merchant's credentials; True if there were any."""

    @abc.abstractmethod
    def merchant_ids(self) -> list[str]:
        """Every merchant with stored credentials, sorted."""


class InMemoryCredentialStore(CredentialStore):
    """Credentials in a dict behind a lock: safe to share between threads, gone when the process ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, StoredCredentials] = {}

    def get(self, merchant_id: str) -> StoredCredentials | None:
        merchant_id = _check_merchant_id(merchant_id)
        with self._lock:
            return self._records.get(merchant_id)

    def put(self, merchant_id: str, credentials: StoredCredentials) -> None:
        merchant_id = _check_merchant_id(merchant_id)
        credentials = _check_credentials(credentials)
        with self._lock:
            self._records[merchant_id] = credentials

    def delete(self, merchant_id: str) -> bool:
        merchant_id = _check_merchant_id(merchant_id)
        with self._lock:
            return self._records.pop(merchant_id, None) is not None

    def merchant_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._records)

    def __repr__(self) -> str:
        with self._lock:
            return f"{type(self).__name__}(merchants={len(self._records)})"


def _mode_text(mode: int) -> str:
    return f"{stat.S_IMODE(mode):04o}"


def _read_key_file(path: Path) -> list[str]:
    """The keys in a key file (one per line, blank lines and ``#`` comments skipped); mode must be 0600."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise ConfigurationError(f"the key file {path} cannot be read: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ConfigurationError(f"the key file {path} is not a regular file")
        if info.st_mode & 0o077:
            raise ConfigurationError(
                f"the key file {path} has mode {_mode_text(info.st_mode)}: it must not be readable or writable "
                f"by group or others; set mode 0600 (chmod 600 {path})"
            )
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigurationError(f"the key file {path} is not UTF-8 text") from None
    keys = [line.strip() for line in text.splitlines()]
    keys = [key for key in keys if key and not key.startswith("#")]
    if not keys:
        raise ConfigurationError(f"the key file {path} holds no key; {_KEY_HELP}")
    return keys


def _find_keys(
    keys: Sequence[str | bytes] | None, key_file: str | os.PathLike[str] | None
) -> tuple[list[str | bytes], str]:
    """The raw keys and where they came from (for error messages), in the documented order of sources."""
    if keys is not None:
        if isinstance(keys, (str, bytes)):
            keys = [keys]  # one key given on its own
        if not keys:
            raise ConfigurationError(f"keys is empty; {_KEY_HELP}")
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
    raise ConfigurationError(f"no key to encrypt the credential store; {_KEY_HELP}")


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


class _Sealer:
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
    def from_sources(cls, keys: Sequence[str | bytes] | None, key_file: str | os.PathLike[str] | None) -> _Sealer:
        raw, source = _find_keys(keys, key_file)
        fernets = [_make_fernet(key, f"key {n}", f" (from {source})") for n, key in enumerate(raw, start=1)]
        return cls(fernets, [_to_bytes(key) for key in raw])

    @property
    def key_count(self) -> int:
        return len(self._fernets)

    def with_new_key(self, new_key: str | bytes) -> _Sealer:
        """A sealer that encrypts with ``new_key`` and still decrypts with every key this one has
        (a key it has already is moved to the front, not added twice)."""
        fernet, raw = _make_fernet(new_key, "the new key"), _to_bytes(new_key)
        others = [(f, k) for f, k in zip(self._fernets, self._keys, strict=True) if k != raw]
        return _Sealer([fernet, *(f for f, _ in others)], [raw, *(k for _, k in others)])

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


class EncryptedFileCredentialStore(CredentialStore):
    """Credentials in one JSON file, each record encrypted on its own with Fernet (see the module docstring).

    Keys come from, in order: ``keys``; ``key_file``; the environment variable
    ``ONEBALANCE_CREDENTIALS_KEY`` (keys separated by commas); the file named by
    ``ONEBALANCE_CREDENTIALS_KEY_FILE``. The first key encrypts; the others only decrypt, so that
    records written before a key change stay readable (see :meth:`rotate`). A key file holds one key
    per line (blank lines and ``#`` comments skipped) and must have mode 0600.

    File format: ``{"version": 1, "records": {merchant_id: "<fernet token>"}}``. A missing file is an
    empty store; it is created (mode 0600) on the first write, in a directory that must already
    exist. A store file that group or others may access is refused. POSIX only (``fcntl.flock``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        keys: Sequence[str | bytes] | None = None,
        key_file: str | os.PathLike[str] | None = None,
    ) -> None:
        if sys.platform == "win32":  # pragma: no cover - the SDK's CI runs on POSIX
            raise ConfigurationError("EncryptedFileCredentialStore needs a POSIX system (fcntl.flock)")
        self._path = Path(path)
        self._lock_path = self._path.with_name(self._path.name + ".lock")
        self._sealer = _Sealer.from_sources(keys, key_file)

    @staticmethod
    def generate_key() -> str:
        """A new random Fernet key (url-safe base64 text). Keep it apart from the store file."""
        return Fernet.generate_key().decode("ascii")

    @property
    def path(self) -> Path:
        return self._path

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={str(self._path)!r}, keys={self._sealer.key_count})"

    # -- the CredentialStore interface --------------------------------------------------------

    def get(self, merchant_id: str) -> StoredCredentials | None:
        merchant_id = _check_merchant_id(merchant_id)
        with self._locked(exclusive=False):
            token = self._read().get(merchant_id)
        return None if token is None else self._sealer.open(merchant_id, token)

    def put(self, merchant_id: str, credentials: StoredCredentials) -> None:
        merchant_id = _check_merchant_id(merchant_id)
        credentials = _check_credentials(credentials)
        with self._locked(exclusive=True):
            records = self._read()
            # Sealed under the lock: never with a key that rotate() retired.
            records[merchant_id] = self._sealer.seal(merchant_id, credentials)
            self._write(records)

    def delete(self, merchant_id: str) -> bool:
        merchant_id = _check_merchant_id(merchant_id)
        with self._locked(exclusive=True):
            records = self._read()
            if records.pop(merchant_id, None) is None:
                return False
            self._write(records)
            return True

    def merchant_ids(self) -> list[str]:
        with self._locked(exclusive=False):
            return sorted(self._read())

    # -- key rotation --------------------------------------------------------------------------

    def rotate(self, new_key: str | bytes | None = None) -> KeyRotation:
        """Re-encrypt with the first key every record that is under another key, and say which.

        ``new_key``, when given, becomes the first key (the keys this store had stay as decrypt-only
        keys; a key it had already just moves to the front). Records already under the first key
        are left as they are, so ``rotate()`` can be run again at any time: the
        :class:`~onebalance.KeyRotation` it returns lists what it re-encrypted. If any record
        cannot be decrypted, nothing is changed (``CredentialStoreError``).

        The roll-out that strands no record (see the accounts guide): give every process the new
        key as its second key; then make it the first key everywhere; then ``rotate()``; then
        ``rotate()`` again, which must report nothing; then drop the old key.
        """
        sealer = self._sealer if new_key is None else self._sealer.with_new_key(new_key)
        with self._locked(exclusive=True):
            records = self._read()
            changed, report = sealer.rotation(records, str(self._path))
            if changed:
                self._write({**records, **changed})
            self._sealer = sealer
        return report

    # -- the file ------------------------------------------------------------------------------

    @contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        """Hold ``flock`` on ``<path>.lock``: exclusive for read-modify-write, shared for reads.

        The lock file is never removed (removing it would let two writers lock different files).
        """
        fd: int | None = None
        problem = ""
        try:
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            problem = exc.strerror or type(exc).__name__
        if fd is None:
            if exclusive and not self._path.parent.is_dir():
                raise CredentialStoreError(
                    f"cannot write the credential store {self._path}: the directory {self._path.parent} does not exist"
                )
            if exclusive:
                raise CredentialStoreError(f"cannot open the lock file {self._lock_path}: {problem}")
            # A reader in a read-only directory: writes replace the file atomically, so an unlocked
            # read still sees one whole version of the file.
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _read(self) -> dict[str, str]:
        """The records as stored (merchant id -> token). Call with the lock held."""
        path = self._path
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise CredentialStoreError(f"cannot read the credential store {path}: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise CredentialStoreError(f"the credential store {path} is not a regular file")
            if info.st_mode & 0o077:
                raise ConfigurationError(
                    f"the credential store {path} has mode {_mode_text(info.st_mode)}: it must not be accessible "
                    f"by group or others; check who may have read it, then set mode 0600 (chmod 600 {path})"
                )
            data = f.read()
        if not data.strip():
            return {}  # an empty file (made with touch and chmod 600) is an empty store
        document: Any = None
        with suppress(ValueError):  # JSONDecodeError and UnicodeDecodeError
            document = json.loads(data)
        records = document.get("records") if isinstance(document, dict) else None
        if (
            not isinstance(document, dict)
            or not isinstance(records, dict)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in records.items())
        ):
            raise CredentialStoreError(
                f"the credential store {path} is corrupt: it is not a onebalance credential store file"
            )
        version = document.get("version")
        if version != _FILE_VERSION:
            shown = version if isinstance(version, int) else "unknown"
            raise CredentialStoreError(
                f"the credential store {path} has format version {shown}; this onebalance reads version {_FILE_VERSION}"
            )
        return dict(records)

    def _write(self, records: dict[str, str]) -> None:
        """Replace the file atomically with ``records``. Call with the exclusive lock held."""
        path = self._path
        body = json.dumps(
            {"version": _FILE_VERSION, "records": dict(sorted(records.items()))}, indent=1, ensure_ascii=False
        ).encode("utf-8")
        directory = path.parent
        tmp = directory / f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileNotFoundError:
            raise CredentialStoreError(
                f"cannot write the credential store {path}: the directory {directory} does not exist"
            ) from None
        except OSError as exc:
            raise CredentialStoreError(f"cannot write the credential store {path}: {exc.strerror}") from None
        try:
            try:
                with os.fdopen(fd, "wb") as f:
                    os.fchmod(f.fileno(), 0o600)  # whatever the umask did
                    f.write(body)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise CredentialStoreError(f"cannot write the credential store {path}: {exc.strerror}") from None


# -- in a database ----------------------------------------------------------------------------------

_CREDENTIALS_STEPS: list[list[str]] = [
    ["CREATE TABLE IF NOT EXISTS credentials (merchant_id TEXT PRIMARY KEY, token TEXT NOT NULL, updated_at TEXT)"],
]


def _create_private(path: Path) -> os.stat_result:
    """Create ``path`` (mode 0600) and stat it; if another process made it first, stat that one."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return os.stat(path)
    try:  # a file nobody had open: closing this descriptor releases no one's lock
        return os.fstat(fd)
    finally:
        os.close(fd)


def _private_file(path: Path, what: str) -> None:
    """Create ``path`` with mode 0600 if it is missing; refuse one that group or others may access.

    An existing file is only looked at (``stat``), never opened: closing a descriptor of a SQLite
    file releases every POSIX lock the process holds on it, those of its open connections included,
    and another process's SQLite then takes the WAL for unused and resets it under them (writes
    made since were invisible to this process's connections).
    """
    try:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            info = _create_private(path)
    except FileNotFoundError:
        raise ConfigurationError(f"cannot use {path} as {what}: the directory {path.parent} does not exist") from None
    except OSError as exc:
        raise ConfigurationError(f"cannot use {path} as {what}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigurationError(f"cannot use {path} as {what}: it is not a regular file")
    if info.st_mode & 0o077:
        raise ConfigurationError(
            f"{what} {path} has mode {_mode_text(info.st_mode)}: it holds the merchants' encrypted credentials, so "
            f"it must not be accessible by group or others; set mode 0600 (chmod 600 {path})"
        )


class SqliteCredentialStore(CredentialStore):
    """Credentials in a SQLite file (WAL), each record encrypted on its own with Fernet.

    The keys, their sources, the token format and the threat model are those of
    :class:`EncryptedFileCredentialStore` (see the module docstring); the tokens sit in the
    ``credentials`` table of the file :class:`~onebalance.SqliteStore` shares with the receipts. The
    file is created with mode 0600; one that group or others may access is refused.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        keys: Sequence[str | bytes] | None = None,
        key_file: str | os.PathLike[str] | None = None,
        busy_timeout: float = SQLITE_BUSY_TIMEOUT,
    ) -> None:
        self.path = Path(path)
        self._sealer = _Sealer.from_sources(keys, key_file)
        _private_file(self.path, "the store file")
        self._conn = _open_sqlite_tables(self.path, "credentials", _CREDENTIALS_STEPS, busy_timeout, "the store file")
        self._lock = threading.Lock()
        self._what = f"the credential store {self.path}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={str(self.path)!r}, keys={self._sealer.key_count})"

    def get(self, merchant_id: str) -> StoredCredentials | None:
        merchant_id = _check_merchant_id(merchant_id)
        with self._lock, _store_errors(self._what):
            row = self._conn.execute("SELECT token FROM credentials WHERE merchant_id = ?", (merchant_id,)).fetchone()
        return None if row is None else self._sealer.open(merchant_id, row[0])

    def put(self, merchant_id: str, credentials: StoredCredentials) -> None:
        merchant_id = _check_merchant_id(merchant_id)
        credentials = _check_credentials(credentials)
        with self._lock, _store_errors(self._what):
            self._conn.execute(
                "INSERT OR REPLACE INTO credentials VALUES (?, ?, ?)",
                (merchant_id, self._sealer.seal(merchant_id, credentials), _now().isoformat()),
            )

    def delete(self, merchant_id: str) -> bool:
        merchant_id = _check_merchant_id(merchant_id)
        with self._lock, _store_errors(self._what):
            return self._conn.execute("DELETE FROM credentials WHERE merchant_id = ?", (merchant_id,)).rowcount > 0

    def merchant_ids(self) -> list[str]:
        with self._lock, _store_errors(self._what):
            return sorted(row[0] for row in self._conn.execute("SELECT merchant_id FROM credentials"))

    def rotate(self, new_key: str | bytes | None = None) -> KeyRotation:
        """Re-encrypt with the first key every record under another key, in one transaction, and say which.

        As :meth:`EncryptedFileCredentialStore.rotate`: ``new_key`` becomes the first key; if any
        record cannot be decrypted, nothing changes.
        """
        sealer = self._sealer if new_key is None else self._sealer.with_new_key(new_key)
        with self._lock, _store_errors(self._what), _sqlite_transaction(self._conn) as conn:
            rows = conn.execute("SELECT merchant_id, token FROM credentials").fetchall()
            changed, report = sealer.rotation(dict(rows), str(self.path))
            conn.executemany(
                "UPDATE credentials SET token = ? WHERE merchant_id = ?",
                [(token, merchant_id) for merchant_id, token in changed.items()],
            )
            self._sealer = sealer
        return report

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class PostgresCredentialStore(CredentialStore):
    """Credentials in PostgreSQL, each record encrypted on its own with Fernet; made by
    :class:`~onebalance.PostgresStore` (its ``credentials``).

    The keys, their sources, the token format and the threat model are those of
    :class:`EncryptedFileCredentialStore`: the database (and its backups) holds only tokens, and a
    token copied to another merchant's row is refused.
    """

    def __init__(
        self,
        db: PostgresDatabase,
        *,
        keys: Sequence[str | bytes] | None = None,
        key_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self._db = db
        self._sealer = _Sealer.from_sources(keys, key_file)
        self._get = db.sql("SELECT token FROM {credentials} WHERE merchant_id = %s")
        self._put = db.sql(
            """INSERT INTO {credentials} (merchant_id, token, updated_at) VALUES (%s, %s, now())
            ON CONFLICT (merchant_id) DO UPDATE SET token = EXCLUDED.token, updated_at = EXCLUDED.updated_at"""
        )
        self._delete = db.sql("DELETE FROM {credentials} WHERE merchant_id = %s")
        self._ids = db.sql("SELECT merchant_id FROM {credentials}")
        self._all_for_update = db.sql("SELECT merchant_id, token FROM {credentials} FOR UPDATE")
        self._update = db.sql("UPDATE {credentials} SET token = %s WHERE merchant_id = %s")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._db.describe()}, keys={self._sealer.key_count})"

    def get(self, merchant_id: str) -> StoredCredentials | None:
        merchant_id = _check_merchant_id(merchant_id)
        with self._db.connection() as conn:
            row = conn.execute(self._get, (merchant_id,)).fetchone()
        return None if row is None else self._sealer.open(merchant_id, row[0])

    def put(self, merchant_id: str, credentials: StoredCredentials) -> None:
        merchant_id = _check_merchant_id(merchant_id)
        token = self._sealer.seal(merchant_id, _check_credentials(credentials))
        with self._db.connection() as conn:
            conn.execute(self._put, (merchant_id, token))

    def delete(self, merchant_id: str) -> bool:
        merchant_id = _check_merchant_id(merchant_id)
        with self._db.connection() as conn:
            return conn.execute(self._delete, (merchant_id,)).rowcount > 0

    def merchant_ids(self) -> list[str]:
        with self._db.connection() as conn:
            return sorted(row[0] for row in conn.execute(self._ids).fetchall())

    def rotate(self, new_key: str | bytes | None = None) -> KeyRotation:
        """Re-encrypt with the first key every record under another key, in one transaction, and say which.

        As :meth:`EncryptedFileCredentialStore.rotate`: ``new_key`` becomes the first key; if any
        record cannot be decrypted, nothing changes.
        """
        sealer = self._sealer if new_key is None else self._sealer.with_new_key(new_key)
        with self._db.connection() as conn, conn.transaction():
            rows = conn.execute(self._all_for_update).fetchall()
            changed, report = sealer.rotation(dict(rows), self._db.describe())
            if changed:
                with conn.cursor() as cur:
                    cur.executemany(self._update, [(token, merchant_id) for merchant_id, token in changed.items()])
        self._sealer = sealer
        return report
