"""Where tasks run: a local process pool (default) or a Ray cluster, behind one small interface.

An executor turns (experiment kind, config JSON, context) into a `submit(task, deps) -> Future`
for `kdviz.experiments.run_plan`, and can `kill()` whatever is running (cancel, stuck tasks).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

from kdviz.errors import ConfigError, KdvizError
from kdviz.experiments import Task, default_jobs, get_experiment, local_pool, run_task_safely
from kdviz.plugins import load_plugins

EXECUTORS = ("local", "ray")

Submit = Callable[[Task, dict[str, Any]], Future]


def run_task(kind: str, config_json: str, context: Any, task: Task, deps: dict[str, Any],
             plugins: tuple[str, ...] = ()) -> Any:
    """Run one task in a pool or cluster process; failures become a readable `TaskError`."""
    import json

    load_plugins(plugins)
    exp = get_experiment(kind)
    return run_task_safely(exp, task, exp.make_config(json.loads(config_json)), context, deps)


def warm_up(kind: str, plugins: tuple[str, ...] = ()) -> None:
    """Import what a task of `kind` needs (run in pool processes while the worker plans)."""
    load_plugins(plugins)
    get_experiment(kind)


def readable_error(e: BaseException) -> str:
    """The message a user should read for a failure (unwrapping Ray's wrapper; no traceback)."""
    cause = getattr(e, "cause", None)  # ray.exceptions.RayTaskError keeps the original exception
    if isinstance(cause, BaseException):
        e = cause
    if isinstance(e, KdvizError):
        return str(e)
    name = type(e).__name__
    if name in ("TerminatedWorkerError", "BrokenProcessPool", "WorkerCrashedError", "BrokenExecutor"):
        return (f"a task process died unexpectedly ({name}), e.g. killed for lack of memory; "
                "use smaller data or fewer parallel jobs, then resume the job")
    text = str(e).strip().splitlines()
    return f"{name}: {text[0] if text else ''}".rstrip(": ")


class Executor(Protocol):
    name: str
    jobs: int  # how many tasks run at once (run_plan keeps about 2×jobs in flight)

    def submitter(self, kind: str, config_json: str, context: Any, plugins: tuple[str, ...] = ()) -> Submit: ...

    def warm(self, kind: str, plugins: tuple[str, ...] = ()) -> None: ...  # start processes early

    def kill(self) -> None: ...  # stop every running task now

    def close(self) -> None: ...


class LocalExecutor:
    """The reusable pool of `jobs` processes on this machine (`kdviz.experiments.local_pool`, as in-process
    runs use)."""

    name = "local"

    def __init__(self, jobs: int | None = None):
        self.jobs = max(1, jobs or int(os.environ.get("KDVIZ_WORKER_JOBS", 0)) or default_jobs())
        self.in_flight = self.jobs + 1  # what loky's call queue holds (see `run_plan`)
        self._pool: Any = None

    def _get_pool(self) -> Any:
        if self._pool is None:
            self._pool = local_pool(self.jobs)
        return self._pool

    def warm(self, kind: str, plugins: tuple[str, ...] = ()) -> None:
        pool = self._get_pool()
        for _ in range(self.jobs):
            pool.submit(warm_up, kind, plugins)

    def submitter(self, kind: str, config_json: str, context: Any, plugins: tuple[str, ...] = ()) -> Submit:
        def submit(task: Task, deps: dict[str, Any]) -> Future:
            return self._get_pool().submit(run_task, kind, config_json, context, task, deps, plugins)
        return submit

    def kill(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, kill_workers=True)  # killed at once; waiting releases its semaphores

    def close(self) -> None:
        self.kill()


def ray_address() -> str | None:
    return os.environ.get("KDVIZ_RAY_ADDRESS") or None


class RayExecutor:
    """Tasks as Ray remote functions: on the cluster at `address` (or ``$KDVIZ_RAY_ADDRESS``), or on
    a local Ray instance (``num_cpus`` CPUs, no dashboard) started here and shut down by `close()`.
    Workers on a cluster must be able to import kdviz (install it on every node)."""

    name = "ray"

    def __init__(self, address: str | None = None, jobs: int | None = None, num_cpus: int | None = None):
        try:
            import ray
        except ImportError:
            raise ConfigError("the Ray executor needs Ray: pip install -r requirements-ray.txt") from None
        self._ray = ray
        self._owns = False
        if not ray.is_initialized():
            address = address or ray_address()
            try:
                if address:
                    ray.init(address=address, log_to_driver=False)
                else:
                    cpus = num_cpus or int(os.environ.get("KDVIZ_RAY_NUM_CPUS", 0)) or min(2, default_jobs())
                    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise KdvizError(f"cannot start or reach Ray{f' at {address}' if address else ''}: {e}") from None
            self._owns = True
        self.jobs = max(1, jobs or int(ray.cluster_resources().get("CPU", 1)))
        self._remote = ray.remote(max_retries=0)(run_task)
        self._running: dict[Future, Any] = {}

    def warm(self, kind: str, plugins: tuple[str, ...] = ()) -> None:
        pass

    def submitter(self, kind: str, config_json: str, context: Any, plugins: tuple[str, ...] = ()) -> Submit:
        ctx_ref = self._ray.put(context)  # shipped once, not with every task

        def submit(task: Task, deps: dict[str, Any]) -> Future:
            ref = self._remote.remote(kind, config_json, ctx_ref, task, deps, plugins)
            fut = ref.future()
            self._running[fut] = ref
            fut.add_done_callback(lambda f: self._running.pop(f, None))
            return fut
        return submit

    def kill(self) -> None:
        for ref in list(self._running.values()):
            try:
                self._ray.cancel(ref, force=True)
            except Exception:  # already finished
                pass
        self._running.clear()

    def close(self) -> None:
        self.kill()
        if self._owns and self._ray.is_initialized():
            self._ray.shutdown()
            self._owns = False


def make_executor(name: str, jobs: int | None = None) -> Executor:
    if name == "local":
        return LocalExecutor(jobs)
    if name == "ray":
        return RayExecutor(jobs=jobs)
    raise ConfigError(f"unknown executor {name!r}; choose from {', '.join(EXECUTORS)}")
