"""A thread-safe, single-flight LRU cache for pure functions (the dashboard's shared computations).

``functools.lru_cache`` lets two threads that miss the same key both compute it: thirty browser
sessions opening one new setting at the same moment would fit thirty identical teachers. Here the
first caller computes and the others wait for its result; callers of other keys are not blocked.

    @single_flight_lru(maxsize=12)
    def fits(dataset: str, n: int) -> ...: ...
    fits.cache_clear(); fits.cache_info()  -> (hits, misses, waits, size)
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    waits: int  # calls that found the key being computed by another thread and waited for it
    size: int


def single_flight_lru(maxsize: int = 128) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        values: OrderedDict[Hashable, Any] = OrderedDict()
        inflight: dict[Hashable, threading.Event] = {}
        lock = threading.Lock()
        stats = {"hits": 0, "misses": 0, "waits": 0}

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = (args, tuple(sorted(kwargs.items())))
            while True:
                with lock:
                    if key in values:
                        values.move_to_end(key)
                        stats["hits"] += 1
                        return values[key]
                    event = inflight.get(key)
                    if event is None:  # we compute it
                        event = inflight[key] = threading.Event()
                        stats["misses"] += 1
                        break
                    stats["waits"] += 1
                event.wait()  # another thread computes it; then look again (or compute if it failed)
            try:
                value = func(*args, **kwargs)
            except BaseException:
                with lock:
                    inflight.pop(key).set()
                raise
            with lock:
                values[key] = value
                values.move_to_end(key)
                while len(values) > maxsize:
                    values.popitem(last=False)
                inflight.pop(key).set()
            return value

        def cache_clear() -> None:
            with lock:
                values.clear()
                stats.update(hits=0, misses=0, waits=0)

        def cache_info() -> CacheInfo:
            with lock:
                return CacheInfo(stats["hits"], stats["misses"], stats["waits"], len(values))

        wrapper.cache_clear = cache_clear  # type: ignore[attr-defined]
        wrapper.cache_info = cache_info  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
