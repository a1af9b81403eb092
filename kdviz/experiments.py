"""Experiments: anything the job engine can run is planned as tasks and assembled into a table.

An experiment kind bundles five functions. The capacity sweep (`kdviz.sweep`) is the main one; the
theory module registers its own (teacher-error, sample-size and c sweeps). Both are plug-ins
(`kdviz.plugins`): this module never imports them. The job store, workers,
executors, CLI and dashboard only ever talk to this interface.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pandas as pd

from kdviz import plugins
from kdviz.errors import ConfigError, KdvizError


@dataclass(frozen=True)
class Task:
    key: str
    kind: str  # what it computes, e.g. "teacher" | "cv" | "student" | "oracle" for a sweep
    params: dict = field(hash=False)
    deps: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.kind} " + ", ".join(f"{k}={v}" for k, v in self.params.items())


class TaskError(KdvizError):
    """A task failed; the message names the task and the cause in words a user can act on."""


# bump when a task's computation or result type changes, to invalidate cached results
# (3: sweep tasks return typed results, `kdviz.kd.targets`, instead of dicts)
KEY_VERSION = "4"


def task_key(kind: str, fields: dict, fingerprint: str, deps: Iterable[str] = ()) -> str:
    """Content key of a task: what it computes, from which inputs (data fingerprint, dependencies)."""
    blob = json.dumps([KEY_VERSION, kind, fields, fingerprint, sorted(deps)], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Experiment:
    name: str
    description: str
    make_config: Callable[[dict[str, Any]], Any]  # dict → validated config (raises ConfigError)
    load: Callable[[Any], Any]  # config → context (e.g. the Dataset), deterministic
    fingerprint: Callable[[Any, Any], str]  # (config, context) → content key of the inputs
    plan: Callable[[Any, Any], list]  # (config, context) → list[Task], dependencies first
    execute: Callable[[Any, Any, Any, dict[str, Any]], Any]  # (task, config, context, deps) → result
    assemble: Callable[[Any, Any, list, dict[str, Any]], pd.DataFrame]  # → tidy table


EXPERIMENTS: dict[str, Experiment] = {}


def register_experiment(exp: Experiment) -> None:
    EXPERIMENTS[exp.name] = exp


def get_experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        plugins.load_plugins()  # the built-in experiments register themselves (`kdviz.plugins`)
    if name not in EXPERIMENTS:
        raise ConfigError(f"unknown experiment kind {name!r}; choose from {', '.join(sorted(EXPERIMENTS))}")
    return EXPERIMENTS[name]


class Plan(NamedTuple):
    experiment: Experiment
    config: Any
    context: Any
    tasks: list[Task]


def plan_experiment(kind: str, config: Any, *, context: Any = None,
                    load: Callable[[Callable[[], Any]], Any] | None = None,
                    stage: Callable[[str], None] | None = None) -> Plan:
    """The one way from a config to its tasks (the job engine's partial tables, the worker, in-process
    runs): the experiment of `kind`; the config validated when it is a dict or its JSON (else taken as
    validated); its context loaded, unless `context` is given (``load(fn)`` runs the loading: the worker
    makes it cancellable); the tasks planned. `stage` hears "loading data" and "planning"."""
    exp = get_experiment(kind)
    if stage:
        stage("loading data")
    if isinstance(config, (str, bytes)):
        config = json.loads(config)
    if isinstance(config, dict):
        config = exp.make_config(config)
    if context is None:
        context = load(lambda: exp.load(config)) if load is not None else exp.load(config)
    if stage:
        stage("planning")
    return Plan(exp, config, context, exp.plan(config, context))


# ----------------------------------------------------------------------------------------------
# running a plan: a small dependency-aware scheduler (serial or a pool of processes)
Progress = Callable[[int, int, str], None]


def run_plan(tasks: list[Task], run_one: Callable[[Task, dict[str, Any]], Any] | None = None, *,
             submit: Callable[[Task, dict[str, Any]], Future] | None = None, jobs: int = 1,
             done: dict[str, Any] | None = None, on_result: Callable[[Task, Any], None] | None = None,
             progress: Progress | None = None, should_stop: Callable[[], bool] | None = None,
             in_flight: int | None = None) -> dict[str, Any]:
    """Execute tasks respecting dependencies; returns {key: result} for every task.

    Give `run_one(task, deps) -> result` to run serially here, or `submit(task, deps) -> Future` to
    run in parallel: tasks whose dependencies are ready are submitted (up to 2×jobs in flight), so
    every worker stays busy to the tail. `done` holds results known in advance (cache / resume):
    those tasks are not run. `on_result` is called in this process as each task finishes (to persist
    it). `should_stop` is polled between tasks (cancellation). `in_flight` caps the tasks submitted
    and not finished (default 2×jobs; a loky pool takes jobs + 1: what its call queue holds, so that
    no task waits outside it when the pool is stopped — loky's manager thread then fails on it).
    While tasks run and none finishes for `HEARTBEAT_S`, `progress` gets a heartbeat stage
    (`heartbeat_stage`: the running kinds and for how long), so long fits show they are alive.
    """
    results: dict[str, Any] = dict(done or {})
    todo = [t for t in tasks if t.key not in results]
    unique: dict[str, Task] = {}
    for t in todo:
        unique.setdefault(t.key, t)
    total, n_done = len(tasks), len(tasks) - len(todo)
    if progress:
        progress(n_done, total, "start")

    def finish(t: Task, res: Any) -> None:
        nonlocal n_done
        results[t.key] = res
        if on_result:
            on_result(t, res)
        n_done += sum(1 for x in todo if x.key == t.key)
        if progress:
            progress(n_done, total, t.kind)

    pending = list(unique.values())
    if submit is None:
        assert run_one is not None, "give run_one or submit"
        with _Heartbeat(progress, lambda: n_done, total) as beat:
            for t in pending:
                if should_stop and should_stop():
                    break
                beat.running = {t.key: (t.kind, time.monotonic())}
                res = run_one(t, {k: results[k] for k in t.deps})
                with beat.lock:
                    beat.running = {}
                    finish(t, res)
        return results

    running: dict[Future, Task] = {}
    since: dict[Future, float] = {}
    last_beat = time.monotonic()
    try:
        while pending or running:
            if should_stop and should_stop():
                break
            ready = [t for t in pending if all(k in results for k in t.deps)]
            for t in ready[: max(0, (in_flight or 2 * jobs) - len(running))]:
                pending.remove(t)
                fut = submit(t, {k: results[k] for k in t.deps})
                running[fut], since[fut] = t, time.monotonic()
            if not running:
                raise RuntimeError("no task is ready: the plan has a missing dependency")
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED, timeout=min(1.0, HEARTBEAT_S))
            for fut in finished:
                t = running.pop(fut)
                since.pop(fut, None)
                finish(t, fut.result())
            now = time.monotonic()
            if finished:
                last_beat = now
            elif progress and now - last_beat >= HEARTBEAT_S:  # long tasks: say what runs, and for how long
                last_beat = now
                progress(n_done, total, heartbeat_stage([(running[f].kind, since[f]) for f in running
                                                         if not f.done()][:jobs], now))
    finally:
        for fut in running:
            fut.cancel()
    return results


#: seconds without a finished task after which `run_plan` reports the running ones (a heartbeat)
HEARTBEAT_S = 5.0


def heartbeat_stage(running: list[tuple[str, float]], now: float) -> str:
    """The stage a heartbeat reports: the kinds of the running tasks and the longest one's time so
    far, e.g. ``teacher ×2 running 45 s`` (never a bare kind: see `is_heartbeat`)."""
    if not running:
        return "waiting 0 s"
    kinds = [k for k, _ in running]
    text = ", ".join(f"{k} ×{kinds.count(k)}" if kinds.count(k) > 1 else k for k in dict.fromkeys(kinds))
    return f"{text} running {now - min(t for _, t in running):.0f} s"


def is_heartbeat(stage: str) -> bool:
    """Whether a progress stage is a heartbeat of long tasks (not the kind of a finished task)."""
    return " running " in stage or stage.startswith("waiting ")


class _Heartbeat:
    """Serial runs: a thread that reports the running task every `HEARTBEAT_S` while it runs."""

    def __init__(self, progress: Progress | None, done: Callable[[], int], total: int):
        self.progress, self.done, self.total = progress, done, total
        self.running: dict[str, tuple[str, float]] = {}
        self.lock = threading.Lock()
        self._stop = threading.Event()

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            with self.lock:
                running = list(self.running.values())
                if running and self.progress and time.monotonic() - running[0][1] >= HEARTBEAT_S:
                    self.progress(self.done(), self.total, heartbeat_stage(running, time.monotonic()))

    def __enter__(self) -> _Heartbeat:
        if self.progress is not None:
            threading.Thread(target=self._run, name="kdviz-heartbeat", daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()


def run_task_safely(exp: Experiment, task: Task, config: Any, context: Any, deps: dict[str, Any]) -> Any:
    """Run one task; any failure becomes a `TaskError` naming the task and the cause."""
    try:
        return exp.execute(task, config, context, deps)
    except KdvizError as e:
        raise TaskError(f"{task.describe()} failed: {e}") from None
    except Exception as e:  # a library error deep inside a fit: name the task and the cause
        raise TaskError(f"{task.describe()} failed: {type(e).__name__}: {e}") from e


def _pool_run_safely(kind: str, config_json: str, context: Any, task: Task, deps: dict[str, Any]) -> Any:
    exp = get_experiment(kind)
    return run_task_safely(exp, task, exp.make_config(json.loads(config_json)), context, deps)


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


#: seconds an idle pool process stays up (warm between jobs: imports done)
POOL_IDLE_S = 300


def exit_with_parent(parent: int) -> None:
    """Pool-process initializer: exit within a second once the process that started this one is gone
    (kill -9 included), so no orphan keeps computing a task nobody will store."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="kdviz-parent-watch", daemon=True).start()


def local_pool(jobs: int) -> Any:
    """The reusable pool of `jobs` worker processes on this machine (loky): the one pool of kdviz, which
    in-process runs (`run_experiment`) and the job worker's `LocalExecutor` both submit to. Its
    processes stay warm `POOL_IDLE_S` and exit with this process. (loky keeps one such pool per process
    and replaces it when asked for a different one: every caller asks with the same settings.)"""
    from joblib.externals.loky import get_reusable_executor

    return get_reusable_executor(max_workers=jobs, timeout=POOL_IDLE_S, initializer=exit_with_parent,
                                 initargs=(os.getpid(),))


def local_submitter(kind: str, config: Any, context: Any, jobs: int, pool: Any = None
                    ) -> Callable[[Task, dict[str, Any]], Future]:
    """A `submit` for `run_plan` backed by a reusable pool of `jobs` worker processes (loky)."""
    pool = pool if pool is not None else local_pool(jobs)
    cfg = config.model_dump_json()
    return lambda t, d: pool.submit(_pool_run_safely, kind, cfg, context, t, d)


def stop_pool(pool: Any) -> None:
    """Stop a pool now (Ctrl-C, a failed task): its processes are killed and its queues closed, so
    nothing keeps computing and no semaphore is left for the resource tracker to warn about."""
    try:
        pool.shutdown(wait=True, kill_workers=True)
    except Exception:  # already broken: nothing left to stop
        pass


def run_experiment(kind: str, config: Any, *, jobs: int | None = None, progress: Progress | None = None,
                   context: Any = None) -> pd.DataFrame:
    """Plan and run a whole experiment in this process (plus a pool of workers); return the table."""
    exp, config, ctx, tasks = plan_experiment(kind, config, context=context)
    jobs = default_jobs() if jobs is None else max(1, jobs)
    if jobs <= 1:
        results = run_plan(tasks, lambda t, d: run_task_safely(exp, t, config, ctx, d), progress=progress)
    else:
        pool = local_pool(jobs)
        try:
            results = run_plan(tasks, submit=local_submitter(kind, config, ctx, jobs, pool), jobs=jobs,
                               progress=progress, in_flight=jobs + 1)
        except BaseException:  # Ctrl-C or a failed task: stop the running tasks cleanly
            stop_pool(pool)
            raise
    return exp.assemble(config, ctx, tasks, results)


