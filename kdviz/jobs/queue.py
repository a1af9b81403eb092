"""The fair queue: round-robin across owners, a per-student cap, places in the queue and cost-weighted ETAs.

Order: the next job a worker takes is the oldest queued job of the owner served least recently
(an owner never served comes first; ties by the age of their oldest queued job). Thirty students who
each press Run once are served one run each before anyone's second run.

Cost: a task's cost is the number of model fits it performs (`task_cost`): a CV task (one c) costs
``cv_folds`` student fits, a teacher or a student one; `CostModel` calibrates each kind's seconds per
fit on the tasks the run has finished. Workers store each job's fits done and total (calibrated), so the
progress shown and the ETA (fits left × the pace in seconds per fit) count the same work
(`JobRecord.work`), not tasks.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

from kdviz.jobs.owners import SERVER_OWNER, student_cap
from kdviz.jobs.store_owners import get_setting, queue_state
from kdviz.kd.methods import ORACLE_ROW

Store = Any  # a kdviz.jobs.store.Store (not imported: the store imports this module)
JobRecord = Any  # a kdviz.jobs.records.JobRecord

CAP_SETTING = "student_cap"


# ----------------------------------------------------------------------------------------------
# order
def round_robin(queued: Sequence[tuple[str, str | None, float]], last_served: dict[str, float]) -> list[str]:
    """The order in which the queued jobs ``(id, owner, created)`` (oldest first) will be taken, given
    when each owner was last served: repeatedly the oldest job of the owner served least recently."""
    per_owner: dict[str, list[tuple[float, str]]] = {}
    for jid, owner, created in sorted(queued, key=lambda q: q[2]):
        per_owner.setdefault(owner or SERVER_OWNER, []).append((created, jid))
    served = {o: last_served.get(o, float("-inf")) for o in per_owner}
    order: list[str] = []
    tick = max([v for v in last_served.values()] + [0.0])
    while per_owner:
        owner = min(per_owner, key=lambda o: (served[o], per_owner[o][0][0], o))
        order.append(per_owner[owner].pop(0)[1])
        if not per_owner[owner]:
            del per_owner[owner]
        tick += 1.0
        served[owner] = tick
    return order


def next_job(c: Any) -> str | None:
    """Inside a store transaction `c`: the id of the queued job the fair queue serves next."""
    queued, served = queue_state(c, SERVER_OWNER)
    if not queued:
        return None
    return round_robin(queued, served)[0]


def queue_order(store: Store) -> list[str]:
    """Every queued job's id, in the order workers will take them."""
    conn = store._conn()
    with store._errors():
        queued, served = queue_state(conn, SERVER_OWNER)
    return round_robin(queued, served)


# ----------------------------------------------------------------------------------------------
# the cap and sharing (instructor settings, kept in the store)
def stored_limit(store: Store) -> int:
    """Runs a student may have queued or running: the instructor's setting, else ``$KDVIZ_STUDENT_CAP`` or 2."""
    value = get_setting(store, CAP_SETTING)
    try:
        return max(1, int(value)) if value is not None else student_cap()
    except ValueError:
        return student_cap()


# ----------------------------------------------------------------------------------------------
# cost and ETA
def task_cost(task: Any, config: Any) -> float:
    """Model fits a task performs: a CV task (one value of c) ``cv_folds`` student fits, a fast search of
    c (``csearch``) at most `fast_fits_max` fits, others (a teacher, a student) one."""
    kind = getattr(task, "kind", None)
    folds = int(getattr(config, "cv_folds", 5) or 5)
    if kind == "cv":
        return float(folds)
    if kind == "csearch":
        from kdviz.kd.csearch import fast_fits_max

        return float(fast_fits_max(len(getattr(config, "c_grid", ()) or ()) or 1, folds))
    return 1.0


#: the kind whose fits a task's fits are (a CV task trains students): its rate until the kind's own is measured
FITS_OF = {"cv": "student", "csearch": "student", ORACLE_ROW: "student"}


