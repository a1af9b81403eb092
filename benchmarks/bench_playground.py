"""Playground redraw time per change (target: < 1 s on 2 cores).

    .venv/bin/python benchmarks/bench_playground.py

Measures, for each teacher family: the first draw (teacher capacity path fit + students), a capacity
slider move (students only: the teacher path is cached), a change of method set / c (students only),
and a data change (n or label noise: everything refit). "compute" = kdviz.teaching.playground.compute;
"page" = the whole Streamlit page rerun in AppTest (compute + figure + serialisation).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KDVIZ_HOME", tempfile.mkdtemp(prefix="kdviz-bench-"))

from kdviz.teaching import playground as pg  # noqa: E402


def timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def bench_compute() -> None:
    print(f"{'teacher':10s} {'first draw':>10s} {'slider (median/max)':>22s} {'c change':>9s} {'data change':>12s}")
    for teacher, steps in ((t, pg.capacity_steps(t)) for t in pg.playground_teachers()):
        pg.cache_clear()
        p = pg.PlaygroundParams(teacher=teacher, capacity=steps[len(steps) // 2])
        first = timed(lambda p=p: pg.compute(p))
        moves = [timed(lambda c=c, p=p: pg.compute(p.replace(capacity=c))) for c in steps]
        cchange = timed(lambda p=p: pg.compute(p.replace(c=1.0)))
        data = timed(lambda p=p: pg.compute(p.replace(label_noise=0.3)))
        print(f"{teacher:10s} {first:9.2f}s {statistics.median(moves):10.3f}s / {max(moves):.3f}s "
              f"{cchange:8.3f}s {data:11.2f}s")


def bench_page() -> None:
    from streamlit.testing.v1 import AppTest

    pg.cache_clear()
    at = AppTest.from_file(str(ROOT / "pages/1_Playground.py"), default_timeout=60)
    first = timed(at.run)
    moves = []
    for cap in (1, 2, 4, 6, 10, 12, 16, 20):
        at.select_slider(key="pg.capacity").set_value(cap)
        moves.append(timed(at.run))
    print(f"page rerun (AppTest, rf-depth): first {first:.2f}s, slider median {statistics.median(moves):.3f}s, "
          f"max {max(moves):.3f}s")


if __name__ == "__main__":
    print(f"cores: {os.cpu_count()}")
    bench_compute()
    bench_page()
