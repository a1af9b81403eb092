"""Build the API reference (HTML) from kdviz's docstrings with pdoc.

    .venv/bin/python scripts/build_api_docs.py [OUTPUT_DIR]      # default: docs/api/html

tests/test_notebook.py builds it into a temporary folder on every run, so it never goes stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: kdviz and its submodules (pdoc walks the package), without the torch plug-in (imports torch)
MODULES = ["kdviz", "!kdviz.neural*"]


def main(argv: list[str]) -> int:
    import pdoc

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    out = Path(argv[0]) if argv else root / "docs" / "api" / "html"
    import kdviz

    for name in dir(kdviz):  # the lazy names (kdviz.sweep, kdviz.submit, ...) resolved for pdoc
        getattr(kdviz, name)
    pdoc.render.configure(docformat="google", footer_text="kdviz API reference (built from the docstrings)")
    pdoc.pdoc(*MODULES, output_directory=out)
    print(f"API reference written to {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
