"""How cheap `import kdviz` is: fresh interpreters, median of N runs, against `python -c pass`.

    .venv/bin/python benchmarks/bench_import.py [N]

Prints the median wall time of each statement and its ratio to the bare interpreter, and which heavy
modules each one loads (torch, sklearn, pandas, plotly).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATEMENTS = ["pass", "import kdviz", "import kdviz; kdviz.presets.PRESETS", "import kdviz.api",
              "import kdviz.sweep"]
HEAVY = ("torch", "sklearn", "pandas", "plotly")


def run(stmt: str, n: int) -> tuple[float, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    probe = f"{stmt}; import sys; print([m for m in {HEAVY!r} if m in sys.modules])"
    times = []
    for _ in range(n):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times), eval(out.stdout)  # noqa: S307 (our own list literal)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rows = [(stmt, *run(stmt, n)) for stmt in STATEMENTS]
    base = rows[0][1]
    print("| statement | median s | × bare python | heavy modules loaded |\n|---|---|---|---|")
    for stmt, t, heavy in rows:
        print(f"| `{stmt}` | {t:.3f} | {t / base:.2f} | {', '.join(heavy) or '—'} |")


if __name__ == "__main__":
    main()
