"""The layers, for every module of the three packages: imports run adapters → bot → digests only,
digests/ reaches no network, database, scheduler or platform, bot/ knows no platform, adapters/ do not
reach into storage, scheduling or NLP; and no two modules import each other at load time. Each rule
fails when it finds no file, so a moved folder cannot make it pass by checking nothing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("digests", "bot", "adapters")

FORBIDDEN = {
    "digests": {"bot", "adapters", "sqlalchemy", "alembic", "httpx", "requests", "aiohttp", "apscheduler", "slack_sdk",
                "slack_bolt", "discord", "urllib.request", "socket", "psycopg"},
    "bot": {"adapters", "slack_sdk", "slack_bolt", "discord"},
    "adapters": {"sqlalchemy", "alembic", "apscheduler", "spacy"},
}


def modules(package: str) -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "migrations" in parts:  # Alembic's scripts: the store's own, loaded by Alembic alone
            continue
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports(module: str, path: Path, *, load_time_only: bool = False) -> set[str]:
    """Every module `module` imports (absolute names); with `load_time_only`, only those imported when
    it loads: not inside functions, nor under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    names: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                target = _absolute(module, node, is_package)
                names.add(target)
                names.update(f"{target}.{a.name}" for a in node.names)  # "from . import cues"
            elif isinstance(node, ast.If) and load_time_only and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and load_time_only:
                continue
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                visit([n for n in ast.iter_child_nodes(node) if isinstance(n, ast.stmt)])

    visit(tree.body)
    return names


def _blocked(name: str, forbidden: set[str]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


@pytest.mark.parametrize("package", PACKAGES)
def test_a_layer_imports_nothing_it_must_not(package: str) -> None:
    found = modules(package)
    assert len(found) >= 5, f"no modules found under {package}/: the rule would check nothing"
    wrong = {m: sorted(n for n in imports(m, p) if _blocked(n, FORBIDDEN[package])) for m, p in found.items()}
    assert not {m: n for m, n in wrong.items() if n}


def test_no_two_modules_import_each_other_when_they_load() -> None:
    every = {m: p for package in PACKAGES for m, p in modules(package).items()}
    # An import from one's own parent package ("from . import fields") finds it already loading: it is
    # no edge between two jobs, only to the sibling module it names.
    graph = {m: {n for n in imports(m, p, load_time_only=True) if n in every and n != m and not m.startswith(n + ".")}
             for m, p in every.items()}
    assert sum(map(len, graph.values())) > 50, "the import graph is empty: nothing was checked"
    cycles = []
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                walk(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    # A package's __init__ importing its own modules is how packages work, not a cycle between two jobs.
    real = [c for c in cycles if not all(a.startswith(b + ".") or b.startswith(a + ".") for a, b in zip(c, c[1:]))]
    assert not real, real
