"""One spelling for one thing across the models (docs/reference/names.md), the old names kept one release.

A renamed field still takes its old keyword and answers to its old attribute, each time with a
DeprecationWarning naming the new name; ``model_fields`` and ``model_dump`` know only the new names;
records a store kept under the old names load without a warning; the CLI's JSON carries both keys.
(pyproject's pytest settings make any other use of an old name in the SDK an error.)
"""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pydantic
import pytest

import carriers
import onebalance
from onebalance import (
    Accounts,
    AutoBuySettings,
    BalanceTransaction,
    HistoryEntry,
    InMemoryCredentialStore,
    LoginInfo,
    PostalAddress,
    Quote,
    Receipt,
    RefillEntry,
    RefillProposal,
    RegistrationForm,
    StoreProfile,
    ValidationError,
)
from onebalance.core import WITH_OLD_NAMES, Renamed
from onebalance.sandbox import DEMO_INTEGRATION_ID

from ._stores import StoreSpec, postgres_run_schema, store_spec  # noqa: F401 - a fixture

D = Decimal
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
#: Spellings no public model uses any more, and the one each became.
RETIRED = {
    "total_charged": "total",
    "address1": "street_lines",
    "address2": "street_lines",
    "zip_code": "postal_code",
    "zip_code_add_on": "zip4",
    "full_name": "name",
    "date": "occurred_at",
    "last_login_time": "last_login_at",
    "purchase_amount": "amount",
    "trigger_amount": "threshold",
}

MONEY = {"amount": D("100.00"), "fee": D("3.50")}
PURCHASE = {
    **MONEY,
    "merchant_id": "m1",
    "username": "shop",
    "kind": "manual",
    "payment_method": "Visa ending 1111",
    "payment_kind": "credit_card",
}
#: model -> (its fields under the new names, the same under the old names)
CASES: dict[type[pydantic.BaseModel], tuple[dict[str, Any], dict[str, Any]]] = {
    Quote: (
        {
            **PURCHASE,
            "quote_id": "q1",
            "balance_before": D("1"),
            "balance_after": D("101"),
            "control_total": D("0"),
            "max_postage_balance": D("1000"),
            "created_at": T0,
        },
        {"total_charged": D("103.50")},
    ),
    Receipt: (
        {
            **PURCHASE,
            "receipt_id": "R-1",
            "created_at": T0,
            "status": "Success",
            "transaction_id": 7,
            "integrator_tx_id": "onebalance-q1",
            "balance_after": D("101"),
            "control_total_after": D("0"),
        },
        {"total_charged": D("103.50")},
    ),
    RefillEntry: (
        {**PURCHASE, "integrator_tx_id": "onebalance-q1", "receipt_id": "R-1", "control_total": D("0"),
         "started_at": T0},
        {"total_charged": D("103.50")},
    ),
    RefillProposal: (
        {**MONEY, "merchant_id": "m1", "balance": D("1"), "needed": D("5"), "threshold": D("10")},
        {"total_charged": D("103.50")},
    ),
    PostalAddress: (
        {"city": "Austin", "state": "TX"},
        {"full_name": "Ada", "address1": "1 Main St", "address2": "Suite 2", "zip_code": "78701",
         "zip_code_add_on": "1234"},
    ),
    StoreProfile: (
        {"store_name": "Acme", "owner_name": "Ada", "city": "Austin", "state": "TX", "email": "a@b.example",
         "phone": "5125550100"},
        {"address1": "1 Main St", "address2": "Suite 2", "zip_code": "78701"},
    ),
    RegistrationForm: (
        {"city": "Austin", "state": "TX"},
        {"full_name": "Ada", "address1": "1 Main St", "address2": "Suite 2", "zip_code": "78701"},
    ),
    BalanceTransaction: (
        {"type": "Purchase", "cost": D("0"), "credit": D("10"), "balance": D("10")},
        {"date": T0},
    ),
    HistoryEntry: (
        {"type": "Purchase", "cost": D("0"), "credit": D("10"), "balance": D("10")},
        {"date": T0},
    ),
    LoginInfo: ({}, {"last_login_time": T0}),
    AutoBuySettings: ({"enabled": True}, {"purchase_amount": D("100.00"), "trigger_amount": D("20.00")}),
}  # fmt: skip


