"""Figures: pure functions from the tidy results table (see `kdviz.sweep.COLUMNS`) to Plotly figures.

Nothing here imports Streamlit, so a notebook, the CLI and the dashboard draw the same charts.

- Every method's label, colour and marker come from the method table (`kdviz.kd.methods`).
- `style_figure(fig, presentation=False)`: the common look; presentation = large fonts, the
  Plotly ``presentation`` template, no clutter.
- `capacity_chart(df, metric)`: metric vs teacher capacity, mean ± one standard error over the
  repeats per method, the teacher's own curve and the no-KD baseline as a horizontal line.
  With `reference` (a paper preset's published means, `kdviz.paper.reference`) it adds dashed
  "paper" series with their bands; when the student is varied the x axis is the student's capacity.
- `gain_table` / `axis2_heatmap(df, metric)`: a second axis — each method's gain over vanilla KD.
- `overlay_chart(runs, metric)`: several runs' curves in one chart (Runs page).
- `heatmap_grid(...)`: probability heat maps with training points (Playground).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kdviz.figures.style import CAPACITY_META, style_figure
from kdviz.kd import metrics
from kdviz.kd.csearch import c_search_subtitle
from kdviz.kd.methods import (
    BASELINE,
    METHODS,
    ORACLE_ROW,
    TEACHER_ROW,
    labels_only_methods,
    method_color,
    method_label,
    ordered,
)
from kdviz.kd.metrics import MULTICLASS_AUC
from kdviz.teachers import CAPACITY_TITLES as TEACHER_CAPACITY_TITLES

#: γ rules of the loss correction (THEORY §3), as the dashboard names them.
GAMMA_LABELS: dict[str, str] = {
    "bound_fast": "bound-fast c/(c + r²)",
    "bound_fast_expected": "y-free c/(c + p̂(1 − p̂))",
    "full": "full (γ = γ*)",
}

#: metric column → (axis title with units, higher is better)
METRICS: dict[str, tuple[str, bool]] = {
    "test_auc": ("Test AUC (0.5 = chance, 1 = perfect)", True),
    "test_accuracy": ("Test accuracy (fraction correct)", True),
    "test_log_loss": ("Test log-loss (nats per point)", False),
    "student_error": ("Error vs p0: mean (f̂ − p0)² (prob.²)", False),
    "teacher_error_l2": ("Teacher ε2 vs p0 (prob.)", False),
    "teacher_error_l4": ("Teacher ε4 vs p0 (prob.)", False),
    "teacher_error_train": ("Teacher ε2 on training points (prob.)", False),
    "teacher_label_mse": ("Teacher fit to labels: mean (p̂ − y)² (prob.²)", False),
}

METRIC_NAMES: dict[str, str] = {
    "test_auc": "Test AUC",
    "test_accuracy": "Test accuracy",
    "test_log_loss": "Test log-loss",
    "student_error": "Student error vs p0",
    "teacher_error_l2": "Teacher ε2",
    "teacher_error_l4": "Teacher ε4",
    "teacher_error_train": "Teacher ε2 (training points)",
    "teacher_label_mse": "Teacher fit to labels",
}

#: x-axis titles (with units) for the teacher families' capacity parameters (each family's
#: ``TeacherSpec.capacity_title``, read live from the registry)
CAPACITY_TITLES: Mapping[str, str] = TEACHER_CAPACITY_TITLES

def dataset_label(name: str) -> str:
    """A dataset name fit for a slide: an uploaded CSV shows its file name, not the server path (nor the
    ``upload:`` prefix that results tables on pages name it by)."""
    for prefix in ("csv:", "upload:"):
        if name.startswith(prefix):  # the file's name without the path, nor the upload's content-hash prefix
            return re.sub(r"^[0-9a-f]{12}_", "", name[len(prefix):].replace("\\", "/").rsplit("/", 1)[-1])
    return name


def is_multiclass(df: pd.DataFrame | None) -> bool:
    """Whether a results table comes from a run with more than two classes (column ``n_classes``)."""
    return df is not None and "n_classes" in df and bool((pd.to_numeric(df["n_classes"], errors="coerce") > 2).any())


def metric_name(metric: str, df: pd.DataFrame | None = None) -> str:
    """The metric's short name; a multiclass run's test AUC says it is one-vs-rest, macro-averaged."""
    if metric == "test_auc" and is_multiclass(df):
        return f"Test {MULTICLASS_AUC}"
    return METRIC_NAMES.get(metric, metric)


def metric_title(metric: str, df: pd.DataFrame | None = None) -> str:
    if metric == "test_auc" and is_multiclass(df):
        return f"Test {MULTICLASS_AUC} (0.5 = chance, 1 = perfect)"
    return METRICS.get(metric, (metric.replace("_", " "), True))[0]


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


# ----------------------------------------------------------------------------------------------
# summaries
def summarize(df: pd.DataFrame, metric: str, by: Sequence[str] = ("method", "capacity")) -> pd.DataFrame:
    """Mean, standard error and count of `metric` per group (NaN metric values are ignored).

    The standard error is std(ddof=1)/√n; it is 0 for a single repeat.
    """
    by = list(by)
    if df.empty or metric not in df.columns:
        return pd.DataFrame(columns=[*by, "mean", "se", "n"])
    d = df[[*by, metric]].copy()
    d = d[np.isfinite(pd.to_numeric(d[metric], errors="coerce"))]
    if d.empty:
        return pd.DataFrame(columns=[*by, "mean", "se", "n"])
    out = metrics.summarize(d, by, [metric], "se")
    return out.rename(columns={metric: "mean", f"{metric}_se": "se", f"{metric}_n": "n"})


def _teacher_values(df: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, str]:
    """The teacher's curve for `metric`: its own metric, or ε2² for the student's error vs p0."""
    t = df[df["method"] == TEACHER_ROW]
    if metric == "student_error" and "teacher_error_l2" in t:
        t = t.assign(_v=pd.to_numeric(t["teacher_error_l2"], errors="coerce") ** 2)
        return summarize(t, "_v", by=["capacity"]), "Teacher ε2² (its own error vs p0)"
    return summarize(t, metric, by=["capacity"]), method_label(TEACHER_ROW)


def _band(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, color: str, group: str, name: str) -> go.Scatter:
    return go.Scatter(
        x=np.concatenate([x, x[::-1]]).tolist(), y=np.concatenate([hi, lo[::-1]]).tolist(), fill="toself",
        fillcolor=_rgba(color, 0.18), line=dict(width=0), hoverinfo="skip", showlegend=False,
        legendgroup=group, name=name, mode="lines",
    )


def _method_traces(s: pd.DataFrame, method: str, *, name: str, group: str, dash: str = "solid",
                   color: str | None = None, bands: bool = True) -> list[go.Scatter]:
    s = s.sort_values("capacity")
    x = s["capacity"].to_numpy(dtype=float)
    m = s["mean"].to_numpy(dtype=float)
    se = s["se"].to_numpy(dtype=float)
    color = color or method_color(method)
    traces = []
    if bands and len(x) > 1 and np.any(se > 0):
        traces.append(_band(x, m - se, m + se, color, group, f"{name} ± 1 s.e."))
    traces.append(go.Scatter(
        x=x.tolist(), y=m.tolist(), mode="lines+markers", name=name, legendgroup=group,
        line=dict(color=color, width=2.5, dash=dash),
        marker=dict(symbol=METHODS[method].symbol if method in METHODS else "circle", size=8, color=color),
        error_y=None if bands else dict(type="data", array=se.tolist(), visible=True, color=color),
        customdata=np.column_stack([se, s["n"].to_numpy(dtype=float)]).tolist(),
        hovertemplate=f"{name}<br>capacity %{{x}}<br>mean %{{y:.4g}} ± %{{customdata[0]:.2g}} "
                      "(n=%{customdata[1]})<extra></extra>",
    ))
    return traces


def _flat_traces(mean: float, se: float, x_range: tuple[float, float], method: str, *, name: str,
                 group: str, dash: str) -> list[go.Scatter]:
    x = np.array(x_range, dtype=float)
    color = method_color(method)
    traces = []
    if se > 0:
        traces.append(_band(x, np.full(2, mean - se), np.full(2, mean + se), color, group, f"{name} ± 1 s.e."))
    traces.append(go.Scatter(
        x=x.tolist(), y=[mean, mean], mode="lines", name=name, legendgroup=group,
        line=dict(color=color, width=2.5, dash=dash),
        hovertemplate=f"{name}<br>{mean:.4g} ± {se:.2g}<extra></extra>",
    ))
    return traces


def _varies_student(df: pd.DataFrame) -> bool:
    return "varied" in df and (df["varied"] == "student").any()


def _capacity_axis_title(df: pd.DataFrame) -> str:
    if _varies_student(df):
        names = df["capacity_name"].dropna().unique()
        return f"Student capacity: {names[0]}" if len(names) == 1 else "Student capacity"
    teachers = df["teacher"].dropna().unique() if "teacher" in df else []
    if len(teachers) == 1 and teachers[0] in CAPACITY_TITLES:
        return CAPACITY_TITLES[teachers[0]]
    names = df["capacity_name"].dropna().unique() if "capacity_name" in df else []
    return f"Teacher capacity: {names[0]}" if len(names) == 1 else "Teacher capacity"


def _add_run_traces(fig: go.Figure, df: pd.DataFrame, metric: str, *, prefix: str = "", dash: str = "solid",
                    group_prefix: str = "", show_teacher: bool = True, show_oracle: bool = True) -> None:
    labels_only = labels_only_methods()
    caps = pd.to_numeric(df.loc[~df["method"].isin(labels_only), "capacity"], errors="coerce").dropna()
    x_range = (float(caps.min()), float(caps.max())) if len(caps) else (0.0, 1.0)
    fixed_teacher = pd.to_numeric(df.loc[df["method"] == TEACHER_ROW, "capacity"], errors="coerce").isna().all()
    if show_teacher and (df["method"] == TEACHER_ROW).any():
        t, tname = _teacher_values(df, metric)
        if not t.empty and fixed_teacher:  # the student is varied: the teacher is one horizontal line
            fig.add_traces(_flat_traces(float(t["mean"].iloc[0]), float(t["se"].iloc[0]), x_range, TEACHER_ROW,
                                        name=prefix + tname, group=group_prefix + TEACHER_ROW, dash="dot"))
        elif not t.empty:
            fig.add_traces(_method_traces(t.assign(method=TEACHER_ROW), TEACHER_ROW, name=prefix + tname,
                                          group=group_prefix + TEACHER_ROW, dash="dot", bands=False))
    for lo in labels_only:  # students without a teacher: a flat line, or a curve over student capacity
        nokd_rows = df[df["method"] == lo]
        nokd = summarize(nokd_rows.assign(_all=0), metric, by=["_all"])
        if pd.to_numeric(nokd_rows["capacity"], errors="coerce").notna().any():
            s_nokd = summarize(nokd_rows, metric)
            fig.add_traces(_method_traces(s_nokd, lo, name=prefix + method_label(lo),
                                          group=group_prefix + lo, dash="dash"))
        elif not nokd.empty:
            fig.add_traces(_flat_traces(float(nokd["mean"].iloc[0]), float(nokd["se"].iloc[0]), x_range, lo,
                                        name=prefix + method_label(lo), group=group_prefix + lo, dash="dash"))
    if show_oracle and metric == "student_error" and "oracle_error" in df:
        o = df.dropna(subset=["oracle_error"]).drop_duplicates("repeat").assign(_all=0)
        os_ = summarize(o, "oracle_error", by=["_all"])
        if not os_.empty:
            fig.add_traces(_flat_traces(float(os_["mean"].iloc[0]), float(os_["se"].iloc[0]), x_range, ORACLE_ROW,
                                        name=prefix + "Oracle floor δ² (student on exact p0)",
                                        group=group_prefix + ORACLE_ROW, dash="dot"))
    s = summarize(df[~df["method"].isin([TEACHER_ROW, *labels_only])], metric)
    present = ordered(set(s["method"]))
    for m in present:
        fig.add_traces(_method_traces(s[s["method"] == m], m, name=prefix + method_label(m),
                                      group=group_prefix + m, dash=dash))


def add_reference_traces(fig: go.Figure, df: pd.DataFrame, reference: pd.DataFrame,
                         methods: Sequence[str] | None = None) -> None:
    """Dashed "paper" series: the published mean per method with its band (± 1 published s.e.).

    `reference` is `kdviz.paper.reference(...)` (method, capacity — NaN for capacity-free rows —,
    mean, se). Only the methods present in `df` (or `methods`) are drawn.
    """
    if reference is None or reference.empty:
        return
    present = set(methods if methods is not None else df["method"].unique())
    caps = pd.to_numeric(df["capacity"], errors="coerce").dropna() if "capacity" in df else pd.Series(dtype=float)
    ref_caps = reference["capacity"].dropna()
    lo = min([*caps.tolist(), *ref_caps.tolist()] or [0.0])
    hi = max([*caps.tolist(), *ref_caps.tolist()] or [1.0])
    for m in ordered(present):
        r = reference[reference["method"] == m]
        if r.empty:
            continue
        name, group = f"paper: {method_label(m)}", f"paper:{m}"
        if r["capacity"].isna().all():
            fig.add_traces(_flat_traces(float(r["mean"].iloc[0]), float(r["se"].iloc[0]), (lo, hi), m,
                                        name=name, group=group, dash="dash"))
        else:
            s = r.dropna(subset=["capacity"]).assign(n=r["repeats"] if "repeats" in r else 1)
            traces = _method_traces(s, m, name=name, group=group, dash="dash")
            traces[-1].update(line=dict(width=1.5), marker=dict(size=5, opacity=0.7))
            fig.add_traces(traces)


def empty_figure(message: str, presentation: bool = False) -> go.Figure:
    """A blank chart carrying a message (no data yet, metric not available, ...)."""
    fig = go.Figure()
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font=dict(size=16, color="#555"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style_figure(fig, presentation)


def capacity_chart(df: pd.DataFrame, metric: str = "test_auc", log_x: bool = False, presentation: bool = False,
                   title: str | None = None, reference: pd.DataFrame | None = None) -> go.Figure:
    """`metric` against teacher capacity: one curve per KD method (mean ± 1 s.e. band over repeats),
    the teacher's curve (dotted black; for ``student_error`` the teacher's own ε2²), the no-KD
    student as a dashed horizontal line and, for ``student_error``, the oracle floor δ².
    When the student is varied (column ``varied``), x is the student's capacity, the fixed teacher a
    horizontal line and no-KD a curve. `reference` (published means of a paper preset, test AUC only)
    adds dashed "paper" series with their bands.

    Works on partial tables (rows still arriving) and on an empty table (a message is shown).
    """
    if df is None or df.empty or metric not in df.columns or not np.isfinite(
            pd.to_numeric(df[metric], errors="coerce")).any():
        why = "no results yet" if df is None or df.empty else f"{metric_name(metric, df)} is not available"
        extra = " (it needs a dataset with known p0, e.g. synthetic:gmm)" if metric in (
            "student_error", "teacher_error_l2", "teacher_error_l4", "teacher_error_train") and (
            df is not None and not df.empty) else ""
        return empty_figure(why + extra, presentation)
    fig = go.Figure()
    _add_run_traces(fig, df, metric)
    if reference is not None and metric == "test_auc":
        add_reference_traces(fig, df, reference)
    datasets = df["dataset"].dropna().unique() if "dataset" in df else []
    side = "student" if _varies_student(df) else "teacher"
    default_title = f"{metric_name(metric, df)} vs {side} capacity"
    if len(datasets) == 1:
        default_title += f" — {dataset_label(datasets[0])}"
    fig.update_layout(title=dict(text=title or default_title, subtitle_text=_band_note(df)), hovermode="closest",
                      meta=CAPACITY_META)
    fig.update_xaxes(title=_capacity_axis_title(df), type="log" if log_x else "linear")
    fig.update_yaxes(title=metric_title(metric, df))
    return style_figure(fig, presentation)


def _band_note(*dfs: pd.DataFrame) -> str:
    """What the bands mean and which search chose c, in the figure itself (exported slides carry no caption)."""
    ns = sorted({df["repeat"].nunique() if "repeat" in df else 1 for df in dfs})
    search = c_search_subtitle(*dfs)
    search = f" · {search}" if search else ""
    if ns[-1] == 1:
        return "one repeat: no error band" + search
    span = str(ns[0]) if ns[0] == ns[-1] else f"{ns[0]}–{ns[-1]}"
    return f"mean ± 1 standard error over {span} repeats" + search


_RUN_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def overlay_chart(runs: Mapping[str, pd.DataFrame], metric: str = "test_auc", log_x: bool = False,
                  presentation: bool = False, show_teacher: bool = False,
                  left_out: Sequence[str] = ()) -> go.Figure:
    """Several runs in one chart: colour = method (as everywhere), line dash = run; each legend entry
    reads "<run label> · <method>" (a run's label: its name, else its kind and short id). `left_out`
    names runs that were not drawn (e.g. another kind of run); the subtitle says so."""
    runs = {k: v for k, v in runs.items() if v is not None and not v.empty and metric in v}
    if not runs:
        return empty_figure("select runs with results to overlay", presentation)
    fig = go.Figure()
    for i, (label, df) in enumerate(runs.items()):
        _add_run_traces(fig, df, metric, prefix=f"{label} · ", dash=_RUN_DASHES[i % len(_RUN_DASHES)],
                        group_prefix=f"{i}:", show_teacher=show_teacher, show_oracle=False)
    all_df = pd.concat(list(runs.values()), ignore_index=True)
    which = f"{len(runs)} runs" if len(runs) > 1 else next(iter(runs))
    note = _band_note(*runs.values())
    if left_out:
        note += f" · left out: {', '.join(left_out)}"
    fig.update_layout(title=dict(text=f"{metric_name(metric, all_df)} vs capacity — {which}",
                                 subtitle_text=note))
    fig.update_xaxes(title=_capacity_axis_title(all_df), type="log" if log_x else "linear")
    fig.update_yaxes(title=metric_title(metric, all_df))
    return style_figure(fig, presentation)


# ----------------------------------------------------------------------------------------------
# second axis: each method's gain over vanilla KD as a heat map
AXIS2_TITLES: dict[str, str] = {"label_noise": "Label noise η (fraction flipped)", "temperature": "Temperature T",
                                "alpha": "Mixing α", "folds": "Cross-fitting folds K"}
GAIN_SCALE = [[0.0, "#B2182B"], [0.5, "#F7F7F7"], [1.0, "#2166AC"]]  # red = worse than vanilla, blue = better


def gain_table(df: pd.DataFrame, metric: str, baseline: str = BASELINE) -> pd.DataFrame:
    """Mean gain of each method over `baseline` per (axis2, capacity); positive = better than the baseline
    (higher for AUC/accuracy, lower for errors and log-loss)."""
    if "axis2" not in df or df["axis2"].isna().all() or baseline not in set(df["method"]):
        return pd.DataFrame(columns=["method", "axis2", "capacity", "gain"])
    higher = METRICS.get(metric, ("", True))[1]
    s = summarize(df[df["method"] != TEACHER_ROW], metric, by=["method", "axis2", "capacity"])
    base = s[s["method"] == baseline][["axis2", "capacity", "mean"]].rename(columns={"mean": "base"})
    nokd = s[s["method"].isin(labels_only_methods()) & s["capacity"].isna()]
    s = s[s["capacity"].notna()]
    if not nokd.empty:  # a capacity-free baseline student: repeat it at every capacity
        caps = sorted(s["capacity"].unique())
        s = pd.concat([s[~s["method"].isin(labels_only_methods())]] + [nokd.assign(capacity=c) for c in caps], ignore_index=True)
    g = s[s["method"] != baseline].merge(base, on=["axis2", "capacity"])
    g["gain"] = (g["mean"] - g["base"]) if higher else (g["base"] - g["mean"])
    return g[["method", "axis2", "capacity", "gain"]]


def axis2_heatmap(df: pd.DataFrame, metric: str = "test_auc", presentation: bool = False) -> go.Figure:
    """One heat map per method: its gain over vanilla KD against capacity (x) and the second axis (y)."""
    g = gain_table(df, metric)
    if g.empty:
        return empty_figure("no second axis in these results (or no vanilla KD to compare with)", presentation)
    methods = ordered(set(g["method"]))
    vmax = float(np.nanmax(np.abs(g["gain"]))) or 1.0
    fig = make_subplots(rows=1, cols=len(methods), subplot_titles=[method_label(m) for m in methods],
                        shared_yaxes=True, horizontal_spacing=0.04)
    for i, m in enumerate(methods, start=1):
        t = g[g["method"] == m].pivot_table(index="axis2", columns="capacity", values="gain")
        fig.add_trace(go.Heatmap(
            x=[f"{c:g}" for c in t.columns], y=[f"{v:g}" for v in t.index], z=t.to_numpy().tolist(),
            zmin=-vmax, zmax=vmax, colorscale=GAIN_SCALE, showscale=i == len(methods),
            colorbar=dict(title="gain"), hovertemplate=f"{method_label(m)}<br>capacity %{{x}}<br>"
                                                       "axis2 %{y}<br>gain %{z:.4g}<extra></extra>"), row=1, col=i)
        fig.update_xaxes(title=_capacity_axis_title(df) if i == 1 else None, type="category", row=1, col=i)
    name = str(df["axis2_name"].dropna().iloc[0]) if "axis2_name" in df else "second axis"
    fig.update_yaxes(title=AXIS2_TITLES.get(name, name), type="category", row=1, col=1)
    better = "higher" if METRICS.get(metric, ("", True))[1] else "lower"
    fig.update_layout(title=dict(text=f"Gain over vanilla KD in {metric_name(metric, df)}",
                                 subtitle_text=f"blue = better than vanilla ({better} {METRIC_NAMES.get(metric, metric)}), "
                                               "red = worse; mean over repeats"))
    return style_figure(fig, presentation)


# ----------------------------------------------------------------------------------------------
# Playground heat maps
PROBA_SCALE = [[0.0, "#2166AC"], [0.5, "#F7F7F7"], [1.0, "#B2182B"]]  # diverging, colour-blind-safe


def _wrap(text: str, width: int) -> str:
    """Plotly text broken into lines of at most `width` characters (<br>)."""
    import textwrap

    return "<br>".join(textwrap.wrap(text, width)) or text


def heatmap_grid(panels: Sequence[tuple[str, np.ndarray]], xs: np.ndarray, ys: np.ndarray, *,
                 points: tuple[np.ndarray, np.ndarray] | None = None, presentation: bool = False,
                 cols: int = 3, subtitles: Sequence[str] | None = None) -> go.Figure:
    """Heat maps of P(class 1) on a 2-D grid, one panel per (title, Z) with Z of shape (len(ys), len(xs)),
    sharing one colour scale in [0, 1]; `points` = (X (n, 2), y (n,)) are overlaid on every panel.
    """
    n = len(panels)
    rows = int(np.ceil(n / cols))
    # float32 is plenty for a picture and halves what every browser downloads (Plotly sends typed arrays)
    xs, ys = np.asarray(xs, np.float32), np.asarray(ys, np.float32)
    panels = [(t, np.asarray(Z, np.float32)) for t, Z in panels]
    if points is not None:
        points = (np.asarray(points[0], np.float32), points[1])
    narrow = cols >= 4  # four or five panels in a row: long titles wrap onto a second line
    titles = [_wrap(t, 24) if narrow else t for t, _ in panels]
    titles = [t if not subtitles else f"{t}<br><sub>{_wrap(s, 30) if narrow else s}</sub>" for t, s in
              zip(titles, subtitles or [""] * n)]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.04,
                        vertical_spacing=0.12 if subtitles else 0.08, shared_xaxes=True, shared_yaxes=True)
    for i, (title, Z) in enumerate(panels):
        r, c = i // cols + 1, i % cols + 1
        fig.add_trace(go.Heatmap(
            x=xs, y=ys, z=Z, zmin=0, zmax=1, colorscale=PROBA_SCALE, showscale=i == 0, name=title,
            colorbar=dict(title=dict(text="P(class 1)", side="right"), len=0.8, thickness=14),
            hovertemplate="x1 %{x:.2f}<br>x2 %{y:.2f}<br>P(class 1) %{z:.2f}<extra>" + title + "</extra>",
        ), row=r, col=c)
        fig.add_trace(go.Contour(
            x=xs, y=ys, z=Z, contours=dict(start=0.5, end=0.5, size=1, coloring="none"),
            line=dict(color="#222", width=1.5), showscale=False, hoverinfo="skip", name="p = 0.5",
            showlegend=False,
        ), row=r, col=c)
        if points is not None:
            X, y = points
            for cls, sym, col in ((0, "circle", "#2166AC"), (1, "x", "#B2182B")):
                sel = y == cls
                # a few hundred points: SVG (no WebGL context per panel: a projector laptop or a headless
                # browser without a GPU redraws ▶ Play's steps faster); thousands: WebGL
                fig.add_trace((go.Scatter if len(X) <= 1500 else go.Scattergl)(
                    x=X[sel, 0], y=X[sel, 1], mode="markers", name=f"training label {cls}",
                    legendgroup=f"label{cls}", showlegend=i == 0,
                    marker=dict(symbol=sym, size=4 if not presentation else 6, color=col,
                                line=dict(width=0.6, color="#111")), hoverinfo="skip",
                ), row=r, col=c)
    fig.update_xaxes(range=[float(xs[0]), float(xs[-1])], constrain="domain")
    fig.update_yaxes(range=[float(ys[0]), float(ys[-1])], constrain="domain")
    # one linked zoom for every panel, and all panels square (one x scale, one y scale, y anchored to x)
    fig.update_xaxes(matches="x")
    fig.update_yaxes(matches="y")
    fig.update_yaxes(scaleanchor="x", scaleratio=1, row=1, col=1)
    for c in range(1, 2 if narrow else cols + 1):  # narrow panels: one x-axis title (they would collide)
        fig.update_xaxes(title_text="x1 (standardized)", row=rows, col=c)
    for r in range(1, rows + 1):
        fig.update_yaxes(title_text="x2 (standardized)", row=r, col=1)
    # presentation: four panels in a row are narrower, so their rows are lower (the students stay above the fold)
    row = (600 if cols <= 2 else 360) if not presentation else (460 if cols <= 2 else 400 if cols == 3 else 330)
    fig.update_layout(height=row * rows + 110)
    style_figure(fig, presentation)
    top = (150 if subtitles else 120) + (60 if presentation else 0) + (50 if narrow else 0)
    # the legend just above the panel titles, on the right (paper units from pixels: the plot area's height)
    titles_px = (45 if subtitles else 22) + (40 if narrow else 0) + (25 if presentation else 0)
    plot_h = max(fig.layout.height - top - (fig.layout.margin.b or 60), 100)
    fig.update_layout(legend=dict(orientation="h", xanchor="right", x=1.0, yanchor="bottom",
                                  y=1.0 + (titles_px + 10) / plot_h, font=dict(size=12 if not presentation else 18)),
                      title=dict(x=0.0, xanchor="left", y=1.0 - 18 / fig.layout.height, yanchor="top"),
                      margin=dict(t=top, r=30))
    fig.update_annotations(font_size=24 if presentation else 15)  # the panel titles
    return fig
