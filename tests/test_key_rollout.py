"""A key roll-out across processes strands no record, on every encrypted store.

The roll-out once documented (the new key second everywhere, rotate, then the new key first) let a
worker that wrote between the rotation and its switch encrypt with the old key: that record could
not be read with the new key alone. Now the documented order puts the new key first everywhere
*before* the rotation, ``rotate()`` re-encrypts only what is not under the first key and reports
it, and a second ``rotate()`` proves nothing is left behind (or picks up what a late worker wrote).

A worker process (its own store, its own connection) writes while the operator, this test's
process, rotates; both follow the steps of ``docs/accounts.md``.
"""

from __future__ import annotations

import multiprocessing.connection
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from onebalance import (
    CredentialStoreError,
    EncryptedFileCredentialStore,
    KeyRotation,
    PostgresStore,
    SqliteStore,
    StoredCredentials,
)

from ._stores import postgres_run_schema, store_spec, worker_context  # noqa: F401 - a fixture

generate_key = EncryptedFileCredentialStore.generate_key


def creds(merchant_id: str) -> StoredCredentials:
    return StoredCredentials(
        integration_id="0b1ba1a2-7e57-4d3e-9a5d-5a4db0c0ffee",
        username=merchant_id,
        password="Widgets-2026",
        endpoint="https://swsim.testing.stamps.com/swsim/swsimv111.asmx",
    )


@dataclass(frozen=True)
class Place:
    """Where the credentials live: an encrypted JSON file, a SQLite file or a PostgreSQL schema."""

    kind: str
    path: str = ""
    dsn: str = ""
    schema: str = ""

    def open(self, keys: Sequence[str]) -> Any:
        """(credential store, the thing to close)."""
        if self.kind == "file":
            return EncryptedFileCredentialStore(self.path, keys=list(keys)), None
        store = SqliteStore(self.path, keys=list(keys)) if self.kind == "sqlite" else None
        if store is None:
            store = PostgresStore(self.dsn, schema=self.schema, keys=list(keys), pool_size=1, lock_pool_size=1)
        return store.credentials, store


def _worker(place: Place, conn: multiprocessing.connection.Connection) -> None:
    """A worker process: (re)opens its store with the keys it is given and writes or reads records."""
    store: Any = None
    closer: Any = None
    while True:
        command, arg = conn.recv()
        try:
            result: Any = None
            if command == "open":
                if closer is not None:
                    closer.close()
                store, closer = place.open(arg)
            elif command == "put":
                store.put(arg, creds(arg))
            elif command == "get":
                found = store.get(arg)
                result = found.username if found else None
            else:
                break
            conn.send(("ok", result))
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    if closer is not None:
        closer.close()


class Worker:
    def __init__(self, place: Place) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._process = worker_context().Process(target=_worker, args=(place, child), daemon=True)
        self._process.start()

    def __call__(self, command: str, arg: Any = None) -> Any:
        self._conn.send((command, arg))
        assert self._conn.poll(60), "the worker did not answer"
        status, result = self._conn.recv()
        if status != "ok":
            raise AssertionError(f"worker: {result}")
        return result

    def stop(self) -> None:
        self._conn.send(("quit", None))
        self._process.join(timeout=30)


class Operator:
    """The operator's process (this one): a store of its own, reopened at each step as a restart would."""

    def __init__(self, place: Place) -> None:
        self.place = place
        self._opened: list[Any] = []
        self.store: Any = None

    def open(self, keys: Sequence[str]) -> Any:
        self.store, closer = self.place.open(keys)
        if closer is not None:
            self._opened.append(closer)
        return self.store

    def reader(self, keys: Sequence[str]) -> Any:
        store, closer = self.place.open(keys)
        if closer is not None:
            self._opened.append(closer)
        return store

    def close(self) -> None:
        for closer in self._opened:
            closer.close()


@pytest.fixture(params=["file", "sqlite", "postgres"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Place, str]]:
    """An empty store, and the key its records start under."""
    if request.param == "file":
        yield Place("file", path=str(tmp_path / "credentials.json")), generate_key()
        return
    for spec in store_spec(request.param, tmp_path, request):
        yield Place(spec.kind, path=spec.path, dsn=spec.dsn, schema=spec.schema), spec.key


