"""Architecture rules: the import contracts (.importlinter) hold, and no module grows past 500 lines."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 500


def _lint_imports() -> str:
    here = Path(sys.executable).parent / "lint-imports"
    found = str(here) if here.exists() else shutil.which("lint-imports")
    assert found, "lint-imports is missing: install requirements-dev.txt (import-linter)"
    return found


def test_import_contracts_are_kept() -> None:
    """Layers (ui above kdviz), no Streamlit in kdviz, no import cycles inside kdviz or ui."""
    proc = subprocess.run([_lint_imports(), "--config", str(ROOT / ".importlinter")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout


def _modules() -> list[str]:
    files = [ROOT / "app.py"] + sorted(p for d in ("kdviz", "ui", "pages") for p in (ROOT / d).rglob("*.py"))
    return [p.relative_to(ROOT).as_posix() for p in files]


@pytest.mark.parametrize("path", _modules())
def test_module_has_at_most_500_lines(path: str) -> None:
    n = len((ROOT / path).read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path} has {n} lines (at most {MAX_LINES}): split it by concept"


def test_registries_do_not_import_their_plugins() -> None:
    """A fresh interpreter importing the registries gets no torch and no experiments until asked."""
    code = (
        "import sys\n"
        "import kdviz.experiments, kdviz.kd.students, kdviz.teachers\n"
        "assert 'kdviz.neural' not in sys.modules and 'kdviz.sweep' not in sys.modules, sorted(sys.modules)\n"
        "assert not kdviz.experiments.EXPERIMENTS\n"
        "kdviz.experiments.get_experiment('sweep')  # a lookup loads the plug-ins lazily\n"
        "assert {'sweep', 'theory-capacity'} <= set(kdviz.experiments.EXPERIMENTS)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]


def test_load_plugins_is_idempotent() -> None:
    from kdviz import plugins
    from kdviz.experiments import EXPERIMENTS
    from kdviz.teachers import TEACHERS

    plugins.load_plugins()
    before = (dict(TEACHERS), dict(EXPERIMENTS))
    plugins.load_plugins()
    assert (dict(TEACHERS), dict(EXPERIMENTS)) == before
    assert "sweep" in EXPERIMENTS
    torch_missing = "kdviz.neural" in plugins.skipped_plugins()
    assert ("mlp-epochs" in TEACHERS) != torch_missing


# ----------------------------------------------------------------------------------------------
# one table per concept (issues 10, 22): a registered name is written where it is registered
REGISTER_CALLS = {"method": "register_method", "teacher": "register_teacher", "student": "register_student",
                  "dataset": "register_dataset"}
#: may name anything: the presets (configurations are made of names) and the paper's published tables
NAMING_MODULES = ("kdviz/presets.py", "kdviz/theory/presets.py", "kdviz/paper/published.py")
#: registered names that are also plain words of another vocabulary, and where that other meaning is used
WORDS = {
    "teacher": None,  # everywhere: the config field, the results column and the capacity axis "teacher"
    "linear": ("kdviz/figures/plots.py", "kdviz/theory/", "kdviz/neural/"),  # Plotly axis
    # type, the controlled student's polynomial degree, a network architecture
    "mlp": ("kdviz/neural/",), "cnn": ("kdviz/neural/",),  # network architectures
}


def _scanned() -> list[Path]:
    return [*(ROOT / p for p in _modules()), *sorted((ROOT / "benchmarks").glob("*.py"))]


def _registered_names() -> dict[str, set[str]]:
    from kdviz import plugins
    from kdviz.data.registry import list_datasets
    from kdviz.kd.methods import METHODS
    from kdviz.kd.students import STUDENTS
    from kdviz.teachers import TEACHERS

    plugins.load_plugins()
    return {"method": set(METHODS), "teacher": set(TEACHERS), "student": set(STUDENTS),
            "dataset": {d["name"] for d in list_datasets()}}


def _registering_modules() -> dict[str, set[str]]:
    """kind → the modules that call its register function."""
    found: dict[str, set[str]] = {k: set() for k in REGISTER_CALLS}
    for path in _scanned():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                for kind, fn in REGISTER_CALLS.items():
                    if name == fn:
                        found[kind].add(path.relative_to(ROOT).as_posix())
    return found


def _string_constants(values: set[str]) -> dict[str, dict[str, int]]:
    """path → {value: count} of the string literals in `values` (docstrings are not literals we check)."""
    hits: dict[str, dict[str, int]] = {}
    for path in _scanned():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(n.body[0].value) for n in ast.walk(tree)
                if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in values and id(node) not in docs:
                rel = path.relative_to(ROOT).as_posix()
                hits.setdefault(rel, {}).setdefault(node.value, 0)
                hits[rel][node.value] += 1
    return hits


def test_registered_names_are_written_only_where_they_are_registered():
    """No branch on a registered method, teacher, student or dataset name outside its registration: every
    other module reads the spec (app.py, kdviz/, ui/, pages/ and benchmarks/; presets may name things)."""
    names = _registered_names()
    assert {"vanilla", "enhanced", "no_kd", "oracle"} <= names["method"]
    assert {"rf-depth", "knn-k", "mlp-epochs"} <= names["teacher"]
    assert {"rf", "linear", "mlp"} <= names["student"]
    assert {"synthetic:gmm", "synthetic:curve", "csv:<path>"} <= names["dataset"]
    where = _registering_modules()
    assert "kdviz/kd/methods.py" in where["method"] and "kdviz/data/registry.py" in where["dataset"]
    assert "kdviz/teachers/forests.py" in where["teacher"] and "kdviz/kd/students.py" in where["student"]
    allowed: dict[str, set[str]] = {}
    for kind, ns in names.items():
        for n in ns:
            allowed.setdefault(n, set()).update(where[kind])
    hits = _string_constants(set(allowed))
    assert "kdviz/kd/methods.py" in hits  # the search finds the registrations (it cannot pass vacuously)
    bad = {}
    for path, found in hits.items():
        if path in NAMING_MODULES:
            continue
        for name, count in found.items():
            if path in allowed[name]:
                continue
            if name in WORDS and (WORDS[name] is None or path.startswith(WORDS[name])):
                continue
            bad.setdefault(path, {})[name] = count
    assert not bad, f"registered names written outside their registration (read the spec instead): {bad}"


def test_pages_are_thin_they_import_ui_kdviz_streamlit_and_little_else():
    allowed = {"__future__", "kdviz", "ui", "streamlit", "pandas", "pathlib", "datetime", "time"}
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name.split(".")[0] in allowed, (path.name, name)


def _magic_writes(tree: ast.AST) -> list[int]:
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and getattr(n.func.value, "id", "") == "__streamlitmagic__"]


def test_no_page_relies_on_streamlit_magic():
    """.streamlit/config.toml turns "magic" off (it re-parses each page whenever the script cache is dropped):
    no page may write a value by leaving it as a bare expression, which magic would have drawn."""
    from streamlit.runtime.scriptrunner import magic

    assert "magicEnabled = false" in (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert _magic_writes(magic.add_magic("x = 1\nx\n", "probe.py")) == [2]  # the check sees what magic would draw
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:  # the scripts Streamlit runs
        written = _magic_writes(magic.add_magic(path.read_text(encoding="utf-8"), str(path)))
        assert not written, f"{path.name}: bare expressions that magic would draw, lines {written}"


def test_the_package_layout_shows_the_layers():
    """kdviz's top level holds at most 12 modules; the rest lives in packages named for their layer
    (their rules are import-linter contracts in .importlinter)."""
    top = sorted(p.name for p in (ROOT / "kdviz").glob("*.py"))
    assert "__init__.py" in top and len(top) <= 12, top
    packages = {p.parent.name for p in (ROOT / "kdviz").glob("*/__init__.py")}
    assert {"data", "kd", "figures", "teaching", "runtime", "cli", "jobs", "teachers", "theory"} <= packages
    contracts = (ROOT / ".importlinter").read_text(encoding="utf-8")
    for pkg in ("kdviz.runtime", "kdviz.data", "kdviz.kd", "kdviz.figures", "kdviz.teaching"):
        assert f"source_modules =\n    {pkg}" in contracts, pkg
