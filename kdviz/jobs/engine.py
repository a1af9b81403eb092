"""The job engine's public API: submit, watch, cancel, resume, delete, read results; start workers.

Everything here is cheap and never blocks on a running job, so a Streamlit page may call it on every
rerun. Work happens in worker processes (`python -m kdviz.jobs.worker`) started on demand with
`subprocess` — a bounded number at once (default: the number of cores); the rest of the jobs queue.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd

from kdviz.errors import ConfigError, KdvizError
from kdviz.experiments import get_experiment, plan_experiment
from kdviz.jobs.executors import EXECUTORS
from kdviz.jobs.labels import clean_name, clean_tags, set_label
from kdviz.jobs.owners import SERVER, SERVER_OWNER, Actor, PermissionDenied, check_manage, may_see
from kdviz.jobs.queue import CAP_SETTING, queue_info, queue_order, stored_limit
from kdviz.jobs.records import ACTIVE, JobRecord, Status
from kdviz.jobs.store import Store, open_store
from kdviz.jobs.store_owners import set_setting, set_shared
from kdviz.plugins import load_plugins
from kdviz.runtime.cache import SingleFlightCache

Home = str | os.PathLike | None


def _store(home: Home) -> Store:
    return open_store(home)


def normalize_config(kind: str, config: Any) -> tuple[Any, str]:
    """Validate `config` (a dict or a config object) for experiment `kind`: (config, canonical JSON)."""
    load_plugins()
    exp = get_experiment(kind)
    if hasattr(config, "model_dump"):
        values = config.model_dump(mode="json")
    elif isinstance(config, dict):
        values = config
    else:
        raise ConfigError(f"a job's config must be a dict or a config object, got {type(config).__name__}")
    cfg = exp.make_config(values)
    text = cfg.model_dump_json() if hasattr(cfg, "model_dump_json") else json.dumps(values, sort_keys=True)
    return cfg, text


def config_digest(kind: str, config_json: str) -> str:
    """The digest of a job's (kind, canonical config JSON): equal configs, equal digests."""
    return hashlib.sha256(f"{kind}\n{config_json}".encode()).hexdigest()[:16]


def submit(kind: str, config: Any, *, home: Home = None, start_worker: bool = True,
           executor: str | None = None, actor: Actor = SERVER, name: str | None = None,
           tags: Any = None) -> str:
    """Queue a job (experiment `kind`, e.g. "sweep", with `config`) for `actor`; return its id at once.

    The config is validated now (a `ConfigError` names the bad field). `executor` is "local"
    (default, or ``$KDVIZ_EXECUTOR``) or "ray". With `start_worker`, a worker is started if needed.
    A student (an actor who is not the instructor) has at most `student_limit` runs queued or running:
    one more is refused with `QueueFull`. `name` and `tags` label the run (`kdviz.jobs.labels`; checked
    before anything is queued).
    """
    _, text = normalize_config(kind, config)
    labelled = bool(name) or bool(tags)
    name, tags = clean_name(name), clean_tags(tags)
    executor = executor or os.environ.get("KDVIZ_EXECUTOR") or "local"
    if executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {executor!r}; choose from {', '.join(EXECUTORS)}")
    store = _store(home)
    cap = None if actor.instructor else student_limit(home=home)
    job_id = store.add_job(kind, text, config_digest(kind, text), executor, owner=actor.owner, cap=cap)
    if labelled:
        set_label(store, job_id, name, tags)
    if start_worker:
        ensure_workers(home)
    return job_id


STALLED_AFTER = 10.0  # seconds a queued job may wait with no live worker before one is started


def _checked_store(home: Home) -> Store:
    """The store after a health check: jobs of dead workers become `interrupted`, and a job queued
    for a while with no live worker (every worker died: reboot, out-of-memory kill, kill -9) gets one."""
    store = _store(home)
    store.reap()
    if store.has_queued(created_before=time.time() - STALLED_AFTER) and not store.live_workers():
        ensure_workers(home)
    return store


def get_job(job_id: str, *, home: Home = None) -> JobRecord:
    """The job's current record (id or unique id prefix); a dead worker shows as `interrupted`."""
    return _checked_store(home).get_job(job_id)


def list_jobs(*, home: Home = None, status: str | list[str] | None = None, limit: int | None = None,
              actor: Actor = SERVER) -> list[JobRecord]:
    """The jobs `actor` sees, newest first (optionally only those with `status`): all of them for the
    instructor, a student's own and the shared ones for a student."""
    jobs = _checked_store(home).list_jobs(status, None if not actor.instructor else limit)
    if not actor.instructor:
        jobs = [j for j in jobs if may_see(actor, j.owner or SERVER_OWNER, j.shared)][:limit or None]
    return jobs


def share(job_id: str, shared: bool = True, *, home: Home = None, actor: Actor = SERVER) -> JobRecord:
    """Share a run with the class (or stop sharing it): the instructor only."""
    store = _store(home)
    if not actor.instructor:
        raise PermissionDenied("only the instructor shares runs with the class")
    return set_shared(store, job_id, shared)


