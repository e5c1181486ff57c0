"""The package's import graph has no cycle, counting lazy (function-level) imports too.

A cycle hidden behind a function-level import still means two modules that cannot be
understood apart. A package's ``__init__`` re-exporting its own modules is not counted
against them (Python initialises the package first).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("agent", "tools", "ui", "prompts")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["linernotes", *parts])


def modules() -> dict[str, Path]:
    return {module_name(p): p for room in ROOMS for p in (ROOT / room).rglob("*.py")}


def imported(path: Path, known: set[str]) -> set[str]:
    """Project modules ``path`` imports anywhere, except under ``if TYPE_CHECKING:``."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for orelse in child.orelse:
                    visit(orelse)
                continue
            if isinstance(child, ast.Import):
                names.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                names.add(child.module)
                names.update(f"{child.module}.{a.name}" for a in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    out: set[str] = set()
    for name in names:  # "from a.b import c": module a.b.c if it is one, else a.b
        parts = name.split(".")
        for i in range(len(parts), 1, -1):
            if ".".join(parts[:i]) in known:
                out.add(".".join(parts[:i]))
                break
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            nxt = next(edges, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    g: dict[str, set[str]] = {}
    for name, path in mods.items():
        edges = imported(path, known)
        # a package's own __init__ importing its submodules is not a cycle by itself
        g[name] = {e for e in edges if e != name}
    return g


def test_finder_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_graph_reads_lazy_imports_and_skips_type_checking(tmp_path):
    src = tmp_path / "m.py"
    src.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from linernotes.tools.settings import Settings\n"
        "def f():\n    from linernotes.tools.registry import EMBEDDERS\n"
    )
    known = {"linernotes.tools", "linernotes.tools.registry", "linernotes.tools.settings"}
    assert imported(src, known) == {"linernotes.tools.registry"}


def test_package_import_graph_has_no_cycle():
    g = graph()
    assert len(g) > 100 and "linernotes.tools.registry" in g
    assert cycles(g) == []
