"""Background runs that lose nothing: a persistent job store, worker processes, executors (local, Ray).

The dashboard and the CLI call only these functions::

    job_id = submit("sweep", config)          # returns at once; a worker process starts if needed
    job = get_job(job_id)                      # JobRecord: status, done/total, stage, elapsed, eta, error
    df = job_results(job_id)                   # the tidy table (partial while the job runs)
    cancel(job_id); resume(job_id); delete(job_id); list_jobs()
    rename(job_id, "10 % noise", ["talk"])    # a run's name and tags (submit(..., name=, tags=) too)
    run = find_run("sweep", config)            # the newest run of this config (done, running or queued)

A job's status is a `Status` (a `StrEnum`: ``Status.DONE == "done"``); `ACTIVE` holds queued and
running, `RESUMABLE` interrupted, cancelled and failed.
"""

from kdviz.jobs.engine import (
    cancel,
    delete,
    ensure_workers,
    find_run,
    get_job,
    job_results,
    list_jobs,
    rename,
    resume,
    stop_workers,
    submit,
    wait,
)
from kdviz.jobs.records import ACTIVE, RESUMABLE, STATUSES, JobNotFound, JobRecord, Status, StoreError
from kdviz.jobs.store import Store, default_home, open_store

__all__ = [
    "ACTIVE", "RESUMABLE", "STATUSES", "JobNotFound", "JobRecord", "Status", "Store", "StoreError", "cancel",
    "default_home", "delete", "ensure_workers", "find_run", "get_job", "job_results", "list_jobs", "open_store",
    "rename", "resume", "stop_workers", "submit", "wait",
]

from kdviz.callmod import make_callable  # noqa: E402  (kdviz.jobs() in a notebook: a table)

make_callable(__name__, "jobs")
