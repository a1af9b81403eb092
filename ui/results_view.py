"""Drawing a run's results: chart with metric picker and log-x, table, CSV/JSON downloads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kdviz.config import data_settings
from kdviz.figures.plots import axis2_heatmap, capacity_chart, metric_name, overlay_chart
from kdviz.figures.talkpack import no_paths, table_no_paths
from kdviz.paper import paper_reference
from kdviz.runtime.cache import SingleFlightCache
from kdviz.teaching.captions import caption_for
from ui.common import show_chart
from ui.state import key_to_link, link_key

CHART_METRICS = ("test_auc", "student_error", "test_accuracy", "test_log_loss", "teacher_error_l2",
                 "teacher_label_mse")


def available_metrics(df: pd.DataFrame | None) -> list[str]:
    """Metrics with at least one finite value (all of them while no student has arrived yet, so a
    chosen metric is not swapped for another by the first, teacher-only, partial results)."""
    if df is None or df.empty or "method" not in df or not (df["method"] != "teacher").any():
        return list(CHART_METRICS)
    out = [m for m in CHART_METRICS if m in df and np.isfinite(pd.to_numeric(df[m], errors="coerce")).any()]
    return out or list(CHART_METRICS)


def metric_controls(key: str, df: pd.DataFrame | None, default: str = "test_auc", *, show: bool = True,
                    disabled: bool = False, link: tuple[str, str] | None = ("metric", "logx")) -> tuple[str, bool]:
    """Metric picker + log-x toggle (drawn outside any fragment: changing them reruns the page).

    `link` names the query parameters that hold them (the whole view in the link); a bad linked metric
    gets a message and the default. `show=False` (a classroom link hid them) keeps their values.
    """
    metrics = available_metrics(df)
    ss = st.session_state
    if link:
        for msg in (link_key(link[0], f"{key}_metric", "str", lambda m: m in metrics),
                    link_key(link[1], f"{key}_logx", "bool")):
            if msg:
                st.warning(msg, icon=":material/link_off:")
    if ss.get(f"{key}_metric") not in metrics:
        ss[f"{key}_metric"] = default if default in metrics else metrics[0]
    if show:
        c1, c2 = st.columns([3, 1])
        metric = c1.selectbox("Metric", metrics, format_func=lambda m: metric_name(m, df), key=f"{key}_metric",
                              disabled=disabled)
        log_x = c2.toggle("Log-scale capacity axis", key=f"{key}_logx", disabled=disabled)
    else:
        metric, log_x = ss[f"{key}_metric"], bool(ss.get(f"{key}_logx", False))
    if link:
        key_to_link(link[0], "str", metric)
        key_to_link(link[1], "bool", log_x)
    return metric, log_x


def summary_table(df: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Mean ± s.e. of `metric` per method (rows) and capacity (columns)."""
    from kdviz.figures.plots import summarize
    from kdviz.kd.methods import method_label

    s = summarize(df, metric)
    if s.empty:
        return s
    s["cell"] = [f"{m:.4g} ± {e:.2g}" for m, e in zip(s["mean"], s["se"])]
    s["capacity"] = s["capacity"].map(lambda c: "all" if pd.isna(c) else str(int(c)))
    t = s.pivot_table(index="method", columns="capacity", values="cell", aggfunc="first")
    t = t[sorted(t.columns, key=lambda c: -1 if c == "all" else int(c))]
    t.index = [method_label(m) for m in t.index]
    return t


_charts = SingleFlightCache(maxsize=64)


def run_chart(df: pd.DataFrame, metric: str, log_x: bool, *, present: bool, title: str | None = None,
              partial: bool = False, config: dict[str, Any] | None = None) -> tuple[go.Figure, str]:
    """A run's capacity chart and its caption (what to look for + what this run's numbers show).

    A table from `ui.runs.results` (it carries ``attrs["kdviz_key"]``) is drawn once per view and the
    figure shared by every session: callers must not modify it."""
    build = lambda: _run_chart(df, metric, log_x, present, title, partial, config)  # noqa: E731
    version = df.attrs.get("kdviz_key")
    if version is None:
        return build()
    settings = data_settings(config) if config else None
    return _charts.get((version, metric, log_x, present, title, partial, settings), build)


