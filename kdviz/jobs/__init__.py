"""Background runs that lose nothing: a persistent job store, worker processes, executors (local, Ray).

The dashboard and the CLI call only these functions::

    job_id = submit("sweep", config)          # returns at once; a worker process starts if needed
    job = get_job(job_id)                      # JobRecord: status, done/total, stage, elapsed, eta, error
    df = job_results(job_id)                   # the tidy table (partial while the job runs)
    cancel(job_id); resume(job_id); delete(job_id); list_jobs()
    rename(job_id, "10 % noise", ["talk"])    # a run's name and tags (submit(..., name=, tags=) too)
    submit(..., actor=Actor(owner, instructor)); cancel(job_id, actor=...)  # runs belong to someone
    share(job_id, actor=instructor); set_student_limit(3, actor=instructor); queue_places()  # the fair queue
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
    queue_places,
    rename,
    resume,
    set_student_limit,
    share,
    stop_workers,
    student_limit,
    submit,
    wait,
)
from kdviz.jobs.owners import SERVER, Actor, PermissionDenied, QueueFull
from kdviz.jobs.records import ACTIVE, RESUMABLE, STATUSES, JobNotFound, JobRecord, Status, StoreError
from kdviz.jobs.store import Store, default_home, open_store

__all__ = [
    "ACTIVE", "RESUMABLE", "SERVER", "Actor", "PermissionDenied", "QueueFull", "queue_places", "set_student_limit",
    "share", "student_limit", "STATUSES", "JobNotFound", "JobRecord", "Status", "Store", "StoreError", "cancel",
    "default_home", "delete", "ensure_workers", "find_run", "get_job", "job_results", "list_jobs", "open_store",
    "rename", "resume", "stop_workers", "submit", "wait",
]

from kdviz.callmod import make_callable  # noqa: E402  (kdviz.jobs() in a notebook: a table)

make_callable(__name__, "jobs")
