"""Heavy computations in helper processes: the same results as in-process, errors passed on, and a
helper that cannot work falls back to computing here."""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from kdviz.errors import DatasetError
from kdviz.runtime import offload
from kdviz.teaching import playground

ARGS = ("synthetic:curve", 300, 0.2, 3.0, 0, 20, "rf-depth", 3)


def test_teacher_fits_in_a_helper_equal_the_local_ones():
    before = offload.stats["offloaded"]
    remote = offload.call("kdviz.teaching.playground:fit_teachers", *ARGS)
    assert offload.stats["offloaded"] == before + 1
    local = playground.fit_teachers(*ARGS)
    np.testing.assert_array_equal(remote.full_grid, local.full_grid)
    np.testing.assert_array_equal(remote.oof_train, local.oof_train)
    assert remote.dataset.fingerprint == local.dataset.fingerprint


def test_errors_of_the_function_are_raised_here():
    with pytest.raises(DatasetError, match="Unknown dataset"):
        offload.call("kdviz.data.load:load_dataset", "nope:x")


def test_a_helper_that_cannot_start_means_computing_here(monkeypatch):
    def broken():
        raise OSError("no such executable")

    monkeypatch.setattr(offload, "_Helper", broken)
    monkeypatch.setattr(offload, "_pool", offload._Pool(1))
    before = offload.stats["local"]
    assert offload.call("math:factorial", 5) == 120
    assert offload.stats["local"] == before + 1
    assert offload._pool.started == 0  # the failed start gave its slot back


def test_off_switch(monkeypatch):
    monkeypatch.setenv("KDVIZ_OFFLOAD", "0")
    before = offload.stats["local"]
    assert offload.call("math:factorial", 4) == 24 and offload.stats["local"] == before + 1


def test_helpers_run_below_the_server_and_never_start_helpers_of_their_own():
    here = os.nice(0)
    assert offload.call("os:nice", 0) == min(19, here + offload.NICE)
    assert offload.call("os:getenv", "KDVIZ_OFFLOAD") == "0"


def test_prestart_fills_the_pool_in_the_background(monkeypatch):
    pool = offload._Pool(2)
    monkeypatch.setattr(offload, "_pool", pool)
    monkeypatch.setattr(offload, "_prestarted", threading.Event())
    offload.prestart("json")
    offload.prestart("json")  # once per process
    deadline = time.monotonic() + 60
    while len(pool.idle) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert len(pool.idle) == 2 and pool.started == 2
        assert offload.call("math:factorial", 3) == 6 and pool.started == 2  # a started helper answered
    finally:
        for h in pool.idle:
            h.close()


COUNTER = '''
import os, time
def count(path, value):
    with open(path, "a") as f:
        f.write(f"{os.getpid()}\\n")
    time.sleep(1.0)
    return value * 2
'''


def test_server_processes_sharing_a_directory_compute_once(tmp_path):
    (tmp_path / "counter.py").write_text(COUNTER)
    calls = tmp_path / "calls.txt"
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "KDVIZ_OFFLOAD_SHARED": str(tmp_path / "shared"), "KDVIZ_OFFLOAD": "0"}
    code = f"from kdviz.runtime import offload; print(offload.call('counter:count', {str(calls)!r}, 21))"
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(3)]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert outs == ["42"] * 3
    assert len(calls.read_text().splitlines()) == 1  # one process computed, the others loaded its result


def test_a_damaged_shared_result_is_computed_again(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_OFFLOAD_SHARED", str(tmp_path))
    monkeypatch.setenv("KDVIZ_OFFLOAD", "0")
    assert offload.call("math:factorial", 6) == 720
    (file,) = tmp_path.glob("*.pkl")
    file.write_bytes(b"not a pickle")
    written = offload.stats["shared_written"]
    assert offload.call("math:factorial", 6) == 720
    assert offload.stats["shared_written"] == written + 1 and file.exists()


def test_the_shared_directory_keeps_its_size_bound(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_OFFLOAD_SHARED", str(tmp_path))
    monkeypatch.setenv("KDVIZ_OFFLOAD", "0")
    one = len(pickle.dumps(b"x" * 10_000, protocol=pickle.HIGHEST_PROTOCOL))
    monkeypatch.setattr(offload, "SHARED_MAX_BYTES", 2 * one + 10)
    for k in range(5):
        offload.call("builtins:bytes", 10_000 - k)  # five results of about `one` bytes each
        time.sleep(0.01)
    kept = list(tmp_path.glob("*.pkl"))
    assert len(kept) == 2 and sum(f.stat().st_size for f in kept) <= offload.SHARED_MAX_BYTES
    assert offload.call("builtins:bytes", 9_996) == bytes(9_996)  # the newest is still there
    assert offload.stats["shared_loaded"] > 0


def test_a_function_error_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_OFFLOAD_SHARED", str(tmp_path))
    with pytest.raises(DatasetError):
        offload.call("kdviz.data.load:load_dataset", "nope:x")
    assert not list(tmp_path.glob("*.pkl"))


NESTED = '''
import time
from kdviz.runtime import offload
def inner(x):
    time.sleep(0.3)
    return x + 1
def outer(x):
    time.sleep(1.0)
    return offload.call("nested:inner", x) * 10
'''


def test_a_lock_holder_never_waits_for_a_helper(tmp_path, monkeypatch):
    """The one helper runs `outer`, which needs `inner`; meanwhile this process asks for `inner` too. Were the
    result's lock taken before a helper, this process would hold it waiting for the busy helper, whose `outer`
    waits for the lock: a deadlock. A helper is taken first, so both finish."""
    (tmp_path / "nested.py").write_text(NESTED)
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.setenv("KDVIZ_OFFLOAD_SHARED", str(tmp_path / "shared"))
    pool = offload._Pool(1)
    monkeypatch.setattr(offload, "_pool", pool)
    out: dict[str, int] = {}
    first = threading.Thread(target=lambda: out.update(outer=offload.call("nested:outer", 1)), daemon=True)
    second = threading.Thread(target=lambda: out.update(inner=offload.call("nested:inner", 1)), daemon=True)
    try:
        first.start()
        time.sleep(0.5)  # the helper is running outer
        second.start()
        first.join(60)
        second.join(60)
        assert out == {"outer": 20, "inner": 2}
    finally:
        for h in pool.idle:
            h.close()


def test_a_class_computation_takes_the_next_helper_first(monkeypatch):
    """One helper, busy; a single student's call queues, then a class's call (under `first()`): the class's
    call gets the helper next."""
    monkeypatch.delenv("KDVIZ_OFFLOAD_SHARED", raising=False)
    pool = offload._Pool(1)
    monkeypatch.setattr(offload, "_pool", pool)
    done: list[str] = []

    def run(name: str, seconds: float, first: bool) -> None:
        with offload.first() if first else contextlib.nullcontext():
            offload.call("time:sleep", seconds)
        done.append(name)

    threads = [threading.Thread(target=run, args=args, daemon=True)
               for args in (("busy", 2.0, False), ("student", 0.2, False), ("class", 0.2, True))]
    try:
        for t in threads:
            t.start()
            time.sleep(0.3)  # each queues while the helper is busy
        for t in threads:
            t.join(60)
        assert done == ["busy", "class", "student"]
    finally:
        for h in pool.idle:
            h.close()
