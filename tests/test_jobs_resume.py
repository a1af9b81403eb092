"""kill -9 a worker in the middle of a real sweep: the job is `interrupted`; resume finishes it without
recomputing any stored task, and the table equals an uninterrupted in-process run's."""

from __future__ import annotations

import os
import signal
from collections import Counter

import pandas as pd
from test_jobs_support import SMALL_SWEEP, counted, job_env, start_worker, wait_for

from kdviz.config import make_config
from kdviz.jobs import get_job, job_results, open_store, resume, submit
from kdviz.sweep import run_sweep


def test_kill_9_worker_mid_sweep_then_resume(tmp_path, monkeypatch):
    home, counter = tmp_path / "home", tmp_path / "counter.txt"
    env = job_env(home, counter, KDVIZ_TEST_DELAY="0.1", KDVIZ_WORKER_JOBS="2")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    cfg = dict(SMALL_SWEEP, repeats=2)
    jid = submit("sweep-counted", cfg, start_worker=False)
    worker = start_worker(home, env, "--idle-exit", "0")

    def six_done() -> bool:
        assert worker.poll() is None, worker.stdout.read()
        return get_job(jid).done >= 6

    wait_for(six_done, timeout=60, poll=0.01, what="6 tasks done")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()

    job = get_job(jid)
    assert job.status == "interrupted" and "resume" in job.error
    assert 6 <= job.done < job.total
    stored = open_store().result_keys(k for k, _, _ in counted(counter))
    assert len(stored) >= 6
    partial = job_results(jid)  # what was stored is readable while the job is interrupted
    n_before = len(counted(counter))

    assert resume(jid, start_worker=False).status == "queued"
    worker = start_worker(home, env, "--idle-exit", "0")
    out, _ = worker.communicate(timeout=120)
    job = get_job(jid)
    assert job.status == "done", (job.error, out)
    assert job.done == job.total

    recomputed = Counter(k for k, _, _ in counted(counter)[n_before:])
    assert not stored & set(recomputed), "a task finished before the kill was computed again"
    table = job_results(jid)
    monkeypatch.delenv("KDVIZ_TEST_COUNTER")
    expected = run_sweep(make_config(**cfg), jobs=1)
    pd.testing.assert_frame_equal(table, expected)
    assert len(partial) < len(table)
