"""The core never imports Qt; importing it probes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def core_modules() -> list[str]:
    mods = []
    for p in sorted((ROOT / "desktop").rglob("*.py")):
        rel = p.relative_to(ROOT).with_suffix("")
        parts = rel.parts
        if "ui" in parts or p.name == "__main__.py":
            continue
        mods.append(".".join(parts[:-1] if p.name == "__init__.py" else parts))
    return mods


def test_core_imports_no_qt_and_starts_no_probe() -> None:
    mods = core_modules()
    assert "desktop.resolve" in mods and "desktop.matrix" in mods
    out = after_importing(mods, "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6', 'qtpy'))\n"
                                "nv = sorted(m for m in sys.modules if m.split('.')[0] == 'pynvml' and getattr(sys.modules[m], 'nvmlLib', None) is not None)\n"
                                "print(qt, nv)")
    assert out == "[] []", out


def after_importing(mods: list[str], then: str) -> str:
    """What `then` prints in a fresh interpreter that has imported `mods` (and nothing else of ours)."""
    code = "import importlib, sys\n" f"for m in {mods!r}: importlib.import_module(m)\n" + then
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


# --- the import graph, read from the source (every import: top level, inside functions, TYPE_CHECKING) ----------

QT_PACKAGES = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "qtpy")


def _module_name(p: Path) -> str:
    rel = p.relative_to(ROOT).with_suffix("")
    return ".".join(rel.parts[:-1] if p.name == "__init__.py" else rel.parts)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Each desktop module -> the modules it imports (desktop ones by full name, others by top-level name)."""
    import ast

    files = {_module_name(p): p for p in sorted((root / "desktop").rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        out: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                targets = [stem]
                # `from . import x` / `from .pkg import sub`: the submodule, where there is one
                targets += [f"{stem}.{a.name}" for a in node.names if f"{stem}.{a.name}" in files]
            for t in targets:
                if t.split(".")[0] != "desktop":
                    out.add(t.split(".")[0])
                    continue
                while t and t not in files:  # `from .model import Host`: the module is desktop.model
                    t = t.rpartition(".")[0]
                if t and t != mod:
                    out.add(t)
        graph[mod] = out
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _layer(mod: str) -> str:
    if mod.startswith("desktop.ui.") or mod == "desktop.ui":
        return "ui"
    if mod.startswith("desktop.commands") or mod == "desktop.cli":
        return "cli"
    if mod == "desktop.__main__":
        return "entry"
    return "core"


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Imports that break the layering: the two faces import each other, or the core imports a face or Qt."""
    bad = []
    for mod, deps in sorted(graph.items()):
        for dep in sorted(deps):
            a, b = _layer(mod), (_layer(dep) if dep.startswith("desktop") else None)
            if (a, b) in (("ui", "cli"), ("cli", "ui")) or (a == "core" and b in ("ui", "cli", "entry")):
                bad.append(f"{mod} ({a}) imports {dep} ({b})")
            if a in ("core", "cli") and dep in QT_PACKAGES:
                bad.append(f"{mod} ({a}) imports Qt ({dep})")
    return bad


def test_import_graph_sees_relative_and_lazy_imports() -> None:
    g = import_graph()
    assert "desktop.model" in g["desktop.resolve"]  # a top-level relative import
    assert "desktop.ui.main_window" in g["desktop.ui.app"]  # an import inside a function
    assert "PySide6" in g["desktop.ui.settings"]
    assert "desktop.engine.embedded" in g["desktop.engine"]  # `from .embedded import ...` in a package


def test_cycle_finder_finds_a_planted_circle() -> None:
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert import_cycles(g) == [["a", "b", "c"]]
    assert layer_violations({"desktop.ui.x": {"desktop.commands.y"}, "desktop.commands.y": {"desktop.ui.x"},
                             "desktop.model": {"PySide6", "desktop.cli"}}) == [
        "desktop.commands.y (cli) imports desktop.ui.x (ui)",
        "desktop.model (core) imports Qt (PySide6)",
        "desktop.model (core) imports desktop.cli (cli)",
        "desktop.ui.x (ui) imports desktop.commands.y (cli)",
    ]


def test_no_import_circles() -> None:
    assert import_cycles(import_graph()) == []


def test_faces_do_not_import_each_other_and_the_core_imports_neither() -> None:
    assert layer_violations(import_graph()) == []


# --- the use-case layer both faces call (desktop/usecases) ------------------------------------------------------

def usecase_violations(graph: dict[str, set[str]]) -> list[str]:
    """Imports that would tie a use case to one face: argparse, Qt, desktop.ui, desktop.commands or desktop.cli."""
    bad = []
    for mod, deps in sorted(graph.items()):
        if mod != "desktop.usecases" and not mod.startswith("desktop.usecases."):
            continue
        for dep in sorted(deps):
            if dep == "argparse" or dep in QT_PACKAGES or _layer(dep) in ("ui", "cli", "entry"):
                bad.append(f"{mod} imports {dep}")
    return bad


def test_usecases_import_neither_argparse_nor_a_face() -> None:
    g = import_graph()
    assert {"desktop.usecases.planning", "desktop.usecases.recipe", "desktop.usecases.driver_advice"} <= set(g)
    assert usecase_violations(g) == []
    planted = {"desktop.usecases.x": {"argparse", "desktop.ui.choices", "desktop.commands._common", "PySide6", "desktop.model"}}
    assert usecase_violations(planted) == ["desktop.usecases.x imports PySide6", "desktop.usecases.x imports argparse",
                                           "desktop.usecases.x imports desktop.commands._common",
                                           "desktop.usecases.x imports desktop.ui.choices"]


def test_usecases_pull_in_no_argparse_and_no_face_at_run_time() -> None:
    """Imported in a fresh interpreter, the use cases load neither argparse nor a face, not even indirectly."""
    mods = [m for m in core_modules() if m.startswith("desktop.usecases")]
    out = after_importing(mods, "bad = sorted(m for m in sys.modules if m == 'argparse' or m.startswith(('desktop.ui', "
                                "'desktop.commands')) or m == 'desktop.cli' or m.split('.')[0] in ('PySide6', 'shiboken6'))\n"
                                "print(bad)")
    assert out == "[]", out
