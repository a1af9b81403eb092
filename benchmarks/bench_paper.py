"""Why kdviz's teacher row and no-KD sat below the authors' on MAGIC B (issue 17): each suspect, measured.

    .venv/bin/python benchmarks/bench_paper.py            # ~4 min on 2 shared cores
    .venv/bin/python benchmarks/bench_paper.py --csv other/magic04.csv

The authors' teacher row (tabular_vary_teacher.py, split "none"): for each max_depth d, 5 fresh
`RandomForestClassifier(max_depth=d)` (100 trees, scikit-learn defaults) fit on the scaled training rows
of `train_test_split(X, y, test_size=0.3, random_state=2357)`, AUC of `predict_proba[:, 1]` on the test
rows, averaged; no-KD: `RandomForestRegressor(n_estimators=10)` on the 0/1 labels. The suspects:

- the split (kdviz's stratified split seeded from a derived stream vs the authors' plain split),
- the capacity path (one depth-20 forest truncated per depth vs a fresh forest per depth),
- the forest settings (kdviz's teacher vs `RandomForestClassifier(max_depth=d)`: every parameter),
- clipping (kdviz scores the raw probabilities: nothing to measure, checked by reading
  `kdviz.kd.metrics.classification_metrics`),
- the forests' seeds, and how much one split moves every row (depth 10 over five split seeds).

The full-protocol runs of the paper presets and their comparison are in benchmarks/results/paper/README.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import roc_auc_score

from kdviz.data.load import load_dataset
from kdviz.presets import DEFAULT_TEACHER
from kdviz.teachers import make_teacher

#: ../shared/datasets/magic04.csv beside the checkout (or one level up, from a worktree under wt/)
MAGIC = next((p for p in (Path(__file__).resolve().parents[i] / "shared" / "datasets" / "magic04.csv"
                          for i in (2, 3)) if p.exists()), Path("magic04.csv"))
DEPTHS = (1, 2, 3, 5, 10, 15, 20)
#: MAGIC B, split "none", as published (kdviz/paper/published_means.csv)
PUBLISHED_TEACHER = (0.82489, 0.86586, 0.87574, 0.89681, 0.92649, 0.9337, 0.93447)
PUBLISHED_NO_KD = 0.91471


def fresh(ds, seeds) -> np.ndarray:
    """The authors' teacher row: a fresh forest per depth and seed."""
    return np.array([np.mean([roc_auc_score(ds.y_test, RandomForestClassifier(max_depth=d, random_state=s)
                                            .fit(ds.X_train, ds.y_train).predict_proba(ds.X_test)[:, 1])
                              for s in seeds]) for d in DEPTHS])


def path(ds, seeds) -> np.ndarray:
    """kdviz's teacher row: one depth-20 forest per seed, truncated at every depth."""
    rows = []
    for s in seeds:
        t = make_teacher(DEFAULT_TEACHER, DEPTHS, seed=s, mode="path", n_estimators=100).fit(ds.X_train, ds.y_train, 2)
        P = t.predict_proba_path(ds.X_test)
        rows.append([roc_auc_score(ds.y_test, P[g][:, 1]) for g in range(len(DEPTHS))])
    return np.mean(rows, axis=0)


def no_kd(ds, seeds) -> float:
    return float(np.mean([roc_auc_score(ds.y_test, RandomForestRegressor(n_estimators=10, random_state=s)
                                        .fit(ds.X_train, ds.y_train).predict(ds.X_test)) for s in seeds]))


def settings_differ() -> list[str]:
    """Parameters where kdviz's rf-depth teacher model differs from RandomForestClassifier(max_depth=d)."""
    t = make_teacher(DEFAULT_TEACHER, DEPTHS, seed=0, mode="refit", n_estimators=100)
    ours = t._make_model(5).get_params()
    theirs = RandomForestClassifier(max_depth=5).get_params()
    return [k for k in theirs if k not in ("random_state", "n_jobs") and ours.get(k) != theirs[k]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", default=str(MAGIC))
    ap.add_argument("--seeds", type=int, default=5, help="forest seeds per depth (the authors: 5)")
    args = ap.parse_args()
    if not Path(args.csv).exists():
        raise SystemExit(f"{args.csv} not found: pass --csv path/to/magic04.csv (label column 'class')")
    seeds = range(args.seeds)
    load = dict(target="class", seed=2357, test_size=0.3)
    splits = {"authors": load_dataset(f"csv:{args.csv}", split="authors", **load),
              "kdviz stratified": load_dataset(f"csv:{args.csv}", **load)}
    print(f"data: {args.csv}; forest seeds 0..{args.seeds - 1}; depths {DEPTHS}")
    print(f"forest settings that differ from RandomForestClassifier(max_depth=d): {settings_differ() or 'none'}")
    pub = np.array(PUBLISHED_TEACHER)
    rows = {"published (split none)": pub}
    t0 = time.perf_counter()
    for name, ds in splits.items():
        rows[f"{name} split, fresh forests"] = fresh(ds, seeds)
        rows[f"{name} split, capacity path"] = path(ds, seeds)
    table = pd.DataFrame(rows, index=pd.Index(DEPTHS, name="max_depth")).T
    print("\nteacher row: mean test AUC over the forest seeds")
    print(table.round(4).to_string())
    print("\ndifference from the published row")
    print((table - pub).iloc[1:].round(4).to_string())
    print("\nno-KD (RandomForestRegressor(10) on 0/1 labels, 20 seeds): published", PUBLISHED_NO_KD)
    for name, ds in splits.items():
        print(f"  {name:<17} split: {no_kd(ds, range(20)):.4f}")
    print("\none split moves every row: depth-10 teacher (2 forests) over the authors' kind of split, seeds 0..4")
    ten = []
    for s in range(5):
        ds = load_dataset(f"csv:{args.csv}", target="class", seed=s, split="authors")
        auc = np.mean([roc_auc_score(ds.y_test, RandomForestClassifier(max_depth=10, random_state=r)
                                     .fit(ds.X_train, ds.y_train).predict_proba(ds.X_test)[:, 1]) for r in range(2)])
        ten.append(auc)
    print("  " + "  ".join(f"{a:.4f}" for a in ten) + f"   (s.d. {np.std(ten, ddof=1):.4f})")
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
