"""Every documented import keeps working."""

import importlib
import inspect
import pickle
import traceback

import pydantic
import pytest

import onebalance
import onebalance.sandbox


@pytest.mark.parametrize("module", [onebalance, onebalance.sandbox])
def test_every_public_name_is_importable(module):
    for name in module.__all__:
        assert getattr(module, name) is not None, name


def test_documented_imports():
    from onebalance import OneBalance, OneBalanceError, Timeout  # noqa: F401
    from onebalance.sandbox import Sandbox, SandboxServer  # noqa: F401


def test_the_stores_are_public_and_each_is_a_store():
    from onebalance import InMemoryStore, PostgresStore, RefillLockTimeout, SqliteStore, Store, StoreError

    assert all(issubclass(cls, Store) for cls in (InMemoryStore, SqliteStore, PostgresStore))
    assert issubclass(RefillLockTimeout, StoreError)
    assert {"Store", "InMemoryStore", "SqliteStore", "PostgresStore", "StoreError", "RefillLockTimeout"} <= set(
        onebalance.__all__
    )

    assert importlib.import_module("onebalance.testing.pytest_plugin")
    assert importlib.import_module("carriers")


def test_errors_form_one_tree():
    for name in onebalance.__all__:
        obj = getattr(onebalance, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, onebalance.OneBalanceError), name


def test_the_wsdl_ships_inside_the_package():
    from importlib import resources

    assert resources.files("onebalance.swsim._soap").joinpath("wsdl/swsim_v111.wsdl").is_file()


@pytest.mark.parametrize("package", ["onebalance", "carriers"])
def test_public_names_carry_their_public_path(package):
    """Tracebacks and reprs say onebalance.LabelNotFound (the name to import), not its module path."""
    module = importlib.import_module(package)
    named = 0
    for name in module.__all__:
        obj = getattr(module, name)
        if isinstance(obj, type) or inspect.isfunction(obj):
            assert obj.__module__ == package, name
            assert getattr(importlib.import_module(obj.__module__), obj.__qualname__) is obj, name
            if isinstance(obj, type) and issubclass(obj, pydantic.BaseModel):
                assert obj.__pydantic_complete__, name  # built in its own module, never rebuilt from the package
            named += 1
    assert named > 20


def test_an_error_shows_its_public_path():
    error = onebalance.LabelNotFound("No such label on this account", code="00450202")
    assert traceback.format_exception_only(type(error), error)[0].startswith("onebalance.LabelNotFound: No such label")
    assert repr(type(error)) == "<class 'onebalance.LabelNotFound'>"
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


def test_iterating_a_history_iterates_its_entries():
    from datetime import date, datetime, timezone
    from decimal import Decimal

    entry = onebalance.HistoryEntry(
        occurred_at=datetime(2026, 1, 2, tzinfo=timezone.utc),
        type="Purchase",
        cost=Decimal("0"),
        credit=Decimal("10.00"),
        balance=Decimal("10.00"),
    )
    history = onebalance.History(merchant_id="m", since=date(2026, 1, 1), until=None, entries=(entry, entry))
    assert list(history) == [entry, entry]
    assert len(history) == 2


def test_carrier_pickups_are_public():
    """USPS carrier pickups (issue 17): the client, its models and its errors, from onebalance and the carriers room."""
    import onebalance.carriers

    names = {
        "UspsPickups",
        "PickupRequest",
        "PickupPackages",
        "PickupContact",
        "Pickup",
        "PickupAvailability",
        "PickupStatus",
        "PackageLocation",
    }
    errors = {"PickupUnavailable", "PickupDateInPast", "PickupNotFound", "PickupRefused"}
    assert names | errors <= set(onebalance.__all__)
    assert names <= set(onebalance.carriers.__all__)
    assert all(getattr(onebalance, n).__module__ == "onebalance" for n in names | errors)
    assert issubclass(onebalance.PickupDateInPast, onebalance.ValidationError)
    assert issubclass(onebalance.PickupUnavailable, onebalance.ServiceError)


# -- the face loads the rooms above core on first use (issue 19: import time) -------------------------
def _fresh(code: str) -> str:
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_import_onebalance_leaves_the_heavy_rooms_for_their_first_use():
    """``import onebalance`` imports core (the errors, settings, transport) and masks secrets in logs;
    pydantic, lxml, zeep and the rooms with models wait until one of their names is used."""
    out = _fresh(
        "import logging, sys, onebalance\n"
        "heavy = ['pydantic', 'lxml', 'zeep', 'onebalance.swsim', 'onebalance.shipments', 'onebalance.stores',\n"
        "         'onebalance.funding', 'onebalance.carriers', 'onebalance.accounts', 'onebalance.sandbox']\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "print(any(type(f).__module__.startswith('onebalance') for f in logging.getLogger('onebalance').filters))\n"
        "module = onebalance.OneBalance.__module__\n"
        "print(module, *[room in sys.modules for room in ('onebalance.swsim', 'onebalance.accounts')])\n"
    )
    assert out.splitlines() == ["[]", "True", "onebalance True False"]


def test_the_lazy_table_is_the_typed_imports():
    """Every name of ``_LAZY`` is imported from the same room under ``TYPE_CHECKING`` (what mypy, the
    docs and tests/test_architecture.py read), and the face's names are exactly ``__all__``."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(onebalance.__file__).read_text(encoding="utf-8"))
    typed: dict[str, set[str]] = {}
    eager: set[str] = {"__version__"}
    for node in tree.body:
        if isinstance(node, ast.If):  # if TYPE_CHECKING:
            for inner in node.body:
                if isinstance(inner, ast.ImportFrom):
                    typed.setdefault(inner.module or "", set()).update(a.name for a in inner.names)
                elif isinstance(inner, ast.AnnAssign):
                    eager.add(inner.target.id)  # type: ignore[attr-defined]
        elif isinstance(node, ast.ImportFrom) and node.module == "onebalance.core":
            eager.update(a.asname or a.name for a in node.names if not (a.asname or "").startswith("_"))
    assert {room: set(names) for room, names in onebalance._LAZY.items()} == typed
    lazy = {name for names in onebalance._LAZY.values() for name in names}
    assert not lazy & eager
    assert lazy | eager == set(onebalance.__all__)


def test_a_lazy_name_is_published_pickled_and_listed():
    out = _fresh(
        "import pickle, onebalance\n"
        "print('Shipping' in dir(onebalance), 'Shipping' in vars(onebalance))\n"
        "error = pickle.loads(pickle.dumps(onebalance.RateMismatch('not this shipment')))\n"
        "print(type(error).__module__, type(error).__name__, 'Shipping' in vars(onebalance))\n"
        "print(repr(onebalance.RateShop), onebalance.carriers.__name__)\n"
        "try:\n"
        "    onebalance.NoSuchName\n"
        "except AttributeError as exc:\n"
        "    print(exc)\n"
    )
    assert out.splitlines() == [
        "True False",
        "onebalance RateMismatch False",
        "<class 'onebalance.RateShop'> onebalance.carriers",
        "module 'onebalance' has no attribute 'NoSuchName'",
    ]
