"""Job subcommands of the `kdviz` CLI (hooked in by `kdviz.cli.main`):

    kdviz submit <sweep flags> [--wait]      # prints the job id alone on its last stdout line
    kdviz jobs | status ID | cancel ID | resume ID | delete ID | results ID --out results.csv
    kdviz worker [--forever]

Every job command takes ``--home DIR`` (default ``$KDVIZ_HOME`` or ``~/.kdviz``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from kdviz.cli.tools import format_seconds
from kdviz.errors import KdvizError
from kdviz.jobs.owners import short_owner
from kdviz.jobs.records import STATUSES, Status


class JobCommandError(KdvizError):
    pass


def _fmt_s(seconds: float | None) -> str:
    return format_seconds(seconds, none="-")  # (plain ASCII: any terminal)


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def _home_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--home", default=None, help="kdviz data directory (default: $KDVIZ_HOME or ~/.kdviz)")


class _Watch:
    """Progress of a job on stderr while `--wait`ing."""

    def __init__(self, quiet: bool):
        self.quiet, self.last, self.mark = quiet, None, None
        self.tty = sys.stderr.isatty()

    def __call__(self, job: Any) -> None:
        if self.quiet:
            return
        line = (f"{job.id} {job.status:<11} {job.done}/{job.total or '?'} {job.stage:<24} "
                f"elapsed {_fmt_s(job.elapsed)} eta {_fmt_s(job.eta)}")
        if not self.tty:  # a log file or a pipe: one plain line per stage and per 10 %, no \r
            mark = (job.status, job.stage, int(10 * job.done / job.total) if job.total else 0)
            if mark != self.mark:
                sys.stderr.write(" ".join(line.split()) + "\n")
                sys.stderr.flush()
                self.mark = mark
            return
        if line != self.last:
            sys.stderr.write("\r" + line.ljust(len(self.last or "")))
            sys.stderr.flush()
            self.last = line
        if not job.active:
            sys.stderr.write("\n")


def _finish_wait(job: Any) -> int:
    if job.status == Status.DONE:
        return 0
    raise JobCommandError(f"job {job.id} {job.status}" + (f": {job.error}" if job.error else ""))


def cmd_submit(args: argparse.Namespace, config_from_args: Callable[[argparse.Namespace], Any]) -> int:
    from kdviz.cli.tools import describe_data
    from kdviz.jobs import engine

    config = config_from_args(args)
    describe_data(config)  # a job whose data cannot load is refused here, not queued to fail later
    job_id = engine.submit("sweep", config, home=args.home, executor=args.executor,
                           start_worker=not args.no_worker, name=args.name, tags=args.tag)
    if args.wait:
        if not args.quiet:
            print(f"submitted job {job_id}; waiting (Ctrl-C stops waiting, not the job)", file=sys.stderr)
        try:
            job = engine.wait(job_id, home=args.home, poll=0.25, on_update=_Watch(args.quiet))
        except KeyboardInterrupt:
            print(job_id)
            raise
        print(job_id)
        return _finish_wait(job)
    print(job_id)
    return 0


def _label_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", default=None, help="a name for the run (shown instead of its id in overlays and packs)")
    p.add_argument("--tag", action="append", default=None, help="a tag for the run (repeat for several)")


def cmd_label(args: argparse.Namespace) -> int:
    from kdviz.jobs import engine

    job = engine.rename(args.id, args.name, args.tag, home=args.home)
    print(f"{job.id}  name: {job.name or '-'}  tags: {', '.join(job.tags) or '-'}")
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    from kdviz.jobs import engine

    jobs = engine.list_jobs(home=args.home, status=args.status, limit=args.limit)
    if getattr(args, "search", None):
        from kdviz.jobs.labels import matches

        jobs = [j for j in jobs if matches(j, args.search)]
    if args.json:
        print(json.dumps([j.to_dict() for j in jobs], indent=1, default=str))
        return 0
    if not jobs:
        print("no jobs")
        return 0
    print(f"{'ID':<12}  {'KIND':<10} {'STATUS':<11} {'PROGRESS':>9}  {'CREATED':<19}  {'ELAPSED':>11}  {'ETA':>11}  STAGE / ERROR")
    for j in jobs:
        note = j.error if j.error and j.status in (Status.FAILED, Status.INTERRUPTED) else j.stage
        print(f"{j.id:<12}  {j.kind:<10} {j.status:<11} {f'{j.done}/{j.total}':>9}  {_when(j.created):<19}  "
              f"{_fmt_s(j.elapsed):>11}  {_fmt_s(j.eta):>11}  {note}")
        if j.name or j.tags:
            print(f"{'':<12}  name: {j.name or '-'}" + (f"  tags: {', '.join(j.tags)}" if j.tags else ""))
    return 0


def _print_job(job: Any) -> None:
    d = job.to_dict()
    print(f"job       {job.id}\nname      {job.name or '-'}\ntags      {', '.join(job.tags) or '-'}\nkind      {job.kind}\nstatus    {job.status}\nstage     {job.stage}\n"
          f"progress  {job.done}/{job.total} tasks ({100 * job.fraction:.0f}%), {job.computed} computed by this job\n"
          f"executor  {job.executor}\ncreated   {_when(job.created)}\nstarted   {_when(job.started)}\n"
          f"finished  {_when(job.finished)}\nelapsed   {_fmt_s(d['elapsed'])}\neta       {_fmt_s(d['eta'])}\n"
          f"worker    pid {job.pid or '-'} on {job.host or '-'}, heartbeat {_when(job.heartbeat)}\n"
          f"owner     {short_owner(job.owner)}{' (shared with the class)' if job.shared else ''}")
    if job.error:
        print(f"error     {job.error}")
    print("config    " + json.dumps(job.config, sort_keys=True))


def cmd_status(args: argparse.Namespace) -> int:
    from kdviz.jobs import engine

    job = engine.get_job(args.id, home=args.home)
    if args.json:
        print(json.dumps(job.to_dict(), indent=1, default=str))
    else:
        _print_job(job)
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    from kdviz.jobs import engine

    job = engine.cancel(args.id, home=args.home)
    if job.status == Status.RUNNING:
        job = engine.wait(job.id, home=args.home, timeout=10, poll=0.1)
    print(f"{job.id} {job.status}")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from kdviz.jobs import engine

    before = engine.get_job(args.id, home=args.home)
    if not before.resumable:
        print(f"{before.id} is {before.status}: nothing to resume", file=sys.stderr)
        print(before.id)
        return 0
    job = engine.resume(args.id, home=args.home, start_worker=not args.no_worker)
    if args.wait:
        job = engine.wait(job.id, home=args.home, poll=0.25, on_update=_Watch(args.quiet))
        print(job.id)
        return _finish_wait(job)
    print(job.id)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from kdviz.jobs import engine

    engine.delete(args.id, home=args.home)
    print(f"deleted {args.id}")
    return 0


def cmd_results(args: argparse.Namespace) -> int:
    from kdviz.jobs import engine

    job = engine.get_job(args.id, home=args.home)
    if args.out:
        from kdviz.cli.tools import check_out

        ds = str(job.config.get("dataset", ""))
        check_out(args.out, ds[4:] if ds.startswith("csv:") else None)
    df = engine.job_results(job.id, home=args.home)
    if job.status != Status.DONE:
        print(f"job {job.id} is {job.status}: {len(df)} rows so far (partial results)", file=sys.stderr)
    if args.out:
        try:
            df.to_csv(args.out, index=False)
        except OSError as e:
            raise JobCommandError(f"cannot write {args.out}: {e.strerror or e}") from None
        print(f"wrote {len(df)} rows to {args.out}", file=sys.stderr)
    elif job.kind == "sweep" and not df.empty:
        from kdviz.cli.tools import summary_table

        print(summary_table(df))
    else:
        print(df.to_string(index=False) if not df.empty else "(no results yet)")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from kdviz.cli.tools import capped_jobs
    from kdviz.jobs.worker import worker_from_args

    worker = worker_from_args(args, jobs=capped_jobs(args.jobs))
    print(f"kdviz worker {worker.id} (pid {__import__('os').getpid()}) on {worker.store.path}", file=sys.stderr)
    n = worker.run(args.job)
    print(f"kdviz worker {worker.id}: ran {n} job(s)", file=sys.stderr)
    return 0


def add_job_commands(sub: argparse._SubParsersAction, add_sweep_arguments: Callable[[argparse.ArgumentParser], None],
                     config_from_args: Callable[[argparse.Namespace], Any]) -> None:
    """Add submit / jobs / status / cancel / resume / delete / results / worker to `kdviz`."""
    p = sub.add_parser("submit", help="queue a sweep as a background job and print its id")
    add_sweep_arguments(p)
    _home_arg(p)
    p.add_argument("--wait", action="store_true", help="block until the job finishes (progress on stderr)")
    p.add_argument("--executor", choices=["local", "ray"], default=None,
                   help="where tasks run (default local; ray uses $KDVIZ_RAY_ADDRESS or a local Ray)")
    p.add_argument("--no-worker", action="store_true", help="only queue it (a `kdviz worker` runs it)")
    p.add_argument("--quiet", action="store_true", help="no progress while waiting")
    _label_args(p)
    p.set_defaults(func=lambda a: cmd_submit(a, config_from_args))

    p = sub.add_parser("label", help="set a job's name and tags (shown in overlays, legends and packs)")
    p.add_argument("id", help="job id (or a unique prefix)")
    _home_arg(p)
    _label_args(p)
    p.set_defaults(func=cmd_label)

    p = sub.add_parser("jobs", help="list jobs, newest first")
    _home_arg(p)
    p.add_argument("--status", choices=[str(s) for s in STATUSES])
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--search", default=None, help="only jobs whose name, tags or id contain these words")
    p.set_defaults(func=cmd_jobs)

    for name, func, text in [("status", cmd_status, "show one job"),
                             ("cancel", cmd_cancel, "cancel a job (finished tasks stay stored)"),
                             ("resume", cmd_resume, "resume an interrupted, cancelled or failed job"),
                             ("delete", cmd_delete, "forget a job (its cached task results stay)"),
                             ("results", cmd_results, "print or save a job's results table (partial while running)")]:
        p = sub.add_parser(name, help=text)
        p.add_argument("id", help="job id (or a unique prefix)")
        _home_arg(p)
        if name == "status":
            p.add_argument("--json", action="store_true")
        if name == "resume":
            p.add_argument("--wait", action="store_true")
            p.add_argument("--no-worker", action="store_true")
            p.add_argument("--quiet", action="store_true")
        if name == "results":
            p.add_argument("--out", help="write the table to this CSV file")
        p.set_defaults(func=func)

    from kdviz.jobs.worker import add_worker_arguments

    p = sub.add_parser("worker", help="run queued jobs in this process")
    add_worker_arguments(p)
    p.set_defaults(func=cmd_worker)
