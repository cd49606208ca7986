"""The README's and the quick start's Python blocks run, as one script each, and print what they say.

A reader pastes the blocks in order; so does this test. A comment line standing alone right after a
``print(...)`` line (or after another such comment) is the output the docs promise for that print,
and the script's output must be exactly those lines, in order.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _blocks(page: str) -> list[str]:
    return _BLOCK.findall((ROOT / page).read_text())


def _promised_output(code: str) -> list[str]:
    promised: list[str] = []
    after_print = False
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") and after_print:
            promised.append(stripped[1:].strip())
            continue
        after_print = stripped.startswith("print(")
    return promised


def _run(code: str) -> list[str]:
    out = io.StringIO()
    namespace: dict[str, object] = {"__name__": "__docs__"}
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<docs>", "exec"), namespace)  # the docs' own code
    server = namespace.get("server")
    if server is not None and hasattr(server, "stop"):
        server.stop()  # a block that ended before its own server.stop() line
    return [line.strip() for line in out.getvalue().splitlines()]


@pytest.mark.parametrize("page", ["README.md", "docs/quickstart.md"])
def test_the_pages_code_runs_as_written_and_prints_what_it_says(page: str) -> None:
    code = "\n".join(_blocks(page))
    assert code, f"{page} has no Python block"
    promised = _promised_output(code)
    assert promised, f"{page} promises no output: nothing to check"
    assert _run(code) == promised


@pytest.mark.parametrize(
    ("page", "heading"),
    [
        ("docs/shipping.md", "## The UPS and FedEx sandboxes"),
        ("docs/sandbox.md", "### Mounted together"),
    ],
)
def test_the_sandboxes_mocked_together_as_the_guides_show(page: str, heading: str) -> None:
    """The three sandboxes' mocks nested in one test (before, the inner one hid the outer: ConnectError)."""
    text = (ROOT / page).read_text()
    section = text.split(f"\n{heading}\n", 1)[1]
    section = re.split(r"\n#{2,3} ", section, maxsplit=1)[0]
    code = "\n".join(_BLOCK.findall(section))
    promised = _promised_output(code)
    assert promised, f"{page} ({heading}) promises no output: nothing to check"
    assert _run(code) == promised


def test_the_promised_output_is_read_from_the_lines_after_a_print() -> None:
    code = "x = 1  # a note\nprint(x)\n# 1\n# 2\ny = 2\n# a comment, not output\n"
    assert _promised_output(code) == ["1", "2"]
