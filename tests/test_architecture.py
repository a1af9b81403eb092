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
        "import kdviz.experiments, kdviz.students, kdviz.teachers\n"
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
# one table per concept (issue 10): a method's name is written where the method table defines it
def _string_constants(value: str) -> dict[str, int]:
    hits: dict[str, int] = {}
    for path in [*(ROOT / p for p in _modules()), *sorted((ROOT / "benchmarks").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value == value:
                hits[str(path.relative_to(ROOT))] = hits.get(str(path.relative_to(ROOT)), 0) + 1
    return hits


def test_the_enhanced_method_is_named_in_at_most_two_modules():
    """Outside tests, only the method table and the presets write the name (benchmarks included)."""
    hits = _string_constants("enhanced")
    assert "kdviz/methods.py" in hits  # the count below would pass vacuously if the search found nothing
    assert len(hits) <= 2, hits


def test_pages_are_thin_they_import_ui_kdviz_streamlit_and_little_else():
    allowed = {"__future__", "kdviz", "ui", "streamlit", "pandas", "pathlib", "datetime", "time"}
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name.split(".")[0] in allowed, (path.name, name)
