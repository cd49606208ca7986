"""What the SDK keeps: credentials, postage records, the refill and label journals, and the store that
bundles them (in memory, SQLite or PostgreSQL).

The room's face: other rooms import these names from here. Inside, lowest first:

- ``_sqlite``, ``_postgres``: the SQL plumbing (connections, transactions, schema steps, errors;
  PostgreSQL's pools and migrations), and ``_sql``, what a store written once for both is given.
  They know no store.
- ``_files``, ``_keys``, ``_credential_models``: private files, the encryption keys, the credential
  models and the ``CredentialStore`` interface.
- ``_credential_stores`` (in memory, encrypted file), ``_credential_tables`` (SQLite, PostgreSQL),
  ``_records`` (receipts and funding settings), ``_labels`` and ``_label_tables`` (the label
  journal), ``_refills`` (the refill journal): each kind of data in each place.
- ``_locks`` (the refill lock of each store) and ``_store`` (``Store``: the bundle of them all).
"""

from ._credential_models import CarrierAccount, CredentialStore, FedexAccount, StoredCredentials, UpsAccount
from ._credential_stores import EncryptedFileCredentialStore, InMemoryCredentialStore
from ._credential_tables import PostgresCredentialStore, SqliteCredentialStore
from ._keys import KEY_ENV, KEY_FILE_ENV, KEY_HELP, KeyRotation
from ._label_tables import PostgresLabelJournal, SqliteLabelJournal
from ._labels import InMemoryLabelJournal, JournalEntry, LabelJournal
from ._records import (
    MINIMUM_PURCHASE,
    AutoRefillSettings,
    FundingSettings,
    InMemoryPostageRecords,
    PostageRecords,
    PostgresPostageRecords,
    SqlitePostageRecords,
)
from ._refills import (
    InMemoryRefillJournal,
    PostgresRefillJournal,
    RefillEntry,
    RefillJournal,
    RefillState,
    SqliteRefillJournal,
    journal_for,
)
from ._store import DEFAULT_LOCK_TIMEOUT, InMemoryStore, PostgresStore, SqliteStore, Store

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "KEY_ENV",
    "KEY_FILE_ENV",
    "KEY_HELP",
    "MINIMUM_PURCHASE",
    "AutoRefillSettings",
    "CarrierAccount",
    "CredentialStore",
    "EncryptedFileCredentialStore",
    "FedexAccount",
    "FundingSettings",
    "InMemoryCredentialStore",
    "InMemoryLabelJournal",
    "InMemoryPostageRecords",
    "InMemoryRefillJournal",
    "InMemoryStore",
    "JournalEntry",
    "KeyRotation",
    "LabelJournal",
    "PostageRecords",
    "PostgresCredentialStore",
    "PostgresLabelJournal",
    "PostgresPostageRecords",
    "PostgresRefillJournal",
    "PostgresStore",
    "RefillEntry",
    "RefillJournal",
    "RefillState",
    "SqliteCredentialStore",
    "SqliteLabelJournal",
    "SqlitePostageRecords",
    "SqliteRefillJournal",
    "SqliteStore",
    "Store",
    "StoredCredentials",
    "UpsAccount",
    "journal_for",
]

# The names other rooms use (they import them from here, not from the modules).
