"""The Ray executor on a local Ray instance (2 CPUs, no dashboard): same table as the local executor,
readable task failures. Skipped when Ray is not installed."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from test_jobs_support import SMALL_SWEEP, TESTS, job_env

from kdviz.config import make_config
from kdviz.jobs import get_job, job_results, open_store, submit
from kdviz.jobs.worker import Worker
from kdviz.sweep import run_sweep

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -r requirements-ray.txt)")
pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def local_ray():
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS), saved) if p)  # Ray workers import tests
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
    if saved is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = saved


@pytest.fixture
def home(tmp_path, monkeypatch, local_ray):
    h = tmp_path / "home"
    for k, v in job_env(h).items():
        if k != "PYTHONPATH":
            monkeypatch.setenv(k, v)
    return h


def run_worker() -> None:
    Worker(open_store(), idle_exit=0, plugins=("test_jobs_support",)).run()


def test_ray_executor_gives_the_local_table(home):
    cfg = make_config(**SMALL_SWEEP)
    jid = submit("sweep", cfg, executor="ray", start_worker=False)
    run_worker()
    job = get_job(jid)
    assert job.status == "done", job.error
    assert job.executor == "ray" and job.computed == job.total == 21
    pd.testing.assert_frame_equal(job_results(jid), run_sweep(cfg, jobs=2))
    assert ray.is_initialized()  # the worker did not shut down a Ray it did not start


def test_ray_task_failure_is_readable(home):
    jid = submit("jobs-test", {"n": 3, "fail": 1, "tag": "ray-fail"}, executor="ray", start_worker=False)
    run_worker()
    job = get_job(jid)
    assert job.status == "failed"
    assert "item i=1 failed" in job.error and "exploded on purpose" in job.error
    assert "Traceback" not in job.error and "\n" not in job.error


def test_worker_process_connects_to_ray_at_kdviz_ray_address(home):
    from test_jobs_support import start_worker

    address = ray.get_runtime_context().gcs_address
    env = job_env(home, KDVIZ_RAY_ADDRESS=address)
    cfg = {"n": 4, "tag": "ray-address"}
    jid = submit("jobs-test", cfg, executor="ray", start_worker=False)
    out, _ = start_worker(home, env, "--idle-exit", "0").communicate(timeout=120)
    job = get_job(jid)
    assert job.status == "done", (job.error, out)
    assert list(job_results(jid)["value"]) == [0, 1, 4, 9]
    assert job.computed == 5
    assert ray.is_initialized()  # the worker disconnected without shutting the cluster down
