"""Runs belong to someone: permissions in the job layer, the fair queue (round-robin, per-student cap),
cost-weighted ETAs, upload privacy, no server path in a talk pack, the instructor key."""

from __future__ import annotations

import json
import time
import zipfile
from io import BytesIO
from types import SimpleNamespace

import pandas as pd
import pytest

import kdviz.jobs as jobs
from kdviz.errors import ConfigError
from kdviz.jobs import Actor, PermissionDenied, QueueFull, Status
from kdviz.jobs.owners import (
    instructor_token,
    key_matches,
    may_read_upload,
    new_secret,
    owner_from_secret,
    refusal_delay,
    short_owner,
    token_valid,
)
from kdviz.jobs.queue import CostModel, queue_info, round_robin, task_cost
from kdviz.jobs.records import JobRecord
from kdviz.jobs.store_owners import grant_upload

CFG = dict(dataset="synthetic:gmm", n=200, capacities=(1, 2), methods=("no_kd", "vanilla"), repeats=1, folds=2)
A, B, C = Actor("b-aaaa"), Actor("b-bbbb"), Actor("b-cccc")
TEACHER = Actor("b-teacher", instructor=True)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_HOME", str(tmp_path))
    monkeypatch.delenv("KDVIZ_STUDENT_CAP", raising=False)
    return tmp_path


def _submit(home, actor, **over) -> str:
    return jobs.submit("sweep", {**CFG, **over}, home=home, start_worker=False, actor=actor)


# ----------------------------------------------------------------------------------------------
def test_owner_other_student_and_instructor(home):
    a = _submit(home, A)
    b = _submit(home, B, seed=1)
    assert jobs.get_job(a, home=home).owner == A.owner
    for action in (jobs.cancel, jobs.delete, jobs.resume):
        with pytest.raises(PermissionDenied, match="only its owner or the instructor"):
            action(a, home=home, actor=B)
    assert jobs.get_job(a, home=home).status == Status.QUEUED  # nothing changed
    # a student sees their own runs and the shared ones; the instructor all
    assert [j.id for j in jobs.list_jobs(home=home, actor=B)] == [b]
    with pytest.raises(PermissionDenied):
        jobs.share(a, True, home=home, actor=B)
    jobs.share(a, True, home=home, actor=TEACHER)
    assert {j.id for j in jobs.list_jobs(home=home, actor=B)} == {a, b}
    with pytest.raises(PermissionDenied):  # shared is to see, not to delete
        jobs.delete(a, home=home, actor=B)
    assert {j.id for j in jobs.list_jobs(home=home, actor=TEACHER)} == {a, b}
    # the owner cancels and resumes their own; the instructor deletes anyone's
    assert jobs.cancel(a, home=home, actor=A).status == Status.CANCELLED
    assert jobs.resume(a, home=home, actor=A, start_worker=False).status == Status.QUEUED
    jobs.delete(b, home=home, actor=TEACHER)
    jobs.delete(a, home=home, actor=A)
    assert jobs.list_jobs(home=home) == []


def test_round_robin_three_owners_three_runs(home):
    jobs.set_student_limit(3, home=home, actor=TEACHER)
    ids = {o: [_submit(home, Actor(o), seed=i) for i in range(3)] for o in ("b-a", "b-b", "b-c")}
    names = {jid: f"{o[-1].upper()}{i + 1}" for o, js in ids.items() for i, jid in enumerate(js)}
    store = jobs.open_store(home)
    store.register_worker("w1", None)
    taken = []
    while (job := store.claim_job("w1")) is not None:
        taken.append(names[job.id])
        store.finish_job(job.id, "w1", Status.DONE)
        time.sleep(0.002)
    assert taken == ["A1", "B1", "C1", "A2", "B2", "C2", "A3", "B3", "C3"]


def test_round_robin_order_and_places_are_the_same():
    queued = [("a1", "a", 1.0), ("a2", "a", 2.0), ("b1", "b", 3.0), ("c1", "c", 4.0), ("a3", "a", 5.0)]
    assert round_robin(queued, {}) == ["a1", "b1", "c1", "a2", "a3"]
    assert round_robin(queued, {"a": 10.0, "b": 5.0}) == ["c1", "b1", "a1", "a2", "a3"]  # never served first


def test_per_student_cap_and_the_instructor_setting(home):
    _submit(home, A)
    _submit(home, A, seed=1)
    with pytest.raises(QueueFull, match="limit is 2 per student"):
        _submit(home, A, seed=2)
    _submit(home, B)  # another student is not affected
    for i in range(3):  # the instructor is not capped
        _submit(home, TEACHER, seed=10 + i)
    with pytest.raises(PermissionDenied):
        jobs.set_student_limit(5, home=home, actor=A)
    assert jobs.set_student_limit(3, home=home, actor=TEACHER) == 3
    _submit(home, A, seed=2)
    with pytest.raises(QueueFull, match="limit is 3"):
        _submit(home, A, seed=3)
    with pytest.raises(ConfigError):
        jobs.set_student_limit(0, home=home, actor=TEACHER)
    jobs.cancel(jobs.list_jobs(home=home, actor=A)[0].id, home=home, actor=A)  # a finished one frees a place
    _submit(home, A, seed=4)


