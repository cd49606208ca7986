"""The credential stores: round trips, secrecy at rest and in messages, file modes, keys, rotation, concurrency."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pydantic
import pytest
from cryptography.fernet import Fernet

from onebalance import (
    ConfigurationError,
    CredentialStore,
    CredentialStoreError,
    EncryptedFileCredentialStore,
    InMemoryCredentialStore,
    StoredCredentials,
    ValidationError,
)

from ._stores import store_spec, worker_context

#: Where the keys come from when none are given (docs/stores.md, docs/accounts.md).
KEY_ENV = "ONEBALANCE_CREDENTIALS_KEY"
KEY_FILE_ENV = "ONEBALANCE_CREDENTIALS_KEY_FILE"

PASSWORD = "Sup3r-Secret-Passw0rd!"
USERNAME = "merchant-user-7731"
INTEGRATION_ID = "6f1d0d3e-8b3c-4b0e-9d5a-2a7b8c9d0e1f"
ENDPOINT = "https://swsim.testing.stamps.com/swsim/swsimv111.asmx"


def creds(password: str = PASSWORD, username: str = USERNAME, **kw: object) -> StoredCredentials:
    return StoredCredentials(
        integration_id=INTEGRATION_ID, username=username, password=password, endpoint=ENDPOINT, **kw
    )


def assert_safe(exc: BaseException, *secrets: str) -> None:
    """No secret in the error's text, its args, or any exception chained to it."""
    seen: BaseException | None = exc
    while seen is not None:
        for text in (str(seen), repr(seen), repr(seen.args)):
            for secret in secrets:
                assert secret not in text, f"{secret[:4]}... leaked in {type(seen).__name__}"
        seen = seen.__cause__ or seen.__context__


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_private(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)


@pytest.fixture(autouse=True)
def _no_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)


@pytest.fixture
def key() -> str:
    return EncryptedFileCredentialStore.generate_key()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "credentials.json"


@pytest.fixture(params=["memory", "file", "sqlite"])
def store(request: pytest.FixtureRequest, store_path: Path, key: str, tmp_path: Path) -> Iterator[CredentialStore]:
    """In memory, the encrypted file, and SqliteStore's (PostgresStore's in test_store.py)."""
    if request.param == "memory":
        yield InMemoryCredentialStore()
    elif request.param == "file":
        yield EncryptedFileCredentialStore(store_path, keys=[key])
    else:
        for spec in store_spec(request.param, tmp_path, request):
            with spec.open() as shared:
                yield shared.credentials


# -- StoredCredentials ---------------------------------------------------------------------------


def test_stored_credentials_never_show_the_password() -> None:
    c = creds(verified_at=datetime(2024, 5, 1, tzinfo=timezone.utc))
    for text in (repr(c), str(c), c.model_dump_json(), str(c.model_dump()), str(c.model_dump(mode="json"))):
        assert PASSWORD not in text
    assert "**********" in repr(c)
    assert c.password_value() == PASSWORD


def test_stored_credentials_defaults_and_immutability() -> None:
    before = datetime.now(timezone.utc)
    c = creds()
    assert c.status == "connected"
    assert c.verified_at is None
    assert c.updated_at.tzinfo is not None
    assert before <= c.updated_at <= datetime.now(timezone.utc)
    for field, value in (("password", "N3w-Passw0rd-To-Hide"), ("username", "other")):
        with pytest.raises(pydantic.ValidationError) as info:
            setattr(c, field, value)
        assert "frozen" in str(info.value)
        assert_safe(info.value, PASSWORD, "N3w-Passw0rd-To-Hide")
        assert "N3w-Passw0rd-To-Hide" not in repr(info.value.errors())
    assert c.username == USERNAME and c.password_value() == PASSWORD
    assert c.model_copy(update={"status": "pending_verification"}).status == "pending_verification"


def test_refused_stored_credentials_do_not_echo_the_password() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        StoredCredentials(username=USERNAME, password=PASSWORD, endpoint=ENDPOINT)  # type: ignore[call-arg]
    assert "integration_id" in str(info.value)
    assert_safe(info.value, PASSWORD)
    with pytest.raises(pydantic.ValidationError) as info:
        creds(status="gone")
    assert_safe(info.value, PASSWORD)
    with pytest.raises(pydantic.ValidationError):
        creds(extra_field=1)


