"""The job store's schema: the SQLite migrations (``PRAGMA user_version`` counts those applied) and
the mapping of a ``jobs`` row to a `JobRecord`. Never edit a migration that has shipped: add one.

Tables (schema version in ``PRAGMA user_version``, upgraded by `MIGRATIONS`):

- ``jobs``: one row per submitted job — experiment kind, config JSON, status, progress, timestamps,
  the worker that runs it (id, pid, host, heartbeat), the error message, the final table;
- ``results``: task results by content key (`Task.key`), pickled, shared by every job (the cache);
- ``claims``: which worker is computing which task key right now (atomic per-task claims, so two
  workers never compute the same task at the same time);
- ``workers``: live worker processes (pid, heartbeat, current job), to bound how many run at once;
- ``settings``: the instructor's choices (name → value), e.g. the per-student cap of the fair queue;
- ``uploads``: which browser uploaded which CSV (uploads are private to their owners and the instructor).

A job's ``owner`` is who started it (`kdviz.jobs.owners`); ``shared`` marks a run the instructor shares
with the class.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from kdviz.jobs.records import JobRecord, Status, StoreError

DB_NAME = "jobs.sqlite"

# Each migration takes the schema from version i to i + 1 (statements run in one transaction).
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            config TEXT NOT NULL,
            digest TEXT NOT NULL,
            executor TEXT NOT NULL DEFAULT 'local',
            status TEXT NOT NULL,
            stage TEXT NOT NULL DEFAULT '',
            done INTEGER NOT NULL DEFAULT 0,
            total INTEGER NOT NULL DEFAULT 0,
            computed INTEGER NOT NULL DEFAULT 0,
            created REAL NOT NULL,
            started REAL,
            finished REAL,
            run_started REAL,
            run_done INTEGER NOT NULL DEFAULT 0,
            run_time REAL NOT NULL DEFAULT 0,
            heartbeat REAL,
            pid INTEGER,
            host TEXT,
            worker TEXT,
            error TEXT,
            cancel INTEGER NOT NULL DEFAULT 0,
            table_blob BLOB
        )""",
        "CREATE INDEX jobs_status ON jobs (status, created)",
        """CREATE TABLE results (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            value BLOB NOT NULL,
            job TEXT,
            created REAL NOT NULL
        )""",
        """CREATE TABLE claims (
            key TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            job TEXT,
            pid INTEGER,
            host TEXT,
            heartbeat REAL NOT NULL
        )""",
        "CREATE INDEX claims_owner ON claims (owner)",
        """CREATE TABLE workers (
            id TEXT PRIMARY KEY,
            pid INTEGER,
            host TEXT,
            started REAL NOT NULL,
            heartbeat REAL NOT NULL,
            job TEXT
        )""",
    ],
    # 2: runs are looked up by their config's digest ("the stored run of this config")
    ["CREATE INDEX IF NOT EXISTS jobs_digest ON jobs (kind, digest)"],
    # 3: runs belong to someone (owner: a browser's digest, or 'server'); the instructor shares runs with
    # the class; settings holds the instructor's choices (the per-student cap of the fair queue)
    ["ALTER TABLE jobs ADD COLUMN owner TEXT",
     "ALTER TABLE jobs ADD COLUMN shared INTEGER NOT NULL DEFAULT 0",
     # progress in model fits (a CV task costs cv_folds × grid fits): the ETA weighs tasks by cost
     "ALTER TABLE jobs ADD COLUMN cost_done REAL NOT NULL DEFAULT 0",
     "ALTER TABLE jobs ADD COLUMN cost_total REAL NOT NULL DEFAULT 0",
     "ALTER TABLE jobs ADD COLUMN run_cost_done REAL NOT NULL DEFAULT 0",
     "CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, status)",
     "CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
     # who uploaded which CSV (content-addressed file names: two students uploading the same file both own it)
     "CREATE TABLE IF NOT EXISTS uploads (name TEXT NOT NULL, owner TEXT NOT NULL, created REAL NOT NULL, "
     "PRIMARY KEY (name, owner))"],
    # 4: a run's name and tags (a JSON list), set at submit time or later (kdviz.jobs.labels)
    ["ALTER TABLE jobs ADD COLUMN name TEXT NOT NULL DEFAULT ''",
     "ALTER TABLE jobs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'"],
]
SCHEMA_VERSION = len(MIGRATIONS)

JOB_COLUMNS = ("id, kind, config, executor, status, stage, done, total, computed, created, started, finished, "
               "run_started, run_done, run_time, heartbeat, pid, host, worker, error, cancel, "
               "table_blob IS NOT NULL, owner, shared, cost_done, cost_total, run_cost_done, name, tags")


def job_record(row: tuple) -> JobRecord:
    """The `JobRecord` of a row of ``SELECT {JOB_COLUMNS} FROM jobs``."""
    (jid, kind, config, executor, status, stage, done, total, computed, created, started, finished,
     run_started, run_done, run_time, heartbeat, pid, host, worker, error, cancel, has_table, owner, shared,
     cost_done, cost_total, run_cost_done, name, tags) = row[:29]
    return JobRecord(jid, kind, json.loads(config), executor, Status(status), stage, done, total, computed, created,
                     started, finished, run_started, run_done, run_time, heartbeat, pid, host, worker, error,
                     bool(cancel), bool(has_table), owner=owner, shared=bool(shared),
                     cost_done=cost_done or 0.0, cost_total=cost_total or 0.0, run_cost_done=run_cost_done or 0.0,
                     name=name or "", tags=tuple(json.loads(tags or "[]")))


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the store at `path` (open as `conn`) to `SCHEMA_VERSION`, in one transaction; a store of a
    newer kdviz is refused."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise StoreError(f"the job store {path} has schema version {version}, newer than this kdviz "
                         f"understands ({SCHEMA_VERSION}); upgrade kdviz or use another KDVIZ_HOME")
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
        for v in range(version, SCHEMA_VERSION):
            for stmt in MIGRATIONS[v]:
                conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {v + 1}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
