"""The house as docs/architecture.md draws it: rooms import downwards only, and no module loops.

Read from the source with ``ast`` (nothing is imported), so the test fails on the import that breaks
the plan, whatever runs or not: an import inside a function or under ``TYPE_CHECKING`` counts like
any other, since a lazy import that dodges a loop is still a loop.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: The rooms of ``onebalance``, lowest first. A module may import its own room and the rooms before
#: it in this list; rooms on the same line know nothing of each other.
LAYERS: list[set[str]] = [
    {"core"},
    {"shipments", "swsim"},
    {"stores"},
    {"funding"},
    {"carriers"},
    {"accounts"},
    {"sandbox"},
    {"testing"},
    {"cli"},
]
LEVEL = {room: i for i, rooms in enumerate(LAYERS) for room in rooms}

#: Imports that break the plan today, to be removed (never added to): importer -> imported.
KNOWN_UPWARD: set[tuple[str, str]] = set()

#: Module loops of today, each named by its modules (sorted), to be removed (never added to).
KNOWN_LOOPS: set[tuple[str, ...]] = set()

#: Imports of the project's modules inside a function, outside the CLI (whose commands load what
#: they need when they run, for start-up time): each was a way round a loop. To be removed.
KNOWN_LAZY: set[tuple[str, str]] = set()

#: Imports deferred for start-up time, never for a loop (issue 19: ``import onebalance`` within 1.2x
#: ``import zeep, requests, lxml.etree``), each with its reason. The module imported is also imported
#: under ``TYPE_CHECKING`` at the top of the importer, so the graph above includes the edge and a
#: loop through it still fails ``test_no_module_imports_itself_back``.
PERFORMANCE_DEFERRED: dict[tuple[str, str], str] = {
    ("onebalance.core", "onebalance.core._renames"): (
        "Renamed (a pydantic mixin for the models) loads pydantic, which costs more to import than the rest "
        "of core; the rooms with models import it when they load, `import onebalance` (core only) does not"
    ),
}

#: Modules that import by name at run time (``importlib.import_module``), which the graph cannot read:
#: the package face loads the rooms above core on first use (PEP 562, its table ``_LAZY`` is checked
#: against its ``TYPE_CHECKING`` imports in tests/test_public_api.py); ``carriers.ups`` hands on a
#: deprecated module alias.
IMPORTS_BY_NAME = {"onebalance", "onebalance.carriers.ups"}


#: Rooms that reach into another room's private module rather than through its face (its
#: ``__init__``): a module object used whole (``_json``, ``_rules``, ``_dialect``) or a private base
#: class. To be removed, never added to.
KNOWN_BEHIND_THE_FACE: set[tuple[str, str]] = {
    ("onebalance.carriers._rest._proxy", "onebalance.core._json"),
    ("onebalance.carriers.usps._mapping", "onebalance.swsim._dialect"),
    ("onebalance.sandbox.swsim._account_controls", "onebalance.swsim._rules"),
    ("onebalance.sandbox.swsim._passwords", "onebalance.swsim._rules"),
    ("onebalance.sandbox.swsim._payments", "onebalance.swsim._rules"),
    ("onebalance.sandbox.swsim._registration", "onebalance.swsim._rules"),
    ("onebalance.stores._records", "onebalance.swsim._inputs"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found = {}
    for package in ("onebalance", "carriers"):
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


SOURCES = _sources()


def _imports(name: str, path: Path) -> set[str]:
    """The modules of this project that ``name`` imports (``from a import b`` counts b when it is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        out.update(t for t in targets if t in SOURCES and t != name)
    return out


GRAPH = {name: _imports(name, path) for name, path in SOURCES.items()}


def _room(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "onebalance" or len(parts) < 2 or parts[1] not in LEVEL:
        return None
    return parts[1]


def test_onebalance_never_imports_the_carriers_facade():
    offenders = sorted(
        m for m, deps in GRAPH.items() if m.startswith("onebalance") for d in deps if d.split(".")[0] == "carriers"
    )
    assert offenders == [], "carriers/ only hands on onebalance names; onebalance must not import it"


def test_the_carriers_facade_defines_nothing():
    for name, path in SOURCES.items():
        if name.split(".")[0] != "carriers":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))]
        assert defined == [], f"{name} defines code; it should only re-export from onebalance"


