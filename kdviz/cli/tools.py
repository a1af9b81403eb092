"""What the `kdviz` commands share (sweep, submit, results, worker): checks of the inputs and outputs
before any compute, the data summary, progress on stderr and the results summary table."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

from kdviz.config import SweepConfig
from kdviz.errors import KdvizError
from kdviz.experiments import is_heartbeat
from kdviz.kd.csearch import C_SEARCH_LABELS, searches_in
from kdviz.kd.methods import TEACHER_ROW, labels_only_methods
from kdviz.kd.metrics import MULTICLASS_AUC


class UsageError(KdvizError):
    pass


class ProgressBar:
    """Progress on stderr: a one-line bar redrawn in place on a terminal; plain lines (at each stage
    and every 10 %) when stderr is redirected to a file or a pipe, so logs stay readable."""

    def __init__(self, stream=None, width: int = 30):
        self.stream, self.width, self.start = stream or sys.stderr, width, time.monotonic()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last: tuple[str, int] | None = None
        self.last_beat = 0.0

    def __call__(self, done: int, total: int, stage: str) -> None:
        frac = done / total if total else 1.0
        elapsed = time.monotonic() - self.start
        eta = f"{elapsed / frac - elapsed:5.0f}s" if 0 < frac < 1 else "   --"
        if self.tty:
            bar = "#" * int(frac * self.width)
            self.stream.write(f"\r[{bar:<{self.width}}] {done}/{total} {stage:<8} elapsed {elapsed:5.0f}s eta {eta}")
            if done >= total:
                self.stream.write("\n")
        else:
            if is_heartbeat(stage):  # a long task: a line at most every 15 s in a log
                if elapsed - self.last_beat < 15:
                    return
                self.last_beat = elapsed
            else:
                mark = (stage, int(frac * 10))
                if mark == self.last and done < total:
                    return
                self.last = mark
            self.stream.write(f"progress {done}/{total} ({frac:.0%}) {stage} elapsed {elapsed:.0f}s eta {eta.strip()}\n")
        self.stream.flush()


def format_seconds(s: float | None, none: str = "—") -> str:
    """A duration for people: "12 s", "3 min 05 s", "2 h 07 min" (`none` for None or NaN)."""
    if s is None or s != s:  # None or NaN
        return none
    s = max(0.0, float(s))
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def note(text: str) -> None:
    print(f"kdviz: {text}", file=sys.stderr)


#: above this many rows the CLI suggests --n for a first look
LARGE_ROWS = 100_000


def describe_data(config: SweepConfig):
    """Load and check the sweep's data before any fit; print the one-line data summary and notes."""
    from kdviz.sweep import load_data, validate

    ds = load_data(config, progress=note)
    validate(config, ds)
    note(ds.summary())
    for text in ds.report.notes:
        note(f"note: {text}")
    if config.n is None and ds.report.rows_used > LARGE_ROWS:
        note(f"note: {ds.report.rows_used:,} rows, and every fit uses all of them: add --n 50000 for a "
             "stratified sample of 50,000 rows (a faster first look)")
    return ds


def check_out(out: str | None, *inputs: str | None) -> None:
    """Refuse an output path before any compute: a .csv in an existing, writable folder, never an input."""
    if not out:
        return
    path = Path(out).expanduser()
    if path.suffix.lower() != ".csv":
        raise UsageError(f"--out must name a .csv file, got {out!r}")
    if path.is_dir():
        raise UsageError(f"--out {out} is a folder; give a file name such as {path / 'results.csv'}")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"--out {out}: the folder {folder} does not exist; create it first (mkdir -p {folder})")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"--out {out}: no permission to write there; choose another folder")
    for given in inputs:
        if given and path.resolve() == Path(given).expanduser().resolve():
            raise UsageError(f"--out {out} is an input file of this run; it would be overwritten. "
                             "Choose another name")


def capped_jobs(jobs: int | None) -> int | None:
    """--jobs: at least 1, at most the cores of this machine (more only adds overhead)."""
    if jobs is None:
        return None
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    cores = os.cpu_count() or 1
    if jobs > cores:
        note(f"note: --jobs {jobs} capped at {cores}, the number of cores of this machine")
        return cores
    return jobs


def input_files(args: argparse.Namespace, config: SweepConfig) -> list[str | None]:
    return [config.dataset[4:] if config.dataset.startswith("csv:") else None, getattr(args, "config", None)]


def summary_table(df: pd.DataFrame) -> str:
    """Mean of the headline metric per method (rows) and capacity (columns)."""
    if df.empty:
        return "(no results)"
    if "axis2" in df and df["axis2"].notna().any():  # one block per second-axis value
        name = df["axis2_name"].dropna().iloc[0]
        return "\n\n".join(f"== {name} = {v:g}\n" + summary_table(df[df["axis2"] == v].drop(columns=["axis2"]))
                           for v in sorted(df["axis2"].dropna().unique()))
    metric = "test_auc" if df["test_auc"].notna().any() else "test_accuracy"
    df = df.assign(capacity=df.capacity.astype("Int64"))
    table = df.pivot_table(index="method", columns="capacity", values=metric, aggfunc="mean", sort=False)
    multiclass = "n_classes" in df and bool((pd.to_numeric(df["n_classes"], errors="coerce") > 2).any())
    what = f"{metric} = {MULTICLASS_AUC}" if metric == "test_auc" and multiclass else metric
    text = f"mean {what} by method and {df['capacity_name'].iloc[0]}\n" + table.round(4).to_string()
    for m in labels_only_methods():
        rows = df[df.method == m]
        if len(rows) and rows["capacity"].isna().all():
            text += f"\n{m} (capacity-free): {rows[metric].mean():.4f}"
    fixed = df[(df.method == TEACHER_ROW) & df["capacity"].isna()][metric]
    if len(fixed):  # the student is varied: one fixed teacher
        text += f"\nteacher (fixed, {len(fixed)} repeats): {fixed.mean():.4f}"
    searches = searches_in(df)
    if searches:
        text += "\nc of the corrected students chosen by " + " / ".join(C_SEARCH_LABELS.get(x, x) for x in searches)
    if df["student_error"].notna().any():
        err = df.pivot_table(index="method", columns="capacity", values="student_error", aggfunc="mean", sort=False)
        text += "\n\nmean student_error (vs p0)\n" + err.round(5).to_string()
    return text
