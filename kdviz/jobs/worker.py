"""A worker process: claims queued jobs one at a time and runs them, storing every result as it finishes.

    python -m kdviz.jobs.worker [--home DIR] [--jobs N] [--idle-exit SECONDS | --forever]

For each job: ``exp = get_experiment(kind)``, load the context, plan the tasks, and `run_plan` them with
the results already in the store as ``done`` (cache / resume). Every task to compute is first claimed
in the store (per-task claim rows), so two workers never compute the same task at once: a task
claimed by another live worker is awaited until its result appears in the store. A monitor thread
keeps the heartbeat, watches for cancellation and resolves those awaited tasks.
"""

from __future__ import annotations

import argparse
import os
import pickle
import signal
import sys
import threading
import time
import traceback
import uuid
from concurrent.futures import Future
from typing import Any

from kdviz import plugins
from kdviz.errors import KdvizError
from kdviz.experiments import Task, get_experiment, is_heartbeat, plan_experiment, run_plan
from kdviz.jobs.executors import (
    EXECUTORS,
    Executor,
    make_executor,
    readable_error,
)
from kdviz.jobs.queue import CostModel
from kdviz.jobs.records import JobRecord, Status, is_dead
from kdviz.jobs.store import Store, open_store
from kdviz.plugins import load_plugins, plugin_modules

HEARTBEAT_S = 1.0  # heartbeat period
POLL_S = 0.1  # cancel checks and awaited-task polling


class _Stop(Exception):
    pass


