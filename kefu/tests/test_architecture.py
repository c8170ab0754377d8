"""The house rules, read off the code with `ast` (docs/ARCHITECTURE.md):

- no import cycle between modules of kefu/ (imports inside functions count: a cycle
  hidden in a function is still a cycle);
- an app imports only apps listed before it in INSTALLED_APPS: that order is the
  layering (core → orgs → customers → notifications, imports → tickets → parcels …
  → web, api, demo), so a lower app never names a higher one;
- nothing in kefu/ imports `config` (it wires kefu, not the other way round).

Tests belong to their app and follow the same rules. Apps find each other's
notices, jobs, tasks, routes and API by name at run time (kefu.notifications.kinds,
kefu.core.jobs, Celery's autodiscovery, kefu.core.routes, kefu.api.urls), which
these rules do not see and need not.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

KEFU = Path(__file__).resolve().parents[1]
ROOT = KEFU.parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in KEFU.rglob("*.py") if "migrations" not in p.parts}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The modules of kefu (or config) that the file imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:  # `from kefu.x import y`: the module kefu.x.y if it is one
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {m for m in found if m.split(".")[0] in ("kefu", "config")}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: {m for m in _imports(path, name, known) if m != name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c in graph), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _app_of(module: str, apps: list[str]) -> str | None:
    return next((a for a in apps if module == a or module.startswith(a + ".")), None)


def test_no_import_cycle_between_modules_of_kefu():
    assert _cycles(_graph()) == []


def test_an_app_imports_only_the_apps_before_it_in_installed_apps():
    apps = [a for a in settings.INSTALLED_APPS if a.startswith("kefu.")]
    rank = {app: i for i, app in enumerate(apps)}
    wrong = []
    for module, imported in _graph().items():
        mine = _app_of(module, apps)
        if mine is None:
            continue
        for target in imported:
            theirs = _app_of(target, apps)
            if theirs is not None and rank[theirs] > rank[mine]:
                wrong.append(f"{module} imports {target}")
    assert sorted(wrong) == []


def test_nothing_in_kefu_imports_config():
    # A test may start Celery's app (config.celery) as a worker would.
    users = {m for m, imported in _graph().items() if any(t.split(".")[0] == "config" for t in imported)}
    assert sorted(m for m in users if ".tests." not in m) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
