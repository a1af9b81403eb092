"""How good is a run's ETA? A small sweep with CV-tuned loss correction (CV tasks cost cv_folds × grid
fits), one worker; the job is polled every 0.2 s and, once 20 % (and 50 %) of its model fits are done,
the ETA shown is compared with the time that really remained. Fit-weighted (today's) against the
task-count ETA (the same pace baseline, counting tasks instead of fits).

    PYTHONPATH=. python benchmarks/bench_eta.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import kdviz.jobs as jobs
from kdviz.methods import BASELINE, corrected_methods, crossfit_methods, labels_only_methods
from kdviz.presets import DEFAULT_DATASET


def one(seed: int, home: str) -> dict[str, float]:
    methods = (*labels_only_methods(), BASELINE, *crossfit_methods()[:1], *corrected_methods())
    cfg = dict(dataset=DEFAULT_DATASET, n=4000, capacities=(1, 2, 4, 8, 16), methods=methods, repeats=3, folds=3,
               c="cv", c_grid=(0.01, 0.1, 1.0, 10.0), cv_folds=3, seed=seed, teacher_options={"n_estimators": 30})
    jid = jobs.submit("sweep", cfg, home=home)
    trace = []
    while True:
        j = jobs.get_job(jid, home=home)
        if j.status == "running" and j.run_started:
            by_tasks = None
            if j.done > j.run_done:
                by_tasks = (time.time() - j.run_started) / (j.done - j.run_done) * (j.total - j.done)
            trace.append((time.time(), j.cost_done / j.cost_total if j.cost_total else 0.0, j.eta, by_tasks))
        if not j.active:
            break
        time.sleep(0.2)
    end = time.time()
    out = {}
    start = trace[0][0]
    for at in (0.2, 0.5):
        t, _, eta, by_tasks = next(x for x in trace if x[1] >= at and x[2] is not None)
        left = end - t
        out[f"fits@{at:.0%}"] = (eta - left) / left
        out[f"tasks@{at:.0%}"] = (by_tasks - left) / left if by_tasks is not None else float("nan")
    out["duration_s"] = end - start
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    rows = []
    for seed in range(args.repeats):
        with tempfile.TemporaryDirectory() as home:
            rows.append(one(seed, home))
            jobs.stop_workers()
    print("| seed | duration s | ETA error @20 % (fits) | @20 % (tasks) | @50 % (fits) | @50 % (tasks) |")
    print("|---|---|---|---|---|---|")
    for seed, r in enumerate(rows):
        print(f"| {seed} | {r['duration_s']:.1f} | {r['fits@20%']:+.0%} | {r['tasks@20%']:+.0%} | "
              f"{r['fits@50%']:+.0%} | {r['tasks@50%']:+.0%} |")


if __name__ == "__main__":
    main()
