"""The fair queue: round-robin across owners, a per-student cap, places in the queue and cost-weighted ETAs.

Order: the next job a worker takes is the oldest queued job of the owner served least recently
(an owner never served comes first; ties by the age of their oldest queued job). Thirty students who
each press Run once are served one run each before anyone's second run.

Cost: a task's cost is the number of model fits it performs (`task_cost`): a CV task costs
``cv_folds × len(c_grid)`` student fits, a teacher or a student one. Workers store each job's fits
done and total, so an ETA is fits left × the pace in fits per second, not tasks left × seconds per task
(CV tasks, ~25 times as costly, would otherwise skew it).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from kdviz.jobs.owners import SERVER_OWNER, student_cap
from kdviz.jobs.store_owners import get_setting, queue_state

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
    """Model fits a task performs: a CV task ``cv_folds × |c_grid|`` student fits, others one."""
    if getattr(task, "kind", None) == "cv":
        folds = int(getattr(config, "cv_folds", 5) or 5)
        grid = len(getattr(config, "c_grid", ()) or ()) or 1
        return float(folds * grid)
    return 1.0


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