def student_limit(*, home: Home = None) -> int:
    """Runs a student may have queued or running: the instructor's setting, else ``$KDVIZ_STUDENT_CAP`` or 2."""
    return stored_limit(_store(home))


def set_student_limit(limit: int, *, home: Home = None, actor: Actor = SERVER) -> int:
    """Set how many runs a student may have queued or running (the instructor only); returns it."""
    if not actor.instructor:
        raise PermissionDenied("only the instructor sets the per-student limit")
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise ConfigError(f"the per-student limit must be a whole number, got {limit!r}") from None
    if not 1 <= limit <= 100:
        raise ConfigError(f"the per-student limit must be between 1 and 100, got {limit}")
    set_setting(_store(home), CAP_SETTING, str(limit))
    return limit


def queue_places(*, home: Home = None) -> dict[str, tuple[int, float | None]]:
    """Every queued job's (place in the fair queue, estimated seconds until it finishes)."""
    store = _checked_store(home)
    order = queue_order(store)
    if not order:
        return {}
    jobs = store.list_jobs((Status.QUEUED, Status.RUNNING)) + store.list_jobs(Status.DONE, limit=20)
    return queue_info(jobs, order, workers=max_workers(),
                      costs={j.id: _estimated_fits(j.kind, j.config) for j in jobs if j.status == Status.QUEUED})


def _estimated_fits(kind: str, config: dict) -> float | None:
    """A queued job's cost in model fits, from its config (`SweepConfig.estimated_fits`); None if unknown."""
    try:
        cfg, _ = normalize_config(kind, config)
        return float(cfg.estimated_fits()) if hasattr(cfg, "estimated_fits") else None
    except Exception:  # noqa: BLE001 — only an estimate: a config that no longer loads has none
        return None


def find_run(kind: str, config: Any, *, home: Home = None,
             status: str | tuple[str, ...] | None = (Status.DONE, *ACTIVE)) -> JobRecord | None:
    """The newest job of experiment `kind` with this very config (a dict or a config object, compared
    after validation, as `submit` stores it) and one of the statuses `status` (default: done, running
    or queued; None: any); None if there is none. An indexed look-up by the config's digest."""
    _, text = normalize_config(kind, config)
    return _checked_store(home).find_by_digest(kind, config_digest(kind, text), status)


def rename(job_id: str, name: str | None = None, tags: Any = None, *, home: Home = None,
           actor: Actor = SERVER) -> JobRecord:
    """Set a run's name and tags (both replaced; a bad one raises `ConfigError` and changes nothing).
    Only the job's owner or the instructor may (`PermissionDenied` otherwise)."""
    store = _store(home)
    jid = _allowed(store, job_id, actor, "rename")
    set_label(store, jid, name, tags)
    return store.get_job(jid)


def _allowed(store: Store, job_id: str, actor: Actor, action: str) -> str:
    """The job's full id if `actor` may `action` it (its owner or the instructor); else `PermissionDenied`."""
    job = store.get_job(job_id)
    check_manage(actor, job.owner or SERVER_OWNER, action, job.id)
    return job.id


def cancel(job_id: str, *, home: Home = None, actor: Actor = SERVER) -> JobRecord:
    """Cancel a job: queued/interrupted ones at once, a running one within about a second (its
    running tasks are killed). Finished tasks stay stored, so `resume` continues from there.
    Only the job's owner or the instructor may (`PermissionDenied` otherwise)."""
    store = _store(home)
    store.reap()
    return store.request_cancel(_allowed(store, job_id, actor, "cancel"))


def resume(job_id: str, *, home: Home = None, start_worker: bool = True, actor: Actor = SERVER) -> JobRecord:
    """Queue an interrupted, cancelled or failed job again; only its missing tasks are computed.
    Only the job's owner or the instructor may (`PermissionDenied` otherwise)."""
    store = _store(home)
    store.reap()
    job = store.requeue(_allowed(store, job_id, actor, "resume"))
    if start_worker and job.status == Status.QUEUED:
        ensure_workers(home)
    return job


def delete(job_id: str, *, home: Home = None, actor: Actor = SERVER) -> None:
    """Forget a job (a running one is stopped). Its task results stay in the shared cache.
    Only the job's owner or the instructor may (`PermissionDenied` otherwise)."""
    store = _store(home)
    jid = _allowed(store, job_id, actor, "delete")
    store.request_cancel(jid)
    store.delete_job(jid)


