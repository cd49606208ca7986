"""Shared fixtures. Every sandbox made through them checks each request it receives and each
response it sends against the real schema of its SWSIM version (SwsimV111.wsdl or swsimv135.wsdl,
when ../shared/specs is present) and fails the test on any mismatch."""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, settings

from onebalance import OneBalance
from onebalance.sandbox import Sandbox, SandboxCredentials

from ._specs import REAL_WSDLS, SPECS_MISSING, RealSwsimSchemas

# The multi-process tests start their workers from a fork server (a clean process: forking this one,
# which runs sandbox server threads, can hand a child a lock held by a thread it does not have).
# Preloading the SDK there keeps each worker's start-up short.
if "forkserver" in multiprocessing.get_all_start_methods():
    multiprocessing.set_forkserver_preload(["onebalance", "onebalance.sandbox", "carriers", "tests._stores"])


# Property tests check behaviour, not speed: on a 2-core machine running the suite on both cores (or
# beside other work) one example can take longer than hypothesis's 200 ms deadline or its too-slow
# check allows, which failed tests that pass alone. Settings given on a test still apply on top.
settings.register_profile("onebalance-suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("onebalance-suite")


@pytest.fixture(scope="session")
def real_swsim() -> RealSwsimSchemas | None:
    """The real contracts' schemas (each body checked against its version's), or None where
    ../shared/specs is absent."""
    if not all(path.exists() for path in REAL_WSDLS.values()):
        return None
    return RealSwsimSchemas()


@pytest.fixture
def require_real_swsim(real_swsim: RealSwsimSchemas | None) -> RealSwsimSchemas:
    if real_swsim is None:
        pytest.skip(SPECS_MISSING)
    return real_swsim


@pytest.fixture
def wire_log(real_swsim: RealSwsimSchemas | None) -> Iterator[list[tuple[str, str | None, bytes]]]:
    """Every exchange of the test's sandboxes; fails the test if one breaks the real contract."""
    log: list[tuple[str, str | None, bytes]] = []
    yield log
    if real_swsim is None:
        return
    problems = []
    for direction, op, body in log:
        if direction == "request" and op is None:
            continue  # requests the sandbox refused as unknown or malformed are the test's own doing
        for error in real_swsim.errors(body):
            problems.append(f"{direction} {op}: {error}")
    assert not problems, "exchanges that break the real SWSIM contract:\n" + "\n".join(problems[:20])


@pytest.fixture
def make_sandbox(wire_log: list[tuple[str, str | None, bytes]]) -> Iterator[Callable[..., Sandbox]]:
    """Build sandboxes whose exchanges are checked against the real contract."""
    made: list[Sandbox] = []

    def factory(**kwargs: object) -> Sandbox:
        box = Sandbox(observers=[lambda d, op, body: wire_log.append((d, op, body))], **kwargs)  # type: ignore[arg-type]
        made.append(box)
        return box

    yield factory
    for box in made:
        box.close()


@pytest.fixture
def onebalance_sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """Overrides the plugin's fixture so that its exchanges are checked too."""
    box = make_sandbox()
    box.create_demo_account()
    return box


@pytest.fixture
def sandbox(onebalance_sandbox: Sandbox) -> Sandbox:
    return onebalance_sandbox


@pytest.fixture(params=["inprocess", "server"])
def endpoint(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[SandboxCredentials]:
    """The demo account's credentials with the sandbox mounted in-process, then as a server."""
    creds = sandbox.create_demo_account()
    if request.param == "inprocess":
        with sandbox.mock() as url:
            yield replace(creds, url=url)
    else:
        with sandbox.serve() as server:
            yield replace(creds, url=server.url)


@pytest.fixture
def client_for() -> Callable[..., OneBalance]:
    def make(creds: SandboxCredentials, **overrides: object) -> OneBalance:
        kwargs: dict[str, object] = {
            "integration_id": creds.integration_id,
            "username": creds.username,
            "password": creds.password,
            "endpoint": creds.url,
        }
        kwargs.update(overrides)
        return OneBalance(**kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def client(endpoint: SandboxCredentials, client_for: Callable[..., OneBalance]) -> OneBalance:
    return client_for(endpoint)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("onebalance chaos suite (tests/test_chaos.py)")
    group.addoption(
        "--chaos-ops",
        type=int,
        default=int(os.environ.get("ONEBALANCE_CHAOS_OPS", "300")),
        help="operations the chaos suite runs (default 300; the long setting is 10000)",
    )
    group.addoption("--chaos-fault-rate", type=float, default=0.1, help="share of requests that meet a fault")
    group.addoption("--chaos-seed", type=int, default=20261130, help="seed of the operations and the faults")


#: The CLI's environment variables: a developer's shell that sets them must not change what the tests see.
_CLI_ENVIRONMENT = (
    "ONEBALANCE_API_VERSION",
    "ONEBALANCE_CREDENTIALS_KEY",
    "ONEBALANCE_CREDENTIALS_STORE",
    "ONEBALANCE_ENDPOINT",
    "ONEBALANCE_FEDEX_CLIENT_SECRET",
    "ONEBALANCE_INTEGRATION_ID",
    "ONEBALANCE_PASSWORD",
    "ONEBALANCE_RECORDS",
    "ONEBALANCE_STORE_DSN",
    "ONEBALANCE_STORE_SCHEMA",
    "ONEBALANCE_UPS_CLIENT_SECRET",
    "ONEBALANCE_USERNAME",
)


@pytest.fixture(autouse=True)
def _clean_cli_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _CLI_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = str(longrepr[2]) if isinstance(longrepr, (tuple, list)) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per reason for the skipped tests (what they need is in the README), not one per test.

    ``-rs`` (or ``-ra``) still lists every skipped test, and then this summary is left out.
    """
    chars = terminalreporter.config.option.reportchars or ""
    if "s" in chars or "a" in chars or "A" in chars:
        return
    reasons = Counter(_skip_reason(r) for r in terminalreporter.stats.get("skipped", []) if r.when != "teardown")
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"SKIPPED {count} test{'s' if count != 1 else ''}: {reason}", yellow=True)
