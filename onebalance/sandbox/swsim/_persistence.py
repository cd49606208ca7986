"""``--state FILE``: the sandbox's state in SQLite, so that it survives a restart.

It keeps the accounts (everything on ``SandboxAccount``: their ledgers, charges, auto-buy
settings, cost codes, purchase replays, balance-history queries and carrier pickups among it), the
known integrations, the ZIP codes without carrier pickup, the id counters, the clock offset and the
outbox (its last ``OUTBOX_KEPT`` messages). An account saved before ledgers existed gets an opening
Adjustment that explains its balance when it is loaded.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from . import _ledger
from ._account_models import OUTBOX_KEPT, SandboxMessage
from ._state import SandboxAccount

if TYPE_CHECKING:
    from ._state import SandboxState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (username TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
"""


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def load(self, state: SandboxState) -> None:
        with self._lock:
            for (body,) in self._conn.execute("SELECT body FROM accounts"):
                account = SandboxAccount.model_validate_json(body)
                state.accounts[account.key] = account
            meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
            messages = self._conn.execute("SELECT body FROM outbox ORDER BY id DESC LIMIT ?", (OUTBOX_KEPT,))
            state.outbox[:0] = reversed([SandboxMessage.model_validate_json(body) for (body,) in messages])
        state.integrations.update(json.loads(meta.get("integrations", "[]")))
        state.counters.update(json.loads(meta.get("counters", "{}")))
        if "secret" in meta:
            state.secret = meta["secret"]
        if "no_pickup_zips" in meta:
            state.no_pickup_zips = set(json.loads(meta["no_pickup_zips"]))
        if "clock_offset" in meta:
            state.clock.advance(timedelta(seconds=float(meta["clock_offset"])) - state.clock.offset)
        for account in state.accounts.values():
            _ledger.open_ledger(state, account, "balance carried over")

    def save(self, state: SandboxState, accounts: Iterable[SandboxAccount]) -> None:
        rows = [(a.key, a.model_dump_json()) for a in accounts]
        meta = [
            ("integrations", json.dumps(sorted(state.integrations))),
            ("counters", json.dumps(state.counters)),
            ("clock_offset", str(state.clock.offset.total_seconds())),
            ("secret", state.secret),
            ("no_pickup_zips", json.dumps(sorted(state.no_pickup_zips))),
        ]
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.executemany("INSERT OR REPLACE INTO accounts VALUES (?, ?)", rows)
            self._conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta)
            if state.unsaved_messages:
                self._conn.executemany(
                    "INSERT INTO outbox (body) VALUES (?)", [(m.model_dump_json(),) for m in state.unsaved_messages]
                )
                self._conn.execute("DELETE FROM outbox WHERE id <= (SELECT MAX(id) FROM outbox) - ?", (OUTBOX_KEPT,))
            self._conn.execute("COMMIT")
        state.unsaved_messages.clear()

    def close(self) -> None:
        with self._lock:
            self._conn.close()
