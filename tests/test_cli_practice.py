"""``onebalance sandbox practice``: a practice merchant on a served sandbox, its key and store, with no
Python, and the printed next commands work as printed."""

from __future__ import annotations

import shlex
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from onebalance.cli import cli
from onebalance.sandbox import DEMO_PASSWORD, DEMO_USERNAME, Sandbox


@pytest.fixture
def url(sandbox: Sandbox) -> Iterator[str]:
    server = sandbox.serve()
    try:
        yield server.url
    finally:
        server.stop()


def _exports(stdout: str) -> dict[str, str]:
    found = {}
    for line in stdout.splitlines():
        words = shlex.split(line)
        if words and words[0] == "export":
            name, value = words[1].split("=", 1)
            found[name] = value
    return found


def test_practice_makes_a_key_and_store_and_the_printed_commands_work(url, sandbox, tmp_path):
    runner = CliRunner()
    where = tmp_path / "practice"
    made = runner.invoke(cli, ["sandbox", "practice", "--endpoint", url, "--dir", str(where)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE((where / "store.key").stat().st_mode) == 0o600
    assert sandbox.account("practice-shop-practice").username == "practice-shop-practice"
    env = _exports(made.stdout)
    assert env["ONEBALANCE_ENDPOINT"] == url and Path(env["ONEBALANCE_CREDENTIALS_KEY_FILE"]).exists()
    steps = [shlex.split(line) for line in made.stdout.splitlines() if line.strip().startswith("onebalance ")]
    assert ["onebalance", "account", "status", "shop-practice"] in steps
    for step in steps:  # each next command, as printed, in a shell with the printed exports
        result = runner.invoke(cli, step[1:], env=env)
        assert result.exit_code == 0, (step, result.output)
    status = runner.invoke(cli, ["account", "status", "shop-practice"], env=env)
    assert status.stdout.split() == ["shop-practice", "practice-shop-practice", "active", "$100.00"]

    again = runner.invoke(cli, ["sandbox", "practice", "--endpoint", url, "--dir", str(where), "--merchant",
                                "shop-1001", "--username", DEMO_USERNAME, "--password", DEMO_PASSWORD])  # fmt: skip
    assert again.exit_code == 0, again.output
    both = runner.invoke(cli, ["account", "status", "--all"], env=env)  # the same key file and store
    assert both.exit_code == 0, both.output
    assert [line.split()[0] for line in both.stdout.split("\n\n")[0].splitlines()] == ["shop-1001", "shop-practice"]
    assert DEMO_PASSWORD not in again.output + made.output


def test_practice_refuses_without_a_sandbox_or_with_half_a_login(tmp_path):
    runner = CliRunner()
    nothing = runner.invoke(cli, ["sandbox", "practice", "--endpoint", "http://127.0.0.1:9/swsim", "--dir",
                                  str(tmp_path / "p")])  # fmt: skip
    assert nothing.exit_code == 1 and "no onebalance sandbox answers" in nothing.output
    assert not (tmp_path / "p").exists()
    half = runner.invoke(cli, ["sandbox", "practice", "--endpoint", "http://127.0.0.1:9/swsim", "--username", "x"])
    assert half.exit_code == 2 and "--username and --password together" in half.output  # before any request
