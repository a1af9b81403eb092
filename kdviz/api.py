"""kdviz in a notebook: run a sweep, get a tidy table and its figures, compare with the paper.

Three lines from a plain Python session::

    import kdviz
    res = kdviz.sweep(preset="quick", repeats=1)
    res.plot().show()

:func:`sweep` runs here (a tqdm bar shows progress; ``progress=False`` silences it) and returns
:class:`Results`: the tidy table ``res.df`` (one row per capacity, method and repeat), the validated
config, the data notes, figures (``res.plot``), the paper comparison and CSV export. Background runs
that survive the notebook: :func:`submit`, :func:`jobs`, :func:`results`. What there is to choose
from: :func:`list_presets` (also ``kdviz.presets()``), :func:`list_methods` (``kdviz.methods()``),
:func:`list_datasets`, and :func:`kdviz.load_dataset` for the data alone.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kdviz.config import SweepConfig, apply_preset, load_config_file, make_config
from kdviz.errors import ConfigError, KdvizError
from kdviz.runtime.progress import TqdmProgress, progress_bar

__all__ = ["Results", "jobs", "list_datasets", "list_methods", "list_presets", "results", "submit", "sweep"]

Home = str | os.PathLike[str] | None
ConfigLike = SweepConfig | dict[str, Any] | str | os.PathLike[str] | None


def _values(config: ConfigLike) -> tuple[str | None, dict[str, Any]]:
    """(preset named by the config, the config's own values) of a config object, dict or TOML/JSON file."""
    if config is None:
        return None, {}
    if isinstance(config, SweepConfig):
        return None, config.to_dict()
    if isinstance(config, dict):
        values = dict(config)
    elif isinstance(config, (str, os.PathLike)):
        values = load_config_file(Path(config), keep_preset=True)
    else:
        raise ConfigError(f"config must be a SweepConfig, a dict or the path of a TOML/JSON file, "
                          f"got {type(config).__name__}")
    return values.pop("preset", None), values


def build_config(config: ConfigLike = None, preset: str | None = None, **fields: Any) -> tuple[SweepConfig, list[str]]:
    """(validated config, notes) from a config (object, dict or file), a preset name and keyword fields.

    Keyword fields override the config, which overrides the preset. A preset's demo data settings
    (n, label noise) apply only to its own dataset (:func:`kdviz.presets.apply_preset`).
    """
    from kdviz.presets import PRESETS

    named, values = _values(config)
    preset = preset or named
    if preset is not None and preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    values, notes = apply_preset(preset, {**values, **fields})
    return make_config(**values), notes


@dataclass
class Results:
    """A sweep's tidy table and its config, with figures, the paper comparison and export.

    Attributes:
        df: one row per (capacity, method, repeat): ``test_auc`` (one-vs-rest macro AUC for more than
            two classes), ``test_accuracy``, ``test_log_loss`` and, where p0 is known,
            ``student_error``, ``oracle_error``, the teacher's errors (see ``kdviz.sweep.COLUMNS``).
        config: the validated :class:`kdviz.config.SweepConfig` (None for a table read from elsewhere).
        notes: what loading the data and applying the preset changed (renames, merges, dropped rows, …).
        data_summary: ``data: 600 rows, 5 features after encoding, 2 classes``.
        job_id: the background job the table comes from, if any.

    Example::

        res = kdviz.sweep(preset="quick", repeats=1, progress=False)
        res.plot("student_error", log_x=True)     # a Plotly figure
        res.summary("test_auc")                   # mean ± s.e. per method × capacity
        res.to_csv("quick.csv")
    """

    df: pd.DataFrame
    config: SweepConfig | None = None
    notes: list[str] = field(default_factory=list)
    data_summary: str = ""
    job_id: str | None = None

    # -- figures ------------------------------------------------------------------------------------
    def plot(self, metric: str = "test_auc", *, kind: str = "capacity", log_x: bool = False,
             presentation: bool = False, theme: str = "light", paper: bool = True) -> Any:
        """A Plotly figure of the results (the dashboard's own figure functions).

        Args:
            metric: a column of ``df``: ``test_auc``, ``student_error``, ``test_accuracy``,
                ``test_log_loss``, ``teacher_error_l2``, ...
            kind: ``"capacity"`` (each method against the varied capacity, mean ± 1 s.e.) or
                ``"heatmap"`` (each method's gain over vanilla KD across the second axis).
            log_x: log-scale capacity axis. presentation: larger fonts for slides.
            theme: ``"light"`` or ``"projector"`` (dark, high contrast).
            paper: for a paper preset, draw the published means as dashed series (test AUC).

        Example: ``kdviz.sweep(preset="quick", progress=False).plot("student_error").show()``
        """
        from kdviz.figures.plots import axis2_heatmap, capacity_chart
        from kdviz.figures.style import apply_theme

        if kind == "capacity":
            ref = None
            if paper and self.config is not None and self.config.paper:
                from kdviz.paper import paper_reference

                ref = paper_reference(self.config.to_dict())
            fig = capacity_chart(self.df, metric, log_x=log_x, presentation=presentation, reference=ref)
        elif kind == "heatmap":
            fig = axis2_heatmap(self.df, metric, presentation=presentation)
        else:
            raise ConfigError(f"unknown plot kind {kind!r}; choose 'capacity' or 'heatmap'")
        return apply_theme(fig, theme) if theme != "light" else fig

    # -- tables -------------------------------------------------------------------------------------
    def summary(self, metric: str = "test_auc") -> pd.DataFrame:
        """Mean ± standard error of `metric` over repeats: one row per method, one column per capacity
        (``all`` for capacity-free rows). A multiclass run's test AUC is one-vs-rest, macro-averaged."""
        from kdviz.figures.plots import metric_name, summarize
        from kdviz.kd.methods import method_label, ordered

        s = summarize(self.df, metric)
        if s.empty:
            return pd.DataFrame()
        s = s.assign(cell=[f"{m:.4g} ± {e:.2g}" for m, e in zip(s["mean"], s["se"], strict=True)],
                     capacity=s["capacity"].map(lambda c: "all" if pd.isna(c) else str(int(c))))
        t = s.pivot_table(index="method", columns="capacity", values="cell", aggfunc="first", sort=False)
        t = t[sorted(t.columns, key=lambda c: -1 if c == "all" else int(c))].reindex(ordered(t.index))
        t = t.fillna("—")  # no value: a capacity-free method, or a capacity the method has no row at
        t.index = [method_label(m) for m in t.index]
        t.columns.name = self.df["capacity_name"].dropna().iloc[0] if self.df["capacity_name"].notna().any() else None
        t.attrs["metric"] = metric_name(metric, self.df)
        return t

    def compare_paper(self, paper: str | None = None, **kwargs: Any) -> Any:
        """The agreement test against the paper's published means (:func:`kdviz.paper.compare`): an
        :class:`kdviz.paper.Agreement` with per-cell ``levels`` and ``effects`` (yours, the paper's, both
        standard errors, ``diff``, ``within``), the cells not compared (``missing``) and ``summary_line()``.

        `paper` defaults to the run's paper preset (e.g. ``"magic-B"``), the scale to the run's.
        Example: ``kdviz.sweep(preset="paper-magic-B", dataset="csv:magic04.csv", target="class").compare_paper()``
        """
        from kdviz.paper import compare

        if self.config is not None:
            paper = paper or self.config.paper
            kwargs.setdefault("scale", self.config.scale)
        return compare(self.df, paper, **kwargs)

    def to_csv(self, path: str | os.PathLike[str] | None = None, **kwargs: Any) -> str | None:
        """Write the tidy table as CSV (no index) to `path`; without a path, return the CSV text."""
        return self.df.to_csv(path, index=False, **kwargs)

    # -- display ------------------------------------------------------------------------------------
    def _title(self) -> str:
        if self.config is None:
            return f"kdviz results: {len(self.df)} rows"
        c = self.config
        from kdviz.figures.plots import dataset_label

        side = "student" if c.vary == "student" else "teacher"
        return (f"kdviz sweep — {dataset_label(c.dataset)}, teacher {c.teacher}, student {c.student}, "
                f"{side} capacity varied; {len(self.df)} rows")

    def __repr__(self) -> str:
        lines = [self._title()]
        if self.data_summary:
            lines.append(self.data_summary)
        lines += [f"note: {n}" for n in self.notes]
        metric = self._headline()
        if metric:
            lines += [f"mean ± s.e. of {metric}:", self.summary(metric).to_string()]
        return "\n".join(lines)

    def _headline(self) -> str | None:
        for m in ("test_auc", "test_accuracy"):
            if m in self.df and pd.to_numeric(self.df[m], errors="coerce").notna().any():
                return m
        return None

    def _repr_html_(self) -> str:
        from kdviz.figures.plots import metric_name

        parts = [f"<b>{html.escape(self._title())}</b>"]
        if self.data_summary:
            parts.append(f"<div>{html.escape(self.data_summary)}</div>")
        if self.notes:
            items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
            parts.append(f"<details><summary>{len(self.notes)} note(s) on the data</summary><ul>{items}</ul></details>")
        metric = self._headline()
        if metric:
            parts.append(f"<div>{html.escape(metric_name(metric, self.df))}, mean ± s.e. over repeats:</div>")
            parts.append(self.summary(metric).to_html())
        parts.append("<div><code>.df</code> the tidy table · <code>.plot(metric)</code> a figure · "
                     "<code>.compare_paper()</code> · <code>.to_csv(path)</code></div>")
        return "\n".join(parts)


# ----------------------------------------------------------------------------------------------------
def sweep(config: ConfigLike = None, /, *, preset: str | None = None, progress: Any = True,
          jobs: int | None = None, **fields: Any) -> Results:
    """Run a capacity sweep here and return its :class:`Results`.

    Args:
        config: a :class:`~kdviz.config.SweepConfig`, a dict of its fields, or the path of a TOML/JSON
            config file (``preset = "quick"`` in it starts from a preset).
        preset: start from a ready-made configuration (:func:`list_presets`). Its demo data settings
            (n, label noise) apply only to its own dataset.
        progress: True (a tqdm bar in notebooks and terminals, plus the data summary and notes),
            False (silent), or a callable ``progress(done, total, stage)``.
        jobs: task processes (default: all cores; 1 runs everything in this process).
        **fields: any :class:`~kdviz.config.SweepConfig` field, overriding `config` and `preset`:
            ``dataset`` (``synthetic:gmm``, ``sklearn:wine``, ``csv:PATH``, ``openml:NAME``), ``target``,
            ``n``, ``label_noise``, ``teacher``, ``capacities``, ``student``, ``methods``, ``folds``,
            ``repeats``, ``seed``, ...

    Raises:
        kdviz.errors.ConfigError, kdviz.errors.DatasetError: before any fit, saying what to change.

    Example::

        >>> import kdviz
        >>> res = kdviz.sweep(dataset="synthetic:gmm", n=400, capacities=(1, 4), repeats=1, folds=2,
        ...                   methods=("no_kd", "vanilla", "crossfit"), progress=False, jobs=1)
        >>> sorted(res.df["method"].unique())
        ['crossfit', 'no_kd', 'teacher', 'vanilla']
    """
    from kdviz.sweep import load_data, run_sweep, validate

    cfg, notes = build_config(config, preset, **fields)
    bar = progress_bar(progress, desc="sweep")
    say = bar.message if isinstance(bar, TqdmProgress) else None
    ds = load_data(cfg, progress=say)
    validate(cfg, ds)
    notes = notes + list(ds.report.notes)
    if say:
        say(f"kdviz: {ds.summary()}")
        for text in notes:
            say(f"kdviz: note: {text}")
    try:
        df = run_sweep(cfg, jobs=jobs, progress=bar, dataset=ds)
    finally:
        if isinstance(bar, TqdmProgress):
            bar.close()
    return Results(df, cfg, notes, ds.summary())


def submit(config: ConfigLike = None, /, *, preset: str | None = None, home: Home = None, **fields: Any) -> str:
    """Queue a sweep as a background job (a worker process runs it; it survives this session).

    Takes the same configuration as :func:`sweep`; the data is loaded and checked first, so a bad
    file is refused here. Returns the job id: watch it with :func:`jobs`, read it with :func:`results`.
    `home` is the job store (default ``$KDVIZ_HOME`` or ``~/.kdviz``).

    Example::

        job = kdviz.submit(preset="quick")
        kdviz.results(job, wait=True).plot()
    """
    from kdviz.jobs import submit as submit_job
    from kdviz.sweep import load_data, validate

    cfg, _ = build_config(config, preset, **fields)
    validate(cfg, load_data(cfg))
    return submit_job("sweep", cfg, home=home)


def jobs(*, home: Home = None, status: str | list[str] | None = None, limit: int | None = 20) -> pd.DataFrame:
    """The background jobs, newest first: id, status, progress, stage, dataset, created (also
    ``kdviz.jobs()``). `status` filters (``"running"``, ``["done", "failed"]``)."""
    from kdviz.jobs import list_jobs

    rows = [dict(id=j.id, kind=j.kind, status=str(j.status), done=j.done, total=j.total, stage=j.stage,
                 dataset=j.config.get("dataset"), created=pd.Timestamp(j.created, unit="s"))
            for j in list_jobs(home=home, status=status, limit=limit)]
    return pd.DataFrame(rows, columns=["id", "kind", "status", "done", "total", "stage", "dataset", "created"])


def results(job_id: str, *, wait: bool = False, progress: Any = True, home: Home = None,
            timeout: float | None = None) -> Results:
    """The :class:`Results` of a background job (partial while it runs).

    With ``wait=True`` block until the job ends (a tqdm bar shows its progress unless
    ``progress=False``; `timeout` in seconds). A failed job raises its error.
    """
    from kdviz.jobs import Status, get_job, job_results
    from kdviz.jobs import wait as wait_job

    if wait:
        bar = progress_bar(progress, desc=f"job {job_id[:8]}")
        try:
            job = wait_job(job_id, home=home, timeout=timeout,
                           on_update=(lambda j: bar(j.done, max(j.total, 1), j.stage)) if bar else None)
        finally:
            if isinstance(bar, TqdmProgress):
                bar.close()
    else:
        job = get_job(job_id, home=home)
    if job.status == Status.FAILED:
        raise KdvizError(f"job {job.id} failed: {job.error}")
    cfg = make_config(**job.config) if job.kind == "sweep" else None
    return Results(job_results(job.id, home=home), cfg, job_id=job.id)


def list_presets() -> pd.DataFrame:
    """The ready-made configurations (also ``kdviz.presets()``): name, dataset, what it varies and
    the settings it sets; pass the name as ``kdviz.sweep(preset=NAME)``."""
    from kdviz.presets import DEFAULT_TEACHER, PRESETS

    rows = [dict(preset=name, dataset=p.get("dataset"), vary=p.get("vary", "teacher"), teacher=p.get("teacher", DEFAULT_TEACHER),
                 settings=", ".join(f"{k}={v}" for k, v in p.items() if k not in ("dataset", "vary", "teacher")))
            for name, p in PRESETS.items()]
    return pd.DataFrame(rows)


def list_methods() -> pd.DataFrame:
    """The KD methods a sweep compares (also ``kdviz.methods()``): name, label, where the teacher's
    probabilities come from, whether the loss is corrected."""
    from kdviz.kd.methods import METHODS

    return pd.DataFrame([dict(method=m.name, label=m.label, teacher=m.teacher, corrected=m.corrected)
                         for m in METHODS.values() if m.kd])


def list_datasets() -> pd.DataFrame:
    """The datasets (name, description, known p0, classes, parameters) — ``dataset=`` of :func:`sweep`."""
    from kdviz.data.load import list_datasets as datasets

    return pd.DataFrame([{k: d.get(k) for k in ("name", "description", "has_p0", "n_classes")}
                         for d in datasets()])
