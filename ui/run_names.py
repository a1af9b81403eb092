"""Named runs on the Runs page: the name/tag editor, the search box and the overlay tab.

A run's label is its name (`JobRecord.label`, else "sweep d4a10f"); overlays, legends and packs use it.
Runs of different kinds (a sweep, a Theory run) are never overlaid silently: the tab names those left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kdviz.errors import KdvizError
from kdviz.figures.plots import METRIC_NAMES
from kdviz.jobs import JobRecord, Status
from kdviz.jobs.labels import matches
from ui import runs
from ui.common import show_chart
from ui.results_view import available_metrics, overlay
from ui.state import key_to_link, link_key

#: a queued run has no results yet
OVERLAY_STATUSES = (Status.DONE, Status.CANCELLED, Status.INTERRUPTED, Status.RUNNING)
OVERLAY_CAPTION = ("**What to look for:** colour = KD method (as on every page), line style = run. Compare like "
                   "with like: the same method in two runs shows what the changed setting (data, noise, folds, "
                   "student…) did.")


def unique_labels(records: Sequence[JobRecord]) -> dict[str, str]:
    """Run id → label, made unique (two runs with the same name get their short ids added)."""
    seen: dict[str, int] = {}
    for r in records:
        seen[r.label] = seen.get(r.label, 0) + 1
    return {r.id: r.label if seen[r.label] == 1 else f"{r.label} ({r.id[:6]})" for r in records}


def search(records: list[JobRecord], key: str = "runs_search") -> list[JobRecord]:
    """A search box over names, tags, kinds and ids (kept in the link as ``?q=``); the matching runs."""
    if key not in st.session_state and st.query_params.get("q"):
        st.session_state[key] = str(st.query_params["q"])[:100]
    query = st.text_input("Search runs", key=key, placeholder="name, tag or id", icon=":material/search:",
                          help="Words in a run's name or tags (or its id); all words must match.")
    key_to_link("q", "str", query or "")
    if not query:
        if "q" in st.query_params:
            del st.query_params["q"]
        return records
    found = [r for r in records if matches(r, query)]
    if not found:
        st.info(f"No run's name, tags or id contains {query!r}; showing every run.", icon=":material/search_off:")
        return records
    return found


def label_editor(run: JobRecord, key: str = "runs_label") -> None:
    """Name and tags of one run, editable (Save stores them; a bad value is explained and nothing changes)."""
    locked = not runs.mine(run)  # another student's (shared) run: the job layer refuses a rename anyway
    with st.form(f"{key}_{run.id}", border=False):
        c1, c2, c3 = st.columns([3, 3, 1], vertical_alignment="bottom")
        name = c1.text_input("Name", value=run.name, max_chars=80, placeholder=f"e.g. {run.kind}, 10 % noise",
                             help="Shown instead of the run's id in overlays, legends, links and packs.", disabled=locked)
        tags = c2.text_input("Tags", value=", ".join(run.tags), placeholder="comma-separated, e.g. talk, noise",
                             disabled=locked)
        if c3.form_submit_button("Save", icon=":material/label:", width="stretch", disabled=locked,
                                 help="Only its owner or the instructor may rename this run" if locked else None):
            try:
                runs.rename(run.id, name, tags)
            except KdvizError as e:
                st.error(f"Not saved: {e}", icon=":material/error:")
                return
            st.toast(f"Saved the name of run {run.id[:8]}", icon=":material/label:")
            st.rerun()


@dataclass
class Overlay:
    chosen: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    fig: go.Figure | None = None
    caption: str = OVERLAY_CAPTION
    metric: str = "test_auc"
    left_out: list[str] = field(default_factory=list)


def pick_same_kind(chosen: Sequence[str], kinds: dict[str, str]) -> tuple[list[str], list[str]]:
    """(runs to overlay, runs left out): only runs of the first chosen run's kind are overlaid."""
    if not chosen:
        return [], []
    kind = kinds[chosen[0]]
    return [i for i in chosen if kinds[i] == kind], [i for i in chosen if kinds[i] != kind]


def overlay_tab(all_runs: list[JobRecord], *, present: bool, format_func: Any) -> Overlay:
    """The "Overlay runs" tab: pick runs (default: the newest two of the newest run's kind), one chart."""
    out = Overlay()
    candidates = [r for r in all_runs if r.status in OVERLAY_STATUSES]
    ids = [r.id for r in candidates]
    kinds = {r.id: r.kind for r in candidates}
    names = unique_labels(candidates)
    default = [i for i in st.query_params.get("overlay", "").split(",") if i in ids]
    if not default and ids:
        default = [i for i in ids if kinds[i] == kinds[ids[0]]][:2]
    chosen = st.multiselect("Runs to compare", ids, default=default, format_func=format_func, key="runs_overlay")
    if chosen:
        st.query_params["overlay"] = ",".join(chosen)
    drawn, left = pick_same_kind(chosen, kinds)
    out.chosen, out.left_out = drawn, [names[i] for i in left]
    if left:
        st.warning(f"Left out {', '.join(f'{names[i]} ({kinds[i]})' for i in left)}: the overlay compares runs of "
                   f"one kind ({kinds[drawn[0]]} runs here).", icon=":material/filter_alt_off:")
    out.tables = {names[i]: runs.results(i) for i in drawn}
    metrics = available_metrics(pd.concat(list(out.tables.values())) if out.tables else None)
    for param, k, kind, ok in (("ometric", "runs_overlay_metric", "str", metrics.__contains__),
                               ("ologx", "runs_overlay_logx", "bool", None),
                               ("oteacher", "runs_overlay_teacher", "bool", None)):
        if msg := link_key(param, k, kind, ok):
            st.warning(msg, icon=":material/link_off:")
    o1, o2, o3 = st.columns([3, 1, 1])
    out.metric = o1.selectbox("Metric", metrics, format_func=lambda m: METRIC_NAMES.get(m, m),
                              key="runs_overlay_metric")
    olog = o2.toggle("Log-scale capacity axis", key="runs_overlay_logx")
    oteach = o3.toggle("Show teachers", key="runs_overlay_teacher")
    for param, kind, v in (("ometric", "str", out.metric), ("ologx", "bool", olog), ("oteacher", "bool", oteach)):
        key_to_link(param, kind, v)
    if len(drawn) == 1 and not left:
        st.caption("One run chosen: add another to compare.")
    out.fig = overlay(out.tables, out.metric, log_x=olog, present=present, show_teacher=oteach,
                      left_out=tuple(out.left_out))
    show_chart(out.fig, key="runs_overlay_chart", filename=f"kdviz_overlay_{out.metric}", caption=out.caption)
    return out
