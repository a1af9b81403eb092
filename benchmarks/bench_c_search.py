"""Full cross-validation of c (``c = "cv"``) against the fast search (``c = "cv-fast"``), in one run.

    .venv/bin/python benchmarks/bench_c_search.py                       # MAGIC B, Adult B, synthetic presets
    .venv/bin/python benchmarks/bench_c_search.py --cases quick,underfitting-teacher   # seconds
    .venv/bin/python benchmarks/bench_c_search.py --cases magic-B --repeats 2          # a quick look

Each case runs the same sweep twice, once per search, one after the other in this process (the
CPU is shared, so only ratios within one run mean anything), through the real task pipeline
(`kdviz.experiments.run_plan` on a pool of `--jobs` workers). For each it prints the wall time, the
model fits by kind (teachers, c search, students) and, per (capacity, corrected method) cell, the
c each search chose and the mean test metric of the chosen students (AUC for binary data,
accuracy otherwise) — then the agreement: cells within ±0.002 of full CV, the worst difference
(fast − full; negative = the fast search's student is worse).

Cases: ``magic-B`` / ``adult-B`` = `kdviz.presets.paper_preset` B on ../shared/datasets/magic04.csv
and adult.csv (read like a user's CSV; ``--adult-n`` subsamples Adult), and the synthetic presets
with a c to choose (``quick``, ``underfitting-teacher``, and the Theory page's capacity sweep
``theory-capacity``), each with its own grid and folds.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from kdviz.config import make_config
from kdviz.experiments import get_experiment, local_submitter, run_plan
from kdviz.kd.csearch import CSearch
from kdviz.kd.methods import ORACLE_ROW, corrected_methods
from kdviz.kd.targets import CVScore
from kdviz.presets import PRESETS, THEORY_CAPACITY, paper_preset

#: ../shared/datasets of the checkout (or of its parent, for a worktree one level deeper)
DATA = next((p / "shared" / "datasets" for p in Path(__file__).resolve().parents[1:4]
             if (p / "shared" / "datasets").is_dir()), Path("shared/datasets"))
TOL, NEVER = 0.002, 0.005


def case_config(name: str, args: argparse.Namespace) -> dict | None:
    if name == "magic-B":
        path = DATA / "magic04.csv"
        cfg = {**paper_preset("magic", "B"), "dataset": f"csv:{path}", "target": "class", "n": args.magic_n}
    elif name == "adult-B":
        path = DATA / "adult-full.csv" if args.adult_full else DATA / "adult.csv"
        cfg = {**paper_preset("adult", "B"), "dataset": f"csv:{path}", "target": "Salary", "n": args.adult_n}
    elif name == "theory-capacity":
        return dict(THEORY_CAPACITY)
    else:
        return dict(PRESETS[name])
    if not path.exists():
        print(f"{name}: {path} not found — skipped")
        return None
    if args.repeats:
        cfg["repeats"] = args.repeats
    cfg.pop("paper", None)  # no published overlay needed here
    return cfg


def _cpu_seconds() -> float:
    """CPU seconds (user + system) of this process, its reaped children and its live descendants
    (the reusable worker pool), from /proc: unlike wall time it does not grow with the neighbours' load."""
    tick = os.sysconf("SC_CLK_TCK")
    t = os.times()
    total = t.user + t.system + t.children_user + t.children_system
    me, kids = os.getpid(), {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(fields[1]), []).append((int(stat.parent.name), int(fields[11]) + int(fields[12])))
    todo = [me]
    while todo:
        for pid, ticks in kids.get(todo.pop(), []):
            total += ticks / tick
            todo.append(pid)
    return total


def run_once(values: dict, search: str, jobs: int) -> tuple[pd.DataFrame, dict]:
    config = make_config(**{**values, "c": search})
    exp = get_experiment("sweep")
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    ds = exp.load(config)
    tasks = exp.plan(config, ds)
    results = run_plan(tasks, submit=local_submitter("sweep", config, ds, jobs), jobs=jobs)
    df = exp.assemble(config, ds, tasks, results)
    wall, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    unique = {t.key: t for t in tasks}.values()
    c_fits = sum(config.cv_folds for t in unique if isinstance(results[t.key], CVScore))
    c_fits += sum(results[t.key].fits for t in unique if isinstance(results[t.key], CSearch))
    fits = dict(teachers=sum(t.kind == "teacher" for t in unique), c_search=c_fits,
                students=sum(t.kind in ("student", ORACLE_ROW) for t in unique))
    return df, dict(wall=wall, cpu=cpu, fits=fits)


