"""The job engine end to end with worker processes: done, cache, cancel, stuck tasks, failures,
20 concurrent identical submissions (threads and processes) → one computation."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from test_jobs_support import PLUGIN, TConfig, _plan, counted, job_env, wait_for

from kdviz.experiments import run_experiment
from kdviz.jobs import cancel, get_job, job_results, list_jobs, open_store, resume, stop_workers, submit, wait
from kdviz.jobs.records import pid_alive


@pytest.fixture
def home(tmp_path, monkeypatch):
    h = tmp_path / "home"
    for k, v in job_env(h, tmp_path / "counter.txt", KDVIZ_WORKER_JOBS="2", KDVIZ_MAX_WORKERS="2").items():
        monkeypatch.setenv(k, v)
    yield h
    stop_workers()


@pytest.fixture
def counter(home) -> Path:
    return Path(os.environ["KDVIZ_TEST_COUNTER"])


def expected_table(cfg: dict) -> pd.DataFrame:
    saved = os.environ.pop("KDVIZ_TEST_COUNTER")
    try:
        return run_experiment("jobs-test", TConfig(**cfg), jobs=1)
    finally:
        os.environ["KDVIZ_TEST_COUNTER"] = saved


def test_submit_runs_in_the_background_and_resubmit_is_free(home, counter):
    cfg = {"n": 5, "sleep": 0.05, "tag": "basic"}
    t = time.monotonic()
    jid = submit("jobs-test", cfg)
    assert time.monotonic() - t < 5  # returns at once (the worker runs elsewhere)
    job = wait(jid, timeout=60)
    assert job.status == "done", job.error
    assert (job.done, job.total, job.computed) == (6, 6, 6)
    assert job.elapsed > 0 and job.finished >= job.started and job.error is None and job.has_table
    pd.testing.assert_frame_equal(job_results(jid), expected_table(cfg))
    assert len(counted(counter)) == 6

    again = wait(submit("jobs-test", cfg), timeout=60)
    assert again.status == "done" and again.computed == 0 and again.done == 6
    assert len(counted(counter)) == 6  # nothing recomputed
    pd.testing.assert_frame_equal(job_results(again.id), expected_table(cfg))
    assert [j.id for j in list_jobs()] == [again.id, jid]


def test_cancel_within_a_second_then_resume_computes_only_missing(home, counter):
    cfg = {"n": 24, "sleep": 0.15, "tag": "cancel"}
    jid = submit("jobs-test", cfg)
    wait_for(lambda: get_job(jid).done >= 4)
    t = time.monotonic()
    assert cancel(jid).cancel_requested
    job = wait(jid, timeout=10, poll=0.02)
    assert job.status == "cancelled" and time.monotonic() - t < 1.5
    assert 4 <= job.done < job.total
    partial = job_results(jid)  # partial table of what was stored
    assert 4 <= len(partial) < 24 and partial["total"].isna().all()
    stored = open_store().result_keys(k for k, _, _ in counted(counter))
    n_before = len(counted(counter))

    job = wait(resume(jid).id, timeout=60)
    assert job.status == "done" and job.done == job.total == 25
    after = Counter(k for k, _, _ in counted(counter)[n_before:])
    assert not stored & set(after), "a stored task was recomputed after resume"
    pd.testing.assert_frame_equal(job_results(jid), expected_table(cfg))
    logs = "".join(p.read_text() for p in (home / "logs").glob("*.log"))
    assert "Traceback" not in logs, logs[-2000:]  # the pool stopped cleanly (no loky manager-thread error)


def test_cancel_kills_a_stuck_task(home, counter):
    cfg = {"n": 3, "hang": 0, "tag": "stuck"}
    jid = submit("jobs-test", cfg)
    hanging = _plan(TConfig(**cfg), None)[0].key  # item 0 sleeps for an hour once started
    wait_for(lambda: any(k == hanging for k, _, _ in counted(counter)) and get_job(jid).done >= 2)
    stuck_pid = next(pid for key, _, pid in counted(counter) if key == hanging)
    t = time.monotonic()
    cancel(jid)
    job = wait(jid, timeout=10, poll=0.02)
    assert job.status == "cancelled" and time.monotonic() - t < 1.5
    wait_for(lambda: not pid_alive(stuck_pid), timeout=10)


def test_a_failing_task_fails_the_job_with_a_readable_message(home, counter):
    cfg = {"n": 4, "sleep": 0.1, "fail": 3, "tag": "fail"}
    job = wait(submit("jobs-test", cfg), timeout=60)
    assert job.status == "failed"
    assert "item i=3 failed" in job.error and "exploded on purpose" in job.error
    assert "Traceback" not in job.error and "\n" not in job.error
    df = job_results(job.id)  # the other results stay
    assert {0, 1} <= set(df["i"]) and 3 not in set(df["i"])


def _check_identical_jobs(ids: list[str], counter: Path, cfg: dict, bound: int) -> None:
    seen_workers = [0]
    stop = threading.Event()

    def watch() -> None:
        store = open_store()
        while not stop.is_set():
            seen_workers[0] = max(seen_workers[0], len(store.live_workers()))
            time.sleep(0.05)  # the sampling period of the watcher (not a wait for a condition)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        jobs = [wait(i, timeout=120) for i in ids]
    finally:
        stop.set()
        watcher.join()
    assert [j.status for j in jobs] == ["done"] * len(ids), [j.error for j in jobs]
    n_tasks = cfg["n"] + 1
    per_key = Counter(k for k, _, _ in counted(counter))
    assert len(per_key) == n_tasks and set(per_key.values()) == {1}, "a task was computed more than once"
    assert sum(j.computed for j in jobs) == n_tasks
    expected = expected_table(cfg)
    for j in jobs:
        pd.testing.assert_frame_equal(job_results(j.id), expected)
    assert seen_workers[0] <= bound


def test_twenty_concurrent_submissions_from_threads_compute_once(home, counter):
    cfg = {"n": 8, "sleep": 0.1, "tag": "threads"}
    ids: list[str] = []
    barrier = threading.Barrier(20)

    def go() -> None:
        barrier.wait()
        ids.append(submit("jobs-test", cfg))

    threads = [threading.Thread(target=go) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 20
    _check_identical_jobs(ids, counter, cfg, bound=2)


def test_twenty_concurrent_submissions_from_processes_compute_once(home, counter):
    cfg = {"n": 8, "sleep": 0.1, "tag": "procs"}
    code = f"import kdviz.jobs as j, {PLUGIN}; print(j.submit('jobs-test', {cfg!r}))"
    procs = [subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=home.parent) for _ in range(20)]
    ids = []
    for p in procs:
        out, err = p.communicate(timeout=300)  # 20 interpreters importing torch at once on 2 cores: ≈ 100 s
        assert p.returncode == 0, err
        ids.append(out.strip().splitlines()[-1])
    assert len(set(ids)) == 20
    _check_identical_jobs(ids, counter, cfg, bound=2)


def test_any_registered_experiment_runs_as_a_job(home):
    from kdviz.errors import ConfigError
    from kdviz.experiments import get_experiment
    from kdviz.jobs.worker import Worker

    try:
        exp = get_experiment("theory-eps")
    except ConfigError:
        pytest.skip("no theory experiments registered")
    cfg = exp.make_config({"n": 500, "repeats": 1, "eps_grid": (0.1, 0.8), "n_eval": 2000})
    jid = submit("theory-eps", cfg, start_worker=False)
    Worker(open_store(), idle_exit=0).run()
    job = get_job(jid)
    assert job.status == "done", job.error
    pd.testing.assert_frame_equal(job_results(jid), run_experiment("theory-eps", cfg, jobs=1))


def test_ensure_workers_is_bounded_and_can_keep_one_warm(home):
    from kdviz.jobs import ensure_workers

    assert ensure_workers() == []  # nothing queued: no worker
    assert len(ensure_workers(min_idle=1)) == 1  # a warm spare for the next submission
    assert ensure_workers(min_idle=1) == []  # already there
    for i in range(5):
        submit("jobs-test", {"n": 1, "tag": f"bound{i}"}, start_worker=False)
    assert len(ensure_workers()) == 1  # bound 2 (KDVIZ_MAX_WORKERS)
    assert ensure_workers() == [] and len(open_store().live_workers()) == 2
