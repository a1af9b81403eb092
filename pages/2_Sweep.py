"""Sweep: configure a capacity sweep, run it in the background, watch the curves arrive."""

from __future__ import annotations

import streamlit as st

from kdviz.cli.tools import format_seconds
from kdviz.config import MAX_TOTAL_FITS, PRESETS
from kdviz.errors import KdvizError
from kdviz.figures.plots import GAMMA_LABELS
from kdviz.figures.talkpack import TalkChart, no_paths
from kdviz.kd.methods import method_label
from kdviz.kd.students import STUDENTS
from kdviz.teachers import TEACHERS
from ui import runs
from ui import sweep_axes as axes
from ui import sweep_form as form
from ui.classroom import classroom, link_builder
from ui.common import job_progress, page_setup, presentation_mode, talk_pack_button
from ui.results_view import draw_results, metric_controls, run_chart
from ui.state import link_to_widgets, share_link, widgets_to_link, wkey

page_setup("Sweep")
present = presentation_mode()
P = "sw"
ss = st.session_state

msgs: list[str] = []
preset = st.query_params.get("preset")
if preset is not None:  # Home's "start here" buttons
    del st.query_params["preset"]
    if preset in PRESETS:
        for k, v in form.preset_values(preset).items():
            ss[wkey(P, k)] = list(v) if isinstance(v, tuple) else v
        for k in form.KINDS:
            if k in st.query_params:
                del st.query_params[k]
        ss[f"_{P}_last_query"] = {}
        ss.pop("sw_metric", None)  # the chart opens on the preset's metric
        ss["sw_metric_default"] = form.PRESET_METRICS.get(preset, "test_auc")
        st.toast(f"Loaded the preset “{preset}”. Press Run.")
    else:
        msgs.append(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
msgs += link_to_widgets(P, form.defaults_for(st.query_params.get("dataset")), form.KINDS, form.validate_values)

st.title("Sweep")
st.markdown("Student quality against **teacher** (or **student**) **capacity**, for every KD method, on your choice of data. "
            "Runs go to the background: you can leave the page and come back.")
for m in msgs:
    st.warning(m, icon=":material/link_off:")
cls = classroom(("data", "teacher", "student", "protocol", "run", "metric", "share"))
off = cls.locked


def section(name: str, title: str) -> bool:
    """Whether to draw the sidebar section `name` (a classroom link may hide it)."""
    if cls.show(name):
        st.header(title)
    return cls.show(name)


with st.sidebar:
    if section("data", "Data"):
        if off:
            shown = form.link_values({"dataset": ss.get(wkey(P, "dataset"), form.DEFAULTS["dataset"])})["dataset"]
            st.selectbox("Dataset", [shown], disabled=True)  # an upload by name, never the server's path
        else:
            form.dataset_picker(P)
        st.number_input("Rows to use n (empty = all / generator default)", *form.widget_range("n"), value=None,
                        step=form.STEPS["n"], key=wkey(P, "n"), disabled=off, help=form.help_text("n"))
        st.slider("Label noise on training labels", *form.widget_range("label_noise"), step=form.STEPS["label_noise"],
                  key=wkey(P, "label_noise"), disabled=off, help=form.help_text("label_noise"))
        for field in form.dataset_widgets(ss.get(wkey(P, "dataset"), "")):  # the dataset's own parameters
            form.more_widget(P, field, disabled=off)
    if section("teacher", "Teacher"):
        st.selectbox("Teacher family", form.options("teacher"), key=wkey(P, "teacher"), disabled=off,
                     help="\n".join(f"- **{k}**: {TEACHERS[k].description}" for k in form.options("teacher")))
    spec = TEACHERS[ss[wkey(P, "teacher")]]
    if cls.show("teacher"):
        if not axes.vary_control(P, disabled=off):
            grid_choices = sorted({*spec.default_grid, *ss[wkey(P, "capacities")]})
            ss[wkey(P, "capacities")] = ([c for c in ss[wkey(P, "capacities")] if c in grid_choices]
                                         or list(spec.default_grid))
            st.multiselect(f"Capacity grid ({spec.capacity_name})", grid_choices, key=wkey(P, "capacities"),
                           disabled=off)
        else:
            axes.student_grid_control(P, ss[wkey(P, "student")], max(spec.default_grid), disabled=off)
        if spec.tree_option:
            st.slider(f"Teacher's {spec.tree_option}", *form.widget_range("trees", spec.name), step=1,
                      key=wkey(P, "trees"), disabled=off)
    if section("student", "Student and distillation"):
        st.selectbox("Student", form.options("student"), key=wkey(P, "student"), disabled=off,
                     format_func=lambda k: f"{k}: {STUDENTS[k].description}")
        if form.uses_temperature(ss[wkey(P, "student")]):
            st.slider("Temperature T (Hinton KD)", *form.widget_range("temperature"), step=form.STEPS["temperature"],
                      key=wkey(P, "temperature"), disabled=off, help=form.help_text("temperature"))
            st.slider("Mixing α (weight of the teacher term)", *form.widget_range("alpha"), step=form.STEPS["alpha"],
                      key=wkey(P, "alpha"), disabled=off, help=form.help_text("alpha"))
        st.multiselect("Methods", form.options("methods"), format_func=method_label, key=wkey(P, "methods"),
                       disabled=off, help=form.help_text("methods"))
        st.radio("KD target scale", form.options("scale"), horizontal=True, key=wkey(P, "scale"), disabled=off,
                 help=form.help_text("scale"))
        st.slider("Cross-fitting folds K", *form.widget_range("folds"), key=wkey(P, "folds"), disabled=off,
                  help=form.help_text("folds"))
        st.radio("Correction weight γ", form.options("gamma"), horizontal=True,
                 key=wkey(P, "gamma"), disabled=off, format_func=GAMMA_LABELS.get,
                 help="bound-fast: γ = c/(c + r²) with r = y − p̂ (the paper's). y-free: r² replaced by its "
                      "expectation p̂(1 − p̂), so the correction stays mean-zero at p̂ = p0 for every c. full: γ = γ*.")
        c_is_cv = ss[wkey(P, "c")] in form.C_SEARCH_CHOICES
        if st.toggle("Choose c by cross-validation", value=c_is_cv, key="_sw_c_cv", disabled=off):
            if not c_is_cv:
                ss[wkey(P, "c")] = "cv-fast"
            st.radio("Search", list(form.C_SEARCH_CHOICES), horizontal=True, key=wkey(P, "c"), disabled=off,
                     format_func=form.C_SEARCH_CHOICES.get,
                     help="fast: coarse-to-fine over the c grid, scored on 2 of the CV folds "
                          "(≤ 14 student fits per capacity and method on the paper's grid instead of 45; "
                          "benchmarks/bench_c_search.py). Full: every c on every fold, the paper's protocol.")
            st.radio("CV criterion", form.options("cv_metric"), horizontal=True, key=wkey(P, "cv_metric"), disabled=off,
                     format_func={"brier": "distance to p0 (Brier)", "task": "AUC / accuracy (paper)"}.get,
                     help="Brier scores each c by how close the student's probabilities come to the held-out "
                          "labels (the distance to p0 up to a constant); AUC only sees the ranking.")
        else:
            ss[wkey(P, "c")] = float(st.select_slider("c", [1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0], disabled=off,
                                                      value=0.1 if c_is_cv else ss[wkey(P, "c")]))
        axes.axis2_control(P, disabled=off)
    if section("protocol", "Protocol"):
        st.slider("Repeats (student re-seeds)", *form.widget_range("repeats"), key=wkey(P, "repeats"), disabled=off,
                  help=form.help_text("repeats"))
        st.number_input("Seed", *form.widget_range("seed"), step=1, key=wkey(P, "seed"), disabled=off,
                        help=form.help_text("seed"))
    if form.other_widgets() and section("protocol", "More settings"):
        for field in form.other_widgets():  # settings registered by plug-ins
            form.more_widget(P, field, disabled=off)

DEFAULTS = form.defaults()
values = {k: ss.get(wkey(P, k), DEFAULTS[k]) for k in form.kinds()}
for k in ("capacities", "methods", "c_grid", "axis2_values"):
    values[k] = tuple(values[k])
try:
    config = form.validate_values(values)
    config_error = None
except KdvizError as e:
    config, config_error = None, no_paths(str(e))
query = widgets_to_link(P, form.link_values(values), form.KINDS)

if "sw_warm" not in ss:  # start one idle worker now, so a Run shows progress at once
    ss["sw_warm"] = True
    runs.warm_up()

run_name, run_tags, label_error = form.label_fields(P, disabled=off) if cls.show("run") else ("", (), None)
c1, c2 = st.columns([1, 3])
run_clicked = cls.show("run") and c1.button("▶ Run", type="primary",
                                            disabled=config is None or off or label_error is not None, width="stretch")
if config_error or label_error:
    c2.error(config_error or label_error, icon=":material/error:")
else:
    c2.caption(f"≈ {config.estimated_fits():,} model fits (limit {MAX_TOTAL_FITS:,}) · {runs.config_summary(config.to_dict())}")

if run_clicked and config is not None:
    try:
        ss["sw_job"] = runs.submit(config, name=run_name, tags=run_tags)
        st.query_params["run"] = ss["sw_job"]
    except KdvizError as e:
        st.error(f"Could not start the run: {no_paths(str(e))}", icon=":material/error:")

job_id = ss.get("sw_job") or st.query_params.get("run")
if job_id is None and config is not None:  # a shared link: show a stored run of this exact config
    found = runs.find_run(config)
    job_id = found.id if found else None
info = runs.get(job_id) if job_id else None

if info is None:
    if job_id:
        st.warning(f"Run {job_id} is not known here (deleted, or stored on another server).", icon=":material/search_off:")
    st.info("Set up a sweep in the sidebar (or load a preset from Home) and press **Run**. "
            "The chart fills in while the run is going.")
    st.stop()

ss["sw_job"] = info.id
if config is not None and info.config != config.to_dict():
    st.caption(":material/info: The sidebar has changed since this run; press **Run** to start a new one.")
metric, log_x = metric_controls("sw", runs.results(info.id), default=ss.get("sw_metric_default", "test_auc"),
                                show=cls.show("metric"), disabled=off)


def _draw(job) -> None:
    df = runs.results(info.id)
    draw_results(df, metric, log_x, present=present, key="sw", config=info.config, partial=job.active,
                 downloads=cls.show("share"))


job_progress(info.id, get_job=runs.get, cancel=runs.cancel, may_manage=runs.mine, resume=runs.resume, on_update=_draw, every=1.0,
             key="sw", queue_place=runs.queue_place)
st.caption(f"Run {info.label} · {info.id} · background worker (kdviz.jobs) · duration {format_seconds(info.elapsed)}")
if cls.show("share"):
    view = {**query, "run": info.id, "metric": metric, **({"logx": "1"} if log_x else {})}
    link = share_link(view, "Sweep")
    if not info.active:
        fig, caption = run_chart(runs.results(info.id), metric, log_x, present=present, config=info.config)
        talk_pack_button("sw", [TalkChart(f"sweep_{metric}", fig, caption)],
                         config=info.config, link=link,
                         results=runs.results(info.id), title=f"kdviz sweep: {info.label}",
                         filename=f"kdviz_sweep_{info.name or info.id[:8]}")
    with st.expander("Link to this view", icon=":material/link:"):
        link_builder(cls, view, "Sweep", key="sw")
