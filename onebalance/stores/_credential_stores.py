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

import json
import os
import secrets
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from onebalance.core import ConfigurationError, CredentialStoreError

from ._credential_models import CredentialStore, StoredCredentials, valid_credentials, valid_merchant_id
from ._files import read_private
from ._keys import KeyRotation, Sealer

if sys.platform != "win32":
    import fcntl

__all__ = ["EncryptedFileCredentialStore", "InMemoryCredentialStore"]

_FILE_VERSION = 1


class InMemoryCredentialStore(CredentialStore):
    """Credentials in a dict behind a lock: safe to share between threads, gone when the process ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, StoredCredentials] = {}

    def get(self, merchant_id: str) -> StoredCredentials | None:
        merchant_id = valid_merchant_id(merchant_id)
        with self._lock:
            return self._records.get(merchant_id)

    def put(self, merchant_id: str, credentials: StoredCredentials) -> None:
        merchant_id = valid_merchant_id(merchant_id)
        credentials = valid_credentials(credentials)
        with self._lock:
            self._records[merchant_id] = credentials

    def delete(self, merchant_id: str) -> bool:
        merchant_id = valid_merchant_id(merchant_id)
        with self._lock:
            return self._records.pop(merchant_id, None) is not None

    def merchant_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._records)

    def __repr__(self) -> str:
        with self._lock:
            return f"{type(self).__name__}(merchants={len(self._records)})"


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
        self._sealer = Sealer.from_sources(keys, key_file)

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
        merchant_id = valid_merchant_id(merchant_id)
        with self._locked(exclusive=False):
            token = self._read().get(merchant_id)
        return None if token is None else self._sealer.open(merchant_id, token)

    def put(self, merchant_id: str, credentials: StoredCredentials) -> None:
        merchant_id = valid_merchant_id(merchant_id)
        credentials = valid_credentials(credentials)
        with self._locked(exclusive=True):
            records = self._read()
            # Sealed under the lock: never with a key that rotate() retired.
            records[merchant_id] = self._sealer.seal(merchant_id, credentials)
            self._write(records)

    def delete(self, merchant_id: str) -> bool:
        merchant_id = valid_merchant_id(merchant_id)
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
        data = read_private(
            path,
            "the credential store",
            cannot_read=lambda reason: CredentialStoreError(f"cannot read the credential store {path}: {reason}"),
            not_regular=CredentialStoreError(f"the credential store {path} is not a regular file"),
            missing=b"",
            fix="check who may have read it, then set mode 0600",
        )
        if not data.strip():
            return {}  # a missing file, or an empty one (made with touch and chmod 600), is an empty store
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
