"""A class session under load: one instructor, N following and voting students (no browsers; loopback).

Each student is one websocket session on the Lesson page with ``?class=CODE`` (see `loadgen`). Like a
browser tab it answers the page's ``st.fragment(run_every=1)`` with a fragment rerun every second, so
it follows the instructor by itself; on a predict step it answers (and changes its answer once, which
must replace the first). The instructor acts on the class store directly (`ClassStore.set_step` /
`reveal`: what the instructor's click writes, early in its rerun) and times, per student:

- follow latency: from the instructor's step write to the student's page showing that step's chart (its
  title comes earlier in the same run). Like an instructor who talks about what the class sees, the next
  step comes only once every student's page shows the current step's chart;
- reveal latency: from **Reveal for everyone** to the student's page showing its verdict;
- votes: after every predict step the class tally must equal N exactly (every vote counted once).

Used by ``benchmarks/bench_classroom.py --class-session``.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from kdviz.teaching import lesson as L
from kdviz.teaching.classroom import ClassStore

INSTRUCTOR = "bench-instructor"
PATH = (0, 1, 2, 3)  # the steps the instructor walks (1 and 2 ask a question, 2's after 1's reveal)


@dataclass
class Student:
    k: int
    seen: dict[int, float] = field(default_factory=dict)      # step → monotonic time its title arrived
    drawn: dict[int, float] = field(default_factory=dict)     # step → time its chart arrived (the step is on screen)
    revealed: dict[int, float] = field(default_factory=dict)  # step → time its verdict arrived
    radio: dict[int, tuple[str, str]] = field(default_factory=dict)  # step → the radio's (widget id, fragment id)
    errors: list[str] = field(default_factory=list)
    sent: dict[int, int] = field(default_factory=dict)        # step → answers sent (0: saw no enabled radio)
    notes: list[str] = field(default_factory=list)            # warnings the page showed (e.g. a store error)
    log: list[tuple[float, str]] = field(default_factory=list)  # (time, message): what a late student got


def _describe(msg) -> str:
    """One message, short: its kind, element, text, and the script run (fragment run: +f) it belongs to."""
    run = msg.metadata.run
    return f"{_what(msg)} [{run.script_run_id[:4]}{'+f' if run.fragment_ids else ''}]"


def _what(msg) -> str:
    kind = msg.WhichOneof("type")
    if kind == "delta":
        el = msg.delta.WhichOneof("type") or "?"
        body = ""
        if el == "new_element":
            el = msg.delta.new_element.WhichOneof("type") or "?"
            body = str(getattr(getattr(msg.delta.new_element, el, None), "body", ""))[:30]
        return f"delta {el} {body!r}" + (f" frag={msg.delta.fragment_id[:6]}" if msg.delta.fragment_id else "")
    if kind == "script_finished":
        return f"script_finished {msg.script_finished}"
    return kind or "?"


def _title(i: int) -> str:
    return f"{i + 1}. {L.STEPS[i].title}"


async def _student(port: int, code: str, st: Student, stop: asyncio.Event) -> None:
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    widgets: dict[str, str] = {}  # the answers this tab has picked: widget id → value
    url = {"query": f"class={code}"}  # the tab's address: the page rewrites its query (step, ?cv=) like a browser's
    fragment = {"id": "", "page": ""}  # the fragment to tick, and the page's script hash (a tab sends both)
    voted: dict[int, int] = {}
    current = {"step": -1}

    def back(fragment_id: str = "", vote: tuple[str, str] | None = None, auto: bool = True) -> bytes:
        m = BackMsg()
        m.rerun_script.query_string = url["query"]
        if fragment["page"]:
            m.rerun_script.page_script_hash = fragment["page"]
        else:
            m.rerun_script.page_name = "Lesson"
        if fragment_id:  # a tick (auto), or an answer picked inside the page's question fragment
            m.rerun_script.fragment_id = fragment_id
            m.rerun_script.is_auto_rerun = auto
        if vote:
            widgets[vote[0]] = vote[1]
        for wid, value in widgets.items():  # like a browser, every request carries the widgets' values (a tick
            w = m.rerun_script.widget_states.widgets.add()  # coalesced with a pending answer must not drop it)
            w.id, w.string_value = wid, value
        return m.SerializeToString()

    async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=64 * 2**20, open_timeout=30, ping_interval=None,
                                  additional_headers={"Cookie": f"kdvizroute=classstudent{st.k:03d}"}) as ws:
        async def ticker() -> None:  # what the browser does for st.fragment(run_every=1)
            while not stop.is_set():
                await asyncio.sleep(1.0)
                if fragment["id"]:
                    await ws.send(back(fragment["id"]))

        async def vote(i: int) -> None:
            q = L.STEPS[i].question
            labels = list(q.choices.values())
            for n in range(2):  # an answer, then a changed answer (it must replace the first)
                await asyncio.sleep(0.2 + 0.01 * st.k)
                if i in st.revealed or i not in st.radio:
                    return
                radio, in_fragment = st.radio[i]
                await ws.send(back(in_fragment, vote=(radio, labels[(st.k + n) % len(labels)]), auto=False))
                voted[i] = st.sent[i] = n + 1

        tick = asyncio.create_task(ticker())
        await ws.send(back())
        pending = None
        try:
            while not stop.is_set():
                # never cancel a recv (Python 3.11's wait_for can drop a message that arrives as it times out:
                # a lost heading looked like a student who never followed): wait on one recv task until it is done
                pending = pending or asyncio.ensure_future(ws.recv())
                done, _ = await asyncio.wait({pending}, timeout=0.5)
                if not done:
                    continue
                raw, pending = pending.result(), None
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                kind = msg.WhichOneof("type")
                st.log.append((time.monotonic(), _describe(msg)))
                if kind == "auto_rerun":
                    fragment["id"] = msg.auto_rerun.fragment_id
                elif kind == "navigation":
                    fragment["page"] = msg.navigation.page_script_hash
                elif kind == "page_info_changed":
                    url["query"] = msg.page_info_changed.query_string
                if kind != "delta":
                    continue
                el = msg.delta.new_element
                what = el.WhichOneof("type")
                now = time.monotonic()
                if what == "heading":
                    for i in PATH:
                        if el.heading.body == _title(i):
                            st.seen.setdefault(i, now)
                            current["step"] = i
                elif what == "plotly_chart" and current["step"] >= 0:
                    st.drawn.setdefault(current["step"], now)
                elif what == "radio" and current["step"] >= 0:
                    i = current["step"]
                    st.radio[i] = (el.radio.id, msg.delta.fragment_id)
                    if i not in voted and not el.radio.disabled:
                        voted[i] = 0
                        asyncio.create_task(vote(i))
                elif what == "alert" and "prediction" in el.alert.body and current["step"] >= 0:
                    st.revealed.setdefault(current["step"], now)
                elif what == "alert" and el.alert.format == el.alert.WARNING:
                    st.notes.append(el.alert.body[:120])
                elif what == "exception":
                    st.errors.append(f"{el.exception.type}: {el.exception.message}"[:200])
        finally:
            tick.cancel()
            if pending is not None:
                pending.cancel()


def _window(s: Student, t0: float) -> str:
    """What a late student's websocket brought from 1 s before `t0` (the instructor's change) to 6 s after it."""
    return (f"student {s.k}'s messages around the change: "
            + " / ".join(f"{t - t0:+.2f} {m}" for t, m in s.log if -1 < t - t0 < 6))


async def _wait(cond, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        await asyncio.sleep(0.05)
    return cond()


def rehearsal(home: Path) -> list[tuple[str, str, str, str]]:
    """A loadgen step that joins a rehearsal class on lesson seed 0 (the measured classes use seeds 10 and up)."""
    code = ClassStore(home).create(INSTRUCTOR, 0, 0).code
    return [("rehearsal class", "Lesson", f"class={code}", _title(0))]


async def run_class(port: int, home: Path, n: int, *, timeout: float = 30.0, seed: int = 0) -> dict:
    """N students in one class on the lesson's data set `seed` (a new seed: nothing computed yet); the instructor
    walks PATH. Returns the figures (see `report`)."""
    store = ClassStore(home)
    code = store.create(INSTRUCTOR, 0, seed).code
    students = [Student(k) for k in range(n)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_student(port, code, s, stop)) for s in students]
    follow, reveal, votes, errors, begun, by_step = [], [], [], [], [], {}
    try:
        if not await _wait(lambda: store.member_count(code) == n and all(0 in s.drawn for s in students), 120):
            errors.append(f"only {store.member_count(code)} of {n} students joined")
        for i in PATH:
            t0 = time.monotonic()
            begun.append(t0)
            if i:
                store.set_step(code, INSTRUCTOR, i, 0)
            ok = await _wait(lambda i=i: all(i in s.drawn for s in students), timeout)
            if not ok:
                late = [s for s in students if i not in s.drawn]
                errors.append(f"step {i + 1}: {n - len(late)} of {n} students followed; the others' warnings: "
                              + "; ".join(f"{s.k}: {' | '.join(s.notes[-2:]) or 'none'}" for s in late[:3]))
                errors.append(_window(late[0], t0))
            if i:
                by_step[i] = [max(0.0, s.drawn[i] - t0) for s in students if i in s.drawn]
                follow += by_step[i]
            if L.STEPS[i].question is None:
                continue
            await _wait(lambda i=i: sum(store.tally(code, i, 0).values()) == n, timeout)
            await asyncio.sleep(1.5)  # the changed answers land
            counted = sum(store.tally(code, i, 0).values())
            votes.append((i, counted))
            if counted != n:  # who is missing: a student who never answered (bench side) or an answer lost
                errors.append(f"step {i + 1}: {counted} of {n} answers counted; answers sent per student: "
                              + ", ".join(f"{s.k}:{s.sent.get(i, 0)}" for s in students if s.sent.get(i, 0) != 2)
                              + f"; student 0's warnings: {' | '.join(students[0].notes[-2:]) or 'none'}")
                errors.append(_window(students[0], t0 + 1))
            t0 = time.monotonic()
            store.reveal(code, INSTRUCTOR, i, 0)
            if not await _wait(lambda i=i: all(i in s.revealed for s in students), timeout):
                late = [s for s in students if i not in s.revealed]
                errors.append(f"step {i + 1}: {n - len(late)} of {n} saw the reveal")
                errors.append(_window(late[0], t0))
            reveal += [s.revealed[i] - t0 for s in students if i in s.revealed]
    finally:
        stop.set()
        done = await asyncio.gather(*tasks, return_exceptions=True)
    errors += [f"{type(e).__name__}: {e}" for e in done if isinstance(e, BaseException)]
    errors += [e for s in students for e in s.errors]
    return {"n": n, "follow": follow, "follow_by_step": by_step, "reveal": reveal, "votes": votes, "errors": errors, "begun": begun[1:],
            "ended": time.monotonic()}


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def report(r: dict) -> list[str]:
    n = r["n"]
    ok_votes = all(c == n for _, c in r["votes"])
    lines = [f"class session, N = {n} students following and voting: {len(r['errors'])} errors"]
    for name in ("follow", "reveal"):
        v = r[name]
        if v:
            lines.append(f"  {name + ' latency':<22} p50 {statistics.median(v):6.2f} s   p95 {_pct(v, 0.95):6.2f} s   "
                         f"max {max(v):6.2f} s   (n={len(v)})")
    if r.get("follow_by_step"):
        lines.append("  follow p95 by step: " + ", ".join(f"step {i + 1}: {_pct(v, 0.95):.2f} s"
                                                          for i, v in r["follow_by_step"].items()))
    lines.append("  votes counted: " + ", ".join(f"step {i + 1}: {c} of {n}" for i, c in r["votes"])
                 + ("  (every vote counted exactly once)" if ok_votes else "  (MISMATCH)"))
    lines += [f"  error: {e}" for e in r["errors"][:6]]
    return lines
