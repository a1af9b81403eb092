"""The job store's SQL for owners, sharing, settings and the fair queue (kept with the store: no SQL
runs outside kdviz/jobs/store*.py). `store` is a `kdviz.jobs.store.Store`; `c` a connection inside one
of its transactions. Not imported by the store itself except through `kdviz.jobs.queue`."""

from __future__ import annotations

import time
from typing import Any


def queue_state(c: Any, no_owner: str) -> tuple[list[tuple[str, str, float]], dict[str, float]]:
    """The queued jobs ``(id, owner, created)``, oldest first, and when each owner was last served
    (`no_owner` stands for the owner of jobs stored before runs had owners)."""
    SERVER_OWNER = no_owner  # noqa: N806
    queued = c.execute("SELECT id, COALESCE(owner, ?), created FROM jobs WHERE status = 'queued' "
                       "ORDER BY created, rowid", (SERVER_OWNER,)).fetchall()
    served = dict(c.execute("SELECT COALESCE(owner, ?), MAX(run_started) FROM jobs WHERE run_started IS NOT NULL "
                            "GROUP BY COALESCE(owner, ?)", (SERVER_OWNER, SERVER_OWNER)).fetchall())
    return queued, served


def set_shared(store: Any, job_id: str, shared: bool) -> Any:
    """Mark a run shared with the class (or not); its new record."""
    jid = store.resolve_id(job_id)
    with store.write() as c:
        c.execute("UPDATE jobs SET shared = ? WHERE id = ?", (int(bool(shared)), jid))
    return store.get_job(jid)


def set_name_tags(store: Any, jid: str, name: str, tags_json: str) -> None:
    """Store a run's (validated) name and tags (a JSON list): `kdviz.jobs.labels.set_label`."""
    with store.write() as c:
        c.execute("UPDATE jobs SET name = ?, tags = ? WHERE id = ?", (name, tags_json, jid))


def get_setting(store: Any, name: str, default: str | None = None) -> str | None:
    return next((r[0] for r in store.query("SELECT value FROM settings WHERE name = ?", (name,))), default)


def set_setting(store: Any, name: str, value: str) -> None:
    with store.write() as c:
        c.execute("INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)", (name, str(value)))


def grant_upload(store: Any, name: str, owner: str) -> None:
    """Record that `owner` uploaded the CSV stored as `name` (a file name in the uploads folder)."""
    with store.write() as c:
        c.execute("INSERT OR IGNORE INTO uploads (name, owner, created) VALUES (?, ?, ?)", (name, owner, time.time()))


def owns_upload(store: Any, name: str, owner: str) -> bool:
    return bool(store.query("SELECT 1 FROM uploads WHERE name = ? AND owner = ?", (name, owner)))
