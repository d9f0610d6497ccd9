"""The package's shape: layers that import only downwards, no import cycle, few top-level names,
function-level imports only for heavy third-party dependencies, and the documented public API."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

import guozi_analysis

PACKAGE = "guozi_analysis"
SRC = Path(guozi_analysis.__file__).resolve().parent
#: The layers, bottom first: a module may import its own layer and the layers below it.
LAYERS = ["base", "intake", "indicators", "analyses", "publishing", "demo", "running"]
#: Third-party packages whose import may be deferred into a function (with a comment saying so).
HEAVY = {"matplotlib", "statsmodels", "papermill", "openpyxl", "typst", "pypandoc", "IPython", "pandera",
         "fontTools", "mplfonts", "jupyter_client", "tqdm", "filelock", "dask", "distributed", "nbclient",
         "nbformat", "python_calamine", "scipy", "docx"}
API_DOC = SRC.parents[1] / "docs" / "api.md"


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


def _imports(name: str, path: Path, is_package: bool, modules) -> list[tuple[str, ast.AST, bool]]:
    """``(imported module, node, at function level)`` for every import of the package in a module."""
    tree = ast.parse(path.read_text("utf-8"))
    base = name.split(".") if is_package else name.split(".")[:-1]
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    nested = {id(x) for f in functions for x in ast.walk(f)}
    out = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.ImportFrom):
            module = ".".join(base[:len(base) - node.level + 1] + [node.module or ""]).strip(".") if node.level \
                else node.module or ""
            for alias in node.names:
                full = f"{module}.{alias.name}"
                targets.append(full if full in modules else module)
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        for target in targets:
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                out.append((target, node, id(node) in nested))
    return out


def _graph() -> dict[str, set[str]]:
    """Module → package modules it imports (function-level imports included). Importing ``a.b.c``
    from outside package ``a.b`` also runs ``a.b``'s ``__init__``, so that edge is added too."""
    modules = _modules()
    graph = {}
    for name, (path, is_package) in modules.items():
        deps = set()
        for target, _node, _nested in _imports(name, path, is_package, modules):
            if target not in modules:
                continue
            deps.add(target)
            parts = target.split(".")
            for k in range(2, len(parts)):
                parent = ".".join(parts[:k])
                if modules.get(parent, (None, False))[1] and not name.startswith(parent + ".") and name != parent:
                    deps.add(parent)
        deps.discard(name)
        graph[name] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_the_import_graph_has_no_cycle():
    assert _cycles(_graph()) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_each_layer_imports_only_from_layers_below():
    wrong = []
    for module, deps in _graph().items():
        for dep in deps:
            a, b = _layer(module), _layer(dep)
            if a and b and LAYERS.index(b) > LAYERS.index(a):
                wrong.append(f"{module} → {dep}")
    assert wrong == []


def test_the_top_level_is_small():
    names = sorted(p.name for p in SRC.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists())
    assert len(names) <= 12, names
    assert {n.removesuffix(".py") for n in names} >= set(LAYERS)


def test_function_level_imports_only_defer_heavy_dependencies():
    modules = _modules()
    wrong = []
    for name, (path, is_package) in modules.items():
        for _target, node, nested in _imports(name, path, is_package, modules):
            if nested:
                wrong.append(f"{name}:{node.lineno}（函数内导入本包模块）")
        tree = ast.parse(path.read_text("utf-8"))
        lines = path.read_text("utf-8").splitlines()
        for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
                    root = (node.module if isinstance(node, ast.ImportFrom) else node.names[0].name).split(".")[0]
                    if root == PACKAGE:
                        continue
                    said = any("deferred" in line for line in lines[node.lineno - 1:node.end_lineno])
                    if root not in HEAVY or not said:
                        wrong.append(f"{name}:{node.lineno} {root}")
    assert wrong == []


def _documented_api() -> list[tuple[str, str]]:
    """``(module, name)`` pairs from the tables of docs/api.md (first column: `module.name`)."""
    pairs = []
    for line in API_DOC.read_text("utf-8").splitlines():
        match = re.match(r"^\|\s*`(guozi_analysis(?:\.\w+)*)\.(\w+)`", line)
        if match:
            pairs.append((match.group(1), match.group(2)))
    return pairs


def test_the_documented_public_api_is_importable():
    pairs = _documented_api()
    assert len(pairs) >= 15
    documented = {f"{m}.{n}" for m, n in pairs}
    for required in ("guozi_analysis.indicators.compute_indicators", "guozi_analysis.intake.read_submission",
                     "guozi_analysis.intake.ingest", "guozi_analysis.intake.load_processed",
                     "guozi_analysis.intake.open_inbox", "guozi_analysis.analyses.key_supervision_list",
                     "guozi_analysis.analyses.project_year_end", "guozi_analysis.indicators.efficacy_score",
                     "guozi_analysis.indicators.load_catalogue", "guozi_analysis.indicators.debt_to_asset_ratio"):
        assert required in documented, required
    for module, name in pairs:
        assert callable(getattr(importlib.import_module(module), name)), f"{module}.{name}"


def test_every_catalogue_indicator_is_importable_by_its_id():
    from guozi_analysis import indicators

    catalogue = indicators.load_catalogue()
    for spec in catalogue.enabled():
        assert callable(getattr(indicators, spec.id)), spec.id


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_imports_on_its_own(layer):
    """No partial-initialisation cycle: each layer imports first in a fresh interpreter."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", f"import {PACKAGE}.{layer}"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
