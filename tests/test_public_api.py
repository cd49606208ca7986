"""Every documented import keeps working."""

import importlib

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

    assert resources.files("onebalance._soap").joinpath("wsdl/swsim_v111.wsdl").is_file()
