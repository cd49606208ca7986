"""The SDK's own postage records: receipts and each merchant's funding settings.

The service keeps the balance and its history but not what the SDK knows about a purchase
(the fee charged, the cost account, the refill preset, the receipt), nor a merchant's refill
preferences. :class:`PostageRecords` keeps those. The receipts double as the idempotency records:
each is kept under the purchase's IntegratorTxID, so a purchase confirmed twice is bought once.
:class:`SqlitePostageRecords` is the embedded default for a process or a few on one machine;
:class:`PostgresPostageRecords` (from :class:`~onebalance.PostgresStore`) serves many workers.
"""

from __future__ import annotations

import abc
import threading
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pydantic import Field, field_validator

from onebalance.core import STORED, AmountBelowMinimum, InvalidAmount, ValidationError
from onebalance.swsim import Receipt
from onebalance.swsim._inputs import _Input

from ._postgres import PostgresDatabase
from ._sqlite import SQLITE_BUSY_TIMEOUT, SqliteTables

__all__ = [
    "MINIMUM_PURCHASE",
    "AutoRefillSettings",
    "FundingSettings",
    "InMemoryPostageRecords",
    "PostageRecords",
    "PostgresPostageRecords",
    "SqlitePostageRecords",
]

MINIMUM_PURCHASE = Decimal("10.00")


def _whole_cents(value: Decimal, field: str) -> None:
    try:
        whole = value.is_finite() and value == value.quantize(Decimal("0.01"))
    except InvalidOperation:  # too many digits to quantize
        whole = False
    if not whole:
        raise InvalidAmount(f"{field} must be an amount of dollars with at most two decimals", field=field)


class AutoRefillSettings(_Input):
    """The SDK-side auto-refill a platform runs before label purchases (kept per merchant)."""

    enabled: bool = True
    threshold: Decimal = Field(description="Refill when the balance would fall below this.")
    amount: Decimal = Field(description="How much postage to add (at least $10.00).")
    cost_account_id: int | None = None
    prompt_before_refill: bool = Field(default=False, description="Ask (the prompt hook) before refilling.")
    cover_shortfall: bool = Field(
        default=False,
        description="When the amount would not pay for the label, buy what would (shown to the prompt hook first).",
    )
    notify_email: str | None = Field(default=None, description="Email a notice after each refill.")

    @field_validator("amount")
    @classmethod
    def _minimum(cls, value: Decimal) -> Decimal:
        _whole_cents(value, "amount")
        if value < MINIMUM_PURCHASE:
            raise AmountBelowMinimum(f"The refill amount must be at least ${MINIMUM_PURCHASE}.", field="amount")
        return value

    @field_validator("threshold")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValidationError("The refill threshold must be more than $0.", field="threshold")
        _whole_cents(value, "threshold")
        return value


class FundingSettings(_Input):
    """A merchant's postage funding preferences."""

    default_refill_amount: Decimal = Decimal("100.00")
    has_mailstation: bool = Field(default=False, description="A Mailstation device: card payments pay a 3.5% fee.")
    low_balance_threshold: Decimal | None = Field(default=None, description="Warn when the balance is below this.")
    auto_refill: AutoRefillSettings | None = None


#: A merchant's settings until it sets its own (frozen: one for all; read three times a label).
_DEFAULT_SETTINGS = FundingSettings()


class PostageRecords(abc.ABC):
    @abc.abstractmethod
    def add_receipt(self, receipt: Receipt) -> Receipt:
        """Keep ``receipt``; a receipt for the same IntegratorTxID already kept is returned instead,
        unless that one was still pending and this one tells how the purchase ended."""

    @abc.abstractmethod
    def receipt_for(self, integrator_tx_id: str) -> Receipt | None: ...

    @abc.abstractmethod
    def receipts(self, merchant_id: str, since: datetime | None = None, until: datetime | None = None) -> list[Receipt]:
        """The merchant's receipts, oldest first."""

    @abc.abstractmethod
    def settings(self, merchant_id: str) -> FundingSettings: ...

    @abc.abstractmethod
    def put_settings(self, merchant_id: str, settings: FundingSettings) -> None: ...

    def last_refill(self, merchant_id: str) -> Receipt | None:
        done = [r for r in self.receipts(merchant_id) if r.status == "Success"]
        return done[-1] if done else None


