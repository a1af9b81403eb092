"""Background runs as the pages see them: a thin layer over `kdviz.jobs`.

Runs are jobs of the persistent store, executed by worker processes; pages get them as
`kdviz.jobs.JobRecord`s (status, progress, config, `active`, `fraction` …). Pages only call the
functions below.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

import kdviz.jobs as jobs
from kdviz.config import data_settings
from kdviz.errors import KdvizError
from kdviz.figures.plots import dataset_label
from kdviz.figures.talkpack import table_no_paths
from kdviz.jobs import ACTIVE, JobRecord, Status
from kdviz.jobs.owners import SERVER_OWNER, may_manage, may_see, short_owner
from kdviz.kd.csearch import C_SEARCH_SHORT
from kdviz.runtime.cache import SingleFlightCache
from kdviz.runtime.home import kdviz_home
from ui.identity import actor, owner_id


def warm_up() -> None:
    """Keep one idle worker process started, so the next Run shows progress within a fraction of a second."""
    try:
        jobs.ensure_workers(min_idle=1)
    except KdvizError:  # only an optimisation: the Run button reports store problems itself
        pass


REFUSAL = "_kdviz_runs_refusal"


def _attempt(action: Callable[[str], Any], job_id: str) -> Any:
    """Run a button's action; a failure (the job was deleted meanwhile, or it is someone else's run:
    the job layer refuses) becomes a toast and a message the page shows (`last_refusal`)."""
    try:
        st.session_state.pop(REFUSAL, None)
        return action(job_id)
    except KdvizError as e:
        st.session_state[REFUSAL] = str(e)
        st.toast(str(e), icon=":material/error:")
        return None


def last_refusal() -> str | None:
    """The message of the last refused action of this session (shown once)."""
    return st.session_state.pop(REFUSAL, None)


#: job status is read from the store at most this often per run, however many sessions watch it
STATUS_TTL_S = 0.5
_status = SingleFlightCache(maxsize=512)
_tables = SingleFlightCache(maxsize=32)  # results tables, keyed by (home, run, status, tasks done)


def _home() -> str:
    return str(kdviz_home())


def _changed() -> None:
    """A button changed a run: the next read goes to the store."""
    _status.clear()


def submit(config: Any, kind: str = "sweep", name: str | None = None, tags: Any = None) -> str:
    """Start a background run owned by this browser (config: a dict or a config object of experiment
    `kind`, optionally named and tagged); returns its id. A student over the per-student limit gets
    `jobs.QueueFull`."""
    _changed()
    return str(jobs.submit(kind, config, actor=actor(), name=name, tags=tags))


def rename(job_id: str, name: str | None, tags: Any) -> None:
    """Name and tag a run (its owner or the instructor only: the job layer refuses anyone else)."""
    jobs.rename(job_id, name, tags, actor=actor())
    _changed()


def _read(job_id: str) -> JobRecord | None:
    try:
        return jobs.get_job(job_id)
    except KdvizError:
        return None


def get(job_id: str) -> JobRecord | None:
    """The run's status, shared by every session for STATUS_TTL_S (30 watchers ≠ 30 store reads a second);
    None if it is gone or not this browser's to see (another student's unshared run)."""
    job = _status.get((_home(), job_id, int(time.monotonic() / STATUS_TTL_S)), lambda: _read(job_id))
    return job if visible(job) else None


def list_runs() -> list[JobRecord]:
    """The runs this browser sees, newest first: its own and the shared ones (all for the instructor)."""
    return jobs.list_jobs(actor=actor())


def datasets_in_use() -> set[str]:
    """The datasets every stored run (anyone's) refers to: their uploads must not be pruned."""
    try:
        return {str(r.config.get("dataset")) for r in jobs.list_jobs()}
    except KdvizError:
        return set()


def visible(job: JobRecord | None) -> bool:
    """Whether this browser may see the run (its own, shared, or the instructor)."""
    return job is not None and may_see(actor(), job.owner or SERVER_OWNER, job.shared)


def mine(job: JobRecord) -> bool:
    """Whether this browser may cancel, delete or resume the run (its owner or the instructor)."""
    return may_manage(actor(), job.owner or SERVER_OWNER)


def owner_label(job: JobRecord) -> str:
    """Who started the run, as shown: "you", or a short non-reversible label."""
    return "you" if job.owner == owner_id() else short_owner(job.owner)


def share(job_id: str, shared: bool) -> None:
    _attempt(lambda j: jobs.share(j, shared, actor=actor()), job_id)
    _changed()


def student_limit() -> int:
    try:
        return jobs.student_limit()
    except KdvizError:
        return 2


def set_student_limit(n: int) -> None:
    _attempt(lambda _: jobs.set_student_limit(n, actor=actor()), "")


_places = SingleFlightCache(maxsize=8)


def queue_place(job_id: str) -> tuple[int, float | None] | None:
    """A queued run's (place in the fair queue, estimated seconds until it finishes); None if not queued."""
    def load() -> dict:
        try:
            return jobs.queue_places()
        except KdvizError:
            return {}
    return _places.get((_home(), int(time.monotonic() / 1.0)), load).get(job_id)


def results(job_id: str) -> pd.DataFrame:
    """The tidy results table so far (partial while running; empty if none, or if the job's data
    cannot be loaded — the job's own status then carries the message). Loaded once per (run, progress)
    and shared by every session: callers must not modify it. ``df.attrs["kdviz_key"]`` names its version."""
    info = get(job_id)
    if info is None:
        return pd.DataFrame()
    key = (_home(), job_id, info.status, info.done, info.total)

    def load() -> pd.DataFrame:
        try:
            df = jobs.job_results(job_id)
        except KdvizError:
            df = None
        df = table_no_paths(df) if df is not None else pd.DataFrame()  # a page never shows a server path
        df.attrs["kdviz_key"] = key
        return df

    return _tables.get(key, load)


def cancel(job_id: str) -> bool:
    """Cancel the run (its owner or the instructor only); False if refused."""
    ok = _attempt(lambda j: jobs.cancel(j, actor=actor()), job_id) is not None
    _changed()
    return ok


def resume(job_id: str) -> str:
    _attempt(lambda j: jobs.resume(j, actor=actor()), job_id)
    _changed()
    return job_id


def rerun(job_id: str) -> str:
    """A new run with the same configuration (finished tasks come from the cache); the old id if impossible."""
    info = get(job_id)
    new = _attempt(lambda _: submit(info.config, info.kind), job_id) if info else None
    return new or job_id


def delete(job_id: str) -> bool:
    """Delete the run (its owner or the instructor only); whether it was deleted."""
    ok = _attempt(lambda j: jobs.delete(j, actor=actor()) or True, job_id)
    _changed()
    return bool(ok)


def find_run(config: Any, kind: str = "sweep",
             statuses: tuple[str, ...] = (Status.DONE, *ACTIVE)) -> JobRecord | None:
    """The newest run of experiment `kind` with exactly this configuration (so a shared link shows
    stored results); None if there is none, or if the store cannot be read."""
    try:
        return jobs.find_run(kind, config, status=statuses)
    except KdvizError:
        return None


def config_summary(cfg: dict[str, Any]) -> str:
    """One line describing a run's configuration."""
    caps = cfg.get("capacities")
    caps_s = ",".join(str(c) for c in caps) if caps else "default grid"
    methods = ",".join(cfg.get("methods") or [])
    ds = str(cfg.get("dataset", "?"))
    if ds.startswith("csv:"):
        ds = f"CSV {dataset_label(ds)} (target {cfg.get('target')})"
    if cfg.get("vary") == "student":
        teacher = f"{cfg.get('teacher', '?')} @ {cfg.get('teacher_capacity') or 'largest'}"
        student = f"student {cfg.get('student', '?')} [{caps_s}]"
    else:
        teacher, student = f"{cfg.get('teacher', '?')} [{caps_s}]", f"student {cfg.get('student', '?')}"
    text = (f"{ds} · {data_settings(cfg)} · {teacher} · {student} · {methods} · "
            f"K={cfg.get('folds')} · ×{cfg.get('repeats')} · seed {cfg.get('seed')}")
    c = cfg.get("c")
    if c is not None and cfg.get("gamma", "bound_fast") != "full":  # which search chose c (kdviz.kd.csearch)
        text += f" · c by {C_SEARCH_SHORT.get(c, c)}" if isinstance(c, str) else f" · c = {float(c):g}"
    if cfg.get("axis2"):
        text += f" · {cfg['axis2']} ∈ {{{', '.join(f'{v:g}' for v in cfg.get('axis2_values') or ())}}}"
    if cfg.get("paper"):
        text += f" · paper {cfg['paper']}"
    return text