class CostModel:
    """A run's tasks weighted by what they cost, calibrated on the tasks this run has finished.

    A task's prior weight is its fits (`task_cost`); a fit of one kind (a 100-tree teacher) costs far more
    than one of another (a 10-tree student), so each kind's seconds per fit is measured on this run's
    finished tasks (each task's time from its start in a pool slot to its end: `slots` slots, taken in
    submission order) and every task weighs ``fits × seconds per fit of its kind`` (a kind not measured
    yet: that of the kind its fits are, `FITS_OF`, else the median of all measured). Weights are scaled to sum to the run's fits, so ``(done,
    total, base)`` from `snapshot` stay in fits: the ETA's pace (seconds per fit) and the queue's
    estimates (fits from a config × that pace) keep one unit. No task measured yet: plain fits."""

    def __init__(self, tasks: Sequence[Any], config: Any, done: Iterable[str] = (), slots: int = 1):
        self.fits = {t.key: task_cost(t, config) for t in tasks}
        self.kind = {t.key: t.kind for t in tasks}
        self.done = {k for k in done if k in self.fits}
        self.base = set(self.done)  # done when the ETA's pace started (`rebase`)
        self.slots = max(1, slots)
        self._start: dict[str, float] = {}
        self._queued: list[str] = []
        self._per_fit: dict[str, list[float]] = {}  # kind → seconds per fit of each task measured

    def submitted(self, key: str, now: float) -> None:
        """A task of this run went to the pool (it starts when a slot is free)."""
        if len(self._start) < self.slots:
            self._start[key] = now
        else:
            self._queued.append(key)

    def finished(self, key: str, now: float) -> None:
        """A task finished (computed here if it was `submitted`; else from the cache or another worker)."""
        if key in self.done or key not in self.fits:
            return
        self.done.add(key)
        start = self._start.pop(key, None)
        if key in self._queued:  # it started earlier than the slots said: no time measured
            self._queued.remove(key)
        elif start is not None:
            self._per_fit.setdefault(self.kind[key], []).append(max(0.0, now - start) / self.fits[key])
        while self._queued and len(self._start) < self.slots:
            self._start[self._queued.pop(0)] = now

    def rebase(self) -> None:
        """The ETA's pace starts now: the tasks done so far are its baseline."""
        self.base = set(self.done)

    def rates(self) -> dict[str, float]:
        """Seconds per fit of each kind measured so far: the median over its tasks (the first tasks of a run
        also wait for the pool's processes to start, which is no fit)."""
        return {k: statistics.median(v) for k, v in self._per_fit.items() if statistics.median(v) > 0}

    def weights(self) -> dict[str, float]:
        """Each task's weight in fits (calibrated; they sum to the run's fits)."""
        rates = self.rates()
        if not rates:
            return dict(self.fits)
        mean = statistics.median([r for k in rates for r in self._per_fit[k]])
        def rate(kind: str) -> float:
            return rates.get(kind, rates.get(FITS_OF.get(kind, ""), mean))

        raw = {key: f * rate(self.kind[key]) for key, f in self.fits.items()}
        scale = sum(self.fits.values()) / (sum(raw.values()) or 1.0)
        return {key: w * scale for key, w in raw.items()}

    def snapshot(self) -> tuple[float, float, float]:
        """(fits done, fits in all, fits done at the baseline), calibrated."""
        w = self.weights()
        return (sum(w[k] for k in self.done), sum(w.values()), sum(w[k] for k in self.base))


def workers_bound() -> int:
    return max(1, int(os.environ.get("KDVIZ_MAX_WORKERS", 0)) or os.cpu_count() or 1)


def queue_info(jobs: Iterable[JobRecord], order: Sequence[str], *, workers: int | None = None,
               costs: dict[str, float | None] | None = None) -> dict[str, tuple[int, float | None]]:
    """For each queued job: (place in the queue, 1-based; estimated seconds until it finishes, or None).

    Running jobs' remaining time is their ETA; a queued job starts when one of ``workers`` slots frees,
    slots taken in queue order; a queued job's own duration is its cost in fits (`costs`, estimated from
    its config: it is not planned yet) at the mean pace (seconds per fit) of the running and finished
    jobs seen. Without a pace or a cost there is no estimate (None) for it and the jobs behind it."""
    jobs = list(jobs)
    by_id = {j.id: j for j in jobs}
    paces = [j.pace for j in jobs if j.pace]
    pace = sum(paces) / len(paces) if paces else None
    slots = sorted((j.eta or 0.0) for j in jobs if j.status == "running")
    n = workers or workers_bound()
    slots = sorted((slots + [0.0] * n)[:max(n, len(slots))])
    known = True
    out: dict[str, tuple[int, float | None]] = {}
    for place, jid in enumerate(order, start=1):
        job = by_id.get(jid)
        cost = (job.cost_total if job is not None and job.cost_total else None) or (costs or {}).get(jid)
        known = known and bool(cost and pace)
        end = slots.pop(0) + (cost * pace if known else 0.0)
        slots = sorted([*slots, end])
        out[jid] = (place, end if known else None)
    return out
