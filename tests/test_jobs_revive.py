"""A queued job is never stranded: when every worker died, looking at the jobs starts a new one."""

import os
import signal

import test_jobs_support  # noqa: F401  (registers the "jobs-test" experiment)
from test_jobs_support import job_env, wait_for

import kdviz.jobs.engine as engine
from kdviz.jobs import get_job, list_jobs, stop_workers, submit


def _children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        try:
            if d.isdigit() and int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d))
        except OSError:
            pass
    return out


def _alive(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_queued_job_gets_a_worker_after_all_workers_died(tmp_path, monkeypatch):
    for k, v in job_env(tmp_path, KDVIZ_MAX_WORKERS="1").items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(engine, "STALLED_AFTER", 0.5)
    slow = submit("jobs-test", {"n": 20, "sleep": 0.5, "tag": "slow"}, home=tmp_path)
    queued = submit("jobs-test", {"n": 2, "tag": "queued"}, home=tmp_path)
    wait_for(lambda: get_job(slow, home=tmp_path).status == "running", timeout=30, poll=0.1)
    worker = get_job(slow, home=tmp_path).pid
    # "running" is set at claim time, before the pool has started
    pool = wait_for(lambda: _children(worker), timeout=30, poll=0.1, what="the worker's pool processes")
    os.kill(worker, signal.SIGKILL)  # the only worker dies
    # pool processes notice within about a second (they poll their parent) and exit
    wait_for(lambda: not [p for p in pool if _alive(p)], timeout=10, poll=0.1,
             what="pool processes exiting after their worker died")
    list_jobs(home=tmp_path)  # the dashboard or CLI looks: a worker is started for the queued job
    # (not `wait`, which starts workers itself)
    wait_for(lambda: get_job(queued, home=tmp_path).status == "done", timeout=60, poll=0.2,
             what="the queued job done by a new worker")
    assert get_job(slow, home=tmp_path).status == "interrupted"
    stop_workers()


def test_a_live_worker_on_this_host_is_not_declared_dead_for_a_late_heartbeat(tmp_path, monkeypatch):
    from kdviz.jobs.records import HOST
    from kdviz.jobs.store import Store

    monkeypatch.setenv("KDVIZ_HEARTBEAT_TIMEOUT", "30")
    store = Store(tmp_path)
    jid = store.add_job("jobs-test", "{}", "d")
    store.claim_job("w1")
    with store.write() as c:  # alive (this very process) but 100 s late, e.g. a long GIL-holding step
        c.execute("UPDATE jobs SET heartbeat = heartbeat - 100, host = ?, pid = ? WHERE id = ?", (HOST, os.getpid(), jid))
    store.reap()
    assert store.get_job(jid).status == "running"
    with store.write() as c:  # ten timeouts late: the pid may have been reused, presume it dead
        c.execute("UPDATE jobs SET heartbeat = heartbeat - 300 WHERE id = ?", (jid,))
    store.reap()
    assert store.get_job(jid).status == "interrupted"


def test_cancel_takes_effect_while_the_data_is_still_loading(tmp_path, monkeypatch):
    from kdviz.jobs import cancel

    for k, v in job_env(tmp_path, KDVIZ_TEST_LOAD_DELAY="30").items():
        monkeypatch.setenv(k, v)
    jid = submit("jobs-test", {"n": 2, "tag": "slow-load"}, home=tmp_path)
    wait_for(lambda: get_job(jid, home=tmp_path).stage == "loading data", timeout=30, poll=0.1)
    cancel(jid, home=tmp_path)
    # within 5 s, not the 30 s the load would take
    wait_for(lambda: get_job(jid, home=tmp_path).status == "cancelled", timeout=5, poll=0.1, what="cancelled")
    stop_workers()
