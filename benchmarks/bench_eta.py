"""How good is a run's ETA? A small sweep with CV-tuned loss correction (CV tasks cost cv_folds × grid
fits), one worker; the job is polled every 0.2 s and, once 20 % (and 50 %) of its model fits are done,
the ETA shown is compared with the time that really remained. Fit-weighted (today's) against the
task-count ETA (the same pace baseline, counting tasks instead of fits).

    PYTHONPATH=. python benchmarks/bench_eta.py [--repeats 3]

``--magic PATH`` runs the MAGIC paper protocol instead (``kdviz.presets.paper_preset("magic", "B")`` on
PATH, e.g. magic04.csv, target "class"; minutes per run): the ETA shown is compared with the time that
really remained once the progress shown reaches 20 % and 50 %, and once 20 % and 50 % of the run's
wall time has passed (the time a user has waited: independent of how progress is counted).
"""

from __future__ import annotations

import argparse
import tempfile
import time

import kdviz.jobs as jobs
from kdviz.kd.methods import BASELINE, corrected_methods, crossfit_methods, labels_only_methods
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


def replay(times: list[tuple[str, float]], weight: dict[str, float], total: float, end: float):
    """What an ETA with fixed weights per task kind (pace from the first finished task, as the worker
    measures it) showed at each finished task: [(time, progress in weighted work, ETA)]."""
    out, done = [], 0.0
    t1, base = None, 0.0
    for kind, t in times:
        done += weight.get(kind, 1.0)
        if t1 is None:
            t1, base = t, done
            continue
        out.append((t, done / total, (t - t1) / (done - base) * (total - done)))
    return out


def error_at(trace, start: float, end: float, at: float, by: str) -> float:
    """(ETA − time left) / time left at the first point where the progress (`by` = "shown") or the time
    passed (`by` = "time") reaches `at`."""
    for t, frac, eta in trace:
        if eta is not None and ((frac if by == "shown" else (t - start) / (end - start)) >= at):
            return (eta - (end - t)) / (end - t)
    return float("nan")


def magic(path: str, home: str) -> dict[str, float]:
    from kdviz.presets import paper_preset

    cfg = {**paper_preset("magic", "B"), "dataset": f"csv:{path}", "target": "class"}
    jid = jobs.submit("sweep", cfg, home=home)
    trace = []  # (time, progress shown, ETA shown)
    while True:
        j = jobs.get_job(jid, home=home)
        if j.status == "running" and j.run_started:
            trace.append((time.time(), j.fraction, j.eta))
        if not j.active:
            break
        time.sleep(0.5)
    end = time.time()
    assert j.status == "done", j.error
    start = trace[0][0]
    # the same run replayed with the earlier weightings: fits with a CV task at cv_folds × grid fits (the
    # ETA before calibration; its progress bar counted tasks), and tasks
    times = jobs.open_store(home).result_times(jid)
    n_cv = sum(k == "cv" for k, _ in times)
    old_cv = float(cfg["cv_folds"] * len(cfg["c_grid"]))
    old = replay(times, {"cv": old_cv}, len(times) - n_cv + n_cv * old_cv, end)
    tasks = replay(times, {}, float(len(times)), end)
    old_shown = [(t, i / len(times), eta) for i, (t, _, eta) in enumerate(old, start=2)]  # (its bar: tasks)
    out: dict[str, float] = {"duration_s": end - start}
    for at in (0.2, 0.5):
        for name, tr, shown in (("new", trace, trace), ("old", old, old_shown), ("tasks", tasks, tasks)):
            out[f"{name} shown@{at:.0%}"] = error_at(shown, start, end, at, "shown")
            out[f"{name} time@{at:.0%}"] = error_at(tr, start, end, at, "time")
    return out


def main_magic(path: str, repeats: int) -> None:
    rows = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as home:
            rows.append(magic(path, home))
            jobs.stop_workers()
    print("MAGIC paper protocol (magic-B), one worker: ETA error = (ETA shown − time left) / time left, at 20 % and")
    print("50 % of the progress bar and of the run's wall time. new: calibrated per kind (today); old: fits with a")
    print("CV task at cv_folds × grid fits, bar by tasks (before); tasks: by task count (same run, replayed)")
    print("| run | duration s | ETA | @20 % shown | @50 % shown | @20 % of the time | @50 % of the time |")
    print("|---|---|---|---|---|---|---|")
    for i, r in enumerate(rows):
        for name in ("new", "old", "tasks"):
            print(f"| {i} | {r['duration_s']:.0f} | {name} | {r[name + ' shown@20%']:+.0%} | {r[name + ' shown@50%']:+.0%} | "
                  f"{r[name + ' time@20%']:+.0%} | {r[name + ' time@50%']:+.0%} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--magic", metavar="PATH", help="the MAGIC paper protocol on this magic04.csv instead")
    args = p.parse_args()
    if args.magic:
        return main_magic(args.magic, args.repeats)
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
