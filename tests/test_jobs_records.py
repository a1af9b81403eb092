"""Job statuses, the layering of the job engine (SQL only in the store), and the plans cached for
partial tables."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest
from test_jobs_support import TConfig, _assemble, _execute, _plan

import kdviz.jobs as jobs
from kdviz.experiments import Experiment, register_experiment
from kdviz.jobs import ACTIVE, RESUMABLE, STATUSES, Status, engine
from kdviz.jobs.store import Store
from kdviz.runtime.cache import SingleFlightCache

ROOT = Path(__file__).resolve().parents[1]


def test_status_values_are_the_stored_strings():
    assert [str(s) for s in STATUSES] == ["queued", "running", "done", "failed", "cancelled", "interrupted"]
    assert Status.DONE == "done" and Status("running") is Status.RUNNING
    assert "queued" in ACTIVE and Status.RUNNING in ACTIVE and "done" not in ACTIVE
    assert set(ACTIVE) | set(RESUMABLE) | {Status.DONE} == set(STATUSES) and not set(ACTIVE) & set(RESUMABLE)
    assert f"{Status.FAILED:<8}|" == "failed  |" and json.dumps([Status.DONE]) == '["done"]'
    with pytest.raises(ValueError):
        Status("finished")


def test_job_records_carry_a_status_and_derived_fields(tmp_path):
    store = Store(tmp_path)
    jid = store.add_job("jobs-test", "{}", "d")
    job = store.get_job(jid)
    assert job.status is Status.QUEUED and job.active and not job.resumable and job.fraction == 0.0
    assert json.loads(json.dumps(job.to_dict()))["status"] == "queued"
    job = store.request_cancel(jid)
    assert job.status == "cancelled" and not job.active and job.resumable
    assert [j.id for j in store.list_jobs(status=Status.CANCELLED)] == [jid]
    assert store.list_jobs(status=ACTIVE) == []
    assert jobs.ACTIVE is ACTIVE  # defined once, exported by kdviz.jobs


SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE) ")


def test_no_sql_outside_the_store():
    """Every SQL statement is a named method of a store: the job store (kdviz/jobs/store*.py) or the class
    sessions' own database (kdviz/teaching/classroom.py, `ClassStore`); nothing else runs SQL."""
    files = [p for d in ("kdviz", "ui", "pages") for p in (ROOT / d).rglob("*.py")] + [ROOT / "app.py"]
    assert len(files) > 20
    leaks = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}" for p in files
             if not (p.parent.name == "jobs" and p.name.startswith("store"))
             and p.relative_to(ROOT).as_posix() != "kdviz/teaching/classroom.py"
             for i, line in enumerate(p.read_text().splitlines(), 1) if SQL.search(line)]
    assert not leaks, "SQL outside kdviz/jobs/store*.py:\n" + "\n".join(leaks)


def test_every_job_module_is_at_most_500_lines():
    for p in (ROOT / "kdviz" / "jobs").glob("*.py"):
        assert len(p.read_text().splitlines()) <= 500, p.name


# ----------------------------------------------------------------------------------------------
LOADS: list[str] = []


def _counted_load(cfg: TConfig) -> None:
    LOADS.append(cfg.tag)
    time.sleep(0.2)  # long enough for concurrent readers to arrive while it loads


register_experiment(Experiment(
    name="jobs-count-load", description="jobs-test, counting its data loads (in this process only)",
    make_config=lambda d: TConfig(**d), load=_counted_load, fingerprint=lambda cfg, ctx: "fp",
    plan=_plan, execute=_execute, assemble=_assemble,
))


@pytest.fixture
def plans(monkeypatch):
    LOADS.clear()
    cache = SingleFlightCache(maxsize=engine.PLAN_CACHE_SIZE)
    monkeypatch.setattr(engine, "_PLANS", cache)
    return cache


def test_partial_results_load_the_data_once_per_job_config(tmp_path, plans):
    a = jobs.submit("jobs-count-load", {"n": 2, "tag": "a"}, home=tmp_path, start_worker=False)
    same = jobs.submit("jobs-count-load", {"n": 2, "tag": "a"}, home=tmp_path, start_worker=False)
    b = jobs.submit("jobs-count-load", {"n": 2, "tag": "b"}, home=tmp_path, start_worker=False)
    for _ in range(3):
        for jid in (a, same, b):
            df = jobs.job_results(jid, home=tmp_path)
            assert df.empty and list(df.columns) == ["i", "value", "arr_sum", "total"]
    assert sorted(LOADS) == ["a", "b"]  # once per config, not per read nor per job

    threads = [threading.Thread(target=jobs.job_results, args=(jobs.submit(
        "jobs-count-load", {"n": 2, "tag": "c"}, home=tmp_path, start_worker=False),), kwargs={"home": tmp_path})
        for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(LOADS) == ["a", "b", "c"]  # six sessions reading a new job at once: one load


def test_the_plan_cache_is_bounded(tmp_path, plans):
    for i in range(engine.PLAN_CACHE_SIZE + 3):
        jobs.job_results(jobs.submit("jobs-count-load", {"n": 1, "tag": f"t{i}"}, home=tmp_path,
                                     start_worker=False), home=tmp_path)
    assert len(LOADS) == engine.PLAN_CACHE_SIZE + 3
    assert plans.info().size == engine.PLAN_CACHE_SIZE


def test_one_seconds_formatter_and_one_set_of_worker_options():
    import argparse

    from kdviz.cli.main import build_parser
    from kdviz.cli.tools import format_seconds
    from kdviz.jobs.worker import add_worker_arguments

    assert [format_seconds(s) for s in (None, float("nan"), 12.4, 65, 7620)] == ["—", "—", "12 s", "1 min 05 s",
                                                                                    "2 h 07 min"]
    assert format_seconds(None, none="-") == "-"
    own = argparse.ArgumentParser()
    add_worker_arguments(own)
    argv = ["--home", "/tmp/h", "--jobs", "2", "--executor", "local", "--idle-exit", "5", "--job", "abc",
            "--worker-id", "w-1"]
    via_cli = vars(build_parser().parse_args(["worker", *argv]))
    assert {k: via_cli[k] for k in vars(own.parse_args(argv))} == vars(own.parse_args(argv))
