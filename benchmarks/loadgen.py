"""A classroom of simulated students for a running kdviz server (no browsers; loopback only).

Each student is one websocket session on ``ws://127.0.0.1:PORT/_stcore/stream`` (subprotocol
``streamlit``), which is what a browser tab is to the server. An interaction sends
``BackMsg.rerun_script`` (page name + query string) and waits for ``script_finished``; the time in
between is what the student waits. Widget moves are sent as links (the query string carries the new
capacity, noise or n): the page applies a link exactly like a widget change and reruns with it.

Used by ``benchmarks/bench_classroom.py`` (timings, server CPU and memory) and by
``tests/test_classroom.py`` (a few students, 0 errors, the expected content).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: one student's visit: (interaction name, page name, query string, text the page must show)
PLAYGROUND = "dataset=synthetic:curve&teacher=rf-depth&student=rf&methods=vanilla,crossfit,enhanced"


CAPACITIES = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20)  # the Playground's depth slider


def lesson(run_id: str | None = None, fresh: int = 0, *, student: int = 0,
           spread: int = 0) -> list[tuple[str, str, str, str]]:
    """The class's walk. `fresh` seeds the two data changes, so each class asks for data nobody has yet
    (the teacher fits of a new data setting are computed while the class waits). With `spread` > 0 each
    student moves the slider to three depths of their own (drawn from `fresh` and `student`) and changes the
    data to one of `spread` new data sets, shared by the students with the same `student % spread`."""
    caps, seed = (8, 16, 2), fresh
    if spread:
        import random

        caps = tuple(random.Random(f"{fresh}-{student}").sample(CAPACITIES, 3))
        seed = 1000 * fresh + student % spread
    last = caps[-1]
    steps = [
        ("Home", "", "", "what does a student learn"),
        ("shared Playground link", "Playground", f"{PLAYGROUND}&capacity=4&label_noise=0.2&n=1000", "Playground"),
        *(("capacity slider", "Playground", f"{PLAYGROUND}&capacity={c}&label_noise=0.2&n=1000", "Teacher p")
          for c in caps),
        ("data change", "Playground", f"{PLAYGROUND}&capacity={last}&label_noise=0.3&n=1000&seed={seed}",
         "label noise 30%"),
        ("data change", "Playground", f"{PLAYGROUND}&capacity={last}&label_noise=0.3&n=1200&seed={seed}",
         "n = 1200"),
    ]
    if run_id:
        steps.append(("finished-run link", "Sweep", f"run={run_id}", "Sweep"))
    steps += [("Runs", "Runs", "", "Runs"), ("Theory", "Theory", "", "Theory")]
    return steps


@dataclass
class Outcome:
    name: str
    seconds: float
    ok: bool
    error: str = ""
    texts: list[str] = field(default_factory=list)


def _texts(msg) -> Iterable[str]:
    """The visible text of one delta (markdown, headings, captions, alerts, chart titles)."""
    el = msg.delta.new_element
    kind = el.WhichOneof("type")
    if kind in ("markdown", "heading", "text", "alert", "caption"):
        yield getattr(getattr(el, kind), "body", "")
    elif kind == "plotly_chart":
        yield el.plotly_chart.spec
    elif kind == "exception":
        yield f"EXCEPTION {el.exception.type}: {el.exception.message}"


async def _interaction(ws, name: str, page: str, query: str, expect: str, timeout: float) -> Outcome:
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    back = BackMsg()
    back.rerun_script.query_string = query
    back.rerun_script.page_name = page
    t0 = time.perf_counter()
    await ws.send(back.SerializeToString())
    texts: list[str] = []
    errors: list[str] = []
    deadline = t0 + timeout
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return Outcome(name, time.perf_counter() - t0, False, "timeout", texts)
        raw = await asyncio.wait_for(ws.recv(), timeout=left)
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "delta":
            for t in _texts(msg):
                texts.append(t)
                if t.startswith("EXCEPTION") or t.startswith("link value"):  # a crash, or a refused link
                    errors.append(t[:300])
        elif kind == "script_finished":
            if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue
            seconds = time.perf_counter() - t0
            if msg.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                errors.append(f"script finished with {msg.script_finished}")
            elif expect and not any(expect in t for t in texts):
                errors.append(f"expected {expect!r} on {page or 'Home'}")
            return Outcome(name, seconds, not errors, "; ".join(errors), texts)


async def student(port: int, steps: list[tuple[str, str, str, str]], timeout: float = 120.0,
                  think: float = 0.0, route: str | None = None) -> list[Outcome]:
    """One browser tab walking through `steps`; returns one Outcome per step. `route` is the sticky-session
    cookie a browser gets from scripts/serve_class.sh's nginx on its first request."""
    import websockets

    out: list[Outcome] = []
    headers = {"Cookie": f"kdvizroute={route}"} if route else None
    async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=64 * 2**20, open_timeout=30, ping_interval=None,
                                  additional_headers=headers) as ws:
        for name, page, query, expect in steps:
            try:
                out.append(await _interaction(ws, name, page, query, expect, timeout))
            except TimeoutError:
                out.append(Outcome(name, timeout, False, "timeout"))
            except Exception as e:  # noqa: BLE001 - a lost connection is an error to count, not a crash
                out.append(Outcome(name, 0.0, False, f"{type(e).__name__}: {e}"))
            if think:
                await asyncio.sleep(think)
    return out


async def classroom(port: int, n: int, steps: list[tuple[str, str, str, str]] | Callable[[int], list], *,
                    stagger: float = 0.05, timeout: float = 120.0) -> list[list[Outcome]]:
    """`n` students at once (bounded: each walks `steps` once and stops; `steps(i)`: student i's own walk)."""
    async def one(i: int) -> list[Outcome]:
        await asyncio.sleep(i * stagger)
        return await student(port, steps(i) if callable(steps) else steps, timeout, route=f"student{i:03d}")

    return list(await asyncio.gather(*(one(i) for i in range(n))))


# ------------------------------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path, port: int | None = None) -> tuple[subprocess.Popen, int]:
    """`streamlit run app.py` on loopback with KDVIZ_HOME=home; returns (process, port) once healthy."""
    port = port or free_port()
    env = {**os.environ, "KDVIZ_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time() + 60
    while time.time() < end:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc, port
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def start_class(home: Path, processes: int) -> tuple[subprocess.Popen, int, list[int]]:
    """scripts/serve_class.sh with `processes` backends on loopback; returns (script, nginx port, backend pids)."""
    port = free_port()
    env = {**os.environ, "KDVIZ_HOME": str(home), "KDVIZ_CLASS_LISTEN": "127.0.0.1"}
    proc = subprocess.Popen(["bash", "scripts/serve_class.sh", str(processes), str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    end = time.time() + 120
    while time.time() < end:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        stop_class(proc)
        raise RuntimeError("serve_class.sh did not start")
    ports = {f"--server.port\0{port + i}\0" for i in range(1, processes + 1)}
    pids = [int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit() and _cmdline_has(d, ports)]
    return proc, port, pids


def _cmdline_has(d: Path, needles: set[str]) -> bool:
    try:
        cmd = (d / "cmdline").read_text()
    except OSError:
        return False
    return "streamlit" in cmd and any(n in cmd for n in needles)


def stop_class(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
