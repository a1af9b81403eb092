"""Test experiments for the job engine, importable by worker processes (``KDVIZ_PLUGINS``).

- ``jobs-test``: n fast "item" tasks and one "sum" task depending on all of them; a controllable
  sleep, a failing item and a hanging item;
- ``sweep-counted``: the real capacity sweep, with every task slowed by ``$KDVIZ_TEST_DELAY`` seconds.

Both append one line per computation (``key kind pid``) to ``$KDVIZ_TEST_COUNTER``, so tests can
count what was computed, across processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from kdviz.experiments import Experiment, Task, register_experiment, task_key

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
PLUGIN = "test_jobs_support"


def _count(task: Task) -> None:
    path = os.environ.get("KDVIZ_TEST_COUNTER")
    if path:
        with open(path, "a") as f:
            f.write(f"{task.key} {task.kind} {os.getpid()}\n")


class TConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    n: int = 6
    sleep: float = 0.0
    fail: int | None = None
    hang: int | None = None
    tag: str = ""


def _plan(cfg: TConfig, ctx: Any) -> list[Task]:
    items = [Task(task_key("item", {"i": i, "tag": cfg.tag, "fail": cfg.fail}, "fp"), "item", {"i": i})
             for i in range(cfg.n)]
    deps = tuple(t.key for t in items)
    return items + [Task(task_key("sum", {"tag": cfg.tag}, "fp", deps), "sum", {}, deps)]


def _execute(task: Task, cfg: TConfig, ctx: Any, deps: dict[str, Any]) -> Any:
    _count(task)
    if task.kind == "sum":
        return {"total": sum(d["value"] for d in deps.values())}
    i = task.params["i"]
    if i == cfg.hang:
        time.sleep(3600)
    time.sleep(cfg.sleep)
    if i == cfg.fail:
        raise ValueError(f"item {i} exploded on purpose")
    return {"i": i, "value": i * i, "arr": np.arange(i, dtype=float)}


def _assemble(cfg: TConfig, ctx: Any, tasks: list[Task], results: dict[str, Any]) -> pd.DataFrame:
    total = next((results[t.key]["total"] for t in tasks if t.kind == "sum" and t.key in results), np.nan)
    rows = [{"i": r["i"], "value": r["value"], "arr_sum": float(r["arr"].sum()), "total": total}
            for t in tasks if t.kind == "item" and (r := results.get(t.key)) is not None]
    return pd.DataFrame(rows, columns=["i", "value", "arr_sum", "total"])


register_experiment(Experiment(
    name="jobs-test", description="job-engine test experiment",
    make_config=lambda d: TConfig(**d), load=lambda cfg: time.sleep(float(os.environ.get("KDVIZ_TEST_LOAD_DELAY", "0"))),
    fingerprint=lambda cfg, ctx: "fp",
    plan=_plan, execute=_execute, assemble=_assemble,
))


def _sweep() -> Any:
    import kdviz.sweep  # imported lazily: workers of the light test experiment never load sklearn

    return kdviz.sweep


def _slow_execute(task: Task, cfg: Any, ds: Any, deps: dict[str, Any]) -> Any:
    _count(task)
    time.sleep(float(os.environ.get("KDVIZ_TEST_DELAY", "0")))
    return _sweep().execute(task, cfg, ds, deps)


register_experiment(Experiment(
    name="sweep-counted", description="the sweep, counted and slowed down for tests",
    make_config=lambda d: _sweep().make_config(**d), load=lambda cfg: _sweep().load_data(cfg),
    fingerprint=lambda cfg, ds: ds.fingerprint, plan=lambda cfg, ds: _sweep().plan(cfg, ds),
    execute=_slow_execute, assemble=lambda cfg, ds, tasks, res: _sweep().assemble(cfg, ds, tasks, res),
))

SMALL_SWEEP = dict(dataset="synthetic:gmm", n=300, capacities=(1, 3), teacher_options={"n_estimators": 10},
                   folds=2, repeats=1, c_grid=(0.1, 1.0), cv_folds=2)


# ----------------------------------------------------------------------------------------------
# helpers shared by the job tests
def job_env(home: Path, counter: Path | None = None, **extra: str) -> dict[str, str]:
    """Environment for a worker / client subprocess of a test."""
    env = dict(os.environ, KDVIZ_HOME=str(home), KDVIZ_PLUGINS=PLUGIN, KDVIZ_WORKER_IDLE_EXIT="2",
               PYTHONPATH=os.pathsep.join([str(TESTS), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    if counter is not None:
        env["KDVIZ_TEST_COUNTER"] = str(counter)
    env.update(extra)
    return env


def start_worker(home: Path, env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kdviz.jobs.worker", "--home", str(home), *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(predicate, timeout: float = 60.0, poll: float = 0.02, what: str = "condition"):
    """Poll `predicate()` until it returns something true (returned), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not reached within {timeout:g} s")
        time.sleep(poll)


def counted(counter: Path) -> list[tuple[str, str, int]]:
    if not counter.exists():
        return []
    return [(k, kind, int(pid)) for k, kind, pid in (line.split() for line in counter.read_text().splitlines())]


def test_experiment_runs_in_process():
    from kdviz.experiments import run_experiment

    df = run_experiment("jobs-test", TConfig(n=4), jobs=1)
    assert list(df["value"]) == [0, 1, 4, 9] and (df["total"] == 14).all()
