"""The store contract, run on every store: receipts kept once per IntegratorTxID, settings, encrypted
credentials, the per-merchant refill lock (exclusive, with a timeout, never blocked by a crashed
holder), migrations, and the wiring into Accounts and Postage.

The SQLite and PostgreSQL stores are also opened twice on the same file or schema, as two workers
would; the PostgreSQL ones need ONEBALANCE_TEST_POSTGRES_DSN (see tests/_stores.py).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from onebalance import (
    Accounts,
    AutoRefillSettings,
    ConfigurationError,
    CredentialStoreError,
    EncryptedFileCredentialStore,
    FedexAccount,
    FundingSettings,
    InMemoryCredentialStore,
    InMemoryPostageRecords,
    InMemoryStore,
    OneBalance,
    Postage,
    PostgresStore,
    Receipt,
    RefillLockTimeout,
    SqliteStore,
    Store,
    StoredCredentials,
    StoreError,
    UpsAccount,
    ValidationError,
)
from onebalance.sandbox import DEMO_INTEGRATION_ID

from ._stores import StoreSpec, postgres_run_schema, store_spec, worker_context  # noqa: F401 - a fixture

D = Decimal
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
PASSWORD = "Sup3r-Secret-Passw0rd!"
USERNAME = "merchant-user-7731"
UPS_URL, FEDEX_URL = "https://wwwcie.ups.com", "https://apis-sandbox.fedex.com"


def creds(password: str = PASSWORD, username: str = USERNAME, **kw: object) -> StoredCredentials:
    return StoredCredentials(
        integration_id=DEMO_INTEGRATION_ID, username=username, password=password, endpoint="https://x.test/", **kw
    )


def receipt(
    tx: str,
    *,
    merchant: str = "m1",
    status: str = "Success",
    amount: str = "50.00",
    minutes: int = 0,
    transaction_id: int = 1,
) -> Receipt:
    return Receipt(
        receipt_id=f"R-{tx.upper()}",
        merchant_id=merchant,
        username="shop",
        created_at=T0 + timedelta(minutes=minutes),
        status=status,
        amount=D(amount),
        fee=D("0.00"),
        total=D(amount),
        payment_method="Visa ending 1111",
        payment_kind="credit_card",
        transaction_id=transaction_id,
        integrator_tx_id=f"onebalance-{tx}",
        balance_after=D("100.00"),
        control_total_after=D("0.00"),
    )


# -- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreSpec]:
    """An empty shared store (SQLite file or PostgreSQL schema)."""
    yield from store_spec(request.param, tmp_path, request)


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreSpec]:
    """A shared store whose tables do not exist yet."""
    yield from store_spec(request.param, tmp_path, request, fresh=True)


@pytest.fixture
def open_store(spec: StoreSpec) -> Iterator[Callable[..., Store]]:
    """Open the shared store; each call is another worker's own connection to the same data."""
    opened: list[Store] = []

    def make(**options: object) -> Store:
        store = spec.open(**options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Every kind of store, for the contract that holds within one process."""
    if request.param == "memory":
        yield InMemoryStore()
        return
    for made in store_spec(request.param, tmp_path, request):
        with made.open() as opened:
            yield opened


# -- receipts: the ledger and the idempotency records -------------------------------------------------


def test_a_receipt_is_kept_once_per_integrator_tx_id(store: Store) -> None:
    records = store.records
    first = receipt("a", transaction_id=11)
    assert records.receipt_for(first.integrator_tx_id) is None
    assert records.add_receipt(first) == first
    again = receipt("a", amount="75.00", transaction_id=12)  # the same purchase recorded again
    assert records.add_receipt(again) == first
    assert records.receipt_for(first.integrator_tx_id) == first
    assert records.receipts("m1") == [first]


def test_a_pending_receipt_gives_way_to_the_one_that_says_how_it_ended(store: Store) -> None:
    records = store.records
    pending = receipt("p", status="Pending")
    assert records.add_receipt(pending) == pending
    settled = receipt("p", status="Success", minutes=1)
    assert records.add_receipt(settled) == settled
    assert records.add_receipt(receipt("p", status="Pending", minutes=2)) == settled  # never back to pending
    assert records.receipts("m1") == [settled]


def test_receipts_per_merchant_oldest_first_filtered_and_the_last_refill(store: Store) -> None:
    records = store.records
    late, early, failed = receipt("b", minutes=30), receipt("a", minutes=10), receipt("c", minutes=40, status="Failed")
    other = receipt("z", merchant="m2", minutes=20)
    for r in (late, other, failed, early):
        records.add_receipt(r)
    assert records.receipts("m1") == [early, late, failed]
    assert records.receipts("m2") == [other]
    assert records.receipts("nobody") == []
    assert records.receipts("m1", since=T0 + timedelta(minutes=20)) == [late, failed]
    assert records.receipts("m1", until=T0 + timedelta(minutes=30)) == [early, late]
    assert records.last_refill("m1") == late  # the last one that succeeded


def test_amounts_are_kept_to_the_cent(store: Store) -> None:
    kept = store.records.add_receipt(receipt("cents", amount="123.45"))
    assert store.records.receipts("m1")[0].amount == D("123.45") == kept.amount


def test_funding_settings(store: Store) -> None:
    records = store.records
    assert records.settings("m1") == FundingSettings()
    settings = FundingSettings(
        default_refill_amount=D("75.00"),
        low_balance_threshold=D("20.00"),
        auto_refill=AutoRefillSettings(threshold=D("25.00"), amount=D("100.00"), notify_email="o@shop.test"),
    )
    records.put_settings("m1", settings)
    assert records.settings("m1") == settings
    assert records.settings("m2") == FundingSettings()
    with pytest.raises(ValidationError):
        records.put_settings("", settings)


# -- credentials --------------------------------------------------------------------------------------


def test_credentials_round_trip_with_every_field(store: Store) -> None:
    original = creds(verified_at=T0, status="disconnected", refused_at=T0 + timedelta(hours=1))
    store.credentials.put("m1", original)
    loaded = store.credentials.get("m1")
    assert loaded == original
    assert loaded is not None and loaded.password_value() == PASSWORD
    store.credentials.put("m1", creds(password="An0ther-Passw0rd"))
    assert store.credentials.get("m1").password_value() == "An0ther-Passw0rd"  # type: ignore[union-attr]
    store.credentials.put("shop-b", creds())
    assert store.credentials.merchant_ids() == ["m1", "shop-b"]
    assert store.credentials.delete("m1") is True
    assert store.credentials.delete("m1") is False
    assert store.credentials.get("m1") is None
    assert store.credentials.merchant_ids() == ["shop-b"]


def test_bad_merchant_ids_are_refused(store: Store) -> None:
    for merchant_id in ("", "a" * 201, "shop\n1", "nul\x00", 42):
        for call in (
            lambda: store.credentials.put(merchant_id, creds()),  # type: ignore[arg-type]  # noqa: B023
            lambda: store.credentials.get(merchant_id),  # type: ignore[arg-type]  # noqa: B023
            lambda: store.refill_lock(merchant_id).__enter__(),  # type: ignore[arg-type]  # noqa: B023
        ):
            with pytest.raises(ValidationError) as info:
                call()
            assert info.value.field == "merchant_id"
    assert store.credentials.merchant_ids() == []


def test_the_merchants_carrier_accounts_are_kept_with_their_secrets(store: Store) -> None:
    with_carriers = creds(
        ups=UpsAccount(client_id="ups-app", client_secret="Ups-S3cret", account_number="A1B2C3", base_url=UPS_URL),
        fedex=FedexAccount(
            client_id="fedex-key", client_secret="Fedex-S3cret", account_number="123456789", base_url=FEDEX_URL
        ),
    )
    store.credentials.put("m1", with_carriers)
    loaded = store.credentials.get("m1")
    assert loaded == with_carriers
    assert loaded is not None and loaded.ups is not None and loaded.fedex is not None
    assert (loaded.ups.secret_value(), loaded.fedex.secret_value()) == ("Ups-S3cret", "Fedex-S3cret")


def _raw_tokens(spec: StoreSpec) -> list[str]:
    """What the database itself holds for the credentials."""
    if spec.kind == "sqlite":
        with sqlite3.connect(spec.path) as conn:
            return [row[0] for row in conn.execute("SELECT token FROM credentials")]
    import psycopg
    from psycopg import sql

    with psycopg.connect(spec.dsn) as conn:
        query = sql.SQL("SELECT token FROM {}").format(sql.Identifier(spec.schema, "credentials"))
        return [row[0] for row in conn.execute(query)]


def test_the_database_holds_neither_password_nor_username(spec: StoreSpec, open_store) -> None:
    store = open_store()
    store.credentials.put(
        "m1",
        creds(
            ups=UpsAccount(client_id="ups-app", client_secret="Ups-S3cret", account_number="A1B2C3", base_url=UPS_URL)
        ),
    )
    tokens = _raw_tokens(spec)
    assert len(tokens) == 1 and tokens[0].startswith("gAAAA")  # a Fernet token
    for token in tokens:
        assert PASSWORD not in token and USERNAME not in token and "Ups-S3cret" not in token
    if spec.kind == "sqlite":
        raw = b"".join(p.read_bytes() for p in Path(spec.path).parent.iterdir() if p.name.startswith("onebalance"))
        assert PASSWORD.encode() not in raw and USERNAME.encode() not in raw and b"Ups-S3cret" not in raw
        assert Path(spec.path).stat().st_mode & 0o777 == 0o600


def test_a_wrong_key_or_a_moved_record_is_a_credential_store_error(spec: StoreSpec, open_store) -> None:
    store = open_store()
    store.credentials.put("alice", creds(username="alice"))
    store.credentials.put("bob", creds(username="bob"))
    stranger = open_store(keys=[EncryptedFileCredentialStore.generate_key()])
    assert stranger.credentials.merchant_ids() == ["alice", "bob"]  # listing needs no key
    with pytest.raises(CredentialStoreError) as info:
        stranger.credentials.get("alice")
    assert "cannot be decrypted" in str(info.value)
    assert PASSWORD not in repr(info.value) and spec.key not in str(info.value)
    _swap_tokens(spec, "alice", "bob")
    with pytest.raises(CredentialStoreError, match="belongs to another merchant"):
        store.credentials.get("alice")


def _swap_tokens(spec: StoreSpec, a: str, b: str) -> None:
    if spec.kind == "sqlite":
        with sqlite3.connect(spec.path) as conn:
            tokens = dict(conn.execute("SELECT merchant_id, token FROM credentials"))
            conn.executemany("UPDATE credentials SET token = ? WHERE merchant_id = ?", [(tokens[b], a), (tokens[a], b)])
        return
    import psycopg
    from psycopg import sql

    table = sql.Identifier(spec.schema, "credentials")
    with psycopg.connect(spec.dsn) as conn:
        tokens = dict(conn.execute(sql.SQL("SELECT merchant_id, token FROM {}").format(table)).fetchall())
        for who, token in ((a, tokens[b]), (b, tokens[a])):
            conn.execute(sql.SQL("UPDATE {} SET token = %s WHERE merchant_id = %s").format(table), (token, who))


def test_key_rotation_in_one_transaction(spec: StoreSpec, open_store) -> None:
    store = open_store()
    for merchant in ("m1", "m2"):
        store.credentials.put(merchant, creds(username=merchant))
    before = sorted(_raw_tokens(spec))
    new = EncryptedFileCredentialStore.generate_key()
    store.credentials.rotate(new)  # type: ignore[attr-defined]
    assert sorted(_raw_tokens(spec)) != before
    new_only = open_store(keys=[new])
    assert [new_only.credentials.get(m).username for m in ("m1", "m2")] == ["m1", "m2"]  # type: ignore[union-attr]
    with pytest.raises(CredentialStoreError):
        open_store().credentials.get("m1")  # the old key alone reads nothing now

    # a record no key reads: nothing is rotated
    open_store(keys=[EncryptedFileCredentialStore.generate_key()]).credentials.put("stranger", creds())
    kept = sorted(_raw_tokens(spec))
    with pytest.raises(CredentialStoreError, match="'stranger'"):
        new_only.credentials.rotate(EncryptedFileCredentialStore.generate_key())  # type: ignore[attr-defined]
    assert sorted(_raw_tokens(spec)) == kept


# -- shared by workers ---------------------------------------------------------------------------------


def test_a_second_worker_sees_what_the_first_wrote(open_store) -> None:
    first, second = open_store(), open_store()
    first.records.add_receipt(receipt("a"))
    first.records.put_settings("m1", FundingSettings(default_refill_amount=D("60.00")))
    first.credentials.put("m1", creds())
    assert second.records.receipt_for("onebalance-a") == receipt("a")
    assert second.records.settings("m1").default_refill_amount == D("60.00")
    assert second.credentials.get("m1") == first.credentials.get("m1")


def test_workers_recording_the_same_purchase_at_once_keep_one_receipt(open_store) -> None:
    workers = [open_store() for _ in range(6)]
    barrier = threading.Barrier(len(workers))
    kept: list[Receipt] = []

    def record(n: int, store: Store) -> None:
        barrier.wait()
        kept.append(store.records.add_receipt(receipt("same", transaction_id=100 + n)))

    threads = [threading.Thread(target=record, args=(n, s)) for n, s in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(kept) == 6
    assert len({r.transaction_id for r in kept}) == 1  # every worker got back the one receipt kept
    assert workers[0].records.receipts("m1") == [kept[0]]


# -- the refill lock -----------------------------------------------------------------------------------


def test_the_lock_is_exclusive_waits_for_its_holder_and_times_out(store: Store) -> None:
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with store.refill_lock("m1"):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(5)
    started = time.monotonic()
    with pytest.raises(RefillLockTimeout, match="'m1'"), store.refill_lock("m1", timeout=0.05):
        pytest.fail("the lock was had twice")
    assert 0.04 < time.monotonic() - started < 2
    with store.refill_lock("m2", timeout=0.5):  # other merchants are not held up
        pass
    started = time.monotonic()  # before the timer starts: the holder lets go 0.05 s after it at the soonest
    threading.Timer(0.05, release.set).start()
    with store.refill_lock("m1", timeout=5):  # waits for the holder, then has it
        assert time.monotonic() - started >= 0.05
    thread.join()


def test_the_lock_is_exclusive_between_workers(open_store) -> None:
    first, second = open_store(), open_store()
    with first.refill_lock("m1"):
        with pytest.raises(RefillLockTimeout), second.refill_lock("m1", timeout=0.05):
            pytest.fail("two workers held the lock")
        with second.refill_lock("m2", timeout=1):
            pass
    with second.refill_lock("m1", timeout=1):
        pass


def test_the_lock_is_released_when_the_block_raises(store: Store) -> None:
    with pytest.raises(ZeroDivisionError), store.refill_lock("m1"):
        1 / 0  # noqa: B018
    with store.refill_lock("m1", timeout=0.5):
        pass


def _hold_and_wait(spec: StoreSpec, ready: object) -> None:
    store = spec.open()
    with store.refill_lock("m1"):
        ready.set()  # type: ignore[attr-defined]
        time.sleep(60)  # killed long before


def test_a_holder_that_crashed_does_not_block_the_others(spec: StoreSpec) -> None:
    spec = spec.with_options(lock_ttl=0.25) if spec.kind == "sqlite" else spec
    ctx = worker_context()
    ready = ctx.Event()
    child = ctx.Process(target=_hold_and_wait, args=(spec, ready))
    child.start()
    try:
        assert ready.wait(20)
        with spec.open() as store:
            with pytest.raises(RefillLockTimeout), store.refill_lock("m1", timeout=0.05):
                pytest.fail("the lock of a live holder was taken")
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
            child.join(10)
            started = time.monotonic()
            with store.refill_lock("m1", timeout=10):
                waited = time.monotonic() - started
    finally:
        if child.is_alive():
            child.kill()
    assert waited < 2  # PostgreSQL releases it with the connection; SQLite's lease runs out (0.25 s)


def test_sqlite_a_live_holder_renews_its_lease(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    for made in store_spec("sqlite", tmp_path, request):
        with made.open(lock_ttl=0.3) as first, made.open(lock_ttl=0.3) as second, first.refill_lock("m1"):
            time.sleep(0.45)  # longer than the lease: renewed meanwhile
            with pytest.raises(RefillLockTimeout), second.refill_lock("m1", timeout=0.1):
                pytest.fail("a live holder lost its lock")


# -- migrations and configuration ----------------------------------------------------------------------


def test_opening_again_migrates_nothing_and_keeps_the_data(fresh_spec: StoreSpec) -> None:
    with fresh_spec.open() as first:
        first.records.add_receipt(receipt("a"))
    for _ in range(2):
        with fresh_spec.open() as again:
            assert again.records.receipts("m1") == [receipt("a")]


def test_postgres_keeps_the_pending_label_purchases_in_a_partial_index(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    import psycopg

    for spec in store_spec("postgres", tmp_path, request, fresh=True):
        spec.open().close()
        with psycopg.connect(spec.dsn) as conn:
            found = conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND indexname = 'label_journal_pending'",
                (spec.schema,),
            ).fetchone()
    assert found is not None and "WHERE (label IS NULL)" in found[0]


def test_tables_from_a_newer_onebalance_are_refused(fresh_spec: StoreSpec) -> None:
    spec = fresh_spec
    spec.open().close()
    if spec.kind == "sqlite":
        with sqlite3.connect(spec.path) as conn:
            conn.execute("UPDATE onebalance_schema SET version = 99 WHERE component = 'records'")
    else:
        import psycopg
        from psycopg import sql

        with psycopg.connect(spec.dsn) as conn:
            conn.execute(
                sql.SQL("INSERT INTO {} (version) VALUES (99)").format(sql.Identifier(spec.schema, "schema_migrations"))
            )
    with pytest.raises(ConfigurationError, match="upgrade onebalance"):
        spec.open()


def test_workers_starting_together_create_the_tables_once(fresh_spec: StoreSpec) -> None:
    spec = fresh_spec
    barrier = threading.Barrier(4)
    opened: list[Store] = []
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            opened.append(spec.open())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        opened[0].records.add_receipt(receipt("a"))
        assert all(s.records.receipt_for("onebalance-a") for s in opened)
    finally:
        for s in opened:
            s.close()


def test_sqlite_store_configuration_errors(tmp_path: Path) -> None:
    key = EncryptedFileCredentialStore.generate_key()
    with pytest.raises(ConfigurationError, match="does not exist"):
        SqliteStore(tmp_path / "missing" / "store.sqlite", keys=[key])
    shared = tmp_path / "shared.sqlite"
    shared.touch(mode=0o644)
    shared.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        SqliteStore(shared, keys=[key])
    with pytest.raises(ConfigurationError, match="no key"):
        SqliteStore(tmp_path / "store.sqlite")
    with pytest.raises(ConfigurationError, match="lock_timeout"):
        SqliteStore(tmp_path / "store.sqlite", keys=[key], lock_timeout=0)
    with pytest.raises(ConfigurationError, match="lock_timeout"):
        InMemoryStore(lock_timeout=-1)


def test_postgres_store_configuration_errors() -> None:
    key = EncryptedFileCredentialStore.generate_key()
    started = time.monotonic()
    with pytest.raises(ConfigurationError) as info:
        PostgresStore("postgresql://someone:Hidden-Pa55@127.0.0.1:1/none", keys=[key], connect_timeout=2)
    assert "Hidden-Pa55" not in str(info.value) and "127.0.0.1" in str(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert time.monotonic() - started < 5
    for bad in ("Robert'); DROP", "", "x" * 64, "Upper"):
        with pytest.raises(ConfigurationError, match="schema"):
            PostgresStore("postgresql://postgres@127.0.0.1:1/none", keys=[key], schema=bad)
    with pytest.raises(ConfigurationError, match="pool_size"):
        PostgresStore("postgresql://postgres@127.0.0.1:1/none", keys=[key], pool_size=0)


def test_postgres_failures_in_use_are_store_errors(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    for made in store_spec("postgres", tmp_path, request, fresh=True):
        with made.open(pool_timeout=2) as store:
            import psycopg
            from psycopg import sql

            with psycopg.connect(made.dsn, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(made.schema)))
            with pytest.raises(StoreError, match="UndefinedTable") as info:
                store.records.receipts("m1")
            assert info.value.__cause__ is None and info.value.__suppress_context__


# -- wiring: Accounts and Postage ----------------------------------------------------------------------


def test_accounts_and_postage_use_the_store(sandbox, open_store) -> None:
    sandbox.create_account("shop", "Shop-passw0rd", balance="30.00")
    store = open_store()
    with sandbox.mock() as url:
        accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=store)
        assert accounts.store is store.credentials and accounts.records is store.records
        accounts.connect("m1", username="shop", password="Shop-passw0rd")
        assert store.credentials.get("m1").username == "shop"  # type: ignore[union-attr]
        postage = accounts.postage("m1")
        assert postage.store is store
        postage.update_settings(auto_refill=AutoRefillSettings(threshold=D("25.00"), amount=D("50.00")))

        # another worker, on its own connection to the same store, refills
        worker = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=open_store())
        refill = worker.postage("m1").ensure_funds("10.00")
        assert refill is not None and refill.balance_after == D("80.00")
        assert store.records.receipts("m1") == [refill]

        # a worker that waited on the lock reads the balance again and does not refill twice
        with store.refill_lock("m1"):
            sandbox.print_postage("shop", "60.00")  # 20.00 left
            done: list[object] = []
            waiter = threading.Thread(target=lambda: done.append(worker.postage("m1").ensure_funds("5.00")))
            waiter.start()
            time.sleep(0.05)
            assert done == []  # waiting for the lock
            postage.add("50.00")  # meanwhile the holder refilled
        waiter.join(10)
        assert done == [None]
        assert len(store.records.receipts("m1")) == 2


def test_accounts_refuses_records_beside_a_store_and_anything_but_a_store() -> None:
    store = InMemoryStore()
    with pytest.raises(ConfigurationError, match="records come from the store"):
        Accounts(
            integration_id=DEMO_INTEGRATION_ID,
            endpoint="http://127.0.0.1:1/",
            store=store,
            records=InMemoryPostageRecords(),
        )
    with pytest.raises(ConfigurationError, match="store must be"):
        Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint="http://127.0.0.1:1/", store={})  # type: ignore[arg-type]
    # the constructor of before: a credential store, and records beside it
    records = InMemoryPostageRecords()
    accounts = Accounts(
        integration_id=DEMO_INTEGRATION_ID,
        endpoint="http://127.0.0.1:1/",
        store=InMemoryCredentialStore(),
        records=records,
    )
    assert accounts.records is records


def test_postage_needs_records_or_a_store() -> None:
    client = OneBalance(
        integration_id=DEMO_INTEGRATION_ID, username="shop", password="pw", endpoint="http://127.0.0.1:1/"
    )
    with pytest.raises(ConfigurationError, match="records"):
        Postage("m1", client)
    store = InMemoryStore()
    postage = Postage("m1", client, store=store)
    assert postage.records is store.records and postage.store is store


def test_a_refill_lock_timeout_buys_nothing(sandbox, wire_log) -> None:
    sandbox.create_account("busy", "Busy-passw0rd", balance="30.00")
    store = InMemoryStore(lock_timeout=0.05)
    with sandbox.mock() as url:
        accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=store)
        accounts.connect("m1", username="busy", password="Busy-passw0rd")
        postage = accounts.postage("m1")
        postage.update_settings(auto_refill=AutoRefillSettings(threshold=D("25.00"), amount=D("50.00")))
        held = threading.Event()
        release = threading.Event()

        def hold() -> None:
            with store.refill_lock("m1"):
                held.set()
                release.wait(5)

        thread = threading.Thread(target=hold)
        thread.start()
        held.wait(5)
        try:
            with pytest.raises(RefillLockTimeout):
                postage.ensure_funds("40.00")  # the balance cannot pay for it without the refill
            assert postage.ensure_funds("10.00") is None  # it can: the label goes ahead, unrefilled
        finally:
            release.set()
            thread.join()
        assert not [op for d, op, _ in wire_log if d == "request" and op == "PurchasePostage"]
        assert postage.ensure_funds("10.00") is not None  # once the lock is free