class Worker:
    """Runs queued jobs until none is left for `idle_exit` seconds (never exits if `idle_exit` < 0)."""

    def __init__(self, store: Store, *, worker_id: str | None = None, jobs: int | None = None,
                 idle_exit: float = 2.0, executor: str | None = None, plugins: tuple[str, ...] | None = None):
        self.store = store
        self.id = worker_id or f"w-{uuid.uuid4().hex[:10]}"
        self.jobs = jobs
        self.idle_exit = idle_exit
        self.force_executor = executor
        self.plugins = plugin_modules() if plugins is None else tuple(plugins)
        self._executors: dict[str, Executor] = {}
        self._lock = threading.Lock()
        self._job: str | None = None
        self._current: Executor | None = None
        self._state = "ok"  # ok | cancel | lost (for the current job)
        self._waiting: dict[str, tuple[Future, Task, dict[str, Any]]] = {}
        self._mine: set[str] = set()
        self._pending: list[tuple[str, str, bytes]] = []
        self._cost: CostModel | None = None  # the run's tasks weighted by cost (progress and ETA)
        self._rebased = False  # the ETA's baseline moved to the first finished task of this run
        self._submit_base: Any = None
        self._closing = threading.Event()
        self._wake = threading.Event()

    # -- main loop ----------------------------------------------------------------------------------
    def run(self, job_id: str | None = None) -> int:
        """Run jobs (only `job_id` if given); returns the number of jobs run."""
        load_plugins(self.plugins)
        self.store.register_worker(self.id, os.getpid())
        monitor = threading.Thread(target=self._monitor, name="kdviz-monitor", daemon=True)
        monitor.start()
        n = 0
        try:
            if job_id is None and not self.store.has_queued():
                self._prewarm()
            idle_since = time.monotonic()
            while True:
                try:
                    self.store.reap()
                    job = self.store.claim_job(self.id, job_id)
                except KdvizError as e:  # a busy or briefly unavailable store: try again
                    print(f"kdviz worker: {e}", file=sys.stderr)
                    time.sleep(1.0)
                    continue
                if job is not None:
                    self._run_job(job)
                    n += 1
                    idle_since = time.monotonic()
                    if job_id:
                        break
                    continue
                if job_id or (self.idle_exit >= 0 and time.monotonic() - idle_since >= self.idle_exit
                              and self.store.retire_worker(self.id)):
                    break
                time.sleep(0.1)
        finally:
            self._closing.set()
            monitor.join(timeout=2)
            for ex in self._executors.values():
                try:
                    ex.close()
                except Exception:  # best effort at exit
                    pass
            try:
                self.store.remove_worker(self.id)
            except KdvizError:
                pass
        return n

    def _prewarm(self) -> None:
        """A spare worker (nothing queued yet): import the sweep and start the pool in advance."""
        try:
            get_experiment("sweep")
            self._executor("local").warm("sweep", self.plugins)
        except Exception:  # warming is an optimisation only
            traceback.print_exc(file=sys.stderr)

    def _executor(self, name: str) -> Executor:
        name = self.force_executor or name
        if name not in self._executors:
            self._executors[name] = make_executor(name, self.jobs)
        return self._executors[name]

    # -- one job ------------------------------------------------------------------------------------
    def _stage(self, job: JobRecord, stage: str) -> None:
        self.store.update_job(job.id, self.id, stage=stage)

    def _run_job(self, job: JobRecord) -> None:
        with self._lock:
            self._job, self._state = job.id, "ok"
            self._waiting, self._mine, self._pending = {}, set(), []
            self._cost, self._rebased = None, False
        executor: Executor | None = None
        try:
            kind, config_json, ex_name = self.store.job_config(job.id)
            get_experiment(kind)  # an unknown kind fails before any pool starts
            executor = self._current = self._executor(ex_name)
            executor.warm(kind, self.plugins)  # pool processes start while the data loads
            exp, config, ctx, tasks = plan_experiment(  # a large CSV can take seconds to load: cancellable
                kind, config_json, load=self._cancellable, stage=lambda s: self._stage(job, s))
            done = self.store.get_results(t.key for t in tasks)
            self._cost = CostModel(tasks, config, done, slots=executor.jobs)
            self._check()
            self._submit_base = executor.submitter(kind, config_json, ctx, self.plugins)
            results = run_plan(tasks, submit=self._submit, jobs=executor.jobs, done=done,
                               in_flight=getattr(executor, "in_flight", None),
                               on_result=self._on_result, progress=lambda d, t, s: self._progress(job, d, t, s),
                               should_stop=lambda: self._state != "ok")
            self._check()
            self._stage(job, "assembling")
            table = exp.assemble(config, ctx, tasks, results)
            self._check()
            self.store.finish_job(job.id, self.id, Status.DONE, table=table)
        except (KeyboardInterrupt, SystemExit):
            if executor is not None:
                executor.kill()
            self._flush(job)
            self.store.finish_job(job.id, self.id, Status.INTERRUPTED,
                                  error="the worker was stopped; resume the job to compute the missing tasks")
            raise
        except BaseException as e:  # a task failed, or loading / planning / assembling did
            if executor is not None:
                executor.kill()
            if isinstance(e, _Stop) or self._state != "ok":  # cancelled (tasks killed) or job deleted
                if self._state == "cancel":
                    self._flush(job)
                    self.store.finish_job(job.id, self.id, Status.CANCELLED)
                return
            if not isinstance(getattr(e, "cause", e), KdvizError):
                traceback.print_exc(file=sys.stderr)  # the worker log keeps the details
            self._flush(job)
            self.store.finish_job(job.id, self.id, Status.FAILED, error=readable_error(e))
        finally:
            with self._lock:
                self._job = self._current = None
                for fut, _, _ in self._waiting.values():
                    fut.cancel()
                self._waiting.clear()
                self._submit_base = None
            self.store.release_claims(self.id)

    def _check(self) -> None:
        if self._state != "ok":
            raise _Stop()

    def _cancellable(self, fn: Any) -> Any:
        """Run `fn` on a helper thread, checking for cancellation every 0.1 s meanwhile; a cancelled
        job is left at once (the helper thread finishes on its own and its result is dropped)."""
        fut: Future = Future()

        def run() -> None:
            try:
                fut.set_result(fn())
            except BaseException as e:  # handed to the job's own error handling below
                fut.set_exception(e)

        threading.Thread(target=run, name="kdviz-load", daemon=True).start()
        while True:
            try:
                result = fut.result(timeout=0.1)
            except TimeoutError:
                self._check()
                continue
            self._check()
            return result

    def _submit(self, task: Task, deps: dict[str, Any]) -> Future:
        """Compute `task` if this worker wins its claim; otherwise wait for whoever computes it."""
        state = self.store.try_claim(task.key, self.id, self._job)
        if state == "mine":
            with self._lock:
                self._mine.add(task.key)
            if self._cost is not None:
                self._cost.submitted(task.key, time.monotonic())
            return self._submit_base(task, deps)
        fut: Future = Future()
        if state == "done":
            fut.set_result(self.store.get_results([task.key])[task.key])
        else:
            with self._lock:
                self._waiting[task.key] = (fut, task, deps)
            self._wake.set()
        return fut

    def _on_result(self, task: Task, result: Any) -> None:
        if self._cost is not None:
            self._cost.finished(task.key, time.monotonic())  # (each key counted once)
        if task.key in self._mine:
            self._pending.append((task.key, task.kind, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)))

    def _progress(self, job: JobRecord, done: int, total: int, stage: str) -> None:
        pending, self._pending = self._pending, []
        label = ("running" if stage == "start" else stage if is_heartbeat(stage)
                 else f"running {stage} tasks")
        # the ETA's pace is measured from the first finished task on: the pool's start-up (seconds on a
        # loaded machine) is no model fit, and would inflate every later estimate
        first = stage != "start" and not is_heartbeat(stage) and not self._rebased  # (a heartbeat: none yet)
        self._rebased = self._rebased or first
        start = stage == "start" or first
        if start and self._cost is not None:
            self._cost.rebase()
        cost = self._cost.snapshot() if self._cost is not None else None
        self.store.progress(job.id, self.id, done, total, label, pending, start=start, cost=cost)

    def _flush(self, job: JobRecord) -> None:
        """Store results received but not yet written (they would be lost otherwise)."""
        pending, self._pending = self._pending, []
        for key, kind, blob in pending:
            self.store.put_result(key, kind, pickle.loads(blob), job.id)

    # -- monitor thread: heartbeat, cancellation, awaited tasks -------------------------------------
    def _monitor(self) -> None:
        last_beat = 0.0
        while not self._closing.is_set():
            try:
                job = self._job
                now = time.monotonic()
                if now - last_beat >= HEARTBEAT_S:
                    self.store.heartbeat(self.id, job)
                    last_beat = now
                if job is not None:
                    state = self.store.job_state(job, self.id)
                    if state != "ok" and self._job == job and self._state == "ok":
                        self._state = state
                        current = self._current
                        if current is not None:
                            current.kill()  # running (even stuck) tasks stop now; run_plan returns at once
                    self._poll_waiting()
            except KdvizError as e:  # a busy store: try again at the next tick
                print(f"kdviz worker {self.id}: {e}", file=sys.stderr)
            except Exception:
                traceback.print_exc(file=sys.stderr)
            self._wake.wait(POLL_S)
            self._wake.clear()

    def _poll_waiting(self) -> None:
        with self._lock:
            job, waiting = self._job, dict(self._waiting)
        if not waiting:
            return
        found = self.store.get_results(waiting)
        for key, value in found.items():
            with self._lock:
                entry = self._waiting.pop(key, None)
            if entry is not None:
                entry[0].set_result(value)
        claims = self.store.claims([k for k in waiting if k not in found])
        for key in waiting:
            if key in found:
                continue
            claim = claims.get(key)
            if claim is not None and claim[0] != self.id:
                if not is_dead(claim[1], claim[2], claim[3]):
                    continue  # its owner is alive and computing it
            with self._lock:  # the job's end (which releases our claims) cannot slip in between
                if self._job != job:
                    return
                state = self.store.try_claim(key, self.id, job)  # free or abandoned: take it over
                entry = self._waiting.pop(key, None) if state != "other" else None
                if entry is not None and state == "mine":
                    self._mine.add(key)
                submit = self._submit_base
            if entry is None:
                continue
            fut, task, deps = entry
            if state == "done":
                fut.set_result(self.store.get_results([key])[key])
            elif submit is not None:
                _chain(submit(task, deps), fut)