# -- both stores -----------------------------------------------------------------------------------


def test_round_trip(store: CredentialStore) -> None:
    assert store.get("m1") is None
    original = creds(verified_at=datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc), status="pending_verification")
    store.put("m1", original)
    loaded = store.get("m1")
    assert loaded == original
    assert loaded is not None and loaded.password_value() == PASSWORD
    assert loaded.verified_at == original.verified_at and loaded.updated_at == original.updated_at

    replacement = creds(password="An0ther-Passw0rd")
    store.put("m1", replacement)
    assert store.get("m1") == replacement


def test_delete_and_merchant_ids(store: CredentialStore) -> None:
    assert store.merchant_ids() == []
    for merchant_id in ("shop-b", "shop-a", "shop-c"):
        store.put(merchant_id, creds(username=merchant_id))
    assert store.merchant_ids() == ["shop-a", "shop-b", "shop-c"]
    assert store.delete("shop-b") is True
    assert store.delete("shop-b") is False
    assert store.delete("never-stored") is False
    assert store.merchant_ids() == ["shop-a", "shop-c"]
    assert store.get("shop-b") is None
    stored = store.get("shop-c")
    assert stored is not None and stored.username == "shop-c"


@pytest.mark.parametrize("merchant_id", ["", "a" * 201, "shop\n1", "shop\x00", "tab\there", "del\x7f", 42, None])
def test_invalid_merchant_ids_are_refused(store: CredentialStore, merchant_id: object) -> None:
    calls: list[Callable[[], object]] = [
        lambda: store.get(merchant_id),  # type: ignore[arg-type]
        lambda: store.put(merchant_id, creds()),  # type: ignore[arg-type]
        lambda: store.delete(merchant_id),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(ValidationError) as info:
            call()
        assert info.value.field == "merchant_id"
    assert store.merchant_ids() == []


def test_longest_and_unicode_merchant_ids_are_accepted(store: CredentialStore) -> None:
    ids = ["a" * 200, "boutique-café-東京", "shop with spaces"]
    for merchant_id in ids:
        store.put(merchant_id, creds())
    assert store.merchant_ids() == sorted(ids)
    for merchant_id in ids:
        loaded = store.get(merchant_id)
        assert loaded is not None and loaded.password_value() == PASSWORD


def test_put_refuses_anything_but_stored_credentials(store: CredentialStore) -> None:
    with pytest.raises(ValidationError) as info:
        store.put("m1", {"username": USERNAME, "password": PASSWORD})  # type: ignore[arg-type]
    assert info.value.field == "credentials"
    assert_safe(info.value, PASSWORD)


def test_in_memory_store_under_eight_threads() -> None:
    store = InMemoryCredentialStore()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(50):
                store.put(f"t{n}-{i:02d}", creds(username=f"user{n}"))
                store.put("shared", creds(username=f"user{n}"))
                got = store.get(f"t{n}-{i:02d}")
                assert got is not None and got.username == f"user{n}"
                if i % 2:
                    assert store.delete(f"t{n}-{i:02d}") is True
                store.merchant_ids()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    expected = sorted([f"t{n}-{i:02d}" for n in range(8) for i in range(0, 50, 2)] + ["shared"])
    assert store.merchant_ids() == expected


# -- the encrypted file: secrecy and modes ---------------------------------------------------------


def test_file_holds_neither_password_nor_username(store_path: Path, key: str) -> None:
    store = EncryptedFileCredentialStore(store_path, keys=[key])
    store.put("m1", creds())
    store.put("m2", creds(password="Other-Passw0rd-99", username="second-user-4410"))
    raw = store_path.read_bytes()
    for secret in (PASSWORD, USERNAME, "Other-Passw0rd-99", "second-user-4410", INTEGRATION_ID, key):
        assert secret.encode() not in raw
    document = json.loads(raw)
    assert document["version"] == 1
    assert sorted(document["records"]) == ["m1", "m2"]
    assert document["records"]["m1"] != document["records"]["m2"]
    assert Fernet(key).decrypt(document["records"]["m1"].encode()) != b""  # each record is a Fernet token


def test_store_repr_shows_path_and_key_count_only(store_path: Path, key: str) -> None:
    old = EncryptedFileCredentialStore.generate_key()
    store = EncryptedFileCredentialStore(store_path, keys=[key, old])
    store.put("m1", creds())
    assert repr(store) == f"EncryptedFileCredentialStore(path={str(store_path)!r}, keys=2)"
    for text in (repr(store), str(store)):
        assert key not in text and old not in text and PASSWORD not in text


def test_file_mode_is_0600_after_create_and_rewrite_whatever_the_umask(store_path: Path, key: str) -> None:
    store = EncryptedFileCredentialStore(store_path, keys=[key])
    previous = os.umask(0)
    try:
        store.put("m1", creds())
        assert mode_of(store_path) == 0o600
        assert mode_of(store_path.with_name(store_path.name + ".lock")) == 0o600
        store.put("m2", creds())
        assert mode_of(store_path) == 0o600
        store.delete("m1")
        assert mode_of(store_path) == 0o600
    finally:
        os.umask(previous)
    assert [p.name for p in store_path.parent.iterdir() if p.name.endswith(".tmp")] == []  # no temp file left


def test_group_readable_store_file_is_refused(store_path: Path, key: str) -> None:
    store = EncryptedFileCredentialStore(store_path, keys=[key])
    store.put("m1", creds())
    store_path.chmod(0o644)
    for call in (lambda: store.get("m1"), store.merchant_ids, lambda: store.put("m2", creds())):
        with pytest.raises(ConfigurationError) as info:
            call()
        assert str(store_path) in str(info.value) and "0644" in str(info.value) and "0600" in str(info.value)
        assert_safe(info.value, PASSWORD, key)
    store_path.chmod(0o600)
    assert store.merchant_ids() == ["m1"]


def test_missing_file_is_an_empty_store_created_on_first_put(tmp_path: Path, key: str) -> None:
    path = tmp_path / "creds.json"
    store = EncryptedFileCredentialStore(path, keys=[key])
    assert store.merchant_ids() == [] and store.get("m1") is None and store.delete("m1") is False
    assert not path.exists()
    store.put("m1", creds())
    assert path.exists()

    in_missing_dir = EncryptedFileCredentialStore(tmp_path / "nope" / "creds.json", keys=[key])
    with pytest.raises(CredentialStoreError) as info:
        in_missing_dir.put("m1", creds())
    assert "does not exist" in str(info.value)
    assert_safe(info.value, PASSWORD, key)
    assert not (tmp_path / "nope").exists()


# -- keys ------------------------------------------------------------------------------------------


def test_key_from_argument_env_and_key_file_env(
    tmp_path: Path, store_path: Path, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    EncryptedFileCredentialStore(store_path, keys=[key.encode()]).put("m1", creds())

    monkeypatch.setenv(KEY_ENV, f" {key} , {EncryptedFileCredentialStore.generate_key()}")
    from_env = EncryptedFileCredentialStore(store_path)
    assert repr(from_env).endswith("keys=2)")
    assert from_env.get("m1") == EncryptedFileCredentialStore(store_path, keys=[key]).get("m1")

    monkeypatch.delenv(KEY_ENV)
    key_file = tmp_path / "store.key"
    write_private(key_file, f"# primary\n{key}\n\n")
    monkeypatch.setenv(KEY_FILE_ENV, str(key_file))
    from_file_env = EncryptedFileCredentialStore(store_path)
    assert repr(from_file_env).endswith("keys=1)")
    assert from_file_env.get("m1") is not None


def test_key_sources_are_tried_in_order(
    tmp_path: Path, store_path: Path, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    EncryptedFileCredentialStore(store_path, keys=[key]).put("m1", creds())
    other = EncryptedFileCredentialStore.generate_key()
    other_file = tmp_path / "other.key"
    write_private(other_file, other)
    key_file = tmp_path / "store.key"
    write_private(key_file, key)

    monkeypatch.setenv(KEY_ENV, other)
    monkeypatch.setenv(KEY_FILE_ENV, str(other_file))
    assert EncryptedFileCredentialStore(store_path, keys=[key]).get("m1") is not None  # argument first
    assert EncryptedFileCredentialStore(store_path, key_file=key_file).get("m1") is not None  # then key_file
    monkeypatch.setenv(KEY_ENV, key)
    assert EncryptedFileCredentialStore(store_path).get("m1") is not None  # env key before env key file


def test_no_key_is_a_configuration_error(store_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        EncryptedFileCredentialStore(store_path)
    text = str(info.value)
    assert "generate_key()" in text and KEY_ENV in text and KEY_FILE_ENV in text
    with pytest.raises(ConfigurationError):
        EncryptedFileCredentialStore(store_path, keys=[])


def test_malformed_key_is_refused_without_showing_it(store_path: Path, key: str) -> None:
    bad = "not-a-fernet-key-but-quite-long-and-secretish"
    with pytest.raises(ConfigurationError) as info:
        EncryptedFileCredentialStore(store_path, keys=[key, bad])
    assert "key 2 is not a valid Fernet key" in str(info.value)
    assert_safe(info.value, bad, key)


def test_key_file_readable_by_others_is_refused(tmp_path: Path, store_path: Path, key: str) -> None:
    key_file = tmp_path / "store.key"
    key_file.write_text(key + "\n")
    key_file.chmod(0o644)
    with pytest.raises(ConfigurationError) as info:
        EncryptedFileCredentialStore(store_path, key_file=key_file)
    assert str(key_file) in str(info.value) and "0600" in str(info.value)
    assert_safe(info.value, key)

    key_file.chmod(0o600)
    EncryptedFileCredentialStore(store_path, key_file=key_file).put("m1", creds())

    empty = tmp_path / "empty.key"
    write_private(empty, "# nothing here\n\n")
    with pytest.raises(ConfigurationError, match="holds no key"):
        EncryptedFileCredentialStore(store_path, key_file=empty)
    with pytest.raises(ConfigurationError, match="cannot be read"):
        EncryptedFileCredentialStore(store_path, key_file=tmp_path / "missing.key")


# -- wrong keys, tampering, corruption --------------------------------------------------------------


def test_wrong_key_is_a_credential_store_error(store_path: Path, key: str) -> None:
    EncryptedFileCredentialStore(store_path, keys=[key]).put("m1", creds())
    wrong = EncryptedFileCredentialStore.generate_key()
    store = EncryptedFileCredentialStore(store_path, keys=[wrong])
    assert store.merchant_ids() == ["m1"]  # listing needs no key
    with pytest.raises(CredentialStoreError) as info:
        store.get("m1")
    assert "the record for merchant 'm1' cannot be decrypted with the configured keys" in str(info.value)
    token = json.loads(store_path.read_bytes())["records"]["m1"]
    assert_safe(info.value, PASSWORD, USERNAME, key, wrong, token)


def test_tampered_record_is_detected_and_hides_no_other_record(store_path: Path, key: str) -> None:
    store = EncryptedFileCredentialStore(store_path, keys=[key])
    store.put("m1", creds())
    store.put("m2", creds(username="second-user"))
    document = json.loads(store_path.read_bytes())
    raw = bytearray(base64.urlsafe_b64decode(document["records"]["m1"]))
    raw[40] ^= 0x01  # one bit of the ciphertext
    document["records"]["m1"] = base64.urlsafe_b64encode(bytes(raw)).decode()
    write_private(store_path, json.dumps(document))

    with pytest.raises(CredentialStoreError) as info:
        store.get("m1")
    assert "'m1'" in str(info.value)
    assert_safe(info.value, PASSWORD, USERNAME, key, document["records"]["m1"])
    second = store.get("m2")
    assert second is not None and second.username == "second-user"


@pytest.mark.parametrize(
    "content",
    ['{"version": 1, "records": {"m1": "gAAAA', "[1, 2, 3]", '{"version": 1, "records": {"m1": 5}}', "\xff\xfe"],
)
def test_corrupt_file_is_a_credential_store_error(store_path: Path, key: str, content: str) -> None:
    write_private(store_path, content)
    store = EncryptedFileCredentialStore(store_path, keys=[key])
    for call in (lambda: store.get("m1"), store.merchant_ids, lambda: store.put("m2", creds())):
        with pytest.raises(CredentialStoreError) as info:
            call()
        assert str(store_path) in str(info.value)
        assert_safe(info.value, PASSWORD, key)
    assert store_path.read_text() == content  # a corrupt file is never overwritten


def test_unknown_format_version_is_refused(store_path: Path, key: str) -> None:
    write_private(store_path, '{"version": 2, "records": {}}')
    with pytest.raises(CredentialStoreError, match="format version 2"):
        EncryptedFileCredentialStore(store_path, keys=[key]).merchant_ids()


# -- rotation --------------------------------------------------------------------------------------


def test_rotation(store_path: Path, key: str) -> None:
    old = key
    store = EncryptedFileCredentialStore(store_path, keys=[old])
    for merchant_id in ("m1", "m2", "m3"):
        store.put(merchant_id, creds(username=merchant_id))
    before = json.loads(store_path.read_bytes())["records"]

    new = EncryptedFileCredentialStore.generate_key()
    store.rotate(new)
    after = json.loads(store_path.read_bytes())["records"]
    assert sorted(after) == ["m1", "m2", "m3"]
    assert all(after[m] != before[m] for m in after)
    assert repr(store).endswith("keys=2)")
    assert mode_of(store_path) == 0o600

    new_only = EncryptedFileCredentialStore(store_path, keys=[new])
    assert [new_only.get(m).username for m in ("m1", "m2", "m3")] == ["m1", "m2", "m3"]  # type: ignore[union-attr]
    assert EncryptedFileCredentialStore(store_path, keys=[new, old]).get("m2") == store.get("m2")

    old_only = EncryptedFileCredentialStore(store_path, keys=[old])
    with pytest.raises(CredentialStoreError) as info:
        old_only.get("m1")
    assert_safe(info.value, PASSWORD, old, new)

    store.put("m4", creds())  # the rotated store now encrypts with the new key
    assert new_only.get("m4") is not None


def test_rotation_changes_nothing_if_a_record_is_unreadable(store_path: Path, key: str) -> None:
    EncryptedFileCredentialStore(store_path, keys=[EncryptedFileCredentialStore.generate_key()]).put("other", creds())
    store = EncryptedFileCredentialStore(store_path, keys=[key])
    store.put("m1", creds())
    before = store_path.read_bytes()
    new = EncryptedFileCredentialStore.generate_key()
    with pytest.raises(CredentialStoreError, match="'other'") as info:
        store.rotate(new)
    assert_safe(info.value, PASSWORD, key, new)
    assert store_path.read_bytes() == before
    assert repr(store).endswith("keys=1)")
    with pytest.raises(ConfigurationError, match="new key is not a valid Fernet key"):
        store.rotate("short")


# -- several processes -----------------------------------------------------------------------------


def _put_many(path: str, key: str, worker: int, count: int, barrier: object) -> None:
    store = EncryptedFileCredentialStore(path, keys=[key])
    barrier.wait()  # type: ignore[attr-defined]
    for i in range(count):
        store.put(f"p{worker}-{i:02d}", creds(username=f"user{worker}"))


def test_processes_sharing_the_file_lose_no_update(store_path: Path, key: str) -> None:
    ctx = worker_context()
    barrier = ctx.Barrier(4)
    procs = [ctx.Process(target=_put_many, args=(str(store_path), key, w, 25, barrier)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=30)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    store = EncryptedFileCredentialStore(store_path, keys=[key])
    assert store.merchant_ids() == sorted(f"p{w}-{i:02d}" for w in range(4) for i in range(25))
    assert store.get("p3-24").username == "user3"  # type: ignore[union-attr]
    assert mode_of(store_path) == 0o600


def test_a_record_moved_to_another_merchants_slot_is_refused(tmp_path):
    store = EncryptedFileCredentialStore(tmp_path / "creds.json", keys=[EncryptedFileCredentialStore.generate_key()])
    store.put("alice", creds(username="alice", password="Alice-pass1"))
    store.put("bob", creds(username="bob", password="Bob-pass1"))
    data = json.loads((tmp_path / "creds.json").read_text())
    data["records"]["alice"], data["records"]["bob"] = data["records"]["bob"], data["records"]["alice"]
    (tmp_path / "creds.json").write_text(json.dumps(data))
    with pytest.raises(CredentialStoreError, match="belongs to another merchant"):
        store.get("alice")
