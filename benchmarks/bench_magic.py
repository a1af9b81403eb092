"""The paper's MAGIC protocol (THEORY §4), with capacity paths and with refitting per capacity.

    .venv/bin/python benchmarks/bench_magic.py                 # full protocol (several minutes)
    .venv/bin/python benchmarks/bench_magic.py --repeats 2 --n 4000 --c-grid 0.01,0.1,1   # a quick look

Uses ../shared/datasets/magic04.csv when it exists (synthetic GMM data of the same shape otherwise).
Protocol: 70/30 split, StandardScaler, teacher = 100-tree random forest with max_depth in
1,2,3,5,10,15,20, K = 10 cross-fitting folds, student = 10-tree RandomForestRegressor on the log-p
target, 5 student repeats, methods teacher/no_kd/vanilla/crossfit/enhanced with c chosen by 5-fold CV.

For each mode (path, refit) it prints wall time and peak memory (RSS of this process and its worker
processes) per phase — teachers, CV for c, students — then the ratios, the "ideal" time (sum of the
single-task times measured inside the workers, divided by the cores) and the largest difference
between the two result tables' means. Finally it times the `quick` preset end to end.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from kdviz.config import PAPER_C_GRID, PRESETS, make_config
from kdviz.experiments import get_experiment, run_plan
from kdviz.kd.methods import LABELS_ONLY, ORACLE_ROW
from kdviz.presets import DEFAULT_DATASET, DEFAULT_STUDENT, DEFAULT_TEACHER
from kdviz.sweep import run_sweep

MAGIC = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "magic04.csv"
PHASES = (("teachers", {"teacher"}), ("cv for c", {"cv"}), ("students", {"student", ORACLE_ROW}))


def _timed(kind: str, config_json: str, ctx, task, deps):
    import json

    exp = get_experiment(kind)
    t0 = time.perf_counter()
    result = exp.execute(task, exp.make_config(json.loads(config_json)), ctx, deps)
    return result, time.perf_counter() - t0


def _tree_rss_mb() -> float:
    """Resident memory of this process and all its descendants, in MB (Linux /proc)."""
    me = os.getpid()
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parent[int(d)] = int(fields[1])
            rss[int(d)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [me]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(c for c, p in parent.items() if p == pid)
    return total / 1e6


class PeakMemory:
    def __enter__(self):
        self.peak, self._stop = _tree_rss_mb(), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, _tree_rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_protocol(config, jobs: int) -> tuple[pd.DataFrame, dict]:
    from joblib.externals.loky import get_reusable_executor

    exp = get_experiment("sweep")
    ds = exp.load(config)
    tasks = exp.plan(config, ds)
    pool = get_reusable_executor(max_workers=jobs)
    cfg = config.model_dump_json()
    results: dict = {}
    task_seconds: dict[str, float] = {}
    stats: dict = {}
    for phase, kinds in PHASES:
        subset = [t for t in tasks if t.kind in kinds]
        t0 = time.perf_counter()
        with PeakMemory() as mem:
            out = run_plan(subset, submit=lambda t, d: pool.submit(_timed, "sweep", cfg, ds, t, d),
                           jobs=jobs, done=results)
        wall = time.perf_counter() - t0
        for t in subset:
            res, secs = out[t.key]
            results[t.key], task_seconds[t.key] = res, secs
        busy = sum(task_seconds[t.key] for t in {t.key: t for t in subset}.values())
        stats[phase] = dict(wall=wall, peak_mb=mem.peak, fits=len({t.key for t in subset}), busy=busy)
    return exp.assemble(config, ds, tasks, results), stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--n", type=int, default=None, help="subsample MAGIC to n rows (default: all 19,020)")
    ap.add_argument("--c-grid", default=",".join(str(c) for c in PAPER_C_GRID))
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--modes", default="path,refit")
    args = ap.parse_args()

    if MAGIC.exists():
        data = dict(dataset=f"csv:{MAGIC}", target="class", n=args.n)
        print(f"data: {MAGIC}")
    else:
        data = dict(dataset=DEFAULT_DATASET, n=args.n or 19020, d=10, r=0.3)
        print("data: MAGIC CSV not found; synthetic GMM of the same shape (19,020 × 10)")
    base = dict(**data, teacher=DEFAULT_TEACHER, capacities=(1, 2, 3, 5, 10, 15, 20),
                teacher_options={"n_estimators": 100}, student=DEFAULT_STUDENT, student_options={"n_estimators": 10},
                methods=PRESETS["paper-magic"]["methods"], scale="logp", folds=10, repeats=args.repeats,
                c="cv", c_grid=tuple(float(c) for c in args.c_grid.split(",")), cv_folds=5, seed=2357)
    tables, stats = {}, {}
    for mode in args.modes.split(","):
        t0 = time.perf_counter()
        tables[mode], stats[mode] = run_protocol(make_config(**base, teacher_mode=mode), args.jobs)
        total = time.perf_counter() - t0
        ideal = sum(s["busy"] for s in stats[mode].values()) / args.jobs
        print(f"\n== {mode}: total {total:.1f} s, ideal {ideal:.1f} s (sum of task times / {args.jobs} cores), "
              f"total/ideal = {total / ideal:.2f}")
        for phase, s in stats[mode].items():
            print(f"  {phase:<9} wall {s['wall']:7.1f} s   tasks {s['fits']:4d}   task-time {s['busy']:7.1f} s   "
                  f"peak RSS {s['peak_mb']:7.0f} MB")
        stats[mode]["total"] = total

    if {"path", "refit"} <= set(stats):
        p, r = stats["path"], stats["refit"]
        print(f"\nteacher phase: refit/path = {r['teachers']['wall'] / p['teachers']['wall']:.2f}×  "
              f"(task time {r['teachers']['busy'] / p['teachers']['busy']:.2f}×)")
        print(f"whole protocol: refit/path = {r['total'] / p['total']:.2f}×")
        keys = ["method", "capacity"]
        means = {m: t.groupby(keys, dropna=False)[["test_auc"]].mean() for m, t in tables.items()}
        diff = (means["path"] - means["refit"]).abs().max().iloc[0]
        print(f"max |mean test AUC (path) − mean test AUC (refit)| over methods × depths = {diff:.4f}")

    for mode, table in tables.items():
        pivot = table.pivot_table(index="method", columns="capacity", values="test_auc", aggfunc="mean", sort=False)
        print(f"\nmean test AUC ({mode}); {LABELS_ONLY} = {table[table.method == LABELS_ONLY].test_auc.mean():.4f}")
        print(pivot.round(4).to_string())
        sem = table.groupby(["method", "capacity"]).test_auc.sem().max()
        print(f"largest standard error over repeats: {sem:.4f}")

    t0 = time.perf_counter()
    run_sweep(make_config(**PRESETS["quick"]), jobs=args.jobs)
    print(f"\nquick preset: {time.perf_counter() - t0:.1f} s end to end on {args.jobs} workers")
    np.set_printoptions(precision=4)


if __name__ == "__main__":
    main()
