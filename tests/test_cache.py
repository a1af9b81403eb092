"""The single-flight cache: one computation per key however many threads ask at once."""

from __future__ import annotations

import threading
import time

import pytest

from kdviz.runtime.cache import single_flight_lru


def test_concurrent_callers_of_one_key_compute_it_once():
    calls: list[int] = []
    started = threading.Event()

    @single_flight_lru(maxsize=4)
    def slow(x: int) -> int:
        calls.append(x)
        started.set()
        time.sleep(0.3)  # long enough for the other threads to arrive while it computes
        return x * x

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(slow(3))) for _ in range(20)]
    threads[0].start()
    started.wait(5)
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [9] * 20 and calls == [3]
    info = slow.cache_info()
    assert info.misses == 1 and info.hits == 19 and info.waits >= 1  # the others waited, then read it


def test_lru_eviction_and_failures_are_not_cached():
    calls: list[int] = []

    @single_flight_lru(maxsize=2)
    def f(x: int) -> int:
        calls.append(x)
        if x < 0:
            raise ValueError("negative")
        return x

    for x in (1, 2, 1, 3, 2):  # 3 evicts 2 (1 was used more recently)
        f(x)
    assert calls == [1, 2, 3, 2]
    for _ in range(2):
        with pytest.raises(ValueError):
            f(-1)
    assert calls[-2:] == [-1, -1]  # a failure is retried, not remembered
    f.cache_clear()
    assert f.cache_info().size == 0


def test_a_call_by_keyword_or_by_default_is_the_same_key():
    calls: list[tuple] = []

    @single_flight_lru(maxsize=8)
    def f(i: int, seed: int = 0, revealed: bool = True) -> int:
        calls.append((i, seed, revealed))
        return i

    f(1), f(1, 0), f(1, seed=0, revealed=True), f(i=1, revealed=True)  # one computation: a warm-up thread and a page
    f(1, 0, False)                                                     # that spell the call differently share it
    assert calls == [(1, 0, True), (1, 0, False)]
