"""The docs say what the code does where the two could drift apart."""

from __future__ import annotations

import re
from pathlib import Path

import onebalance
import onebalance.core._errors

ROOT = Path(__file__).resolve().parent.parent


def _tree(text: str) -> list[str]:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() == "OneBalanceError" or "──" in ln]
    return [re.sub(r"`", "", ln) for ln in lines]


def test_the_error_tree_in_the_docs_is_the_one_in_the_code():
    documented = _tree((ROOT / "docs" / "errors.md").read_text())
    assert documented
    assert documented == _tree(onebalance.core._errors.__doc__ or "")


def test_every_error_class_is_in_the_tree():
    tree = "\n".join(_tree(onebalance.core._errors.__doc__ or ""))
    for name in onebalance.__all__:
        obj = getattr(onebalance, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert re.search(rf"\b{name}\b", tree), name


def test_readme_gives_exactly_two_setup_commands():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", section, re.S)
    assert commands == ["pip install . && onebalance demo", 'pip install -e ".[test]" && pytest']


def test_the_quick_start_lists_every_step_of_the_demo():
    demo = "".join(p.read_text() for p in (ROOT / "onebalance" / "cli").glob("_demo*.py"))
    steps = sorted({int(n) for n in re.findall(r'\b_?step\(\s*f?"(\d+)\.', demo)})
    assert steps == list(range(1, len(steps) + 1))
    page = (ROOT / "docs" / "quickstart.md").read_text().split("## The demo", 1)[1]
    listed = [int(n) for n in re.findall(r"^(\d+)\. ", page, re.M)]
    assert listed == steps


def test_every_public_name_has_a_reference_entry():
    """docs/reference is generated from docstrings by mkdocstrings, page by page: a public name that
    no page names would be missing from it."""
    import importlib

    documented = set()
    for page in (ROOT / "docs" / "reference").glob("*.md"):
        documented |= {m.rsplit(".", 1)[1] for m in re.findall(r"^::: ([\w.]+)$", page.read_text(), re.M)}
    missing = {}
    for module in ("onebalance", "carriers", "carriers.ups", "carriers.fedex", "onebalance.sandbox"):
        names = set(importlib.import_module(module).__all__) - {"__version__", "mapping"}
        if names - documented:
            missing[module] = sorted(names - documented)
    assert not missing, f"add these to a page of docs/reference: {missing}"
