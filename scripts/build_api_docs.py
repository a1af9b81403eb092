"""Build the API reference (HTML) from kdviz's docstrings with pdoc.

    .venv/bin/python scripts/build_api_docs.py [OUTPUT_DIR]      # default: docs/api/html

tests/test_notebook.py builds it into a temporary folder on every run, so it never goes stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: the modules a library user meets (kdviz.sweep runs kdviz.api.sweep; data, configs, figures, jobs)
PUBLIC = ("api", "data", "config", "presets", "kd", "figures", "paper", "jobs", "errors", "runtime", "sweep")


def specs() -> list[str]:
    """pdoc's module specs: kdviz and its public submodules (the others excluded, so not imported)."""
    import pkgutil

    import kdviz

    others = [m.name for m in pkgutil.iter_modules(kdviz.__path__) if m.name not in PUBLIC]
    return ["kdviz", *(f"!kdviz.{name}" for name in others), *(f"!kdviz.{name}.*" for name in others)]


def main(argv: list[str]) -> int:
    import pdoc

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    out = Path(argv[0]) if argv else root / "docs" / "api" / "html"
    import kdviz

    for name in dir(kdviz):  # the lazy names (kdviz.sweep, kdviz.submit, ...) resolved for pdoc
        getattr(kdviz, name)
    pdoc.render.configure(docformat="google", footer_text="kdviz API reference (built from the docstrings)")
    pdoc.pdoc(*specs(), output_directory=out)
    print(f"API reference written to {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