@pytest.fixture
def processes(place: tuple[Place, str]) -> Iterator[tuple[Worker, Operator, str]]:
    where, old = place
    worker, operator = Worker(where), Operator(where)
    try:
        yield worker, operator, old
    finally:
        worker.stop()
        operator.close()


def test_the_documented_roll_out_leaves_every_record_readable_with_the_new_key_alone(processes):
    worker, operator, old = processes
    new = generate_key()
    worker("open", [old])
    worker("put", "m1")
    operator.open([old]).put("m2", creds("m2"))

    # 1. the new key second everywhere: everyone reads both, everyone still writes with the old key
    worker("open", [old, new])
    operator.open([old, new])
    worker("put", "m3")
    # 2. the new key first everywhere: from now on every write uses it
    worker("open", [new, old])
    store = operator.open([new, old])
    worker("put", "m4")
    # 3. rotate: the records still under the old key, and only those, are re-encrypted
    report = store.rotate()
    assert isinstance(report, KeyRotation)
    assert report.reencrypted == ("m1", "m2", "m3") and report.unchanged == 1
    assert str(report) == "re-encrypted 3 records (m1, m2, m3); 1 already under the first key"
    worker("put", "m5")  # the worker goes on writing after the rotation
    # 4. rotate again: nothing left under the old key
    again = store.rotate(new)  # naming the key that is first already changes nothing
    assert again.complete and again.unchanged == 5 and str(again).startswith("re-encrypted 0 records;")
    assert repr(store).endswith("keys=2)")
    # 5. drop the old key: both processes read every record with the new key alone
    worker("open", [new])
    merchants = ["m1", "m2", "m3", "m4", "m5"]
    assert [worker("get", m) for m in merchants] == merchants
    new_only = operator.reader([new])
    assert [new_only.get(m).username for m in merchants] == merchants
    with pytest.raises(CredentialStoreError):
        operator.reader([old]).get("m1")


def test_a_worker_that_switched_late_is_caught_by_running_rotate_again(processes):
    worker, operator, old = processes
    new = generate_key()
    worker("open", [old, new])
    worker("put", "m1")
    store = operator.open([old, new])
    # The operator rotates while the worker still has the old key first (the old, unsafe order).
    assert store.rotate(new).reencrypted == ("m1",)
    worker("put", "late")  # written with the old key after the rotation
    with pytest.raises(CredentialStoreError, match="'late'"):
        operator.reader([new]).get("late")  # dropping the old key now would strand it
    # rotate() again reports the record and re-encrypts it; the roll-out can then finish.
    report = store.rotate()
    assert report.reencrypted == ("late",) and not report.complete
    assert operator.reader([new]).get("late").username == "late"
    assert store.rotate().complete


def test_rotate_changes_nothing_and_reports_nothing_when_every_record_is_current(tmp_path: Path) -> None:
    key = generate_key()
    store = EncryptedFileCredentialStore(tmp_path / "c.json", keys=[key])
    store.put("m1", creds("m1"))
    before = (tmp_path / "c.json").read_bytes()
    report = store.rotate()
    assert report == KeyRotation(reencrypted=(), unchanged=1) and report.complete and len(report) == 0
    assert (tmp_path / "c.json").read_bytes() == before  # nothing rewritten
    assert EncryptedFileCredentialStore(tmp_path / "e.json", keys=[key]).rotate().unchanged == 0  # no file yet


def test_a_second_sqlite_store_opened_in_a_process_does_not_blind_its_first_to_other_processes(tmp_path: Path):
    """Opening a store used to open and close a descriptor of the SQLite file, which dropped every POSIX
    lock the process held on it: another process closing its last connection then reset the WAL under
    the first store, whose reads no longer saw new writes (a rotation would have skipped them)."""
    key = generate_key()
    place = Place("sqlite", path=str(tmp_path / "shared.sqlite"))
    worker, operator = Worker(place), Operator(place)
    try:
        worker("open", [key])
        worker("put", "m1")
        first = operator.open([key])
        operator.reader([key])  # a second store on the same file, in the same process
        worker("open", [key])  # the worker closes its connections and opens new ones
        worker("put", "m2")
        assert first.merchant_ids() == ["m1", "m2"]
        assert first.rotate(generate_key()).reencrypted == ("m1", "m2")
    finally:
        worker.stop()
        operator.close()