# ----------------------------------------------------------------------------------------------
def _record(**kw) -> JobRecord:
    base = dict(id="j", kind="sweep", config={}, executor="local", status=Status.RUNNING, stage="", done=0, total=0,
                computed=0, created=0.0, started=0.0, finished=None, run_started=None, run_done=0, run_time=0.0,
                heartbeat=None, pid=None, host=None, worker=None, error=None, cancel_requested=False,
                has_table=False)
    return JobRecord(**{**base, **kw})


def test_task_cost_counts_cv_fits():
    from kdviz.kd.csearch import fast_fits_max

    cfg = SimpleNamespace(cv_folds=5, c_grid=(0.1, 0.3, 1, 3, 10))
    assert task_cost(SimpleNamespace(kind="cv"), cfg) == 5  # one value of c: a student per CV fold
    assert task_cost(SimpleNamespace(kind="csearch"), cfg) == fast_fits_max(5, 5) > 5  # the whole fast search
    assert task_cost(SimpleNamespace(kind="student"), cfg) == 1
    assert task_cost(SimpleNamespace(kind="teacher"), cfg) == 1


def test_progress_shown_counts_the_work_the_eta_counts():
    # 2 CV tasks of 25 fits done of 2 CV + 50 one-fit students: 2 of 52 tasks, but half the fits
    now = time.time()
    job = _record(done=2, total=52, run_started=now - 50.0, cost_done=50.0, cost_total=100.0)
    assert job.work == (50.0, 100.0, 0.0)
    assert job.fraction == pytest.approx(0.5)  # not 2/52
    assert job.eta == pytest.approx(job.pace * (1 - job.fraction) * 100.0, rel=0.02)
    # before the worker has costed the plan: tasks, for both
    plain = _record(done=13, total=52, run_started=now - 13.0)
    assert plain.work == (13.0, 52.0, 0.0) and plain.fraction == pytest.approx(0.25)
    assert plain.eta == pytest.approx(39.0, rel=0.05)
    assert _record(status=Status.DONE, done=52, total=52, cost_done=99.0, cost_total=100.0).fraction == 1.0


def test_cost_model_calibrates_each_kind_on_finished_tasks():
    cfg = SimpleNamespace(cv_folds=5, c_grid=(1, 10))
    tasks = [SimpleNamespace(key=f"t{i}", kind="teacher") for i in range(2)]
    tasks += [SimpleNamespace(key=f"s{i}", kind="student") for i in range(8)]
    tasks += [SimpleNamespace(key=f"c{i}", kind="cv") for i in range(2)]
    model = CostModel(tasks, cfg, done=(), slots=1)
    assert model.snapshot() == (0.0, 20.0, 0.0)  # nothing measured: plain fits (2 + 8 + 2 × 5)
    clock = 0.0
    for key, seconds in (("t0", 10.0), ("s0", 1.0)):  # a teacher takes 10 s, a student 1 s (one slot)
        model.submitted(key, clock)
        clock += seconds
        model.finished(key, clock)
    assert model.rates() == {"teacher": 10.0, "student": 1.0}
    done, total, base = model.snapshot()
    assert total == pytest.approx(20.0)  # still in fits
    # the work left: 1 teacher (10 s) + 7 students (7 s) + 2 CV tasks (a fit costs what a student fit costs: 10 s)
    assert done / total == pytest.approx(11.0 / 38.0)
    model.rebase()
    assert model.snapshot()[2] == pytest.approx(done)
    # a second slot: a task submitted while both are busy starts when one frees
    two = CostModel(tasks, cfg, slots=2)
    for key in ("t0", "t1", "s0"):
        two.submitted(key, 0.0)
    two.finished("t0", 10.0)
    two.finished("s0", 11.0)  # started at 10 s, not at 0 s
    assert two.rates()["student"] == pytest.approx(1.0)


def test_eta_weighs_tasks_by_cost():
    # 2 CV tasks (25 fits each, done first, 50 s) then 50 one-fit students: 100 fits, 1 s per fit
    now = time.time()
    job = _record(done=2, total=52, run_started=now - 50.0, cost_done=50.0, cost_total=100.0)
    assert job.eta == pytest.approx(50.0, rel=0.02)  # by fits: 50 fits left at 1 s each
    by_tasks = (now - job.run_started) / job.done * (job.total - job.done)
    assert by_tasks > 20 * job.eta  # what counting tasks said: 25 s per task × 50 tasks
    # resumed: the pace counts only this run's fits
    resumed = _record(done=30, total=52, run_started=now - 10.0, run_done=20, cost_done=80.0, run_cost_done=70.0,
                      cost_total=100.0)
    assert resumed.eta == pytest.approx(20.0, rel=0.02)


