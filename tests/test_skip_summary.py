"""``pytest`` with no extra set-up ends with one line per skip reason, and the README says what each needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ._specs import SPECS_MISSING
from ._stores import NO_POSTGRES, POSTGRES_DSN_ENV

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent


def test_skips_are_summed_up_by_reason_not_listed_one_by_one(pytester: pytest.Pytester) -> None:
    addopts = re.search(r'^addopts = "(.*)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert addopts is not None
    report = [opt for opt in addopts.group(1).split() if opt.startswith("-r")]
    assert report == ["-rfE"]  # failures and errors one by one, skips left to the summary
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(3))
        def test_needs_a_server(n):
            pytest.skip("no server: set SERVER_DSN")

        def test_needs_specs():
            pytest.skip("no specs")

        def test_runs():
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "tests.conftest", *report, "-p", "no:xdist", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=4)
    skipped = [line for line in result.outlines if line.startswith("SKIPPED")]
    assert skipped == ["SKIPPED 3 tests: no server: set SERVER_DSN", "SKIPPED 1 test: no specs"]
    # asked for every skipped test (-rs), pytest lists them and the summary stays out of the way
    listed = pytester.runpytest_inprocess("-p", "tests.conftest", "-rs", "-p", "no:xdist", "-p", "no:cacheprovider")
    lines = [line for line in listed.outlines if line.startswith("SKIPPED")]
    assert [line.split()[1] for line in lines] == ["[3]", "[1]"]
    assert lines[0].endswith(": no server: set SERVER_DSN")


def test_the_readme_says_what_the_skipped_tests_need() -> None:
    setup = (ROOT / "README.md").read_text().split("## Set up", 1)[1].split("\n## ", 1)[0]
    assert POSTGRES_DSN_ENV in setup and "postgresql://" in setup  # how to run the PostgreSQL half
    assert "../shared/specs" in setup  # the real contracts, for the conformance tests
    assert "postgresql://postgres@127.0.0.1:5432/test" in NO_POSTGRES and "../shared/specs" in SPECS_MISSING