def cell_table(df: pd.DataFrame) -> pd.DataFrame:
    """(capacity, method) → chosen c and mean test metric over repeats, for the corrected methods."""
    kd = df[df.method.isin(corrected_methods())].copy()
    metric = "test_auc" if kd.test_auc.notna().all() else "test_accuracy"
    kd["metric"] = kd[metric]
    return kd.groupby(["method", "capacity"]).agg(c=("c", "first"), metric=("metric", "mean"))


def markdown(df: pd.DataFrame) -> str:
    def fmt(v) -> str:
        return f"{v:.4g}" if isinstance(v, float) and abs(v) < 1e-2 and v != 0 else \
            f"{v:.4f}" if isinstance(v, float) else str(v)

    rows = [" | ".join(str(c) for c in df.columns), " | ".join("---" for _ in df.columns)]
    rows += [" | ".join(fmt(v) for v in r) for r in df.itertuples(index=False)]
    return "\n".join(f"| {r} |" for r in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="magic-B,adult-B,quick,underfitting-teacher,theory-capacity")
    ap.add_argument("--repeats", type=int, default=None, help="override the paper cases' repeats (default 5)")
    ap.add_argument("--magic-n", type=int, default=None, help="subsample MAGIC to n rows (default: all 19,020)")
    ap.add_argument("--adult-n", type=int, default=None, help="subsample Adult to n rows (default: all)")
    ap.add_argument("--adult-full", action="store_true", help="adult-full.csv (48,842 rows) instead of adult.csv")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--data", type=Path, default=None, help=f"folder of magic04.csv and adult.csv (default {DATA})")
    args = ap.parse_args()
    if args.data is not None:
        globals()["DATA"] = args.data
    print(f"# bench_c_search.py  jobs={args.jobs}  cases={args.cases}  "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    # warm the reusable worker pool (process start, imports) so that neither search pays for it
    run_once({**PRESETS["underfitting-teacher"], "n": 300, "repeats": 1, "capacities": (1,)}, "cv-fast", args.jobs)
    summary = []
    for name in args.cases.split(","):
        values = case_config(name, args)
        if values is None:
            continue
        out = {s: run_once(values, s, args.jobs) for s in ("cv", "cv-fast")}
        (full, fs), (fast, ff) = out["cv"], out["cv-fast"]
        cells = cell_table(full).join(cell_table(fast).add_suffix("_fast")).rename(columns={"c": "c_cv",
                                                                                          "metric": "metric_cv"})
        cells["diff"] = cells.metric_fast - cells.metric_cv
        within = int((cells["diff"].abs() <= TOL + 1e-12).sum())
        worst = float(cells["diff"].min())
        same_c = int((cells.c_cv == cells.c_fast).sum())
        print(f"## {name}\n")
        print("| search | wall (s) | CPU (s) | teacher fits | c-search fits | student fits |\n|---|---|---|---|---|---|")
        for s, st in (("cv", fs), ("cv-fast", ff)):
            f = st["fits"]
            print(f"| {s} | {st['wall']:.1f} | {st['cpu']:.1f} | {f['teachers']} | {f['c_search']} | {f['students']} |")
        ratio, cpu_ratio = fs["wall"] / ff["wall"], fs["cpu"] / ff["cpu"]
        print(f"\nspeed-up (wall, cv / cv-fast): {ratio:.2f}×; CPU: {cpu_ratio:.2f}×; c-search fits: "
              f"{fs['fits']['c_search'] / max(ff['fits']['c_search'], 1):.1f}× fewer\n")
        print(markdown(cells.reset_index()))
        print(f"\ncells within ±{TOL}: {within}/{len(cells)} ({within / len(cells):.0%}); same c: {same_c}/{len(cells)}; "
              f"worst difference (fast − full): {worst:+.4f}\n", flush=True)
        summary.append(dict(case=name, speedup=ratio, cpu_speedup=cpu_ratio, cells=len(cells), within=within, same_c=same_c, worst=worst,
                            fits_cv=fs["fits"]["c_search"], fits_fast=ff["fits"]["c_search"]))
    if summary:
        s = pd.DataFrame(summary)
        n, w = int(s.cells.sum()), int(s.within.sum())
        print("## summary\n")
        print(markdown(s))
        print(f"\nall cases: {w}/{n} cells within ±{TOL} ({w / n:.0%}, need ≥ 90 %); worst difference "
              f"{s.worst.min():+.4f} (need ≥ −{NEVER})")
    np.set_printoptions(precision=4)


if __name__ == "__main__":
    main()
