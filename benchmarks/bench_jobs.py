"""Overhead of the job engine: one sweep of a few hundred tasks in-process (`run_sweep`) vs through the
store + a worker process (`kdviz.jobs.submit`), same number of task processes.

    .venv/bin/python benchmarks/bench_jobs.py [--rounds 2] [--jobs 2] [--small]

Prints both wall times, the overhead in %, the time from submit to the first progress update (and to
the first finished task), and the time of a fully cached resubmission. Each round uses a fresh data
directory (no cache hits) and a fresh in-process pool (both sides pay for starting their processes).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from kdviz.config import make_config
from kdviz.jobs import get_job, job_results, stop_workers, submit
from kdviz.presets import DEFAULT_DATASET
from kdviz.sweep import load_data, plan, run_sweep

CONFIG = dict(dataset=DEFAULT_DATASET, n=1000, capacities=(1, 2, 3, 4, 5, 6, 8, 10, 12, 16),
              teacher_options={"n_estimators": 20}, student_options={"n_estimators": 20}, folds=5, repeats=4,
              c_grid=(0.001, 0.01, 0.1, 1.0, 10.0, 100.0), cv_folds=3)
SMALL = dict(CONFIG, capacities=(1, 2, 4), repeats=2, c_grid=(0.1, 1.0))


def _fresh_pool() -> None:
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True, kill_workers=True)


def in_process(cfg, jobs: int, fresh: bool = True) -> tuple[float, pd.DataFrame]:
    if fresh:
        _fresh_pool()
    t = time.perf_counter()
    df = run_sweep(cfg, jobs=jobs)
    return time.perf_counter() - t, df


def through_store(cfg, home: Path, poll: float = 0.01, resubmit: bool = False) -> dict:
    t0 = time.perf_counter()
    jid = submit("sweep", cfg, home=home)
    out = {"submit_call": time.perf_counter() - t0}
    while True:
        job = get_job(jid, home=home)
        now = time.perf_counter() - t0
        if "first_progress" not in out and job.total > 0:
            out["first_progress"] = now
        if "first_task" not in out and job.done > 0:
            out["first_task"] = now
        if not job.active:
            break
        time.sleep(poll)
    out["wall"] = time.perf_counter() - t0
    assert job.status == "done", job.error
    t = time.perf_counter()
    out["table"] = job_results(jid, home=home)
    out["results_read"] = time.perf_counter() - t
    out["engine_run"] = job.elapsed
    if resubmit:
        t = time.perf_counter()
        again = submit("sweep", cfg, home=home)
        while get_job(again, home=home).active:
            time.sleep(poll)
        out["cached_resubmit"] = time.perf_counter() - t
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--jobs", type=int, default=2, help="task processes on both sides")
    p.add_argument("--small", action="store_true", help="a ~30-task sweep (smoke test)")
    args = p.parse_args()
    import os

    os.environ["KDVIZ_WORKER_JOBS"] = str(args.jobs)
    base = SMALL if args.small else CONFIG
    cfg = make_config(**base)
    n_tasks = len(plan(cfg, load_data(cfg)))
    print(f"sweep: {n_tasks} tasks, {args.jobs} task processes, {args.rounds} rounds, cpu_count={os.cpu_count()}")
    print("cold = fresh data directory and no worker running; warm = the next sweep (another seed, so no "
          "cache hits) while that worker is still up\n")
    cold: list[dict] = []
    warm: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="kdviz-bench-") as tmp:
        for r in range(args.rounds):
            home = Path(tmp) / f"home{r}"
            cfg_a, cfg_b = make_config(**{**base, "seed": 2 * r}), make_config(**{**base, "seed": 2 * r + 1})
            t_a, df_a = in_process(cfg_a, args.jobs)  # fresh pool: compare with a cold worker
            t_b, df_b = in_process(cfg_b, args.jobs, fresh=False)  # warm pool: compare with a warm worker
            c = through_store(cfg_a, home, resubmit=True)
            w = through_store(cfg_b, home)
            pd.testing.assert_frame_equal(c.pop("table"), df_a)
            pd.testing.assert_frame_equal(w.pop("table"), df_b)
            c["in_process"], w["in_process"] = t_a, t_b
            cold.append(c)
            warm.append(w)
            for name, res, t_in in (("cold", c, t_a), ("warm", w, t_b)):
                print(f"round {r} {name}: in-process ({'fresh' if name == 'cold' else 'warm'} pool) {t_in:6.2f}s | "
                      f"store+worker {res['wall']:6.2f}s "
                      f"(submit call {res['submit_call']:.3f}s, first progress {res['first_progress']:.2f}s, "
                      f"first task {res['first_task']:.2f}s, table read {res['results_read']:.3f}s"
                      + (f", cached resubmit {res['cached_resubmit']:.2f}s)" if "cached_resubmit" in res else ")"))
        stop_workers()

    def med(rows: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    print()
    for name, rows, pool in (("cold", cold, "fresh"), ("warm", warm, "warm")):
        wall, t_in = med(rows, "wall"), med(rows, "in_process")
        print(f"{name} worker: in-process ({pool} pool) {t_in:6.2f} s | store + worker {wall:6.2f} s | overhead "
              f"{100 * (wall - t_in) / t_in:+5.1f}% | submit → first progress {med(rows, 'first_progress'):.2f} s, "
              f"→ first task done {med(rows, 'first_task'):.2f} s")
    print(f"cached resubmission, submit → done          {med(cold, 'cached_resubmit'):7.2f} s")
    print("tables identical to in-process: yes")


if __name__ == "__main__":
    main()