def _receipt(body: str | bytes) -> Receipt:
    """A kept receipt; one kept by an earlier release, under the fields' old names, loads too."""
    return Receipt.model_validate_json(body, context=STORED)


def _settles(kept: Receipt, new: Receipt) -> bool:
    """A receipt kept while the purchase was pending gives way to one that says how it ended."""
    return kept.status in ("Pending", "Processing") and new.status != kept.status


class InMemoryPostageRecords(PostageRecords):
    def __init__(self) -> None:
        self._receipts: dict[str, Receipt] = {}
        self._settings: dict[str, FundingSettings] = {}
        self._lock = threading.Lock()

    def add_receipt(self, receipt: Receipt) -> Receipt:
        with self._lock:
            kept = self._receipts.get(receipt.integrator_tx_id)
            if kept is None or _settles(kept, receipt):
                self._receipts[receipt.integrator_tx_id] = kept = receipt
            return kept

    def receipt_for(self, integrator_tx_id: str) -> Receipt | None:
        with self._lock:
            return self._receipts.get(integrator_tx_id)

    def receipts(self, merchant_id: str, since: datetime | None = None, until: datetime | None = None) -> list[Receipt]:
        with self._lock:
            found = [r for r in self._receipts.values() if r.merchant_id == merchant_id]
        return _between(found, since, until)

    def settings(self, merchant_id: str) -> FundingSettings:
        with self._lock:
            found = self._settings.get(merchant_id)
        return found if found is not None else _DEFAULT_SETTINGS

    def put_settings(self, merchant_id: str, settings: FundingSettings) -> None:
        if not merchant_id:
            raise ValidationError("merchant_id must not be empty", field="merchant_id")
        with self._lock:
            self._settings[merchant_id] = settings


# -- SQLite ------------------------------------------------------------------------------------------