def _chain(source: Future, target: Future) -> None:
    def copy(f: Future) -> None:
        if target.cancelled():
            return
        if f.cancelled():
            target.cancel()
        elif f.exception() is not None:
            target.set_exception(f.exception())
        else:
            target.set_result(f.result())
    source.add_done_callback(copy)


def _sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def add_worker_arguments(p: argparse.ArgumentParser) -> None:
    """The worker's options (``python -m kdviz.jobs.worker`` and ``kdviz worker`` share them)."""
    p.add_argument("--home", default=None, help="kdviz data directory (default: $KDVIZ_HOME or ~/.kdviz)")
    p.add_argument("--jobs", type=int, default=None, help="task processes (default: all cores)")
    p.add_argument("--executor", choices=list(EXECUTORS), default=None, help="override each job's executor")
    p.add_argument("--idle-exit", type=float, default=2.0, help="seconds idle before exiting (default 2)")
    p.add_argument("--forever", action="store_true", help="keep waiting for jobs (default: exit when idle)")
    p.add_argument("--job", default=None, help="run only this job")
    p.add_argument("--worker-id", default=None, help="this worker's id (given by the process that started it)")


def worker_from_args(args: argparse.Namespace, jobs: int | None = None) -> Worker:
    """The worker the options of `add_worker_arguments` describe (`jobs` overrides ``--jobs``)."""
    return Worker(open_store(args.home), worker_id=args.worker_id, jobs=jobs or args.jobs, executor=args.executor,
                  idle_exit=-1 if args.forever else args.idle_exit)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kdviz.jobs.worker", description="Run queued kdviz jobs.")
    add_worker_arguments(p)
    args = p.parse_args(argv)
    plugins.load_plugins()  # torch teachers/students and built-in experiments
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        worker_from_args(args).run(args.job)
    except KdvizError as e:
        print(f"kdviz worker: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
