"""pytest fixtures for the three sandboxes, registered through the ``pytest11`` entry point.

One Balance:

* ``onebalance_sandbox``: a fresh :class:`~onebalance.sandbox.Sandbox` with the demo account.
* ``onebalance_inprocess``: that sandbox answering in-process through ``responses`` (no sockets);
  the value is a :class:`~onebalance.sandbox.SandboxCredentials` whose ``url`` is the endpoint.
* ``onebalance_server``: the same, served over real HTTP on 127.0.0.1.
* ``onebalance_endpoint``: parametrized over both modes, so one test runs against each.

UPS and FedEx, the same four each (``ups_sandbox``, ``ups_inprocess``, ``ups_server``,
``ups_endpoint``; ``fedex_sandbox``, ...): the sandbox with its demo app or project, and the
:class:`~carriers.ups.UpsSettings` / :class:`~carriers.fedex.FedexSettings` a client needs to
reach it (``UpsClient(ups_inprocess)``).

Each test gets its own sandboxes; nothing is shared between tests. In-process fixtures of the
three sandboxes can be used together in one test: they share one ``responses`` mock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from onebalance.sandbox import Sandbox, SandboxCredentials
from onebalance.sandbox.fedex import FedexSandbox
from onebalance.sandbox.ups import UpsSandbox

if TYPE_CHECKING:
    from onebalance.carriers.fedex import FedexSettings
    from onebalance.carriers.ups import UpsSettings

MODES = ["inprocess", "server"]


# -- One Balance -------------------------------------------------------------------------------------
@pytest.fixture
def onebalance_sandbox() -> Iterator[Sandbox]:
    box = Sandbox()
    box.create_demo_account()
    yield box
    box.close()


@pytest.fixture
def onebalance_inprocess(onebalance_sandbox: Sandbox) -> Iterator[SandboxCredentials]:
    creds = onebalance_sandbox.create_demo_account()
    with onebalance_sandbox.mock() as url:
        yield replace(creds, url=url)


@pytest.fixture
def onebalance_server(onebalance_sandbox: Sandbox) -> Iterator[SandboxCredentials]:
    creds = onebalance_sandbox.create_demo_account()
    with onebalance_sandbox.serve() as server:
        yield replace(creds, url=server.url)


@pytest.fixture(params=MODES)
def onebalance_endpoint(request: pytest.FixtureRequest) -> SandboxCredentials:
    """The demo account's credentials, once per sandbox mode."""
    creds: SandboxCredentials = request.getfixturevalue(f"onebalance_{request.param}")
    return creds


# -- UPS ---------------------------------------------------------------------------------------------
@pytest.fixture
def ups_sandbox() -> UpsSandbox:
    """A fresh :class:`~onebalance.sandbox.ups.UpsSandbox` with the demo app."""
    box = UpsSandbox()
    box.create_demo_account()
    return box


@pytest.fixture
def ups_inprocess(ups_sandbox: UpsSandbox) -> Iterator[UpsSettings]:
    """The demo app's settings, for ``ups_sandbox`` answering in-process."""
    app = ups_sandbox.create_demo_account()
    with ups_sandbox.mock() as url:
        yield app.settings(url)


@pytest.fixture
def ups_server(ups_sandbox: UpsSandbox) -> Iterator[UpsSettings]:
    """The demo app's settings, for ``ups_sandbox`` served over HTTP on 127.0.0.1."""
    app = ups_sandbox.create_demo_account()
    with ups_sandbox.serve() as server:
        yield app.settings(server.url)


@pytest.fixture(params=MODES)
def ups_endpoint(request: pytest.FixtureRequest) -> UpsSettings:
    """The demo app's settings, once per sandbox mode."""
    settings: UpsSettings = request.getfixturevalue(f"ups_{request.param}")
    return settings


# -- FedEx -------------------------------------------------------------------------------------------
@pytest.fixture
def fedex_sandbox() -> FedexSandbox:
    """A fresh :class:`~onebalance.sandbox.fedex.FedexSandbox` with the demo project."""
    box = FedexSandbox()
    box.create_demo_account()
    return box


@pytest.fixture
def fedex_inprocess(fedex_sandbox: FedexSandbox) -> Iterator[FedexSettings]:
    """The demo project's settings, for ``fedex_sandbox`` answering in-process."""
    creds = fedex_sandbox.create_demo_account()
    with fedex_sandbox.mock() as url:
        yield creds.settings(url)


@pytest.fixture
def fedex_server(fedex_sandbox: FedexSandbox) -> Iterator[FedexSettings]:
    """The demo project's settings, for ``fedex_sandbox`` served over HTTP on 127.0.0.1."""
    creds = fedex_sandbox.create_demo_account()
    with fedex_sandbox.serve() as server:
        yield creds.settings(server.url)


@pytest.fixture(params=MODES)
def fedex_endpoint(request: pytest.FixtureRequest) -> FedexSettings:
    """The demo project's settings, once per sandbox mode."""
    settings: FedexSettings = request.getfixturevalue(f"fedex_{request.param}")
    return settings
