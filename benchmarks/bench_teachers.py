"""Benchmark: capacity path (one fit per grid) vs refitting one model per capacity.

Synthetic binary data of MAGIC's shape (13,314 training rows = 70 % of 19,020, 10 features,
5,706 test rows). For each family, times ``fit`` + ``predict_proba_path`` on the training and the
test rows (what a sweep needs) in both modes and prints the ratio and the largest probability
difference between the two modes.

    python benchmarks/bench_teachers.py                      # all four families
    python benchmarks/bench_teachers.py --families rf-depth --n-estimators 100
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import make_classification

from kdviz.teachers import TEACHERS, make_teacher

#: the scikit-learn families and their grids (the specs' default grids)
GRIDS: dict[str, list[int]] = {name: list(s.default_grid) for name, s in TEACHERS.items() if not s.needs_torch}


def _run(
    name: str, mode: str, X: np.ndarray, y: np.ndarray, X_test: np.ndarray, opts: dict
) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    teacher = make_teacher(name, GRIDS[name], seed=2357, mode=mode, **opts).fit(X, y, 2)
    teacher.predict_proba_path(X)
    P = teacher.predict_proba_path(X_test)
    return time.perf_counter() - start, P


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--families", nargs="+", default=list(GRIDS), choices=list(GRIDS))
    parser.add_argument("--n-estimators", type=int, default=100, help="trees for rf-depth")
    parser.add_argument("--n-train", type=int, default=13_314)
    parser.add_argument("--n-test", type=int, default=5_706)
    args = parser.parse_args()

    X_all, y_all = make_classification(
        n_samples=args.n_train + args.n_test,
        n_features=10,
        n_informative=6,
        n_redundant=2,
        flip_y=0.1,
        class_sep=0.8,
        random_state=0,
    )
    X, y = X_all[: args.n_train], y_all[: args.n_train]
    X_test = X_all[args.n_train :]

    print(f"data: {X.shape[0]} train x {X.shape[1]} features, {X_test.shape[0]} test; n_jobs=1")
    print(f"{'family':<10} {'grid':<28} {'path s':>8} {'refit s':>8} {'ratio':>6} {'max|Δp|':>9}")
    for name in args.families:
        opts = {TEACHERS[name].tree_option: args.n_estimators} if TEACHERS[name].tree_option else {}
        t_path, P_path = _run(name, "path", X, y, X_test, opts)
        t_refit, P_refit = _run(name, "refit", X, y, X_test, opts)
        diff = float(np.abs(P_path - P_refit).max())
        print(
            f"{name:<10} {str(GRIDS[name]):<28} {t_path:8.2f} {t_refit:8.2f} "
            f"{t_refit / t_path:5.1f}x {diff:9.2e}"
        )


if __name__ == "__main__":
    main()
