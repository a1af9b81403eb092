"""Background runs as the pages see them: one small API over the job engine.

Uses `kdviz.jobs` (persistent SQLite store + worker processes) when it is installed; until then an
in-process fallback runs each job on a thread of the Streamlit server (serially, no persistence).
Pages only call the functions below, so switching engines never touches a page.

Every job is shown as a `RunInfo` (plain fields, ready for tables).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kdviz.config import SweepConfig, make_config


def _engine() -> Any:
    """`kdviz.jobs` once it provides the job API, else None (fallback)."""
    try:
        import kdviz.jobs as jobs
    except ImportError:  # pragma: no cover - depends on what has landed
        return None
    return jobs if all(hasattr(jobs, f) for f in ("submit", "get_job", "list_jobs", "job_results")) else None

ACTIVE = ("queued", "running")


@dataclass
class RunInfo:
    id: str
    kind: str
    status: str
    done: int = 0
    total: int = 0
    stage: str = ""
    elapsed: float | None = None
    eta: float | None = None
    error: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    created: float | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


def engine_name() -> str:
    return "background worker (kdviz.jobs)" if _engine() is not None else "in-process (fallback)"


# ----------------------------------------------------------------------------------------------
# fallback engine: a thread per job, results in memory
@dataclass
class _Local:
    info: RunInfo
    config: SweepConfig
    results: dict[str, Any] = field(default_factory=dict)
    tasks: list = field(default_factory=list)
    dataset: Any = None
    stop: threading.Event = field(default_factory=threading.Event)
    started: float = 0.0
    ended: float | None = None


_LOCAL: dict[str, _Local] = {}
_LOCK = threading.Lock()


def _run_local(job: _Local) -> None:
    from kdviz.experiments import get_experiment, run_plan, run_task_safely

    exp = get_experiment("sweep")
    info = job.info
    try:
        info.status, info.stage = "running", "loading data"
        job.dataset = exp.load(job.config)
        job.tasks = exp.plan(job.config, job.dataset)
        info.total = len(job.tasks)

        def progress(done: int, total: int, stage: str) -> None:
            info.done, info.total, info.stage = done, total, stage

        run_plan(job.tasks, lambda t, d: run_task_safely(exp, t, job.config, job.dataset, d),
                 on_result=lambda t, r: job.results.__setitem__(t.key, r), progress=progress,
                 should_stop=job.stop.is_set)
        info.status = "cancelled" if job.stop.is_set() else "done"
    except Exception as e:  # noqa: BLE001 - shown to the user
        info.status, info.error = "failed", str(e)
    finally:
        job.ended = time.time()


def _local_info(job: _Local) -> RunInfo:
    i = job.info
    i.elapsed = (job.ended or time.time()) - job.started
    i.eta = (i.elapsed / i.done * (i.total - i.done)) if i.done and i.active else None
    return i


# ----------------------------------------------------------------------------------------------
def _to_info(j: Any) -> RunInfo:
    g = (lambda k, d=None: j.get(k, d)) if isinstance(j, dict) else (lambda k, d=None: getattr(j, k, d))
    done, total = g("done"), g("total")
    prog = g("progress")
    if done is None and prog is not None:
        done, total = (prog.get("done"), prog.get("total")) if isinstance(prog, dict) else prog
    cfg = g("config") or {}
    if isinstance(cfg, str):
        cfg = json.loads(cfg)
    if hasattr(cfg, "to_dict"):
        cfg = cfg.to_dict()
    return RunInfo(id=str(g("id") or g("job_id")), kind=g("kind", "sweep"), status=g("status", "queued"),
                   done=int(done or 0), total=int(total or 0), stage=g("stage") or "", elapsed=g("elapsed"),
                   eta=g("eta"), error=g("error"), config=dict(cfg), created=g("created") or g("created_at"))


def submit(config: SweepConfig | dict[str, Any], kind: str = "sweep") -> str:
    """Start a background run; returns its id."""
    _jobs = _engine()
    if isinstance(config, dict):
        config = make_config(**config)
    if _jobs is not None:
        job_id = _jobs.submit(kind, config)
        ensure = getattr(_jobs, "ensure_workers", None)
        if ensure:
            ensure()
        return str(job_id)
    job_id = uuid.uuid4().hex[:12]
    job = _Local(RunInfo(job_id, kind, "queued", config=config.to_dict(), created=time.time()), config,
                 started=time.time())
    with _LOCK:
        _LOCAL[job_id] = job
    threading.Thread(target=_run_local, args=(job,), daemon=True, name=f"kdviz-run-{job_id}").start()
    return job_id


def get(job_id: str) -> RunInfo | None:
    _jobs = _engine()
    if _jobs is not None:
        try:
            return _to_info(_jobs.get_job(job_id))
        except (KeyError, LookupError, ValueError):
            return None
    job = _LOCAL.get(job_id)
    return _local_info(job) if job else None


def list_runs() -> list[RunInfo]:
    """Every run, newest first."""
    _jobs = _engine()
    if _jobs is not None:
        runs = [_to_info(j) for j in _jobs.list_jobs()]
    else:
        runs = [_local_info(j) for j in list(_LOCAL.values())]
    return sorted(runs, key=lambda r: r.created or 0, reverse=True)


def results(job_id: str) -> pd.DataFrame:
    """The tidy results table so far (partial while running; empty if none)."""
    _jobs = _engine()
    if _jobs is not None:
        df = _jobs.job_results(job_id)
        return df if df is not None else pd.DataFrame()
    job = _LOCAL.get(job_id)
    if job is None or job.dataset is None or not job.tasks:
        return pd.DataFrame()
    from kdviz.sweep import assemble

    return assemble(job.config, job.dataset, job.tasks, dict(job.results))


def cancel(job_id: str) -> None:
    _jobs = _engine()
    if _jobs is not None:
        _jobs.cancel(job_id)
    elif job_id in _LOCAL:
        _LOCAL[job_id].stop.set()


def resume(job_id: str) -> str:
    _jobs = _engine()
    if _jobs is not None and hasattr(_jobs, "resume"):
        _jobs.resume(job_id)
        return job_id
    info = get(job_id)
    return submit(info.config, info.kind) if info else job_id


def rerun(job_id: str) -> str:
    """A new run with the same configuration (finished tasks come from the cache when the engine has one)."""
    info = get(job_id)
    if info is None:
        raise KeyError(job_id)
    return submit(info.config, info.kind)


def delete(job_id: str) -> None:
    _jobs = _engine()
    if _jobs is not None:
        _jobs.delete(job_id)
    else:
        job = _LOCAL.pop(job_id, None)
        if job:
            job.stop.set()


def find_by_config(config: dict[str, Any], statuses: tuple[str, ...] = ("done", "running", "queued")) -> RunInfo | None:
    """The newest run with exactly this configuration (so a shared link shows stored results)."""
    for r in list_runs():
        if r.status in statuses and r.config == config:
            return r
    return None


def config_summary(cfg: dict[str, Any]) -> str:
    """One line describing a run's configuration."""
    caps = cfg.get("capacities")
    caps_s = ",".join(str(c) for c in caps) if caps else "default grid"
    methods = ",".join(cfg.get("methods") or [])
    ds = str(cfg.get("dataset", "?"))
    if ds.startswith("csv:"):
        ds = "csv:" + ds.rsplit("/", 1)[-1]
    return (f"{ds} · {cfg.get('teacher', '?')} [{caps_s}] · student {cfg.get('student', '?')} · {methods} · "
            f"K={cfg.get('folds')} · ×{cfg.get('repeats')} · seed {cfg.get('seed')}")