def _new(old: dict[str, Any]) -> dict[str, Any]:
    """``old`` under the new names (street lines in order)."""
    new: dict[str, Any] = {}
    for name, value in old.items():
        if RETIRED[name] == "street_lines":
            new["street_lines"] = (*new.get("street_lines", ()), value)
        else:
            new[RETIRED[name]] = value
    return new


def _public_models() -> Iterator[type[pydantic.BaseModel]]:
    for module in (onebalance, carriers):
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, pydantic.BaseModel):
                yield obj


def test_every_renamed_public_model_is_checked_here():
    renamed = {model for model in _public_models() if issubclass(model, Renamed) and model.__old_names__}
    assert renamed == set(CASES)


@pytest.mark.parametrize("model", list(_public_models()), ids=lambda m: m.__name__)
def test_no_public_model_has_a_field_under_an_old_spelling(model):
    assert not set(model.model_fields) & set(RETIRED), model.__name__
    for name in getattr(model, "__old_names__", ()):
        assert name.new in model.model_fields and name.old not in model.model_fields


@pytest.mark.parametrize("model", list(CASES), ids=lambda m: m.__name__)
def test_the_old_keyword_works_and_warns_naming_the_new_name(model):
    fields, old = CASES[model]
    expected = model(**fields, **_new(old))
    with pytest.warns(DeprecationWarning) as caught:
        built = model(**fields, **old)
    assert built == expected
    messages = [str(w.message) for w in caught]
    assert len(messages) == len(old)
    for name, message in zip(old, messages, strict=True):
        assert message.startswith(f"{model.__name__}.{name} is the old name of {RETIRED[name]}")
        assert caught[0].filename == __file__  # the warning points at the caller's line
    # from a dict or JSON too (a record or a payload someone kept)
    with pytest.warns(DeprecationWarning):
        assert model.model_validate({**fields, **old}) == expected
    dumped = expected.model_dump()
    assert not set(dumped) & set(old)


@pytest.mark.parametrize("model", list(CASES), ids=lambda m: m.__name__)
def test_the_old_attribute_reads_the_new_field_and_warns(model):
    fields, old = CASES[model]
    built = model(**fields, **_new(old))
    for name, value in old.items():
        with pytest.warns(DeprecationWarning, match=f"{name} is the old name of {RETIRED[name]}"):
            assert getattr(built, name) == value


def test_an_absent_street_line_reads_as_none():
    address = PostalAddress(street_lines=("1 Main St",))
    with pytest.warns(DeprecationWarning):
        assert (address.address1, address.address2) == ("1 Main St", None)


def test_an_old_name_set_on_a_form_sets_the_new_field():
    form = RegistrationForm(street_lines=("1 Main St",))
    with pytest.warns(DeprecationWarning, match="address2 is the old name of street_lines"):
        form.address2 = "Suite 200"
    assert form.street_lines == ("1 Main St", "Suite 200")
    with pytest.warns(DeprecationWarning, match="zip_code is the old name of postal_code"):
        form.zip_code = "78701"
    assert form.postal_code == "78701"
    with pytest.warns(DeprecationWarning), pytest.raises(ValidationError) as refused:
        form.address1 = "PO Box 12"  # the new field's rules hold for the old name
    assert (refused.value.field, form.street_lines) == ("street_lines", ("1 Main St", "Suite 200"))


def test_a_name_given_twice_is_refused():
    with pytest.warns(DeprecationWarning), pytest.raises(ValidationError) as refused:
        RegistrationForm(postal_code="78701", zip_code="78702")
    assert refused.value.field == "postal_code"
    with pytest.warns(DeprecationWarning), pytest.raises(pydantic.ValidationError, match="given twice"):
        RefillProposal(**CASES[RefillProposal][0], total=D("1"), total_charged=D("1"))


@pytest.fixture
def accounts(sandbox) -> Iterator[Accounts]:
    """Merchant m1 connected to a sandbox account, mounted in-process."""
    sandbox.create_account("shop", "Shop-passw0rd", balance="50.00")
    with sandbox.mock() as url:
        accounts = Accounts(integration_id=DEMO_INTEGRATION_ID, endpoint=url, store=InMemoryCredentialStore())
        accounts.connect("m1", username="shop", password="Shop-passw0rd")
        yield accounts


