"""Background runs that lose nothing: a persistent job store, worker processes, executors (local, Ray).

The dashboard and the CLI call only these functions::

    job_id = submit("sweep", config)          # returns at once; a worker process starts if needed
    job = get_job(job_id)                      # JobRecord: status, done/total, stage, elapsed, eta, error
    df = job_results(job_id)                   # the tidy table (partial while the job runs)
    cancel(job_id); resume(job_id); delete(job_id); list_jobs()
"""

from kdviz.jobs.engine import (
    cancel,
    delete,
    ensure_workers,
    get_job,
    job_results,
    list_jobs,
    resume,
    stop_workers,
    submit,
    wait,
)
from kdviz.jobs.store import STATUSES, JobNotFound, JobRecord, Store, StoreError, default_home, open_store

__all__ = [
    "STATUSES", "JobNotFound", "JobRecord", "Store", "StoreError", "cancel", "default_home", "delete",
    "ensure_workers", "get_job", "job_results", "list_jobs", "open_store", "resume", "stop_workers",
    "submit", "wait",
]
