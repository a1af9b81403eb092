"""Runs: every background run — status, configuration, duration; open, overlay, rerun, delete, download."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from kdviz.clitools import format_seconds
from kdviz.errors import KdvizError
from kdviz.jobs import Status
from kdviz.plots import METRIC_NAMES
from kdviz.talkpack import TalkChart
from ui import runs
from ui.common import (
    job_progress,
    page_link,
    page_setup,
    presentation_mode,
    show_chart,
    status_badge,
    talk_pack_button,
)
from ui.identity import is_instructor
from ui.results_view import available_metrics, draw_results, metric_controls, overlay, run_chart
from ui.state import key_to_link, link_key, share_link

page_setup("Runs")
present = presentation_mode()
ss = st.session_state

st.title("Runs")
st.markdown("Your sweeps (and those the instructor shares) started from this dashboard or the command line "
            "(`kdviz submit`). Open one to see its chart, overlay several to compare them, rerun or delete.")

try:
    all_runs = runs.list_runs()
except KdvizError as e:
    st.error(f"Cannot read the run store: {e}", icon="⚠️")
    st.stop()

if not all_runs:
    st.info("No runs yet. Start one on the **Sweep** page (or from Home's presets).")
    page_link("pages/2_Sweep.py", label="Go to the Sweep page", icon="▶")
    st.stop()

by_id = {r.id: r for r in all_runs}
if refused := runs.last_refusal():
    st.error(refused, icon="🔒")
if is_instructor():
    with st.expander("🎓 Instructor: the class queue"):
        cap = st.number_input("Runs each student may have queued or running", 1, 100, value=runs.student_limit(),
                              step=1, key="runs_cap", help="The fair queue serves students round-robin; "
                              "identical configurations still compute once.")
        if cap != runs.student_limit():
            runs.set_student_limit(int(cap))
            st.toast(f"Each student may now have {int(cap)} runs queued or running")


def _label(run_id: str) -> str:
    r = by_id[run_id]
    when = dt.datetime.fromtimestamp(r.created).strftime("%d %b %H:%M") if r.created else ""
    return f"{run_id[:8]} · {status_badge(r.status)} · {when} · {runs.config_summary(r.config)[:70]}"


def _queue(r) -> str:
    place = runs.queue_place(r.id) if r.status == Status.QUEUED else None
    if not place:
        return ""
    return f"#{place[0]} in queue" + (f" · ETA {format_seconds(place[1])}" if place[1] is not None else "")


table = pd.DataFrame([{
    "run": r.id[:8], "owner": runs.owner_label(r) + (" · shared" if r.shared else ""),
    "status": status_badge(r.status), "queue": _queue(r),
    "started": dt.datetime.fromtimestamp(r.created).strftime("%Y-%m-%d %H:%M") if r.created else "",
    "duration": format_seconds(r.elapsed), "progress": r.fraction,
    "configuration": runs.config_summary(r.config), "error": r.error or "",
} for r in all_runs])
st.dataframe(table, hide_index=True, width="stretch", height=min(400, 38 + 35 * len(table)),
             column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0)})

tab_open, tab_overlay = st.tabs(["Open a run", "Overlay runs"])

with tab_open:
    ids = list(by_id)
    wanted = st.query_params.get("open")
    if wanted in by_id and ss.get("runs_open") != wanted and "runs_open_set" not in ss:
        ss["runs_open"] = wanted
    elif wanted is not None and wanted not in by_id and "runs_open_set" not in ss:
        st.warning(f"Run {wanted[:40]!r} from the link is not stored here (deleted, or on another server); "
                   "showing the newest run instead.", icon="🔗")
    ss["runs_open_set"] = True
    if ss.get("runs_open") not in ids:
        ss["runs_open"] = ids[0]
    run_id = st.selectbox("Run", ids, format_func=_label, key="runs_open")
    st.query_params["open"] = run_id
    info = by_id[run_id]
    st.caption(runs.config_summary(info.config))

    def _open(new_id: str) -> None:
        ss["runs_open"] = new_id
        st.query_params["open"] = new_id

    def _delete(victim: str) -> None:
        ss.pop("runs_confirm_delete", None)
        if runs.delete(victim):  # (the job layer refuses another student's run; the page shows why)
            ss.pop("runs_open", None)
            st.toast(f"Deleted run {victim[:8]}")

    c1, c2, c3, _ = st.columns([1, 1, 2, 3])
    c1.button("↻ Rerun", key="runs_rerun", help="Start a new run (yours) with the same configuration",
              on_click=lambda: _open(runs.rerun(run_id)))
    c2.button("🗑 Delete", key="runs_delete", on_click=lambda: ss.__setitem__("runs_confirm_delete", run_id),
              help=None if runs.mine(info) else "Only its owner or the instructor may delete this run")
    if is_instructor():
        c3.toggle("Share with class", value=info.shared, key=f"runs_share_{run_id}",
                  on_change=lambda: runs.share(run_id, ss[f"runs_share_{run_id}"]),
                  help="Students see shared runs on their Runs page (they cannot cancel or delete them)")
    if ss.get("runs_confirm_delete") == run_id:
        st.warning(f"Delete run {run_id[:8]} and its stored results? This cannot be undone.", icon="🗑")
        d1, d2, _ = st.columns([1, 1, 4])
        d1.button("Yes, delete", type="primary", key="runs_delete_yes", on_click=_delete, args=(run_id,))
        d2.button("Keep it", key="runs_delete_no", on_click=lambda: ss.pop("runs_confirm_delete", None))
        st.stop()

    df = runs.results(run_id)
    metric, log_x = metric_controls("runs", df)

    def _draw(job) -> None:
        draw_results(runs.results(run_id), metric, log_x, present=present, key="runs", config=info.config,
                     partial=job.active)

    job_progress(run_id, get_job=runs.get, cancel=runs.cancel, resume=runs.resume, on_update=_draw, every=1.5,
                 key="runs", queue_place=runs.queue_place)

with tab_overlay:
    shown = (Status.DONE, Status.CANCELLED, Status.INTERRUPTED, Status.RUNNING)  # (a queued run has no results yet)
    done_ids = [r.id for r in all_runs if r.status in shown]
    default = [i for i in st.query_params.get("overlay", "").split(",") if i in done_ids] or done_ids[:2]
    chosen = st.multiselect("Runs to compare", done_ids, default=default, format_func=_label, key="runs_overlay")
    if chosen:
        st.query_params["overlay"] = ",".join(chosen)
    tables = {f"{i[:6]}": runs.results(i) for i in chosen}
    metrics = available_metrics(pd.concat(list(tables.values())) if tables else None)
    for param, k, kind, ok in (("ometric", "runs_overlay_metric", "str", metrics.__contains__),
                               ("ologx", "runs_overlay_logx", "bool", None), ("oteacher", "runs_overlay_teacher", "bool", None)):
        if msg := link_key(param, k, kind, ok):
            st.warning(msg, icon="🔗")
    o1, o2, o3 = st.columns([3, 1, 1])
    om = o1.selectbox("Metric", metrics, format_func=lambda m: METRIC_NAMES.get(m, m), key="runs_overlay_metric")
    olog = o2.toggle("Log-scale capacity axis", key="runs_overlay_logx")
    oteach = o3.toggle("Show teachers", key="runs_overlay_teacher")
    for param, kind, v in (("ometric", "str", om), ("ologx", "bool", olog), ("oteacher", "bool", oteach)):
        key_to_link(param, kind, v)
    ofig = overlay(tables, om, log_x=olog, present=present, show_teacher=oteach)
    ocaption = ("**What to look for:** colour = KD method (as on every page), line style = run. Compare like with "
                "like: the same method in two runs shows what the changed setting (data, noise, folds, student…) did.")
    show_chart(ofig, key="runs_overlay_chart", filename=f"kdviz_overlay_{om}", caption=ocaption)

fig, caption = run_chart(runs.results(run_id), metric, log_x, present=present, config=info.config)
talk_pack_button("runs", [TalkChart(f"run_{run_id[:8]}_{metric}", fig, caption)]
                 + ([TalkChart(f"overlay_{om}", ofig, ocaption)] if chosen else []),
                 config={"run": info.config, "overlay": {i: by_id[i].config for i in chosen}},
                 link=share_link(dict(st.query_params), "Runs"),
                 results={f"run_{run_id[:8]}": runs.results(run_id), **{f"overlay_{k}": v for k, v in tables.items()}},
                 title="kdviz runs", filename=f"kdviz_runs_{run_id[:8]}")
