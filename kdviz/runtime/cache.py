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
import inspect
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


class SingleFlightCache:
    """An LRU map from keys to computed values; `get(key, compute)` computes a missing key once, however
    many threads ask for it at the same moment (the others wait for the first one's result)."""

    def __init__(self, maxsize: int = 128):
        self.maxsize = maxsize
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._inflight: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()
        self._stats = {"hits": 0, "misses": 0, "waits": 0}

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        while True:
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    self._stats["hits"] += 1
                    return self._values[key]
                event = self._inflight.get(key)
                if event is None:  # we compute it
                    event = self._inflight[key] = threading.Event()
                    self._stats["misses"] += 1
                    break
                self._stats["waits"] += 1
            event.wait()  # another thread computes it; then look again (or compute if it failed)
        try:
            value = compute()
        except BaseException:
            with self._lock:
                self._inflight.pop(key).set()
            raise
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.maxsize:
                self._values.popitem(last=False)
            self._inflight.pop(key).set()
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._stats.update(hits=0, misses=0, waits=0)

    def info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(self._stats["hits"], self._stats["misses"], self._stats["waits"], len(self._values))


def single_flight_lru(maxsize: int = 128) -> Callable[[F], F]:
    """Decorator: `SingleFlightCache` keyed by a function's (hashable) arguments, bound to its signature:
    ``f(1, 0)``, ``f(1, seed=0)`` and ``f(1)`` (seed defaulting to 0) are one key, one computation."""
    def decorate(func: F) -> F:
        cache = SingleFlightCache(maxsize)
        sig = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            return cache.get(tuple(bound.arguments.values()), lambda: func(*args, **kwargs))

        wrapper.cache_clear = cache.clear  # type: ignore[attr-defined]
        wrapper.cache_info = cache.info  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