def test_rooms_import_downwards_only():
    upward = set()
    for module, deps in GRAPH.items():
        here = _room(module)
        for dep in deps:
            there = _room(dep)
            if dep == "onebalance" and here not in (None, "cli", "testing"):
                upward.add((module, dep))  # the package face imports every room
            elif here and there and here != there and LEVEL[there] >= LEVEL[here]:
                upward.add((module, dep))
    new = sorted(upward - KNOWN_UPWARD)
    assert new == [], "imports against the room order (docs/architecture.md):\n" + "\n".join(
        f"{a} -> {b}" for a, b in new
    )
    gone = sorted(KNOWN_UPWARD - upward)
    assert gone == [], f"fixed, delete from KNOWN_UPWARD: {gone}"


#: Rooms whose face hands on what other rooms use (the sandbox, testing and cli are used by no room).
FACED = {"core", "shipments", "swsim", "stores", "funding", "carriers", "accounts"}


def test_rooms_meet_through_their_faces():
    """Another room imports ``onebalance.stores``, never ``onebalance.stores._labels``: a room may move
    its modules about without its neighbours noticing."""
    behind = set()
    for module, deps in GRAPH.items():
        here = _room(module)
        for dep in deps:
            there = _room(dep)
            private = any(part.startswith("_") for part in dep.split(".")[2:])
            if there in FACED and there != here and private:
                behind.add((module, dep))
    new = sorted(behind - KNOWN_BEHIND_THE_FACE)
    assert new == [], "import these through the room's package instead:\n" + "\n".join(f"{a} -> {b}" for a, b in new)
    gone = sorted(KNOWN_BEHIND_THE_FACE - behind)
    assert gone == [], f"fixed, delete from KNOWN_BEHIND_THE_FACE: {gone}"


def _loops() -> set[tuple[str, ...]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[tuple[str, ...]] = set()
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for dep in GRAPH[node]:
            if dep.count(".") and dep == node.rpartition(".")[0]:
                continue  # a module importing its own package's face is not a loop of modules
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.add(tuple(sorted(component)))

    for node in GRAPH:
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_back():
    loops = _loops()
    new = sorted(loops - KNOWN_LOOPS)
    assert new == [], "import loops:\n" + "\n".join(" <-> ".join(loop) for loop in new)
    gone = sorted(KNOWN_LOOPS - loops)
    assert gone == [], f"fixed, delete from KNOWN_LOOPS: {gone}"


def _lazy(name: str, path: Path) -> set[tuple[str, str]]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")
                found.add((name, ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))))
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("onebalance", "carriers"):
                found.add((name, node.module or ""))
            elif isinstance(node, ast.Import):
                found.update((name, a.name) for a in node.names if a.name.split(".")[0] in ("onebalance", "carriers"))
    return found


def test_no_import_hides_inside_a_function():
    lazy = set()
    for name, path in SOURCES.items():
        if not name.startswith("onebalance.cli"):
            lazy |= _lazy(name, path)
    new = sorted(lazy - KNOWN_LAZY - set(PERFORMANCE_DEFERRED))
    assert new == [], "imports inside functions (import at the top; a loop is fixed, not dodged):\n" + "\n".join(
        f"{a} -> {b}" for a, b in new
    )
    gone = sorted((KNOWN_LAZY | set(PERFORMANCE_DEFERRED)) - lazy)
    assert gone == [], f"fixed, delete from KNOWN_LAZY or PERFORMANCE_DEFERRED: {gone}"


def test_a_deferred_import_is_in_the_graph_too():
    """Each performance-deferred import is also imported at the top under ``TYPE_CHECKING``, so that
    the loop and room checks see it: deferring an import may save start-up time, never hide a loop."""
    for importer, imported in PERFORMANCE_DEFERRED:
        assert imported in GRAPH[importer], f"{importer} must import {imported} under TYPE_CHECKING too"


def test_only_the_listed_modules_import_by_name():
    found = set()
    for name, path in SOURCES.items():
        if name.startswith("onebalance.cli"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "import_module":
                found.add(name)
    assert found == IMPORTS_BY_NAME


@pytest.mark.parametrize("room", sorted(LEVEL))
def test_every_room_is_a_folder(room):
    assert (ROOT / "onebalance" / room / "__init__.py").is_file()