def test_set_auto_buy_takes_its_old_keywords_and_warns(accounts):
    """The methods whose keywords name AutoBuySettings' fields take the old keywords the same way."""
    postage = accounts.postage("m1")
    with pytest.warns(DeprecationWarning) as caught:
        settings = postage.set_auto_buy(True, purchase_amount="100.00", trigger_amount="20.00")
    assert (settings.enabled, settings.amount, settings.threshold) == (True, D("100.00"), D("20.00"))
    assert [str(w.message).split(";")[0] for w in caught] == [
        "Postage.set_auto_buy.purchase_amount is the old name of amount",
        "Postage.set_auto_buy.trigger_amount is the old name of threshold",
    ]
    assert {w.filename for w in caught} == {__file__}
    client = accounts.client("m1")
    with pytest.warns(DeprecationWarning, match="OneBalance.set_auto_buy.trigger_amount is the old name of thr"):
        client.set_auto_buy(True, D("50.00"), trigger_amount=D("10.00"))
    assert client.account().auto_buy == AutoBuySettings(enabled=True, amount=D("50.00"), threshold=D("10.00"))
    with pytest.warns(DeprecationWarning), pytest.raises(ValidationError) as refused:
        postage.set_auto_buy(True, amount="100.00", purchase_amount="100.00", threshold="20.00")
    assert refused.value.field == "amount"


def test_closing_an_account_takes_the_old_zip_code_keyword_and_warns(accounts):
    where = accounts.client("m1").account().address
    assert where.street_lines and where.postal_code
    with pytest.warns(DeprecationWarning, match="Accounts.close.zip_code is the old name of postal_code"):
        accounts.close(
            "m1", address=where.street_lines[0], city=where.city, state=where.state, zip_code=where.postal_code
        )
    assert accounts.store.get("m1") is None


def test_the_cli_json_writes_the_old_keys_beside_the_new_for_one_release():
    fields, old = CASES[PostalAddress]
    address = PostalAddress(**fields, **_new(old))
    data = address.model_dump(mode="json", context=WITH_OLD_NAMES)
    assert {k: data[k] for k in old} == old
    assert data["street_lines"] == ["1 Main St", "Suite 2"] and data["postal_code"] == "78701"
    assert "address1" not in address.model_dump(mode="json")


# -- records kept under the old names ----------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreSpec]:
    yield from store_spec(request.param, tmp_path, request)


def _rename_in_bodies(spec: StoreSpec, old: str, new: str) -> list[str]:
    """Rewrite the kept JSON bodies as an earlier release wrote them (the key ``new`` was ``old``);
    the bodies as they now are."""
    update = f"UPDATE {{}} SET body = replace(body, '\"{new}\":', '\"{old}\":')"
    tables = ("receipts", "refill_journal")
    if spec.kind == "sqlite":
        with sqlite3.connect(spec.path) as conn:
            for table in tables:
                conn.execute(update.format(table))
            return [row[0] for table in tables for row in conn.execute(f"SELECT body FROM {table}")]
    import psycopg
    from psycopg import sql

    with psycopg.connect(spec.dsn, autocommit=True) as conn:
        bodies = []
        for table in tables:
            name = sql.Identifier(spec.schema, table)
            conn.execute(sql.SQL(update).format(name))  # type: ignore[arg-type]
            bodies += [row[0] for row in conn.execute(sql.SQL("SELECT body FROM {}").format(name))]
        return bodies


def test_receipts_and_refill_entries_kept_under_the_old_names_load_without_a_warning(spec):
    receipt = Receipt(**CASES[Receipt][0], total=D("103.50"))
    entry = RefillEntry(**CASES[RefillEntry][0], total=D("103.50"))
    store = spec.open()
    try:
        store.records.add_receipt(receipt)
        store.refills.start(entry)
    finally:
        store.close()
    bodies = _rename_in_bodies(spec, "total_charged", "total")
    assert len(bodies) == 2 and all('"total_charged":"103.50"' in body and '"total":' not in body for body in bodies)
    store = spec.open()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert store.records.receipt_for(receipt.integrator_tx_id) == receipt
            assert store.records.receipts("m1") == [receipt]
            assert store.refills.get(entry.integrator_tx_id) == entry
    finally:
        store.close()
