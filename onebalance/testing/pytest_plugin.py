"""pytest fixtures for the One Balance sandbox, registered through the ``pytest11`` entry point.

* ``onebalance_sandbox``: a fresh :class:`~onebalance.sandbox.Sandbox` with the demo account.
* ``onebalance_inprocess``: that sandbox answering in-process through ``responses`` (no sockets);
  the value is a :class:`~onebalance.sandbox.SandboxCredentials` whose ``url`` is the endpoint.
* ``onebalance_server``: the same, served over real HTTP on 127.0.0.1.
* ``onebalance_endpoint``: parametrized over both modes, so one test runs against each.

Each test gets its own sandbox; nothing is shared between tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from onebalance.sandbox import Sandbox, SandboxCredentials


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


@pytest.fixture(params=["inprocess", "server"])
def onebalance_endpoint(request: pytest.FixtureRequest) -> SandboxCredentials:
    """The demo account's credentials, once per sandbox mode."""
    creds: SandboxCredentials = request.getfixturevalue(f"onebalance_{request.param}")
    return creds
