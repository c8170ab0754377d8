"""The scan import's package (kefu.parcels.ingest) keeps its layout: no import
cycle in kefu.parcels, no private name used across the package's modules, one
entry point for the code outside it, and a parser process that can start
before Django is set up. Read from the source with `ast`, nothing imported."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import kefu

ROOT = Path(kefu.__file__).resolve().parent.parent
PARCELS = ROOT / "kefu" / "parcels"
PACKAGE = "kefu.parcels.ingest"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(folder: Path) -> dict[str, Path]:
    return {module_name(path): path for path in sorted(folder.rglob("*.py"))}


def imports(name: str, path: Path, *, top_level_only: bool = False) -> list[tuple[str, list[str]]]:
    """(module, names imported from it) for each import statement of the file:
    those inside functions and under `if TYPE_CHECKING` too, unless `top_level_only`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found.append((base, [alias.name for alias in node.names]))
    return found


def targets(module: str, names: list[str], known: dict[str, Path]) -> set[str]:
    """The modules of `known` an import statement loads: `from a import b` loads a.b when that is a module."""
    found = {f"{module}.{n}" for n in names if f"{module}.{n}" in known}
    if module in known and len(found) < len(names):
        found.add(module)
    return found


def graph(known: dict[str, Path]) -> dict[str, set[str]]:
    edges = {name: set() for name in known}
    for name, path in known.items():
        for module, names in imports(name, path):
            edges[name] |= targets(module, names, known) - {name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle a depth-first walk meets, as the path that closes it."""
    found, state, path = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_no_import_cycle_in_parcels():
    edges = graph(modules(PARCELS))

    assert cycles(edges) == []
    # The walk sees the package's own edges (a check that it reads them at all).
    assert edges[f"{PACKAGE}.worker"] >= {f"{PACKAGE}.protocol", f"{PACKAGE}.rows", f"{PACKAGE}.columnar"}
    assert edges[f"{PACKAGE}.importer"] >= {f"{PACKAGE}.rows", f"{PACKAGE}.staging", f"{PACKAGE}.protocol"}


def test_the_row_shape_is_the_bottom_layer():
    edges = graph(modules(PARCELS))

    assert {m for m in edges[f"{PACKAGE}.shape"] if m.startswith(PACKAGE)} == set()
    assert edges[f"{PACKAGE}.protocol"] == set()
    assert {m for m in edges[f"{PACKAGE}.staging"] if m.startswith(PACKAGE)} == {f"{PACKAGE}.shape"}


def test_no_private_name_crosses_the_packages_modules():
    known = modules(PARCELS / "ingest")
    crossing = []
    for name, path in known.items():
        bound = set()  # names this module binds to another module of the package
        for module, names in imports(name, path):
            if module.startswith(PACKAGE):
                crossing += [f"{name}: from {module} import {n}" for n in names if n.startswith("_")]
                bound |= {n for n in names if f"{module}.{n}" in known}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                crossing.append(f"{name}: {node.value.id}.{node.attr}")

    assert crossing == []


def test_the_package_modules_do_not_import_the_package_entry():
    """The entry (`__init__`) loads the modules; a module importing it back would be a cycle."""
    known = modules(PARCELS / "ingest")
    back = [name for name, path in known.items() if name != PACKAGE
            for module, names in imports(name, path)
            if module == PACKAGE and any(f"{module}.{n}" not in known for n in names)]

    assert back == []


def test_code_outside_the_package_imports_its_entry_only():
    """Tests may open the package's modules; other code goes through kefu.parcels.ingest."""
    outside = {**modules(ROOT / "kefu"), **modules(ROOT / "bench")}
    inner = [f"{name}: {module}" for name, path in outside.items()
             if not name.startswith(PACKAGE) and ".tests" not in name
             for module, _names in imports(name, path) if module.startswith(f"{PACKAGE}.")]

    assert inner == []


def test_the_parser_process_entry_needs_no_django_at_import():
    """`python -m kefu.parcels.ingest.worker` imports the package, the worker and
    its protocol before `django.setup()`: at module level they import only the
    standard library and each other."""
    known = modules(PARCELS / "ingest")
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    loaded = []
    for name in (PACKAGE, f"{PACKAGE}.worker", f"{PACKAGE}.protocol"):
        for module, _names in imports(name, known[name], top_level_only=True):
            if module.split(".")[0] not in allowed and module != f"{PACKAGE}.protocol":
                loaded.append(f"{name}: {module}")

    assert loaded == []
