"""The SQLite job store: schema, errors on bad paths, atomic claims, liveness, restart."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from test_jobs_support import job_env

from kdviz.errors import KdvizError
from kdviz.jobs import engine
from kdviz.jobs.store import SCHEMA_VERSION, JobNotFound, Store, StoreError, default_home, open_store


def test_default_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path / "h"))
    assert default_home() == tmp_path / "h"
    monkeypatch.delenv("KDVIZ_HOME")
    assert default_home() == Path.home() / ".kdviz"


def test_fresh_store_schema_and_wal(tmp_path):
    store = Store(tmp_path)
    assert store.schema_version() == SCHEMA_VERSION
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    assert {"jobs", "results", "claims", "workers"} <= {r[0] for r in store.query(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_newer_schema_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / "jobs.sqlite")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(tmp_path)


def test_corrupt_store_is_a_clear_error_not_a_hang(tmp_path):
    (tmp_path / "jobs.sqlite").write_bytes(b"this is not a database, just garbage " * 200)
    t = time.monotonic()
    with pytest.raises(StoreError, match="corrupt") as err:
        Store(tmp_path)
    assert time.monotonic() - t < 3
    assert str(tmp_path) in str(err.value) and isinstance(err.value, KdvizError)


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_unwritable_store_path_is_a_clear_error(tmp_path, where):
    if where == "under-a-file":
        (tmp_path / "afile").write_text("x")
        home = tmp_path / "afile" / "kdviz"
    else:
        home = Path("/proc/kdviz-cannot-be-here")
    t = time.monotonic()
    with pytest.raises(StoreError, match="KDVIZ_HOME"):
        Store(home)
    assert time.monotonic() - t < 3


def test_submit_to_unwritable_home_fails_fast(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(StoreError):
        engine.submit("jobs-test", {"n": 1}, home=tmp_path / "afile" / "h", start_worker=False)


def test_locked_store_times_out_with_a_clear_error(tmp_path):
    Store(tmp_path)
    holder = sqlite3.connect(tmp_path / "jobs.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store = Store(tmp_path, timeout=0.3)
        t = time.monotonic()
        with pytest.raises(StoreError, match="busy"):
            store.add_job("jobs-test", "{}", "d")
        assert time.monotonic() - t < 3
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_new_store_waits_for_a_writer_while_switching_to_wal(tmp_path):
    """Another process writes to a new, not yet WAL store. Switching it to WAL makes SQLite answer
    "locked" at once (it skips its busy handler to avoid a deadlock), which is how 20 processes opening
    one new store together failed in CI. The store waits for the writer instead, within its timeout."""
    holder = sqlite3.connect(tmp_path / "jobs.sqlite", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        t = time.monotonic()
        store = Store(tmp_path, timeout=10)
        assert time.monotonic() - t >= 0.25
        assert store.query("PRAGMA journal_mode")[0][0] == "wal"
        assert store.get_job(store.add_job("jobs-test", "{}", "d")).status == "queued"
    finally:
        release.join()
        holder.close()


def test_results_roundtrip_with_numpy(tmp_path):
    store = Store(tmp_path)
    value = {"p": np.arange(12.0).reshape(3, 4), "x": 1}
    store.put_result("k1", "teacher", value)
    store.put_result("k1", "teacher", {"other": 1})  # first write wins (results are immutable)
    got = store.get_results(["k1", "missing"])
    assert set(got) == {"k1"} and np.array_equal(got["k1"]["p"], value["p"])


def test_a_result_whose_class_has_moved_is_computed_again(tmp_path):
    """A store written before a module moved (e.g. kdviz.csearch → kdviz.kd.csearch) still opens: that
    result reads as not stored, the others are kept."""
    import pickle

    store = Store(tmp_path)
    store.put_result("ok", "teacher", {"x": 1})
    blob = pickle.dumps(np.arange(3)).replace(b"numpy", b"nompy")  # a class path that no longer imports
    with store.write() as c:
        c.execute("INSERT INTO results (key, kind, value, created) VALUES (?, ?, ?, 0)", ("moved", "csearch", blob))
    assert set(store.get_results(["ok", "moved"])) == {"ok"}


def test_task_claims_are_atomic(tmp_path):
    store = Store(tmp_path)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def claim(i: int) -> None:
        barrier.wait()
        outcomes.append(Store(tmp_path).try_claim("key", f"owner-{i}"))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["mine"] + ["other"] * 7
    store.put_result("key", "x", 1)
    assert store.try_claim("key", "late") == "done"


def test_claim_of_a_dead_owner_is_taken_over(tmp_path):
    store = Store(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    store.try_claim("k", "ghost")
    with store.write() as c:
        c.execute("UPDATE claims SET pid = ? WHERE key = 'k'", (proc.pid,))
    assert store.try_claim("k", "me") == "mine"


def test_dead_worker_marks_job_interrupted(tmp_path):
    store = Store(tmp_path)
    jid = store.add_job("jobs-test", "{}", "d")
    assert store.claim_job("w1").id == jid
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    with store.write() as c:
        c.execute("UPDATE jobs SET pid = ? WHERE id = ?", (proc.pid, jid))
    assert store.get_job(jid).status == "running"
    assert store.reap() == 1
    job = store.get_job(jid)
    assert job.status == "interrupted" and "resume" in job.error
    assert store.requeue(jid).status == "queued"


def test_stale_heartbeat_marks_job_interrupted(tmp_path, monkeypatch):
    store = Store(tmp_path)
    jid = store.add_job("jobs-test", "{}", "d")
    store.claim_job("w1")
    with store.write() as c:
        c.execute("UPDATE jobs SET heartbeat = heartbeat - 100, host = 'elsewhere' WHERE id = ?", (jid,))
    monkeypatch.setenv("KDVIZ_HEARTBEAT_TIMEOUT", "30")
    store.reap()
    assert store.get_job(jid).status == "interrupted"


def test_job_ids_prefixes_listing_and_delete(tmp_path):
    store = open_store(tmp_path)
    ids = [engine.submit("jobs-test", {"n": 2, "tag": str(i)}, home=tmp_path, start_worker=False) for i in range(3)]
    assert [j.id for j in engine.list_jobs(home=tmp_path)] == ids[::-1]
    job = engine.get_job(ids[0][:8], home=tmp_path)
    assert job.id == ids[0] and job.status == "queued" and job.config == {"n": 2, "sleep": 0.0, "fail": None,
                                                                          "hang": None, "tag": "0"}
    assert job.elapsed is None and job.eta is None and job.fraction == 0.0
    engine.delete(ids[0], home=tmp_path)
    with pytest.raises(JobNotFound, match="kdviz jobs"):
        engine.get_job(ids[0], home=tmp_path)
    assert engine.cancel(ids[1], home=tmp_path).status == "cancelled"
    assert store.stats()["jobs"] == 2


def test_store_restart_in_a_new_process_sees_all_jobs(tmp_path):
    ids = [engine.submit("jobs-test", {"n": 2, "tag": str(i)}, home=tmp_path, start_worker=False) for i in range(3)]
    engine.cancel(ids[2], home=tmp_path)
    engine.open_store(tmp_path).close()
    code = ("import json; from kdviz.jobs import list_jobs; "
            "print(json.dumps([[j.id, j.status, j.config['tag']] for j in list_jobs()]))")
    out = subprocess.run([sys.executable, "-c", code], env=job_env(tmp_path), capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == [[ids[2], "cancelled", "2"], [ids[1], "queued", "1"], [ids[0], "queued", "0"]]


def test_find_by_digest_finds_the_newest_run_of_a_config(tmp_path):
    store = Store(tmp_path)
    first = store.add_job("jobs-test", "{}", "aaaa")
    other = store.add_job("jobs-test", "{}", "bbbb")
    newest = store.add_job("jobs-test", "{}", "aaaa")
    store.add_job("other-kind", "{}", "aaaa")  # the same digest in another experiment is not a match
    assert store.find_by_digest("jobs-test", "aaaa").id == newest
    assert store.find_by_digest("jobs-test", "bbbb").id == other
    assert store.find_by_digest("jobs-test", "cccc") is None
    store.request_cancel(newest)
    assert store.find_by_digest("jobs-test", "aaaa", status=("queued", "done")).id == first
    assert store.find_by_digest("jobs-test", "aaaa", status="cancelled").id == newest
    assert store.find_by_digest("jobs-test", "aaaa", status="done") is None
    plan = " ".join(r[-1] for r in store.query(
        "EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE kind = ? AND digest = ?", ("jobs-test", "aaaa")))
    assert "jobs_digest" in plan  # an index look-up, not a scan of every job


def test_find_run_compares_validated_configs(tmp_path):
    a = engine.submit("jobs-test", {"n": 2, "tag": "a"}, home=tmp_path, start_worker=False)
    engine.submit("jobs-test", {"n": 3, "tag": "a"}, home=tmp_path, start_worker=False)
    a2 = engine.submit("jobs-test", {"tag": "a", "n": 2, "sleep": 0.0}, home=tmp_path, start_worker=False)
    found = engine.find_run("jobs-test", {"n": 2, "tag": "a"}, home=tmp_path)  # defaults filled in, as stored
    assert found.id == a2 and found.config["n"] == 2
    assert engine.find_run("jobs-test", {"n": 2, "tag": "b"}, home=tmp_path) is None
    assert engine.find_run("jobs-test", {"n": 2, "tag": "a"}, home=tmp_path, status="done") is None
    engine.cancel(a2, home=tmp_path)
    assert engine.find_run("jobs-test", {"n": 2, "tag": "a"}, home=tmp_path).id == a  # cancelled: not by default
    assert engine.find_run("jobs-test", {"n": 2, "tag": "a"}, home=tmp_path, status=None).id == a2


def _old_store(home: Path) -> None:
    """A jobs.sqlite as kdviz wrote it before the digest index (schema version 1), with one job."""
    from kdviz.jobs.store_schema import MIGRATIONS

    home.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(home / "jobs.sqlite", isolation_level=None)
    for stmt in MIGRATIONS[0]:
        conn.execute(stmt)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO jobs (id, kind, config, digest, status, stage, created) "
                 "VALUES ('oldjob000001', 'jobs-test', '{\"n\": 2}', 'd0', 'done', 'done', 1.0)")
    conn.close()


def test_an_old_store_opens_and_gains_the_digest_index(tmp_path):
    _old_store(tmp_path)
    store = Store(tmp_path)
    assert store.schema_version() == SCHEMA_VERSION >= 2
    indexes = {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"jobs_digest", "jobs_status", "claims_owner"} <= indexes
    job = store.get_job("oldjob")
    assert job.status == "done" and job.config == {"n": 2}
    assert store.find_by_digest("jobs-test", "d0").id == "oldjob000001"
    assert Store(tmp_path).schema_version() == SCHEMA_VERSION  # opening again: nothing to do
