"""Runs: every background run — status, configuration, duration; open, overlay, rerun, delete, download."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from kdviz.cli.tools import format_seconds
from kdviz.errors import KdvizError
from kdviz.figures.talkpack import TalkChart, no_paths
from kdviz.jobs import Status
from ui import run_names, runs
from ui.common import (
    job_progress,
    page_link,
    page_setup,
    presentation_mode,
    status_badge,
    talk_pack_button,
)
from ui.identity import is_instructor
from ui.results_view import draw_results, metric_controls, run_chart
from ui.state import share_link

page_setup("Runs")
present = presentation_mode()
ss = st.session_state

st.title("Runs")
st.markdown("Your sweeps (and those the instructor shares) started from this dashboard or the command line "
            "(`kdviz submit`). Open one to see its chart, overlay several to compare them, rerun or delete.")

try:
    all_runs = runs.list_runs()
except KdvizError as e:
    st.error(f"Cannot read the run store: {no_paths(str(e))}", icon=":material/error:")
    st.stop()

if not all_runs:
    st.info("No runs yet. Start one on the **Sweep** page (or from Home's presets).")
    page_link("pages/2_Sweep.py", label="Go to the Sweep page", icon=":material/play_arrow:")
    st.stop()

by_id = {r.id: r for r in all_runs}
if refused := runs.last_refusal():
    st.error(refused, icon=":material/lock:")
if is_instructor():
    with st.expander("Instructor: the class queue", icon=":material/school:"):
        cap = st.number_input("Runs each student may have queued or running", 1, 100, value=runs.student_limit(),
                              step=1, key="runs_cap", help="The fair queue serves students round-robin; "
                              "identical configurations still compute once.")
        if cap != runs.student_limit():
            runs.set_student_limit(int(cap))
            st.toast(f"Each student may now have {int(cap)} runs queued or running")


def _label(run_id: str) -> str:
    r = by_id[run_id]
    when = dt.datetime.fromtimestamp(r.created).strftime("%d %b %H:%M") if r.created else ""
    head = f"{r.name} · {run_id[:6]}" if r.name else f"{r.kind} {run_id[:8]}"
    return f"{head} · {status_badge(r.status)} · {when} · {runs.config_summary(r.config)[:60]}"


def _queue(r) -> str:
    place = runs.queue_place(r.id) if r.status == Status.QUEUED else None
    if not place:
        return ""
    return f"#{place[0]} in queue" + (f" · ETA {format_seconds(place[1])}" if place[1] is not None else "")


listed = run_names.search(all_runs)
table = pd.DataFrame([{
    "run": r.id[:8], "name": r.name, "tags": ", ".join(r.tags), "kind": r.kind,
    "owner": runs.owner_label(r) + (" · shared" if r.shared else ""),
    "status": status_badge(r.status), "queue": _queue(r),
    "started": dt.datetime.fromtimestamp(r.created).strftime("%Y-%m-%d %H:%M") if r.created else "",
    "duration": format_seconds(r.elapsed), "progress": r.fraction,
    "configuration": runs.config_summary(r.config), "error": no_paths(r.error or ""),
} for r in listed])
st.dataframe(table, hide_index=True, width="stretch", height=min(400, 38 + 35 * len(table)),
             column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0)})

tab_open, tab_overlay = st.tabs(["Open a run", "Overlay runs"], key="view", bind="query-params")

with tab_open:
    ids = [r.id for r in listed]
    wanted = st.query_params.get("open")
    if wanted in by_id and ss.get("runs_open") != wanted and "runs_open_set" not in ss:
        ss["runs_open"] = wanted
    elif wanted is not None and wanted not in by_id and "runs_open_set" not in ss:
        st.warning(f"Run {wanted[:40]!r} from the link is not stored here (deleted, or on another server); "
                   "showing the newest run instead.", icon=":material/link_off:")
    ss["runs_open_set"] = True
    if ss.get("runs_open") not in by_id:
        ss["runs_open"] = ids[0]
    elif ss["runs_open"] not in ids:
        ids = [ss["runs_open"], *ids]  # the open run stays open while searching
    run_id = st.selectbox("Run", ids, format_func=_label, key="runs_open")
    st.query_params["open"] = run_id
    info = by_id[run_id]
    st.caption(runs.config_summary(info.config))
    run_names.label_editor(info)

    def _open(new_id: str) -> None:
        ss["runs_open"] = new_id
        st.query_params["open"] = new_id

    def _delete(victim: str) -> None:
        ss.pop("runs_confirm_delete", None)
        if runs.delete(victim):  # (the job layer refuses another student's run; the page shows why)
            ss.pop("runs_open", None)
            st.toast(f"Deleted run {victim[:8]}")

    c1, c2, c3, _ = st.columns([1, 1, 2, 3])
    c1.button("Rerun", icon=":material/replay:", key="runs_rerun",
              help="Start a new run (yours) with the same configuration", on_click=lambda: _open(runs.rerun(run_id)))
    c2.button("Delete", icon=":material/delete:", key="runs_delete", disabled=not runs.mine(info),
              on_click=lambda: ss.__setitem__("runs_confirm_delete", run_id),
              help=None if runs.mine(info) else "Only its owner or the instructor may delete this run")
    if is_instructor():
        c3.toggle("Share with class", value=info.shared, key=f"runs_share_{run_id}",
                  on_change=lambda: runs.share(run_id, ss[f"runs_share_{run_id}"]),
                  help="Students see shared runs on their Runs page (they cannot cancel or delete them)")
    if ss.get("runs_confirm_delete") == run_id:
        st.warning(f"Delete run {info.label} and its stored results? This cannot be undone.",
                   icon=":material/delete:")
        d1, d2, _ = st.columns([1, 1, 4])
        d1.button("Yes, delete", type="primary", key="runs_delete_yes", on_click=_delete, args=(run_id,))
        d2.button("Keep it", key="runs_delete_no", on_click=lambda: ss.pop("runs_confirm_delete", None))
        st.stop()

    df = runs.results(run_id)
    metric, log_x = metric_controls("runs", df)

    def _draw(job) -> None:
        draw_results(runs.results(run_id), metric, log_x, present=present, key="runs", config=info.config,
                     partial=job.active)

    job_progress(run_id, get_job=runs.get, cancel=runs.cancel, may_manage=runs.mine, resume=runs.resume, on_update=_draw, every=1.5,
                 key="runs", queue_place=runs.queue_place)

with tab_overlay:
    ov = run_names.overlay_tab(all_runs, present=present, format_func=_label)

fig, caption = run_chart(runs.results(run_id), metric, log_x, present=present, config=info.config)
talk_pack_button("runs", [TalkChart(f"run_{info.label}_{metric}", fig, caption)]
                 + ([TalkChart(f"overlay_{ov.metric}", ov.fig, ov.caption)] if ov.chosen else []),
                 config={"run": info.config, "overlay": {i: by_id[i].config for i in ov.chosen},
                         "labels": {i: {"name": by_id[i].name, "tags": list(by_id[i].tags)}
                                    for i in dict.fromkeys([run_id, *ov.chosen])}},
                 link=share_link(dict(st.query_params), "Runs"),
                 results={f"run_{info.label}": runs.results(run_id), **{f"overlay_{k}": v for k, v in ov.tables.items()}},
                 title=f"kdviz runs: {info.label}", filename=f"kdviz_runs_{info.label}")
