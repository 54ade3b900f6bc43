"""The house rules of docs/ARCHITECTURE.md, checked on the source: no import circle between dbmkit modules (imports
inside functions count too), no private name imported from another module, modules of one concept, and runtime
dependencies that are exactly what dbmkit imports."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "dbmkit"

# A module may pass this many lines only when it holds one concept and its docstring says so.
MAX_LINES = 700
ONE_CONCEPT = "One concept:"


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        parts = list(p.relative_to(ROOT).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        out[".".join(parts)] = (p, is_pkg)
    return out


MODULES = _modules()


def _absolute(current: str, is_pkg: bool, level: int, module: str | None) -> str:
    if level == 0:
        return module or ""
    base = current.split(".") if is_pkg else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def imports_of(name: str) -> list[tuple[str, str, int]]:
    """(imported dbmkit module, imported name or '', line) for every import in module ``name``, wherever it stands
    (top level, inside functions, under ``if TYPE_CHECKING``)."""
    path, is_pkg = MODULES[name]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, "", node.lineno) for a in node.names if a.name in MODULES]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(name, is_pkg, node.level, node.module)
            for a in node.names:
                if f"{base}.{a.name}" in MODULES:
                    out.append((f"{base}.{a.name}", "", node.lineno))
                elif base in MODULES:
                    out.append((base, a.name, node.lineno))
    return out


def import_graph() -> dict[str, set[str]]:
    return {m: {t for t, _, _ in imports_of(m) if t != m} for m in MODULES}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each a list of module names."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in sorted(graph):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return found


def test_the_circle_finder_finds_a_circle():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(g) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles():
    found = circles(import_graph())
    assert not found, "import circles (imports inside functions count too): " + "; ".join(" ↔ ".join(c) for c in found)


def test_no_private_names_across_modules():
    bad = []
    for m in MODULES:
        for target, name, line in imports_of(m):
            if target == m or target.startswith(m + "."):
                continue
            private_module = any(p.startswith("_") and not p.startswith("__") for p in target.split("."))
            private_name = name.startswith("_") and not name.startswith("__")
            if private_module or private_name:
                bad.append(f"{MODULES[m][0].relative_to(ROOT)}:{line} imports {target}{'.' + name if name else ''}")
    assert not bad, "private names imported from another module:\n" + "\n".join(bad)


def test_modules_hold_one_concept():
    big = []
    for m, (path, _) in MODULES.items():
        n = len(path.read_text(encoding="utf-8").splitlines())
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if n > MAX_LINES and ONE_CONCEPT not in doc:
            big.append(f"{path.relative_to(ROOT)} ({n} lines)")
    assert not big, (f"modules over {MAX_LINES} lines: split them by concept, or say '{ONE_CONCEPT} …' in the "
                     "docstring: " + ", ".join(big))


def test_every_public_module_is_reachable():
    init = (PKG / "__init__.py").read_text(encoding="utf-8")
    listed = set(re.findall(r'"(\w+)"', init.split("_MODULES = ", 1)[1].split("}", 1)[0]))
    top = {m.split(".")[1] for m in MODULES if m.count(".") >= 1 and not m.split(".")[1].startswith("_")}
    assert listed <= top, f"dbmkit lists modules that do not exist: {sorted(listed - top)}"


# ------------------------------------------------------------------------------------------------ dependencies
# A package dbmkit imports that comes with a declared dependency rather than being declared itself.
COMES_WITH = {"IPython": "ipykernel", "threadpoolctl": "scikit-learn", "cycler": "matplotlib",
              "mistune": "nbconvert",   # nbconvert's Markdown renderer: the course site renders the glossary
              "fontTools": "matplotlib"}   # the course site cuts its Chinese font subset
# Declared runtime dependencies dbmkit does not import: what runs the report's notebooks.
RUN_ONLY = {"ipykernel": "the kernel papermill starts for every chapter",
            "mplfonts": "the bundled CJK chart font, found with importlib.resources (plots)"}
# Imported only where an optional extra is installed (the import is guarded and the error names the extra).
OPTIONAL = {"psycopg": "postgres", "pyspark": "spark", "sqlglot": "spark"}
IMPORT_NAME = {"scikit-learn": "sklearn", "pyyaml": "yaml", "python-calamine": "python_calamine"}


def _requirement_name(req: str) -> str:
    return re.split(r"[<>=!\[ ;]", req.strip(), maxsplit=1)[0].lower()


def _third_party_imports() -> set[str]:
    std = set(sys.stdlib_module_names)
    out = set()
    for path, _ in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            out |= {n.split(".")[0] for n in names if n.split(".")[0] not in std and n.split(".")[0] != "dbmkit"}
    return out


def test_runtime_dependencies_are_what_dbmkit_imports():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_requirement_name(r) for r in project["dependencies"]}
    as_import = {IMPORT_NAME.get(d, d.replace("-", "_")): d for d in declared}
    imported = _third_party_imports()
    missing = {m for m in imported - set(as_import) - set(COMES_WITH) - set(OPTIONAL)}
    assert not missing, f"dbmkit imports packages pyproject does not declare: {sorted(missing)}"
    unused = {d for imp, d in as_import.items() if imp not in imported and d not in RUN_ONLY}
    assert not unused, f"runtime dependencies dbmkit never imports (move them to an extra): {sorted(unused)}"
    for module, extra in OPTIONAL.items():
        assert any(_requirement_name(r).replace("-", "_").startswith(module)
                   for r in project["optional-dependencies"][extra]), f"{module} belongs in the {extra!r} extra"


def test_package_data_exists():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["dbmkit"]
    for pattern in cfg:
        if pattern.startswith("workbook_files/"):      # staged by `make dist` only (tests/test_wheel_install.py)
            continue
        assert list(PKG.glob(pattern)), f"pyproject ships dbmkit/{pattern}, which matches no file"


@pytest.mark.parametrize("name", ["BetaGeo", "GammaGamma"])
def test_house_plan_names_keep_working(name):
    import dbmkit as dbm
    assert callable(getattr(dbm.clv, name))
    assert callable(dbm.rfm.customer_summary) and callable(dbm.evaluate.compare_groups)
    assert callable(dbm.models.gains_table) and callable(dbm.campaign.breakeven_response_rate)
    assert callable(dbm.campaign.assign_groups)
