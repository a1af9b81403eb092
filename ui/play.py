"""▶ Play on a steady clock: one step per `interval` seconds, measured from when Play was pressed.

A light ticker (a fragment polling every `POLL_S`) steps when the next step is due *and* ready: the
next step is computed ahead in a background thread while the current one is shown, so a step costs
no more than its interval; one whose computation takes longer shows "computing …" and is shown when
ready (never skipped), and the clock restarts from there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import streamlit as st

POLL_S = 0.1
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kdviz-play")
_ahead: dict[Hashable, Future] = {}


def compute_ahead(key: Hashable, work: Callable[[], Any]) -> Future:
    """Start `work()` in the background once per `key` (shared by every session); its future."""
    fut = _ahead.get(key)
    if fut is None or (fut.done() and fut.exception() is not None):
        if len(_ahead) > 256:
            for k in [k for k, f in _ahead.items() if f.done()][:128]:
                _ahead.pop(k, None)
        fut = _ahead[key] = _pool.submit(work)
    return fut


def next_due(due: float, now: float, interval: float, late: float = 0.2) -> float:
    """When the step after one shown at `now` (scheduled for `due`) is due: on the clock's grid, unless
    this step was more than `late` seconds behind (it was computing): then `interval` after now."""
    return due + interval if now - due <= late else now + interval


def start(ss: Any, prefix: str, interval: float = 1.0) -> None:
    """Play was pressed: the first step is due one interval from now."""
    ss[f"{prefix}_due"] = time.monotonic() + interval


def ticker(ss: Any, prefix: str, *, playing: bool, steps: Sequence[Any], current: Any, apply: Callable[[Any], None],
           prepare: Callable[[Any], Any], settings: Hashable, what: str, interval: float = 1.0) -> None:
    """Draw the ticker: while `playing`, step from `current` to the next of `steps` on the clock.

    `apply(value)` records the next step (applied before the widgets on the coming rerun); `prepare(value)`
    computes what that step draws (run ahead in a thread; cached by the caller, e.g. `single_flight_lru`);
    `settings` names everything else that step depends on (one computation ahead per setting and step)."""

    @st.fragment(run_every=POLL_S if playing else None)
    def _tick() -> None:
        if not ss.get(f"{prefix}_playing"):
            return
        k = list(steps).index(current) if current in steps else -1
        if k + 1 >= len(steps):  # the last step: stop there
            ss[f"{prefix}_playing"] = False
            # A tick the browser sent before it drew the last step carries the slider's previous value in its
            # widget states, and Streamlit applies it on this rerun: record the last step again so it wins.
            apply(current)
            st.rerun(scope="app")
        nxt = steps[k + 1]
        fut = compute_ahead((prefix, settings, nxt), lambda: prepare(nxt))
        now = time.monotonic()
        due = ss.get(f"{prefix}_due", now)
        if now < due:
            return
        if not fut.done():
            st.caption(f":material/hourglass_top: computing {what} = {nxt} …")
            return
        ss[f"{prefix}_due"] = next_due(due, now, interval)
        apply(nxt)
        st.rerun(scope="app")

    _tick()
