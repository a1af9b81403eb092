"""What the job store hands out, without the store: job statuses, the job record, errors, and the
liveness test of a worker (dead pid or stale heartbeat).

Statuses are a `StrEnum`: each member equals its plain string (``Status.DONE == "done"``), so the
values stored in SQLite, JSON and old comparisons keep working.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from kdviz.errors import KdvizError

HOST = socket.gethostname()


class Status(StrEnum):
    """A job's status (its stored value is the plain string)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


STATUSES: tuple[Status, ...] = tuple(Status)
#: a job that is waiting for a worker or running (it may still change)
ACTIVE: tuple[Status, ...] = (Status.QUEUED, Status.RUNNING)
#: a job that stopped before it finished: resume computes only its missing tasks
RESUMABLE: tuple[Status, ...] = (Status.INTERRUPTED, Status.CANCELLED, Status.FAILED)


class StoreError(KdvizError):
    """The job store cannot be opened, read or written."""


class JobNotFound(KdvizError):
    """No job with that id."""


# ----------------------------------------------------------------------------------------------
# liveness
def heartbeat_timeout() -> float:
    """Seconds without a heartbeat after which a worker is presumed dead."""
    return float(os.environ.get("KDVIZ_HEARTBEAT_TIMEOUT", "20"))


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this pid exists on this machine (zombies count as dead)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return True


def is_dead(pid: int | None, host: str | None, heartbeat: float | None, now: float | None = None) -> bool:
    """A worker is dead if its pid is gone (same host) or its heartbeat is stale. On the same host a
    live pid outweighs a late heartbeat (a long GIL-holding step, a suspended laptop) unless the
    heartbeat is ten timeouts old (the pid may have been reused)."""
    now = time.time() if now is None else now
    if host == HOST and pid is not None:
        return not pid_alive(pid) or heartbeat is None or heartbeat < now - 10 * heartbeat_timeout()
    return heartbeat is None or heartbeat < now - heartbeat_timeout()


# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class JobRecord:
    """A snapshot of one job, as the dashboard and the CLI show it."""

    id: str
    kind: str
    config: dict[str, Any]
    executor: str
    status: Status
    stage: str
    done: int
    total: int
    computed: int  # tasks this job computed itself (the rest came from the cache or other jobs)
    created: float
    started: float | None
    finished: float | None
    run_started: float | None
    run_done: int
    run_time: float
    heartbeat: float | None
    pid: int | None
    host: str | None
    worker: str | None
    error: str | None
    cancel_requested: bool
    has_table: bool
    owner: str | None = None  # who started it (kdviz.jobs.owners); None: before runs had owners
    shared: bool = False  # the instructor shares it with the class
    cost_done: float = 0.0  # model fits done (tasks weighted by cost: kdviz.jobs.queue.task_cost)
    cost_total: float = 0.0  # model fits in all (0: not known yet)
    run_cost_done: float = 0.0  # fits done when this run started (the ETA's baseline)
    name: str = ""  # a run's name and tags (kdviz.jobs.labels): shown in overlays, legends, links and packs
    tags: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """What a person calls this run: its name, else its kind and short id (e.g. "sweep d4a10f")."""
        return self.name or f"{self.kind} {self.id[:6]}"

    @property
    def active(self) -> bool:
        """Queued or running: the job may still change."""
        return self.status in ACTIVE

    @property
    def resumable(self) -> bool:
        """Interrupted, cancelled or failed: `resume` computes the missing tasks."""
        return self.status in RESUMABLE

    @property
    def work(self) -> tuple[float, float, float]:
        """(done, in all, done when this run started): the work the progress shown and the ETA both count.
        In model fits weighted by cost (`kdviz.jobs.queue.CostModel`: a CV task weighs its fits, each
        kind calibrated on the run's finished tasks) once the worker has costed the plan; else in tasks."""
        if self.cost_total:
            return self.cost_done, self.cost_total, self.run_cost_done
        return float(self.done), float(self.total), float(self.run_done)

    @property
    def fraction(self) -> float:
        """Work done (`work`: fits weighted by cost, else tasks), between 0 and 1 (1 for a finished job)."""
        if self.status == Status.DONE:
            return 1.0
        done, total, _ = self.work
        return min(1.0, max(0.0, done / total)) if total else 0.0

    @property
    def elapsed(self) -> float | None:
        """Seconds spent running (summed over runs, so a resumed job does not count the gap)."""
        if self.started is None:
            return None
        current = time.time() - self.run_started if self.status == Status.RUNNING and self.run_started else 0.0
        return self.run_time + max(0.0, current)

    @property
    def pace(self) -> float | None:
        """Seconds per model fit of this run (tasks weighted by their cost); None until one finished."""
        if self.status == Status.DONE and self.cost_total and self.run_time and self.cost_done > self.run_cost_done:
            return self.run_time / (self.cost_done - self.run_cost_done)
        if self.status != Status.RUNNING or not self.run_started or not self.cost_total:
            return None
        if self.cost_done <= self.run_cost_done:
            return None
        return (time.time() - self.run_started) / (self.cost_done - self.run_cost_done)

    @property
    def eta(self) -> float | None:
        """Estimated seconds left: the work left (`work`, what the progress shown counts) at this run's
        pace over the work done since it started; None until a task has finished."""
        if self.status != Status.RUNNING or not self.run_started:
            return None
        done, total, base = self.work
        if done <= base:
            return None
        return (time.time() - self.run_started) / (done - base) * max(0.0, total - done)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(status=str(self.status), elapsed=self.elapsed, eta=self.eta, fraction=self.fraction, pace=self.pace)
        return d
