"""The structure rules of docs/design.md, read from the code itself (ast, nothing imported):
no import cycles, function-local imports only where design.md allows them, every package
listed in pyproject.toml and saying what it is for."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGE_DIR: dict[str, str] = PYPROJECT["tool"]["setuptools"]["package-dir"]

#: Heavy optional dependencies, and the gradspec modules that wrap them: imported where used.
# ml_dtypes takes 0.6 s to import: the isolation worker and frameworks.py import it only to
# hand a torch.bfloat16 result back as NumPy bfloat16.
HEAVY = re.compile(
    r"^(jax|jaxlib|torch|matplotlib|dask|distributed|sklearn|optax|ml_dtypes|scipy\.optimize|"
    r"gradspec\.jaxbackend|gradspec\.benchmarks|gradspec\.demos)(\.|$)"
)
#: Modules allowed to import the engine inside functions, and why (docs/design.md).
LAZY_BY_DESIGN = {
    "gradspec": "the lazy attribute gradspec.check keeps `import gradspec` cheap",
    "gradspec.pytest_plugin": "pytest loads the entry point in every session of every project",
}
LAZY_PREFIX = "gradspec.commands."  # a sub-command imports the engine when it runs


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for pkg, folder in PACKAGE_DIR.items():
        for p in (ROOT / folder).rglob("*.py"):
            rel = p.relative_to(ROOT / folder).with_suffix("").parts
            if pkg == "gradspec" and rel[0] in {"reference", "derivations", "conformance"}:
                continue
            parts = list(rel[:-1]) if rel[-1] == "__init__" else list(rel)
            name = ".".join([pkg, *parts])
            if any(name.startswith(other + ".") or name == other for other in PACKAGE_DIR
                   if other != pkg and other.startswith(pkg + ".")):  # fmt: skip
                continue
            mods[name] = p
    return mods


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, bool, int]]:
    """(imported module, inside a function?, line) for every import of ``name``."""
    tree = ast.parse(path.read_text())
    is_pkg = path.name == "__init__.py"
    out = []

    def visit(node: ast.AST, in_func: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            inside = in_func or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                out.extend((a.name, in_func, child.lineno) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = name.split(".")
                    keep = len(parts) - child.level + (1 if is_pkg else 0)
                    base = ".".join(parts[:keep] + ([child.module] if child.module else []))
                for a in child.names:
                    sub = f"{base}.{a.name}"
                    out.append((sub if sub in MODULES else base, in_func, child.lineno))
            visit(child, inside)

    visit(tree, False)
    return out


def test_every_package_is_listed_and_documented() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    for name, path in MODULES.items():
        if path.name == "__init__.py":
            assert name in listed, f"{name} missing from pyproject.toml packages"
            doc = ast.get_docstring(ast.parse(path.read_text()))
            assert doc, f"{path.relative_to(ROOT)} states no responsibility (docstring)"


def test_function_local_imports_only_where_allowed() -> None:
    bad = []
    for name, path in MODULES.items():
        if name in LAZY_BY_DESIGN or name.startswith(LAZY_PREFIX):
            continue
        for mod, in_func, line in _imports(name, path):
            if in_func and not HEAVY.match(mod):
                bad.append(f"{path.relative_to(ROOT)}:{line}: {mod}")
    assert not bad, "function-local imports of light modules:\n" + "\n".join(bad)


def test_no_import_cycles() -> None:
    """Strongly connected groups of the import graph, function-local imports included."""
    graph = {
        n: {m for m, _, _ in _imports(n, p) if m in MODULES and m != n} for n, p in MODULES.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in graph:
        if v not in index:
            strong(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_engine_never_imports_the_front_doors() -> None:
    """Layers: engine < targets < checks < diagnosis < runner < api, report; commands on top."""
    order = ["engine", "targets", "checks", "diagnosis", "runner", "api"]
    rank = {f"gradspec.conformance.{x}": i for i, x in enumerate(order)}

    def layer(mod: str) -> int | None:
        for prefix, r in rank.items():
            if mod == prefix or mod.startswith(prefix + "."):
                return r
        return None

    bad = []
    for name, path in MODULES.items():
        mine = layer(name)
        if mine is None:
            continue
        for mod, _, line in _imports(name, path):
            theirs = layer(mod)
            if theirs is not None and theirs > mine:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {mod}")
    assert not bad, "\n".join(bad)