def shared_figure(key: tuple | None, build: Callable[[], go.Figure]) -> go.Figure:
    """`build()` once per `key` for every session (callers must not modify the figure); None: no caching."""
    return build() if key is None else _charts.get(key, build)


def overlay(tables: dict[str, pd.DataFrame], metric: str, log_x: bool, *, present: bool,
            show_teacher: bool, left_out: tuple[str, ...] = ()) -> go.Figure:
    """Several runs in one chart (`kdviz.figures.plots.overlay_chart`; `tables` keyed by run label), drawn once per
    view and shared like `run_chart`."""
    build = lambda: overlay_chart(tables, metric, log_x=log_x, presentation=present, show_teacher=show_teacher,  # noqa: E731
                                  left_out=left_out)
    versions = tuple((name, df.attrs.get("kdviz_key")) for name, df in tables.items())
    if any(v is None for _, v in versions):
        return build()
    return _charts.get(("overlay", versions, metric, log_x, present, show_teacher, left_out), build)


def _run_chart(df: pd.DataFrame, metric: str, log_x: bool, present: bool, title: str | None, partial: bool,
               config: dict[str, Any] | None) -> tuple[go.Figure, str]:
    fig = capacity_chart(df, metric, log_x=log_x, presentation=present, title=title,
                         reference=paper_reference(config))
    if config:  # the settings that change the data travel with the figure (exported slides too)
        fig.update_layout(title_subtitle_text=f"{fig.layout.title.subtitle.text} · {data_settings(config)}")
    if partial:
        fig.update_layout(title=(fig.layout.title.text or "") + " (partial: run in progress)")
    return fig, caption_for(metric, df)


def _run_json(df: pd.DataFrame, config: dict[str, Any] | None) -> bytes:
    payload = {"config": no_paths(config or {}), "results": json.loads(df.to_json(orient="records"))}
    return json.dumps(payload, indent=1).encode()


def draw_results(df: pd.DataFrame, metric: str, log_x: bool, *, present: bool, key: str,
                 title: str | None = None, config: dict[str, Any] | None = None, partial: bool = False,
                 downloads: bool = True) -> go.Figure:
    """Draw a run's chart (caption computed from its numbers), table and downloads; returns the figure.

    With a second axis: first each method's gain over vanilla as a heat map, then the curves at one value.
    """
    full = df
    if "axis2" in df and df["axis2"].notna().any():
        show_chart(axis2_heatmap(df, metric, presentation=present), key=f"{key}_heat",
                   caption="Each cell: a method's mean gain over vanilla KD at that capacity and second-axis value.",
                   exports=downloads and not partial, filename=f"kdviz_gain_{metric}")
        values = sorted(df["axis2"].dropna().unique())
        pick = st.select_slider(f"Curves at {df['axis2_name'].dropna().iloc[0]} =", values, key=f"{key}_axis2")
        df = df[df["axis2"] == pick].copy()
        df.attrs = {"kdviz_key": (full.attrs["kdviz_key"], pick)} if "kdviz_key" in full.attrs else {}
    fig, caption = run_chart(df, metric, log_x, present=present, title=title, partial=partial, config=config)
    show_chart(fig, key=f"{key}_chart", caption=caption, exports=downloads and not partial,
               filename=f"kdviz_{metric}")
    if df.empty:
        return fig
    if not present:
        with st.expander("Results table", expanded=False):
            st.markdown(f"**{metric_name(metric, df)}**, mean ± standard error over repeats")
            version = df.attrs.get("kdviz_key")
            table = (_charts.get((version, metric, "table"), lambda: summary_table(df, metric)) if version
                     else summary_table(df, metric))
            st.dataframe(table, width="stretch")
            st.markdown("**All rows** (one per capacity, method and repeat)")
            st.dataframe(df, hide_index=True, width="stretch", height=260)
    if downloads and not partial:
        c1, c2, _ = st.columns([1, 1, 4])
        c1.download_button("⬇ Results CSV", lambda: table_no_paths(full).to_csv(index=False).encode(), file_name="kdviz_results.csv",
                           mime="text/csv", key=f"{key}_csv", on_click="ignore")
        c2.download_button("⬇ Run JSON", lambda: _run_json(full, config), file_name="kdviz_run.json",
                           mime="application/json", key=f"{key}_json", on_click="ignore")
    return fig