_RECORDS_STEPS: list[list[str]] = [
    [
        """CREATE TABLE IF NOT EXISTS receipts (
            integrator_tx_id TEXT PRIMARY KEY,
            merchant_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            body TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS receipts_by_merchant ON receipts (merchant_id, created_at)",
        "CREATE TABLE IF NOT EXISTS funding_settings (merchant_id TEXT PRIMARY KEY, body TEXT NOT NULL)",
    ],
]


class SqlitePostageRecords(PostageRecords):
    """Receipts and settings in one SQLite file (WAL), safe for several threads and processes.

    A receipt is kept once per IntegratorTxID (the table's primary key); the check and the write
    are one transaction holding the file's write lock, so two processes recording the same
    purchase keep one receipt.
    """

    def __init__(self, path: str | Path, *, busy_timeout: float = SQLITE_BUSY_TIMEOUT) -> None:
        self.path = Path(path)
        self._tables = SqliteTables(
            self.path,
            "records",
            _RECORDS_STEPS,
            busy_timeout,
            "the postage records file",
            f"the postage records file {self.path}",
        )

    def __repr__(self) -> str:
        return f"SqlitePostageRecords(path={str(self.path)!r})"

    def add_receipt(self, receipt: Receipt) -> Receipt:
        with self._tables.transaction() as conn:
            row = conn.execute(
                "SELECT body FROM receipts WHERE integrator_tx_id = ?", (receipt.integrator_tx_id,)
            ).fetchone()
            kept = _receipt(row[0]) if row else None
            if kept is not None and not _settles(kept, receipt):
                return kept
            conn.execute(
                "INSERT OR REPLACE INTO receipts VALUES (?, ?, ?, ?)",
                (
                    receipt.integrator_tx_id,
                    receipt.merchant_id,
                    receipt.created_at.isoformat(),
                    receipt.model_dump_json(),
                ),
            )
            return receipt

    def receipt_for(self, integrator_tx_id: str) -> Receipt | None:
        with self._tables.connection() as conn:
            row = conn.execute("SELECT body FROM receipts WHERE integrator_tx_id = ?", (integrator_tx_id,)).fetchone()
        return _receipt(row[0]) if row else None

    def receipts(self, merchant_id: str, since: datetime | None = None, until: datetime | None = None) -> list[Receipt]:
        with self._tables.connection() as conn:
            rows = conn.execute(
                "SELECT body FROM receipts WHERE merchant_id = ? ORDER BY created_at", (merchant_id,)
            ).fetchall()
        return _between([_receipt(r[0]) for r in rows], since, until)

    def settings(self, merchant_id: str) -> FundingSettings:
        with self._tables.connection() as conn:
            row = conn.execute("SELECT body FROM funding_settings WHERE merchant_id = ?", (merchant_id,)).fetchone()
        return FundingSettings.model_validate_json(row[0]) if row else _DEFAULT_SETTINGS

    def put_settings(self, merchant_id: str, settings: FundingSettings) -> None:
        if not merchant_id:
            raise ValidationError("merchant_id must not be empty", field="merchant_id")
        with self._tables.connection() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO funding_settings VALUES (?, ?)", (merchant_id, settings.model_dump_json())
            )

    def close(self) -> None:
        self._tables.close()


def _between(found: list[Receipt], since: datetime | None, until: datetime | None) -> list[Receipt]:
    found = [r for r in found if (since is None or r.created_at >= since) and (until is None or r.created_at <= until)]
    return sorted(found, key=lambda r: r.created_at)


# -- PostgreSQL --------------------------------------------------------------------------------------


class PostgresPostageRecords(PostageRecords):
    """Receipts and settings in PostgreSQL; made by :class:`~onebalance.PostgresStore` (its ``records``).

    The receipts table's primary key is the IntegratorTxID: one ``INSERT ... ON CONFLICT`` keeps the
    first receipt of a purchase, or replaces a pending one with the one that says how it ended, so
    the same purchase is never recorded twice whatever the number of workers.
    """

    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db
        self._upsert = db.sql(
            """INSERT INTO {receipts} AS kept (integrator_tx_id, merchant_id, created_at, status, amount, body)
            VALUES (%s, %s, %s, %s, %s, %s)
            ON CONFLICT (integrator_tx_id) DO UPDATE
                SET merchant_id = EXCLUDED.merchant_id, created_at = EXCLUDED.created_at,
                    status = EXCLUDED.status, amount = EXCLUDED.amount, body = EXCLUDED.body
                WHERE kept.status IN ('Pending', 'Processing') AND kept.status <> EXCLUDED.status
            RETURNING body"""
        )
        self._one = db.sql("SELECT body FROM {receipts} WHERE integrator_tx_id = %s")
        self._by_merchant = db.sql(
            "SELECT body FROM {receipts} WHERE merchant_id = %s ORDER BY created_at, integrator_tx_id"
        )
        self._get_settings = db.sql("SELECT body FROM {funding_settings} WHERE merchant_id = %s")
        self._put_settings = db.sql(
            """INSERT INTO {funding_settings} (merchant_id, body) VALUES (%s, %s)
            ON CONFLICT (merchant_id) DO UPDATE SET body = EXCLUDED.body"""
        )

    def __repr__(self) -> str:
        return f"PostgresPostageRecords({self._db.describe()})"

    def add_receipt(self, receipt: Receipt) -> Receipt:
        with self._db.connection() as conn:
            row = conn.execute(
                self._upsert,
                (
                    receipt.integrator_tx_id,
                    receipt.merchant_id,
                    receipt.created_at,
                    receipt.status,
                    receipt.amount,
                    receipt.model_dump_json(),
                ),
            ).fetchone()
            if row is None:  # kept already, and not replaced
                row = conn.execute(self._one, (receipt.integrator_tx_id,)).fetchone()
        assert row is not None
        return _receipt(row[0])

    def receipt_for(self, integrator_tx_id: str) -> Receipt | None:
        with self._db.connection() as conn:
            row = conn.execute(self._one, (integrator_tx_id,)).fetchone()
        return _receipt(row[0]) if row else None

    def receipts(self, merchant_id: str, since: datetime | None = None, until: datetime | None = None) -> list[Receipt]:
        with self._db.connection() as conn:
            rows = conn.execute(self._by_merchant, (merchant_id,)).fetchall()
        return _between([_receipt(r[0]) for r in rows], since, until)

    def settings(self, merchant_id: str) -> FundingSettings:
        with self._db.connection() as conn:
            row = conn.execute(self._get_settings, (merchant_id,)).fetchone()
        return FundingSettings.model_validate_json(row[0]) if row else _DEFAULT_SETTINGS

    def put_settings(self, merchant_id: str, settings: FundingSettings) -> None:
        if not merchant_id:
            raise ValidationError("merchant_id must not be empty", field="merchant_id")
        with self._db.connection() as conn:
            conn.execute(self._put_settings, (merchant_id, settings.model_dump_json()))
