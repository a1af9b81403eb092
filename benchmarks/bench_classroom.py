"""Classroom benchmark: N simulated students on one kdviz server (issue 11).

    .venv/bin/python benchmarks/bench_classroom.py                 # N = 1, 10, 30 on a fresh server
    .venv/bin/python benchmarks/bench_classroom.py --students 5 --url-port 8080   # an already running one

Each student opens Home, the instructor's Playground link, moves the capacity three times, changes
label noise and n once (to data no earlier class has used: the teacher fits are computed while they wait), then opens a finished Sweep run, the Runs page and the Theory page (see
`loadgen.lesson`). Reported per interaction: p50 and p95 seconds over all students; errors; server
CPU seconds per rerun (from /proc, so it only counts the server process); server RSS before, with the
class connected, and after 30 students connect and leave twice. Loopback only, bounded in count and
time: every student walks the lesson once and stops.

    .venv/bin/python benchmarks/bench_classroom.py --students 30 --class-session   # issue 18

adds, alongside each N, a class session of N more students (`--class-size`) who open the class link,
follow an instructor through the lesson and vote on its predict steps (`class_session_load`): follow and
reveal latency p50/p95 and the votes counted per step (must equal the class size).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import class_session_load as csl  # noqa: E402
import loadgen as lg  # noqa: E402


def finished_run(home: Path) -> str:
    """A small finished sweep in `home`, for the "finished-run link" step."""
    import os

    os.environ["KDVIZ_HOME"] = str(home)
    from kdviz import jobs
    from kdviz.config import PRESETS, make_config

    job = jobs.submit("sweep", make_config(**PRESETS["quick"]))
    jobs.wait(job, timeout=600)
    return str(job)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def report(n: int, results: list[list[lg.Outcome]], cpu: float, wall: float, gen: float) -> list[str]:
    by_name: dict[str, list[float]] = {}
    errors = [o for r in results for o in r if not o.ok]
    for r in results:
        for o in r:
            by_name.setdefault(o.name, []).append(o.seconds)
    reruns = sum(len(r) for r in results)
    lines = [f"N = {n}: {reruns} reruns in {wall:.1f} s, {len(errors)} errors, server CPU {cpu:.1f} s "
             f"= {1000 * cpu / reruns:.0f} ms per rerun; the load generator itself used {gen:.1f} s of CPU "
             f"on the same cores"]
    for name, secs in by_name.items():
        lines.append(f"  {name:<22} p50 {statistics.median(secs):6.2f} s   p95 {pct(secs, 0.95):6.2f} s   "
                     f"max {max(secs):6.2f} s   (n={len(secs)})")
    for e in errors[:5]:
        lines.append(f"  error: {e.name}: {e.error}")
    return lines


def warm(port: int, steps, pids: list[int], timeout: float) -> None:
    """One student walks the lesson on every backend (first computations, imports). nginx's route cookie
    decides the backend, so students with new routes walk until each backend has had one: the backend
    that spent the most CPU on a walk is the one that served it. With --class-session the walk ends in a
    rehearsal class (lesson seed 0, which no measured class uses), as an instructor tries it before class."""
    warmed: set[int] = set()
    for j in range(16):
        before = {p: lg.cpu_seconds(p) for p in pids}
        asyncio.run(lg.student(port, steps, timeout, route=f"warm{j}"))
        if not pids:
            return
        warmed.add(max(pids, key=lambda p: lg.cpu_seconds(p) - before[p]))
        if warmed == set(pids):
            return
    raise RuntimeError(f"warm-up reached {len(warmed)} of {len(pids)} backends")


async def walk_with_class(port: int, home: Path, n: int, class_size: int, steps, timeout: float, seed: int = 0):
    """N students walking the lesson while a class of `class_size` follows an instructor and votes (issue 18).
    Also says how many of the instructor's steps began while the walk was still running."""
    async def walk():
        out = await lg.classroom(port, n, steps, timeout=timeout)
        return out, time.monotonic()

    (results, walk_end), klass = await asyncio.gather(walk(), csl.run_class(port, home, class_size, seed=seed))
    during = sum(t < walk_end for t in klass["begun"])
    klass["overlap"] = (f"  {during} of the instructor's {len(klass['begun'])} step changes came while the walk ran "
                        f"(the walk ended {klass['ended'] - walk_end:.0f} s before the class)")
    return results, klass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", default="1,10,30", help="class sizes, comma-separated")
    ap.add_argument("--port", type=int, default=None, help="use a server already running on this port")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before an interaction counts as failed")
    ap.add_argument("--processes", type=int, default=1,
                    help="server processes; more than 1 starts scripts/serve_class.sh (nginx, sticky sessions)")
    ap.add_argument("--class-session", action="store_true",
                    help="alongside each class size N, a class session of N more students (or --class-size) "
                         "following an instructor and voting: follow/reveal latency, votes counted")
    ap.add_argument("--class-size", type=int, default=None, help="students in the class session (default: N)")
    ap.add_argument("--spread", type=int, default=0,
                    help="each student moves the slider to depths of their own and changes the data to one of "
                         "SPREAD new data sets (issue 18's simulation: 9); default: everyone walks the same clicks")
    ap.add_argument("--repeats", type=int, default=1,
                    help="runs per class size (new data and a new lesson seed each), then their pooled p95")
    args = ap.parse_args()
    if args.class_session and args.port:
        ap.error("--class-session needs a server this benchmark starts (it shares the server's KDVIZ_HOME)")
    home = Path(tempfile.mkdtemp(prefix="kdviz-classroom-"))
    run_id = finished_run(home) if args.port is None else None
    if args.port:
        proc, port, pids = None, args.port, []
    elif args.processes > 1:
        proc, port, pids = lg.start_class(home, args.processes)
    else:
        proc, port = lg.start_server(home)
        pids = [proc.pid]
    cpu = lambda: sum(lg.cpu_seconds(p) for p in pids)  # noqa: E731
    rss = lambda: sum(lg.rss_mb(p) for p in pids)  # noqa: E731
    steps = lg.lesson(run_id)
    out = [f"bench_classroom {time.strftime('%Y-%m-%d %H:%M')}, {len(steps)} interactions per student, "
           f"{args.processes} server process(es)"
           + (f", each student's own depths and one of {args.spread} new data sets" if args.spread else "")]
    try:
        warm(port, steps + (csl.rehearsal(home) if args.class_session else []), pids, args.timeout)
        if pids:
            out.append(f"server RSS after warm-up: {rss():.0f} MB")
            c0 = cpu()
            for _ in range(3):  # every computation cached: what one more click costs the server
                asyncio.run(lg.classroom(port, 1, steps, timeout=args.timeout))
            out.append(f"server CPU per warm rerun (one student, 3 passes): {1000 * (cpu() - c0) / (3 * len(steps)):.0f} ms")
        for k, n in enumerate(int(x) for x in args.students.split(",")):
            pooled: dict[str, list[float]] = {}
            for r in range(args.repeats):
                c0, t0, g0 = cpu() if pids else 0.0, time.perf_counter(), time.process_time()
                fresh = k * args.repeats + r + 1  # data no earlier run has used
                walk = (lambda i, fresh=fresh: lg.lesson(run_id, fresh, student=i, spread=args.spread)) \
                    if args.spread else lg.lesson(run_id, fresh=fresh)
                if args.class_session:
                    # a new lesson seed whose answer seeds (seed … seed + 2) no earlier run has computed either
                    seed = 10 * (k * args.repeats + r + 1)
                    results, klass = asyncio.run(walk_with_class(port, home, n, args.class_size or n, walk,
                                                                 args.timeout, seed=seed))
                else:
                    results, klass = asyncio.run(lg.classroom(port, n, walk, timeout=args.timeout)), None
                wall = time.perf_counter() - t0
                out += report(n, results, (cpu() - c0) if pids else float("nan"), wall, time.process_time() - g0)
                out += csl.report(klass) + [klass["overlap"]] if klass else []
                if pids:
                    out.append(f"  server RSS after N = {n}: {rss():.0f} MB")
                for o in (o for res in results for o in res):
                    pooled.setdefault(o.name, []).append(o.seconds)
                if klass:
                    pooled.setdefault("follow", []).extend(klass["follow"])
                    pooled.setdefault("votes exact", []).append(float(all(c == klass["n"] for _, c in klass["votes"])))
            if args.repeats > 1:
                out.append(f"N = {n}, {args.repeats} runs pooled: " + ", ".join(
                    f"{name} p95 {pct(v, 0.95):.2f} s" for name, v in pooled.items()
                    if name in ("capacity slider", "shared Playground link", "follow"))
                    + (f"; votes exact in {sum(pooled['votes exact']):.0f} of {args.repeats} runs"
                       if "votes exact" in pooled else ""))
        if pids:
            for _ in range(2):  # 30 connect and leave
                asyncio.run(lg.classroom(port, 30, steps[:2], timeout=args.timeout))
            out.append(f"server RSS after 30 students connected and left twice: {rss():.0f} MB")
    finally:
        if proc and args.processes > 1:
            lg.stop_class(proc)
        elif proc:
            lg.stop_server(proc)
    print("\n".join(out))


if __name__ == "__main__":
    main()
