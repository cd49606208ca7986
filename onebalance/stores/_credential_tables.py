"""The credentials of the SQL stores: :class:`SqliteCredentialStore` (a table of a
:class:`~onebalance.SqliteStore`'s file) and :class:`PostgresCredentialStore` (a
:class:`~onebalance.PostgresStore`'s). Each record is a Fernet token made by the same keys and in
the same format as the encrypted file's (``_keys``), so the threat model is the file's
(``_credential_stores``): the database and its backups hold only tokens.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ._credential_models import CredentialStore, StoredCredentials, utc_now, valid_credentials, valid_merchant_id
from ._files import private_file
from ._keys import KeyRotation, Sealer
from ._postgres import PostgresDatabase
from ._sqlite import SQLITE_BUSY_TIMEOUT, SqliteTables

__all__ = ["PostgresCredentialStore", "SqliteCredentialStore"]

_CREDENTIALS_STEPS: list[list[str]] = [
    ["CREATE TABLE IF NOT EXISTS credentials (merchant_id TEXT PRIMARY KEY, token TEXT NOT NULL, updated_at TEXT)"],
]


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
        self._sealer = Sealer.from_sources(keys, key_file)
        private_file(self.path, "the store file")
        self._tables = SqliteTables(
            self.path,
            "credentials",
            _CREDENTIALS_STEPS,
            busy_timeout,
            "the store file",
            f"the credential store {self.path}",
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={str(self.path)!r}, keys={self._sealer.key_count})"

    def get(self, merchant_id: str) -> StoredCredentials | None:
        merchant_id = valid_merchant_id(merchant_id)
        with self._tables.connection() as conn:
            row = conn.execute("SELECT token FROM credentials WHERE merchant_id = ?", (merchant_id,)).fetchone()
        return None if row is None else self._sealer.open(merchant_id, row[0])

    def put(self, merchant_id: str, credentials: StoredCredentials) -> None:
        merchant_id = valid_merchant_id(merchant_id)
        credentials = valid_credentials(credentials)
        with self._tables.connection() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO credentials VALUES (?, ?, ?)",
                (merchant_id, self._sealer.seal(merchant_id, credentials), utc_now().isoformat()),
            )

    def delete(self, merchant_id: str) -> bool:
        merchant_id = valid_merchant_id(merchant_id)
        with self._tables.connection() as conn:
            return conn.execute("DELETE FROM credentials WHERE merchant_id = ?", (merchant_id,)).rowcount > 0

    def merchant_ids(self) -> list[str]:
        with self._tables.connection() as conn:
            return sorted(row[0] for row in conn.execute("SELECT merchant_id FROM credentials"))

    def rotate(self, new_key: str | bytes | None = None) -> KeyRotation:
        """Re-encrypt with the first key every record under another key, in one transaction, and say which.

        As :meth:`EncryptedFileCredentialStore.rotate`: ``new_key`` becomes the first key; if any
        record cannot be decrypted, nothing changes.
        """
        sealer = self._sealer if new_key is None else self._sealer.with_new_key(new_key)
        with self._tables.transaction() as conn:
            rows = conn.execute("SELECT merchant_id, token FROM credentials").fetchall()
            changed, report = sealer.rotation(dict(rows), str(self.path))
            conn.executemany(
                "UPDATE credentials SET token = ? WHERE merchant_id = ?",
                [(token, merchant_id) for merchant_id, token in changed.items()],
            )
            self._sealer = sealer
        return report

    def close(self) -> None:
        self._tables.close()


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
        self._sealer = Sealer.from_sources(keys, key_file)
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
        merchant_id = valid_merchant_id(merchant_id)
        with self._db.connection() as conn:
            row = conn.execute(self._get, (merchant_id,)).fetchone()
        return None if row is None else self._sealer.open(merchant_id, row[0])

    def put(self, merchant_id: str, credentials: StoredCredentials) -> None:
        merchant_id = valid_merchant_id(merchant_id)
        token = self._sealer.seal(merchant_id, valid_credentials(credentials))
        with self._db.connection() as conn:
            conn.execute(self._put, (merchant_id, token))

    def delete(self, merchant_id: str) -> bool:
        merchant_id = valid_merchant_id(merchant_id)
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