def wait(job_id: str, *, home: Home = None, timeout: float | None = None, poll: float = 0.2,
         on_update: Any = None) -> JobRecord:
    """Block until the job is no longer queued or running (or `timeout` seconds pass); return it."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        job = get_job(job_id, home=home)
        if on_update is not None:
            on_update(job)
        if not job.active or (deadline is not None and time.monotonic() >= deadline):
            return job
        if job.status == Status.QUEUED and not _store(home).live_workers():
            ensure_workers(home)
        time.sleep(poll)


# ----------------------------------------------------------------------------------------------
# results
#: (experiment, config, context, plan) per job config, for partial tables: the data is loaded once per
#: config, not on every read. Each entry holds a dataset, so few are kept; enough for a page that
#: watches several running jobs at once (the Theory page runs four), and single-flight, so sessions
#: reading the same new job together load its data once.
PLAN_CACHE_SIZE = 6
_PLANS = SingleFlightCache(maxsize=PLAN_CACHE_SIZE)


def _load_plan(kind: str, config_json: str) -> tuple[Any, Any, Any, list]:
    load_plugins()
    return plan_experiment(kind, config_json)


def _planned(kind: str, config_json: str) -> tuple[Any, Any, Any, list]:
    """(experiment, config, context, tasks) of a job config, computed once per config (bounded cache)."""
    return _PLANS.get((kind, config_json), lambda: _load_plan(kind, config_json))


_RESULTS: dict[str, Any] = {}  # task results read so far (immutable by content key)
_RESULTS_MAX = 50_000


def job_results(job_id: str, *, home: Home = None) -> pd.DataFrame:
    """The job's results table — complete when it is done, else assembled from the tasks stored so
    far (partial tables are fine to plot while it runs)."""
    store = _store(home)
    jid = store.resolve_id(job_id)
    table = store.job_table(jid)
    if table is not None:
        return table
    kind, config_json, _ = store.job_config(jid)
    exp, config, ctx, tasks = _planned(kind, config_json)
    keys = [t.key for t in tasks]
    missing = [k for k in dict.fromkeys(keys) if k not in _RESULTS]
    if missing:
        if len(_RESULTS) > _RESULTS_MAX:
            _RESULTS.clear()
        _RESULTS.update(store.get_results(missing))
    results = {k: _RESULTS[k] for k in keys if k in _RESULTS}
    return exp.assemble(config, ctx, tasks, results)


# ----------------------------------------------------------------------------------------------
# workers
_CHILDREN: list[subprocess.Popen] = []
_SPAWN_LOCK = threading.Lock()


def max_workers() -> int:
    return max(1, int(os.environ.get("KDVIZ_MAX_WORKERS", 0)) or os.cpu_count() or 1)


def idle_exit_s() -> float:
    """How long an on-demand worker stays warm (imports done, processes started) waiting for the next job."""
    return float(os.environ.get("KDVIZ_WORKER_IDLE_EXIT", "30"))


def worker_command(home: Path, worker_id: str | None = None, idle_exit: float | None = None) -> list[str]:
    idle_exit = idle_exit_s() if idle_exit is None else idle_exit
    cmd = [sys.executable, "-m", "kdviz.jobs.worker", "--home", str(home), "--idle-exit", str(idle_exit)]
    return cmd + (["--worker-id", worker_id] if worker_id else [])


def _worker_env(home: Path) -> dict[str, str]:
    env = dict(os.environ, KDVIZ_HOME=str(home))
    root = str(Path(__file__).resolve().parents[2])  # so `-m kdviz...` works from any directory
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def ensure_workers(home: Home = None, *, limit: int | None = None, min_idle: int = 0) -> list[int]:
    """Start worker processes for queued jobs, up to `limit` live workers (default: the number of
    cores, or ``$KDVIZ_MAX_WORKERS``). Returns the pids started. Safe to call from many threads and
    processes at once: the count and the reservation happen in one store transaction.

    `min_idle=1` also keeps one idle worker warm (e.g. when the dashboard opens), so that the next
    submission starts in a fraction of a second instead of paying for imports and process start-up.
    Idle workers exit after ``$KDVIZ_WORKER_IDLE_EXIT`` seconds (default 30)."""
    store = _store(home)
    bound = limit or max_workers()
    with _SPAWN_LOCK:
        for child in list(_CHILDREN):  # reap our exited workers (no zombies in a long-lived app)
            if child.poll() is not None:
                _CHILDREN.remove(child)
        store.reap()
        ids = store.reserve_workers(bound, min_idle)
        pids = []
        logs = store.home / "logs"
        for wid in ids:
            try:
                logs.mkdir(exist_ok=True)
                with open(logs / f"worker-{wid}.log", "ab") as log:
                    child = subprocess.Popen(worker_command(store.home, wid), stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=subprocess.STDOUT, env=_worker_env(store.home),
                                             start_new_session=True, close_fds=True)
            except OSError as e:
                store.remove_worker(wid)
                raise KdvizError(f"cannot start a kdviz worker process: {e.strerror or e}") from None
            _CHILDREN.append(child)
            store.set_worker_pid(wid, child.pid)
            pids.append(child.pid)
        return pids


def stop_workers(*, home: Home = None, timeout: float = 5.0) -> None:
    """Terminate the workers this process started (their running jobs become `interrupted`)."""
    del home
    for child in list(_CHILDREN):
        if child.poll() is None:
            child.terminate()
    for child in list(_CHILDREN):
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        _CHILDREN.remove(child)
