"""Progress of a run for people at a keyboard: a tqdm bar in notebooks and terminals, or nothing.

:func:`progress_bar` returns a callback of the shape the runners call, ``progress(done, total, stage)``
(`kdviz.experiments.run_plan`), that draws a tqdm bar: a widget in Jupyter when ipywidgets is
installed, else the text bar (never tqdm's "IProgress not found" warning). Stages that are heartbeats
of long tasks (``teacher running 45 s``) refresh the bar's label while the count stands still.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any


def _tqdm_class() -> Any:
    if "ipykernel" in sys.modules and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm


class TqdmProgress:
    """``progress(done, total, stage)`` → a tqdm bar (created at the first call, closed at the end)."""

    def __init__(self, desc: str = "kdviz", unit: str = "task", file: Any = None, **kw: Any):
        self.desc, self.unit, self.file, self.kw = desc, unit, file, kw
        self.bar: Any = None

    def __call__(self, done: int, total: int, stage: str) -> None:
        if self.bar is None:
            self.bar = _tqdm_class()(total=total, desc=self.desc, unit=self.unit, file=self.file or sys.stderr,
                                     dynamic_ncols=True, **self.kw)
        if self.bar.total != total:
            self.bar.total = total
        if done > self.bar.n:
            self.bar.update(done - self.bar.n)
        if stage and stage != "start":
            self.bar.set_postfix_str(stage, refresh=done <= self.bar.n)
        if done >= total:
            self.close()

    def message(self, text: str) -> None:
        """A line above the bar (data loading, notes)."""
        if self.bar is not None:
            self.bar.write(text, file=self.file or sys.stderr)
        else:
            print(text, file=self.file or sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def progress_bar(progress: Any, desc: str = "kdviz") -> TqdmProgress | None:
    """`progress` as the API takes it: True → a tqdm bar, False/None → silent, a callable → itself."""
    if progress is True:
        return TqdmProgress(desc)
    if not progress:
        return None
    return progress
