"""Drawing a run's results: chart with metric picker and log-x, table, CSV/JSON downloads."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from kdviz.paper import paper_reference
from kdviz.plots import METRIC_NAMES, axis2_heatmap, capacity_chart, caption_for
from ui.common import show_chart

CHART_METRICS = ("test_auc", "student_error", "test_accuracy", "test_log_loss", "teacher_error_l2",
                 "teacher_label_mse")


def available_metrics(df: pd.DataFrame | None) -> list[str]:
    """Metrics with at least one finite value (all of them while no student has arrived yet, so a
    chosen metric is not swapped for another by the first, teacher-only, partial results)."""
    if df is None or df.empty or "method" not in df or not (df["method"] != "teacher").any():
        return list(CHART_METRICS)
    out = [m for m in CHART_METRICS if m in df and np.isfinite(pd.to_numeric(df[m], errors="coerce")).any()]
    return out or list(CHART_METRICS)


def metric_controls(key: str, df: pd.DataFrame | None, default: str = "test_auc") -> tuple[str, bool]:
    """Metric picker + log-x toggle (drawn outside any fragment: changing them reruns the page)."""
    metrics = available_metrics(df)
    ss = st.session_state
    if ss.get(f"{key}_metric") not in metrics:
        ss[f"{key}_metric"] = default if default in metrics else metrics[0]
    c1, c2 = st.columns([3, 1])
    metric = c1.selectbox("Metric", metrics, format_func=lambda m: METRIC_NAMES.get(m, m), key=f"{key}_metric")
    log_x = c2.toggle("Log-scale capacity axis", key=f"{key}_logx")
    return metric, log_x


def summary_table(df: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Mean ± s.e. of `metric` per method (rows) and capacity (columns)."""
    from kdviz.plots import METHOD_LABELS, summarize

    s = summarize(df, metric)
    if s.empty:
        return s
    s["cell"] = [f"{m:.4g} ± {e:.2g}" for m, e in zip(s["mean"], s["se"])]
    s["capacity"] = s["capacity"].map(lambda c: "all" if pd.isna(c) else str(int(c)))
    t = s.pivot_table(index="method", columns="capacity", values="cell", aggfunc="first")
    t = t[sorted(t.columns, key=lambda c: -1 if c == "all" else int(c))]
    t.index = [METHOD_LABELS.get(m, m) for m in t.index]
    return t


def draw_results(df: pd.DataFrame, metric: str, log_x: bool, *, present: bool, key: str,
                 title: str | None = None, config: dict[str, Any] | None = None, partial: bool = False,
                 downloads: bool = True) -> None:
    full = df
    if "axis2" in df and df["axis2"].notna().any():  # a second axis: heat map, then one slice as curves
        show_chart(axis2_heatmap(df, metric, presentation=present), key=f"{key}_heat",
                   caption="Each cell: a method's mean gain over vanilla KD at that capacity and second-axis value.",
                   exports=not partial, filename=f"kdviz_gain_{metric}")
        values = sorted(df["axis2"].dropna().unique())
        pick = st.select_slider(f"Curves at {df['axis2_name'].dropna().iloc[0]} =", values, key=f"{key}_axis2")
        df = df[df["axis2"] == pick]
    fig = capacity_chart(df, metric, log_x=log_x, presentation=present, title=title,
                         reference=paper_reference(config))
    if partial:
        fig.update_layout(title=(fig.layout.title.text or "") + " (partial: run in progress)")
    show_chart(fig, key=f"{key}_chart", caption=caption_for(metric), exports=not partial,
               filename=f"kdviz_{metric}")
    if df.empty:
        return
    if not present:
        with st.expander("Results table", expanded=False):
            st.markdown(f"**{METRIC_NAMES.get(metric, metric)}**, mean ± standard error over repeats")
            st.dataframe(summary_table(df, metric), width="stretch")
            st.markdown("**All rows** (one per capacity, method and repeat)")
            st.dataframe(df, hide_index=True, width="stretch", height=260)
    if downloads and not partial:
        c1, c2, _ = st.columns([1, 1, 4])
        c1.download_button("⬇ Results CSV", full.to_csv(index=False).encode(), file_name="kdviz_results.csv",
                           mime="text/csv", key=f"{key}_csv", on_click="ignore")
        payload = {"config": config or {}, "results": json.loads(full.to_json(orient="records"))}
        c2.download_button("⬇ Run JSON", json.dumps(payload, indent=1).encode(), file_name="kdviz_run.json",
                           mime="application/json", key=f"{key}_json", on_click="ignore")
