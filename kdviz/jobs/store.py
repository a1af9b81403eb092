"""The persistent job store: one SQLite file (WAL mode) in the kdviz data directory.

The tables and their migrations are in `kdviz.jobs.store_schema`; the records it hands out
(`JobRecord`, `Status`) and the liveness test of workers in `kdviz.jobs.records`.

Every write is a short ``BEGIN IMMEDIATE`` transaction; SQLite's busy timeout is bounded, so a locked,
corrupt or unwritable store gives a `StoreError` with a readable message instead of a hang.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from kdviz.jobs.owners import SERVER_OWNER, QueueFull
from kdviz.jobs.queue import next_job
from kdviz.jobs.records import (
    ACTIVE,
    HOST,
    RESUMABLE,
    STATUSES,
    JobNotFound,
    JobRecord,
    Status,
    StoreError,
    heartbeat_timeout,
    is_dead,
    pid_alive,
)
from kdviz.jobs.store_schema import DB_NAME, JOB_COLUMNS, MIGRATIONS, SCHEMA_VERSION, job_record, migrate
from kdviz.runtime.home import kdviz_home
from kdviz.runtime.sqlite import PerHome, connect_wal, immediate

__all__ = [  # (records and liveness helpers live in kdviz.jobs.records; importable from here too)
    "ACTIVE", "DB_NAME", "HOST", "MIGRATIONS", "RESUMABLE", "SCHEMA_VERSION", "STATUSES", "JobNotFound", "JobRecord",
    "Status", "Store", "StoreError", "default_home", "heartbeat_timeout", "is_dead", "open_store", "pid_alive",
]

T = TypeVar("T")
default_home = kdviz_home


def _sql_in(statuses: Iterable[Status]) -> str:
    """``('queued', 'running')``: a constant list of statuses for an SQL ``IN`` (enum values, never user input)."""
    return "(" + ", ".join(f"'{Status(s).value}'" for s in statuses) + ")"


# ----------------------------------------------------------------------------------------------
class Store:
    """The job store at ``home/jobs.sqlite``. Safe to share between threads (one connection each)."""

    def __init__(self, home: str | os.PathLike | None = None, *, timeout: float | None = None):
        self.home = Path(home).expanduser() if home else default_home()
        self.path = self.home / DB_NAME
        self.timeout = float(os.environ.get("KDVIZ_STORE_TIMEOUT", "15")) if timeout is None else timeout
        self._local = threading.local()
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the kdviz data directory {self.home}: {e.strerror or e}; "
                             "set KDVIZ_HOME (or --home) to a writable directory") from None
        if not self.home.is_dir() or not os.access(self.home, os.W_OK | os.X_OK):
            raise StoreError(f"the kdviz data directory {self.home} is not a writable directory; "
                             "set KDVIZ_HOME (or --home) to a writable directory")
        with self._errors():
            self._retry_locked(lambda: migrate(self._conn(), self.path))

    # -- connections and error handling -----------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid != os.getpid():  # forked: never share a connection
            conn = None
        if conn is None:
            with self._errors():
                conn = self._retry_locked(self._connect)
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _connect(self) -> sqlite3.Connection:
        return connect_wal(self.path, self.timeout)

    def _retry_locked(self, fn: Callable[[], T]) -> T:
        """``fn()``, retried while SQLite says the file is locked, up to the store's timeout.

        SQLite skips its busy handler where waiting could deadlock and answers "locked" at once: e.g.
        when several processes open a new store together and each switches it to WAL mode."""
        deadline = time.monotonic() + self.timeout
        delay = 0.002
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as e:
                low = str(e).lower()
                if ("locked" not in low and "busy" not in low) or time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay)
            delay = min(2 * delay, 0.05)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as e:
            raise self._translate(e) from None

    def _translate(self, e: sqlite3.Error) -> StoreError:
        msg = str(e)
        low = msg.lower()
        where = f"the job store {self.path}"
        if "locked" in low or "busy" in low:
            return StoreError(f"{where} is busy: another process held it locked for more than "
                              f"{self.timeout:g}s; try again (or raise KDVIZ_STORE_TIMEOUT)")
        if "not a database" in low or "malformed" in low or "corrupt" in low:
            return StoreError(f"{where} is corrupt ({msg}); move or delete it (cached results will be "
                              "recomputed) or set KDVIZ_HOME (or --home) to another directory")
        if "readonly" in low or "unable to open" in low or "disk i/o" in low or "permission" in low:
            return StoreError(f"cannot write {where} ({msg}); set KDVIZ_HOME (or --home) to a writable directory")
        return StoreError(f"{where} failed: {msg}")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction (``BEGIN IMMEDIATE``: writers queue, readers never block)."""
        with self._errors(), immediate(self._conn()) as conn:
            yield conn

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._errors():
            return self._conn().execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def schema_version(self) -> int:
        return self.query("PRAGMA user_version")[0][0]

    # -- jobs ---------------------------------------------------------------------------------------
    def add_job(self, kind: str, config_json: str, digest: str, executor: str = "local", *,
                owner: str = SERVER_OWNER, cap: int | None = None) -> str:
        """Queue a job for `owner`; with `cap`, refuse (`QueueFull`) if they have `cap` jobs active (atomically)."""
        job_id = uuid.uuid4().hex[:12]
        with self.write() as c:
            if cap is not None:
                n = c.execute(f"SELECT COUNT(*) FROM jobs WHERE owner = ? AND status IN {_sql_in(ACTIVE)}",
                              (owner,)).fetchone()[0]
                if n >= cap:
                    raise QueueFull(f"you already have {n} run{'s' * (n != 1)} queued or running (the limit is "
                                    f"{cap} per student); wait for one to finish or cancel one on the Runs page")
            c.execute("INSERT INTO jobs (id, kind, config, digest, executor, status, stage, created, owner) "
                      "VALUES (?, ?, ?, ?, ?, 'queued', 'queued', ?, ?)",
                      (job_id, kind, config_json, digest, executor, time.time(), owner))
        return job_id

    def resolve_id(self, job_id: str) -> str:
        """The full id of a job given its id or a unique prefix of it."""
        rows = self.query("SELECT id FROM jobs WHERE id = ?", (job_id,))
        if not rows and job_id:
            rows = self.query("SELECT id FROM jobs WHERE id LIKE ? LIMIT 2", (job_id.replace("%", "") + "%",))
        if len(rows) != 1:
            what = "matches several jobs" if rows else "is not a job"
            raise JobNotFound(f"{job_id!r} {what} in {self.path}; `kdviz jobs` lists them")
        return rows[0][0]

    def get_job(self, job_id: str) -> JobRecord:
        jid = self.resolve_id(job_id)
        rows = self.query(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (jid,))
        if not rows:
            raise JobNotFound(f"{job_id!r} is not a job in {self.path}; `kdviz jobs` lists them")
        return job_record(rows[0])

    def list_jobs(self, status: str | Iterable[str] | None = None, limit: int | None = None) -> list[JobRecord]:
        sql, params = f"SELECT {JOB_COLUMNS} FROM jobs", []
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            sql += f" WHERE status IN ({','.join('?' * len(statuses))})"
            params += [str(s) for s in statuses]
        sql += " ORDER BY created DESC, rowid DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [job_record(r) for r in self.query(sql, params)]

    def job_config(self, job_id: str) -> tuple[str, str, str]:
        """(kind, config JSON, executor) of a job."""
        rows = self.query("SELECT kind, config, executor FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            raise JobNotFound(f"{job_id!r} is not a job in {self.path}")
        return rows[0]

    def job_table(self, job_id: str) -> Any | None:
        rows = self.query("SELECT table_blob FROM jobs WHERE id = ?", (job_id,))
        return pickle.loads(rows[0][0]) if rows and rows[0][0] is not None else None

    def count_jobs(self, status: str) -> int:
        return self.query("SELECT COUNT(*) FROM jobs WHERE status = ?", (str(status),))[0][0]

    def has_queued(self, created_before: float | None = None) -> bool:
        """Whether a job is queued (one queued before the time `created_before`, if given)."""
        if created_before is None:
            return bool(self.query("SELECT 1 FROM jobs WHERE status = 'queued' LIMIT 1"))
        return bool(self.query("SELECT 1 FROM jobs WHERE status = 'queued' AND created < ? LIMIT 1",
                               (created_before,)))

    def find_by_digest(self, kind: str, digest: str,
                       status: str | Iterable[str] | None = None) -> JobRecord | None:
        """The newest job of experiment `kind` whose config has this digest (optionally only one with
        `status`); None if there is none. Indexed: no scan of the jobs."""
        sql, params = f"SELECT {JOB_COLUMNS} FROM jobs WHERE kind = ? AND digest = ?", [kind, digest]
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            params += [str(s) for s in statuses]
        rows = self.query(sql + " ORDER BY created DESC, rowid DESC LIMIT 1", params)
        return job_record(rows[0]) if rows else None

    def claim_job(self, worker: str, job_id: str | None = None) -> JobRecord | None:
        """Atomically take the next queued job of the fair queue (`kdviz.jobs.queue`: round-robin across
        owners), or `job_id`, for `worker`; None if there is none."""
        if job_id is None and not self.has_queued():
            return None  # the common idle case: no write transaction
        now = time.time()
        with self.write() as c:
            if job_id is None:
                row = (nxt,) if (nxt := next_job(c)) else None  # the fair queue: round-robin across owners
            else:
                row = c.execute("SELECT id FROM jobs WHERE status = 'queued' AND id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            c.execute("UPDATE jobs SET status = 'running', stage = 'starting', worker = ?, pid = ?, host = ?, "
                      "heartbeat = ?, started = COALESCE(started, ?), run_started = ?, run_done = done, "
                      "finished = NULL, error = NULL, cancel = 0 WHERE id = ?",
                      (worker, os.getpid(), HOST, now, now, now, row[0]))
            c.execute("UPDATE workers SET job = ?, heartbeat = ? WHERE id = ?", (row[0], now, worker))
        return self.get_job(row[0])

    def update_job(self, job_id: str, worker: str, **fields: Any) -> bool:
        """Update a running job's fields if `worker` still owns it; False if it does not."""
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.write() as c:
            cur = c.execute(f"UPDATE jobs SET {sets} WHERE id = ? AND worker = ? AND status = 'running'",
                            (*fields.values(), job_id, worker))
        return cur.rowcount == 1

    def progress(self, job_id: str, worker: str, done: int, total: int, stage: str,
                 results: list[tuple[str, str, bytes]] = (), start: bool = False,
                 cost: tuple[float, float, float] | None = None) -> bool:
        """Store finished task results and the job's progress in one transaction (`start`: the first
        call of a run, which sets the baseline of the ETA)."""
        now = time.time()
        with self.write() as c:
            if results:
                c.executemany("INSERT OR IGNORE INTO results (key, kind, value, job, created) VALUES (?, ?, ?, ?, ?)",
                              [(k, kind, blob, job_id, now) for k, kind, blob in results])
                c.executemany("DELETE FROM claims WHERE key = ? AND owner = ?", [(k, worker) for k, _, _ in results])
            cur = c.execute("UPDATE jobs SET done = ?, total = ?, stage = ?, heartbeat = ?, computed = computed + ? "
                            "WHERE id = ? AND worker = ? AND status = 'running'",
                            (done, total, stage, now, len(results), job_id, worker))
            if cost is not None:  # (fits done, fits in all, fits done at the pace's baseline), calibrated
                c.execute("UPDATE jobs SET cost_done = ?, cost_total = ?, run_cost_done = ? WHERE id = ? AND worker = ?",
                          (cost[0], cost[1], cost[2], job_id, worker))
            if start:
                c.execute("UPDATE jobs SET run_done = ?, run_cost_done = cost_done, "
                          "run_time = run_time + MAX(0, ? - run_started), "
                          "run_started = ? WHERE id = ? AND worker = ?", (done, now, now, job_id, worker))
        return cur.rowcount == 1

    def finish_job(self, job_id: str, worker: str, status: str, *, error: str | None = None,
                   table: Any = None, stage: str | None = None) -> bool:
        now = time.time()
        blob = pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL) if table is not None else None
        with self.write() as c:
            cur = c.execute("UPDATE jobs SET status = ?, stage = ?, error = ?, finished = ?, heartbeat = ?, "
                            "run_time = run_time + MAX(0, ? - COALESCE(run_started, ?)), "
                            "table_blob = COALESCE(?, table_blob), cancel = 0 "
                            "WHERE id = ? AND worker = ? AND status = 'running'",
                            (status, stage or status, error, now, now, now, now, blob, job_id, worker))
            c.execute("UPDATE workers SET job = NULL WHERE id = ?", (worker,))
        return cur.rowcount == 1

    def request_cancel(self, job_id: str) -> JobRecord:
        """Cancel: a queued or interrupted job stops at once; a running one at its worker's next check."""
        jid = self.resolve_id(job_id)
        now = time.time()
        with self.write() as c:
            c.execute("UPDATE jobs SET status = 'cancelled', stage = 'cancelled', finished = ?, cancel = 0 "
                      f"WHERE id = ? AND status IN {_sql_in((Status.QUEUED, Status.INTERRUPTED))}", (now, jid))
            c.execute("UPDATE jobs SET cancel = 1 WHERE id = ? AND status = 'running'", (jid,))
        return self.get_job(jid)

    def requeue(self, job_id: str) -> JobRecord:
        """Resume: an interrupted, cancelled or failed job goes back to the queue (done tasks stay cached)."""
        jid = self.resolve_id(job_id)
        with self.write() as c:
            c.execute("UPDATE jobs SET status = 'queued', stage = 'queued', error = NULL, finished = NULL, "
                      f"cancel = 0, worker = NULL, pid = NULL WHERE id = ? AND status IN {_sql_in(RESUMABLE)}", (jid,))
        return self.get_job(jid)

    def delete_job(self, job_id: str) -> None:
        jid = self.resolve_id(job_id)
        with self.write() as c:
            c.execute("DELETE FROM jobs WHERE id = ?", (jid,))

    def job_state(self, job_id: str, worker: str) -> str:
        """For the worker running it: 'ok', 'cancel' (requested) or 'lost' (deleted or taken over)."""
        rows = self.query("SELECT status, worker, cancel FROM jobs WHERE id = ?", (job_id,))
        if not rows or rows[0][0] != "running" or rows[0][1] != worker:
            return "lost"
        return "cancel" if rows[0][2] else "ok"

    # -- liveness -----------------------------------------------------------------------------------
    def reap(self) -> int:
        """Mark running jobs whose worker died (dead pid or stale heartbeat) `interrupted`; forget dead
        workers and their task claims. Cheap when nothing is stale (one read). Returns jobs interrupted."""
        now = time.time()
        jobs = [r for r in self.query("SELECT id, pid, host, heartbeat, worker FROM jobs WHERE status = 'running'")
                if is_dead(r[1], r[2], r[3], now)]
        workers = [r for r in self.query("SELECT id, pid, host, heartbeat FROM workers")
                   if is_dead(r[1], r[2], r[3], now)]
        claims = [r for r in self.query("SELECT DISTINCT owner, pid, host, MAX(heartbeat) FROM claims GROUP BY owner")
                  if is_dead(r[1], r[2], r[3], now)]
        if not (jobs or workers or claims):
            return 0
        n = 0
        with self.write() as c:
            for jid, pid, _host, _hb, worker in jobs:
                n += c.execute(
                    "UPDATE jobs SET status = 'interrupted', stage = 'interrupted', "
                    "run_time = run_time + MAX(0, COALESCE(heartbeat, run_started) - COALESCE(run_started, heartbeat)), "
                    "error = ? WHERE id = ? AND status = 'running' AND worker IS ?",
                    (f"the worker process (pid {pid}) stopped before the job finished; "
                     "resume the job to compute the missing tasks", jid, worker)).rowcount
                c.execute("DELETE FROM claims WHERE owner = ?", (worker,))
            for wid, *_ in workers:
                c.execute("DELETE FROM workers WHERE id = ?", (wid,))
                c.execute("DELETE FROM claims WHERE owner = ?", (wid,))
            for owner, *_ in claims:
                c.execute("DELETE FROM claims WHERE owner = ?", (owner,))
        return n

    def register_worker(self, worker: str, pid: int | None) -> None:
        now = time.time()
        with self.write() as c:
            c.execute("INSERT INTO workers (id, pid, host, started, heartbeat) VALUES (?, ?, ?, ?, ?) "
                      "ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, "
                      "heartbeat = excluded.heartbeat", (worker, pid, HOST, now, now))

    def heartbeat(self, worker: str, job_id: str | None) -> None:
        now = time.time()
        with self.write() as c:
            c.execute("UPDATE workers SET heartbeat = ? WHERE id = ?", (now, worker))
            if job_id:
                c.execute("UPDATE jobs SET heartbeat = ? WHERE id = ? AND worker = ? AND status = 'running'",
                          (now, job_id, worker))
            c.execute("UPDATE claims SET heartbeat = ? WHERE owner = ?", (now, worker))

    def retire_worker(self, worker: str) -> bool:
        """Remove an idle worker's row unless a job is queued (then it must keep going): atomic with
        `ensure_workers`' count, so a queued job is never left without a worker."""
        with self.write() as c:
            if c.execute("SELECT 1 FROM jobs WHERE status = 'queued' LIMIT 1").fetchone():  # (in this transaction)
                return False
            c.execute("DELETE FROM workers WHERE id = ?", (worker,))
            c.execute("DELETE FROM claims WHERE owner = ?", (worker,))
        return True

    def remove_worker(self, worker: str) -> None:
        with self.write() as c:
            c.execute("DELETE FROM workers WHERE id = ?", (worker,))
            c.execute("DELETE FROM claims WHERE owner = ?", (worker,))

    def live_workers(self) -> list[tuple]:
        """(id, pid, host, heartbeat, job) of every live worker."""
        now = time.time()
        return [r for r in self.query("SELECT id, pid, host, heartbeat, job FROM workers")
                if not is_dead(r[1], r[2], r[3], now)]

    def reserve_workers(self, bound: int, min_idle: int = 0) -> list[str]:
        """Reserve worker rows (no process yet) for the queued jobs, keeping `min_idle` idle workers
        and at most `bound` live ones; returns their ids. The count and the reservation are one
        transaction, so concurrent callers (threads, processes) never start too many."""
        now = time.time()
        ids: list[str] = []
        with self.write() as c:
            workers = [r for r in c.execute("SELECT id, pid, host, heartbeat, job FROM workers").fetchall()
                       if not is_dead(r[1], r[2], r[3], now)]
            idle = sum(1 for r in workers if r[4] is None)
            queued = c.execute("SELECT COUNT(*) FROM jobs WHERE status = 'queued'").fetchone()[0]
            for _ in range(max(0, min(bound - len(workers), queued + min_idle - idle))):
                wid = f"w-{uuid.uuid4().hex[:10]}"
                c.execute("INSERT INTO workers (id, pid, host, started, heartbeat) VALUES (?, NULL, NULL, ?, ?)",
                          (wid, now, now))
                ids.append(wid)
        return ids

    def set_worker_pid(self, worker: str, pid: int) -> None:
        """A reserved worker's process has started (on this host) with this pid."""
        with self.write() as c:
            c.execute("UPDATE workers SET pid = ?, host = ? WHERE id = ? AND pid IS NULL", (pid, HOST, worker))

    # -- task results and claims --------------------------------------------------------------------
    def get_results(self, keys: Iterable[str]) -> dict[str, Any]:
        """{key: result} for the stored ones; a result pickled by an older kdviz whose classes have since
        moved (ImportError, AttributeError) counts as not stored, so the task is computed again."""
        keys = list(dict.fromkeys(keys))
        out: dict[str, Any] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            rows = self.query(f"SELECT key, value FROM results WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            for k, v in rows:
                try:
                    out[k] = pickle.loads(v)
                except (ImportError, AttributeError):
                    continue
        return out

    def result_times(self, job_id: str) -> list[tuple[str, float]]:
        """(kind, time stored) of each task result the job computed, oldest first (`benchmarks/bench_eta.py`)."""
        return [(k, float(t)) for k, t in self.query("SELECT kind, created FROM results WHERE job = ? ORDER BY created",
                                                      (job_id,))]

    def result_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(dict.fromkeys(keys))
        out: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            out.update(r[0] for r in self.query(
                f"SELECT key FROM results WHERE key IN ({','.join('?' * len(chunk))})", chunk))
        return out

    def put_result(self, key: str, kind: str, value: Any, job: str | None = None) -> None:
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        with self.write() as c:
            c.execute("INSERT OR IGNORE INTO results (key, kind, value, job, created) VALUES (?, ?, ?, ?, ?)",
                      (key, kind, blob, job, time.time()))

    def try_claim(self, key: str, owner: str, job: str | None = None) -> str:
        """Atomically claim the computation of task `key`: 'mine' (compute it), 'done' (its result is
        stored) or 'other' (a live worker is computing it: wait for its result). A claim whose owner
        died is taken over."""
        now = time.time()
        with self.write() as c:
            if c.execute("SELECT 1 FROM results WHERE key = ?", (key,)).fetchone():
                return "done"
            row = c.execute("SELECT owner, pid, host, heartbeat FROM claims WHERE key = ?", (key,)).fetchone()
            if row is not None and row[0] != owner and not is_dead(row[1], row[2], row[3], now):
                return "other"
            c.execute("INSERT INTO claims (key, owner, job, pid, host, heartbeat) VALUES (?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, job = excluded.job, "
                      "pid = excluded.pid, host = excluded.host, heartbeat = excluded.heartbeat",
                      (key, owner, job, os.getpid(), HOST, now))
        return "mine"

    def claims(self, keys: Iterable[str]) -> dict[str, tuple]:
        keys = list(keys)
        if not keys:
            return {}
        rows = self.query(f"SELECT key, owner, pid, host, heartbeat FROM claims WHERE key IN "
                          f"({','.join('?' * len(keys))})", keys)
        return {r[0]: r[1:] for r in rows}

    def release_claims(self, owner: str) -> None:
        """A worker's job is over (finished, failed, cancelled or deleted): drop its task claims and
        mark the worker idle."""
        with self.write() as c:
            c.execute("DELETE FROM claims WHERE owner = ?", (owner,))
            c.execute("UPDATE workers SET job = NULL WHERE id = ?", (owner,))

    def stats(self) -> dict[str, int]:
        return {"jobs": self.query("SELECT COUNT(*) FROM jobs")[0][0],
                "results": self.query("SELECT COUNT(*) FROM results")[0][0],
                "claims": self.query("SELECT COUNT(*) FROM claims")[0][0],
                "workers": self.query("SELECT COUNT(*) FROM workers")[0][0]}


_STORES = PerHome(Store)


def open_store(home: str | os.PathLike | None = None) -> Store:
    """The (per-process, cached) store of a data directory (default: `default_home()`)."""
    return _STORES.get(Path(home).expanduser() if home else default_home())