def test_queue_places_and_etas(monkeypatch):
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)  # the pace is read at call time: no drift under load
    running = _record(id="r", run_started=now - 10, cost_done=10.0, cost_total=30.0)  # 1 s/fit, 20 s left
    q1 = _record(id="q1", status=Status.QUEUED, started=None)
    q2 = _record(id="q2", status=Status.QUEUED, started=None)
    costs = {"q2": 30.0, "q1": 5.0}  # fits, from their configs
    info = queue_info([running, q1, q2], ["q2", "q1"], workers=1, costs=costs)
    assert info["q2"][0] == 1 and info["q1"][0] == 2
    assert info["q2"][1] == pytest.approx(50.0, abs=0.5)  # after the running one (20 s) plus its own 30 fits
    assert info["q1"][1] == pytest.approx(55.0, abs=0.5)
    two = queue_info([running, q1, q2], ["q2", "q1"], workers=2, costs=costs)
    assert two["q2"][1] == pytest.approx(30.0, abs=0.5)  # a free worker takes it at once
    assert two["q1"][1] == pytest.approx(25.0, abs=0.5)  # the running job's worker frees at 20 s
    # no pace seen yet (nothing ran) or no cost: places, but no made-up ETA
    idle = queue_info([q1, q2], ["q2", "q1"], workers=1, costs=costs)
    assert idle == {"q2": (1, None), "q1": (2, None)}


# ----------------------------------------------------------------------------------------------
def test_identity_and_key_helpers(monkeypatch):
    s1, s2 = new_secret(), new_secret()
    assert s1 != s2 and owner_from_secret(s1) == owner_from_secret(s1) != owner_from_secret(s2)
    assert s1 not in owner_from_secret(s1) and s1 not in short_owner(owner_from_secret(s1))
    assert key_matches("sesame", "sesame") and not key_matches("sesam", "sesame") and not key_matches("", "")
    tok = instructor_token("sesame", s1)
    assert token_valid(tok, "sesame", s1) and not token_valid(tok, "sesame", s2) and not token_valid(tok, "other", s1)
    assert "sesame" not in tok
    assert refusal_delay(1) >= 1.0 and refusal_delay(5) > refusal_delay(1) and refusal_delay(50) <= 8.0


def test_uploads_are_private(home):
    store = jobs.open_store(home)
    grant_upload(store, "abc_data.csv", A.owner)
    assert may_read_upload(store, "abc_data.csv", A)
    assert not may_read_upload(store, "abc_data.csv", B)
    assert may_read_upload(store, "abc_data.csv", TEACHER)
    grant_upload(store, "abc_data.csv", B.owner)  # the same file uploaded by B too
    assert may_read_upload(store, "abc_data.csv", B)


def test_talk_pack_holds_no_server_path(tmp_path):
    from kdviz.figures.talkpack import talk_pack

    path = f"csv:{tmp_path}/uploads/0123456789ab_grades.csv"
    pack = talk_pack([], config={"run": {"dataset": path}, "overlay": {"x": {"dataset": path}}}, images=False,
                     results=pd.DataFrame({"dataset": [path], "test_auc": [0.8]}))
    with zipfile.ZipFile(BytesIO(pack.data)) as z:
        text = "".join(z.read(n).decode(errors="ignore") for n in z.namelist())
        cfg = json.loads(z.read("config.json"))
    assert str(tmp_path) not in text
    assert cfg["run"]["dataset"] == "upload:0123456789ab_grades.csv"


def test_no_paths_cleans_texts_and_every_text_column():
    from kdviz.figures.talkpack import no_paths, table_no_paths

    assert no_paths("File not found: /srv/home/uploads/0123456789ab_g.csv. Check the path (relative to /srv/app).") \
        == "File not found: 0123456789ab_g.csv. Check the path (relative to app)."
    assert no_paths("run on csv:/srv/up/a_b.csv failed") == "run on upload:a_b.csv failed"
    for kept in ("csv:<path>", "load it with csv:magic04.csv", "see https://www.openml.org/d/1120", "n/a, 1/2 fits/s", "synthetic:gmm"):
        assert no_paths(kept) == kept
    df = pd.DataFrame({"dataset": pd.Series(["csv:/srv/up/x_d.csv"], dtype="string"), "note": ["at /srv/up/x_d.csv"],
                       "auc": [0.8]})
    clean = table_no_paths(df)
    assert list(clean["dataset"]) == ["upload:x_d.csv"] and list(clean["note"]) == ["at x_d.csv"]
    assert "/srv" not in clean.to_csv() and table_no_paths(clean) is clean  # nothing left: the same table
