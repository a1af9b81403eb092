"""Replay the c searches exactly on the paper protocol's real data: every fold score of every c, then
each search's choice, and every c's test metric — so a search's agreement with full CV is known
without running the protocol once per search (`bench_c_search.py` does that, and times it).

    PYTHONPATH=. .venv/bin/python benchmarks/c_search_replay.py magic-B          # ≈ 15 min alone, 1 core
    PYTHONPATH=. .venv/bin/python benchmarks/c_search_replay.py adult-B --n 1500

For each (capacity, corrected method) cell of `paper_preset(dataset, "B")` it computes, with the sweep's
own functions, the held-out score of a student trained with each c of the grid on each CV fold (the
numbers both searches read: `kdviz.sweep.cv_fold_scorer`), and the mean test metric over the protocol's
repeats of a student trained on all training rows with each c (what the chosen c would give). Then
`kdviz.kd.csearch.full_search` and `fast_search` run on those fold scores. The cell table and the summary
(cells within ±0.002 of full CV's test metric, the worst difference, the fits each search paid) are
printed as markdown; the raw numbers are kept in ``--out`` (JSON) so a rerun only replays.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from bench_c_search import DATA, NEVER, TOL, markdown

from kdviz.config import make_config
from kdviz.kd.csearch import fast_search, full_search
from kdviz.kd.targets import teacher_inputs
from kdviz.presets import paper_preset
from kdviz.seeds import sub_seed
from kdviz.sweep import _student_row, cv_fold_scorer, execute, load_data, plan

CASES = {"magic-B": ("magic", "magic04.csv", "class"), "adult-B": ("adult", "adult.csv", "Salary")}


def compute(case: str, n: int | None) -> list[dict]:
    """Per cell: the fold scores {c: [score per fold]} and test metrics {c: mean over repeats}."""
    name, file, target = CASES[case]
    values = {**paper_preset(name, "B"), "dataset": f"csv:{DATA / file}", "target": target, "n": n}
    values.pop("paper")
    config = make_config(**values)
    ds = load_data(config)
    tasks = plan(config, ds)
    teachers = {t.key: execute(t, config, ds, {}) for t in tasks if t.kind == "teacher"}
    metric = "test_auc" if ds.n_classes == 2 else "test_accuracy"
    cells, seen = [], set()
    for t in tasks:
        m, cap = t.params.get("method"), t.params.get("cap")
        if t.kind not in ("cv", "csearch") or (m, cap) in seen:
            continue
        seen.add((m, cap))
        p_train, _ = teacher_inputs(m, cap, [teachers[k] for k in t.deps], len(ds.y_train))
        score = cv_fold_scorer(config, ds, m, p_train)
        folds = {c: [score(c, f) for f in range(config.cv_folds)] for c in config.c_grid}
        test = {c: float(np.mean([_student_row(config, ds, m, sub_seed(config.seed, r, 2), p_train, c)[metric]
                                  for r in range(config.repeats)])) for c in config.c_grid}
        cells.append(dict(method=m, capacity=config.capacities[cap] if isinstance(cap, int) else cap,
                          folds=folds, test=test, cv_folds=config.cv_folds))
        print(f"{m} {cap}", flush=True)
    return cells


def replay(cells: list[dict]) -> pd.DataFrame:
    rows = []
    for cell in cells:
        folds = {float(c): v for c, v in cell["folds"].items()}
        test = {float(c): v for c, v in cell["test"].items()}
        k = cell["cv_folds"]
        def score(c: float, f: int, folds: dict = folds) -> float:
            return folds[c][f]

        full, fast = full_search(sorted(folds), k, score), fast_search(sorted(folds), k, score)
        rows.append(dict(method=cell["method"], capacity=cell["capacity"], c_cv=full.c, metric_cv=test[full.c],
                         c_fast=fast.c, metric_fast=test[fast.c], diff=test[fast.c] - test[full.c],
                         best_c_metric=max(test.values()), fits_cv=full.fits, fits_fast=fast.fits))
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--n", type=int, default=None, help="subsample to n rows (default: all)")
    ap.add_argument("--out", type=Path, default=None, help="JSON of the raw numbers (read if it exists)")
    args = ap.parse_args()
    out = args.out or Path(f"c_search_replay_{args.case}_{args.n or 'all'}.json")
    if out.exists():
        cells = json.loads(out.read_text())
    else:
        cells = compute(args.case, args.n)
        out.write_text(json.dumps(cells))
    df = replay(cells)
    within = int((df["diff"].abs() <= TOL + 1e-12).sum())
    print(f"## {args.case} (n = {args.n or 'all'}), replayed\n")
    print(markdown(df))
    print(f"\ncells within ±{TOL}: {within}/{len(df)}; same c: {int((df.c_cv == df.c_fast).sum())}/{len(df)}; "
          f"worst difference (fast − full): {df['diff'].min():+.4f} (need ≥ −{NEVER}); "
          f"fits per cell: full {df.fits_cv.max()}, fast ≤ {df.fits_fast.max()}")


if __name__ == "__main__":
    main()
